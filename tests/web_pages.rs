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
    // The simulated clock starts well before the ballots' dates.
    let server = Server::start(
        data,
        &[
            "--simulated-clock",
            "--simulated-start",
            "2026-06-01T00:00:00Z",
        ],
    );
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
    // A mistyped address is a page with the same headers; the API's own
    // paths keep their JSON problem.
    let lost = request(&server.address, "GET", "/no-such-page", None, None, b"");
    assert_eq!(lost.status, 404);
    assert!(
        lost.header("content-type")
            .is_some_and(|t| t.starts_with("text/html")),
        "{:?}",
        lost.header("content-type")
    );
    assert!(
        lost.header("content-security-policy")
            .is_some_and(|c| c.contains("frame-ancestors 'none'"))
    );
    assert!(lost.text().contains("Not found"), "{}", lost.text());
    let api = request(&server.address, "GET", "/v1/no-such-thing", None, None, b"");
    assert_eq!(api.status, 404);
    assert_eq!(api.header("content-type"), Some("application/problem+json"));
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

/// A correspondence ballot announced by the chair with `scrutineer
/// announce`, with the given questions.
fn announce(w: &World, ballot: &str, questions: &[&str], opens: &str, closes: &str) {
    let mut args = w.server_flags();
    args.splice(0..0, ["announce".to_owned()]);
    for (flag, value) in [
        ("--log-key", w.path_str("log.vkey")),
        ("--token-file", w.path_str("carol.token")),
        ("--key", w.path_str("carol.key")),
        ("--ballot", ballot.to_owned()),
        ("--kind", "correspondence".to_owned()),
        ("--opens", opens.to_owned()),
        ("--closes", closes.to_owned()),
    ] {
        args.extend([flag.to_owned(), value]);
    }
    for q in questions {
        args.extend(["--question".to_owned(), (*q).to_owned()]);
    }
    common::world::ok(&args);
}

/// A vote note for ballot `ballot` signed with the key in `key_file`.
fn signed_vote(w: &World, key_file: &str, ballot: &str, choice: &str, nonce: u8) -> String {
    use scrutineer::id::{BallotId, OrgId, QuestionId};
    use scrutineer::note::key::SigningKey;
    use scrutineer::vote::{ChoiceWord, VoteNote};
    let text = std::fs::read_to_string(w.path(key_file)).expect("key file");
    let key = SigningKey::parse(text.trim_end()).expect("a private key");
    let group = common::http::get(&w.server.address, "/v1/groups/ETI", Some(&w.token)).json();
    let origin = group["origin"].as_str().expect("origin");
    let note = VoteNote {
        origin: scrutineer::tlog::checkpoint::Origin::new(origin).expect("origin"),
        ballot: BallotId::new(ballot).expect("id"),
        question: QuestionId::new("main").expect("id"),
        organisation: OrgId::new("cadzow").expect("id"),
        choice: ChoiceWord::new(choice).expect("choice"),
        attachment: None,
        nonce: [nonce; 16],
    };
    String::from_utf8(note.sign(&key).expect("sign")).expect("UTF-8")
}

