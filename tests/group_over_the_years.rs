//! A group over the years, end to end through the real binary on a
//! simulated-clock server: an ETSI ISG through six ballots (correspondence
//! and meeting votes, in and after the Kick-off Period, re-votes and
//! refusals, a refused announcement, each ballot certified by the chair in
//! office, an appeal decided by a reviewer, the chair's two-year term
//! running out and a new chair appointed), and an ITU-T study group
//! through six consultations. At the end every ballot of both groups is
//! exported and verified three ways (a directory written by `scrutineer
//! export`, the archive of `GET …/bundle`, and `scrutineer verify URL`),
//! with every receipt its voters kept.
//!
//! Until this test existed, every test built one ballot per group, and
//! the verifier failed on every ballot but a group's first.

#![cfg(feature = "server")]

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use common::http::{get, json as send_json};
use common::server::Server;
use common::world::{ok, scrutineer, strings, text};
use serde_json::{Value, json};

/// The simulated clock's start: before the ISG's kick-off meeting.
const START: &str = "2026-01-10T00:00:00Z";

/// A server with the secretariat's token and a folder for everybody's
/// files (keys, tokens, receipts, bundles).
struct Years {
    server: Server,
    token: String,
    work: PathBuf,
}

/// A ballot's expected outcome of its one question (or of each draft).
struct Expected {
    ballot: String,
    /// (question, outcome word as `verify` prints it, in favour, against).
    results: Vec<(&'static str, &'static str, u64, u64)>,
}

impl Years {
    fn address(&self) -> &str {
        &self.server.address
    }

    fn url(&self) -> String {
        format!("http://{}", self.server.address)
    }

    fn path(&self, name: &str) -> String {
        self.work.join(name).to_str().expect("UTF-8").to_owned()
    }

    /// Sends a request with the secretariat's token; it must succeed.
    fn send(&self, method: &str, path: &str, body: Value) -> Value {
        let r = send_json(self.address(), method, path, Some(&self.token), &body);
        assert!(
            (200..300).contains(&r.status),
            "{method} {path}: {}",
            r.text()
        );
        if r.body.is_empty() {
            Value::Null
        } else {
            r.json()
        }
    }

    /// Moves the simulated clock to `to` and waits for what fell due.
    fn clock(&self, to: &str) {
        self.send("POST", "/v1/clock", json!({ "to": to }));
    }

    /// An account with a token (`<id>.token`) and a key registered in
    /// `group` (`<id>.key`), representing `organisation`.
    fn person(&self, group: &str, id: &str, organisation: &str, membership_list: bool) {
        self.send(
            "POST",
            "/v1/persons",
            json!({"id": id, "name": format!("Name of {id}"), "email": format!("{id}@example.org")}),
        );
        let token = self.send(
            "POST",
            &format!("/v1/persons/{id}/tokens"),
            json!({"label": "cli"}),
        );
        let token = token["token"].as_str().expect("a token");
        std::fs::write(self.path(&format!("{id}.token")), format!("{token}\n")).expect("write");
        self.send(
            "PUT",
            &format!("/v1/groups/{group}/persons/{id}"),
            json!({"organisation": organisation, "membership_list": membership_list}),
        );
        let vkey = ok(&[
            "keygen",
            "--name",
            id,
            "--out",
            &self.path(&format!("{id}.key")),
        ]);
        self.send(
            "POST",
            &format!("/v1/groups/{group}/persons/{id}/keys"),
            json!({"key": vkey.trim()}),
        );
    }

    fn organisation(&self, group: &str, id: &str, body: Value) {
        self.send(
            "PUT",
            &format!("/v1/groups/{group}/organisations/{id}"),
            body,
        );
    }

    fn meeting(&self, group: &str, id: &str, format: &str, start: &str, end: &str, kick_off: bool) {
        self.send(
            "PUT",
            &format!("/v1/groups/{group}/meetings/{id}"),
            json!({"plenary": true, "format": format, "start": start, "end": end, "kick_off": kick_off}),
        );
    }

    /// Physical attendance of each `(person, organisation)` at `meeting`.
    fn attended(&self, group: &str, meeting: &str, who: &[(&str, &str)]) {
        for (person, organisation) in who {
            self.send(
                "PUT",
                &format!("/v1/groups/{group}/attendance"),
                json!({"meeting": meeting, "person": person, "organisation": organisation, "mode": "physical"}),
            );
        }
    }

