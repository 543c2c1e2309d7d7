//! The web application in a real browser: Debian's Chromium, driven by
//! `tests/browser/web.mjs` (playwright-core and axe-core, pinned in
//! `tests/browser/package-lock.json`), against the real `scrutineer serve`
//! on port 0 with a group, delegates, a ballot and a vote made through the
//! CLI. The script signs in (a wrong token refused, the keyboard only),
//! reads the home and ballot pages, imports a `scrutineer keygen` key,
//! makes a key in the browser and requests it, which the secretariat
//! approves through the API, checks a real and a tampered receipt, signs
//! out, and runs axe-core on every page; no console error and no request to
//! another origin are allowed. Then `tests/browser/vote.mjs` votes: alice,
//! with the keyboard only, on a ballot of two questions (review of the exact
//! notes, receipts verified in the page and downloaded), changes a vote;
//! dave, whose organisation is not eligible, is refused; a vote sent after
//! the close is refused; the result shows which votes counted. The
//! downloaded `.vote` and `.tlog-proof` files are then given to the real
//! `scrutineer receipt verify`. A second test runs the module's note
//! builder against the shared known answers (`tests/browser/vectors.mjs`).
//!
//! Skipped with a note when `/usr/bin/chromium` or
//! `tests/browser/node_modules` is missing (`npm ci --prefix
//! tests/browser`), unless `SCRUTINEER_REQUIRE_BROWSER=1` (CI), which
//! makes that a failure. `SCRUTINEER_SCREENSHOTS=DIR` saves a PNG of each
//! page (`docs/screenshots/`).

#![cfg(feature = "server")]

mod common;

use std::path::Path;
use std::process::Command;

use common::world::{World, ok, strings, text};
use serde_json::json;

const CHROMIUM: &str = "/usr/bin/chromium";
const START: &str = "2026-06-01T00:00:00Z";

/// What is missing to run the browser, if anything.
fn missing() -> Option<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    if !Path::new(CHROMIUM).exists() {
        return Some(format!("{CHROMIUM} (apt-get install chromium)"));
    }
    if !root
        .join("tests/browser/node_modules/playwright-core")
        .exists()
        || !root.join("tests/browser/node_modules/axe-core").exists()
    {
        return Some("tests/browser/node_modules (npm ci --prefix tests/browser)".to_owned());
    }
    match Command::new("node").arg("--version").output() {
        Ok(out) if out.status.success() => None,
        _ => Some("node".to_owned()),
    }
}

/// Whether this test must skip: Chromium, node or the node modules are
/// missing (said on stderr), unless `SCRUTINEER_REQUIRE_BROWSER=1`, which
/// makes that a failure.
fn skipped() -> bool {
    let Some(what) = missing() else {
        return false;
    };
    assert!(
        std::env::var("SCRUTINEER_REQUIRE_BROWSER").as_deref() != Ok("1"),
        "SCRUTINEER_REQUIRE_BROWSER=1 but {what} is missing"
    );
    eprintln!("skipping the browser tests: {what} is missing");
    true
}

fn announce(w: &World, ballot: &str, questions: &[&str], opens: &str, closes: &str) {
    announce_with(w, ballot, questions, opens, closes, &[]);
}

/// Announces with extra flags (a title, the questions' texts, documents).
fn announce_with(
    w: &World,
    ballot: &str,
    questions: &[&str],
    opens: &str,
    closes: &str,
    extra: &[String],
) {
    let p = |name: &str| w.path_str(name);
    let mut args = strings(&["announce"]);
    args.extend(w.server_flags());
    args.extend(strings(&[
        "--log-key",
        &p("log.vkey"),
        "--token-file",
        &p("carol.token"),
        "--key",
        &p("carol.key"),
        "--ballot",
        ballot,
        "--kind",
        "correspondence",
        "--opens",
        opens,
        "--closes",
        closes,
    ]));
    for q in questions {
        args.extend(strings(&["--question", q]));
    }
    args.extend(extra.iter().cloned());
    ok(&args);
}

