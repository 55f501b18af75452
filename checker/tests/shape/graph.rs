//! The crate as a graph: its modules, and which uses which. A path written
//! in a module is followed, through imports and re-exports, to the module
//! that defines the item.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use crate::source::{Module, clean, module_declarations};

/// What a path leads to.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Entity {
    Module(String),
    /// An item defined in this module.
    Item(String),
}

/// One file of the crate.
pub(crate) struct Source {
    /// Its module's path: `stack::build`, `main::cli::check`; the library's root is `""`.
    pub(crate) module: String,
    /// Its path from the crate's folder: `src/stack/build.rs`.
    pub(crate) file: String,
    pub(crate) text: String,
}

/// The library from `lib.rs` and the binary from `main.rs` (as the module
/// `main`), following their `mod` declarations; test-only modules left out.
pub(crate) fn read_crate(src: &Path) -> Vec<Source> {
    let file_name = |file: &Path| {
        let crate_dir = src.parent().unwrap_or(src);
        file.strip_prefix(crate_dir)
            .unwrap_or(file)
            .display()
            .to_string()
    };
    let mut sources = Vec::new();
    let lib = std::fs::read_to_string(src.join("lib.rs")).expect("lib.rs is readable");
    let main = std::fs::read_to_string(src.join("main.rs")).expect("main.rs is readable");
    let mut pending: Vec<(String, PathBuf, PathBuf)> = module_declarations(&clean(&lib))
        .into_iter()
        .map(|child| {
            (
                child.clone(),
                src.join(format!("{child}.rs")),
                src.join(child),
            )
        })
        .collect();
    for child in module_declarations(&clean(&main)) {
        pending.push((
            format!("main::{child}"),
            src.join(format!("{child}.rs")),
            src.join(&child),
        ));
    }
    sources.push(Source {
        module: String::new(),
        file: file_name(&src.join("lib.rs")),
        text: format!("{lib}\nmod main;"),
    });
    sources.push(Source {
        module: "main".to_owned(),
        file: file_name(&src.join("main.rs")),
        text: main,
    });
    while let Some((module, file, dir)) = pending.pop() {
        let (file, dir) = if file.exists() {
            (file, dir)
        } else {
            (dir.join("mod.rs"), dir)
        };
        let text = std::fs::read_to_string(&file)
            .unwrap_or_else(|error| panic!("cannot read {}: {error}", file.display()));
        for child in module_declarations(&clean(&text)) {
            pending.push((
                format!("{module}::{child}"),
                dir.join(format!("{child}.rs")),
                dir.join(&child),
            ));
        }
        sources.push(Source {
            module,
            file: file_name(&file),
            text,
        });
    }
    sources.sort_by(|a, b| a.module.cmp(&b.module));
    sources
}

pub(crate) struct Graph {
    /// By path: `stack::build`, `main::cli::check`; the library's root is `""`.
    pub(crate) modules: BTreeMap<String, Module>,
    /// Module -> the modules it uses (itself left out), with one path each that shows why.
    uses: BTreeMap<String, BTreeMap<String, String>>,
}

impl Graph {
    /// The crate's graph, as [`read_crate`] reads it.
    pub(crate) fn read(src: &Path) -> Self {
        let sources = read_crate(src);
        let borrowed: Vec<(&str, &str)> = sources
            .iter()
            .map(|source| (source.module.as_str(), source.text.as_str()))
            .collect();
        Self::from_sources(&borrowed)
    }

    /// The graph of modules given by path and source text.
    pub(crate) fn from_sources(sources: &[(&str, &str)]) -> Self {
        let mut modules = BTreeMap::new();
        for (name, text) in sources {
            modules.insert((*name).to_owned(), Module::read(&clean(text)));
        }
        let mut graph = Self {
            modules,
            uses: BTreeMap::new(),
        };
        let mut uses: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
        for (name, module) in &graph.modules {
            let written = module
                .paths
                .iter()
                .chain(module.imports.values())
                .collect::<Vec<_>>();
            for path in written {
                let Some(entity) = graph.resolve(name, path, 0) else {
                    continue;
                };
                let target = match entity {
                    Entity::Module(target) | Entity::Item(target) => target,
                };
                if target != *name {
                    uses.entry(name.clone())
                        .or_default()
                        .entry(target)
                        .or_insert_with(|| path.join("::"));
                }
            }
        }
        graph.uses = uses;
        graph
    }

    fn parent(module: &str) -> Option<&str> {
        if module.is_empty() {
            return None;
        }
        Some(module.rsplit_once("::").map_or("", |(parent, _)| parent))
    }

    fn join(parent: &str, child: &str) -> String {
        if parent.is_empty() {
            child.to_owned()
        } else {
            format!("{parent}::{child}")
        }
    }

    /// What `path`, written in `module`, leads to; `None` outside the crate.
    fn resolve(&self, module: &str, path: &[String], depth: usize) -> Option<Entity> {
        if depth > 16 {
            return None;
        }
        let in_binary = module == "main" || module.starts_with("main::");
        let (first, rest) = path.split_first()?;
        let mut at = match first.as_str() {
            "crate" if in_binary => "main".to_owned(),
            "crate" => String::new(),
            "checker" if in_binary => String::new(),
            "self" => module.to_owned(),
            "super" => Self::parent(module)?.to_owned(),
            name => match self.step(module, name, rest.is_empty(), depth)? {
                Entity::Module(found) => found,
                item => return Some(item),
            },
        };
        for (index, segment) in rest.iter().enumerate() {
            if segment == "super" {
                at = Self::parent(&at)?.to_owned();
                continue;
            }
            if segment == "self" {
                continue;
            }
            match self.step(&at, segment, index + 1 == rest.len(), depth) {
                Some(Entity::Module(found)) => at = found,
                Some(item) => return Some(item),
                // Not found (a macro's item, a glob): the module reached.
                None => return Some(Entity::Module(at)),
            }
        }
        Some(Entity::Module(at))
    }