    /// The flags of a client command run by `who` against `group`.
    fn client(&self, command: &str, group: &str, who: &str, rest: &[&str]) -> Vec<String> {
        let mut args = strings(&[
            command,
            "--server",
            &self.url(),
            "--group",
            group,
            "--log-key",
            &self.path(&format!("{group}.vkey")),
            "--token-file",
            &self.path(&format!("{who}.token")),
            "--key",
            &self.path(&format!("{who}.key")),
        ]);
        args.extend(strings(rest));
        args
    }

    /// The chair `who` announces; the announcement must be accepted.
    fn announce(&self, group: &str, who: &str, ballot: &str, rest: &[&str]) {
        let mut args = vec!["--ballot", ballot];
        args.extend(rest);
        let out = ok(&self.client("announce", group, who, &args));
        assert!(out.contains(ballot), "{out}");
    }

    /// An announcement that must be refused with `code`.
    fn announce_refused(&self, group: &str, who: &str, ballot: &str, rest: &[&str], code: &str) {
        let mut args = vec!["--ballot", ballot];
        args.extend(rest);
        let out = scrutineer(&self.client("announce", group, who, &args));
        let err = text(&out.stderr);
        assert!(!out.status.success(), "announcement {ballot} accepted");
        assert!(err.contains(code), "announcement {ballot}: {err}");
    }

    /// `who` votes; `refused` is `None` for a vote that must be accepted,
    /// or the refusal code it must get. Receipts go to `<who>-votes/`.
    fn vote(&self, group: &str, who: &str, vote: Vote<'_>, refused: Option<&str>) {
        let out_dir = self.path(&format!("{who}-votes"));
        let mut args = vec![
            "--ballot",
            vote.ballot,
            "--organisation",
            vote.organisation,
            "--question",
            vote.question,
            "--choice",
            vote.choice,
            "--out",
            &out_dir,
        ];
        let reasons;
        if let Some(lines) = vote.attachment {
            reasons = self.path(&format!("{who}-{}-reasons.txt", vote.ballot));
            std::fs::write(&reasons, lines).expect("write");
            args.extend(["--attachment", &reasons]);
        }
        let out = scrutineer(&self.client("vote", group, who, &args));
        match refused {
            None => assert!(
                out.status.success(),
                "{who}'s vote in {}: {}",
                vote.ballot,
                text(&out.stderr)
            ),
            Some(code) => {
                assert!(
                    !out.status.success(),
                    "{who}'s vote in {} accepted",
                    vote.ballot
                );
                let err = text(&out.stderr);
                assert!(err.contains(&format!("refused ({code})")), "{err}");
            }
        }
    }

