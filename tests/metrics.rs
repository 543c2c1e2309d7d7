//! `/metrics` on `--metrics-listen` (SPEC section 11): after a small load
//! through the real binary (a group, an announcement, votes through the
//! CLI, bad requests), a scrape has every family, and the counts moved by
//! exactly what was done. Every response carries a request id, distinct
//! per request; the main listener does not serve `/metrics`.

#![cfg(feature = "server")]

mod common;

use std::collections::BTreeMap;

use common::http::get;
use common::server::Server;
use common::world::World;

const START: &str = "2026-06-01T00:00:00Z";

/// One scrape: each sample line's name with its labels, and its value.
fn scrape(address: &str) -> BTreeMap<String, f64> {
    let r = get(address, "/metrics", None);
    assert_eq!(r.status, 200, "{}", r.text());
    assert!(
        r.header("content-type")
            .is_some_and(|t| t.starts_with("application/openmetrics-text; version=1.0.0")),
        "{:?}",
        r.headers
    );
    let text = r.text();
    assert!(text.trim_end().ends_with("# EOF"), "{text}");
    text.lines()
        .filter(|line| !line.starts_with('#') && !line.is_empty())
        .map(|line| {
            let (name, value) = line.rsplit_once(' ').expect("a sample: name value");
            (name.to_owned(), value.parse().expect("a number"))
        })
        .collect()
}

fn value(samples: &BTreeMap<String, f64>, name: &str) -> f64 {
    samples.get(name).copied().unwrap_or(0.0)
}

#[test]
fn metrics_count_what_the_server_did() {
    let data = tempfile::tempdir().expect("temporary directory");
    let work = tempfile::tempdir().expect("temporary directory");
    let server = Server::start(
        data.path(),
        &[
            "--simulated-clock",
            "--simulated-start",
            START,
            "--metrics-listen",
            "127.0.0.1:0",
        ],
    );
    let metrics = server
        .metrics
        .clone()
        .expect("the metrics address is printed");
    let token = server.token.clone().expect("first start prints the token");
    let w = World {
        server,
        token,
        work: work.path().to_owned(),
    };

    // Not on the main listener: there it is an unknown page.
    assert_eq!(get(&w.server.address, "/metrics", None).status, 404);

    let before = scrape(&metrics);
    // A group, an announcement to two persons, the opening, one vote and a
    // changed vote through the CLI, and two bad requests.
    w.eti_group(&["cadzow"]);
    w.announce_and_open("B1");
    w.vote("alice", "alice.key", "B1", "cadzow", "yes", "votes");
    w.vote("alice", "alice.key", "B1", "cadzow", "no", "votes-2");
    let missing = get(&w.server.address, "/v1/groups/NOPE", Some(&w.token));
    assert_eq!(missing.status, 404);
    let nowhere = get(&w.server.address, "/no/such/page", None);
    assert_eq!(nowhere.status, 404);

    // Request ids: on every response, distinct.
    let ids: Vec<String> = [&missing, &nowhere]
        .iter()
        .map(|r| r.header("x-request-id").expect("a request id").to_owned())
        .collect();
    assert!(ids.iter().all(|id| id.len() == 16), "{ids:?}");
    assert_ne!(ids[0], ids[1]);

    let after = scrape(&metrics);
    // Every family, now that each has a series (a family without one is
    // left out of the text).
    for family in [
        "# TYPE scrutineer_http_requests counter",
        "# TYPE scrutineer_http_request_duration_seconds histogram",
        "# TYPE scrutineer_vote_receipt_duration_seconds histogram",
        "# TYPE scrutineer_sequencer_batch_entries histogram",
        "# TYPE scrutineer_sequencer_commit_duration_seconds histogram",
        "# TYPE scrutineer_log_tree_size gauge",
        "# TYPE scrutineer_ballots gauge",
        "# TYPE scrutineer_outbox_notices gauge",
        "# TYPE scrutineer_outbox_oldest_undelivered_age_seconds gauge",
        "# TYPE scrutineer_web_sessions gauge",
    ] {
        let text = get(&metrics, "/metrics", None).text();
        assert!(text.contains(family), "{family} missing:\n{text}");
    }

    let moved = |name: &str| value(&after, name) - value(&before, name);
    assert_eq!(
        moved("scrutineer_vote_receipt_duration_seconds_count"),
        2.0,
        "two votes, two receipts"
    );
    let votes_route = after
        .keys()
        .find(|k| {
            k.starts_with("scrutineer_http_requests_total{")
                && k.contains("/votes\"")
                && k.contains("method=\"POST\"")
                && k.contains("status=\"201\"")
        })
        .unwrap_or_else(|| panic!("the votes route by its pattern: {after:#?}"));
    assert!(
        votes_route.contains("{group}"),
        "routes by pattern, not path: {votes_route}"
    );
    assert_eq!(value(&after, votes_route), 2.0);
    assert_eq!(
        value(
            &after,
            "scrutineer_http_requests_total{route=\"unmatched\",method=\"GET\",status=\"404\"}"
        ),
        // `/metrics` on the main listener, and the unknown page.
        2.0
    );
    assert!(moved("scrutineer_sequencer_batch_entries_count") >= 4.0);
    assert!(
        moved("scrutineer_sequencer_batch_entries_sum")
            >= moved("scrutineer_sequencer_batch_entries_count")
    );
    let size = value(&after, "scrutineer_log_tree_size{group=\"ETI\"}");
    assert!(size >= 10.0, "the group's log grew: {size}");
    assert_eq!(value(&after, "scrutineer_log_halted{group=\"ETI\"}"), 0.0);
    assert_eq!(value(&after, "scrutineer_ballots{state=\"open\"}"), 1.0);
    // The announcement's two notices wait in the outbox (no relay: they
    // are written as files and logged).
    let outbox: f64 = after
        .iter()
        .filter(|(k, _)| k.starts_with("scrutineer_outbox_notices{"))
        .map(|(_, v)| v)
        .sum();
    assert!(outbox >= 2.0, "{after:#?}");
    assert!(
        value(
            &after,
            "scrutineer_log_newest_entry_age_seconds{group=\"ETI\"}"
        ) >= 0.0
    );
    w.server.stop();
}
