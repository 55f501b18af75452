//! Resolves Serverless variables (`${self:...}`, `${opt:...}`, `${sls:stage}`,
//! `${env:...}`, `${file(...):...}`) in every string of the tree, the way
//! Serverless v3 does: a string that is exactly one variable takes the type of
//! what it resolves to; a variable inside a larger string becomes text.

mod sources;
mod syntax;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::rc::Rc;

use self::syntax::{Literal, Piece, Source, Var};
use super::StackOptions;
use super::error::{Location, StackError, StackErrorKind};
use super::yaml::{Kind, Node, Pos};

/// How deep `self:` and `file()` references may nest: far beyond any real file,
/// a backstop in case a loop escapes the cycle check.
const MAX_DEPTH: usize = 256;

/// Reads an environment variable; tests pass their own.
pub(crate) type Env<'a> = &'a dyn Fn(&str) -> Option<String>;

/// Returns `root` with every variable replaced by its value.
pub(crate) fn resolve(
    file: &Path,
    root: &Node,
    options: &StackOptions,
    env: Env<'_>,
) -> Result<Node, StackError> {
    let dir = super::folder(file);
    let mut resolver = Resolver {
        file: file.to_path_buf(),
        dir,
        root: Rc::new(root.clone()),
        options,
        env,
        done: HashMap::new(),
        active: Vec::new(),
        documents: HashMap::new(),
    };
    resolver.resolve_at(Vec::new(), root)
}

/// Where a value lives: the document (`""` for serverless.yml, else the path of a
/// `file(...)`) and the keys down to it. Used for caching and cycle detection.
type NodePath = Vec<String>;

struct Resolver<'a> {
    file: PathBuf,
    dir: PathBuf,
    root: Rc<Node>,
    options: &'a StackOptions,
    env: Env<'a>,
    /// Resolved values by path, so each one is resolved once.
    done: HashMap<(String, NodePath), Node>,
    /// The values being resolved right now, innermost last, with where each is.
    active: Vec<((String, NodePath), Pos)>,
    /// Files read by `${file(...)}`, by their full path.
    documents: HashMap<PathBuf, Rc<Node>>,
}

/// Why a source gave no value; the variable fails if all its sources do.
enum Missing {
    Because(String),
    /// An environment variable that is not set (or empty), by name.
    Env(String),
    FileAbsent {
        path: String,
        resolved: PathBuf,
    },
}