    /// Waits (bounded) until `ballot` of `group` is in `state`.
    fn wait_for(&self, group: &str, ballot: &str, state: &str) {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        loop {
            let r = get(
                self.address(),
                &format!("/v1/groups/{group}/ballots/{ballot}"),
                Some(&self.token),
            );
            if r.status == 200 && r.json()["state"] == state {
                return;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "ballot {ballot} did not become {state}: {}",
                r.text()
            );
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
    }

    /// The chair `who` certifies the tallied `ballot`.
    fn certify(&self, group: &str, who: &str, ballot: &str) {
        let out = ok(&self.client("certify", group, who, &["--ballot", ballot]));
        assert!(out.contains(&format!("certified {ballot}")), "{out}");
    }

    /// Pins the group's log key in `<group>.vkey`.
    fn pin(&self, group: &str) {
        let info = get(
            self.address(),
            &format!("/v1/groups/{group}"),
            Some(&self.token),
        )
        .json();
        let key = info["log_key"].as_str().expect("a log key");
        std::fs::write(self.path(&format!("{group}.vkey")), format!("{key}\n")).expect("write");
    }

    /// Every receipt kept by anyone for `ballot` (the latest and the
    /// superseded ones).
    fn receipts(&self, ballot: &str) -> Vec<String> {
        let mut found = Vec::new();
        for dir in std::fs::read_dir(&self.work).expect("the work folder") {
            let dir = dir.expect("an entry").path();
            if !dir.is_dir() || !dir.to_string_lossy().ends_with("-votes") {
                continue;
            }
            for file in std::fs::read_dir(&dir).expect("a vote folder") {
                let file = file.expect("an entry").path();
                let name = file
                    .file_name()
                    .and_then(|n| n.to_str())
                    .unwrap_or_default();
                if name.starts_with(&format!("{ballot}-")) && name.ends_with(".tlog-proof") {
                    found.push(file.to_str().expect("UTF-8").to_owned());
                }
            }
        }
        found.sort();
        found
    }

    /// Exports and verifies `expected.ballot` of `group` three ways, with
    /// every receipt kept for it; checks what the reports say.
    fn audit(&self, group: &str, auditor: &str, expected: &Expected) {
        let ballot = expected.ballot.as_str();
        let key = self.path(&format!("{group}.vkey"));
        let receipts = self.receipts(ballot);
        assert!(!receipts.is_empty(), "{ballot}: no receipts kept");
        let with_receipts = |mut args: Vec<String>| {
            for r in &receipts {
                args.extend(["--receipt".to_owned(), r.clone()]);
            }
            args.extend(strings(&["--json"]));
            args
        };

        // A directory, written by `scrutineer export`.
        let dir = self.path(&format!("{group}-{ballot}-bundle"));
        let mut export = self.client(
            "export",
            group,
            auditor,
            &["--ballot", ballot, "--out", &dir],
        );
        export.retain(|a| !a.ends_with(".key") && a != "--key");
        ok(&export);
        let by_dir = ok(&with_receipts(strings(&[
            "verify",
            &dir,
            "--log-key",
            &key,
        ])));

        // The archive the API serves.
        let r = get(
            self.address(),
            &format!("/v1/groups/{group}/ballots/{ballot}/bundle"),
            Some(&std::fs::read_to_string(self.path(&format!("{auditor}.token"))).expect("token")),
        );
        assert_eq!(r.status, 200, "{}", r.text());
        let tar = self.path(&format!("{group}-{ballot}.tar"));
        std::fs::write(&tar, &r.body).expect("write");
        let by_tar = ok(&with_receipts(strings(&[
            "verify",
            &tar,
            "--log-key",
            &key,
        ])));

        // The server's URL.
        let by_url = ok(&with_receipts(strings(&[
            "verify",
            &self.url(),
            "--group",
            group,
            "--ballot",
            ballot,
            "--log-key",
            &key,
            "--token-file",
            &self.path(&format!("{auditor}.token")),
        ])));

        for (how, report) in [("directory", by_dir), ("archive", by_tar), ("URL", by_url)] {
            let report: Value = serde_json::from_str(&report).expect("a JSON report");
            let context = format!("{group} {ballot} by {how}: {report:#}");
            assert_eq!(report["ok"], true, "{context}");
            assert_eq!(report["ballot"]["id"], ballot, "{context}");
            assert_eq!(report["ballot"]["state"], "certified", "{context}");
            let results = report["ballot"]["results"].as_array().expect("results");
            assert_eq!(results.len(), expected.results.len(), "{context}");
            for (result, (question, outcome, in_favour, against)) in
                results.iter().zip(&expected.results)
            {
                assert_eq!(result["question"], *question, "{context}");
                assert_eq!(result["outcome"], *outcome, "{context}");
                assert_eq!(result["in_favour"], *in_favour, "{context}");
                assert_eq!(result["against"], *against, "{context}");
            }
            let statuses: Vec<&str> = report["receipts"]
                .as_array()
                .expect("receipts")
                .iter()
                .map(|r| r["status"].as_str().expect("a status"))
                .collect();
            assert_eq!(statuses.len(), receipts.len(), "{context}");
            assert!(
                statuses
                    .iter()
                    .all(|s| *s == "counted" || *s == "superseded"),
                "{context}"
            );
        }
    }
}

/// One vote: which ballot, organisation, question, choice, and the text
/// of an attachment if any.
#[derive(Clone, Copy)]
struct Vote<'a> {
    ballot: &'a str,
    organisation: &'a str,
    question: &'a str,
    choice: &'a str,
    attachment: Option<&'a str>,
}

fn vote<'a>(ballot: &'a str, organisation: &'a str, choice: &'a str) -> Vote<'a> {
    Vote {
        ballot,
        organisation,
        question: "main",
        choice,
        attachment: None,
    }
}

