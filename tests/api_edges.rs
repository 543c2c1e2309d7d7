//! The API's answers at its edges, through the real binary:
//!
//! 1. A bearer token that is malformed, unknown or revoked is refused with
//!    the same 401 on every public endpoint under `/v1` as on the others:
//!    a mistyped token is never silently ignored.
//! 2. Numbers in query strings are canonical decimals: `01`, `+1`, ` 1`
//!    are refused with 400 `malformed-query` naming the parameter.
//! 3. `GET /v1/groups` lists only the groups where the caller has a role;
//!    the server secretariat sees every group.
//! 4. A method a resource does not take is answered 405, with `Allow`
//!    and a problem.

#![cfg(feature = "server")]

mod common;

use common::http::{Response, get, json, request};
use common::server::Server;
use serde_json::{Value, json};

/// A server with two groups, `g1` and `g2`, and the secretariat's token.
struct World {
    server: Server,
    admin: String,
}

impl World {
    fn address(&self) -> &str {
        &self.server.address
    }

    fn admin(&self, method: &str, path: &str, body: Value) -> Value {
        let r = json(self.address(), method, path, Some(&self.admin), &body);
        assert!(r.status < 300, "{method} {path}: {} {}", r.status, r.text());
        if r.body.is_empty() {
            Value::Null
        } else {
            r.json()
        }
    }

    /// An account with a token; returns the token.
    fn account(&self, person: &str) -> String {
        self.admin(
            "POST",
            "/v1/persons",
            json!({"id": person, "name": person, "email": format!("{person}@example.org")}),
        );
        self.admin(
            "POST",
            &format!("/v1/persons/{person}/tokens"),
            json!({"label": "t"}),
        )["token"]
            .as_str()
            .expect("a token")
            .to_owned()
    }
}

fn world(dir: &std::path::Path) -> World {
    let server = Server::start(dir, &[]);
    let admin = server.token.clone().expect("first start prints the token");
    let world = World { server, admin };
    for group in ["g1", "g2"] {
        world.admin(
            "POST",
            "/v1/groups",
            json!({"id": group, "profile": "etsi-isg"}),
        );
        world.admin(
            "PUT",
            &format!("/v1/groups/{group}/organisations/acme"),
            json!({"class": "member"}),
        );
    }
    world
}

/// The code of a problem answer (`urn:scrutineer:problem:<code>`).
fn problem_code(r: &Response) -> String {
    assert_eq!(
        r.header("content-type"),
        Some("application/problem+json"),
        "{} {}",
        r.status,
        r.text()
    );
    let problem = r.json();
    assert_eq!(problem["status"], r.status, "{}", r.text());
    problem["type"]
        .as_str()
        .and_then(|t| t.strip_prefix("urn:scrutineer:problem:"))
        .unwrap_or_else(|| panic!("not a problem type: {}", r.text()))
        .to_owned()
}

#[test]
fn a_bad_token_is_refused_alike_on_every_public_endpoint() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let world = world(dir.path());
    let revoked = world.account("revoked");
    world.admin("DELETE", "/v1/persons/revoked/tokens", json!({}));
    let public = [
        "/v1/groups/g1/log/checkpoint",
        "/v1/groups/g1/log/checkpoints",
        "/v1/groups/g1/log/tile/0/000.p/1",
        "/v1/groups/g1/log/proof/inclusion?index=0",
        "/v1/groups/g1/log/proof/consistency?old=1",
        "/v1/clock",
        "/v1/openapi.json",
    ];
    let bad = [
        // Not of the form of a token of this server.
        "not-a-token",
        // Of the form, but unknown.
        "scr_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        revoked.as_str(),
    ];
    let mut answers = Vec::new();
    for path in public {
        let r = get(world.address(), path, None);
        assert_eq!(r.status, 200, "{path} without a token: {}", r.text());
        for token in bad {
            let r = get(world.address(), path, Some(token));
            assert_eq!(r.status, 401, "{path} with {token:?}: {}", r.text());
            assert_eq!(problem_code(&r), "unauthenticated", "{path}");
            assert_eq!(r.header("www-authenticate"), Some("Bearer"), "{path}");
            answers.push(r.body);
        }
    }
    answers.dedup();
    assert_eq!(answers.len(), 1, "one answer everywhere: {answers:?}");
}

#[test]
fn numbers_in_queries_are_canonical_decimals() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let world = world(dir.path());
    // Each numeric parameter, in a query that is answered with it at 1.
    let queries = [
        ("/v1/groups/g1/log/checkpoints?", "from", ""),
        ("/v1/groups/g1/log/proof/inclusion?", "index", "&size=2"),
        ("/v1/groups/g1/log/proof/inclusion?index=0&", "size", ""),
        ("/v1/groups/g1/log/proof/consistency?", "old", "&new=2"),
        ("/v1/groups/g1/log/proof/consistency?old=0&", "new", ""),
    ];
    for (path, name, rest) in queries {
        let ok = get(world.address(), &format!("{path}{name}=1{rest}"), None);
        assert_eq!(ok.status, 200, "{path}{name}=1: {}", ok.text());
        for value in [
            "01", "00", "+1", "%2B1", "%201", "1%20", "", "1.0", "0x1", "-1",
        ] {
            let query = format!("{path}{name}={value}{rest}");
            let r = get(world.address(), &query, None);
            assert_eq!(r.status, 400, "{query}: {}", r.text());
            assert_eq!(problem_code(&r), "malformed-query", "{query}");
            let detail = r.json()["detail"].as_str().expect("a detail").to_owned();
            assert!(detail.contains(name), "{query}: {detail}");
        }
    }
}

#[test]
fn groups_are_listed_to_those_with_a_role_in_them() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let world = world(dir.path());
    let alice = world.account("alice");
    world.admin(
        "PUT",
        "/v1/groups/g1/persons/alice",
        json!({"organisation": "acme", "membership_list": true}),
    );
    let nobody = world.account("nobody");
    let secretary = world.account("secretary");
    world.admin(
        "POST",
        "/v1/groups/g2/secretariat",
        json!({"person": "secretary"}),
    );
    let listed = |token: &str| -> Vec<String> {
        let r = get(world.address(), "/v1/groups", Some(token));
        assert_eq!(r.status, 200, "{}", r.text());
        r.json()
            .as_array()
            .expect("a list")
            .iter()
            .map(|g| g["id"].as_str().expect("an id").to_owned())
            .collect()
    };
    assert_eq!(listed(&alice), ["g1"]);
    assert_eq!(listed(&secretary), ["g2"]);
    assert!(listed(&nobody).is_empty());
    assert_eq!(listed(&world.admin), ["g1", "g2"]);
}

#[test]
fn a_method_a_resource_does_not_take_is_405_with_allow() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let world = world(dir.path());
    for (method, path, allowed) in [
        ("POST", "/v1/groups/g1/log/checkpoint", "GET"),
        ("DELETE", "/v1/groups", "POST"),
        ("PUT", "/v1/clock", "GET"),
        ("GET", "/v1/groups/g1/ballots/B1/votes", "POST"),
    ] {
        let r = request(world.address(), method, path, Some(&world.admin), None, b"");
        assert_eq!(r.status, 405, "{method} {path}: {}", r.text());
        assert_eq!(problem_code(&r), "method-not-allowed", "{method} {path}");
        let allow = r.header("allow").unwrap_or_default();
        assert!(
            allow.split(',').any(|m| m.trim() == allowed),
            "{method} {path}: Allow {allow:?}"
        );
        assert!(
            !allow.split(',').any(|m| m.trim() == method),
            "{method} {path}: Allow {allow:?}"
        );
    }
}
