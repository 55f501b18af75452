//! The crate's modules form layers without circles. This test reads the
//! source (`checker/src`, from `lib.rs` and `main.rs` down their `mod`
//! declarations, the emulator's internals included, test-only code left
//! out) and finds which module uses which: every `use` and every path in the
//! code (`super::x`, `crate::a::b`, `checker::c`, `child::f`) is followed to
//! the module that defines the item, through re-exports (`graph`, `source`).
//!
//! Two rules hold:
//! - No circles: at every level of the module tree, no two children of one
//!   module use each other, directly or through others, counting everything
//!   inside each of them (so `a::x -> b -> a::y` is a circle between `a` and
//!   `b`). A module and its own descendants are one unit: a child using its
//!   parent's types is not a circle.
//! - Layers: a top-level module uses only modules of its own layer or of the
//!   layers below it ([`LAYERS`]).

mod graph;
mod source;

use std::path::Path;

use graph::Graph;

/// A layer: what it is for, and its top-level modules.
type Layer = (&'static str, &'static [&'static str]);

/// The layers, top first. A module may use modules of its own layer and of
/// the layers below; `main` is the binary (`main.rs` and `cli/`).
const LAYERS: &[Layer] = &[
    ("the command line: parses arguments and prints", &["main"]),
    ("what the learner reads", &["report"]),
    (
        "the workshop's journeys: grading, comparing, deploying, the class",
        &["grade", "compare", "deploy", "class"],
    ),
    (
        "the workshop: exercises, progress, hints, their files",
        &["workshop"],
    ),
    (
        "driving a stack: the exercises' scenarios, sessions of clients, starting a stack",
        &["scenarios", "session", "launch"],
    ),
    ("the emulator and the build", &["emulator", "cargo_build"]),
    ("the stack file", &["stack"]),
];

#[test]
fn modules_form_layers_without_circles() {
    let graph = Graph::read(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"));
    let problems = problems(&graph, LAYERS);
    assert!(problems.is_empty(), "\n{}\n", problems.join("\n"));
}

/// Every breach of the two rules in `graph`, each in a sentence that names
/// the use that makes it.
fn problems(graph: &Graph, layers: &[Layer]) -> Vec<String> {
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

/// The reading sees the crate's modules and the uses between them.
#[test]
fn the_reading_finds_the_crates_modules_and_uses() {
    let graph = Graph::read(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"));
    for module in [
        "main::cli",
        "grade",
        "stack",
        "emulator",
        "emulator::gateway",
    ] {
        assert!(graph.modules.contains_key(module), "{module} not read");
    }
    let edges = graph.edges_between_children("");
    for (from, to) in [
        ("main", "grade"),
        ("grade", "launch"),
        ("emulator", "stack"),
    ] {
        assert!(
            edges.contains_key(&(from.to_owned(), to.to_owned())),
            "{from} -> {to} not seen: {:?}",
            edges.keys()
        );
    }
}

/// The rules catch what they are for, on small made-up crates.
#[test]
fn circles_and_uses_of_a_higher_layer_are_named() {
    // `a::x -> b -> a`: a circle between `a` and `b`, through a function path.
    let circle = Graph::from_sources(&[
        ("", "mod a; mod b;"),
        ("a", "mod x; pub struct A;"),
        ("a::x", "use crate::b::B;"),
        ("b", "pub struct B; fn f() { super::a::A; }"),
    ]);
    assert_eq!(circle.circles(), vec![vec!["a".to_owned(), "b".to_owned()]]);
    let found = problems(&circle, &[("all", &["a", "b"])]);
    assert!(
        found[0].starts_with("a circle: a, b use each other"),
        "{found:?}"
    );

    // `low` uses `high` through a re-export in `c`; comments, strings and
    // test-only items are not code.
    let upward = Graph::from_sources(&[
        ("", "mod high; mod low; mod c;"),
        ("high", "pub struct H;"),
        ("c", "pub use crate::high::H;"),
        (
            "low",
            "use crate::c::H; // crate::high::x \n fn g() { let _ = \"crate::c::y\"; let _ = '\"'; }\n\
             #[cfg(test)] mod tests { use crate::high::H; }",
        ),
    ]);
    let edges = upward.edges_between_children("");
    assert!(edges.contains_key(&("low".to_owned(), "high".to_owned())));
    assert!(!edges.contains_key(&("low".to_owned(), "c".to_owned())));
    let layers: &[Layer] = &[("top", &["high"]), ("bottom", &["low", "c"])];
    let found = problems(&upward, layers);
    assert_eq!(found.len(), 2, "{found:?}");
    assert!(found[0].contains("c (bottom) uses high"), "{found:?}");
    assert!(found[1].contains("low (bottom) uses high"), "{found:?}");
}