fn start(data: &Path, work: &Path) -> Years {
    let server = Server::start(data, &["--simulated-clock", "--simulated-start", START]);
    let token = server.token.clone().expect("first start prints the token");
    std::fs::write(work.join("secretariat.token"), format!("{token}\n")).expect("write");
    Years {
        server,
        token,
        work: work.to_owned(),
    }
}

/// ISG ETI from 2026 to 2028: six ballots. Returns what each must verify
/// to.
fn etsi_isg(y: &Years) -> Vec<Expected> {
    const G: &str = "ETI";
    y.send(
        "POST",
        "/v1/groups",
        json!({"id": G, "profile": "etsi-isg"}),
    );
    let from = "2026-01-01T00:00:00Z";
    y.organisation(
        G,
        "cadzow",
        json!({"class": "member", "founding": true, "from": from}),
    );
    y.organisation(
        G,
        "bobco",
        json!({"class": "member", "founding": true, "from": from}),
    );
    y.organisation(
        G,
        "newco",
        json!({"class": "member", "founding": false, "from": from}),
    );
    y.organisation(G, "partco", json!({"class": "participant", "from": from}));
    y.person(G, "carol", "cadzow", true);
    y.person(G, "alice", "cadzow", true);
    y.person(G, "bob", "bobco", true);
    y.person(G, "nina", "newco", true);
    y.person(G, "erin", "newco", true);
    y.person(G, "pat", "partco", true);
    y.person(G, "dora", "bobco", false);
    y.send("PUT", &format!("/v1/groups/{G}/reviewers/dora"), json!({}));
    // Carol's two-year term runs from now (deviation #1).
    y.send(
        "POST",
        &format!("/v1/groups/{G}/chair"),
        json!({"person": "carol"}),
    );
    y.pin(G);
    // The kick-off meeting and the plenaries of three years; the Kick-off
    // Period ends with p3, the second face-to-face plenary after the KoM.
    let meetings = [
        (
            "kom",
            "face-to-face",
            "2026-02-02T09:00:00Z",
            "2026-02-03T17:00:00Z",
        ),
        (
            "p2",
            "face-to-face",
            "2026-05-05T09:00:00Z",
            "2026-05-06T17:00:00Z",
        ),
        (
            "p3",
            "face-to-face",
            "2026-09-08T09:00:00Z",
            "2026-09-09T17:00:00Z",
        ),
        (
            "p4",
            "face-to-face",
            "2027-01-19T09:00:00Z",
            "2027-01-21T17:00:00Z",
        ),
        (
            "p5",
            "face-to-face",
            "2027-06-15T09:00:00Z",
            "2027-06-16T17:00:00Z",
        ),
        (
            "p6",
            "hybrid",
            "2027-11-09T09:00:00Z",
            "2027-11-10T17:00:00Z",
        ),
    ];
    for (id, format, start, end) in meetings {
        y.meeting(G, id, format, start, end, id == "kom");
    }
    let mut expected = Vec::new();

    // B1, by correspondence in the Kick-off Period: both founding members
    // vote, whatever their attendance; newco (not founding, not at the
    // KoM) and the participant are refused. Alice changes her vote.
    y.clock("2026-02-04T12:00:00Z");
    y.attended(G, "kom", &[("alice", "cadzow"), ("bob", "bobco")]);
    y.clock("2026-02-10T00:00:00Z");
    y.announce_refused(
        G,
        "carol",
        "B1",
        &[
            "--kind",
            "correspondence",
            "--opens",
            "2026-03-01T00:00:00Z",
            "--closes",
            "2026-04-01T00:00:00Z",
        ],
        "notice-period",
    );
    y.announce(
        G,
        "carol",
        "B1",
        &[
            "--kind",
            "correspondence",
            "--opens",
            "2026-03-15T00:00:00Z",
            "--closes",
            "2026-04-15T00:00:00Z",
        ],
    );
    y.clock("2026-03-16T00:00:00Z");
    y.wait_for(G, "B1", "open");
    y.vote(G, "alice", vote("B1", "cadzow", "yes"), None);
    y.vote(G, "bob", vote("B1", "bobco", "yes"), None);
    y.vote(G, "nina", vote("B1", "newco", "yes"), Some("not-eligible"));
    y.vote(G, "pat", vote("B1", "partco", "yes"), Some("not-eligible"));
    y.vote(G, "alice", vote("B1", "cadzow", "no"), None);
    y.clock("2026-04-16T00:00:00Z");
    y.wait_for(G, "B1", "tallied");
    y.certify(G, "carol", "B1");
    expected.push(Expected {
        ballot: "B1".into(),
        results: vec![("main", "rejected", 1, 1)],
    });

    // B2, a meeting vote at p3 (still in the Kick-off Period at its
    // start): only those physically present may cast.
    y.clock("2026-05-07T12:00:00Z");
    y.attended(G, "p2", &[("alice", "cadzow"), ("nina", "newco")]);
    y.clock("2026-06-01T00:00:00Z");
    y.announce(
        G,
        "carol",
        "B2",
        &[
            "--kind",
            "meeting",
            "--meeting",
            "p3",
            "--opens",
            "2026-09-08T10:00:00Z",
            "--closes",
            "2026-09-08T16:00:00Z",
        ],
    );
    y.clock("2026-09-08T09:30:00Z");
    y.attended(G, "p3", &[("alice", "cadzow"), ("nina", "newco")]);
    y.clock("2026-09-08T10:30:00Z");
    y.wait_for(G, "B2", "open");
    y.vote(G, "alice", vote("B2", "cadzow", "yes"), None);
    y.vote(G, "bob", vote("B2", "bobco", "yes"), Some("not-present"));
    y.vote(G, "nina", vote("B2", "newco", "yes"), Some("not-eligible"));
    y.clock("2026-09-08T16:30:00Z");
    y.wait_for(G, "B2", "tallied");
    y.certify(G, "carol", "B2");
    expected.push(Expected {
        ballot: "B2".into(),
        results: vec![("main", "approved", 1, 0)],
    });

    // B3, by correspondence after the Kick-off Period: attendance decides
    // (bobco attended only the KoM). A participant appeals the certified
    // result; the reviewer upholds it.
    y.clock("2026-10-01T00:00:00Z");
    y.announce(
        G,
        "carol",
        "B3",
        &[
            "--kind",
            "correspondence",
            "--opens",
            "2026-11-02T00:00:00Z",
            "--closes",
            "2026-12-01T00:00:00Z",
        ],
    );
    y.clock("2026-11-03T00:00:00Z");
    y.wait_for(G, "B3", "open");
    y.vote(G, "alice", vote("B3", "cadzow", "yes"), None);
    y.vote(G, "nina", vote("B3", "newco", "yes"), None);
    y.vote(G, "bob", vote("B3", "bobco", "no"), Some("not-eligible"));
    y.vote(G, "nina", vote("B3", "newco", "abstain"), None);
    y.clock("2026-12-02T00:00:00Z");
    y.wait_for(G, "B3", "tallied");
    y.certify(G, "carol", "B3");
    std::fs::write(y.path("grounds.txt"), "The agenda was sent late.\n").expect("write");
    let out = ok(&y.client(
        "appeal",
        G,
        "pat",
        &[
            "--ballot",
            "B3",
            "--against",
            "certification",
            "--grounds",
            &y.path("grounds.txt"),
        ],
    ));
    let appeal = out
        .split("the appeal's id is ")
        .nth(1)
        .expect("an appeal id")
        .trim()
        .to_owned();
    std::fs::write(y.path("reasons.txt"), "The notice was given in time.\n").expect("write");
    ok(&y.client(
        "decide",
        G,
        "dora",
        &[
            "--ballot",
            "B3",
            "--appeal",
            &appeal,
            "--outcome",
            "upheld",
            "--reasons",
            &y.path("reasons.txt"),
        ],
    ));
    expected.push(Expected {
        ballot: "B3".into(),
        results: vec![("main", "approved", 1, 0)],
    });

    // B4, a meeting vote at p4, after the Kick-off Period.
    y.clock("2026-12-10T00:00:00Z");
    y.announce(
        G,
        "carol",
        "B4",
        &[
            "--kind",
            "meeting",
            "--meeting",
            "p4",
            "--opens",
            "2027-01-20T09:00:00Z",
            "--closes",
            "2027-01-20T17:00:00Z",
        ],
    );
    y.clock("2027-01-19T10:00:00Z");
    y.attended(G, "p4", &[("alice", "cadzow"), ("nina", "newco")]);
    y.clock("2027-01-20T10:00:00Z");
    y.wait_for(G, "B4", "open");
    y.vote(G, "alice", vote("B4", "cadzow", "no"), None);
    y.vote(G, "nina", vote("B4", "newco", "yes"), None);
    y.clock("2027-01-20T18:00:00Z");
    y.wait_for(G, "B4", "tallied");
    y.certify(G, "carol", "B4");
    expected.push(Expected {
        ballot: "B4".into(),
        results: vec![("main", "rejected", 1, 1)],
    });

    // B5, by correspondence; a vote after the close is refused.
    y.clock("2027-02-15T00:00:00Z");
    y.announce(
        G,
        "carol",
        "B5",
        &[
            "--kind",
            "correspondence",
            "--opens",
            "2027-03-20T00:00:00Z",
            "--closes",
            "2027-04-20T00:00:00Z",
        ],
    );
    y.clock("2027-03-21T00:00:00Z");
    y.wait_for(G, "B5", "open");
    y.vote(G, "alice", vote("B5", "cadzow", "yes"), None);
    y.vote(G, "nina", vote("B5", "newco", "yes"), None);
    y.clock("2027-04-21T00:00:00Z");
    y.wait_for(G, "B5", "tallied");
    y.vote(G, "nina", vote("B5", "newco", "no"), Some("outside-window"));
    y.certify(G, "carol", "B5");
    expected.push(Expected {
        ballot: "B5".into(),
        results: vec![("main", "approved", 2, 0)],
    });

    // Two years on: carol's term has ended, so her announcement is
    // refused; the secretariat appoints erin, who runs B6.
    y.clock("2027-06-17T12:00:00Z");
    y.attended(G, "p5", &[("alice", "cadzow"), ("nina", "newco")]);
    y.clock("2027-11-11T12:00:00Z");
    y.attended(G, "p6", &[("alice", "cadzow"), ("nina", "newco")]);
    y.clock("2028-01-15T00:00:00Z");
    let b6 = [
        "--kind",
        "correspondence",
        "--opens",
        "2028-02-20T00:00:00Z",
        "--closes",
        "2028-03-20T00:00:00Z",
    ];
    y.announce_refused(G, "carol", "B6", &b6, "forbidden");
    y.send(
        "POST",
        &format!("/v1/groups/{G}/chair"),
        json!({"person": "erin"}),
    );
    y.announce(G, "erin", "B6", &b6);
    y.clock("2028-02-21T00:00:00Z");
    y.wait_for(G, "B6", "open");
    y.vote(G, "alice", vote("B6", "cadzow", "yes"), None);
    y.vote(G, "nina", vote("B6", "newco", "no"), None);
    y.vote(G, "nina", vote("B6", "newco", "yes"), None);
    y.clock("2028-03-21T00:00:00Z");
    y.wait_for(G, "B6", "tallied");
    let refused = scrutineer(&y.client("certify", G, "carol", &["--ballot", "B6"]));
    assert!(!refused.status.success(), "a former chair certified");
    y.certify(G, "erin", "B6");
    expected.push(Expected {
        ballot: "B6".into(),
        results: vec![("main", "approved", 2, 0)],
    });
    expected
}

