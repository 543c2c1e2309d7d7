//! The web application over HTTP, without a browser: the security headers,
//! sign-in with its CSRF cookie, sessions (sign-out, revocation of the
//! token), and forms refused with the error next to the field. The browser
//! flows are in `tests/browser.rs`.

#![cfg(feature = "server")]

mod common;

use common::http::{Response, request, with_headers};
use common::server::Server;
use common::world::World;

const FORM: &str = "application/x-www-form-urlencoded";

fn world(data: &std::path::Path, work: &std::path::Path) -> World {
    let server = Server::start(data, &["--simulated-clock"]);
    let token = server.token.clone().expect("first start prints the token");
    let world = World {
        server,
        token,
        work: work.to_owned(),
    };
    world.eti_group(&["cadzow"]);
    world
}

/// The value of cookie `name` set by a response.
fn set_cookie<'r>(response: &'r Response, name: &str) -> Option<&'r str> {
    response
        .headers
        .iter()
        .filter(|(n, _)| n == "set-cookie")
        .map(|(_, v)| v.as_str())
        .find(|v| v.starts_with(&format!("{name}=")))
}

fn cookie_value(set: &str) -> String {
    set.split(';').next().expect("a pair").to_owned()
}

/// The `csrf` hidden field of a page.
fn csrf(page: &Response) -> String {
    let text = page.text();
    let at = text
        .find("name=\"csrf\" value=\"")
        .expect("a form with a CSRF token");
    let rest = &text[at + "name=\"csrf\" value=\"".len()..];
    rest[..rest.find('"').expect("closed")].to_owned()
}

fn form(fields: &[(&str, &str)]) -> String {
    fields
        .iter()
        .map(|(k, v)| {
            let encoded: String = v
                .bytes()
                .map(|b| match b {
                    b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => {
                        (b as char).to_string()
                    }
                    _ => format!("%{b:02X}"),
                })
                .collect();
            format!("{k}={encoded}")
        })
        .collect::<Vec<_>>()
        .join("&")
}

/// Signs in with `token` and returns the session cookie pair.
fn sign_in(address: &str, token: &str) -> String {
    let page = request(address, "GET", "/sign-in", None, None, b"");
    let pre = cookie_value(set_cookie(&page, "scrutineer_sign_in").expect("a sign-in cookie"));
    let body = form(&[("csrf", &csrf(&page)), ("token", token)]);
    let r = with_headers(
        address,
        "POST",
        "/sign-in",
        &[("Content-Type", FORM), ("Cookie", &pre)],
        body.as_bytes(),
    );
    assert_eq!(r.status, 303, "{}", r.text());
    assert_eq!(r.header("location"), Some("/"));
    let set = set_cookie(&r, "scrutineer_session").expect("a session cookie");
    assert!(
        set.contains("HttpOnly") && set.contains("SameSite=Strict") && set.contains("Path=/"),
        "{set}"
    );
    cookie_value(set)
}

fn get(address: &str, path: &str, cookie: &str) -> Response {
    with_headers(address, "GET", path, &[("Cookie", cookie)], b"")
}

