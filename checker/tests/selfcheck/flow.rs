//! The learner's path, on a scratch copy of the repository: every failing
//! run shows the hint's nudge only, `hint` the next stages; applying
//! solutions moves on, and progress is kept across runs; a
//! forgotten `.await`, an echo returned on a one-way route, a mis-indented
//! `events:` and a route that matches only in case are reported with their
//! cause; `reset` and `solution --apply` keep what they replace, and `reset`
//! brings the stubs back byte for byte, `restore` what they kept; files
//! restored with older times are rebuilt; `watch` checks again on each save
//! (printed through a pipe here, drawn as a screen in `screen`).

use std::path::Path;
use std::process::Command;

use crate::support;

/// A scratch copy: the workspace without `target/`, `.git` or installed tools.
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

/// A fresh clone of the workshop at `to`: the repository copied, its
/// exercises as shipped (the stub store's), whatever this clone's hold.
pub fn fresh_copy(to: &Path) {
    let _ = std::fs::remove_dir_all(to);
    let from = support::root();
    copy_tree(&from, to);
    for exercise in support::workshop().exercises {
        let exercise_dir = to.join("exercises").join(&exercise.name);
        std::fs::remove_dir_all(&exercise_dir).unwrap();
        copy_tree(
            &from.join("checker/stubs").join(&exercise.name),
            &exercise_dir,
        );
    }
}

