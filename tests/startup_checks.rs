//! The start-up check runs while the server answers (SPEC section 11,
//! issue 19): a server writes two group logs and stops; it is started
//! again with the check of one log held (the hidden test flag
//! `--test-hold-check GROUP=FILE`, so nothing here depends on timing). While
//! held, that group answers 503 `log-being-checked` with `Retry-After` on
//! the API (reads and writes) and on its web pages, is not opened by the
//! group listing's discovery, and `/readyz` answers 503 with each log's
//! progress, while `/healthz` answers and the other group is served and
//! takes writes. Released, the log is checked and served with the same
//! checkpoint it had, and `/readyz` answers 200.

mod common;

use common::http;
use common::server::Server;
use common::witness::eventually;

const CHECKING: &str = "urn:scrutineer:problem:log-being-checked";

/// A 503 `log-being-checked` problem naming `group`, with `Retry-After`.
fn being_checked(r: &http::Response, group: &str, what: &str) {
    assert_eq!(r.status, 503, "{what}: {}", r.text());
    assert_eq!(
        r.header("content-type"),
        Some("application/problem+json"),
        "{what}"
    );
    let problem = r.json();
    assert_eq!(problem["type"], CHECKING, "{what}: {problem}");
    assert_eq!(problem["status"], 503, "{what}");
    let detail = problem["detail"].as_str().expect("a detail");
    assert!(detail.contains(group), "{what}: {detail}");
    assert!(r.header("retry-after").is_some(), "{what}: Retry-After");
}

#[test]
fn a_log_being_checked_is_not_served_and_the_others_are() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let server = Server::start(dir.path(), &[]);
    let token = server.token.clone().expect("bootstrap token");
    for group in ["held", "other"] {
        http::group_of_organisations(&server.address, &token, group, 4);
    }
    let before = http::get(&server.address, "/v1/groups/held/log/checkpoint", None);
    assert_eq!(before.status, 200);
    server.stop();

    let release = dir.path().join("release-held");
    let hold = format!("held={}", release.display());
    let server = Server::start_listening(dir.path(), &["--test-hold-check", &hold]);
    let address = server.address.as_str();

    // The other log's check ends; the held one's never starts.
    let report = eventually("the other log checked", || {
        let r = http::get(address, "/readyz", None);
        assert_eq!(r.status, 503, "ready with a log held: {}", r.text());
        let text = r.text();
        (!text.contains("log other:")).then_some((r, text))
    });
    let (r, text) = report;
    assert!(r.header("retry-after").is_some(), "/readyz's Retry-After");
    assert!(text.contains("not ready: 1 of 2 logs checked"), "{text}");
    assert!(
        text.contains("log held: waiting to be checked, 0 of 5 entries"),
        "{text}"
    );
    assert_eq!(http::get(address, "/healthz", None).status, 200);

    // The held group: nothing of it is served, nothing is written to it.
    being_checked(
        &http::get(address, "/v1/groups/held/log/checkpoint", None),
        "held",
        "its checkpoint",
    );
    being_checked(
        &http::get(address, "/v1/groups/held/log/tile/0/000.p/1", None),
        "held",
        "a tile",
    );
    being_checked(
        &http::get(address, "/v1/groups/held", Some(&token)),
        "held",
        "the group",
    );
    being_checked(
        &http::put_organisation(address, &token, "held", "late"),
        "held",
        "a write",
    );
    let page = http::get(address, "/groups/held/registry", None);
    assert_eq!(page.status, 503, "its web page: {}", page.text());
    assert!(
        page.header("retry-after").is_some(),
        "the page's Retry-After"
    );
    assert!(
        page.text().contains("checking the log of group held"),
        "{}",
        page.text()
    );
    // The listing's discovery does not open it behind its check's back.
    let groups = http::get(address, "/v1/groups", Some(&token));
    assert_eq!(groups.status, 200, "{}", groups.text());
    assert!(!groups.text().contains("\"held\""), "{}", groups.text());

    // The other group is served and takes writes.
    let r = http::get(address, "/v1/groups/other/log/checkpoint", None);
    assert_eq!(r.status, 200, "{}", r.text());
    let r = http::put_organisation(address, &token, "other", "late");
    assert_eq!(r.status, 201, "{}", r.text());

    // Released: checked, ready, served with the checkpoint it had.
    std::fs::write(&release, b"").expect("release the check");
    let ready = eventually("every log checked", || {
        let r = http::get(address, "/readyz", None);
        (r.status == 200).then(|| r.text())
    });
    assert!(ready.starts_with("ready"), "{ready}");
    let after = http::get(address, "/v1/groups/held/log/checkpoint", None);
    assert_eq!(after.status, 200, "{}", after.text());
    assert_eq!(after.body, before.body, "the same checkpoint");
    let r = http::put_organisation(address, &token, "held", "late");
    assert_eq!(r.status, 201, "{}", r.text());
    let groups = http::get(address, "/v1/groups", Some(&token)).text();
    assert!(groups.contains("\"held\""), "{groups}");
    server.stop();
}