/// Study group SG17 of ITU-T: six consultations of two draft
/// Recommendations each, three Member States and a Sector Member.
fn itu_t_study_group(y: &Years) -> Vec<Expected> {
    const G: &str = "SG17";
    y.send(
        "POST",
        "/v1/groups",
        json!({"id": G, "profile": "itu-t-tap"}),
    );
    for state in ["CH", "JP", "ZA"] {
        y.organisation(
            G,
            state,
            json!({"class": "member-state", "from": "2020-01-01T00:00:00Z"}),
        );
    }
    y.organisation(
        G,
        "acme",
        json!({"class": "sector-member", "from": "2020-01-01T00:00:00Z"}),
    );
    y.person(G, "tsb", "CH", false);
    y.person(G, "chris", "CH", true);
    y.person(G, "jun", "JP", true);
    y.person(G, "zane", "ZA", true);
    y.person(G, "sam", "acme", true);
    y.send(
        "POST",
        &format!("/v1/groups/{G}/chair"),
        json!({"person": "tsb"}),
    );
    y.pin(G);

    let mut expected = Vec::new();
    // Each consultation: announced on the first of a month of 2028, due a
    // month later, the meeting four months later.
    for (i, month) in ["04", "05", "06", "07", "08", "09"].into_iter().enumerate() {
        let ballot = format!("C{}", i + 1);
        let b = ballot.as_str();
        y.clock(&format!("2028-{month}-01T00:00:00Z"));
        let closes = format!(
            "2028-{:02}-01T00:00:00Z",
            month.parse::<u32>().expect("a month") + 1
        );
        let meeting = format!(
            "2028-{:02}-02T00:00:00Z",
            month.parse::<u32>().expect("a month") + 3
        );
        y.announce(
            G,
            "tsb",
            b,
            &[
                "--kind",
                "consultation",
                "--question",
                "X.1",
                "--question",
                "X.2",
                "--closes",
                &closes,
                "--meeting-start",
                &meeting,
            ],
        );
        y.wait_for(G, b, "open");
        let reply = |org, question, choice, attachment| Vote {
            ballot: b,
            organisation: org,
            question,
            choice,
            attachment,
        };
        y.vote(G, "chris", reply("CH", "X.1", "assign", None), None);
        y.vote(G, "chris", reply("CH", "X.2", "assign", None), None);
        y.vote(G, "jun", reply("JP", "X.1", "assign", None), None);
        y.vote(
            G,
            "jun",
            reply("JP", "X.2", "do-not-assign", None),
            Some("reasons-required"),
        );
        y.vote(
            G,
            "jun",
            reply(
                "JP",
                "X.2",
                "do-not-assign",
                Some("Clause 7 conflicts with X.509.\n"),
            ),
            None,
        );
        y.vote(
            G,
            "sam",
            reply("acme", "X.1", "assign", None),
            Some("not-eligible"),
        );
        // Every other consultation, ZA replies to X.1 and changes its reply.
        if i % 2 == 0 {
            y.vote(G, "zane", reply("ZA", "X.1", "assign", None), None);
            y.vote(
                G,
                "zane",
                reply("ZA", "X.1", "do-not-assign", Some("Not ready.\n")),
                None,
            );
        }
        y.clock(&closes);
        y.wait_for(G, b, "tallied");
        y.certify(G, "tsb", b);
        expected.push(Expected {
            ballot,
            results: if i % 2 == 0 {
                // X.1: 2 of 3 replies assign (66 % < 70 %); X.2: 1 of 2 (50 %).
                vec![("X.1", "not-proceed", 2, 1), ("X.2", "not-proceed", 1, 1)]
            } else {
                vec![("X.1", "proceed", 2, 0), ("X.2", "not-proceed", 1, 1)]
            },
        });
    }
    expected
}

