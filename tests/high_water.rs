//! A log that cannot be forked by a restore (SPEC section 11): the server
//! keeps the newest checkpoint it published per log (its high-water mark)
//! in the data directory, apart from the database. A database restored
//! from an older backup is refused at start-up, and so is one that was
//! written to since and differs at the mark's size; putting back a copy
//! that holds the whole published log serves it again, with the same roots.
//! Backups are made with `scrutineer backup` while the server runs.

mod common;

use std::path::Path;
use std::process::Command;

use common::backups::{backup, restore, restore_tail};
use common::http;
use common::logview::{group_info, read_verified};
use common::server::Server;
use common::world::{World, scrutineer};
use serde_json::json;

fn add_organisations(address: &str, token: &str, group: &str, names: &[&str]) {
    for org in names {
        let r = http::put_organisation(address, token, group, org);
        assert_eq!(r.status, 201, "{}", r.text());
    }
}

/// Checks that `group` is not served, with a reason containing `words`,
/// and that `bystander` is; the reason.
fn refused(address: &str, token: &str, group: &str, words: &[&str]) -> String {
    let r = http::get(address, &format!("/v1/groups/{group}/log/checkpoint"), None);
    assert_eq!(r.status, 503, "{}", r.text());
    let detail = r.json()["detail"].as_str().expect("detail").to_owned();
    let halted = group_info(address, token, group)["halted"]
        .as_str()
        .expect("halted with a reason")
        .to_owned();
    eprintln!("note: {group} refused: {halted}");
    for word in words {
        assert!(
            detail.contains(word),
            "the problem names {word:?}: {detail}"
        );
        assert!(halted.contains(word), "the reason names {word:?}: {halted}");
    }
    let r = http::put_organisation(address, token, group, "after-restore");
    assert_eq!(r.status, 503, "a refused log takes no writes: {}", r.text());
    let view = read_verified(address, token, "bystander");
    assert!(view.size > 0, "the other log is served");
    halted
}

#[test]
fn a_restored_backup_is_refused_and_a_complete_copy_is_served() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let copies = tempfile::tempdir().expect("a temporary directory");
    let server = Server::start(dir.path(), &[]);
    let token = server.token.clone().expect("bootstrap token");
    let address = server.address.clone();
    http::group_of_organisations(&address, &token, "bystander", 0);
    http::group_of_organisations(&address, &token, "g", 0);
    add_organisations(&address, &token, "g", &["org1", "org2"]);

    // An online backup, then more writes the backup does not hold.
    let old = copies.path().join("old.db");
    backup(dir.path(), &old);
    add_organisations(&address, &token, "g", &["org3", "org4", "org5"]);
    let published = read_verified(&address, &token, "g");
    assert_eq!(published.size, 6);
    server.stop();
    let complete = copies.path().join("complete.db");
    backup(dir.path(), &complete);
    let mark = dir.path().join("high-water").join("g.checkpoint");
    assert_eq!(
        std::fs::read(&mark).expect("the mark"),
        published.checkpoint,
        "the mark is the newest checkpoint served"
    );

    // The old backup restored: behind the mark, refused.
    restore(dir.path(), &old);
    let server = Server::start(dir.path(), &[]);
    refused(
        &server.address,
        &token,
        "g",
        &["storage holds 3 entries", "6 entries", "restored", "retire"],
    );
    server.stop();
    assert_eq!(
        std::fs::read(&mark).expect("the mark"),
        published.checkpoint,
        "a refused log leaves its mark"
    );

    // A copy holding every published entry: served, with the same roots.
    restore(dir.path(), &complete);
    let server = Server::start(dir.path(), &[]);
    let view = read_verified(&server.address, &token, "g");
    assert_eq!(view.size, published.size);
    assert_eq!(view.root, published.root);
    assert_eq!(view.checkpoint, published.checkpoint);
    view.verify_inclusions(&server.address);
    add_organisations(&server.address, &token, "g", &["org6"]);
    read_verified(&server.address, &token, "g")
        .verify_consistent_with(&server.address, &published.checkpoint);
    server.stop();
}