#[test]
fn the_vote_endpoint_needs_a_session_and_its_csrf_token_and_answers_problems() {
    let data = tempfile::tempdir().expect("temporary directory");
    let work = tempfile::tempdir().expect("temporary directory");
    let w = world(data.path(), work.path());
    let address = w.server.address.clone();
    announce(
        &w,
        "B1",
        &["main"],
        "2026-07-15T00:00:00Z",
        "2026-08-15T00:00:00Z",
    );
    let alice = std::fs::read_to_string(w.path("alice.token"))
        .expect("token")
        .trim()
        .to_owned();
    let session = sign_in(&address, &alice);
    let path = "/groups/ETI/ballots/B1/vote";
    let upcoming = get(&address, "/groups/ETI/ballots/B1", &session);
    assert!(
        !upcoming.text().contains("id=\"vote-form\""),
        "no vote form before the opening"
    );
    w.send(
        "POST",
        "/v1/clock",
        serde_json::json!({"advance_seconds": 45 * 24 * 3600}),
    );
    w.wait_for("B1", "open");

    // The ballot page of an open ballot: a form, one fieldset per
    // question, the profile's choices, the person's key ids.
    let page = get(&address, "/groups/ETI/ballots/B1", &session);
    let html = page.text();
    assert!(html.contains("id=\"vote-form\""), "{html}");
    assert!(html.contains("<fieldset id=\"q-main\""), "{html}");
    for choice in ["yes", "no", "abstain"] {
        assert!(
            html.contains(&format!(
                "id=\"q-main-{choice}\" name=\"q-main\" value=\"{choice}\""
            )),
            "{choice}"
        );
    }
    assert!(html.contains("data-vote-key=\""), "the registered key ids");
    assert!(html.contains("your earlier vote is superseded when this one is recorded"));
    assert!(!html.contains("style="), "no inline style");
    let token = csrf(&page);

    let post = |headers: &[(&str, &str)], body: &[u8]| {
        let r = with_headers(&address, "POST", path, headers, body);
        assert!(r.status < 500, "never a 5xx: {} {}", r.status, r.text());
        r
    };
    let note = signed_vote(&w, "alice.key", "B1", "yes", 1);
    let body = serde_json::json!({ "note": note }).to_string();
    let problem = |r: &Response| r.json()["type"].as_str().unwrap_or_default().to_owned();

    // No session: 401, a problem (not a redirect to a page).
    let r = post(
        &[
            ("Content-Type", "application/json"),
            ("X-CSRF-Token", &token),
        ],
        body.as_bytes(),
    );
    assert_eq!(r.status, 401, "{}", r.text());
    assert_eq!(problem(&r), "urn:scrutineer:problem:unauthenticated");
    // A session but no CSRF token, or another one: 403, nothing recorded.
    let r = post(
        &[("Content-Type", "application/json"), ("Cookie", &session)],
        body.as_bytes(),
    );
    assert_eq!(r.status, 403, "{}", r.text());
    assert!(
        r.json()["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("X-CSRF-Token")
    );
    let r = post(
        &[
            ("Content-Type", "application/json"),
            ("Cookie", &session),
            ("X-CSRF-Token", "forged"),
        ],
        body.as_bytes(),
    );
    assert_eq!(r.status, 403);
    let authed = [
        ("Content-Type", "application/json"),
        ("Cookie", session.as_str()),
        ("X-CSRF-Token", token.as_str()),
    ];
    // Bad input: 4xx with a reason.
    let r = post(&authed, b"note=x");
    assert_eq!(r.status, 400);
    assert_eq!(problem(&r), "urn:scrutineer:problem:malformed-json");
    let r = post(&authed, br#"{"note": "x", "colour": "red"}"#);
    assert_eq!(r.status, 400);
    assert!(
        r.json()["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("colour")
    );
    let r = post(&authed, br#"{"note": "not a signed note"}"#);
    assert_eq!(r.status, 422);
    assert_eq!(problem(&r), "urn:scrutineer:problem:malformed-note");
    let r = post(&authed, &vec![b'x'; 200 * 1024]);
    assert_eq!(r.status, 413);
    // A note signed by someone else (carol) than the session's person.
    let carols = signed_vote(&w, "carol.key", "B1", "yes", 2);
    let r = post(
        &authed,
        serde_json::json!({ "note": carols }).to_string().as_bytes(),
    );
    assert_eq!(r.status, 403, "{}", r.text());
    assert_eq!(problem(&r), "urn:scrutineer:problem:token-mismatch");
    // A ballot that does not exist, and another ballot than the note's.
    let r = with_headers(
        &address,
        "POST",
        "/groups/ETI/ballots/B9/vote",
        &authed,
        body.as_bytes(),
    );
    assert!((400..500).contains(&r.status), "{} {}", r.status, r.text());
    // The vote: 201 with a receipt; the same bytes again: 200, the same.
    let r = post(&authed, body.as_bytes());
    assert_eq!(r.status, 201, "{}", r.text());
    let receipt = r.json()["receipt"].as_str().expect("receipt").to_owned();
    assert!(receipt.starts_with("c2sp.org/tlog-proof@v1\nextra "));
    let again = post(&authed, body.as_bytes());
    assert_eq!(again.status, 200);
    assert_eq!(again.json()["receipt"], receipt.as_str());
    // The CSRF token of another session does not do.
    let other = sign_in(&address, &alice);
    let other_token = csrf(&get(&address, "/groups/ETI/ballots/B1", &other));
    assert_ne!(other_token, token);
    let r = post(
        &[
            ("Content-Type", "application/json"),
            ("Cookie", &session),
            ("X-CSRF-Token", &other_token),
        ],
        body.as_bytes(),
    );
    assert_eq!(r.status, 403);
    w.server.stop();
}

/// POSTs a form with the session cookie.
fn post_form(address: &str, path: &str, cookie: &str, fields: &[(&str, &str)]) -> Response {
    let body = form(fields);
    with_headers(
        address,
        "POST",
        path,
        &[("Content-Type", FORM), ("Cookie", cookie)],
        body.as_bytes(),
    )
}

/// The log's size, as the API reads it.
fn log_size(w: &World) -> u64 {
    common::http::get(&w.server.address, "/v1/groups/ETI", Some(&w.token)).json()["size"]
        .as_u64()
        .expect("a size")
}

#[test]
fn the_registry_pages_are_the_secretariats_and_their_forms_work_without_javascript() {
    let data = tempfile::tempdir().expect("temporary directory");
    let work = tempfile::tempdir().expect("temporary directory");
    let w = world(data.path(), work.path());
    let address = w.server.address.clone();
    let alice = std::fs::read_to_string(w.path("alice.token"))
        .expect("token")
        .trim()
        .to_owned();

    // A delegate may not open or post to the registry pages, nor the
    // accounts page.
    let delegate = sign_in(&address, &alice);
    for path in [
        "/groups/ETI/registry",
        "/groups/ETI/registry/keys",
        "/accounts",
    ] {
        assert_eq!(get(&address, path, &delegate).status, 403, "{path}");
    }
    let home = get(&address, "/", &delegate);
    assert!(
        !home.text().contains("/groups/ETI/registry"),
        "no registry link"
    );
    let r = post_form(
        &address,
        "/groups/ETI/registry/meetings/meeting",
        &delegate,
        &[("csrf", &csrf(&home)), ("id", "m2")],
    );
    assert_eq!(r.status, 403);

    // The secretariat: a form without the session's CSRF token is refused.
    let secretariat = sign_in(&address, &w.token);
    let page = get(&address, "/groups/ETI/registry/meetings", &secretariat);
    assert_eq!(page.status, 200);
    let token = csrf(&page);
    let size = log_size(&w);
    let r = post_form(
        &address,
        "/groups/ETI/registry/meetings/meeting",
        &secretariat,
        &[("csrf", "forged"), ("id", "m2")],
    );
    assert_eq!(r.status, 400);

    // A meeting with a malformed time: 422, the error beside the field.
    let meeting = |start: &str| {
        post_form(
            &address,
            "/groups/ETI/registry/meetings/meeting",
            &secretariat,
            &[
                ("csrf", &token),
                ("id", "plenary-2"),
                ("plenary", "on"),
                ("format", "face-to-face"),
                ("start", start),
                ("end", "2026-03-10T17:00:00Z"),
            ],
        )
    };
    let r = meeting("10 March");
    assert_eq!(r.status, 422);
    assert!(
        r.text().contains("id=\"meeting-start-error\""),
        "{}",
        r.text()
    );
    assert!(
        r.text().contains("value=\"plenary-2\""),
        "the values are kept"
    );
    assert_eq!(log_size(&w), size, "nothing logged");

    // A valid one: logged, and answered 303 to the page (Post/Redirect/
    // Get), which names the entry and the checkpoint once.
    let r = meeting("2026-03-10T09:00:00Z");
    assert_eq!(r.status, 303, "{}", r.text());
    assert_eq!(r.header("location"), Some("/groups/ETI/registry/meetings"));
    let text = get(&address, "/groups/ETI/registry/meetings", &secretariat).text();
    assert!(
        text.contains(&format!("Logged as entry {size} of the log of group ETI")),
        "{text}"
    );
    assert!(text.contains(&format!("The log now holds {} entries", size + 1)));
    assert!(text.contains("type meeting"), "the entry as logged");
    assert_eq!(log_size(&w), size + 1);
    let again = get(&address, "/groups/ETI/registry/meetings", &secretariat).text();
    assert!(!again.contains("Logged as entry"), "said once only");
    // Another session of the same person does not see it either.
    let other = sign_in(&address, &w.token);
    let r = meeting("2026-03-10T09:00:00Z");
    assert_eq!(r.status, 303);
    let text = get(&address, "/groups/ETI/registry/officers", &other).text();
    assert!(!text.contains("Logged as entry"), "not another session's");
    let text = get(&address, "/groups/ETI/registry/officers", &secretariat).text();
    assert!(
        text.contains(&format!("Logged as entry {}", size + 1)),
        "{text}"
    );
    let size = size + 1;

    // An import with bad rows: every one by line and field, nothing logged.
    let csv = "meeting,person,organisation,mode\n\
               plenary-2,alice,cadzow,physical\n\
               plenary-2,nobody,cadzow,physical\n\
               plenary-3,carol,cadzow,remote\n";
    let r = post_form(
        &address,
        "/groups/ETI/registry/meetings/import",
        &secretariat,
        &[("csrf", &token), ("csv", csv)],
    );
    assert_eq!(r.status, 422);
    let text = r.text();
    assert!(text.contains("The file has 2 problems"), "{text}");
    assert!(text.contains("<td>3</td><td>person</td>"), "{text}");
    assert!(text.contains("<td>4</td><td>meeting</td>"), "{text}");
    assert_eq!(log_size(&w), size + 1, "nothing imported");
    let fixed = csv
        .replace("nobody", "carol")
        .replace("plenary-3,carol", "plenary-2,alice");
    let r = post_form(
        &address,
        "/groups/ETI/registry/meetings/import",
        &secretariat,
        &[("csrf", &token), ("csv", &fixed)],
    );
    // Two rows of the same meeting and person: refused as a whole too.
    assert_eq!(r.status, 422, "{}", r.text());
    let fixed = csv
        .replace("nobody", "carol")
        .replace("plenary-3,carol,cadzow,remote\n", "");
    let r = post_form(
        &address,
        "/groups/ETI/registry/meetings/import",
        &secretariat,
        &[("csrf", &token), ("csv", &fixed)],
    );
    assert_eq!(r.status, 303, "{}", r.text());
    let page = get(&address, "/groups/ETI/registry/meetings", &secretariat);
    assert!(page.text().contains("2 attendance records imported"));
    assert_eq!(log_size(&w), size + 3);
    // Reloading the page after the import asks for the page again: nothing
    // is posted, nothing logged, and the message is not repeated.
    let reload = get(&address, "/groups/ETI/registry/meetings", &secretariat);
    assert_eq!(reload.status, 200);
    assert!(!reload.text().contains("attendance records imported"));
    assert_eq!(log_size(&w), size + 3);

    // A refusal of the registry: the server's reason, nothing logged.
    let r = post_form(
        &address,
        "/groups/ETI/registry/officers/reviewer-release",
        &secretariat,
        &[("csrf", &token), ("person", "alice")],
    );
    assert_eq!(r.status, 404);
    assert!(r.text().contains("Refused: nothing was logged"));
    assert!(r.text().contains("is not an appeal reviewer"));
    assert_eq!(log_size(&w), size + 3);

    // The what-if page writes nothing and works without JavaScript.
    let r = get(&address, "/groups/ETI/what-if?at=2026-07-15", &secretariat);
    assert_eq!(r.status, 200);
    assert!(
        r.text().contains("1 of 1 organisations could vote"),
        "{}",
        r.text()
    );
    assert!(
        r.text().contains("2026-07-01T00:00:00Z"),
        "the earliest opening"
    );
    let r = get(&address, "/groups/ETI/what-if?at=soon", &secretariat);
    assert_eq!(r.status, 422);
    assert!(r.text().contains("id=\"at-error\""));
    assert_eq!(log_size(&w), size + 3);

    // A group created from the accounts page: 303, said once; a second
    // group of the same id and a malformed id are refused beside the form.
    let group = |id: &str, profile: &str| {
        post_form(
            &address,
            "/accounts/group",
            &secretariat,
            &[("csrf", &token), ("id", id), ("profile", profile)],
        )
    };
    let r = group("ETI", "etsi-isg");
    assert_eq!(r.status, 409, "{}", r.text());
    assert!(r.text().contains("group-exists"), "{}", r.text());
    let r = group("no group", "etsi-isg");
    assert_eq!(r.status, 422, "{}", r.text());
    assert!(r.text().contains("value=\"no group\""), "the value is kept");
    let r = group("ITU1", "itu-t-tap");
    assert_eq!(r.status, 303, "{}", r.text());
    assert_eq!(r.header("location"), Some("/accounts"));
    let page = get(&address, "/accounts", &secretariat).text();
    assert!(page.contains("Group ITU1 created with its log"), "{page}");
    let created = common::http::get(&address, "/v1/groups/ITU1", Some(&w.token)).json();
    assert_eq!(created["profile"], "itu-t-tap", "{created}");
    assert!(
        !get(&address, "/accounts", &secretariat)
            .text()
            .contains("Group ITU1 created")
    );
}

/// The certification, appeal and reviewer pages over HTTP: who may open
/// them, the exact notes they show, refusals beside their fields, and the
/// signed endpoints' session and CSRF checks. The signing itself, in the
/// browser, is in `tests/browser/quickstart.mjs`.
#[test]
fn the_statement_pages_show_exact_notes_to_the_right_persons() {
    let data = tempfile::tempdir().expect("temporary directory");
    let work = tempfile::tempdir().expect("temporary directory");
    let w = world(data.path(), work.path());
    let address = w.server.address.clone();
    let token = |person: &str| {
        std::fs::read_to_string(w.path(&format!("{person}.token")))
            .expect("token")
            .trim()
            .to_owned()
    };
    announce(
        &w,
        "B1",
        &["main"],
        "2026-07-15T00:00:00Z",
        "2026-08-15T00:00:00Z",
    );
    let carol = sign_in(&address, &token("carol"));
    let alice = sign_in(&address, &token("alice"));

    // Before the tally, nothing to certify; a delegate may not certify.
    let page = get(&address, "/groups/ETI/ballots/B1/certify", &carol);
    assert_eq!(page.status, 200);
    assert!(
        page.text().contains("id=\"statement-blocked\""),
        "{}",
        page.text()
    );
    assert!(!page.text().contains("id=\"statement-note\""));
    assert_eq!(
        get(&address, "/groups/ETI/ballots/B1/certify", &alice).status,
        403
    );

    // After the tally: the note names the log's newest checkpoint.
    w.advance_days(45);
    w.wait_for("B1", "open");
    w.vote("alice", "alice.key", "B1", "cadzow", "yes", "votes");
    w.advance_days(32);
    w.wait_for("B1", "tallied");
    let size = log_size(&w);
    let page = get(&address, "/groups/ETI/ballots/B1/certify", &carol).text();
    assert!(
        page.contains(&format!("checkpoint {size} ")),
        "the tree head of the log as it stands: {page}"
    );
    assert!(
        page.contains("question main approved in-favour 1 against 0"),
        "{page}"
    );
    let ballot = get(&address, "/groups/ETI/ballots/B1", &carol).text();
    assert!(ballot.contains("href=\"/groups/ETI/ballots/B1/certify\""));

    // An appeal: grounds are needed, beside their field; then the note.
    let appeal_page = get(&address, "/groups/ETI/ballots/B1/appeal", &alice);
    assert_eq!(appeal_page.status, 200);
    let csrf_alice = csrf(&appeal_page);
    let r = post_form(
        &address,
        "/groups/ETI/ballots/B1/appeal",
        &alice,
        &[
            ("csrf", &csrf_alice),
            ("against", "announcement"),
            ("grounds", " \r\n"),
        ],
    );
    assert_eq!(r.status, 422);
    assert!(r.text().contains("id=\"grounds-error\""), "{}", r.text());
    let r = post_form(
        &address,
        "/groups/ETI/ballots/B1/appeal",
        &alice,
        &[
            ("csrf", &csrf_alice),
            ("against", "announcement"),
            ("grounds", "The notice was short.\r\nSee the calendar."),
        ],
    );
    assert_eq!(r.status, 200);
    assert!(
        r.text().contains(
            "ballot B1\nagainst announcement\ngrounds The notice was short.\ngrounds See the calendar.\n</pre>"
        ),
        "{}",
        r.text()
    );
    assert_eq!(log_size(&w), size, "nothing is logged before a signature");

    // The signed endpoints: a session and its CSRF header, or nothing.
    let body = br#"{"note": "x"}"#;
    let post = |headers: &[(&str, &str)]| {
        with_headers(
            &address,
            "POST",
            "/groups/ETI/ballots/B1/appeal/signed",
            headers,
            body,
        )
    };
    assert_eq!(post(&[("Content-Type", "application/json")]).status, 401);
    let forged = post(&[
        ("Content-Type", "application/json"),
        ("Cookie", &alice),
        ("X-CSRF-Token", "forged"),
    ]);
    assert_eq!(forged.status, 403, "{}", forged.text());
    let unreadable = post(&[
        ("Content-Type", "application/json"),
        ("Cookie", &alice),
        ("X-CSRF-Token", &csrf_alice),
    ]);
    assert_eq!(unreadable.status, 422, "{}", unreadable.text());
    assert_eq!(log_size(&w), size);

    // The reviewer's page is the reviewers'.
    assert_eq!(
        get(&address, "/groups/ETI/ballots/B1/appeals", &alice).status,
        403
    );

    // Certified, appealed and overturned with the CLI: the result shows
    // as annulled on the ballot page, in its result and on the home page.
    w.account("dora");
    w.send(
        "PUT",
        "/v1/groups/ETI/organisations/otherco",
        serde_json::json!({"class": "member", "founding": false, "from": "2026-01-01T00:00:00Z"}),
    );
    w.send(
        "PUT",
        "/v1/groups/ETI/persons/dora",
        serde_json::json!({"organisation": "otherco", "membership_list": false}),
    );
    w.key("dora");
    w.send(
        "PUT",
        "/v1/groups/ETI/reviewers/dora",
        serde_json::json!({}),
    );
    w.run_signed("certify", "carol", &["--ballot", "B1"]);
    let appeal = w.appeal_certification("alice", "B1", "No notice was given.\n");
    let dora = sign_in(&address, &token("dora"));
    let page = get(&address, "/groups/ETI/ballots/B1/appeals", &dora).text();
    assert!(
        page.contains("Appeal by alice (cadzow) against the certification"),
        "{page}"
    );
    assert!(page.contains("No notice was given."), "{page}");
    std::fs::write(w.path("reasons.txt"), "Article 6.2 was not followed.\n").expect("write");
    w.run_signed(
        "decide",
        "dora",
        &[
            "--ballot",
            "B1",
            "--appeal",
            &appeal,
            "--outcome",
            "overturned",
            "--reasons",
            &w.path_str("reasons.txt"),
        ],
    );
    let ballot = get(&address, "/groups/ETI/ballots/B1", &alice).text();
    assert!(ballot.contains("id=\"annulled\""), "{ballot}");
    assert!(
        ballot.contains("<strong>This result is annulled</strong>"),
        "{ballot}"
    );
    let home = get(&address, "/", &alice).text();
    assert!(home.contains("annulled on appeal"), "{home}");
    let page = get(&address, "/groups/ETI/ballots/B1/appeals", &dora).text();
    assert!(page.contains("Decided by dora: overturned"), "{page}");
    assert!(!page.contains("Decide this appeal"), "decided once only");
    w.server.stop();
}

/// An ITU-T group's chair drafts a consultation: the page explains the
/// three-month rule counted to the study-group meeting, offers the
/// consultation kind only, and the note carries the meeting's start and no
/// opening (a consultation opens at its announcement).
#[test]
fn an_itu_t_chair_drafts_a_consultation() {
    let data = tempfile::tempdir().expect("temporary directory");
    let work = tempfile::tempdir().expect("temporary directory");
    let w = world(data.path(), work.path());
    let address = w.server.address.clone();
    w.send(
        "POST",
        "/v1/groups",
        serde_json::json!({"id": "SG17", "profile": "itu-t-tap"}),
    );
    w.send(
        "PUT",
        "/v1/groups/SG17/organisations/ms1",
        serde_json::json!({"class": "member-state", "from": "2026-01-01T00:00:00Z"}),
    );
    w.send(
        "PUT",
        "/v1/groups/SG17/persons/carol",
        serde_json::json!({"organisation": "ms1", "membership_list": true}),
    );
    let verifier = common::world::ok(&[
        "keygen",
        "--name",
        "carol",
        "--out",
        &w.path_str("carol-sg17.key"),
    ]);
    w.send(
        "POST",
        "/v1/groups/SG17/persons/carol/keys",
        serde_json::json!({"key": verifier.trim()}),
    );
    w.send(
        "POST",
        "/v1/groups/SG17/chair",
        serde_json::json!({"person": "carol"}),
    );
    let carol = std::fs::read_to_string(w.path("carol.token"))
        .expect("token")
        .trim()
        .to_owned();
    let session = sign_in(&address, &carol);
    let page = get(&address, "/groups/SG17/announce", &session);
    assert_eq!(page.status, 200, "{}", page.text());
    let text = page.text();
    assert!(text.contains("ITU-T, three months"), "{text}");
    assert!(
        text.contains("2026-09-01T00:00:00Z"),
        "the earliest meeting start: {text}"
    );
    assert!(text.contains("value=\"consultation\" selected"), "{text}");
    assert!(
        !text.contains("id=\"opens\""),
        "a consultation has no opening to choose"
    );
    let draft = |meeting_start: &str| {
        post_form(
            &address,
            "/groups/SG17/announce",
            &session,
            &[
                ("csrf", &csrf(&page)),
                ("ballot", "C1"),
                ("title", "Consent of draft Recommendation X.1"),
                ("kind", "consultation"),
                ("questions", "main Do you agree to the approval of X.1?"),
                ("meeting_start", meeting_start),
                ("closes", "2026-09-10T00:00:00Z"),
            ],
        )
    };
    let refused = draft("2026-08-01");
    assert_eq!(refused.status, 422, "{}", refused.text());
    assert!(
        refused.text().contains("id=\"draft-refused\""),
        "{}",
        refused.text()
    );
    let r = draft("2026-09-15");
    assert_eq!(r.status, 200, "{}", r.text());
    let text = r.text();
    assert!(
        text.contains("kind consultation\n")
            && text.contains("meeting-start 2026-09-15T00:00:00.000000Z\n"),
        "{text}"
    );
    assert!(!text.contains("\nopens "), "no opening line: {text}");
    // The three-month rule applied to the dates alone, as the module asks
    // while the chair types (an HTML fragment), and as the "Check the
    // dates" button asks without JavaScript (the whole page, no note).
    let dates = |path: &str, meeting_start: &str, step: &str| {
        post_form(
            &address,
            path,
            &session,
            &[
                ("csrf", &csrf(&page)),
                ("kind", "consultation"),
                ("meeting_start", meeting_start),
                ("closes", "2026-07-20T00:00:00Z"),
                ("step", step),
            ],
        )
    };
    let early = dates("/groups/SG17/announce/dates", "2026-08-01", "");
    assert_eq!(early.status, 200, "{}", early.text());
    let fragment = early.text();
    assert!(
        fragment.contains("data-outcome=\"refused\"")
            && fragment.contains("less than three months after an announcement made now")
            && fragment.contains("2026-09-01T00:00:00Z")
            && !fragment.contains("<html"),
        "{fragment}"
    );
    let later = dates("/groups/SG17/announce/dates", "2026-09-15", "");
    assert!(
        later.text().contains("data-outcome=\"allowed\"")
            && later
                .text()
                .contains("These dates keep the three-month rule"),
        "{}",
        later.text()
    );
    let unread = dates("/groups/SG17/announce/dates", "next spring", "");
    assert!(
        unread.text().contains("data-outcome=\"incomplete\"")
            && unread.text().contains("cannot be read"),
        "{}",
        unread.text()
    );
    let checked = dates("/groups/SG17/announce", "2026-08-01", "dates");
    assert_eq!(checked.status, 200, "{}", checked.text());
    assert!(
        checked.text().contains("data-outcome=\"refused\"")
            && !checked.text().contains("id=\"announcement-note\""),
        "{}",
        checked.text()
    );
    let forged = post_form(
        &address,
        "/groups/SG17/announce/dates",
        &session,
        &[("csrf", "forged"), ("kind", "consultation")],
    );
    assert_eq!(forged.status, 400, "a check without the form's token");
    w.server.stop();
}
