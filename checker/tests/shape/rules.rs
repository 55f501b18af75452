//! The rules of the crate's shape, each a function from the crate as read to
//! the sentences that name what breaks it (none: the rule holds).

use std::collections::BTreeMap;
use std::path::Path;

use crate::facts::{Facts, WHY_LONG};
use crate::graph::{Graph, Source, read_crate};

/// A layer: what it is for, and its top-level modules.
pub(crate) type Layer = (&'static str, &'static [&'static str]);

/// A type name defined more than once on purpose: the name, the modules
/// that define it, and why they are one concept.
pub(crate) type Twin = (&'static str, &'static [&'static str], &'static str);

/// The crate as read: its files, what each holds, and the graph of its uses.
pub(crate) struct Crate {
    pub(crate) files: Vec<(Source, Facts)>,
    pub(crate) graph: Graph,
}

impl Crate {
    pub(crate) fn read(src: &Path) -> Self {
        Self::from(read_crate(src))
    }

    /// A made-up crate: module path and source text; the file is named by its module.
    pub(crate) fn from_sources(sources: &[(&str, &str)]) -> Self {
        Self::from(
            sources
                .iter()
                .map(|(module, text)| Source {
                    module: (*module).to_owned(),
                    file: (*module).to_owned(),
                    text: (*text).to_owned(),
                })
                .collect(),
        )
    }

    fn from(sources: Vec<Source>) -> Self {
        let borrowed: Vec<(&str, &str)> = sources
            .iter()
            .map(|source| (source.module.as_str(), source.text.as_str()))
            .collect();
        let graph = Graph::from_sources(&borrowed);
        let files = sources
            .into_iter()
            .map(|source| {
                let facts = Facts::read(&source.text);
                (source, facts)
            })
            .collect();
        Self { files, graph }
    }

    /// `file:line` for each line of `lines` in each file.
    fn places(&self, lines: impl Fn(&Facts) -> &[usize]) -> Vec<String> {
        self.files
            .iter()
            .flat_map(|(source, facts)| {
                lines(facts)
                    .iter()
                    .map(move |line| format!("{}:{line}", source.file))
            })
            .collect()
    }
}

/// Circles, modules in no layer, and uses of a layer above.
pub(crate) fn layers(graph: &Graph, layers: &[Layer]) -> Vec<String> {
    let mut problems = Vec::new();
    for circle in graph.circles() {
        problems.push(format!(
            "a circle: {} use each other ({})",
            circle.join(", "),
            graph.explain(&circle)
        ));
    }
    let layer_of = |module: &str| layers.iter().position(|(_, names)| names.contains(&module));
    for top in graph.children_of("") {
        if layer_of(&top).is_none() {
            problems.push(format!("the module {top} is in no layer: add it to LAYERS"));
        }
    }
    for ((from, to), because) in graph.edges_between_children("") {
        if let (Some(from_layer), Some(to_layer)) = (layer_of(&from), layer_of(&to))
            && to_layer < from_layer
        {
            problems.push(format!(
                "{from} ({}) uses {to}, a layer above it ({}): {because}",
                layers[from_layer].0, layers[to_layer].0
            ));
        }
    }
    problems
}

/// Functions longer than `most` lines whose comments do not say why they
/// cannot be split.
pub(crate) fn long_functions(krate: &Crate, most: usize) -> Vec<String> {
    let mut long: Vec<(usize, String)> = krate
        .files
        .iter()
        .flat_map(|(source, facts)| {
            facts
                .functions
                .iter()
                .filter(|function| function.lines > most && !function.says_why)
                .map(|function| {
                    (
                        function.lines,
                        format!(
                            "{} ({}:{}) is {} lines, over {most}: split it into named steps, \
                             or say in a comment why it {WHY_LONG}",
                            function.name, source.file, function.line, function.lines
                        ),
                    )
                })
        })
        .collect();
    long.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
    long.into_iter().map(|(_, problem)| problem).collect()
}

/// `Result<_, String>`: an error that says nothing a caller can match on.
pub(crate) fn string_errors(krate: &Crate) -> Vec<String> {
    krate
        .places(|facts| &facts.string_errors)
        .into_iter()
        .map(|place| {
            format!(
                "{place}: a Result<_, String>: give the error a type (thiserror) or use one there is"
            )
        })
        .collect()
}

/// Files that build HTTP responses, other than `allowed`.
pub(crate) fn response_builders(krate: &Crate, allowed: &str) -> Vec<String> {
    krate
        .files
        .iter()
        .filter(|(source, facts)| !facts.responses.is_empty() && source.module != allowed)
        .map(|(source, facts)| {
            format!(
                "{} builds an HTTP response (line {}): use the crate's `{allowed}` module, \
                 or add the shape there",
                source.file, facts.responses[0]
            )
        })
        .collect()
}

/// More than one `killpg` in the crate's code.
pub(crate) fn killpgs(krate: &Crate) -> Vec<String> {
    let places = krate.places(|facts| &facts.killpg);
    if places.len() <= 1 {
        return Vec::new();
    }
    vec![format!(
        "killpg is written {} times ({}): signal process groups in one place",
        places.len(),
        places.join(", ")
    )]
}

/// Uses of an item `room` defines, from inside one of its children: the
/// room's files call down to each other, never up into it.
pub(crate) fn calls_up_into(krate: &Crate, room: &str) -> Vec<String> {
    let prefix = format!("{room}::");
    krate
        .graph
        .modules
        .keys()
        .filter(|module| module.starts_with(&prefix))
        .filter_map(|module| {
            let path = krate.graph.uses_of(module)?.get(room)?;
            Some(format!(
                "{module} writes {path}, an item of its parent {room}: move it down into a child both can use"
            ))
        })
        .collect()
}

/// Type names defined more than once, but the deliberate twins of `twins`.
pub(crate) fn shared_type_names(krate: &Crate, twins: &[Twin]) -> Vec<String> {
    let mut defined: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for (source, facts) in &krate.files {
        for (name, line) in &facts.types {
            defined
                .entry(name.as_str())
                .or_default()
                .push(format!("{}:{line}", source.file));
        }
    }
    let mut problems = Vec::new();
    for (name, places) in defined.iter().filter(|(_, places)| places.len() > 1) {
        let twin = twins.iter().find(|(twin, _, _)| twin == name);
        let modules_of_twin = |(_, modules, _): &&Twin| {
            krate
                .files
                .iter()
                .filter(|(_, facts)| facts.types.iter().any(|(defined, _)| defined == name))
                .all(|(source, _)| modules.contains(&source.module.as_str()))
        };
        if !twin.is_some_and(|twin| modules_of_twin(&twin)) {
            problems.push(format!(
                "the type name {name} is defined {} times ({}): rename one, or list them in TWINS \
                 with why they are one concept",
                places.len(),
                places.join(", ")
            ));
        }
    }
    for (name, _, _) in twins {
        if defined.get(name).is_none_or(|places| places.len() < 2) {
            problems.push(format!(
                "TWINS lists {name}, which is no longer defined twice: remove it from the list"
            ));
        }
    }
    problems
}