#[test]
fn the_web_application_in_chromium() {
    let Some((run, w)) = browsing(START) else {
        return;
    };
    w.eti_group(&["cadzow"]);
    // bob: a delegate of cadzow with no key yet (he makes one in the
    // browser).
    w.account("bob");
    w.send(
        "PUT",
        "/v1/groups/ETI/persons/bob",
        json!({"organisation": "cadzow", "membership_list": true}),
    );
    // dave: the delegate of newco, a member that joined after the
    // founding and attended nothing, so not eligible (SPEC 2.1 item 2).
    w.send(
        "PUT",
        "/v1/groups/ETI/organisations/newco",
        json!({"class": "member", "founding": false, "from": "2026-01-01T00:00:00Z"}),
    );
    w.account("dave");
    w.send(
        "PUT",
        "/v1/groups/ETI/persons/dave",
        json!({"organisation": "newco", "membership_list": true}),
    );
    w.key("dave");
    // A key of alice's that is not registered.
    ok(&[
        "keygen",
        "--name",
        "alice",
        "--out",
        &w.path_str("alice-other.key"),
    ]);

    // B1 opens after 44 days; alice votes in it with the CLI, which keeps
    // the vote and its receipt. B2 is announced after that and upcoming.
    announce(
        &w,
        "B1",
        &["main"],
        "2026-07-15T00:00:00Z",
        "2026-08-15T00:00:00Z",
    );
    // B3: two questions, voted on in the browser (vote.mjs), announced
    // with what is voted on: a title, each question's text, a document.
    let draft = w.path("GS-ETI-001-draft.txt");
    std::fs::write(&draft, "GS ETI 001 V1.1.1, the draft voted on.\n").expect("the draft");
    announce_with(
        &w,
        "B3",
        &["main", "annex"],
        "2026-07-15T00:00:00Z",
        "2026-08-15T00:00:00Z",
        &strings(&[
            "--title",
            "Approval of GS ETI 001 V1.1.1",
            "--question-text",
            "Do you approve GS ETI 001 V1.1.1 for publication?",
            "--question-text",
            "Do you approve Annex B as informative?",
            "--document",
            &draft.display().to_string(),
        ]),
    );
    w.advance_days(45);
    w.wait_for("B1", "open");
    w.vote("alice", "alice.key", "B1", "cadzow", "yes", "votes");
    let votes = w.path_str("votes");
    announce(
        &w,
        "B2",
        &["main"],
        "2026-09-01T00:00:00Z",
        "2026-10-01T00:00:00Z",
    );

    let read_token = |person: &str| {
        std::fs::read_to_string(w.path(&format!("{person}.token")))
            .expect("token file")
            .trim()
            .to_owned()
    };
    let web = run.script(
        "web.mjs",
        &[
            ("SECRETARIAT_TOKEN", w.token.clone().into()),
            ("ALICE_TOKEN", read_token("alice").into()),
            ("BOB_TOKEN", read_token("bob").into()),
            ("ALICE_KEY", w.path("alice.key").into()),
            ("OTHER_KEY", w.path("alice-other.key").into()),
            (
                "RECEIPT",
                Path::new(&votes).join("B1-main-cadzow.tlog-proof").into(),
            ),
            ("VOTE", Path::new(&votes).join("B1-main-cadzow.vote").into()),
            ("WORK", run.work.path().into()),
        ],
        &w,
    );
    let downloads = run.work.path().join("downloads");
    let vote = run.script(
        "vote.mjs",
        &[
            ("SECRETARIAT_TOKEN", w.token.clone().into()),
            ("ALICE_TOKEN", read_token("alice").into()),
            ("ALICE_KEY", w.path("alice.key").into()),
            ("DAVE_TOKEN", read_token("dave").into()),
            ("DAVE_KEY", w.path("dave.key").into()),
            ("DOWNLOADS", downloads.clone().into()),
        ],
        &w,
    );
    // The files the page offered are the CLI's: `scrutineer receipt
    // verify` accepts each receipt with the vote file beside it, after
    // the close too.
    let mut verified = 0;
    for dir in [downloads.clone(), downloads.join("second")] {
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.extension().is_none_or(|e| e != "tlog-proof") {
                continue;
            }
            let mut args = strings(&["receipt", "verify", path.to_str().expect("UTF-8")]);
            args.extend(w.server_flags());
            args.extend(strings(&["--log-key", &w.path_str("log.vkey")]));
            let out = ok(&args);
            assert!(
                out.contains("ok: the entry is the vote entry for"),
                "{}: {out}",
                path.display()
            );
            verified += 1;
        }
    }
    // The ballot voted on in the browser, closed and tallied by vote.mjs,
    // is still verified by `scrutineer verify` from its audit bundle, and
    // the receipts the page offered are found in it: the first vote on
    // `main` superseded by the second, the others counted.
    let mut statuses = Vec::new();
    if vote {
        let bundle = w.export("alice", "B3", "B3-bundle");
        let mut args = strings(&["verify", &bundle, "--ballot", "B3", "--json"]);
        args.extend(strings(&["--log-key", &w.path_str("log.vkey")]));
        for dir in [downloads.clone(), downloads.join("second")] {
            for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
                let path = entry.path();
                if path.extension().is_some_and(|e| e == "tlog-proof") {
                    args.extend(strings(&["--receipt", path.to_str().expect("UTF-8")]));
                }
            }
        }
        let report: serde_json::Value = serde_json::from_str(&ok(&args)).expect("JSON");
        for receipt in report["receipts"].as_array().expect("receipts") {
            statuses.push(receipt["status"].as_str().unwrap_or("?").to_owned());
        }
        statuses.sort();
    }
    w.server.stop();
    assert!(web, "the browser checks of web.mjs failed");
    assert!(vote, "the browser checks of vote.mjs failed");
    assert_eq!(
        verified, 3,
        "scrutineer receipt verify accepts the three receipts downloaded in the browser"
    );
    assert_eq!(
        statuses,
        ["counted", "counted", "superseded"],
        "scrutineer verify finds the browser's receipts in B3's bundle"
    );
}

