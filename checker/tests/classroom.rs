//! `.github/workflows/classroom.yml` as GitHub Classroom runs it. Each
//! exercise step's command runs here, on a workshop where exercises 01 and 02
//! are solved and 03 to 06 are the stubs, with `$GITHUB_OUTPUT` as the runner
//! sets it; then the outputs go through the checks of the reporter step,
//! `classroom-resources/autograding-grading-reporter`, reproduced from its
//! source (`src/main.js`, `src/console-results.js`, `src/aggregate-results.js`,
//! `src/notify-classroom.js`, `src/helpers/test-helpers.js`): the points it
//! hands Classroom are the number of passing exercises.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use base64::Engine;
use checker::workshop::Workshop;
use serde_json::Value;

/// The command each exercise step runs, before the checker's own arguments.
const CARGO_RUN: [&str; 6] = ["cargo", "run", "-q", "-p", "checker", "--"];
/// Solved in the scratch workshop; the others are as shipped.
const SOLVED: [&str; 2] = ["01-connect", "02-there-and-back-again"];

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_owned()
}

fn workflow() -> Value {
    let text = std::fs::read_to_string(root().join(".github/workflows/classroom.yml")).unwrap();
    serde_saphyr::from_str(&text).expect("classroom.yml is YAML")
}

/// The workflow's steps: the exercise steps (id, command) in order, and the reporter step.
fn steps(workflow: &Value) -> (Vec<(String, String)>, Value) {
    let jobs = workflow["jobs"].as_object().unwrap();
    assert_eq!(jobs.len(), 1, "one job grades");
    let steps = jobs.values().next().unwrap()["steps"].as_array().unwrap();
    let graders = steps
        .iter()
        .filter(|step| {
            step["run"]
                .as_str()
                .is_some_and(|run| run.contains("--github-output"))
        })
        .map(|step| {
            assert_eq!(
                step["if"], "!cancelled()",
                "one failure must not skip the rest: {step}"
            );
            (
                step["id"].as_str().unwrap().to_owned(),
                step["run"].as_str().unwrap().trim().to_owned(),
            )
        })
        .collect();
    let reporter = steps
        .iter()
        .find(|step| {
            step["uses"].as_str().is_some_and(|uses| {
                uses.starts_with("classroom-resources/autograding-grading-reporter@")
            })
        })
        .expect("the workflow ends with Classroom's reporter")
        .clone();
    (graders, reporter)
}

/// A workshop with the shipped info.toml and each exercise's serverless.yml:
/// the solution's (its Lambdas the solution binaries) for `SOLVED`, the stub's
/// for the others. Under the repository's git-ignored `target/`, so cargo
/// builds from the real workspace.
fn scratch_workshop() -> tempfile::TempDir {
    let parent = root().join("target").join("classroom");
    std::fs::create_dir_all(&parent).unwrap();
    let dir = tempfile::tempdir_in(parent).unwrap();
    let exercises = dir.path().join("exercises");
    std::fs::create_dir_all(&exercises).unwrap();
    std::fs::copy(
        root().join("exercises/info.toml"),
        exercises.join("info.toml"),
    )
    .unwrap();
    let artifact = regex_lite::Regex::new(r"(artifact: target/lambda/[\w-]+)\.zip").unwrap();
    for exercise in Workshop::load(&root()).unwrap().exercises {
        let solved = SOLVED.contains(&exercise.name.as_str());
        // Unsolved: the stub as shipped, whatever exercises/ holds now.
        let from = if solved { "solutions" } else { "checker/stubs" };
        let text = std::fs::read_to_string(
            root()
                .join(from)
                .join(&exercise.name)
                .join("serverless.yml"),
        )
        .unwrap();
        let suffix = if solved {
            "$1-solution.zip"
        } else {
            "$1-stub.zip"
        };
        let text = artifact.replace_all(&text, suffix).into_owned();
        std::fs::create_dir_all(exercises.join(&exercise.name)).unwrap();
        std::fs::write(exercises.join(&exercise.name).join("serverless.yml"), text).unwrap();
    }
    dir
}

/// The outputs a step wrote to `$GITHUB_OUTPUT`, read as the runner reads
/// that file: `name=value` lines and `name<<DELIMITER` blocks.
fn read_outputs(text: &str) -> BTreeMap<String, String> {
    let mut outputs = BTreeMap::new();
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        if let Some((name, delimiter)) = line.split_once("<<") {
            let value: Vec<&str> = lines
                .by_ref()
                .take_while(|line| *line != delimiter)
                .collect();
            outputs.insert(name.to_owned(), value.join("\n"));
        } else if let Some((name, value)) = line.split_once('=') {
            outputs.insert(name.to_owned(), value.to_owned());
        }
    }
    outputs
}

/// What the reporter concludes: Classroom's points, the job's verdict.
#[derive(Debug, PartialEq)]
struct Reported {
    total_points: f64,
    max_points: f64,
    failed: Option<&'static str>,
    summary: String,
}

