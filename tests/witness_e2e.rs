//! The server asks witnesses (SPEC section 10): a `--simulated-clock`
//! server with a policy of three `scrutineer witness` processes and a
//! quorum of two, all real processes on 127.0.0.1 port 0. The witnesses
//! take their time from a file the test keeps at the server's simulated
//! time (their TEST ONLY `--test-clock-file`).

mod common;

use common::http;
use common::witness::eventually;
use scrutineer::tlog::policy::QuorumTime;
use serde_json::json;

const START: &str = "2026-03-02T09:00:00Z";
const ORIGIN: &str = "simulated.invalid/vote.test/ETI";

#[test]
fn three_witnesses_cosign_the_servers_checkpoints_and_one_down_still_meets_the_quorum() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    // The server's log key, made first so that the witnesses can be told
    // the log's verifier key before the server starts.
    let two = common::witness::two_of_three(dir.path(), &data, ORIGIN, START);
    // The verifier's view: the policy with the log pinned.
    let pinned = two.pinned();
    let server = two.server(dir.path(), &data, START);
    let common::witness::TwoOfThree {
        clock: clock_file,
        mut witnesses,
        ..
    } = two;
    let token = server.token.clone().unwrap();
    let send = |method: &str, path: &str, body: serde_json::Value| {
        let r = http::json(&server.address, method, path, Some(&token), &body);
        assert!((200..300).contains(&r.status), "{path}: {}", r.text());
    };
    send(
        "POST",
        "/v1/groups",
        json!({"id": "ETI", "profile": "etsi-isg"}),
    );

    let cosigned = |min_size: u64, needed: usize| {
        let r = http::get(&server.address, "/v1/groups/ETI/log/checkpoint", None);
        let text = r.text();
        let size: u64 = text.lines().nth(1)?.parse().ok()?;
        if size < min_size {
            return None;
        }
        pinned.verify_checkpoint(&r.body).ok()?;
        let times = pinned.cosigned_times(&r.body).ok()?;
        let quorum = pinned.quorum_time(&times);
        (times.iter().flatten().count() >= needed).then_some((size, times, quorum))
    };
    let (size, times, quorum) = eventually("three cosignatures", || cosigned(1, 3));
    let start_secs = 1_772_442_000; // 2026-03-02T09:00:00Z
    assert!(times.iter().all(|t| *t == Some(start_secs)), "{times:?}");
    assert_eq!(quorum, QuorumTime::Met(start_secs));

    // The clock moves a day; a change is cosigned at the new time. One
    // witness is down: the quorum of two is still met, and /readyz says
    // which witness failed, while staying ready.
    witnesses.remove(2).kill();
    send("POST", "/v1/clock", json!({"advance_seconds": 86_400}));
    std::fs::write(&clock_file, "2026-03-03T09:00:00Z").unwrap();
    send(
        "PUT",
        "/v1/groups/ETI/organisations/ORG1",
        json!({"class": "member", "founding": true, "from": "2026-01-01T00:00:00Z"}),
    );
    let (later, times, quorum) =
        eventually("two cosignatures on the new size", || cosigned(size + 1, 2));
    assert!(later > size);
    assert_eq!(times[2], None);
    assert_eq!(quorum, QuorumTime::Met(start_secs + 86_400));
    let ready = eventually("the down witness reported", || {
        let r = http::get(&server.address, "/readyz", None);
        (r.status == 200 && r.text().contains("w3: unreachable")).then(|| r.text())
    });
    assert!(
        ready.contains("witnesses of ETI: quorum reached"),
        "{ready}"
    );
    server.stop();
}