/// The secretariat's pages (`tests/browser/secretariat.mjs`): accounts
/// and tokens, the registry's forms, an attendance import refused row by
/// row then accepted, a reviewer, and a key made in bob's browser,
/// approved after the fingerprints are compared, then revoked. The
/// registry the API reads afterwards holds what the pages logged.
#[test]
fn the_secretariat_in_chromium() {
    let Some((run, w)) = browsing(START) else {
        return;
    };
    w.eti_group(&["cadzow"]);
    w.account("bob");
    w.send(
        "PUT",
        "/v1/groups/ETI/persons/bob",
        json!({"organisation": "cadzow", "membership_list": true}),
    );
    let bob = std::fs::read_to_string(w.path("bob.token"))
        .expect("token file")
        .trim()
        .to_owned();
    let passed = run.script(
        "secretariat.mjs",
        &[
            ("SECRETARIAT_TOKEN", w.token.clone().into()),
            ("BOB_TOKEN", bob.into()),
        ],
        &w,
    );
    let read = |path: &str| common::http::get(&w.server.address, path, Some(&w.token)).json();
    let attendance = read("/v1/groups/ETI/attendance");
    let reviewers = read("/v1/groups/ETI/reviewers");
    let erin = read("/v1/groups/ETI/persons/erin");
    w.server.stop();
    assert!(passed, "the browser checks of secretariat.mjs failed");
    let at_plenary = attendance
        .as_array()
        .expect("a list")
        .iter()
        .filter(|a| a["meeting"] == "plenary-2")
        .count();
    assert_eq!(
        at_plenary, 3,
        "the corrected import logged its three rows: {attendance}"
    );
    assert_eq!(reviewers, json!(["erin"]));
    assert_eq!(erin["organisation"], "newco", "{erin}");
    assert_eq!(erin["name"], "Erin Example", "{erin}");
}

/// The receipt check shows the witnesses' cosignatures
/// (`tests/browser/witnesses.mjs`): a server that asks three real
/// `scrutineer witness` processes (quorum two of three) on a simulated
/// clock, the witnesses following it; alice votes with the CLI and, once
/// the log's head is cosigned, her receipt is checked in the page, which
/// lists the witnesses that cosigned the log's current checkpoint, when,
/// and that the quorum is met, and refuses an altered cosignature.
#[test]
fn the_receipt_check_shows_the_witnesses_cosignatures_in_chromium() {
    if skipped() {
        return;
    }
    const ORIGIN: &str = "simulated.invalid/vote.test/ETI";
    let dir = tempfile::tempdir().expect("temporary directory");
    let data = dir.path().join("data");
    let work = dir.path().join("work");
    std::fs::create_dir_all(&work).expect("work directory");
    let two = common::witness::two_of_three(dir.path(), &data, ORIGIN, START);
    let pinned = two.pinned();
    let server = two.server(dir.path(), &data, START);
    let common::witness::TwoOfThree {
        clock, witnesses, ..
    } = two;
    let token = server.token.clone().expect("first start prints the token");
    let w = World {
        server,
        token,
        work,
    };
    w.eti_group(&["cadzow"]);
    announce(
        &w,
        "B1",
        &["main"],
        "2026-07-15T00:00:00Z",
        "2026-08-15T00:00:00Z",
    );
    std::fs::write(&clock, "2026-07-16T00:00:00Z").expect("the witnesses' clock");
    w.advance_days(45);
    w.wait_for("B1", "open");
    w.vote("alice", "alice.key", "B1", "cadzow", "yes", "votes");
    common::witness::settled(&w, &pinned);
    let receipt = std::fs::read_dir(w.path("votes"))
        .expect("the votes folder")
        .map(|e| e.expect("an entry").path())
        .find(|p| p.extension().is_some_and(|x| x == "tlog-proof"))
        .expect("alice's receipt");
    let passed = run_script(
        "witnesses.mjs",
        &[("RECEIPT", receipt.into())],
        &w,
        screenshots().as_deref(),
    );
    w.server.stop();
    for p in witnesses {
        p.kill();
    }
    assert!(passed, "the browser checks of witnesses.mjs failed");
}