/// Runs the checker from inside the scratch copy, as a learner does: this
/// binary was built in another clone, and must grade the one it is run in.
/// Its own target folder keeps the real repository's binaries out of reach.
pub fn checker(dir: &Path, target_dir: &Path, args: &[&str]) -> (bool, String) {
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
    let (_one_at_a_time, target_dir) = support::learners_target();
    let scratch = Path::new(env!("CARGO_TARGET_TMPDIR")).join("learner-flow");
    let root = scratch.join("repo");
    fresh_copy(&root);
    let touched = ["01-connect", "02-there-and-back-again", "05-chat-rooms"];
    let shipped: Vec<_> = touched
        .iter()
        .map(|name| support::files(&root.join("exercises").join(name)))
        .collect();

    // Every failing run shows the nudge only; the next stages, and above all
    // the code, come when asked for with `hint`.
    let code = "- websocket: $connect";
    assert!(support::exercise("01").hints[2].contains(code));
    let (ok, text) = checker(&root, &target_dir, &[]);
    assert!(!ok, "{text}");
    assert!(text.contains("✗ fail  01-connect"), "{text}");
    assert!(text.contains("Hint (1 of 3)"), "{text}");
    assert!(text.contains("Progress: 0/"), "{text}");
    assert!(!text.contains("Workshop:"), "graded where it runs: {text}");
    readme_example_is_what_the_checker_prints(&text);
    for _ in 0..2 {
        let (_, text) = checker(&root, &target_dir, &[]);
        assert!(text.contains("Hint (1 of 3)"), "{text}");
        assert!(text.contains("Hint 2 of 3, when you want it"), "{text}");
        assert!(!text.contains(code), "the third run shows no code: {text}");
    }
    let (ok, text) = checker(&root, &target_dir, &["hint", "01"]);
    assert!(
        ok && text.contains("Hint 2 of 3") && !text.contains(code),
        "{text}"
    );
    let (_, text) = checker(&root, &target_dir, &["check", "01"]);
    assert!(text.contains("Hint 3 of 3, when you want it"), "{text}");
    assert!(!text.contains(code), "{text}");
    let (ok, text) = checker(&root, &target_dir, &["hint", "01"]);
    assert!(
        ok && text.contains("Hint 3 of 3") && text.contains(code),
        "{text}"
    );
    let (_, text) = checker(&root, &target_dir, &["check", "01"]);
    assert!(text.contains("You have seen all 3 hints"), "{text}");
    assert!(!text.contains(code), "{text}");
    let (ok, text) = checker(&root, &target_dir, &["hint", "01", "--all"]);
    assert!(
        ok && text.contains("Hint 1 of 3") && text.contains("Hint 3 of 3"),
        "{text}"
    );

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

    // `solution --apply` keeps the stub it replaces.
    let stub = std::fs::read(root.join("exercises/01-connect/src/on-connect.rs")).unwrap();
    let (ok, text) = checker(&root, &target_dir, &["solution", "01", "--apply"]);
    assert!(ok, "{text}");
    let kept = kept_folder(&root, &text);
    assert!(
        std::fs::read(kept.join("src/on-connect.rs")).unwrap() == stub,
        "the stub is kept: {text}"
    );
    let (ok, text) = checker(&root, &target_dir, &[]);
    assert!(!ok, "{text}");
    assert!(text.contains("✓ pass  01-connect"), "{text}");
    assert!(text.contains("✗ fail  02-there-and-back-again"), "{text}");
    // Progress is kept: 01 is not checked again while its files are unchanged.
    let (_, text) = checker(&root, &target_dir, &[]);
    assert!(text.contains("✓ done  01-connect"), "{text}");
    assert!(!text.contains("Checking 01-connect"), "{text}");
    assert!(text.contains("Progress: 1/6 done"), "{text}");

    // A post that is never awaited: rustc's warning heads the report.
    let echo = root.join("exercises/02-there-and-back-again");
    std::fs::copy(
        support::root().join("solutions/02-there-and-back-again/serverless.yml"),
        echo.join("serverless.yml"),
    )
    .unwrap();
    let solution = std::fs::read_to_string(
        support::root().join("solutions/02-there-and-back-again/src/on-message.rs"),
    )
    .unwrap();
    let no_await = solution.replacen(".send()\n        .await?;", ".send();", 1);
    assert_ne!(no_await, solution, "the solution awaits its post");
    std::fs::write(echo.join("src/on-message.rs"), no_await).unwrap();
    let (ok, text) = checker(&root, &target_dir, &["check", "02"]);
    assert!(!ok, "{text}");
    assert!(text.contains("The compiler warns"), "{text}");
    assert!(
        text.contains("futures do nothing unless you `.await`"),
        "{text}"
    );
    assert!(
        text.find("The compiler warns") < text.find("Expected (-) and received (+)"),
        "the warning comes above the diff: {text}"
    );

    // The echo returned instead of posted: on a one-way route API Gateway
    // drops it, and the report says so and what to call instead.
    let returned = solution
        .replacen(
            "    client\n        .post_to_connection()\n        .connection_id(connection_id)\n        .data(Blob::new(body))\n        .send()\n        .await?;\n",
            "    let _ = (client, connection_id, Blob::new(\"\"));\n",
            1,
        )
        .replacen(
            "response.status_code = 200;",
            "response.status_code = 200;\n    response.body = Some(body.into());",
            1,
        );
    assert_eq!(returned.matches("response.body").count(), 1, "{returned}");
    assert!(!returned.contains("post_to_connection()"), "{returned}");
    std::fs::write(echo.join("src/on-message.rs"), returned).unwrap();
    let (ok, text) = checker(&root, &target_dir, &["check", "02"]);
    assert!(!ok, "{text}");
    assert!(
        text.contains("returned a body, but this route sends nothing back: post it"),
        "{text}"
    );

    // `events:` one indentation too far out: the report says where it belongs.
    let yaml = std::fs::read_to_string(echo.join("serverless.yml")).unwrap();
    let misindented = yaml.replacen(
        "    events:\n      - websocket: $default",
        "  events:\n    - websocket: $default",
        1,
    );
    assert_ne!(misindented, yaml);
    std::fs::write(echo.join("serverless.yml"), misindented).unwrap();
    let (ok, text) = checker(&root, &target_dir, &["check", "02"]);
    assert!(!ok, "{text}");
    assert!(
        text.contains("it probably belongs to function \"onMessage\""),
        "{text}"
    );

    assert!(checker(&root, &target_dir, &["solution", "02", "--apply"]).0);
    let (ok, text) = checker(&root, &target_dir, &["check", "02"]);
    assert!(ok, "{text}");
    assert!(text.contains("✓ pass  02-there-and-back-again"), "{text}");
    assert!(text.contains("Progress: 2/6 done"), "{text}");

    // A copy of the passing files kept with their times (`cp -a`), a broken
    // edit checked, then the copy restored: its files are older than the
    // last build, and cargo judges by times; the checker, by contents.
    let kept = scratch.join("02-passing");
    let _ = std::fs::remove_dir_all(&kept);
    cp_a(&echo, &kept);
    std::fs::write(
        echo.join("src/on-message.rs"),
        solution.replacen(".send()\n        .await?;", ".send();", 1),
    )
    .unwrap();
    let (ok, text) = checker(&root, &target_dir, &["check", "02"]);
    assert!(!ok, "{text}");
    cp_a(&kept, &echo);
    let (ok, text) = checker(&root, &target_dir, &["check", "02"]);
    assert!(ok, "the restored passing files pass: {text}");

    // 05 with its custom route spelt `JoinChat`: the messages' action
    // "joinChat" matches it only in case, and the report says so.
    assert!(checker(&root, &target_dir, &["solution", "05", "--apply"]).0);
    let chat = root.join("exercises/05-chat-rooms/serverless.yml");
    let yaml = std::fs::read_to_string(&chat).unwrap();
    let mistyped = yaml.replacen("- websocket: joinChat", "- websocket: JoinChat", 1);
    assert_ne!(mistyped, yaml);
    std::fs::write(&chat, mistyped).unwrap();
    let (ok, text) = checker(&root, &target_dir, &["check", "05"]);
    assert!(!ok, "{text}");
    assert!(
        text.contains("matches the route `JoinChat` only in case"),
        "{text}"
    );
    assert!(checker(&root, &target_dir, &["reset", "05"]).0);

    // `reset` keeps what it replaces, and names the files it leaves.
    std::fs::write(echo.join("src/extra.rs"), "// mine\n").unwrap();
    let (ok, text) = checker(&root, &target_dir, &["reset", "02"]);
    assert!(ok, "{text}");
    assert!(text.contains("src/extra.rs"), "{text}");
    let kept = kept_folder(&root, &text);
    let solution = support::root().join("solutions/02-there-and-back-again/src/on-message.rs");
    assert!(
        std::fs::read(kept.join("src/on-message.rs")).unwrap() == std::fs::read(&solution).unwrap(),
        "the solution's file is kept: {text}"
    );
    // `restore`, as the reset printed it, brings the kept files back.
    let restore = text
        .lines()
        .find_map(|line| line.strip_prefix("Bring them back with `cargo run -p checker -- "))
        .unwrap_or_else(|| panic!("no restore command: {text}"))
        .trim_end_matches('`')
        .to_owned();
    let (ok, restored) = checker(&root, &target_dir, &restore.split(' ').collect::<Vec<_>>());
    assert!(ok, "{restored}");
    assert!(
        std::fs::read(echo.join("src/on-message.rs")).unwrap() == std::fs::read(&solution).unwrap(),
        "the kept file is back: {restored}"
    );
    assert!(checker(&root, &target_dir, &["reset", "02"]).0);
    std::fs::remove_file(echo.join("src/extra.rs")).unwrap();
    assert!(checker(&root, &target_dir, &["reset", "01"]).0);
    for (name, files) in touched.iter().zip(&shipped) {
        let now = support::files(&root.join("exercises").join(name));
        let differences = support::text_differences("shipped", files, "now", &now);
        assert!(
            differences.is_empty(),
            "{name} is back as shipped:\n{differences}"
        );
    }

    watch_checks_again_after_an_edit(&root, &target_dir);
}

