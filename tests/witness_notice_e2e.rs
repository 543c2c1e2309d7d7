//! Witnesses prove the notice (SPEC section 10): a `--simulated-clock`
//! server with three real `scrutineer witness` processes and a quorum of
//! two. The chair announces a ballot while the witnesses' clock reads the
//! announcement day; the simulated clock then moves 45 days to the opening
//! and 32 more to the tally. The ballot's audit bundle holds the cosigned
//! checkpoints (as `cosigned/<size>` files and as the log's own
//! `cosigned-checkpoint` entries), and `scrutineer verify --policy` says
//! the notice is proven by witnesses, names each witness's view, reports a
//! bundle cut before what a witness cosigned later, and fails on a
//! checkpoint of another history.

#![cfg(feature = "server")]

mod common;

use std::path::Path;

use common::http;
use common::witness::{eventually, settled};
use common::world::{World, ok, scrutineer, strings, text};
use scrutineer::tlog::checkpoint::{Checkpoint, Origin, sign_checkpoint};
use scrutineer::tlog::{Hash, TreeSize};
use serde_json::{Value, json};

const START: &str = "2026-06-01T00:00:00Z";
const OPENS: &str = "2026-07-15T00:00:00Z";
const CLOSES: &str = "2026-08-15T00:00:00Z";
const ORIGIN: &str = "simulated.invalid/vote.test/ETI";

fn command(name: &str, w: &World, who: &str, rest: &[&str]) -> Vec<String> {
    let mut args = strings(&[name]);
    args.extend(w.server_flags());
    args.extend(strings(&[
        "--log-key",
        &w.path_str("log.vkey"),
        "--token-file",
        &w.path_str(&format!("{who}.token")),
        "--key",
        &w.path_str(&format!("{who}.key")),
    ]));
    args.extend(strings(rest));
    args
}

/// Moves the server's simulated clock and the witnesses' clock file on by
/// `days` days, to `to`.
fn advance(w: &World, clock: &Path, days: u64, to: &str) {
    std::fs::write(clock, to).unwrap();
    w.send(
        "POST",
        "/v1/clock",
        json!({"advance_seconds": days * 24 * 3600}),
    );
}

