//! The learner's path, on a scratch copy of the repository: the first run
//! fails 01 with its hint; applying solutions moves on; `reset` brings the
//! stubs back byte for byte.

use std::path::Path;
use std::process::Command;

use crate::support;

/// A scratch copy: the workspace without `target/` or `.git`.
fn copy_tree(from: &Path, to: &Path) {
    for entry in support::walk(from) {
        let target = to.join(entry.path().strip_prefix(from).unwrap());
        if entry.file_type().is_dir() {
            std::fs::create_dir_all(&target).unwrap();
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// Runs the checker from inside the scratch copy, as a learner does: this
/// binary was built in another clone, and must grade the one it is run in.
/// Its own target folder keeps the real repository's binaries out of reach.
fn checker(dir: &Path, target_dir: &Path, args: &[&str]) -> (bool, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_checker"))
        .args(args)
        .current_dir(dir)
        .env_remove("CHECKER_ROOT")
        .env("CARGO_TARGET_DIR", target_dir)
        .output()
        .expect("checker runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.success(), text)
}

#[test]
fn from_a_fresh_copy_to_both_exercises_passing_and_back() {
    // Fixed places under the target folder, so later runs build incrementally.
    let scratch = Path::new(env!("CARGO_TARGET_TMPDIR")).join("learner-flow");
    let root = scratch.join("repo");
    let target_dir = scratch.join("target");
    let _ = std::fs::remove_dir_all(&root);
    copy_tree(&support::root(), &root);
    let shipped: Vec<_> = ["01-connect", "02-there-and-back-again"]
        .iter()
        .map(|name| support::files(&root.join("exercises").join(name)))
        .collect();

    let (ok, text) = checker(&root, &target_dir, &[]);
    assert!(!ok, "{text}");
    assert!(text.contains("✗ fail  01-connect"), "{text}");
    assert!(text.contains("Hint"), "{text}");
    assert!(text.contains("Progress: 0/"), "{text}");
    assert!(!text.contains("Workshop:"), "graded where it runs: {text}");

    // From a folder inside the copy: the copy is found and named.
    let inside = root.join("exercises/01-connect/src");
    let (ok, text) = checker(&inside, &target_dir, &["check", "01"]);
    assert!(!ok, "{text}");
    assert!(text.contains("✗ fail  01-connect"), "{text}");
    assert!(
        text.contains(&format!("Workshop: {}", root.display())),
        "{text}"
    );
    // Outside any workshop: no guessing, a message that says what to do.
    let outside = tempfile::tempdir().unwrap();
    let (ok, text) = checker(outside.path(), &target_dir, &["check", "01"]);
    assert!(!ok, "{text}");
    assert!(text.contains("is not inside the workshop"), "{text}");

    assert!(checker(&root, &target_dir, &["solution", "01", "--apply"]).0);
    let (ok, text) = checker(&root, &target_dir, &[]);
    assert!(!ok, "{text}");
    assert!(text.contains("✓ pass  01-connect"), "{text}");
    assert!(text.contains("✗ fail  02-there-and-back-again"), "{text}");

    assert!(checker(&root, &target_dir, &["solution", "02", "--apply"]).0);
    let (ok, text) = checker(&root, &target_dir, &["check", "01", "02"]);
    assert!(ok, "{text}");
    assert!(text.contains("✓ pass  02-there-and-back-again"), "{text}");

    for (name, files) in ["01-connect", "02-there-and-back-again"]
        .iter()
        .zip(&shipped)
    {
        assert!(checker(&root, &target_dir, &["reset", name]).0);
        assert_eq!(
            &support::files(&root.join("exercises").join(name)),
            files,
            "{name} is back as shipped"
        );
    }

    watch_checks_again_after_an_edit(&root, &target_dir);
}

/// `watch` reports 01 failing, then passing once the solution's files land.
fn watch_checks_again_after_an_edit(root: &Path, target_dir: &Path) {
    use std::io::{BufRead, BufReader};
    let mut watch = Command::new(env!("CARGO_BIN_EXE_checker"))
        .arg("watch")
        .current_dir(root)
        .env_remove("CHECKER_ROOT")
        .env("CARGO_TARGET_DIR", target_dir)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("checker watch starts");
    // A watchdog: if the expected lines never come, end `watch` so the test fails instead of hanging.
    let pid = watch.id().to_string();
    let finished = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let watchdog_finished = finished.clone();
    std::thread::spawn(move || {
        // Generous: on a loaded 2-core machine the first check rebuilds both stubs.
        std::thread::sleep(std::time::Duration::from_secs(600));
        if !watchdog_finished.load(std::sync::atomic::Ordering::SeqCst) {
            let _ = Command::new("kill").arg(&pid).status();
        }
    });
    let mut lines = BufReader::new(watch.stdout.take().unwrap()).lines();
    let mut next_line_containing = |text: &str| {
        lines
            .by_ref()
            .map(Result::unwrap)
            .find(|line| line.contains(text))
            .unwrap_or_else(|| panic!("watch ended before printing {text:?}"))
    };
    assert!(next_line_containing("01-connect (Connect)").contains("✗ fail"));
    next_line_containing("Watching");
    let solution = support::root().join("solutions/01-connect");
    for file in ["serverless.yml", "src/on-connect.rs"] {
        std::fs::copy(
            solution.join(file),
            root.join("exercises/01-connect").join(file),
        )
        .unwrap();
    }
    assert!(next_line_containing("01-connect (Connect)").contains("✓ pass"));
    watch.kill().unwrap();
    watch.wait().unwrap();
    finished.store(true, std::sync::atomic::Ordering::SeqCst);
}
