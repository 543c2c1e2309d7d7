//! The start-up check (SPEC section 4, "Startup check") against a database
//! changed behind the server's back: a server writes two group logs and
//! stops; one log is tampered with directly in its SQLite file (through
//! sqlx); on restart the server still starts, refuses that log — its
//! checkpoint answers 503 with a problem saying why, `GET /v1/groups/{g}`
//! shows it halted with the reason, writes to it are refused — and serves
//! the untouched log beside it normally.

mod common;

use std::path::Path;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use common::http;
use common::logview::{group_info, read_verified};
use common::server::Server;
use scrutineer::note::key::SigningKey;
use scrutineer::tlog::Hash;
use scrutineer::tlog::checkpoint::{Checkpoint, Origin, sign_checkpoint};
use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection};
use sqlx::{ConnectOptions as _, Connection as _, Row as _};

/// Entries per log: the `group` entry and six organisations, each appended
/// in its own batch, so the log signed checkpoints of sizes 0 to 7.
const SIZE: i64 = 7;

/// A stopped server's data directory with the logs `victim` and
/// `bystander`, and the bootstrap token.
fn pristine() -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let server = Server::start(dir.path(), &[]);
    let token = server.token.clone().expect("bootstrap token");
    for group in ["victim", "bystander"] {
        http::group_of_organisations(&server.address, &token, group, SIZE as usize - 1);
    }
    server.stop();
    (dir, token)
}

/// Runs `change` on the stopped server's SQLite file.
fn tamper(data_dir: &Path, change: impl AsyncFnOnce(&mut SqliteConnection)) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    runtime.block_on(async {
        let mut db = SqliteConnectOptions::new()
            .filename(data_dir.join("scrutineer.db"))
            .connect()
            .await
            .expect("open the server's database");
        change(&mut db).await;
        db.close().await.expect("close");
    });
}

async fn exec(db: &mut SqliteConnection, sql: &str) {
    let done = sqlx::query(sql).execute(&mut *db).await.expect(sql);
    assert!(done.rows_affected() > 0, "{sql} changed nothing");
}

/// Tampers with `victim`, restarts, and checks that `victim` is refused
/// with a reason containing each of `words` while `bystander` is served.
fn refused_after(change: impl AsyncFnOnce(&mut SqliteConnection), words: &[&str]) {
    let (dir, token) = pristine();
    tamper(dir.path(), change);
    let server = Server::start(dir.path(), &[]);
    let address = server.address.as_str();
    let says_why = |text: &str, context: &str| {
        for word in words {
            assert!(text.contains(word), "{context} names {word:?}: {text}");
        }
    };

    // The tampered log is refused, and says why.
    let r = http::get(address, "/v1/groups/victim/log/checkpoint", None);
    assert_eq!(r.status, 503, "{}", r.text());
    assert_eq!(r.header("content-type"), Some("application/problem+json"));
    let problem = r.json();
    assert_eq!(problem["status"], 503);
    says_why(
        problem["detail"].as_str().expect("detail"),
        "the checkpoint's problem",
    );
    let info = group_info(address, &token, "victim");
    eprintln!("note: victim refused: {}", info["halted"]);
    says_why(
        info["halted"].as_str().expect("halted with a reason"),
        "the group's halted reason",
    );
    let r = http::get(address, "/v1/groups/victim/log/tile/0/000.p/1", None);
    assert_eq!(r.status, 503, "tiles of a refused log are not served");
    let r = http::get(
        address,
        "/v1/groups/victim/log/proof/inclusion?index=0",
        None,
    );
    assert_eq!(r.status, 503, "proofs of a refused log are not served");
    let r = http::put_organisation(address, &token, "victim", "late");
    assert_eq!(r.status, 503, "a refused log takes no writes: {}", r.text());

    // The untouched log beside it is served and verifies.
    let view = read_verified(address, &token, "bystander");
    assert_eq!(view.size, SIZE as u64);
    view.verify_inclusions(address);
    let r = http::put_organisation(address, &token, "bystander", "late");
    assert_eq!(r.status, 201, "{}", r.text());
    read_verified(address, &token, "bystander").verify_consistent_with(address, &view.checkpoint);
    server.stop();
}

#[test]
fn untouched_logs_are_served() {
    let (dir, token) = pristine();
    let server = Server::start(dir.path(), &[]);
    for group in ["victim", "bystander"] {
        let view = read_verified(&server.address, &token, group);
        assert_eq!(view.size, SIZE as u64);
    }
    server.stop();
}

#[test]
fn changed_entry_bytes() {
    refused_after(
        async |db| {
            let row =
                sqlx::query("SELECT bytes FROM entries WHERE group_id = 'victim' AND idx = 3")
                    .fetch_one(&mut *db)
                    .await
                    .expect("entry 3");
            let mut bytes: Vec<u8> = row.get("bytes");
            let at = bytes.len() - 2;
            bytes[at] ^= 0x01;
            sqlx::query("UPDATE entries SET bytes = $1 WHERE group_id = 'victim' AND idx = 3")
                .bind(bytes)
                .execute(&mut *db)
                .await
                .expect("update");
        },
        // Leaf 3 is stored at index 4 (after leaves 0, 1 and their parent).
        &["stored hash 4", "entry 3"],
    );
}