fn bundle(w: &World, name: &str) -> String {
    let r = http::get(
        &w.server.address,
        "/v1/groups/ETI/ballots/B1/bundle",
        Some(&w.token),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    let path = w.path_str(name);
    std::fs::write(&path, &r.body).unwrap();
    path
}

#[test]
fn witnesses_prove_the_notice_and_catch_a_truncated_bundle_and_a_split_view() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let work = dir.path().join("work");
    std::fs::create_dir_all(&work).unwrap();
    let two = common::witness::two_of_three(dir.path(), &data, ORIGIN, START);
    let pinned = two.pinned();
    let pinned_path = work.join("pinned.policy");
    std::fs::write(&pinned_path, two.pinned_text()).unwrap();
    let pinned_path = pinned_path.to_str().unwrap();
    let server = two.server(dir.path(), &data, START);
    let common::witness::TwoOfThree {
        log_key,
        clock,
        witnesses,
        ..
    } = two;
    let token = server.token.clone().unwrap();
    let w = World {
        server,
        token,
        work: work.clone(),
    };
    w.eti_group(&["cadzow", "bobco"]);
    ok(&command(
        "announce",
        &w,
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
    // The announcement is cosigned by a quorum on the announcement day.
    let announced = settled(&w, &pinned);

    advance(&w, &clock, 45, "2026-07-16T00:00:00Z");
    w.wait_for("B1", "open");
    ok(&command(
        "vote",
        &w,
        "alice",
        &[
            "--ballot",
            "B1",
            "--organisation",
            "cadzow",
            "--choice",
            "yes",
            "--out",
            &w.path_str("votes"),
        ],
    ));
    advance(&w, &clock, 32, "2026-08-17T00:00:00Z");
    w.wait_for("B1", "tallied");
    // An export right after the tally waits for the quorum on the
    // checkpoint it stops at, so the bundle verifies under the policy.
    let waited = w.path_str("waited");
    let mut export = strings(&["export"]);
    export.extend(w.as_person("alice"));
    export.extend(strings(&[
        "--ballot",
        "B1",
        "--out",
        &waited,
        "--witness-policy",
        pinned_path,
    ]));
    ok(&export);
    let out = ok(&["verify", &waited, "--policy", pinned_path]);
    assert!(
        out.contains("quorum cosigned the bundle's checkpoint"),
        "{out}"
    );
    let size = settled(&w, &pinned);
    assert!(size > announced);

    // The bundle: cosigned checkpoints beside the log, and in it.
    let tar = bundle(&w, "b1.tar");
    let out = ok(&["verify", &tar, "--policy", pinned_path, "--json"]);
    let report: Value = serde_json::from_str(&out).unwrap();
    let witnessed = &report["witnesses"];
    let b1 = witnessed["announcements"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["ballot"] == "B1")
        .expect("B1's notice evidence")
        .clone();
    assert_eq!(b1["proven"], true, "{b1}");
    assert!(
        b1["witnessed_by"]
            .as_str()
            .unwrap()
            .starts_with("2026-06-01T"),
        "{b1}"
    );
    assert!(
        witnessed["quorum_at_size"].as_str().is_some(),
        "{witnessed}"
    );
    let views = witnessed["witnesses"].as_array().unwrap();
    assert_eq!(views.len(), 3);
    for view in views {
        assert!(view["cosigned"].as_u64().unwrap() >= 2, "{view}");
    }
    let checks = report["checks"].to_string();
    assert!(checks.contains("cosigned checkpoints:"), "{checks}");
    assert!(
        checks.contains("quorum cosigned the bundle's checkpoint"),
        "{checks}"
    );
    // The log holds its own evidence: cosigned-checkpoint entries (at
    // least the announcement's tree and the tally's).
    let logged: u64 = checks
        .split(" cosigned-checkpoint entries")
        .next()
        .and_then(|head| head.rsplit(' ').next())
        .and_then(|n| n.parse().ok())
        .expect("the count of logged cosigned checkpoints");
    assert!(logged >= 2, "{checks}");
    // `scrutineer export` writes the same cosigned checkpoints.
    let exported = w.export("alice", "B1", "exported");
    let cosigned_files = std::fs::read_dir(Path::new(&exported).join("cosigned"))
        .expect("the exported bundle's cosigned/ folder")
        .count();
    assert!(cosigned_files >= 2, "{cosigned_files}");
    let again = ok(&["verify", &exported, "--policy", pinned_path]);
    assert!(again.contains("notice proven by witnesses"), "{again}");
    // Alice's receipt: its vote is in a checkpoint a quorum cosigned
    // (its own, or a later one consistent with it, and the report says
    // which).
    let receipt = std::fs::read_dir(w.path_str("votes"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|x| x == "tlog-proof"))
        .expect("alice's receipt");
    let receipt = receipt.to_str().unwrap();
    let out = ok(&[
        "verify",
        &tar,
        "--policy",
        pinned_path,
        "--receipt",
        receipt,
        "--json",
    ]);
    let report: Value = serde_json::from_str(&out).unwrap();
    let witnessed = &report["receipts"][0]["witnessed"];
    let basis = witnessed["basis"].as_str().unwrap();
    assert!(
        basis == "receipt-checkpoint" || basis == "later-checkpoint",
        "{witnessed}"
    );
    assert_eq!(
        witnessed["checkpoint_quorum_by"].is_string(),
        basis == "receipt-checkpoint",
        "{witnessed}"
    );
    // The clock moved on right after the vote, so the quorum may first
    // have cosigned a checkpoint containing it on the tally's day.
    let by = witnessed["entry_quorum_by"].as_str().unwrap();
    assert!(
        by.starts_with("2026-07-16T") || by.starts_with("2026-08-17T"),
        "{witnessed}"
    );
    assert!(
        report["checks"]
            .to_string()
            .contains("receipts and witnesses:"),
        "{report}"
    );
    // Without a policy, nothing is said about witnesses.
    let plain = ok(&[
        "verify",
        &tar,
        "--log-key",
        &w.path_str("log.vkey"),
        "--receipt",
        receipt,
        "--json",
    ]);
    let plain: Value = serde_json::from_str(&plain).unwrap();
    assert!(plain["receipts"][0].get("witnessed").is_none(), "{plain}");
    let readable = ok(&["verify", &tar, "--witness-policy", pinned_path]);
    assert!(
        readable.contains("notice proven by witnesses"),
        "{readable}"
    );
    assert!(readable.contains("w1: cosigned"), "{readable}");

    // The log goes on; a witness's latest checkpoint shows that the
    // earlier bundle stops short.
    w.send(
        "PUT",
        "/v1/groups/ETI/organisations/third",
        json!({"class": "member", "founding": false, "from": "2026-08-17T00:00:00Z"}),
    );
    let later = settled(&w, &pinned);
    assert!(later > size);
    let origin_hex = Hash::sha256(ORIGIN.as_bytes()).to_hex();
    let latest = eventually("the witness's latest checkpoint", || {
        let r = http::get(
            &witnesses[0].address,
            &format!("/{origin_hex}/checkpoint"),
            None,
        );
        let n: u64 = r.text().lines().nth(1)?.parse().ok()?;
        (r.status == 200 && n >= later).then_some(r.body)
    });
    let latest_path = w.path_str("w1.checkpoint");
    std::fs::write(&latest_path, &latest).unwrap();
    let cut = ok(&[
        "verify",
        &tar,
        "--policy",
        pinned_path,
        "--cosigned",
        &latest_path,
    ]);
    assert!(cut.contains("TRUNCATED: the bundle stops at size"), "{cut}");
    // The verifier asks the witnesses itself (the policy's URLs) and sees
    // the same; with one witness down, the two others still show it, and
    // the silent one is a warning.
    let asked = ok(&["verify", &tar, "--policy", pinned_path, "--ask-witnesses"]);
    assert!(
        asked.contains("TRUNCATED: the bundle stops at size"),
        "{asked}"
    );
    assert!(asked.contains("witness w2 at http://"), "{asked}");
    assert!(!asked.contains("WITNESS NOT HEARD"), "{asked}");
    // A witness named by --witness-url alone is the only one asked.
    let one = ok(&[
        "verify",
        &tar,
        "--policy",
        pinned_path,
        "--witness-url",
        &format!("w3=http://{}", witnesses[2].address),
        "--json",
    ]);
    let one: Value = serde_json::from_str(&one).unwrap();
    let warnings = one["warnings"].to_string();
    assert!(warnings.contains("TRUNCATED"), "{warnings}");
    assert!(warnings.contains("witness w3 at"), "{warnings}");
    assert!(!warnings.contains("witness w1 at"), "{warnings}");
    let mut witnesses = witnesses;
    let down = witnesses.remove(1);
    let down_address = down.address.clone();
    down.kill();
    let partial = ok(&["verify", &tar, "--policy", pinned_path, "--ask-witnesses"]);
    assert!(partial.contains("TRUNCATED"), "{partial}");
    assert!(
        partial.contains(&format!(
            "WITNESS NOT HEARD: witness w2 at http://{down_address}"
        )),
        "{partial}"
    );

    // A checkpoint of another history at a size the bundle holds, signed
    // by the log key (as a server showing a forked log to someone would),
    // is a split view.
    let forged = Checkpoint::new(
        Origin::new(ORIGIN).unwrap(),
        TreeSize::new(announced),
        Hash::sha256(b"another history"),
        vec![],
    )
    .unwrap();
    let forged_path = w.path_str("forged.checkpoint");
    std::fs::write(&forged_path, sign_checkpoint(&forged, &log_key).unwrap()).unwrap();
    let split = scrutineer(&[
        "verify",
        &tar,
        "--policy",
        pinned_path,
        "--cosigned",
        &forged_path,
    ]);
    assert!(!split.status.success());
    let err = text(&split.stderr);
    assert!(err.contains("split view"), "{err}");

    w.server.stop();
    for p in witnesses {
        p.kill();
    }
}
