//! The crate's shape, read from its source (`checker/src`, from `lib.rs` and
//! `main.rs` down their `mod` declarations, the emulator's internals
//! included, test-only code left out: `#[cfg(test)]` items and the modules
//! they declare). Every `use` and every path in the code (`super::x`,
//! `crate::a::b`, `checker::c`, `child::f`) is followed to the module that
//! defines the item, through re-exports (`graph`, `source`); what else a
//! file holds (its functions, its types, a few constructs) is read in
//! `facts`.
//!
//! The rules, each a test below:
//! - No circles: at every level of the module tree, no two children of one
//!   module use each other, directly or through others, counting everything
//!   inside each of them (so `a::x -> b -> a::y` is a circle between `a` and
//!   `b`). A module and its own descendants are one unit: a child using its
//!   parent's types is not a circle.
//! - Layers: a top-level module uses only modules of its own layer or of the
//!   layers below it ([`LAYERS`]).
//! - Rooms that call down: the files of [`ROOMS`] use nothing their parent
//!   defines (no `super::route_message` from the gateway's children).
//! - Short functions: none over [`MAX_FUNCTION_LINES`] lines without a
//!   comment saying why it cannot be split.
//! - Errors are types: no `Result<_, String>`.
//! - One of each: one module builds HTTP responses ([`RESPONSES`]); one
//!   `killpg`. (`checker/testkit`, the tests' support crate, keeps a
//!   `killpg` of its own for the browser it starts; it is not product code
//!   and is not read here.)
//! - One meaning per type name: no type name is defined twice, but the
//!   deliberate twins of [`TWINS`], each with its reason.
//!
//! `cargo test -p checker --test shape -- --ignored --nocapture module_graph`
//! prints the module graph (`SHAPE_UNDER=emulator` for one subtree).

mod facts;
mod graph;
mod rules;
mod source;

use std::path::Path;

use graph::Graph;
use rules::{Crate, Layer, Twin};

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
    (
        "what the checker's HTTP answers are made of: their shapes, API Gateway's ids",
        &["response", "ids"],
    ),
];

/// Modules whose children call down to each other, never up into them.
const ROOMS: &[&str] = &["emulator::gateway"];

/// The longest a function may be without a comment saying why it cannot be split.
const MAX_FUNCTION_LINES: usize = 80;

/// The one module that builds HTTP responses.
const RESPONSES: &str = "response";

/// Type names defined in more than one module on purpose.
const TWINS: &[Twin] = &[
    (
        "Table",
        &["stack::tables", "emulator::dynamodb::tables"],
        "one DynamoDB table: as the stack file declares it, and as the emulator keeps it with its items",
    ),
    (
        "Socket",
        &["emulator::gateway::socket", "emulator::console::feed"],
        "one type, a WebSocket over an upgraded HTTP connection, named where each room uses it",
    ),
];

