//! Certification, appeal and decision end to end, through the real binary
//! and a simulated-clock server: the chair certifies the tally with
//! `scrutineer certify`, a delegate appeals with `scrutineer appeal`, a
//! reviewer overturns it with `scrutineer decide`; the exported bundle
//! verifies and reports all three; the delegate's two receipts check
//! against it (one counted, one superseded by it); a history re-signed by
//! the log key under a certification naming another root is refused.

#![cfg(feature = "server")]

mod common;

use std::path::Path;

use common::bundles::{copy, documents, entries as bundle_entries, entry_bundle, resign};
use common::http::get;
use common::server::Server;
use common::world::{World, ok, scrutineer, strings, text};
use scrutineer::ballot::{CERTIFICATION_KIND, CertificationNote, SignedStatement, StatementRecord};
use scrutineer::entry::Entry;
use scrutineer::note::key::SigningKey;
use scrutineer::tlog::Hash;
use serde_json::{Value, json};

const START: &str = "2026-06-01T00:00:00Z";
const OPENS: &str = "2026-07-15T00:00:00Z";
const CLOSES: &str = "2026-08-15T00:00:00Z";

/// Group ETI with alice (delegate), carol (chair) and dora (an appeal
/// reviewer, not on the membership list); B1 announced, voted twice by
/// alice (each receipt kept in its own folder) and tallied.
fn tallied_ballot(data: &Path, work: &Path) -> World {
    let server = Server::start(data, &["--simulated-clock", "--simulated-start", START]);
    let token = server.token.clone().expect("first start prints the token");
    let w = World {
        server,
        token,
        work: work.to_owned(),
    };
    w.eti_group(&["cadzow", "bobco"]);
    w.account("dora");
    w.send(
        "PUT",
        "/v1/groups/ETI/persons/dora",
        json!({"organisation": "bobco", "membership_list": false}),
    );
    w.key("dora");
    w.send("PUT", "/v1/groups/ETI/reviewers/dora", json!({}));
    ok(&w.signed_command(
        "announce",
        "carol",
        &[
            "--ballot",
            "B1",
            "--kind",
            "correspondence",
            "--opens",
            OPENS,
            "--closes",
            CLOSES,
        ],
    ));
    w.send(
        "POST",
        "/v1/clock",
        json!({"advance_seconds": 45 * 24 * 3600}),
    );
    w.wait_for("B1", "open");
    for choice in ["no", "yes"] {
        let out = w.path_str("votes");
        ok(&w.signed_command(
            "vote",
            "alice",
            &[
                "--ballot",
                "B1",
                "--organisation",
                "cadzow",
                "--choice",
                choice,
                "--out",
                &out,
            ],
        ));
    }
    w.send(
        "POST",
        "/v1/clock",
        json!({"advance_seconds": 32 * 24 * 3600}),
    );
    w.wait_for("B1", "tallied");
    w
}

/// The receipts `scrutineer vote` kept for alice's two votes: the earlier
/// one renamed with its log index, then the latest.
fn receipts(w: &World) -> (String, String) {
    let latest = w.path("votes").join("B1-main-cadzow.tlog-proof");
    let earlier = std::fs::read_dir(w.path("votes"))
        .expect("the vote folder")
        .map(|e| e.expect("an entry").path())
        .find(|p| {
            let name = p.file_name().and_then(|n| n.to_str()).unwrap_or_default();
            name.starts_with("B1-main-cadzow.") && name.ends_with(".tlog-proof") && p != &latest
        })
        .expect("the earlier receipt, kept");
    let text = |p: std::path::PathBuf| p.to_str().expect("UTF-8").to_owned();
    (text(earlier), text(latest))
}

