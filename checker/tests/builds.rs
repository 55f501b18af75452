//! One build of every dependency: the crates that `cargo run -p checker`
//! compiles are the very units the checker's own `cargo build --workspace`
//! of the exercises' Lambdas uses, and `cargo test --workspace` too, so no
//! crate is compiled twice, once per feature set.
//!
//! Cargo resolves features per invocation: `-p checker` sees only the
//! checker's dependencies, `--workspace` every member's, `cargo test` the
//! dev-dependencies as well. A crate whose features differ between two
//! invocations is a different unit in each, and so is every crate above it.
//! `cargo tree` prints the resolved graph of each invocation, one node per
//! (crate, version, features), for the target and for the host (proc-macros
//! and build scripts): each node of the checker's build must be a node of the
//! workspace's, and the workspace's build and test builds must agree on every
//! crate they share. `checker/workspace-hack/Cargo.toml` is where a missing
//! feature goes.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::Command;

/// A crate as one invocation of cargo compiles it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Unit {
    name: String,
    version: String,
    /// For proc-macros and build scripts (and their dependencies).
    host: bool,
    features: BTreeSet<String>,
}

impl Unit {
    fn key(&self) -> (&str, &str, bool) {
        (&self.name, &self.version, self.host)
    }
}

/// Every unit `cargo tree` resolves with `args` (normal and build
/// dependencies, plus whatever edges `args` adds).
fn units(args: &[&str]) -> BTreeSet<Unit> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let output = Command::new(cargo)
        .current_dir(&root)
        .args(["tree", "--locked", "--charset", "ascii", "-f", "{p} [{f}]"])
        .args(args)
        .output()
        .expect("cargo runs");
    let text = String::from_utf8(output.stdout).expect("cargo tree prints UTF-8");
    assert!(
        output.status.success(),
        "cargo tree {args:?} failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    parse_tree(&text)
}

/// Reads `cargo tree --charset ascii -f '{p} [{f}]'`: each line is indented
/// four columns per level; `[build-dependencies]` heads its parent's build
/// dependencies, which are compiled for the host, as proc-macros are and all
/// they depend on.
fn parse_tree(text: &str) -> BTreeSet<Unit> {
    let mut units = BTreeSet::new();
    // Per level of the current path: whether the node is built for the host,
    // and whether the children being listed are build dependencies.
    let mut host: Vec<bool> = Vec::new();
    let mut building: Vec<bool> = Vec::new();
    for line in text.lines() {
        if line.trim().is_empty() {
            // A new root (one tree per workspace member).
            host.clear();
            building.clear();
            continue;
        }
        let start = line
            .find(|c: char| !matches!(c, ' ' | '|' | '`' | '-'))
            .expect("a line of cargo tree holds a node or a heading");
        let (indent, node) = line.split_at(start);
        let level = indent.len() / 4;
        if node.starts_with('[') {
            // `[build-dependencies]` or `[dev-dependencies]`, for the node at `level`.
            building.truncate(level);
            building.resize(level, false);
            building.push(node.starts_with("[build-dependencies]"));
            continue;
        }
        let (head, features) = node
            .split_once(" [")
            .unwrap_or_else(|| panic!("no features in {line:?}"));
        let features = features
            .split(']')
            .next()
            .unwrap_or_default()
            .split(',')
            .filter(|feature| !feature.is_empty())
            .map(str::to_owned)
            .collect();
        let mut words = head.split(' ');
        let name = words.next().unwrap_or_default().to_owned();
        let version = words.next().unwrap_or_default().to_owned();
        let proc_macro = head.contains("(proc-macro)");
        let parent = level.checked_sub(1);
        let under_host = parent.is_some_and(|parent| {
            host.get(parent).copied().unwrap_or(false)
                || building.get(parent).copied().unwrap_or(false)
        });
        host.truncate(level);
        host.push(under_host || proc_macro);
        building.truncate(level + 1);
        building.resize(level + 1, false);
        building[level] = false;
        units.insert(Unit {
            name,
            version,
            host: under_host || proc_macro,
            features,
        });
    }
    units
}

/// The units of `one` that `other` does not build as they are, each with
/// what `other` builds of that crate instead, as a line to read.
fn differences(one: &BTreeSet<Unit>, other: &BTreeSet<Unit>) -> Vec<String> {
    let mut by_crate: BTreeMap<(&str, &str, bool), Vec<&Unit>> = BTreeMap::new();
    for unit in other {
        by_crate.entry(unit.key()).or_default().push(unit);
    }
    one.iter()
        .filter(|unit| !other.contains(unit))
        .filter_map(|unit| {
            let theirs = by_crate.get(&unit.key())?;
            let missing: BTreeSet<&String> = theirs
                .iter()
                .flat_map(|theirs| theirs.features.difference(&unit.features))
                .collect();
            let place = if unit.host {
                "[build-dependencies]"
            } else {
                "[dependencies]"
            };
            Some(format!(
                "{} {} ({}): built with {:?} here, with {:?} there; add to checker/workspace-hack {place}: {missing:?}",
                unit.name,
                unit.version,
                if unit.host { "host" } else { "target" },
                unit.features,
                theirs.iter().map(|unit| &unit.features).collect::<Vec<_>>(),
            ))
        })
        .collect()
}

