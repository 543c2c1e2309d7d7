//! The tests of `cli/http.rs` (kept apart to keep that file short).

use super::*;

fn response(status: u16, content_type: &str, body: &[u8]) -> Response {
    Response {
        status,
        headers: vec![("content-type".to_owned(), content_type.to_owned())],
        body: body.to_vec(),
    }
}

#[test]
fn problems_become_readable_refusals() {
    let body = br#"{"type":"urn:scrutineer:problem:outside-window","title":"Outside","status":422,"detail":"the ballot closed at\u001b[2J noon"}"#;
    let err = response(422, "application/problem+json", body)
        .into_result()
        .expect_err("an error status");
    assert_eq!(
        err.to_string(),
        "refused (outside-window): the ballot closed at\\u{1b}[2J noon"
    );
    let terse = Problem::from_body(
        422,
        br#"{"type":"urn:scrutineer:problem:unknown-ballot","title":"Refused","detail":"unknown-ballot: B9"}"#,
    )
    .expect("a problem");
    assert_eq!(terse.to_string(), "refused (unknown-ballot): B9");
    let bare = Problem::from_body(
        422,
        br#"{"type":"urn:scrutineer:problem:outside-window","title":"Refused","detail":"outside-window"}"#,
    )
    .expect("a problem");
    assert_eq!(bare.to_string(), "refused (outside-window)");
    let server = Problem::from_body(
        500,
        br#"{"type":"urn:scrutineer:problem:internal","title":"Internal error"}"#,
    )
    .expect("a problem");
    assert_eq!(
        server.to_string(),
        "server error (internal): Internal error"
    );
    let err = response(404, "text/plain", b"not there")
        .into_result()
        .expect_err("an error status");
    assert_eq!(err.to_string(), "the server answered HTTP 404: not there");
}

#[test]
fn urls_are_http_or_https_with_a_host_and_a_port() {
    let url = BaseUrl::parse("http://127.0.0.1:8080/").expect("valid");
    assert_eq!(
        (url.host.as_str(), url.port, url.prefix.as_str()),
        ("127.0.0.1", 8080, "")
    );
    let url = BaseUrl::parse("HTTP://vote.example.org/scrutineer").expect("valid");
    assert_eq!(url.port, 80);
    assert_eq!(url.prefix, "/scrutineer");
    assert_eq!(url.to_string(), "http://vote.example.org:80/scrutineer");
    let url = BaseUrl::parse("http://[::1]:9000").expect("valid");
    assert_eq!(url.authority(), "[::1]:9000");
    let https = BaseUrl::parse("https://vote.example.org/s/").expect("valid");
    assert_eq!((https.port, https.scheme), (443, Scheme::Https));
    assert_eq!(https.to_string(), "https://vote.example.org:443/s");
    assert!(!https.is_loopback());
    for local in ["http://localhost:1", "http://127.0.0.2", "http://[::1]"] {
        assert!(
            BaseUrl::parse(local).expect("valid").is_loopback(),
            "{local}"
        );
    }
    for bad in [
        "vote.example.org",
        "http://",
        "http://host:0",
        "http://host:x",
        "http://user:pw@host",
        "http://host/?q",
        "ftp://host",
    ] {
        assert!(BaseUrl::parse(bad).is_err(), "{bad}");
    }
}

#[test]
fn a_token_cannot_inject_a_header_and_is_never_shown() {
    let token = Token::new("abc-DEF_123.~+/==").expect("b64token");
    assert_eq!(format!("{token:?}"), "Token(…)");
    for bad in ["", "a b", "a\r\nX-Evil: 1", "a=b", "ä"] {
        assert!(Token::new(bad).is_err(), "{bad:?}");
    }
}

#[test]
fn plain_http_leaves_this_machine_only_when_allowed() {
    let remote = BaseUrl::parse("http://vote.example.org").expect("valid");
    let err = Client::with_transport(remote.clone(), &Transport::default()).expect_err("refused");
    assert!(err.to_string().contains("--insecure-http"), "{err}");
    let allowed = Transport {
        insecure_http: true,
        ..Transport::default()
    };
    Client::with_transport(remote, &allowed).expect("allowed");
    let default = Transport::default();
    Client::with_transport(
        BaseUrl::parse("http://127.0.0.1:8080").expect("valid"),
        &default,
    )
    .expect("loopback");
    Client::with_transport(
        BaseUrl::parse("https://vote.example.org").expect("valid"),
        &default,
    )
    .expect("https");
}

#[test]
fn a_ca_file_without_certificates_is_refused() {
    let dir = std::env::temp_dir().join(format!("scrutineer-ca-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a directory");
    let file = dir.join("empty.pem");
    std::fs::write(&file, "not a certificate\n").expect("write");
    let transport = Transport {
        ca_file: Some(file.clone()),
        ..Transport::default()
    };
    let base = BaseUrl::parse("https://vote.example.org").expect("valid");
    let err = Client::with_transport(base, &transport).expect_err("refused");
    assert!(err.to_string().contains("no PEM certificate"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}
