//! HTTPS end to end (SPEC section 11, "TLS"), with a test CA made here:
//! `serve --tls-cert/--tls-key` terminates TLS; the CLI votes over HTTPS
//! trusting the CA through `--ca-file`, refuses a certificate it cannot
//! verify with a message naming the host, and `verify https://…` fetches
//! and checks a bundle. On SIGHUP the server reads its certificate again
//! (a pair that does not load leaves the old one in force).

#![cfg(feature = "server")]

mod common;

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::certs::make_ca;
use common::server::Server;
use common::world::{World, ok, scrutineer, strings, text};
use serde_json::{Value, json};

const START: &str = "2026-06-01T00:00:00Z";

/// A JSON request over HTTPS, trusting only `ca`.
fn https(url: &str, ca: &Path, method: &str, token: &str, body: Option<Value>) -> Value {
    let pem = std::fs::read(ca).expect("the CA");
    let roots: Vec<_> = ureq::tls::parse_pem(&pem)
        .filter_map(|item| match item.expect("PEM") {
            ureq::tls::PemItem::Certificate(c) => Some(c),
            _ => None,
        })
        .collect();
    let tls = ureq::tls::TlsConfig::builder()
        .provider(ureq::tls::TlsProvider::Rustls)
        .root_certs(ureq::tls::RootCerts::Specific(Arc::new(roots)))
        .build();
    let agent = ureq::Agent::config_builder()
        .tls_config(tls)
        .build()
        .new_agent();
    let auth = format!("Bearer {token}");
    let mut answer = match (method, body) {
        ("GET", None) => agent.get(url).header("Authorization", &auth).call(),
        (_, Some(body)) => agent
            .post(url)
            .header("Authorization", &auth)
            .header("Content-Type", "application/json")
            .send(body.to_string().as_bytes()),
        _ => unreachable!("GET or POST with a body"),
    }
    .unwrap_or_else(|e| panic!("{method} {url}: {e}"));
    let text = answer.body_mut().read_to_string().expect("a body");
    serde_json::from_str(&text).expect("JSON")
}

#[test]
fn the_cli_votes_and_verifies_over_https_and_refuses_a_wrong_certificate() {
    let data = tempfile::tempdir().expect("temporary directory");
    let work = tempfile::tempdir().expect("temporary directory");
    let certs = tempfile::tempdir().expect("temporary directory");
    let (ca, cert, key) = make_ca(certs.path(), "one");
    let (other_ca, other_cert, other_key) = make_ca(certs.path(), "two");

    // Set up over plain HTTP on loopback, then serve the same data over
    // HTTPS only.
    let w = World::simulated(data.path(), work.path(), START);
    w.eti_group(&["cadzow"]);
    w.announce_and_open("B1");
    let World {
        server,
        token,
        work: _,
    } = w;
    server.stop();
    let path = |name: &str| work.path().join(name).to_str().expect("UTF-8").to_owned();
    let server = Server::start(
        data.path(),
        &[
            "--simulated-clock",
            "--tls-cert",
            cert.to_str().expect("UTF-8"),
            "--tls-key",
            key.to_str().expect("UTF-8"),
        ],
    );
    let port = server
        .address
        .rsplit(':')
        .next()
        .expect("a port")
        .to_owned();
    let base = format!("https://localhost:{port}");
    let ca_text = ca.to_str().expect("UTF-8").to_owned();
    let voter = |extra: &[&str]| {
        let mut args = strings(&[
            "vote",
            "--server",
            &base,
            "--group",
            "ETI",
            "--log-key",
            &path("log.vkey"),
            "--token-file",
            &path("alice.token"),
            "--key",
            &path("alice.key"),
            "--ballot",
            "B1",
            "--organisation",
            "cadzow",
            "--choice",
            "yes",
        ]);
        args.extend(strings(extra));
        args
    };

    // A certificate the CLI cannot verify: refused, naming the host.
    for extra in [
        vec!["--out".to_owned(), path("refused-1")],
        vec![
            "--out".to_owned(),
            path("refused-2"),
            "--ca-file".to_owned(),
            other_ca.to_str().expect("UTF-8").to_owned(),
        ],
    ] {
        let args = voter(&extra.iter().map(String::as_str).collect::<Vec<_>>());
        let out = scrutineer(&args);
        assert!(!out.status.success(), "a wrong certificate is refused");
        let err = text(&out.stderr);
        eprintln!("note: refused: {err}");
        assert!(
            err.contains("localhost") && err.contains("certificate"),
            "the error names the host and the certificate: {err}"
        );
    }
    // Plain HTTP to another machine is refused unless allowed.
    let mut args = voter(&["--out", &path("refused-3")]);
    args[2] = "http://vote.example.org".to_owned();
    let err = text(&scrutineer(&args).stderr);
    assert!(err.contains("--insecure-http"), "{err}");

    // With the CA: the vote is cast, its receipt verified.
    let out = ok(&voter(&[
        "--out",
        &path("alice-votes"),
        "--ca-file",
        &ca_text,
    ]));
    eprintln!("{out}");

    // Close the ballot over HTTPS, then verify it by URL.
    https(
        &format!("{base}/v1/clock"),
        &ca,
        "POST",
        &token,
        Some(json!({"advance_seconds": 32 * 24 * 3600})),
    );
    let deadline = Instant::now() + Duration::from_secs(30);
    while https(
        &format!("{base}/v1/groups/ETI/ballots/B1"),
        &ca,
        "GET",
        &token,
        None,
    )["state"]
        != "tallied"
    {
        assert!(Instant::now() < deadline, "the ballot was tallied");
        std::thread::sleep(Duration::from_millis(100));
    }
    let report = ok(&[
        "verify",
        &base,
        "--group",
        "ETI",
        "--ballot",
        "B1",
        "--log-key",
        &path("log.vkey"),
        "--token-file",
        &path("alice.token"),
        "--ca-file",
        &ca_text,
        "--receipt",
        &format!("{}/B1-main-cadzow.tlog-proof", path("alice-votes")),
    ]);
    eprintln!("{report}");

    // SIGHUP with a key that does not match: the old pair stays in force.
    std::fs::copy(&other_key, &key).expect("replace the key");
    hang_up(&server);
    std::thread::sleep(Duration::from_millis(500));
    https(&format!("{base}/v1/groups/ETI"), &ca, "GET", &token, None);
    // SIGHUP with a new pair: new connections get the new certificate.
    std::fs::copy(&other_cert, &cert).expect("replace the certificate");
    hang_up(&server);
    let deadline = Instant::now() + Duration::from_secs(10);
    let other_text = other_ca.to_str().expect("UTF-8").to_owned();
    loop {
        let out = scrutineer(&[
            "receipt",
            "verify",
            "--server",
            &base,
            "--group",
            "ETI",
            "--log-key",
            &path("log.vkey"),
            "--ca-file",
            &other_text,
            &format!("{}/B1-main-cadzow.tlog-proof", path("alice-votes")),
        ]);
        if out.status.success() {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the new certificate is served after SIGHUP: {}",
            text(&out.stderr)
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    server.stop();
}

fn hang_up(server: &Server) {
    let status = std::process::Command::new("kill")
        .arg("-HUP")
        .arg(server.pid().to_string())
        .status()
        .expect("kill -HUP");
    assert!(status.success());
}