#[test]
fn the_checker_and_the_lambdas_share_every_dependency() {
    let checker = units(&["-p", "checker", "-e", "normal,build"]);
    let workspace = units(&["--workspace", "-e", "normal,build"]);
    assert!(
        checker.iter().any(|unit| unit.name == "tokio")
            && workspace.iter().any(|unit| unit.name == "aws-sdk-dynamodb"),
        "the trees were read: {} and {} units",
        checker.len(),
        workspace.len()
    );
    // Every crate of the checker's build, as the build of the Lambdas has it.
    let apart = differences(&checker, &workspace);
    assert!(
        apart.is_empty(),
        "`cargo run -p checker` and the checker's `cargo build --workspace` of the Lambdas build these crates differently, so both get compiled:\n{}",
        apart.join("\n")
    );
}

#[test]
fn the_tests_share_every_dependency_with_the_builds() {
    let build = units(&["--workspace", "-e", "normal,build"]);
    let test = units(&["--workspace", "-e", "normal,build,dev"]);
    // Both ways: a crate both build must be one unit.
    let mut apart = differences(&build, &test);
    apart.extend(differences(&test, &build));
    assert!(
        apart.is_empty(),
        "`cargo test --workspace` and `cargo build --workspace` build these crates differently, so CI compiles them twice:\n{}",
        apart.join("\n")
    );
}

#[test]
fn reads_host_and_target_units_from_cargo_tree() {
    let tree = "\
checker v0.1.0 (/w/checker) []
|-- chrono v0.4.45 [clock,std]
|   `-- num-traits v0.2.19 [std]
|       [build-dependencies]
|       `-- autocfg v1.5.1 []
|-- clap v4.6.9 [derive]
|   `-- clap_derive v4.6.9 (proc-macro) [default]
|       `-- syn v2.0.119 [full]
`-- syn v2.0.119 [parsing]

ex01 v0.1.0 (/w/ex01) []
`-- tokio v1.0.0 [rt]
";
    let units: Vec<(String, bool, Vec<String>)> = parse_tree(tree)
        .into_iter()
        .map(|unit| (unit.name, unit.host, unit.features.into_iter().collect()))
        .collect();
    let unit = |name: &str, host: bool, features: &[&str]| {
        (
            name.to_owned(),
            host,
            features.iter().map(|f| (*f).to_owned()).collect::<Vec<_>>(),
        )
    };
    assert_eq!(
        units,
        vec![
            unit("autocfg", true, &[]),
            unit("checker", false, &[]),
            unit("chrono", false, &["clock", "std"]),
            unit("clap", false, &["derive"]),
            unit("clap_derive", true, &["default"]),
            unit("ex01", false, &[]),
            unit("num-traits", false, &["std"]),
            unit("syn", false, &["parsing"]),
            unit("syn", true, &["full"]),
            unit("tokio", false, &["rt"]),
        ]
    );
}

/// A check whose cargo waits for the build folder's lock (held here, as an
/// editor's `cargo check` or a second checker would hold it) says why, even
/// outside a terminal, and goes on once the lock is free.
#[cfg(unix)]
#[test]
fn a_check_blocked_on_the_build_folders_lock_says_why() {
    use std::io::{BufRead, BufReader};
    use std::process::Stdio;
    use std::sync::mpsc;
    use std::time::Duration;

    let checker = Path::new(env!("CARGO_BIN_EXE_checker"));
    // The profile's folder (target/debug), where cargo keeps its lock.
    let lock_path = checker
        .parent()
        .expect("the checker is built in a profile's folder")
        .join(".cargo-lock");
    let lock = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock_path)
        .expect("cargo's lock file opens");
    lock.lock().expect("the lock is taken");

    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut child = Command::new(checker)
        .args(["check", "01"])
        .current_dir(&root)
        .env("CHECKER_BUILD_AHEAD", "0")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the checker runs");
    let stderr = child.stderr.take().expect("stderr is piped");
    let (lines, seen) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if lines.send(line).is_err() {
                break;
            }
        }
    });
    let mut said = Vec::new();
    let waiting = loop {
        match seen.recv_timeout(Duration::from_secs(120)) {
            Ok(line) if line.contains("waiting for another cargo") => break Some(line),
            Ok(line) => said.push(line),
            Err(_) => break None,
        }
    };
    // Freed: the check goes on to its verdict (01's stub fails).
    lock.unlock().expect("the lock is released");
    let status = child.wait().expect("the checker ends");
    let waiting = waiting.unwrap_or_else(|| {
        panic!(
            "the check never said why it waited; it said:\n{}",
            said.join("\n")
        )
    });
    assert!(waiting.contains("your editor"), "{waiting}");
    assert!(
        status.code().is_some(),
        "the checker ended by itself after the lock was freed: {status}"
    );
}
