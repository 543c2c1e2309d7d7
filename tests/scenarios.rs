//! The scenarios of `../shared/scenarios` through the real binary and
//! through the library, against their `expect` member; then invalid files
//! and self-contained known answers covering the same ground.

mod common;

use std::path::Path;
use std::process::{Command, Output};

use serde_json::{Value, json};

fn binary() -> Command {
    Command::new(env!("CARGO_BIN_EXE_scrutineer"))
}

fn simulate_file(path: &Path, explain: bool) -> Output {
    let mut command = binary();
    command.arg("simulate").arg(path);
    if explain {
        command.arg("--explain");
    }
    command.output().expect("the scrutineer binary runs")
}

fn library(scenario: &Value) -> Result<Value, String> {
    scrutineer::simulate::simulate(&scenario.to_string())
        .map(|report| serde_json::to_value(report).expect("a report serialises"))
        .map_err(|e| e.to_string())
}

#[test]
fn shared_scenarios_match_their_expectations() {
    let Some(dir) = common::shared("scenarios") else {
        return;
    };
    let mut processed = 0;
    let mut paths: Vec<_> = std::fs::read_dir(&dir)
        .expect("the scenarios directory is readable")
        .map(|e| e.expect("a directory entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    paths.sort();
    for path in paths {
        let text = std::fs::read_to_string(&path).expect("a scenario is readable");
        let scenario: Value = serde_json::from_str(&text).expect("a scenario is JSON");
        let expect = scenario
            .get("expect")
            .cloned()
            .expect("a shared scenario has `expect`");

        let output = simulate_file(&path, false);
        assert!(
            output.status.success(),
            "{}: {}",
            path.display(),
            String::from_utf8_lossy(&output.stderr)
        );
        let got: Value = serde_json::from_slice(&output.stdout).expect("stdout is JSON");
        assert_eq!(got, expect, "binary, {}", path.display());

        assert_eq!(
            library(&scenario),
            Ok(expect),
            "library, {}",
            path.display()
        );

        let explained = simulate_file(&path, true);
        assert!(explained.status.success());
        let table = String::from_utf8(explained.stdout).expect("UTF-8");
        assert!(
            table.contains("| organisation | class | founding |"),
            "{table}"
        );
        processed += 1;
    }
    assert!(processed > 0, "no scenario found in {}", dir.display());
    eprintln!("{processed} shared scenarios passed");
}

/// A small valid `etsi-isg` scenario: a KoM and two plenaries, three
/// members, one correspondence ballot after the Kick-off Period.
fn base() -> Value {
    json!({
        "profile": "etsi-isg",
        "organisations": [
            {"id": "a", "class": "member", "founding": true},
            {"id": "b", "class": "member"},
            {"id": "p", "class": "participant"}
        ],
        "persons": [
            {"id": "a1", "organisation": "a", "on_membership_list": true},
            {"id": "b1", "organisation": "b", "on_membership_list": true},
            {"id": "p1", "organisation": "p", "on_membership_list": true}
        ],
        "meetings": [
            {"id": "KoM", "plenary": true, "format": "face-to-face", "kick_off": true,
             "start": "2030-01-10T08:00:00Z", "end": "2030-01-11T17:00:00Z"},
            {"id": "P2", "plenary": true, "format": "hybrid",
             "start": "2030-04-10T08:00:00Z", "end": "2030-04-11T17:00:00Z"},
            {"id": "P3", "plenary": true, "format": "face-to-face",
             "start": "2030-07-10T08:00:00Z", "end": "2030-07-11T17:00:00Z"}
        ],
        "attendance": [
            {"meeting": "KoM", "person": "b1", "organisation": "b", "mode": "physical"},
            {"meeting": "P2", "person": "b1", "organisation": "b", "mode": "physical"},
            {"meeting": "P3", "person": "b1", "organisation": "b", "mode": "remote"},
            {"meeting": "P2", "person": "p1", "organisation": "p", "mode": "physical"},
            {"meeting": "P3", "person": "p1", "organisation": "p", "mode": "physical"}
        ],
        "ballots": [
            {"id": "B1", "kind": "correspondence",
             "announced": "2030-08-01T00:00:00Z", "opens": "2030-08-31T00:00:00Z",
             "closes": "2030-09-14T00:00:00Z",
             "votes": [
                {"person": "b1", "organisation": "b", "choice": "yes", "at": "2030-09-01T00:00:00Z"},
                {"person": "a1", "organisation": "a", "choice": "yes", "at": "2030-09-01T00:00:00Z"}
             ]}
        ],
        "description": "ignored",
        "expect": {"anything": ["ignored"]}
    })
}

#[test]
fn self_contained_base_scenario() {
    let got = library(&base()).expect("the base scenario is valid");
    assert_eq!(
        got,
        json!({"ballots": [{"id": "B1", "status": "tallied", "eligible": ["b"],
            "votes": [{"index": 0, "accepted": true, "counted": true},
                      {"index": 1, "accepted": false, "counted": false, "reason": "not-eligible"}],
            "questions": [{"id": "main", "yes": 1, "no": 0, "abstain": 0, "not_voted": 0,
                           "outcome": "approved"}]}]})
    );
}

/// Writes `scenario` to a temporary file and runs the binary on it.
fn run_binary(scenario: &Value) -> Output {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = dir.path().join("scenario.json");
    std::fs::write(&path, scenario.to_string()).expect("the scenario is written");
    simulate_file(&path, false)
}

#[test]
fn invalid_files_fail_with_a_path_and_no_output() {
    type Mutation = fn(&mut Value);
    let cases: Vec<(&str, Mutation)> = vec![
        ("$.organisations[1].id", |s| {
            s["organisations"][1]["id"] = json!("a")
        }),
        ("$.persons[1].id", |s| s["persons"][1]["id"] = json!("a1")),
        ("$.meetings[2].id", |s| s["meetings"][2]["id"] = json!("P2")),
        ("$.ballots[1].id", |s| {
            let copy = s["ballots"][0].clone();
            s["ballots"].as_array_mut().expect("an array").push(copy);
        }),
        ("$.organisations[0].id", |s| {
            s["organisations"][0]["id"] = json!("bad id")
        }),
        ("$.persons[0].organisation", |s| {
            s["persons"][0]["organisation"] = json!("-a")
        }),
        ("$.organisations[2].class", |s| {
            s["organisations"][2]["class"] = json!("member-state")
        }),
        ("$.organisations[2].class", |s| {
            s["organisations"][2]["class"] = json!("friend")
        }),
        ("$.attendance[0].meeting", |s| {
            s["attendance"][0]["meeting"] = json!("P9")
        }),
        ("$.attendance[0].person", |s| {
            s["attendance"][0]["person"] = json!("z1")
        }),
        ("$.attendance[0].organisation", |s| {
            s["attendance"][0]["organisation"] = json!("z")
        }),
        ("$.attendance[1].mode", |s| {
            s["meetings"][1]["format"] = json!("online")
        }),
        ("$.meetings", |s| {
            s["meetings"][0]["kick_off"] = json!(false)
        }),
        ("$.meetings[1].kick_off", |s| {
            s["meetings"][1]["kick_off"] = json!(true)
        }),
        ("$.ballots[0].meeting", |s| {
            s["ballots"][0]["kind"] = json!("meeting");
            s["ballots"][0]["meeting"] = json!("P9");
        }),
        ("$.meetings[0].start", |s| {
            s["meetings"][0]["start"] = json!("2030-01-10T08:00:00+01:00")
        }),
        ("$.meetings[0].end", |s| {
            s["meetings"][0]["end"] = json!("2030-02-30T08:00:00Z")
        }),
        ("$.ballots[0].votes[0].at", |s| {
            s["ballots"][0]["votes"][0]["at"] = json!("yesterday")
        }),
        ("$.ballots[0].votes[0].colour", |s| {
            s["ballots"][0]["votes"][0]["colour"] = json!("red")
        }),
        ("$.colour", |s| s["colour"] = json!("red")),
        ("$.meetings[0].plenary", |s| {
            s["meetings"][0]
                .as_object_mut()
                .expect("an object")
                .remove("plenary");
        }),
        ("$.parameters.notice_months", |s| {
            s["parameters"] = json!({"notice_months": 2})
        }),
        ("$.ballots[0].kind", |s| {
            s["ballots"][0]["kind"] = json!("consultation")
        }),
    ];
    for (path, mutate) in cases {
        let mut scenario = base();
        mutate(&mut scenario);
        let output = run_binary(&scenario);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            !output.status.success(),
            "{path}: exit status {:?}",
            output.status
        );
        assert!(
            output.stdout.is_empty(),
            "{path}: stdout {:?}",
            String::from_utf8_lossy(&output.stdout)
        );
        assert!(
            stderr.contains(&format!("{path}:")),
            "{path}: stderr {stderr}"
        );
        let library_error = library(&scenario).expect_err("the library refuses it too");
        assert!(
            library_error.starts_with(&format!("{path}:")),
            "{path}: {library_error}"
        );
    }
}

#[test]
fn an_unknown_person_in_a_vote_is_not_invalid() {
    let mut scenario = base();
    scenario["ballots"][0]["votes"][0]["person"] = json!("nobody");
    let got = library(&scenario).expect("valid");
    assert_eq!(
        got["ballots"][0]["votes"][0]["reason"],
        json!("not-representative")
    );
}

#[test]
fn a_missing_file_fails_cleanly() {
    let output = binary()
        .args(["simulate", "/nonexistent/scenario.json"])
        .output()
        .expect("runs");
    assert!(!output.status.success());
    assert!(output.stdout.is_empty());
}

#[test]
fn explain_prints_the_roll_derivation() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = dir.path().join("scenario.json");
    std::fs::write(&path, base().to_string()).expect("written");
    let output = simulate_file(&path, true);
    assert!(output.status.success());
    let text = String::from_utf8(output.stdout).expect("UTF-8");
    assert!(
        text.contains(
            "| b | member | no | no | KoM, P2, P3 | KoM, P2 (2) | **yes** | attendance |"
        ),
        "{text}"
    );
    assert!(
        text.contains(
            "| p | participant | no | no | KoM, P2, P3 | P2, P3 (2) | no | class-does-not-vote |"
        ),
        "{text}"
    );
    assert!(
        text.contains(
            "| a | member | yes | no | KoM, P2, P3 | — (0) | no | insufficient-attendance |"
        ),
        "{text}"
    );
}
