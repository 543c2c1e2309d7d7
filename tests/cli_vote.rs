//! The voter's tools through the real binary against the real server: the
//! chair announces with `scrutineer announce`, a delegate votes with
//! `scrutineer vote` (signing locally and verifying the receipt on the
//! spot), then checks the kept receipt later with `scrutineer receipt
//! verify`, which fails on a tampered receipt, a note that is not the one
//! committed to, and a log key that is not the pinned one.

#![cfg(feature = "server")]

mod common;

use std::path::Path;

use common::server::Server;
use common::world::{World, scrutineer, strings, text};
use scrutineer::tlog::leaf_hash;
use scrutineer::tlog::receipt::Receipt;
use serde_json::json;

/// The simulated clock's start: the announcement's time.
const START: &str = "2026-06-01T00:00:00Z";

/// The ballot opens 44 days after the announcement (ETSI: at least 30 days
/// of notice) and closes a month later.
const OPENS: &str = "2026-07-15T00:00:00Z";
const CLOSES: &str = "2026-08-15T00:00:00Z";

/// Runs a command that must succeed and returns its standard output,
/// shown with `--nocapture`: what a delegate sees.
fn ok(args: &[String]) -> String {
    let out = common::world::ok(args);
    eprintln!("$ scrutineer {}\n{}", args.join(" "), out);
    out
}

/// Runs a command that must fail and returns its standard error.
fn fails(args: &[String]) -> String {
    let out = scrutineer(args);
    assert!(
        !out.status.success(),
        "scrutineer {args:?} should have failed:\n{}",
        text(&out.stdout)
    );
    eprintln!("$ scrutineer {}\n{}", args.join(" "), text(&out.stderr));
    text(&out.stderr)
}

/// Group ETI with organisation cadzow (a founding member, eligible while
/// the Kick-off Period runs), its delegate alice and the chair carol, each
/// with a key made by `scrutineer keygen`; the pinned log key in
/// `log.vkey`.
fn world(data: &Path, work: &Path) -> World {
    let server = Server::start(data, &["--simulated-clock", "--simulated-start", START]);
    let token = server.token.clone().expect("first start prints the token");
    let world = World {
        server,
        token,
        work: work.to_owned(),
    };
    world.eti_group(&["cadzow"]);
    world
}

