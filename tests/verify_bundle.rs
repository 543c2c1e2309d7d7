//! The audit bundle end to end, through the real binary: a ballot runs on a
//! simulated-clock server (announced, voted twice with an attachment,
//! closed and tallied by the scheduler), `scrutineer export` writes its
//! bundle, and `scrutineer verify` passes it, saying loudly that the origin
//! is simulated and warning about an eligible organisation that was given
//! no notice. Then each tampered copy fails with a message naming what is
//! wrong: a missing entry bundle, a changed entry, a changed vote note, a
//! rewritten tally, another log key, a second root at a signed size (a
//! split view), and a damaged `documents.pack` (truncated, trailing bytes,
//! a document twice). The same bundle in the layout of version 1 (one
//! file per document) verifies too.

#![cfg(feature = "server")]

mod common;

use std::path::Path;

use common::bundles::{
    copy, documents, entry_bundle, resign, rewrite_entry, unpack, write_documents,
};
use common::http::get;
use common::server::Server;
use common::world::{World, ok, scrutineer, strings, text};
use scrutineer::id::{BallotId, OrgId, QuestionId};
use scrutineer::note::key::SigningKey;
use scrutineer::staticlog::CHECKPOINT_FILE;
use scrutineer::tlog::checkpoint::Origin;
use scrutineer::tlog::checkpoint::{Checkpoint, sign_checkpoint};
use scrutineer::tlog::tile::decode_bundle;
use scrutineer::tlog::{Hash, TreeSize};
use scrutineer::vote::{ChoiceWord, VoteNote};
use serde_json::{Value, json};

/// The simulated clock's start: the announcement's time.
const START: &str = "2026-06-01T00:00:00Z";
/// 44 days of notice (ETSI: at least 30), then a month of voting.
const OPENS: &str = "2026-07-15T00:00:00Z";
const CLOSES: &str = "2026-08-15T00:00:00Z";

/// The flags every client command shares, with the pinned log key.
fn flags(w: &World, token: &str) -> Vec<String> {
    let mut flags = w.server_flags();
    flags.extend(strings(&[
        "--log-key",
        &w.path_str("log.vkey"),
        "--token-file",
        &w.path_str(&format!("{token}.token")),
    ]));
    flags
}

/// Runs `scrutineer verify` on `dir`, which must fail; returns its
/// standard error.
fn verify_fails(dir: &Path, log_key: &str) -> String {
    let out = scrutineer(&["verify", dir.to_str().expect("UTF-8"), "--log-key", log_key]);
    assert!(
        !out.status.success(),
        "a tampered bundle verified:\n{}",
        text(&out.stdout)
    );
    let err = text(&out.stderr);
    // Shown with `--nocapture`: what an auditor sees.
    eprintln!("{err}");
    assert!(err.contains("FAILED"), "{err}");
    err
}

/// Group ETI: cadzow (founding member) with delegate alice and chair
/// carol on the membership list; bobco (founding member too, so eligible
/// during the Kick-off Period) with nobody on it.
fn world(data: &Path, work: &Path) -> World {
    let server = Server::start(data, &["--simulated-clock", "--simulated-start", START]);
    let token = server.token.clone().expect("first start prints the token");
    std::fs::write(work.join("secretariat.token"), format!("{token}\n")).expect("write");
    let w = World {
        server,
        token,
        work: work.to_owned(),
    };
    w.eti_group(&["cadzow", "bobco"]);
    w
}

/// Runs ballot B1 to its tally: alice votes yes, then no with comments
/// (which supersedes the first vote).
fn run_ballot(w: &World) {
    let mut announce = strings(&["announce"]);
    announce.extend(flags(w, "carol"));
    announce.extend(strings(&[
        "--key",
        &w.path_str("carol.key"),
        "--ballot",
        "B1",
        "--kind",
        "correspondence",
        "--opens",
        OPENS,
        "--closes",
        CLOSES,
    ]));
    ok(&announce);
    w.send(
        "POST",
        "/v1/clock",
        json!({"advance_seconds": 45 * 24 * 3600}),
    );
    w.wait_for("B1", "open");
    std::fs::write(w.path("comments.txt"), "Clause 4 needs another look.\n").expect("write");
    for (choice, attachment) in [("yes", None), ("no", Some(w.path_str("comments.txt")))] {
        let mut vote = strings(&["vote"]);
        vote.extend(flags(w, "alice"));
        vote.extend(strings(&[
            "--key",
            &w.path_str("alice.key"),
            "--ballot",
            "B1",
            "--organisation",
            "cadzow",
            "--choice",
            choice,
            "--out",
            &w.path_str("votes"),
        ]));
        if let Some(file) = attachment {
            vote.extend(["--attachment".to_owned(), file]);
        }
        ok(&vote);
    }
    w.send(
        "POST",
        "/v1/clock",
        json!({"advance_seconds": 32 * 24 * 3600}),
    );
    w.wait_for("B1", "tallied");
}

