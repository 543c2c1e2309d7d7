//! The tests of `cli/http.rs` (kept apart to keep that file short).

use super::*;

fn parse(raw: &[u8]) -> Result<Response, HttpError> {
    read_response(&mut &raw[..], 64)
}

#[test]
fn a_content_length_body_is_read_exactly() {
    let raw = b"HTTP/1.1 201 Created\r\ncontent-length: 5\r\nX-A:  b \r\n\r\nhelloEXTRA";
    let r = parse(raw).expect("parses");
    assert_eq!(r.status, 201);
    assert_eq!(r.body, b"hello");
    assert_eq!(r.header("x-a"), Some("b"));
    let conflicting = b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab";
    assert!(matches!(parse(conflicting), Err(HttpError::Malformed(_))));
    let signed = b"HTTP/1.1 200 OK\r\nContent-Length: +1\r\n\r\na";
    assert!(matches!(parse(signed), Err(HttpError::Malformed(_))));
    let short = b"HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nabc";
    assert!(matches!(parse(short), Err(HttpError::Io { .. })));
    let big = b"HTTP/1.1 200 OK\r\nContent-Length: 65\r\n\r\n";
    assert!(matches!(parse(big), Err(HttpError::TooLarge)));
}

#[test]
fn a_chunked_body_is_reassembled_with_extensions_and_trailers() {
    let raw = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 2\r\n\r\n\
                4;name=value\r\nWiki\r\n5\r\npedia\r\nE\r\n in\r\n\r\nchunks.\r\n\
                0\r\nTrailer: x\r\n\r\n";
    let r = parse(raw).expect("parses");
    assert_eq!(r.body, b"Wikipedia in\r\n\r\nchunks.");
    // A chunk without its CRLF, a bad size, a truncated stream, and
    // chunks adding up to more than the limit.
    for bad in [
        &b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabX\r\n0\r\n\r\n"[..],
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab",
    ] {
        assert!(parse(bad).is_err(), "{}", String::from_utf8_lossy(bad));
    }
    let mut many = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec();
    for _ in 0..3 {
        many.extend_from_slice(b"20\r\n");
        many.extend_from_slice(&[b'x'; 32]);
        many.extend_from_slice(b"\r\n");
    }
    many.extend_from_slice(b"0\r\n\r\n");
    assert!(matches!(parse(&many), Err(HttpError::TooLarge)));
}

#[test]
fn without_framing_the_body_runs_to_the_close_within_the_limit() {
    let r = parse(b"HTTP/1.0 200 OK\r\n\r\nall of it").expect("parses");
    assert_eq!(r.body, b"all of it");
    let mut long = b"HTTP/1.1 200 OK\r\n\r\n".to_vec();
    long.extend_from_slice(&[b'x'; 65]);
    assert!(matches!(parse(&long), Err(HttpError::TooLarge)));
    // Interim answers are skipped; 204 has no body.
    let r = parse(b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n").expect("parses");
    assert_eq!((r.status, r.body.len()), (204, 0));
}

#[test]
fn a_malformed_head_is_refused() {
    for bad in [
        &b"HTTP/2 200\r\n\r\n"[..],
        b"HTTP/1.1 20 OK\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nno colon\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nA: b\r\n folded\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nA: b\r\n",
    ] {
        assert!(
            matches!(parse(bad), Err(HttpError::Malformed(_))),
            "{}",
            String::from_utf8_lossy(bad)
        );
    }
    let mut huge = b"HTTP/1.1 200 OK\r\nA: ".to_vec();
    huge.extend(std::iter::repeat_n(b'a', MAX_HEAD_BYTES));
    assert!(matches!(parse(&huge), Err(HttpError::Malformed(_))));
}

#[test]
fn problems_become_readable_refusals() {
    let body = br#"{"type":"urn:scrutineer:problem:outside-window","title":"Outside","status":422,"detail":"the ballot closed at\u001b[2J noon"}"#;
    let mut full = format!(
        "HTTP/1.1 422 Unprocessable Entity\r\nContent-Type: application/problem+json\r\n\
         Content-Length: {}\r\n\r\n",
        body.len()
    )
    .into_bytes();
    full.extend_from_slice(body);
    let err = read_response(&mut &full[..], 1024)
        .expect("parses")
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
    let plain = br#"HTTP/1.1 404 Not Found
Content-Length: 9

not there"#
        .iter()
        .flat_map(|&b| {
            if b == b'\n' {
                vec![b'\r', b'\n']
            } else {
                vec![b]
            }
        })
        .collect::<Vec<u8>>();
    let err = read_response(&mut &plain[..], 1024)
        .expect("parses")
        .into_result()
        .expect_err("an error status");
    assert_eq!(err.to_string(), "the server answered HTTP 404: not there");
}

#[test]
fn urls_are_http_only_with_a_host_and_a_port() {
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
    let https = BaseUrl::parse("https://vote.example.org").expect_err("refused");
    assert!(https.to_string().contains("reverse proxy"), "{https}");
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
