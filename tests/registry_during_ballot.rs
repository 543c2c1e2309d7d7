//! The registry is the secretariat's, so during a ballot it can add a
//! representative or a key to an organisation and vote with it. That
//! cannot be forbidden, but it must be visible: the verifier flags every
//! counted vote signed by a person, or with a key, registered after the
//! announcement.

#![cfg(feature = "server")]

mod common;

use common::world::{World, ok};
use serde_json::{Value, json};

const START: &str = "2026-06-01T00:00:00Z";

fn vote(w: &World, who: &str, key: &str, organisation: &str, choice: &str) {
    w.vote(
        who,
        key,
        "B1",
        organisation,
        choice,
        &format!("{who}-votes"),
    );
}

#[test]
fn votes_signed_by_a_person_or_key_registered_after_the_announcement_are_flagged() {
    let data = tempfile::tempdir().expect("temporary directory");
    let work = tempfile::tempdir().expect("temporary directory");
    let w = World::simulated(data.path(), work.path(), START);
    w.eti_group(&["cadzow", "bobco"]);
    w.account("bob");
    w.send(
        "PUT",
        "/v1/groups/ETI/persons/bob",
        json!({"organisation": "bobco", "membership_list": true}),
    );
    w.key("bob");
    w.announce_and_open("B1");
    vote(&w, "alice", "alice.key", "cadzow", "yes");
    vote(&w, "bob", "bob.key", "bobco", "yes");

    // The secretariat makes itself a representative of cadzow, with a
    // key, and votes: it supersedes alice's vote and counts.
    w.account("mallory");
    w.send(
        "PUT",
        "/v1/groups/ETI/persons/mallory",
        json!({"organisation": "cadzow", "membership_list": true}),
    );
    w.key("mallory");
    vote(&w, "mallory", "mallory.key", "cadzow", "no");
    // And a second key for bob, registered now, signs bob's new vote.
    let vkey = ok(&[
        "keygen",
        "--name",
        "bob",
        "--out",
        &w.path_str("bob-new.key"),
    ]);
    w.send(
        "POST",
        "/v1/groups/ETI/persons/bob/keys",
        json!({"key": vkey.trim()}),
    );
    vote(&w, "bob", "bob-new.key", "bobco", "no");

    // Each registration during the ballot was told to the organisation's
    // representatives in the same batch: mallory's to alice and carol, her
    // key to all three, bob's new key to bob.
    let entries = common::logview::read_verified(&w.server.address, &w.token, "ETI").entries;
    let text: Vec<String> = entries
        .iter()
        .map(|e| String::from_utf8_lossy(e).into_owned())
        .collect();
    let notices_after = |at: usize| -> Vec<&str> {
        text[at + 1..]
            .iter()
            .take_while(|e| e.contains("\nreason registry-change\n"))
            .map(|e| {
                e.lines()
                    .find_map(|l| l.strip_prefix("person "))
                    .expect("a person")
            })
            .collect()
    };
    let person = text
        .iter()
        .position(|e| e.contains("\ntype person\n") && e.contains("\nperson mallory\n"))
        .expect("mallory's person entry");
    assert_eq!(notices_after(person), ["alice", "carol"]);
    let key = text
        .iter()
        .position(|e| e.contains("\ntype key\n") && e.contains("\nperson mallory\n"))
        .expect("mallory's key entry");
    assert_eq!(notices_after(key), ["alice", "carol", "mallory"]);
    let bob_key = text
        .iter()
        .rposition(|e| e.contains("\ntype key\n") && e.contains("\nperson bob\n"))
        .expect("bob's new key entry");
    assert_eq!(notices_after(bob_key), ["bob"]);
    // Bob's first key, registered before the announcement, owed nothing.
    let first_key = text
        .iter()
        .position(|e| e.contains("\ntype key\n") && e.contains("\nperson bob\n"))
        .expect("bob's first key entry");
    assert!(notices_after(first_key).is_empty());

    w.advance_days(32);
    w.wait_for("B1", "tallied");
    let bundle = w.export("alice", "B1", "bundle");
    let key = w.path_str("log.vkey");
    let report = ok(&["verify", &bundle, "--log-key", &key]);
    eprintln!("{report}");
    assert!(
        report.contains(
            "the vote counted for cadzow (main) was signed by mallory, who became the \
             organisation's representative at 2026-07-16"
        ),
        "{report}"
    );
    assert!(
        report.contains(
            "the vote counted for bobco (main) was signed by bob, with a key registered at \
             2026-07-16"
        ),
        "{report}"
    );
    let json: Value =
        serde_json::from_str(&ok(&["verify", &bundle, "--log-key", &key, "--json"])).expect("JSON");
    let organisations = json["ballot"]["organisations"]
        .as_array()
        .expect("organisations");
    let late = |org: &str| {
        organisations
            .iter()
            .find(|o| o["organisation"] == org)
            .expect("the organisation")["counted"][0]["registered_after_announcement"]
            .clone()
    };
    assert!(late("cadzow").is_string(), "{json}");
    assert!(late("bobco").is_string(), "{json}");
}