#[test]
fn an_exported_bundle_verifies_and_every_tampering_is_named() {
    let data = tempfile::tempdir().expect("temporary directory");
    let work = tempfile::tempdir().expect("temporary directory");
    let w = world(data.path(), work.path());
    run_ballot(&w);

    // The checkpoints endpoint lists every checkpoint, publicly.
    let listed = get(&w.server.address, "/v1/groups/ETI/log/checkpoints", None).json();
    let listed = listed["checkpoints"].as_array().expect("a list").len();
    assert!(listed > 1, "{listed}");

    // Export, and verify.
    let bundle = work.path().join("bundle");
    let mut export = strings(&["export"]);
    export.extend(flags(&w, "secretariat"));
    export.extend(strings(&[
        "--ballot",
        "B1",
        "--out",
        bundle.to_str().expect("UTF-8"),
    ]));
    let out = ok(&export);
    assert!(out.contains("exported ballot B1"), "{out}");
    let manifest: Value =
        serde_json::from_slice(&std::fs::read(bundle.join("bundle.json")).expect("bundle.json"))
            .expect("JSON");
    assert_eq!(manifest["ballot"], "B1");
    assert_eq!(
        std::fs::read_dir(bundle.join("checkpoints"))
            .expect("checkpoints")
            .count(),
        listed
    );
    // Two notes and one attachment, packed in the order the replay asks
    // for them: each note, the second followed by its attachment.
    let packed = documents(&bundle);
    assert_eq!(packed.len(), 3);
    assert!(text(&packed[0]).contains("\nchoice yes\n"));
    assert!(text(&packed[1]).contains("\nchoice no\n"));
    assert_eq!(text(&packed[2]), "Clause 4 needs another look.\n");
    assert!(!bundle.join("documents").exists());

    let key = w.path_str("log.vkey");
    let dir = bundle.to_str().expect("UTF-8");
    let report = ok(&["verify", dir, "--log-key", &key]);
    eprintln!("{report}");
    assert!(report.contains("SIMULATED CLOCK"), "{report}");
    assert!(
        report.contains("cadzow (member, founding): eligible (founding-member-in-kick-off-period)"),
        "{report}"
    );
    assert!(report.contains("main: no (signed by alice"), "{report}");
    assert!(
        report.contains("warning: eligible organisation bobco had nobody on the membership list"),
        "{report}"
    );
    assert!(report.contains("ok: the bundle verifies"), "{report}");
    assert!(
        report.contains("3 documents, each named by its SHA-256 (3 in documents.pack"),
        "{report}"
    );
    let json: Value = serde_json::from_str(&ok(&["verify", dir, "--log-key", &key, "--json"]))
        .expect("JSON report");
    assert_eq!(json["ok"], true);
    assert_eq!(json["simulated"], true);
    assert_eq!(json["ballot"]["results"][0]["against"], 1);
    assert_eq!(json["ballot"]["results"][0]["not_voted"], 1);

    let tampered = |name: &str| {
        let dir = work.path().join(name);
        copy(&bundle, &dir);
        dir
    };

    // A missing entry bundle.
    let dir = tampered("no-entries");
    std::fs::remove_file(entry_bundle(&dir).0).expect("remove");
    let err = verify_fails(&dir, &key);
    assert!(
        err.contains("tiles do not verify") && err.contains("is missing"),
        "{err}"
    );

    // A changed registry entry.
    let dir = tampered("changed-entry");
    rewrite_entry(&dir, |e| {
        e.contains("\ntype organisation\n")
            .then(|| e.replace("bobco", "bobca"))
    });
    let err = verify_fails(&dir, &key);
    assert!(err.contains("does not match its leaf hash"), "{err}");

    // A rewritten tally (the result flipped): its entry no longer matches.
    let dir = tampered("changed-tally");
    rewrite_entry(&dir, |e| {
        e.contains("\ntype tally\n")
            .then(|| e.replace("\"outcome\":\"rejected\"", "\"outcome\":\"approved\""))
    });
    let err = verify_fails(&dir, &key);
    assert!(err.contains("does not match its leaf hash"), "{err}");

    // The same tally rewritten by whoever holds the log key (the server
    // itself), which re-signs a whole new log: the tiles verify, and the
    // replay's re-derived tally is not the logged one.
    let dir = work.path().join("re-signed");
    let (path, width) = entry_bundle(&bundle);
    let mut entries = decode_bundle(&std::fs::read(&path).expect("read"), width).expect("bundle");
    // The tally, followed by its result notices to the membership list.
    let tally = entries
        .iter()
        .rposition(|e| text(e).contains("\ntype tally\n"))
        .expect("the tally entry");
    entries[tally] = text(&entries[tally])
        .replace("\"outcome\":\"rejected\"", "\"outcome\":\"approved\"")
        .into_bytes();
    resign(
        data.path(),
        manifest["origin"].as_str().expect("origin"),
        &entries,
        &documents(&bundle),
        &dir,
    );
    let err = verify_fails(&dir, &key);
    assert!(
        err.contains("the replay of the log fails: log entry 16") && err.contains("tally"),
        "{err}"
    );

    // A rewritten roll (bobco struck off).
    let dir = tampered("changed-roll");
    rewrite_entry(&dir, |e| {
        e.contains("\ntype roll\n")
            .then(|| e.replacen("\"eligible\":true", "\"eligible\":false", 1))
    });
    let err = verify_fails(&dir, &key);
    assert!(err.contains("does not match its leaf hash"), "{err}");

    // A changed vote note: in the pack it is another document, and the
    // note the log names is missing.
    let dir = tampered("changed-note");
    let mut changed = documents(&dir);
    let counted = changed
        .iter()
        .position(|d| text(d).contains("\nchoice no\n"))
        .expect("the counted note");
    changed[counted] = text(&changed[counted])
        .replace("choice no", "choice yes")
        .into_bytes();
    write_documents(&dir, &changed);
    let err = verify_fails(&dir, &key);
    assert!(err.contains("the replay of the log fails"), "{err}");

    // A vote note validly signed by alice for B1 that was never logged,
    // added to the pack: the log does not name it, so the bundle does not
    // verify, and the message names it.
    let dir = tampered("unlogged-note");
    let alice = std::fs::read_to_string(w.path("alice.key")).expect("alice's key");
    let unlogged = VoteNote {
        origin: Origin::new(manifest["origin"].as_str().expect("origin")).expect("an origin"),
        ballot: BallotId::new("B1").expect("an id"),
        question: QuestionId::new("main").expect("an id"),
        organisation: OrgId::new("cadzow").expect("an id"),
        choice: ChoiceWord::new("abstain").expect("a choice"),
        attachment: None,
        nonce: [9; 16],
    }
    .sign(&SigningKey::parse(alice.trim_end()).expect("a key"))
    .expect("signed");
    let mut with_unlogged = documents(&dir);
    with_unlogged.push(unlogged.clone());
    write_documents(&dir, &with_unlogged);
    let err = verify_fails(&dir, &key);
    assert!(
        err.contains("1 documents that the log does not name")
            && err.contains(&Hash::sha256(&unlogged).to_hex()),
        "{err}"
    );

    // Without its checkpoints/ folder a bundle still verifies, but the
    // report says plainly that split views were not checked, and never
    // that there is none.
    let dir = tampered("no-checkpoints");
    std::fs::remove_dir_all(dir.join("checkpoints")).expect("remove");
    let report = ok(&["verify", dir.to_str().expect("UTF-8"), "--log-key", &key]);
    assert!(report.contains("SPLIT VIEWS NOT CHECKED"), "{report}");
    assert!(!report.contains("no split view"), "{report}");
    let json: Value = serde_json::from_str(&ok(&[
        "verify",
        dir.to_str().expect("UTF-8"),
        "--log-key",
        &key,
        "--json",
    ]))
    .expect("JSON report");
    assert!(
        json["not_checked"]
            .as_array()
            .expect("not_checked")
            .iter()
            .any(|l| l.as_str().is_some_and(|l| l.starts_with("split views"))),
        "{json}"
    );
    // Every report says what a bundle alone cannot show: that its
    // checkpoint is the log's newest.
    assert!(
        report.contains("Not checked:")
            && report.contains("that this checkpoint is the log's newest"),
        "{report}"
    );

    // A damaged pack: the error names the file and the frame's offset.
    let pack = std::fs::read(bundle.join("documents.pack")).expect("documents.pack");
    let first_frame = b"scrutineer/documents/v1\n".len();
    let mut twice = pack.clone();
    twice.extend_from_slice(&pack[first_frame..]);
    for (name, bytes, says) in [
        (
            "truncated-pack",
            pack[..pack.len() - 1].to_vec(),
            "truncated",
        ),
        ("trailing-pack", [&pack[..], b"\0\0"].concat(), "truncated"),
        ("duplicate-pack", twice, "a pack holds each document once"),
    ] {
        let dir = tampered(name);
        std::fs::write(dir.join("documents.pack"), bytes).expect("write");
        let err = verify_fails(&dir, &key);
        assert!(
            err.contains("documents.pack at byte ") && err.contains(says),
            "{name}: {err}"
        );
    }

    // The layout of version 1: one file per document, which verifies as
    // before; an altered file under its old name, then under its new one.
    let dir = tampered("version-1");
    unpack(&dir);
    let report = ok(&["verify", dir.to_str().expect("UTF-8"), "--log-key", &key]);
    assert!(report.contains("ok: the bundle verifies"), "{report}");
    assert!(
        report.contains("(0 in documents.pack, 3 in documents/)"),
        "{report}"
    );
    let note = std::fs::read_dir(dir.join("documents"))
        .expect("documents")
        .map(|d| d.expect("entry").path())
        .find(|p| text(&std::fs::read(p).expect("read")).contains("\nchoice no\n"))
        .expect("the counted note");
    let changed = text(&std::fs::read(&note).expect("read")).replace("choice no", "choice yes");
    std::fs::write(&note, &changed).expect("write");
    let err = verify_fails(&dir, &key);
    assert!(err.contains("is not the one the log names"), "{err}");
    std::fs::remove_file(&note).expect("remove");
    let renamed = dir
        .join("documents")
        .join(Hash::sha256(changed.as_bytes()).to_hex());
    std::fs::write(renamed, &changed).expect("write");
    let err = verify_fails(&dir, &key);
    assert!(err.contains("the replay of the log fails"), "{err}");

    // Both layouts at once verify, but a document in both is refused.
    let dir = tampered("both-layouts");
    unpack(&dir);
    write_documents(&dir, &packed[..1]);
    let err = verify_fails(&dir, &key);
    assert!(err.contains("is also in documents.pack"), "{err}");
    let folder = dir.join("documents");
    std::fs::remove_file(folder.join(Hash::sha256(&packed[0]).to_hex())).expect("remove");
    let report = ok(&["verify", dir.to_str().expect("UTF-8"), "--log-key", &key]);
    assert!(
        report.contains("(1 in documents.pack, 2 in documents/)"),
        "{report}"
    );

    // Another key of the same name.
    let origin = text(&std::fs::read(&key).expect("read"));
    let origin = origin.split('+').next().expect("a key name");
    let impostor = ok(&[
        "keygen",
        "--name",
        origin,
        "--out",
        &w.path_str("impostor.key"),
    ]);
    let err = verify_fails(&bundle, impostor.trim());
    assert!(err.contains("is not signed by the log key"), "{err}");

    // A split view: the log's own key signs another root at the bundle's
    // size.
    let dir = tampered("split-view");
    let signed = std::fs::read(dir.join(CHECKPOINT_FILE)).expect("checkpoint");
    let checkpoint = Checkpoint::parse(
        text(&signed)
            .split("\n\n")
            .next()
            .map(|t| format!("{t}\n"))
            .as_deref()
            .expect("text"),
    )
    .expect("a checkpoint");
    let server_key = std::fs::read_to_string(data.path().join("log.key")).expect("server key");
    let log_key = SigningKey::parse(server_key.trim_end())
        .expect("a key")
        .renamed(checkpoint.origin().key_name().clone());
    let size = checkpoint.size().get();
    let other = Checkpoint::new(
        checkpoint.origin().clone(),
        TreeSize::new(size),
        Hash::sha256(b"another history"),
        Vec::new(),
    )
    .expect("a checkpoint");
    std::fs::write(
        dir.join("checkpoints").join(size.to_string()),
        sign_checkpoint(&other, &log_key).expect("signed"),
    )
    .expect("write");
    let err = verify_fails(&dir, &key);
    assert!(err.contains("split view"), "{err}");
}
