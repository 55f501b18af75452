//! `--format json` and `--format junit`, parsed back as a grader would.

use std::process::Command;

use quick_xml::events::Event;

fn checker(args: &[&str]) -> (bool, String, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_checker"))
        .args(args)
        .output()
        .expect("checker runs");
    (
        output.status.success(),
        String::from_utf8(output.stdout).unwrap(),
        String::from_utf8(output.stderr).unwrap(),
    )
}

#[test]
fn json_follows_exercism_results_version_3() {
    let (ok, stdout, stderr) = checker(&["check", "--solutions", "--format", "json"]);
    assert!(ok, "{stdout}\n{stderr}");
    let results: serde_json::Value = serde_json::from_str(&stdout).expect("the output is JSON");
    assert_eq!(results["version"], 3);
    assert_eq!(results["status"], "pass");
    let tests = results["tests"].as_array().unwrap();
    assert_eq!(tests.len(), crate::support::workshop().exercises.len());
    for (index, test) in tests.iter().enumerate() {
        assert_eq!(test["status"], "pass");
        assert_eq!(test["task_id"], index + 1);
        assert!(
            test["name"]
                .as_str()
                .unwrap()
                .starts_with(&format!("{:02}-", index + 1))
        );
        assert!(test["test_code"].is_string());
        assert!(test["message"].is_null());
        // GitHub Classroom's reporter: one point per exercise.
        assert_eq!(
            (test["score"].clone(), test["max_score"].clone()),
            (1.into(), 1.into())
        );
    }
    assert_eq!(results["max_score"], tests.len());

    // A failing exercise: the stub of 01, as shipped.
    if !crate::support::as_shipped("01") {
        return;
    }
    let (ok, stdout, _) = checker(&["check", "01", "--format", "json"]);
    assert!(!ok);
    let results: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(results["status"], "fail");
    let test = &results["tests"][0];
    assert_eq!(test["status"], "fail");
    assert_eq!(test["score"], 0);
    assert!(
        test["message"]
            .as_str()
            .unwrap()
            .contains("Step failed: alice connects and $connect runs")
    );
}

#[test]
fn junit_has_one_case_per_exercise() {
    if !crate::support::as_shipped("01") || !crate::support::as_shipped("02") {
        return;
    }
    let (ok, stdout, stderr) = checker(&["check", "01", "02", "--format", "junit"]);
    assert!(!ok, "the stubs fail: {stdout}\n{stderr}");
    let mut reader = quick_xml::Reader::from_str(&stdout);
    let mut cases = Vec::new();
    let mut failures = 0;
    let mut suite_counts = None;
    loop {
        match reader.read_event().expect("the output is well-formed XML") {
            Event::Start(element) | Event::Empty(element) => {
                let attribute = |name: &str| {
                    element
                        .try_get_attribute(name)
                        .unwrap()
                        .map(|a| a.unescape_value().unwrap().into_owned())
                };
                match element.name().as_ref() {
                    b"testcase" => cases.push(attribute("name").unwrap()),
                    b"failure" => failures += 1,
                    b"testsuite" => {
                        suite_counts =
                            Some((attribute("tests").unwrap(), attribute("failures").unwrap()))
                    }
                    _ => {}
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    assert_eq!(cases, ["01-connect", "02-there-and-back-again"]);
    assert_eq!(failures, 2);
    assert_eq!(suite_counts, Some(("2".to_owned(), "2".to_owned())));
}

#[test]
fn an_unknown_exercise_lists_the_known_ones() {
    let (ok, _, stderr) = checker(&["check", "99"]);
    assert!(!ok);
    assert!(stderr.contains("there is no exercise \"99\""), "{stderr}");
    assert!(stderr.contains("01-connect"), "{stderr}");
}

/// `hint N` shows the next stage each time, remembered in the workshop's
/// `.checker/` (here a scratch workshop: the hints file alone).
#[test]
fn hint_shows_the_next_stage_each_time() {
    let scratch = tempfile::tempdir().unwrap();
    std::fs::create_dir(scratch.path().join("exercises")).unwrap();
    std::fs::copy(
        crate::support::root().join("exercises/info.toml"),
        scratch.path().join("exercises/info.toml"),
    )
    .unwrap();
    let hint = || {
        let output = Command::new(env!("CARGO_BIN_EXE_checker"))
            .args(["hint", "2"])
            .current_dir(scratch.path())
            .env_remove("CHECKER_ROOT")
            .output()
            .expect("checker runs");
        assert!(output.status.success());
        String::from_utf8(output.stdout).unwrap()
    };
    let first = hint();
    assert!(first.contains("02-there-and-back-again"), "{first}");
    assert!(first.contains("Hint 1 of 3"), "{first}");
    let second = hint();
    assert!(second.contains("Hint 2 of 3"), "{second}");
    assert!(scratch.path().join(".checker/state.toml").is_file());
}