/// The reporter, step by step as its source does it, with each place where
/// JavaScript would go wrong quietly (NaN, "undefined") made an assertion.
fn report(runners: &str, env: &BTreeMap<String, String>) -> Reported {
    // main.js: an input it cannot use is refused with this pattern.
    let pattern = regex_lite::Regex::new(r"^([a-zA-Z0-9]+,)*[a-zA-Z0-9]+$").unwrap();
    assert!(pattern.is_match(runners), "runners: {runners}");
    let results: Vec<(String, Value)> = runners
        .split(',')
        .map(|runner| {
            let variable = format!("{}_RESULTS", runner.trim().to_uppercase());
            let encoded = env
                .get(&variable)
                .unwrap_or_else(|| panic!("{variable} is not set"));
            let json = base64::engine::general_purpose::STANDARD
                .decode(encoded)
                .expect("the result is base64");
            let results = serde_json::from_slice(&json).expect("the result is JSON");
            (runner.to_owned(), results)
        })
        .collect();
    for (runner, results) in &results {
        // test-helpers.js: max_score || 0, and the share of tests that pass times it.
        let max_score = results["max_score"].as_f64().unwrap_or(0.0);
        let tests = results["tests"].as_array().expect("tests[]");
        assert!(
            !tests.is_empty(),
            "{runner}: a runner without tests scores NaN"
        );
        let passed = tests.iter().filter(|test| test["status"] == "pass").count();
        let console_score = passed as f64 / tests.len() as f64 * max_score;
        // notify-classroom.js adds each test's own `score`: the two must agree.
        let notified: f64 = tests
            .iter()
            .map(|test| {
                test["score"]
                    .as_f64()
                    .expect("each test's score is a number")
            })
            .sum();
        assert_eq!(console_score, notified, "{runner}: {results}");
        for test in tests {
            // console-results.js prints "- line <line_no>" unless it is exactly 0.
            assert_eq!(test["line_no"], 0, "{runner}: {test}");
            assert!(test["name"].is_string(), "{runner}: {test}");
            if test["status"] == "error" {
                assert!(test["message"].is_string(), "{runner}: the error is shown");
            }
        }
    }
    // notify-classroom.js: runners without a max_score count for nothing.
    let (mut total_points, mut max_points) = (0.0, 0.0);
    for (_, results) in &results {
        let max_score = results["max_score"].as_f64().unwrap_or(0.0);
        if max_score == 0.0 {
            continue;
        }
        max_points += max_score;
        for test in results["tests"].as_array().unwrap() {
            total_points += test["score"].as_f64().unwrap();
        }
    }
    // main.js: the job fails when a runner failed, else when one errored.
    let failed = if results
        .iter()
        .any(|(_, results)| results["status"] == "fail")
    {
        Some("Some tests failed.")
    } else if results
        .iter()
        .any(|(_, results)| results["status"] == "error")
    {
        Some("Some tests errored.")
    } else {
        None
    };
    Reported {
        total_points,
        max_points,
        failed,
        // JSON.stringify({ totalPoints, maxPoints }), keys in that order.
        summary: format!(r#"{{"totalPoints":{total_points},"maxPoints":{max_points}}}"#),
    }
}

#[test]
fn the_classroom_workflow_grades_each_exercise_as_one_point() {
    let workflow = workflow();
    let (graders, reporter) = steps(&workflow);
    let workshop = Workshop::load(&root()).unwrap();
    assert_eq!(
        graders.len(),
        workshop.exercises.len(),
        "one step per exercise"
    );

    // The reporter reads `<ID>_RESULTS` for each runner id: each set from that step's output.
    let runners = reporter["with"]["runners"].as_str().unwrap();
    let ids: Vec<&str> = graders.iter().map(|(id, _)| id.as_str()).collect();
    assert_eq!(runners, ids.join(","));
    for id in &ids {
        let variable = format!("{}_RESULTS", id.to_uppercase());
        let value = reporter["env"][&variable]
            .as_str()
            .unwrap_or_default()
            .replace(' ', "");
        assert_eq!(
            value,
            format!("${{{{steps.{id}.outputs.result}}}}"),
            "{variable}"
        );
    }
    assert_eq!(
        reporter["if"], "!cancelled()",
        "the reporter runs after failing steps"
    );

    let scratch = scratch_workshop();
    let mut env = BTreeMap::new();
    for ((id, command), exercise) in graders.iter().zip(&workshop.exercises) {
        let words: Vec<&str> = command.split_whitespace().collect();
        assert_eq!(words[..CARGO_RUN.len()], CARGO_RUN, "{command}");
        assert!(
            words.contains(&exercise.name.as_str()),
            "{id} checks {}: {command}",
            exercise.name
        );
        let output_file = tempfile::NamedTempFile::new().unwrap();
        let run = Command::new(env!("CARGO_BIN_EXE_checker"))
            .args(&words[CARGO_RUN.len()..])
            .env("CHECKER_ROOT", scratch.path())
            .env("GITHUB_OUTPUT", output_file.path())
            .output()
            .unwrap();
        // A failing exercise does not fail its step: the reporter gives the verdict.
        assert!(run.status.success(), "{command}: {run:?}");
        let outputs = read_outputs(&std::fs::read_to_string(output_file.path()).unwrap());
        let result = outputs
            .get("result")
            .unwrap_or_else(|| panic!("{command} set no result"));
        env.insert(format!("{}_RESULTS", id.to_uppercase()), result.clone());

        // The same file is Exercism's results.json, version 3.
        let json: Value = serde_json::from_slice(
            &base64::engine::general_purpose::STANDARD
                .decode(result)
                .unwrap(),
        )
        .unwrap();
        assert_eq!(json["version"], 3);
        let test = &json["tests"][0];
        let position = workshop
            .exercises
            .iter()
            .position(|e| e.name == exercise.name)
            .unwrap();
        assert_eq!(test["task_id"], position + 1);
        let passes = SOLVED.contains(&exercise.name.as_str());
        assert_eq!(
            test["status"],
            if passes { "pass" } else { "fail" },
            "{json}"
        );
        assert_eq!(
            (json["max_score"].clone(), test["score"].clone()),
            (1.into(), u8::from(passes).into())
        );
    }

    let reported = report(runners, &env);
    assert_eq!(reported.total_points, SOLVED.len() as f64);
    assert_eq!(reported.max_points, workshop.exercises.len() as f64);
    assert_eq!(reported.summary, r#"{"totalPoints":2,"maxPoints":6}"#);
    assert_eq!(reported.failed, Some("Some tests failed."));
}