/// `cp -a from/. to`: a copy that keeps the files' times, as a learner restores a backup.
fn cp_a(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    let status = Command::new("cp")
        .arg("-a")
        .arg(from.join("."))
        .arg(to)
        .status()
        .expect("cp runs");
    assert!(status.success());
}

/// The README's example output, line for line (its time left out).
fn readme_example_is_what_the_checker_prints(printed: &str) {
    let readme = std::fs::read_to_string(support::root().join("README.md")).unwrap();
    let example: Vec<&str> = readme
        .lines()
        .skip_while(|line| line.trim() != "Checking 01-connect ...")
        .take_while(|line| line.trim() != "```")
        .map(|line| line.strip_prefix("   ").unwrap_or(line))
        .collect();
    assert!(example.len() > 10, "the README shows a first run");
    let printed: Vec<&str> = printed.lines().collect();
    for line in example {
        let timed = line.starts_with("✗ fail  01-connect (Connect) ");
        assert!(
            printed.iter().any(|printed| if timed {
                printed.starts_with("✗ fail  01-connect (Connect) ")
            } else {
                *printed == line
            }),
            "the README's example shows {line:?}, which the checker does not print:\n{}",
            printed.join("\n")
        );
    }
}

/// The folder a `reset` or `solution --apply` says it kept the learner's files in.
fn kept_folder(root: &Path, output: &str) -> std::path::PathBuf {
    let line = output
        .lines()
        .find_map(|line| line.strip_prefix("Your files as they were are kept in "))
        .unwrap_or_else(|| panic!("no kept folder named: {output}"));
    let folder = root.join(line.trim());
    assert!(
        folder.starts_with(root.join(".checker/backups")),
        "{output}"
    );
    folder
}

/// `watch` reports 01 failing, checks it again on each save, and passes it
/// once the solution's files land.
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
    // One file saved, then the other, as a learner would: each save is
    // checked, and only the second completes the exercise.
    let solution = support::root().join("solutions/01-connect");
    let save = |file: &str| {
        std::fs::copy(
            solution.join(file),
            root.join("exercises/01-connect").join(file),
        )
        .unwrap();
    };
    save("serverless.yml");
    assert!(next_line_containing("01-connect (Connect)").contains("✗ fail"));
    next_line_containing("Watching");
    save("src/on-connect.rs");
    assert!(next_line_containing("01-connect (Connect)").contains("✓ pass"));
    watch.kill().unwrap();
    watch.wait().unwrap();
    finished.store(true, std::sync::atomic::Ordering::SeqCst);
}