fn the_crate() -> Crate {
    Crate::read(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"))
}

fn assert_none(problems: Vec<String>) {
    assert!(problems.is_empty(), "\n{}\n", problems.join("\n"));
}

#[test]
fn modules_form_layers_without_circles() {
    assert_none(rules::layers(&the_crate().graph, LAYERS));
}

#[test]
fn rooms_call_down_never_up() {
    let krate = the_crate();
    assert_none(
        ROOMS
            .iter()
            .flat_map(|room| rules::calls_up_into(&krate, room))
            .collect(),
    );
}

#[test]
fn functions_are_short_or_say_why() {
    assert_none(rules::long_functions(&the_crate(), MAX_FUNCTION_LINES));
}

#[test]
fn errors_are_types() {
    assert_none(rules::string_errors(&the_crate()));
}

#[test]
fn one_module_builds_http_responses() {
    assert_none(rules::response_builders(&the_crate(), RESPONSES));
}

#[test]
fn one_killpg() {
    let krate = the_crate();
    assert_none(rules::killpgs(&krate));
    assert!(
        krate
            .files
            .iter()
            .any(|(_, facts)| !facts.killpg.is_empty()),
        "no killpg read: a Lambda's process group is signalled somewhere"
    );
}

#[test]
fn type_names_say_one_thing() {
    assert_none(rules::shared_type_names(&the_crate(), TWINS));
}

/// The module graph, for a maintainer: each module, its children, what it uses.
#[test]
#[ignore = "prints the module graph on demand"]
fn module_graph() {
    let krate = the_crate();
    let under = std::env::var("SHAPE_UNDER").unwrap_or_default();
    for module in krate.graph.modules.keys() {
        if !(module.starts_with(&under)) {
            continue;
        }
        let children = krate.graph.children_of(module);
        let uses: Vec<&String> = krate
            .graph
            .uses_of(module)
            .map(|uses| {
                uses.keys()
                    .filter(|used| !children.contains(used))
                    .collect()
            })
            .unwrap_or_default();
        let name = if module.is_empty() { "crate" } else { module };
        println!("{name}");
        if !children.is_empty() {
            println!("    mod {}", children.join(", "));
        }
        for used in uses {
            println!("    -> {}", if used.is_empty() { "crate" } else { used });
        }
    }
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
    let found = rules::layers(&circle, &[("all", &["a", "b"])]);
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
    let found = rules::layers(&upward, layers);
    assert_eq!(found.len(), 2, "{found:?}");
    assert!(found[0].contains("c (bottom) uses high"), "{found:?}");
    assert!(found[1].contains("low (bottom) uses high"), "{found:?}");
}

/// The rules of one file's code catch what they are for, and only that.
#[test]
fn long_functions_string_errors_killpgs_responses_calls_up_and_twins_are_named() {
    let long_body = "    let _ = 1;\n".repeat(85);
    let long = format!("fn long() {{\n{long_body}}}\n");
    let excused = format!(
        "// One match over every case: it cannot be split.\nfn excused() {{\n{long_body}}}\n"
    );
    let room = format!(
        "mod child; pub(crate) fn route_message() {{}} pub struct Table; {long}{excused}\
         fn f() -> Result<(), String> {{ Ok(()) }}\n\
         fn g() -> Result<Vec<String>, Error> {{ todo!() }}\n\
         #[cfg(test)] mod tests {{ fn t() -> Result<(), String> {{ Ok(()) }} }}"
    );
    let krate = Crate::from_sources(&[
        ("", "mod room; mod other; mod response;"),
        ("room", &room),
        (
            "room::child",
            "fn call() { super::route_message(); unsafe { libc::killpg(1, 9) }; }",
        ),
        (
            "other",
            "pub struct Table; struct Next; fn h() { libc::killpg(2, 9); \
             let _ = hyper::Response::builder(); }",
        ),
        ("response", "struct Next; fn r() { Response::new(()) }"),
    ]);

    let long = rules::long_functions(&krate, MAX_FUNCTION_LINES);
    assert_eq!(long.len(), 1, "{long:?}");
    assert!(long[0].starts_with("long (room:1) is 87 lines"), "{long:?}");

    let errors = rules::string_errors(&krate);
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(errors[0].starts_with("room:"), "{errors:?}");

    let killpgs = rules::killpgs(&krate);
    assert!(
        killpgs[0].starts_with("killpg is written 2 times"),
        "{killpgs:?}"
    );

    let responses = rules::response_builders(&krate, "response");
    assert_eq!(responses.len(), 1, "{responses:?}");
    assert!(
        responses[0].starts_with("other builds an HTTP response"),
        "{responses:?}"
    );

    let up = rules::calls_up_into(&krate, "room");
    assert_eq!(up.len(), 1, "{up:?}");
    assert!(up[0].starts_with("room::child writes"), "{up:?}");

    let twins: &[Twin] = &[("Table", &["room", "other"], "one concept")];
    let names = rules::shared_type_names(&krate, twins);
    assert_eq!(names.len(), 1, "{names:?}");
    assert!(
        names[0].starts_with("the type name Next is defined 2 times"),
        "{names:?}"
    );
    let stale: &[Twin] = &[("Gone", &["room"], "")];
    let names = rules::shared_type_names(&krate, stale);
    assert!(
        names
            .iter()
            .any(|problem| problem.starts_with("TWINS lists Gone")),
        "{names:?}"
    );
}