/// The chair announces in the browser (`tests/browser/chair.mjs`): the
/// notice rule explained while the dates are typed, a draft refused by it,
/// then the exact note, naming a document picked in the page, signed with
/// carol's key and logged; alice's ballot page downloads the document, and
/// B9 is announced again with it (fetched back from the server). The
/// ballot then runs as any other: alice votes with the CLI, the ballot
/// closes and is tallied, and its exported audit bundle, the document
/// with it, passes `scrutineer verify` with alice's receipt.
#[test]
fn the_chair_announces_in_chromium() {
    let Some((run, w)) = browsing(START) else {
        return;
    };
    w.eti_group(&["cadzow"]);
    let carol = std::fs::read_to_string(w.path("carol.token"))
        .expect("token file")
        .trim()
        .to_owned();
    let alice = std::fs::read_to_string(w.path("alice.token"))
        .expect("token file")
        .trim()
        .to_owned();
    // Bytes to vote on; the page reads its media type from the name.
    let document = w.path("GS-ETI-009.pdf");
    std::fs::write(
        &document,
        b"%PDF-1.7\n% GS ETI 009 V1.1.1, the draft voted on\n",
    )
    .expect("write the document");
    let passed = run.script(
        "chair.mjs",
        &[
            ("CAROL_TOKEN", carol.into()),
            ("CAROL_KEY", w.path("carol.key").into()),
            ("ALICE_TOKEN", alice.into()),
            ("DOCUMENT", document.into()),
        ],
        &w,
    );
    assert!(passed, "the browser checks of chair.mjs failed");
    w.advance_days(45);
    w.wait_for("B9", "open");
    w.vote("alice", "alice.key", "B9", "cadzow", "yes", "votes");
    w.advance_days(32);
    w.wait_for("B9", "tallied");
    let bundle = w.export("carol", "B9", "B9-bundle");
    let receipt = w.path("votes").join("B9-main-cadzow.tlog-proof");
    let report = ok(&[
        "verify",
        &bundle,
        "--log-key",
        &w.path_str("log.vkey"),
        "--receipt",
        receipt.to_str().expect("UTF-8"),
    ]);
    w.server.stop();
    assert!(report.contains("Approval of GS ETI 009 V1.1.1"), "{report}");
    assert!(report.contains("counted"), "{report}");
}

