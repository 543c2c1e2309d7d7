//! `scrutineer loadtest` runs briefly end to end: it starts its own server,
//! sets up a group, votes over HTTP, measures the machine's limits (the
//! floor server's among them), stops
//! the server and reports. The report must be coherent; its speed is never
//! asserted (a slow or busy machine is not a failure).

mod common;

use serde_json::Value;

use common::world::{scrutineer, text};

#[test]
fn a_short_load_test_reports_accepted_votes_latency_memory_and_limits() {
    let out = scrutineer(&[
        "loadtest",
        "--organisations",
        "20",
        "--concurrency",
        "4",
        "--duration",
        "2",
        "--limit-seconds",
        "0.5",
        "--votes",
        "20000",
        "--json",
    ]);
    assert!(
        out.status.success(),
        "loadtest failed:\n{}\n{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    let report: Value = serde_json::from_slice(&out.stdout).expect("the report is JSON");
    let number = |path: &str| -> f64 {
        report
            .pointer(path)
            .and_then(Value::as_f64)
            .unwrap_or_else(|| panic!("{path} is missing or not a number: {report:#}"))
    };
    assert_eq!(report["database"], "sqlite");
    assert_eq!(number("/organisations"), 20.0);
    assert_eq!(number("/concurrency"), 4.0);
    let accepted = number("/votes_accepted");
    assert!(accepted > 0.0, "no vote was accepted: {report:#}");
    assert!(number("/votes_sent") >= accepted);
    assert!(number("/accepted_per_second") > 0.0);
    assert!(number("/elapsed_seconds") > 0.0);
    let (p50, p99, p999, max) = (
        number("/latency_ms/p50"),
        number("/latency_ms/p99"),
        number("/latency_ms/p999"),
        number("/latency_ms/max"),
    );
    assert!(
        0.0 < p50 && p50 <= p99 && p99 <= p999 && p999 <= max,
        "{report:#}"
    );
    let errors = report["errors"].as_object().expect("errors is an object");
    assert!(
        !errors
            .keys()
            .any(|status| status.starts_with('5') || status.starts_with("io")),
        "server errors: {report:#}"
    );
    let rss = number("/server_memory/vm_rss_kib");
    assert!(rss > 0.0 && rss <= number("/server_memory/vm_hwm_kib"));
    assert!(number("/limits/threads") >= 1.0);
    assert!(number("/limits/verify_per_second") > 0.0);
    assert!(number("/limits/fsync_per_second") > 0.0);
    // The floor server answers only votes that it verified.
    assert!(number("/limits/floor_votes_per_second") > 0.0);
    assert!(number("/ratios/votes_per_verification") > 0.0);
    assert!(number("/ratios/votes_per_fsync") > 0.0);
    assert!(number("/ratios/votes_per_floor") > 0.0);
}

#[test]
fn bad_flags_are_refused_with_a_reason() {
    let out = scrutineer(&["loadtest", "--duration", "0"]);
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("seconds"),
        "{}",
        text(&out.stderr)
    );
    let out = scrutineer(&["loadtest", "--concurrency", "0"]);
    assert!(!out.status.success());
}
