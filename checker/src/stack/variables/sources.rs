//! The variable sources: what `self`, `opt`, `sls`, `aws`, `env` and `file` give.

use std::path::Path;
use std::rc::Rc;

use super::syntax::Var;
use super::{Missing, Resolver};
use crate::stack::cloudformation::ACCOUNT_ID;
use crate::stack::error::{Location, StackError, StackErrorKind};
use crate::stack::yaml::{self, Kind, Node, Pos};

/// A source's answer: a value, or why it has none (then the next fallback is tried).
type Found = Result<Node, Missing>;

impl Resolver<'_> {
    pub(super) fn source(
        &mut self,
        var: &Var,
        kind: &str,
        params: &[String],
        address: &str,
        pos: Pos,
    ) -> Result<Found, StackError> {
        match kind {
            "self" => self.self_source(address),
            "opt" => Ok(self.opt(address, pos)),
            "sls" => self.sls(var, address, pos),
            "aws" => self.aws(var, address, pos),
            "env" => Ok(self.env_source(address, pos)),
            "file" => self.file(var, params, address, pos),
            _ => Err(StackErrorKind::VariableSource {
                at: self.at(pos),
                variable: var.raw.clone(),
                kind: kind.to_owned(),
            }
            .into()),
        }
    }

    fn self_source(&mut self, address: &str) -> Result<Found, StackError> {
        let root = Rc::clone(&self.root);
        let found = self.navigate("", &root, address)?;
        Ok(found.ok_or_else(|| Missing::Because(format!("`{address}` is not in serverless.yml"))))
    }

    /// The value at the dotted `address` inside `root`, resolved.
    fn navigate(
        &mut self,
        document: &str,
        root: &Node,
        address: &str,
    ) -> Result<Option<Node>, StackError> {
        let keys: Vec<&str> = address.split('.').filter(|key| !key.is_empty()).collect();
        let mut path = Vec::new();
        let mut node = root;
        for (i, key) in keys.iter().enumerate() {
            if matches!(node.kind, Kind::Str(_)) {
                // A variable may stand for a whole mapping: resolve it, then walk into it.
                let resolved = self.resolve_in(document.to_owned(), path, node)?;
                return Ok(walk(&resolved, &keys[i..]).cloned());
            }
            let Some(child) = node.child(key) else {
                return Ok(None);
            };
            node = child;
            path.push((*key).to_owned());
        }
        self.resolve_in(document.to_owned(), path, node).map(Some)
    }

    fn opt(&self, name: &str, pos: Pos) -> Found {
        let value = match name {
            "stage" => self.options.stage.clone(),
            "region" => self.options.region.clone(),
            _ => {
                return Err(Missing::Because(format!(
                    "the checker passes no `--{name}` option (only `--stage` and `--region`)"
                )));
            }
        };
        match value {
            Some(value) => Ok(Node::new(pos, Kind::Str(value))),
            None => Err(Missing::Because(format!("no `--{name}` option was given"))),
        }
    }

    /// `${sls:stage}`: the `--stage` option, else `provider.stage`, else `dev`.
    fn sls(&mut self, var: &Var, name: &str, pos: Pos) -> Result<Found, StackError> {
        if name != "stage" {
            return Err(StackErrorKind::VariableUnsupported {
                at: self.at(pos),
                variable: var.raw.clone(),
                reason: format!(
                    "the checker knows `${{sls:stage}}` only, not `sls:{name}`; use \
                     `${{sls:stage}}` or a fixed value"
                ),
            }
            .into());
        }
        if let Some(stage) = &self.options.stage {
            return Ok(Ok(Node::new(pos, Kind::Str(stage.clone()))));
        }
        let root = Rc::clone(&self.root);
        let stage = self.navigate("", &root, "provider.stage")?;
        let stage = stage
            .and_then(|node| node.as_text())
            .unwrap_or_else(|| "dev".to_owned());
        Ok(Ok(Node::new(pos, Kind::Str(stage))))
    }

    /// `${aws:region}` (the `--region` option, else `provider.region`, else
    /// `us-east-1`, as Serverless resolves it) and `${aws:accountId}` (the
    /// account the checker's ARNs use; Serverless asks AWS for the real one).
    fn aws(&mut self, var: &Var, name: &str, pos: Pos) -> Result<Found, StackError> {
        let value = match name {
            "accountId" => ACCOUNT_ID.to_owned(),
            "region" => match &self.options.region {
                Some(region) => region.clone(),
                None => {
                    let root = Rc::clone(&self.root);
                    self.navigate("", &root, "provider.region")?
                        .and_then(|node| node.as_text())
                        .unwrap_or_else(|| "us-east-1".to_owned())
                }
            },
            _ => {
                return Err(StackErrorKind::VariableUnsupported {
                    at: self.at(pos),
                    variable: var.raw.clone(),
                    reason: format!(
                        "the `aws` source has `${{aws:region}}` and `${{aws:accountId}}`, not \
                         `aws:{name}`"
                    ),
                }
                .into());
            }
        };
        Ok(Ok(Node::new(pos, Kind::Str(value))))
    }

    fn env_source(&self, name: &str, pos: Pos) -> Found {
        // Serverless treats an empty variable as unset, so the default applies.
        match (self.env)(name).filter(|value| !value.is_empty()) {
            Some(value) => Ok(Node::new(pos, Kind::Str(value))),
            None => Err(Missing::Env(name.to_owned())),
        }
    }

    /// `${file(path):address}`: a JSON or YAML file next to serverless.yml (other files
    /// are text), then the dotted `address` inside it.
    fn file(
        &mut self,
        var: &Var,
        params: &[String],
        address: &str,
        pos: Pos,
    ) -> Result<Found, StackError> {
        let Some(written) = params.first().filter(|path| !path.is_empty()) else {
            return Err(StackErrorKind::VariableUnsupported {
                at: self.at(pos),
                variable: var.raw.clone(),
                reason: "it names no file; write e.g. `${file(config.json):key}`".to_owned(),
            }
            .into());
        };
        let resolved = self.dir.join(written);
        let document = match self.documents.get(&resolved) {
            Some(document) => Rc::clone(document),
            None => match self.read_document(var, &resolved, pos)? {
                Some(document) => {
                    let document = Rc::new(document);
                    self.documents
                        .insert(resolved.clone(), Rc::clone(&document));
                    document
                }
                None => {
                    return Ok(Err(Missing::FileAbsent {
                        path: written.clone(),
                        resolved,
                    }));
                }
            },
        };
        let id = format!("file({written})");
        let found = self.navigate(&id, &document, address)?;
        Ok(found.ok_or_else(|| Missing::Because(format!("`{written}` has no `{address}`"))))
    }

    /// The parsed file, or `None` when it does not exist.
    fn read_document(&self, var: &Var, path: &Path, pos: Pos) -> Result<Option<Node>, StackError> {
        let extension = path
            .extension()
            .and_then(|e| e.to_str())
            .unwrap_or_default();
        let extension = extension.to_ascii_lowercase();
        if matches!(extension.as_str(), "js" | "cjs" | "mjs" | "ts") {
            return Err(StackErrorKind::VariableUnsupported {
                at: self.at(pos),
                variable: var.raw.clone(),
                reason: "the checker does not run JavaScript; put the values in a .json or .yml \
                         file"
                    .to_owned(),
            }
            .into());
        }
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(cause) => {
                return Err(StackErrorKind::FileRead {
                    at: self.at(pos),
                    variable: var.raw.clone(),
                    path: path.to_path_buf(),
                    cause,
                }
                .into());
            }
        };
        let parse_error = |line, column, message| {
            StackErrorKind::FileParse {
                parsed_at: Location::new(path, Pos { line, column }),
                at: self.at(pos),
                variable: var.raw.clone(),
                message,
            }
            .into()
        };
        let mut document = match extension.as_str() {
            "json" => match serde_json::from_str(&text) {
                Ok(value) => Node::from_json(value, pos),
                Err(error) => {
                    let (line, column) = (error.line() as u64, error.column() as u64);
                    return Err(parse_error(line, column, error.to_string()));
                }
            },
            "yml" | "yaml" => yaml::parse(&text)
                .map_err(|error| parse_error(error.pos.line, error.pos.column, error.message))?,
            _ => Node::new(pos, Kind::Str(text)),
        };
        // Its own lines mean nothing in messages about serverless.yml.
        document.restamp(pos);
        Ok(Some(document))
    }
}

/// Walks an already resolved value.
fn walk<'n>(node: &'n Node, keys: &[&str]) -> Option<&'n Node> {
    keys.iter().try_fold(node, |node, key| node.child(key))
}