/// The whole quickstart through the browser alone
/// (`tests/browser/quickstart.mjs`): on an empty server, the secretariat
/// creates the group, accounts, the registry and attendance
/// by CSV, keys are requested and approved, the chair announces, alice
/// votes, the chair certifies, bob (a Participant) appeals and erin (the
/// reviewer) upholds; all in pages. Then the ballot's audit bundle,
/// exported with a token issued in the browser, passes `scrutineer verify`
/// with the receipt downloaded in the browser.
#[test]
fn the_quickstart_runs_in_chromium_alone() {
    let Some((run, w)) = browsing(START) else {
        return;
    };
    let mut vars: Vec<(String, std::ffi::OsString)> = Vec::new();
    for person in ["alice", "bob", "carol", "erin"] {
        let key = w.path(&format!("{person}.key"));
        let verifier = ok(&[
            "keygen",
            "--name",
            person,
            "--out",
            key.to_str().expect("UTF-8"),
        ]);
        let upper = person.to_uppercase();
        vars.push((format!("{upper}_KEY"), key.into()));
        vars.push((format!("{upper}_VKEY"), verifier.trim().into()));
    }
    let downloads = run.work.path().join("downloads");
    let tokens = run.work.path().join("tokens.json");
    vars.push(("SECRETARIAT_TOKEN".into(), w.token.clone().into()));
    vars.push(("DOWNLOADS".into(), downloads.clone().into()));
    vars.push(("TOKENS".into(), tokens.clone().into()));
    let vars: Vec<(&str, std::ffi::OsString)> =
        vars.iter().map(|(k, v)| (k.as_str(), v.clone())).collect();
    let passed = run.script("quickstart.mjs", &vars, &w);
    let report = passed.then(|| {
        // The log key, as a member reads it, and alice's token from the
        // accounts page: the bundle as alice exports it.
        let group = common::http::get(&w.server.address, "/v1/groups/ETI", Some(&w.token)).json();
        let log_key = group["log_key"].as_str().expect("log key");
        std::fs::write(w.path("log.vkey"), format!("{log_key}\n")).expect("write");
        let issued: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&tokens).expect("tokens")).expect("JSON");
        let alice = issued["alice"].as_str().expect("alice's token");
        std::fs::write(w.path("alice.token"), format!("{alice}\n")).expect("write");
        let bundle = w.export("alice", "Q1", "Q1-bundle");
        let receipt = downloads.join("Q1-main-cadzow.tlog-proof");
        ok(&[
            "verify",
            &bundle,
            "--log-key",
            &w.path_str("log.vkey"),
            "--receipt",
            receipt.to_str().expect("UTF-8"),
        ])
    });
    w.server.stop();
    assert!(passed, "the browser checks of quickstart.mjs failed");
    let report = report.expect("a report");
    assert!(report.contains("Approval of GS ETI 001 V1.1.1"), "{report}");
    assert!(report.contains("counted"), "{report}");
    assert!(
        report.contains("upheld"),
        "the appeal's decision is reported: {report}"
    );
}