#[test]
fn a_restored_backup_gets_its_tail_back_from_a_bundle_and_the_voters_files() {
    let data = tempfile::tempdir().expect("a temporary directory");
    let work = tempfile::tempdir().expect("a temporary directory");
    let copies = tempfile::tempdir().expect("a temporary directory");
    let w = World::simulated(data.path(), work.path(), "2026-06-01T00:00:00Z");
    http::group_of_organisations(&w.server.address, &w.token, "bystander", 0);
    w.eti_group(&["cadzow", "newco"]);
    w.announce_and_open("B1");

    // The backup, a bundle exported then (it ends where the backup does),
    // and the tail: alice's vote (its note sealed until the close) and a
    // registry change.
    let old = copies.path().join("old.db");
    backup(data.path(), &old);
    let stale = w.export("alice", "B1", "stale-bundle");
    w.vote("alice", "alice.key", "B1", "cadzow", "yes", "alice-votes");
    w.send(
        "PUT",
        "/v1/groups/ETI/organisations/later",
        json!({"class": "member", "from": "2026-07-20T00:00:00Z"}),
    );
    let published = read_verified(&w.server.address, &w.token, "ETI");
    let bundle = w.export("alice", "B1", "bundle");
    // The same bundle as one archive, as the server serves it.
    let archive = http::get(
        &w.server.address,
        "/v1/groups/ETI/ballots/B1/bundle",
        Some(&w.token),
    );
    assert_eq!(archive.status, 200, "{}", archive.text());
    let archive_path = copies.path().join("bundle.tar");
    std::fs::write(&archive_path, &archive.body).expect("write the archive");
    let World {
        server,
        token,
        work: votes,
    } = w;
    server.stop();

    restore(data.path(), &old);
    let server = Server::start(data.path(), &["--simulated-clock"]);
    let reason = refused(&server.address, &token, "ETI", &["restored"]);
    server.stop();

    // Refused, writing nothing: a bundle that ends before the newest
    // checkpoint published, and one whose tail names a note nobody gave.
    let output = restore_tail(data.path(), &["--group", "ETI", "--bundle", &stale]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "{stderr}");
    assert!(
        stderr.contains("published a checkpoint of size"),
        "{stderr}"
    );
    let output = restore_tail(data.path(), &["--group", "ETI", "--bundle", &bundle]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "{stderr}");
    assert!(
        stderr.contains("the note sha256:") && stderr.contains("--documents"),
        "the sealed note is named, with what to do: {stderr}"
    );
    // Another log's bundle, signed by the same server key under another
    // origin.
    let output = restore_tail(data.path(), &["--group", "bystander", "--bundle", &bundle]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "{stderr}");
    assert!(stderr.contains("is not the key of origin"), "{stderr}");

    // Another history signed with this server's key (whoever holds the
    // key can sign one): the bundle's last entry changed and its tree
    // signed again. Refused at the mark's size, however complete.
    let mut forged = common::bundles::entries(Path::new(&bundle));
    let last = forged.len() - 1;
    forged[last] = forged[last - 1].clone();
    let checkpoint = std::fs::read_to_string(Path::new(&bundle).join("checkpoint"))
        .expect("the bundle's checkpoint");
    let origin = checkpoint.lines().next().expect("an origin line");
    let other = copies.path().join("other-history");
    common::bundles::resign(data.path(), origin, &forged, &[], &other);
    let output = restore_tail(
        data.path(),
        &[
            "--group",
            "ETI",
            "--bundle",
            other.to_str().expect("UTF-8"),
            "--documents",
            votes.join("alice-votes").to_str().expect("UTF-8"),
        ],
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "{stderr}");
    assert!(
        stderr.contains("another history") && stderr.contains("high-water mark"),
        "{stderr}"
    );

    let server = Server::start(data.path(), &["--simulated-clock"]);
    assert_eq!(
        refused(&server.address, &token, "ETI", &["restored"]),
        reason,
        "a refused restore writes nothing"
    );
    server.stop();

    // A file that is not a bundle archive: refused, nothing written.
    let garbage = copies.path().join("garbage.tar");
    std::fs::write(&garbage, b"not an archive").expect("write a file");
    let output = restore_tail(
        data.path(),
        &[
            "--group",
            "ETI",
            "--bundle",
            garbage.to_str().expect("UTF-8"),
        ],
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "{stderr}");
    assert!(stderr.contains("is not a bundle archive"), "{stderr}");

    // With the voter's files and the bundle's archive (a directory works
    // alike): put back, served with the published roots.
    let alice = votes.join("alice-votes");
    let output = restore_tail(
        data.path(),
        &[
            "--group",
            "ETI",
            "--bundle",
            archive_path.to_str().expect("UTF-8"),
            "--documents",
            alice.to_str().expect("UTF-8"),
        ],
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(stdout.contains("put back entries"), "{stdout}");
    let server = Server::start(data.path(), &["--simulated-clock"]);
    let view = read_verified(&server.address, &token, "ETI");
    assert_eq!(view.size, published.size);
    assert_eq!(view.root, published.root);
    assert_eq!(view.checkpoint, published.checkpoint);
    view.verify_inclusions(&server.address);

    // The ballot closes; the restored note is revealed and counted, and
    // the whole history verifies with alice's receipt.
    let w = World {
        server,
        token,
        work: votes,
    };
    w.advance_days(32);
    w.wait_for("B1", "tallied");
    let closed = w.export("alice", "B1", "closed-bundle");
    let receipt = w.path("alice-votes").join("B1-main-cadzow.tlog-proof");
    let output = scrutineer(&[
        "verify",
        &closed,
        "--log-key",
        &w.path_str("log.vkey"),
        "--receipt",
        receipt.to_str().expect("UTF-8"),
    ]);
    let report = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{report}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(report.contains("counted"), "{report}");
    read_verified(&w.server.address, &w.token, "ETI")
        .verify_consistent_with(&w.server.address, &published.checkpoint);
    w.server.stop();
}

#[test]
fn a_restore_written_to_elsewhere_is_refused_at_the_same_size() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let elsewhere = tempfile::tempdir().expect("a temporary directory");
    let server = Server::start(dir.path(), &[]);
    let token = server.token.clone().expect("bootstrap token");
    let address = server.address.clone();
    http::group_of_organisations(&address, &token, "bystander", 0);
    http::group_of_organisations(&address, &token, "g", 0);
    add_organisations(&address, &token, "g", &["org1"]);
    let old = elsewhere.path().join("old.db");
    backup(dir.path(), &old);
    add_organisations(&address, &token, "g", &["org2", "org3"]);
    let published = read_verified(&address, &token, "g");
    server.stop();

    // The backup is restored on another machine (same log key, no marks)
    // and takes other writes up to the same size: a second history.
    std::fs::copy(dir.path().join("log.key"), elsewhere.path().join("log.key"))
        .expect("copy the key");
    restore(elsewhere.path(), &old);
    let other = Server::start(elsewhere.path(), &[]);
    add_organisations(&other.address, &token, "g", &["orgX", "orgY"]);
    let forked = read_verified(&other.address, &token, "g");
    other.stop();
    assert_eq!(forked.size, published.size);
    assert_ne!(forked.root, published.root);

    // Brought back here, it is refused: same size, another root.
    let copy = elsewhere.path().join("forked.db");
    backup(elsewhere.path(), &copy);
    restore(dir.path(), &copy);
    let server = Server::start(dir.path(), &[]);
    refused(
        &server.address,
        &token,
        "g",
        &["at size 4", "differs from the published one"],
    );
    server.stop();
}

#[test]
fn backup_refuses_to_overwrite_and_postgres() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let out = dir.path().join("exists.db");
    std::fs::write(&out, b"keep me").expect("a file");
    let run = |extra: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_scrutineer"))
            .arg("backup")
            .arg("--data-dir")
            .arg(dir.path())
            .arg("--out")
            .arg(&out)
            .args(extra)
            .env_remove("SCRUTINEER_DATABASE_URL")
            .output()
            .expect("run scrutineer backup")
    };
    let output = run(&[]);
    assert!(!output.status.success());
    assert_eq!(std::fs::read(&out).expect("the file"), b"keep me");
    let output = run(&["--database-url", "postgres://localhost/scrutineer"]);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("pg_dump"), "{stderr}");
}