#[test]
fn changed_stored_hash() {
    refused_after(
        async |db| {
            // Stored index 2 is the parent of leaves 0 and 1.
            sqlx::query("UPDATE hashes SET hash = $1 WHERE group_id = 'victim' AND idx = 2")
                .bind(Hash::sha256(b"forged").as_bytes().to_vec())
                .execute(&mut *db)
                .await
                .expect("update");
        },
        &["stored hash 2", "entries 0..2"],
    );
}

#[test]
fn deleted_stored_hash() {
    refused_after(
        async |db| {
            exec(db, "DELETE FROM hashes WHERE group_id = 'victim' AND idx = (SELECT MAX(idx) FROM hashes WHERE group_id = 'victim')").await;
        },
        &["stored hash", "missing"],
    );
}

#[test]
fn deleted_last_entry() {
    refused_after(
        async |db| {
            exec(
                db,
                "DELETE FROM entries WHERE group_id = 'victim' AND idx = 6",
            )
            .await;
        },
        &["entry 6", "missing"],
    );
}

#[test]
fn entry_beyond_the_checkpoint() {
    refused_after(
        async |db| {
            exec(
                db,
                "INSERT INTO entries (group_id, idx, bytes) SELECT group_id, 7, bytes \
                 FROM entries WHERE group_id = 'victim' AND idx = 6",
            )
            .await;
        },
        &["8 entries", "checkpoint 7"],
    );
}

#[test]
fn head_rolled_back_to_an_older_checkpoint() {
    refused_after(
        async |db| {
            exec(
                db,
                "UPDATE logs SET size = 4, checkpoint = \
                 (SELECT signed FROM checkpoints WHERE group_id = 'victim' AND size = 4) \
                 WHERE group_id = 'victim'",
            )
            .await;
        },
        &["7 entries", "checkpoint 4"],
    );
}

#[test]
fn checkpoint_signature_replaced() {
    refused_after(
        async |db| {
            let row = sqlx::query("SELECT checkpoint FROM logs WHERE group_id = 'victim'")
                .fetch_one(&mut *db)
                .await
                .expect("head");
            let signed: Vec<u8> = row.get("checkpoint");
            let text = String::from_utf8(signed).expect("a note is text");
            // The signature line: "— <name> base64(key id ‖ signature)".
            let (body, line) = text.trim_end().rsplit_once('\n').expect("a signature line");
            let (prefix, material) = line.rsplit_once(' ').expect("name and signature");
            let mut bytes = STANDARD.decode(material).expect("base64");
            assert_eq!(bytes.len(), 4 + 64, "key id and Ed25519 signature");
            bytes[4..].fill(0x42);
            let forged = format!("{body}\n{prefix} {}\n", STANDARD.encode(bytes));
            sqlx::query("UPDATE logs SET checkpoint = $1 WHERE group_id = 'victim'")
                .bind(forged.into_bytes())
                .execute(&mut *db)
                .await
                .expect("update");
        },
        &["checkpoint does not verify"],
    );
}

#[test]
fn checkpoint_signed_by_another_key() {
    refused_after(
        async |db| {
            // Someone with the database but not the log key signs the same
            // tree under the same name.
            let row = sqlx::query("SELECT origin, size FROM logs WHERE group_id = 'victim'")
                .fetch_one(&mut *db)
                .await
                .expect("head");
            let origin = Origin::new(row.get::<String, _>("origin")).expect("origin");
            let size: i64 = row.get("size");
            let root = {
                let rows =
                    sqlx::query("SELECT bytes FROM entries WHERE group_id = 'victim' ORDER BY idx")
                        .fetch_all(&mut *db)
                        .await
                        .expect("entries");
                let leaves: Vec<Hash> = rows
                    .iter()
                    .map(|r| scrutineer::tlog::leaf_hash(&r.get::<Vec<u8>, _>("bytes")))
                    .collect();
                scrutineer::tlog::tree::root_of_leaves(&leaves)
            };
            let key = SigningKey::from_seed(origin.key_name().clone(), &[9; 32]);
            let checkpoint = Checkpoint::new(
                origin,
                scrutineer::tlog::TreeSize::new(size as u64),
                root,
                vec![],
            )
            .expect("checkpoint");
            let forged = sign_checkpoint(&checkpoint, &key).expect("sign");
            sqlx::query("UPDATE logs SET checkpoint = $1 WHERE group_id = 'victim'")
                .bind(forged)
                .execute(&mut *db)
                .await
                .expect("update");
        },
        &["checkpoint does not verify"],
    );
}