/// An ITU-T Member State replies with reasons in the browser
/// (`tests/browser/itu.mjs`): study group SG17 with Member State JP, its
/// delegate jun and the TSB's tsb as chair; consultation C1 on one draft,
/// announced with the CLI. The files the page offers are then accepted by
/// `scrutineer receipt verify`.
#[test]
fn an_itu_t_reply_with_reasons_in_chromium() {
    let Some((run, w)) = browsing("2028-04-01T00:00:00Z") else {
        return;
    };
    w.send(
        "POST",
        "/v1/groups",
        json!({"id": "SG17", "profile": "itu-t-tap"}),
    );
    w.send(
        "PUT",
        "/v1/groups/SG17/organisations/JP",
        json!({"class": "member-state", "from": "2020-01-01T00:00:00Z"}),
    );
    for (person, listed) in [("tsb", false), ("jun", true)] {
        w.account(person);
        w.send(
            "PUT",
            &format!("/v1/groups/SG17/persons/{person}"),
            json!({"organisation": "JP", "membership_list": listed}),
        );
        let vkey = ok(&[
            "keygen",
            "--name",
            person,
            "--out",
            &w.path_str(&format!("{person}.key")),
        ]);
        w.send(
            "POST",
            &format!("/v1/groups/SG17/persons/{person}/keys"),
            json!({"key": vkey.trim()}),
        );
    }
    w.send("POST", "/v1/groups/SG17/chair", json!({"person": "tsb"}));
    let group = common::http::get(&w.server.address, "/v1/groups/SG17", Some(&w.token)).json();
    let log_key = group["log_key"].as_str().expect("the log key").to_owned();
    std::fs::write(w.path("sg17.vkey"), format!("{log_key}\n")).expect("write");
    let flags = strings(&[
        "--server",
        &w.url(),
        "--group",
        "SG17",
        "--log-key",
        &w.path_str("sg17.vkey"),
    ]);
    let mut announce = strings(&["announce"]);
    announce.extend(flags.clone());
    announce.extend(strings(&[
        "--token-file",
        &w.path_str("tsb.token"),
        "--key",
        &w.path_str("tsb.key"),
        "--ballot",
        "C1",
        "--kind",
        "consultation",
        "--question",
        "main",
        "--closes",
        "2028-05-01T00:00:00Z",
        "--meeting-start",
        "2028-07-03T00:00:00Z",
    ]));
    ok(&announce);
    let opened = (0..300).any(|_| {
        let r = common::http::get(
            &w.server.address,
            "/v1/groups/SG17/ballots/C1",
            Some(&w.token),
        );
        if r.status == 200 && r.json()["state"] == "open" {
            return true;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
        false
    });
    assert!(opened, "consultation C1 opens at its announcement");

    let downloads = run.work.path().join("downloads");
    let token = std::fs::read_to_string(w.path("jun.token")).expect("token file");
    let passed = run.script(
        "itu.mjs",
        &[
            ("JUN_TOKEN", token.trim().into()),
            ("JUN_KEY", w.path("jun.key").into()),
            ("DOWNLOADS", downloads.clone().into()),
        ],
        &w,
    );
    assert!(passed, "the browser checks of itu.mjs failed");
    let receipt = downloads.join("C1-main-JP.tlog-proof");
    let mut args = strings(&["receipt", "verify", receipt.to_str().expect("UTF-8")]);
    args.extend(flags);
    let out = ok(&args);
    assert!(
        out.contains("ok: the entry is the vote entry for"),
        "{}: {out}",
        receipt.display()
    );
    w.server.stop();
}

/// What each browser test runs in: its data and work directories (the
/// World's server lives on them) and the folder for screenshots
/// (`SCRUTINEER_SCREENSHOTS`), if any.
struct Run {
    work: tempfile::TempDir,
    _data: tempfile::TempDir,
    screenshots: Option<std::path::PathBuf>,
}

/// A browser test's set-up: a World with its server at `start` on fresh
/// directories, or `None` when the test must skip (`skipped`).
fn browsing(start: &str) -> Option<(Run, World)> {
    if skipped() {
        return None;
    }
    let data = tempfile::tempdir().expect("temporary directory");
    let work = tempfile::tempdir().expect("temporary directory");
    let w = World::simulated(data.path(), work.path(), start);
    Some((
        Run {
            work,
            _data: data,
            screenshots: screenshots(),
        },
        w,
    ))
}

impl Run {
    /// Runs one browser script against the world's server; whether every
    /// check passed.
    fn script(&self, script: &str, vars: &[(&str, std::ffi::OsString)], w: &World) -> bool {
        run_script(script, vars, w, self.screenshots.as_deref())
    }
}

/// The folder screenshots go to, if asked (`SCRUTINEER_SCREENSHOTS`).
fn screenshots() -> Option<std::path::PathBuf> {
    std::env::var_os("SCRUTINEER_SCREENSHOTS")
        .map(|dir| Path::new(env!("CARGO_MANIFEST_DIR")).join(dir))
}

/// Runs one browser script against `w`'s server, its screenshots into
/// `screenshots`; whether every check passed.
fn run_script(
    script: &str,
    vars: &[(&str, std::ffi::OsString)],
    w: &World,
    screenshots: Option<&Path>,
) -> bool {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut node = Command::new("node");
    node.arg(root.join("tests/browser").join(script))
        .current_dir(root.join("tests/browser"))
        .env("SCRUTINEER_URL", w.url())
        .envs(vars.iter().map(|(k, v)| (k, v)));
    match screenshots {
        Some(dir) => node.env("SCREENSHOTS", dir),
        None => node.env_remove("SCREENSHOTS"),
    };
    let out = node.output().expect("run node");
    let stdout = text(&out.stdout);
    // The Debian wrapper's shell warning and Chromium's D-Bus
    // complaints are noise, not failures.
    let stderr: Vec<_> = text(&out.stderr)
        .lines()
        .filter(|l| !l.contains("dbus") && !l.contains("D-Bus"))
        .map(str::to_owned)
        .collect();
    eprintln!("{script}:\n{stdout}\n{}", stderr.join("\n"));
    out.status.success()
}

/// The vote notes that the ES module builds and signs are the shared known
/// answers byte for byte (`../shared/vectors/scrutineer/vote-notes.json`,
/// read where it lies). Node runs the very module the server embeds, with
/// the WebCrypto API browsers offer; Chromium is not needed.
#[test]
fn the_module_signs_the_shared_vote_notes_byte_for_byte() {
    let Some(vectors) = common::shared("vectors/scrutineer/vote-notes.json") else {
        return;
    };
    if !matches!(Command::new("node").arg("--version").output(), Ok(out) if out.status.success()) {
        assert!(
            std::env::var("SCRUTINEER_REQUIRE_BROWSER").as_deref() != Ok("1"),
            "SCRUTINEER_REQUIRE_BROWSER=1 but node is missing"
        );
        eprintln!("skipping the module's known-answer test: node is missing");
        return;
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = Command::new("node")
        .arg(root.join("tests/browser/vectors.mjs"))
        .env("VECTORS", &vectors)
        .output()
        .expect("run node");
    let stdout = text(&out.stdout);
    eprintln!("{stdout}\n{}", text(&out.stderr));
    assert!(
        out.status.success(),
        "the module's vote notes differ:\n{stdout}"
    );
    assert!(stdout.contains("reproduces all"), "{stdout}");
}