#[test]
fn certified_appealed_and_overturned_then_exported_verified_and_receipts_checked() {
    let data = tempfile::tempdir().expect("temporary directory");
    let work = tempfile::tempdir().expect("temporary directory");
    let w = tallied_ballot(data.path(), work.path());

    // Only the chair certifies; the delegate's attempt is refused.
    let refused = scrutineer(&w.signed_command("certify", "alice", &["--ballot", "B1"]));
    assert!(!refused.status.success());
    assert!(
        text(&refused.stderr).contains("forbidden"),
        "{}",
        text(&refused.stderr)
    );
    let out = ok(&w.signed_command("certify", "carol", &["--ballot", "B1"]));
    assert!(out.contains("certified B1"), "{out}");
    assert!(
        out.contains("main: approved (in favour 1, against 0"),
        "{out}"
    );
    let again = scrutineer(&w.signed_command("certify", "carol", &["--ballot", "B1"]));
    assert!(
        text(&again.stderr).contains("already-certified"),
        "{}",
        text(&again.stderr)
    );

    // The delegate appeals the certified result; the reviewer overturns it.
    let appeal = w.appeal_certification("alice", "B1", "Bobco was given no notice.\n");
    std::fs::write(w.path("reasons.txt"), "Article 6.2 was not followed.\n").expect("write");
    let out = ok(&w.signed_command(
        "decide",
        "dora",
        &[
            "--ballot",
            "B1",
            "--appeal",
            &appeal,
            "--outcome",
            "overturned",
            "--reasons",
            &w.path_str("reasons.txt"),
        ],
    ));
    assert!(out.contains("is annulled"), "{out}");
    let ballot = get(
        &w.server.address,
        "/v1/groups/ETI/ballots/B1",
        Some(&w.token),
    )
    .json();
    assert_eq!(ballot["state"], "certified");
    assert_eq!(ballot["annulled"], true);
    assert_eq!(ballot["appeals"][0]["decision"]["outcome"], "overturned");

    // Export and verify, with both receipts.
    let bundle = w.path("bundle");
    let mut export = strings(&["export"]);
    export.extend(w.server_flags());
    export.extend(strings(&[
        "--log-key",
        &w.path_str("log.vkey"),
        "--token-file",
        &w.path_str("carol.token"),
        "--ballot",
        "B1",
        "--out",
        bundle.to_str().expect("UTF-8"),
    ]));
    ok(&export);
    let key = w.path_str("log.vkey");
    let dir = bundle.to_str().expect("UTF-8");
    let (first, second) = receipts(&w);
    let report = ok(&[
        "verify",
        dir,
        "--log-key",
        &key,
        "--receipt",
        &first,
        "--receipt",
        &second,
    ]);
    eprintln!("{report}");
    assert!(report.contains("Certified by the chair carol"), "{report}");
    assert!(
        report.contains("overturned by the reviewer dora"),
        "{report}"
    );
    assert!(report.contains("| Bobco was given no notice."), "{report}");
    assert!(report.contains("ANNULLED"), "{report}");
    let json: Value = serde_json::from_str(&ok(&[
        "verify",
        dir,
        "--log-key",
        &key,
        "--receipt",
        &first,
        "--receipt",
        &second,
        "--json",
    ]))
    .expect("JSON");
    let receipts = json["receipts"].as_array().expect("receipts");
    assert_eq!(receipts[0]["status"], "superseded");
    assert_eq!(receipts[0]["superseded_by"], receipts[1]["index"]);
    assert_eq!(receipts[1]["status"], "counted");
    assert_eq!(receipts[1]["certified"], true);
    assert_eq!(json["ballot"]["certification"]["chair"], "carol");

    // The log key pinned in a C2SP tlog-policy file instead (no witness
    // quorum); a policy that lists only another log is refused.
    let vkey = text(&std::fs::read(&key).expect("read")).trim().to_owned();
    std::fs::write(
        w.path("eti.policy"),
        format!("# the ETI log\nlog {vkey}\nquorum none\n"),
    )
    .expect("write");
    let report = ok(&["verify", dir, "--policy", &w.path_str("eti.policy")]);
    assert!(report.contains("ok: the bundle verifies"), "{report}");
    let other = ok(&[
        "keygen",
        "--name",
        "example.org/another",
        "--out",
        &w.path_str("o.key"),
    ]);
    std::fs::write(
        w.path("other.policy"),
        format!("log {}\nquorum none\n", other.trim()),
    )
    .expect("write");
    let out = scrutineer(&["verify", dir, "--policy", &w.path_str("other.policy")]);
    assert!(!out.status.success());
    let err = text(&out.stderr);
    assert!(
        err.contains("lists no log for the bundle's origin"),
        "{err}"
    );
    // Straight from the server, by URL: fetched, then verified the same way.
    let report = ok(&[
        "verify",
        &w.url(),
        "--group",
        "ETI",
        "--ballot",
        "B1",
        "--log-key",
        &key,
        "--token-file",
        &w.path_str("carol.token"),
    ]);
    assert!(report.contains("Certified by the chair carol"), "{report}");

    // The same bundle as one archive from the API, verified as a file.
    let archive = get(
        &w.server.address,
        "/v1/groups/ETI/ballots/B1/bundle",
        Some(&w.token),
    );
    assert_eq!(archive.status, 200, "{}", archive.text());
    assert_eq!(archive.header("content-type"), Some("application/x-tar"));
    let tar = w.path("B1.tar");
    std::fs::write(&tar, &archive.body).expect("write");
    let report = ok(&["verify", tar.to_str().expect("UTF-8"), "--log-key", &key]);
    assert!(
        report.contains("overturned by the reviewer dora"),
        "{report}"
    );

    // Whoever holds the log key (the server) rewrites history so that the
    // certification names another root, re-signed by the chair's own key:
    // every signature holds, and the certified tree head is not the log's.
    let mut entries = bundle_entries(&bundle);
    let position = entries
        .iter()
        .position(|e| text(e).contains("\ntype certification\n"))
        .expect("the certification");
    let entry = Entry::parse(&entries[position]).expect("an entry");
    let record = StatementRecord::from_entry(&entry).expect("a record");
    let signed = SignedStatement::parse(&record.body).expect("a statement");
    let mut note = CertificationNote::parse_text(signed.signed.text()).expect("a note");
    note.root = Hash::sha256(b"another history");
    let chair = SigningKey::parse(
        std::fs::read_to_string(w.path("carol.key"))
            .expect("key")
            .trim_end(),
    )
    .expect("the chair's key");
    let forged = StatementRecord::new(record.ballot.clone(), note.sign(&chair).expect("sign"))
        .to_entry(CERTIFICATION_KIND, entry.time());
    entries[position] = forged.encode().expect("fits");
    let rewritten = w.path("rewritten");
    resign(
        data.path(),
        json["origin"].as_str().expect("origin"),
        &entries,
        &documents(&bundle),
        &rewritten,
    );
    let out = scrutineer(&[
        "verify",
        rewritten.to_str().expect("UTF-8"),
        "--log-key",
        &key,
        "--ballot",
        "B1",
    ]);
    assert!(!out.status.success());
    let err = text(&out.stderr);
    assert!(err.contains("the chair certified another history"), "{err}");
}