    /// The name `name` in the scope of `module`: a child module, an item it
    /// defines, or one it imports. Only the last segment of a path may be a
    /// function, constant or static (`a::f`); the ones before it are in
    /// the namespace of modules and types.
    fn step(&self, module: &str, name: &str, last: bool, depth: usize) -> Option<Entity> {
        let found = self.modules.get(module)?;
        if found.children.contains(name) {
            return Some(Entity::Module(Self::join(module, name)));
        }
        if found.types.contains(name) || (last && found.values.contains(name)) {
            return Some(Entity::Item(module.to_owned()));
        }
        let imported = found.imports.get(name)?;
        self.resolve(module, imported, depth + 1)
    }

    /// The modules `module` uses, each with one path that shows why.
    pub(crate) fn uses_of(&self, module: &str) -> Option<&BTreeMap<String, String>> {
        self.uses.get(module)
    }

    pub(crate) fn children_of(&self, parent: &str) -> Vec<String> {
        self.modules
            .get(parent)
            .map(|module| {
                module
                    .children
                    .iter()
                    .map(|child| Self::join(parent, child))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The child of `parent` that `module` is or lies within.
    fn child_containing(parent: &str, module: &str) -> Option<String> {
        let rest = if parent.is_empty() {
            module
        } else {
            module.strip_prefix(parent)?.strip_prefix("::")?
        };
        let first = rest.split("::").next().filter(|first| !first.is_empty())?;
        Some(Self::join(parent, first))
    }

    /// Uses between the children of `parent`, each counting everything inside
    /// it; with one use that shows why.
    pub(crate) fn edges_between_children(
        &self,
        parent: &str,
    ) -> BTreeMap<(String, String), String> {
        let mut edges = BTreeMap::new();
        for (from, targets) in &self.uses {
            let Some(from_child) = Self::child_containing(parent, from) else {
                continue;
            };
            for (to, path) in targets {
                let Some(to_child) = Self::child_containing(parent, to) else {
                    continue;
                };
                if from_child != to_child {
                    edges
                        .entry((from_child.clone(), to_child))
                        .or_insert_with(|| format!("{from} writes {path}"));
                }
            }
        }
        edges
    }

    /// Every circle, as the modules in it (siblings), sorted.
    pub(crate) fn circles(&self) -> Vec<Vec<String>> {
        let mut circles = Vec::new();
        for parent in self.modules.keys() {
            let edges = self.edges_between_children(parent);
            let children = self.children_of(parent);
            for component in strongly_connected(&children, &edges) {
                if component.len() > 1 {
                    circles.push(component);
                }
            }
        }
        circles.sort();
        circles
    }

    /// The uses that make up `circle`.
    pub(crate) fn explain(&self, circle: &[String]) -> String {
        let parent = Self::parent(&circle[0]).unwrap_or_default();
        self.edges_between_children(parent)
            .into_iter()
            .filter(|((from, to), _)| circle.contains(from) && circle.contains(to))
            .map(|((from, to), because)| format!("{from} -> {to}: {because}"))
            .collect::<Vec<_>>()
            .join("; ")
    }
}

/// Tarjan's strongly connected components, each sorted.
fn strongly_connected(
    nodes: &[String],
    edges: &BTreeMap<(String, String), String>,
) -> Vec<Vec<String>> {
    struct State<'a> {
        edges: &'a BTreeMap<(String, String), String>,
        next_index: usize,
        index: BTreeMap<&'a str, usize>,
        low: BTreeMap<&'a str, usize>,
        stack: Vec<&'a str>,
        on_stack: BTreeSet<&'a str>,
        components: Vec<Vec<String>>,
    }
    fn visit<'a>(state: &mut State<'a>, node: &'a str) {
        state.index.insert(node, state.next_index);
        state.low.insert(node, state.next_index);
        state.next_index += 1;
        state.stack.push(node);
        state.on_stack.insert(node);
        let targets: Vec<&'a str> = state
            .edges
            .keys()
            .filter(|(from, _)| from == node)
            .map(|(_, to)| to.as_str())
            .collect();
        for target in targets {
            if !state.index.contains_key(target) {
                visit(state, target);
                let low = state.low[node].min(state.low[target]);
                state.low.insert(node, low);
            } else if state.on_stack.contains(target) {
                let low = state.low[node].min(state.index[target]);
                state.low.insert(node, low);
            }
        }
        if state.low[node] == state.index[node] {
            let mut component = Vec::new();
            while let Some(member) = state.stack.pop() {
                state.on_stack.remove(member);
                component.push(member.to_owned());
                if member == node {
                    break;
                }
            }
            component.sort();
            state.components.push(component);
        }
    }
    let mut state = State {
        edges,
        next_index: 0,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        components: Vec::new(),
    };
    for node in nodes {
        if !state.index.contains_key(node.as_str()) {
            visit(&mut state, node);
        }
    }
    state.components
}