#[test]
fn every_ballot_of_a_group_over_the_years_verifies_by_directory_archive_and_url() {
    let data = tempfile::tempdir().expect("temporary directory");
    let work = tempfile::tempdir().expect("temporary directory");
    let y = start(data.path(), work.path());
    let isg = etsi_isg(&y);
    let sg = itu_t_study_group(&y);

    // Every ballot of each group, with the group's whole history in its
    // bundle; the voters' receipts are checked against each.
    let mut audited = BTreeMap::new();
    for expected in &isg {
        y.audit("ETI", "alice", expected);
        audited.insert(("ETI", expected.ballot.clone()), ());
    }
    for expected in &sg {
        y.audit("SG17", "chris", expected);
        audited.insert(("SG17", expected.ballot.clone()), ());
    }
    assert_eq!(audited.len(), 12);

    // The appeal on B3 is in its report, upheld.
    let report = ok(&[
        "verify",
        &y.path("ETI-B3-bundle"),
        "--log-key",
        &y.path("ETI.vkey"),
    ]);
    assert!(report.contains("upheld by the reviewer dora"), "{report}");
    assert!(!report.contains("ANNULLED"), "{report}");
    let report = ok(&[
        "verify",
        &y.path("ETI-B6-bundle"),
        "--log-key",
        &y.path("ETI.vkey"),
    ]);
    assert!(report.contains("Certified by the chair erin"), "{report}");
}