impl Resolver<'_> {
    fn at(&self, pos: Pos) -> Location {
        Location::new(&self.file, pos)
    }

    /// Resolves the node at `path` of serverless.yml.
    fn resolve_at(&mut self, path: NodePath, node: &Node) -> Result<Node, StackError> {
        self.resolve_in(String::new(), path, node)
    }

    /// Resolves `node`, found at `path` of `document`, and everything inside it.
    fn resolve_in(
        &mut self,
        document: String,
        path: NodePath,
        node: &Node,
    ) -> Result<Node, StackError> {
        let id = (document, path);
        if let Some(done) = self.done.get(&id) {
            return Ok(done.clone());
        }
        if let Some(first) = self.active.iter().position(|(active, _)| *active == id) {
            return Err(self.cycle(first, &id));
        }
        if self.active.len() >= MAX_DEPTH {
            return Err(self.cycle(0, &id));
        }
        self.active.push((id, node.pos));
        let resolved = self.resolve_kind(node);
        let (id, _) = self
            .active
            .pop()
            .expect("pushed just above, and every push is popped");
        let resolved = resolved?;
        self.done.insert(id, resolved.clone());
        Ok(resolved)
    }

    fn resolve_kind(&mut self, node: &Node) -> Result<Node, StackError> {
        let (document, path) = self
            .active
            .last()
            .map(|(id, _)| id.clone())
            .unwrap_or_default();
        let child_path = |key: String| {
            let mut path = path.clone();
            path.push(key);
            path
        };
        let kind = match &node.kind {
            Kind::Str(text) => return self.resolve_string(text, node.pos),
            Kind::Seq(items) => Kind::Seq(
                items
                    .iter()
                    .enumerate()
                    .map(|(i, item)| {
                        self.resolve_in(document.clone(), child_path(i.to_string()), item)
                    })
                    .collect::<Result<_, _>>()?,
            ),
            Kind::Map(entries) => Kind::Map(
                entries
                    .iter()
                    .map(|(key, value)| {
                        let value =
                            self.resolve_in(document.clone(), child_path(key.name.clone()), value)?;
                        Ok((key.clone(), value))
                    })
                    .collect::<Result<_, StackError>>()?,
            ),
            Kind::Null | Kind::Bool(_) | Kind::Number(_) => node.kind.clone(),
        };
        Ok(Node::new(node.pos, kind))
    }

    /// The loop from `active[first]` back to `id`, reported at the innermost value:
    /// the one whose variable closes the loop.
    fn cycle(&self, first: usize, id: &(String, NodePath)) -> StackError {
        let name = |(document, path): &(String, NodePath)| {
            let dotted = if path.is_empty() {
                "(the whole file)".to_owned()
            } else {
                path.join(".")
            };
            if document.is_empty() {
                dotted
            } else {
                format!("{document}:{dotted}")
            }
        };
        let mut chain: Vec<String> = self.active[first..]
            .iter()
            .map(|(id, _)| name(id))
            .collect();
        chain.push(name(id));
        let pos = self
            .active
            .last()
            .map_or(Pos { line: 1, column: 1 }, |(_, pos)| *pos);
        StackErrorKind::VariableCycle {
            at: self.at(pos),
            chain: chain.join(" -> "),
        }
        .into()
    }

    /// A string: kept as is without variables, the value of its one variable, or text.
    fn resolve_string(&mut self, text: &str, pos: Pos) -> Result<Node, StackError> {
        let pieces = syntax::parse(text).map_err(|problem| StackErrorKind::VariableSyntax {
            at: self.at(pos),
            text: text.to_owned(),
            problem: problem.to_string(),
        })?;
        match pieces.as_slice() {
            [] => Ok(Node::new(pos, Kind::Str(String::new()))),
            [Piece::Text(text)] => Ok(Node::new(pos, Kind::Str(text.clone()))),
            [Piece::Var(var)] => {
                let mut value = self.resolve_var(var, pos)?;
                value.pos = pos;
                Ok(value)
            }
            _ => Ok(Node::new(
                pos,
                Kind::Str(self.interpolate(&pieces, text, pos)?),
            )),
        }
    }

    /// Joins text and variables into one string.
    fn interpolate(
        &mut self,
        pieces: &[Piece],
        whole: &str,
        pos: Pos,
    ) -> Result<String, StackError> {
        let mut out = String::new();
        for piece in pieces {
            match piece {
                Piece::Text(text) => out.push_str(text),
                Piece::Var(var) => {
                    let value = self.resolve_var(var, pos)?;
                    let text = value
                        .as_text()
                        .ok_or_else(|| StackErrorKind::VariableNotText {
                            at: self.at(pos),
                            variable: var.raw.clone(),
                            found: value.kind.to_string(),
                            text: whole.to_owned(),
                        })?;
                    out.push_str(&text);
                }
            }
        }
        Ok(out)
    }

    /// The first source that gives a value; an error naming every miss when none does.
    fn resolve_var(&mut self, var: &Var, pos: Pos) -> Result<Node, StackError> {
        let mut misses = Vec::new();
        for source in &var.sources {
            let found = match source {
                Source::Literal(literal) => return Ok(Node::new(pos, literal_kind(literal))),
                Source::Nested(inner) => return self.resolve_var(inner, pos),
                Source::Ref {
                    kind,
                    params,
                    address,
                } => {
                    let params = params
                        .iter()
                        .map(|param| self.interpolate(param, &var.raw, pos))
                        .collect::<Result<Vec<_>, _>>()?;
                    let address = match address {
                        Some(address) => Some(self.interpolate(address, &var.raw, pos)?),
                        None => None,
                    };
                    let address = address.unwrap_or_default();
                    match self.source(var, kind, &params, &address, pos)? {
                        Ok(node) if node.kind == Kind::Null => {
                            Err(Missing::Because(format!("`{kind}:{address}` is empty")))
                        }
                        found => found,
                    }
                }
            };
            match found {
                Ok(node) => return Ok(node),
                Err(missing) => misses.push(missing),
            }
        }
        Err(self.unresolved(var, misses, pos))
    }

    fn unresolved(&self, var: &Var, misses: Vec<Missing>, pos: Pos) -> StackError {
        let mut reasons = Vec::new();
        let mut unset = None;
        for missing in misses {
            match missing {
                Missing::Because(reason) => reasons.push(reason),
                Missing::Env(name) => {
                    reasons.push(format!("the environment variable `{name}` is not set"));
                    unset = unset.or(Some(name));
                }
                // A missing file is the likelier slip than a missing key: say so on its own.
                Missing::FileAbsent { path, resolved } => {
                    return StackErrorKind::FileMissing {
                        at: self.at(pos),
                        variable: var.raw.clone(),
                        path,
                        resolved,
                    }
                    .into();
                }
            }
        }
        let with_default = match var.raw.strip_suffix('}') {
            Some(head) => format!("{head}, 'x'}}"),
            None => var.raw.clone(),
        };
        let advice = match (var.sources.first(), unset) {
            (_, Some(name)) => format!(
                "set it (e.g. `export {name}=...` before running the checker) or add a default: \
                 `{with_default}`"
            ),
            (Some(Source::Ref { kind, .. }), None) if kind == "self" => format!(
                "add that key to serverless.yml, fix the path, or add a default: `{with_default}`"
            ),
            _ => format!("add a default: `{with_default}`"),
        };
        StackErrorKind::VariableUnresolved {
            at: self.at(pos),
            variable: var.raw.clone(),
            reason: reasons.join(", and "),
            advice,
        }
        .into()
    }
}

fn literal_kind(literal: &Literal) -> Kind {
    match literal {
        Literal::Str(text) => Kind::Str(text.clone()),
        Literal::Number(number) => Kind::Number(number.clone()),
        Literal::Bool(flag) => Kind::Bool(*flag),
        Literal::Null => Kind::Null,
    }
}
