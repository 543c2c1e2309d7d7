//! Witnesses catch a rolled-back and a forked log (SPEC section 10, "Split
//! views"): three real `scrutineer witness` processes, a quorum of two.
//! Server A cosigns its log up to size N; a second server B, started from
//! a copy of A's data directory taken at an earlier size K (the same log
//! key: a restored backup, or a second machine), is refused by every
//! witness with 409 (they have N > K) and says so in `/readyz`; once B has
//! appended its own entries past N, the witnesses refuse its consistency
//! proof (422), and `scrutineer verify` of B's bundle, given a witness's
//! latest checkpoint, reports the split view.

#![cfg(feature = "server")]

mod common;

use std::path::Path;

use common::http;
use common::server::Server;
use common::witness::{eventually, settled};
use common::world::{World, ok, scrutineer, strings, text};
use scrutineer::tlog::Hash;
use scrutineer::tlog::policy::Policy;
use serde_json::json;

const START: &str = "2026-06-01T00:00:00Z";
const ORIGIN: &str = "simulated.invalid/vote.test/ETI";

fn size_of(w: &World) -> u64 {
    let r = http::get(&w.server.address, "/v1/groups/ETI/log/checkpoint", None);
    r.text().lines().nth(1).unwrap().parse().unwrap()
}

fn add_organisation(w: &World, id: &str) {
    w.send(
        "PUT",
        &format!("/v1/groups/ETI/organisations/{id}"),
        json!({"class": "member", "founding": false, "from": "2026-05-01T00:00:00Z"}),
    );
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for item in std::fs::read_dir(from).unwrap() {
        let item = item.unwrap();
        let target = to.join(item.file_name());
        if item.file_type().unwrap().is_dir() {
            copy_dir(&item.path(), &target);
        } else {
            std::fs::copy(item.path(), target).unwrap();
        }
    }
}

#[test]
fn a_rolled_back_and_then_forked_log_is_refused_by_its_witnesses_and_reported() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("a");
    let work = dir.path().join("work");
    std::fs::create_dir_all(&work).unwrap();
    let common::witness::TwoOfThree {
        log_vkey,
        witnesses,
        policy,
        ..
    } = common::witness::two_of_three(dir.path(), &data, ORIGIN, START);
    let policy_path = dir.path().join("policy");
    std::fs::write(&policy_path, &policy).unwrap();
    let pinned_text = format!("log {log_vkey}\n{policy}");
    let pinned = Policy::parse(pinned_text.as_bytes()).unwrap();
    let pinned_path = work.join("pinned.policy");
    std::fs::write(&pinned_path, &pinned_text).unwrap();
    let flags = [
        "--simulated-clock",
        "--simulated-start",
        START,
        "--origin-prefix",
        "vote.test",
        "--witness-policy",
        policy_path.to_str().unwrap(),
    ];

    // Server A: the group, cosigned; a copy of its data is kept at size K.
    let server = Server::start(&data, &flags);
    let token = server.token.clone().unwrap();
    let a = World {
        server,
        token: token.clone(),
        work: work.clone(),
    };
    a.eti_group(&["cadzow", "bobco"]);
    let k = settled(&a, &pinned);
    let World { server, .. } = a;
    server.stop();
    let copy = dir.path().join("b");
    copy_dir(&data, &copy);
    let a = World {
        server: Server::start(&data, &flags),
        token: token.clone(),
        work: work.clone(),
    };
    add_organisation(&a, "third");
    add_organisation(&a, "fourth");
    let n = settled(&a, &pinned);
    assert!(n > k);
    let World { server, .. } = a;
    server.stop();

    // Server B from the copy: behind what the witnesses cosigned. Every
    // witness answers 409 with its size N, and B says it was rolled back.
    let b = World {
        server: Server::start(&copy, &flags),
        token: token.clone(),
        work: work.clone(),
    };
    assert_eq!(size_of(&b), k);
    let ready = eventually("the rollback reported", || {
        let r = http::get(&b.server.address, "/readyz", None);
        let text = r.text();
        (text.contains("quorum NOT reached") && text.contains("was the log rolled back?"))
            .then_some(text)
    });
    assert!(
        ready.contains(&format!(
            "the witness has size {n}, larger than the log's {k}"
        )),
        "{ready}"
    );

    // B goes on with its own history past N: the witnesses refuse its
    // consistency proof from their size N (another tree at N).
    for id in ["fifth", "sixth", "seventh", "eighth"] {
        add_organisation(&b, id);
    }
    // A ballot announced in B's history, for a bundle to export.
    let mut announce = strings(&["announce"]);
    announce.extend(b.server_flags());
    announce.extend(strings(&[
        "--log-key",
        &b.path_str("log.vkey"),
        "--token-file",
        &b.path_str("carol.token"),
        "--key",
        &b.path_str("carol.key"),
        "--ballot",
        "B1",
        "--kind",
        "correspondence",
        "--opens",
        "2026-07-15T00:00:00Z",
        "--closes",
        "2026-08-15T00:00:00Z",
    ]));
    ok(&announce);
    assert!(size_of(&b) > n);
    let ready = eventually("the fork reported", || {
        let r = http::get(&b.server.address, "/readyz", None);
        let text = r.text();
        (text.contains("refused with 422") && text.contains("quorum NOT reached")).then_some(text)
    });
    assert_eq!(
        ready.matches("refused with 422").count(),
        3,
        "every witness refuses: {ready}"
    );

    // The verifier, given B's bundle and a witness's latest checkpoint
    // (A's, at size N), reports the split view.
    let origin_hex = Hash::sha256(ORIGIN.as_bytes()).to_hex();
    let r = http::get(
        &witnesses[1].address,
        &format!("/{origin_hex}/checkpoint"),
        None,
    );
    assert_eq!(r.status, 200);
    assert_eq!(r.text().lines().nth(1), Some(n.to_string().as_str()));
    let latest = b.path_str("w2.checkpoint");
    std::fs::write(&latest, &r.body).unwrap();
    let bundle = http::get(
        &b.server.address,
        "/v1/groups/ETI/ballots/B1/bundle",
        Some(&token),
    );
    assert_eq!(bundle.status, 200, "{}", bundle.text());
    let tar = b.path_str("b.tar");
    std::fs::write(&tar, &bundle.body).unwrap();
    let out = scrutineer(&[
        "verify",
        &tar,
        "--log-key",
        &log_vkey,
        "--cosigned",
        &latest,
    ]);
    assert!(!out.status.success());
    let err = text(&out.stderr);
    assert!(
        err.contains("split view") && err.contains(&format!("at size {n}")),
        "{err}"
    );

    let World { server, .. } = b;
    server.stop();
    for p in witnesses {
        p.kill();
    }
}