/// Rebuilds the bundle's log from `entries`, signed by the server's own
/// log key (what a server rewriting its history would do), with the
/// `documents`; returns `scrutineer verify`'s standard error.
fn rewritten(
    w: &World,
    data: &Path,
    bundle: &Path,
    documents: &[Vec<u8>],
    name: &str,
    entries: &[Vec<u8>],
) -> String {
    let manifest: Value =
        serde_json::from_slice(&std::fs::read(bundle.join("bundle.json")).expect("read"))
            .expect("JSON");
    let dir = w.path(name);
    resign(
        data,
        manifest["origin"].as_str().expect("origin"),
        entries,
        documents,
        &dir,
    );
    let out = scrutineer(&[
        "verify",
        dir.to_str().expect("UTF-8"),
        "--log-key",
        &w.path_str("log.vkey"),
        "--ballot",
        "B1",
    ]);
    assert!(!out.status.success(), "{name} verified");
    text(&out.stderr)
}

#[test]
fn every_rewriting_of_a_certified_history_is_named() {
    let data = tempfile::tempdir().expect("temporary directory");
    let work = tempfile::tempdir().expect("temporary directory");
    let w = tallied_ballot(data.path(), work.path());
    ok(&w.signed_command("certify", "carol", &["--ballot", "B1"]));
    // A restart replays the certification from storage.
    let World {
        server,
        token,
        work: dir,
    } = w;
    server.stop();
    let server = Server::start(data.path(), &["--simulated-clock"]);
    let w = World {
        server,
        token,
        work: dir,
    };
    let ballot = get(
        &w.server.address,
        "/v1/groups/ETI/ballots/B1",
        Some(&w.token),
    )
    .json();
    assert_eq!(ballot["state"], "certified", "{ballot}");
    assert_eq!(ballot["certification"]["chair"], "carol", "{ballot}");
    let bundle = std::path::PathBuf::from(w.export("carol", "B1", "bundle"));
    let (path, _) = entry_bundle(&bundle);
    let entries = bundle_entries(&bundle);
    let find = |kind: &str| {
        entries
            .iter()
            .position(|e| text(e).contains(&format!("\ntype {kind}\n")))
            .expect("an entry of that type")
    };

    // Without the log key: any changed byte of the certification breaks
    // its leaf hash.
    let dir = w.path("changed-certification");
    copy(&bundle, &dir);
    let mut changed = entries.clone();
    let c = find("certification");
    changed[c] = text(&changed[c])
        .replace("in-favour 1", "in-favour 2")
        .into_bytes();
    let slices: Vec<&[u8]> = changed.iter().map(Vec::as_slice).collect();
    let relative = path.strip_prefix(&bundle).expect("inside");
    std::fs::write(
        dir.join(relative),
        scrutineer::tlog::tile::encode_bundle(&slices).expect("encode"),
    )
    .expect("write");
    let out = scrutineer(&[
        "verify",
        dir.to_str().expect("UTF-8"),
        "--log-key",
        &w.path_str("log.vkey"),
    ]);
    assert!(
        text(&out.stderr).contains("does not match its leaf hash"),
        "{}",
        text(&out.stderr)
    );

    // With the log key (the server rewriting its own history), each change
    // fails the replay, naming the entry.
    let mut deleted = entries.clone();
    deleted.remove(find("roll"));
    let documents = documents(&bundle);
    let err = rewritten(
        &w,
        data.path(),
        &bundle,
        &documents,
        "deleted-roll",
        &deleted,
    );
    assert!(
        err.contains("the replay of the log fails: log entry"),
        "{err}"
    );

    let mut reordered = entries.clone();
    let (close, tally) = (find("close"), find("tally"));
    reordered.swap(close, tally);
    let err = rewritten(
        &w,
        data.path(),
        &bundle,
        &documents,
        "reordered",
        &reordered,
    );
    assert!(err.contains("the replay of the log fails"), "{err}");

    let mut counts = entries.clone();
    counts[c] = text(&counts[c])
        .replace("in-favour 1", "in-favour 2")
        .into_bytes();
    let err = rewritten(
        &w,
        data.path(),
        &bundle,
        &documents,
        "certification-counts",
        &counts,
    );
    assert!(err.contains("malformed certification entry"), "{err}");

    // A vote's signature changed: the note (stored under its new name)
    // no longer matches what the log committed to.
    let mut resigned = entries.clone();
    let v = find("vote");
    let note_hash = text(&resigned[v])
        .lines()
        .find_map(|l| l.strip_prefix("note sha256:").map(str::to_owned))
        .expect("a note hash");
    let note = text(
        documents
            .iter()
            .find(|d| Hash::sha256(d).to_hex() == note_hash)
            .expect("the note"),
    );
    let (head, signature) = note.rsplit_once(' ').expect("a signature line");
    let mut bytes = signature.trim_end().as_bytes().to_vec();
    let i = bytes.len() - 6;
    bytes[i] = if bytes[i] == b'A' { b'B' } else { b'A' };
    let forged = format!("{head} {}\n", String::from_utf8(bytes).expect("ASCII"));
    let forged_hash = Hash::sha256(forged.as_bytes()).to_hex();
    resigned[v] = text(&resigned[v])
        .replace(&note_hash, &forged_hash)
        .into_bytes();
    let mut with_forged = documents.clone();
    with_forged.push(forged.into_bytes());
    let err = rewritten(
        &w,
        data.path(),
        &bundle,
        &with_forged,
        "forged-signature",
        &resigned,
    );
    assert!(err.contains("the replay of the log fails"), "{err}");
}