#[test]
fn a_delegate_votes_from_the_command_line_and_checks_the_receipt() {
    let data = tempfile::tempdir().expect("temporary directory");
    let work = tempfile::tempdir().expect("temporary directory");
    let w = world(data.path(), work.path());
    let p = |name: &str| w.path(name).to_str().expect("UTF-8").to_owned();
    let pinned = ["--log-key".to_owned(), p("log.vkey")];

    // The chair announces, signing locally.
    let mut announce = strings(&["announce"]);
    announce.extend(w.server_flags());
    announce.extend(pinned.clone());
    announce.extend(strings(&[
        "--token-file",
        &p("carol.token"),
        "--key",
        &p("carol.key"),
        "--ballot",
        "B1",
        "--kind",
        "correspondence",
        "--opens",
        OPENS,
        "--closes",
        CLOSES,
    ]));
    let out = ok(&announce);
    assert!(out.contains("announced B1"), "{out}");
    assert!(out.contains("sent to 2 persons"), "{out}");

    // A vote before the opening is refused with the server's code, and
    // nothing is stored.
    let votes = p("votes");
    let vote = |ballot: &str| {
        let mut args = strings(&["vote"]);
        args.extend(w.server_flags());
        args.extend(pinned.clone());
        args.extend(strings(&[
            "--token-file",
            &p("alice.token"),
            "--key",
            &p("alice.key"),
            "--ballot",
            ballot,
            "--organisation",
            "cadzow",
            "--choice",
            "yes",
            "--out",
            &votes,
        ]));
        args
    };
    let err = fails(&vote("B1"));
    assert!(err.contains("refused ("), "{err}");
    let err = fails(&vote("B9"));
    assert!(err.contains("refused (unknown-ballot)"), "{err}");
    let note_path = Path::new(&votes).join("B1-main-cadzow.vote");
    let receipt_path = Path::new(&votes).join("B1-main-cadzow.tlog-proof");
    assert!(!note_path.exists(), "a refused vote stores nothing");

    // Past the opening, the vote is cast, its receipt verified and both
    // stored.
    w.send(
        "POST",
        "/v1/clock",
        json!({"advance_seconds": 45 * 24 * 3600}),
    );
    w.wait_for("B1", "open");
    let out = ok(&vote("B1"));
    assert!(out.contains("receipt verified: entry "), "{out}");
    let note = std::fs::read(&note_path).expect("the note is stored");
    let note_text = text(&note);
    assert!(
        note_text.starts_with("scrutineer/vote/v1\norigin simulated.invalid/"),
        "{note_text}"
    );
    assert!(
        note_text.contains("\nballot B1\nquestion main\norganisation cadzow\nchoice yes\nnonce "),
        "{note_text}"
    );
    assert!(note_text.contains("\n\n\u{2014} alice "), "{note_text}");
    let receipt_bytes = std::fs::read(&receipt_path).expect("the receipt is stored");
    let receipt = Receipt::parse(&receipt_bytes).expect("a tlog-proof");
    let entry = text(receipt.extra().expect("the entry is in the receipt"));
    assert!(
        entry.starts_with("scrutineer/entry/v1\ntype vote\n"),
        "{entry}"
    );
    assert!(entry.contains("\nballot B1\nnote sha256:"), "{entry}");

    // The log grows (a registry change); the receipt still verifies, now
    // with a consistency proof from its checkpoint to the current one.
    w.send(
        "PUT",
        "/v1/groups/ETI/meetings/web",
        json!({"plenary": true, "format": "online",
               "start": "2026-09-01T09:00:00Z", "end": "2026-09-01T17:00:00Z"}),
    );
    let mut verify = strings(&["receipt", "verify", receipt_path.to_str().expect("UTF-8")]);
    verify.extend(w.server_flags());
    let mut pinned_verify = verify.clone();
    pinned_verify.extend(pinned.clone());
    let out = ok(&pinned_verify);
    assert!(
        out.contains("the inclusion proof leads to its root"),
        "{out}"
    );
    assert!(out.contains("ok: the entry is the vote entry for"), "{out}");
    assert!(out.contains("the log only grew"), "{out}");

    // Without a pinned key, the delegate's token reads it, with a warning.
    let mut tofu = verify.clone();
    tofu.extend(strings(&["--token-file", &p("alice.token")]));
    let out = scrutineer(&tofu);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("trusting the log key"));

    // Another key for the same origin is not the pinned one.
    let origin = text(&std::fs::read(w.path("log.vkey")).expect("read"));
    let origin = origin.split('+').next().expect("a key name");
    let impostor = ok(&strings(&[
        "keygen",
        "--name",
        origin,
        "--out",
        &p("impostor.key"),
    ]));
    let mut wrong = tofu.clone();
    wrong.extend(strings(&["--log-key", impostor.trim()]));
    let err = fails(&wrong);
    assert!(err.contains("not the pinned key"), "{err}");

    // A tampered inclusion proof fails.
    let mut proof = receipt.proof().to_vec();
    proof[0] = leaf_hash(b"tampered");
    let tampered = Receipt::new(
        receipt.extra().map(<[u8]>::to_vec),
        receipt.index(),
        proof,
        receipt.signed_checkpoint().to_vec(),
    )
    .expect("well-formed");
    std::fs::write(&receipt_path, tampered.to_text()).expect("write");
    let err = fails(&pinned_verify);
    assert!(err.contains("the receipt does not verify"), "{err}");

    // The original receipt, but a note that is not the one committed to.
    std::fs::write(&receipt_path, &receipt_bytes).expect("write");
    ok(&pinned_verify);
    std::fs::write(&note_path, note_text.replace("choice yes", "choice no")).expect("write");
    let err = fails(&pinned_verify);
    assert!(err.contains("does not commit to"), "{err}");

    // A new vote, with comments attached, replaces the first (the latest
    // counts) and the stored files with it; its receipt verifies too.
    let comments = "Clause 4 needs another look.\n";
    std::fs::write(w.path("comments.txt"), comments).expect("write");
    let mut again = vote("B1");
    let choice = again.iter().position(|a| a == "yes").expect("the choice");
    again[choice] = "no".to_owned();
    again.extend(strings(&["--attachment", &p("comments.txt")]));
    ok(&again);
    let note_text = text(&std::fs::read(&note_path).expect("the new note"));
    let hash = scrutineer::tlog::Hash::sha256(comments.as_bytes()).to_hex();
    assert!(
        note_text.contains(&format!("\nchoice no\nattachment sha256:{hash}\nnonce ")),
        "{note_text}"
    );
    ok(&pinned_verify);
}
