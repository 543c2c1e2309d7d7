//! A ballot larger than a log entry, end to end on a real server: a study
//! group of 900 Member States whose delegates have long ids, so that the
//! announcement's recipients, the roll and the tally each exceed the
//! 65 535 bytes of an entry. Each is stored beside the log, named by its
//! hash; the chair announces and certifies with the real binary (which
//! fetch and check the documents), every delegate replies, and the ballot
//! is exported and verified by directory and by URL.
//!
//! Before this test, such a membership list made every announcement fail
//! (`entry-too-large`) and such a tally left the ballot closed forever.

#![cfg(feature = "server")]

mod common;

use common::http::{get, json as send};
use common::server::Server;
use common::world::{ok, strings};
use scrutineer::id::BallotId;
use scrutineer::note::{KeyName, SigningKey};
use scrutineer::tlog::checkpoint::Origin;
use scrutineer::vote::{ChoiceWord, VoteNote};
use serde_json::{Value, json};

const STATES: usize = 900;

/// A delegate's id: 64 bytes, the longest SPEC section 3 allows.
fn delegate(i: usize) -> String {
    format!("delegate-of-member-state-number-{i:04}-{}", "x".repeat(27))
}

#[test]
fn recipients_roll_and_tally_too_large_for_an_entry_go_beside_the_log_and_verify() {
    let data = tempfile::tempdir().expect("temporary directory");
    let work = tempfile::tempdir().expect("temporary directory");
    let path = |name: &str| work.path().join(name).to_str().expect("UTF-8").to_owned();
    let server = Server::start(
        data.path(),
        &[
            "--simulated-clock",
            "--simulated-start",
            "2027-01-10T00:00:00Z",
            // The set-up is some 4 500 writes from one address in
            // seconds, by design beyond the default write limits.
            "--write-rate-per-person",
            "0",
            "--write-rate-per-address",
            "0",
        ],
    );
    let secretariat = server.token.clone().expect("first start prints the token");
    let address = server.address.clone();
    let call = |method: &str, at: &str, body: Value| {
        let r = send(&address, method, at, Some(&secretariat), &body);
        assert!(
            (200..300).contains(&r.status),
            "{method} {at}: {}",
            r.text()
        );
        r
    };
    call(
        "POST",
        "/v1/groups",
        json!({"id": "SG", "profile": "itu-t-tap"}),
    );

    // The chair, with a key made by `scrutineer keygen` for the CLI.
    call(
        "PUT",
        "/v1/groups/SG/organisations/CH",
        json!({"class": "member-state", "from": "2020-01-01T00:00:00Z"}),
    );
    call(
        "POST",
        "/v1/persons",
        json!({"id": "tsb", "name": "TSB", "email": "tsb@example.org"}),
    );
    let token = call("POST", "/v1/persons/tsb/tokens", json!({"label": "cli"})).json();
    std::fs::write(
        path("tsb.token"),
        format!("{}\n", token["token"].as_str().expect("token")),
    )
    .expect("write");
    call(
        "PUT",
        "/v1/groups/SG/persons/tsb",
        json!({"organisation": "CH", "membership_list": false}),
    );
    let vkey = ok(&["keygen", "--name", "tsb", "--out", &path("tsb.key")]);
    call(
        "POST",
        "/v1/groups/SG/persons/tsb/keys",
        json!({"key": vkey.trim()}),
    );
    call("POST", "/v1/groups/SG/chair", json!({"person": "tsb"}));
    let group = get(&address, "/v1/groups/SG", Some(&secretariat)).json();
    std::fs::write(path("sg.vkey"), group["log_key"].as_str().expect("log key")).expect("write");
    let origin = Origin::new(group["origin"].as_str().expect("origin")).expect("an origin");

    // 900 Member States, each with a delegate on the membership list.
    let mut delegates = Vec::new();
    for i in 0..STATES {
        let (state, person) = (format!("S{i:04}"), delegate(i));
        call(
            "PUT",
            &format!("/v1/groups/SG/organisations/{state}"),
            json!({"class": "member-state", "from": "2020-01-01T00:00:00Z"}),
        );
        call(
            "POST",
            "/v1/persons",
            json!({"id": person, "name": "A delegate", "email": "delegate@example.org"}),
        );
        let token = call(
            "POST",
            &format!("/v1/persons/{person}/tokens"),
            json!({"label": "cli"}),
        )
        .json()["token"]
            .as_str()
            .expect("token")
            .to_owned();
        call(
            "PUT",
            &format!("/v1/groups/SG/persons/{person}"),
            json!({"organisation": state, "membership_list": true}),
        );
        let key = SigningKey::generate(KeyName::new(&person).expect("a key name")).expect("key");
        call(
            "POST",
            &format!("/v1/groups/SG/persons/{person}/keys"),
            json!({"key": key.verifier_key().encode()}),
        );
        delegates.push((state, person, token, key));
    }

    let client = |command: &str, rest: &[&str]| {
        let mut args = strings(&[
            command,
            "--server",
            &format!("http://{address}"),
            "--group",
            "SG",
            "--log-key",
            &path("sg.vkey"),
            "--token-file",
            &path("tsb.token"),
        ]);
        args.extend(strings(rest));
        args
    };
    let out = ok(&client(
        "announce",
        &[
            "--key",
            &path("tsb.key"),
            "--ballot",
            "C1",
            "--kind",
            "consultation",
            "--closes",
            "2027-03-01T00:00:00Z",
            "--meeting-start",
            "2027-05-01T00:00:00Z",
        ],
    ));
    assert!(out.contains(&format!("sent to {STATES} persons")), "{out}");

    // Every delegate replies `assign`.
    let ballot = BallotId::new("C1").expect("an id");
    for (i, (state, person, token, key)) in delegates.iter().enumerate() {
        let note = VoteNote {
            origin: origin.clone(),
            ballot: ballot.clone(),
            question: "main".parse().expect("an id"),
            organisation: state.parse().expect("an id"),
            choice: ChoiceWord::new("assign").expect("a choice"),
            attachment: None,
            nonce: [
                (i % 251) as u8,
                (i / 251) as u8,
                7,
                7,
                7,
                7,
                7,
                7,
                7,
                7,
                7,
                7,
                7,
                7,
                7,
                7,
            ],
        };
        let signed = String::from_utf8(note.sign(key).expect("signed")).expect("UTF-8");
        let r = send(
            &address,
            "POST",
            "/v1/groups/SG/ballots/C1/votes",
            Some(token),
            &json!({ "note": signed }),
        );
        assert_eq!(r.status, 201, "{person}: {}", r.text());
    }
    call("POST", "/v1/clock", json!({"to": "2027-03-02T00:00:00Z"}));
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        let b = get(&address, "/v1/groups/SG/ballots/C1", Some(&secretariat)).json();
        if b["state"] == "tallied" {
            assert_eq!(b["results"][0]["in_favour"], STATES as u64, "{b}");
            break;
        }
        assert!(std::time::Instant::now() < deadline, "not tallied: {b}");
        std::thread::sleep(std::time::Duration::from_millis(100));
    }

    // The chair certifies: `certify` fetches the tally stored beside the
    // log and checks it against the entry it proved.
    let out = ok(&client(
        "certify",
        &["--key", &path("tsb.key"), "--ballot", "C1"],
    ));
    assert!(
        out.contains(&format!("main: proceed (in favour {STATES}")),
        "{out}"
    );

    let bundle = path("bundle");
    ok(&client("export", &["--ballot", "C1", "--out", &bundle]));
    for source in [bundle.clone(), format!("http://{address}")] {
        let mut args = strings(&["verify", &source, "--log-key", &path("sg.vkey"), "--json"]);
        if source.starts_with("http") {
            args.extend(strings(&[
                "--group",
                "SG",
                "--ballot",
                "C1",
                "--token-file",
                &path("tsb.token"),
            ]));
        }
        let report: Value = serde_json::from_str(&ok(&args)).expect("a JSON report");
        assert_eq!(report["ok"], true, "{report}");
        assert_eq!(report["ballot"]["state"], "certified", "{report}");
        assert_eq!(report["ballot"]["recipients"], STATES, "{report}");
        assert_eq!(report["ballot"]["results"][0]["in_favour"], STATES as u64);
    }
}