#[test]
fn a_history_re_signed_without_an_owed_notice_is_refused() {
    let data = tempfile::tempdir().expect("temporary directory");
    let work = tempfile::tempdir().expect("temporary directory");
    let w = tallied_ballot(data.path(), work.path());
    ok(&w.signed_command("certify", "carol", &["--ballot", "B1"]));
    w.appeal_certification("alice", "B1", "Late notice.\n");
    let bundle = std::path::PathBuf::from(w.export("carol", "B1", "bundle"));
    let entries = bundle_entries(&bundle);
    let documents = documents(&bundle);
    let notice = |reason: &str, person: &str| {
        entries
            .iter()
            .position(|e| {
                let e = text(e);
                e.contains("\ntype notification\n")
                    && e.contains(&format!("\nreason {reason}\n"))
                    && e.contains(&format!("\nperson {person}\n"))
            })
            .unwrap_or_else(|| panic!("a {reason} notification to {person}"))
    };

    // The log as exported verifies.
    let report = ok(&[
        "verify",
        bundle.to_str().expect("UTF-8"),
        "--log-key",
        &w.path_str("log.vkey"),
    ]);
    assert!(report.contains("ok: the bundle verifies"), "{report}");

    // Re-signed by the log key without alice's notice of the
    // announcement (Article 6.2), or without the chair's notice of the
    // appeal: each is refused, naming the notice.
    for (name, reason, person) in [
        ("no-announcement-notice", "announcement", "alice"),
        ("no-appeal-notice", "appeal", "carol"),
    ] {
        let mut without = entries.clone();
        without.remove(notice(reason, person));
        let err = rewritten(&w, data.path(), &bundle, &documents, name, &without);
        assert!(
            err.contains(&format!(
                "a {reason} notification to {person} for ballot B1 is owed but was not logged"
            )),
            "{name}: {err}"
        );
    }
}