#[test]
fn pages_carry_the_security_headers_and_need_no_token() {
    let data = tempfile::tempdir().expect("temporary directory");
    let server = Server::start(data.path(), &[]);
    for path in [
        "/",
        "/sign-in",
        "/check",
        "/static/app.css",
        "/static/scrutineer.js",
    ] {
        let r = request(&server.address, "GET", path, None, None, b"");
        assert_eq!(r.status, 200, "{path}");
        let csp = r.header("content-security-policy").expect("a CSP");
        assert!(csp.contains("default-src 'self'"), "{path}: {csp}");
        assert!(csp.contains("script-src 'self'"), "{path}: {csp}");
        assert!(csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
        assert!(!csp.contains("unsafe-inline"), "{path}: {csp}");
        assert_eq!(r.header("referrer-policy"), Some("no-referrer"), "{path}");
        assert_eq!(
            r.header("x-content-type-options"),
            Some("nosniff"),
            "{path}"
        );
    }
    let home = request(&server.address, "GET", "/", None, None, b"");
    assert!(
        home.header("content-type")
            .is_some_and(|t| t.starts_with("text/html"))
    );
    assert!(home.text().contains("href=\"/sign-in\""));
    assert!(!home.text().contains("<script>"), "no inline script");
    assert!(!home.text().contains("style="), "no inline style");
    let js = request(
        &server.address,
        "GET",
        "/static/scrutineer.js",
        None,
        None,
        b"",
    );
    assert_eq!(
        js.header("content-type"),
        Some("text/javascript; charset=utf-8")
    );
    // Pages that need a session send the browser to the sign-in page.
    for path in ["/keys", "/groups/ETI/ballots/B1"] {
        let r = request(&server.address, "GET", path, None, None, b"");
        assert_eq!(r.status, 303, "{path}");
        assert_eq!(r.header("location"), Some("/sign-in"), "{path}");
    }
    server.stop();
}

#[test]
fn sign_in_checks_the_form_and_the_token_and_sessions_end() {
    let data = tempfile::tempdir().expect("temporary directory");
    let work = tempfile::tempdir().expect("temporary directory");
    let w = world(data.path(), work.path());
    let address = w.server.address.clone();
    let alice = std::fs::read_to_string(w.path("alice.token"))
        .expect("token")
        .trim()
        .to_owned();

    // A form without its sign-in cookie is refused and renewed.
    let page = request(&address, "GET", "/sign-in", None, None, b"");
    let body = form(&[("csrf", &csrf(&page)), ("token", &alice)]);
    let r = request(
        &address,
        "POST",
        "/sign-in",
        None,
        Some(FORM),
        body.as_bytes(),
    );
    assert_eq!(r.status, 400);
    assert!(r.text().contains("expired or came from elsewhere"));
    assert!(set_cookie(&r, "scrutineer_session").is_none());

    // A wrong token: 401, the error beside the field, no session.
    let pre = cookie_value(set_cookie(&page, "scrutineer_sign_in").expect("cookie"));
    let body = form(&[("csrf", &csrf(&page)), ("token", "scr_wrong")]);
    let r = with_headers(
        &address,
        "POST",
        "/sign-in",
        &[("Content-Type", FORM), ("Cookie", &pre)],
        body.as_bytes(),
    );
    assert_eq!(r.status, 401);
    assert!(r.text().contains("id=\"token-error\""));
    assert!(r.text().contains("aria-invalid=\"true\""));
    assert!(!r.text().contains("scr_wrong"), "the token is not put back");
    assert!(set_cookie(&r, "scrutineer_session").is_none());

    // The right token: a session; the home page lists the groups.
    let session = sign_in(&address, &alice);
    let home = get(&address, "/", &session);
    assert!(home.text().contains("Group ETI"), "{}", home.text());
    assert!(home.text().contains("Signed in as <strong>alice</strong>"));
    assert_eq!(home.header("cache-control"), Some("no-store"));

    // Sign-out needs the session's CSRF token.
    let r = with_headers(
        &address,
        "POST",
        "/sign-out",
        &[("Content-Type", FORM), ("Cookie", &session)],
        b"csrf=forged",
    );
    assert_eq!(r.status, 400);
    assert_eq!(
        get(&address, "/keys", &session).status,
        200,
        "still signed in"
    );
    let body = form(&[("csrf", &csrf(&home))]);
    let r = with_headers(
        &address,
        "POST",
        "/sign-out",
        &[("Content-Type", FORM), ("Cookie", &session)],
        body.as_bytes(),
    );
    assert_eq!(r.status, 303);
    assert!(set_cookie(&r, "scrutineer_session").is_some_and(|c| c.contains("Max-Age=0")));
    assert_eq!(get(&address, "/keys", &session).status, 303, "signed out");

    // Revoking the token ends the sessions opened with it.
    let session = sign_in(&address, &alice);
    assert_eq!(get(&address, "/keys", &session).status, 200);
    w.send(
        "DELETE",
        "/v1/persons/alice/tokens",
        serde_json::Value::Null,
    );
    assert_eq!(get(&address, "/keys", &session).status, 303, "revoked");
}

#[test]
fn a_key_request_with_errors_is_answered_beside_its_fields() {
    let data = tempfile::tempdir().expect("temporary directory");
    let work = tempfile::tempdir().expect("temporary directory");
    let w = world(data.path(), work.path());
    let address = w.server.address.clone();
    let alice = std::fs::read_to_string(w.path("alice.token"))
        .expect("token")
        .trim()
        .to_owned();
    let session = sign_in(&address, &alice);
    let page = get(&address, "/keys", &session);
    assert!(
        page.text().contains("data-key-id=\""),
        "the registered key ids are listed"
    );
    let token = csrf(&page);
    let post = |fields: &[(&str, &str)]| {
        with_headers(
            &address,
            "POST",
            "/keys/requests",
            &[("Content-Type", FORM), ("Cookie", &session)],
            form(fields).as_bytes(),
        )
    };
    // No CSRF token: refused.
    assert_eq!(post(&[("group", "ETI"), ("verifier_key", "x")]).status, 400);
    let r = post(&[("csrf", "forged"), ("group", "ETI"), ("verifier_key", "x")]);
    assert_eq!(r.status, 400);
    // Bad values: 422 with the error beside the field.
    let r = post(&[
        ("csrf", &token),
        ("group", "ETI"),
        ("verifier_key", "not a key"),
    ]);
    assert_eq!(r.status, 422);
    assert!(r.text().contains("id=\"verifier-key-error\""));
    let r = post(&[("csrf", &token), ("group", "NOPE"), ("verifier_key", "x")]);
    assert_eq!(r.status, 422);
    assert!(r.text().contains("id=\"group-error\""));
    let other = scrutineer::note::key::SigningKey::generate(
        scrutineer::note::key::KeyName::new("carol").expect("a name"),
    )
    .expect("entropy")
    .verifier_key()
    .encode();
    let r = post(&[("csrf", &token), ("group", "ETI"), ("verifier_key", &other)]);
    assert_eq!(r.status, 422);
    assert!(r.text().contains("must be named after your person id"));
    // A good one: stored, then listed for the secretariat.
    let mine = scrutineer::note::key::SigningKey::generate(
        scrutineer::note::key::KeyName::new("alice").expect("a name"),
    )
    .expect("entropy")
    .verifier_key()
    .encode();
    let r = post(&[("csrf", &token), ("group", "ETI"), ("verifier_key", &mine)]);
    assert_eq!(r.status, 303, "{}", r.text());
    let r = post(&[("csrf", &token), ("group", "ETI"), ("verifier_key", &mine)]);
    assert_eq!(r.status, 422, "asked once");
    let listed = common::http::get(&address, "/v1/groups/ETI/key-requests", Some(&w.token)).json();
    assert_eq!(listed[0]["key"], mine.as_str());
    assert_eq!(listed[0]["person"], "alice");
    // A delegate cannot list or approve.
    let r = common::http::get(&address, "/v1/groups/ETI/key-requests", Some(&alice));
    assert_eq!(r.status, 403);
}
