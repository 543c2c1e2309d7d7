//! The role matrix, through the real binary: every operation of the served
//! OpenAPI document, called by every kind of caller, answers as the table
//! below says.
//!
//! The table is the test's own statement of the policy, written without
//! looking at `auth::allowed`: an endpoint added to the document without a
//! row here fails the test, so each new endpoint must be classified; a row
//! whose route the router does not know (a 404 "no such resource", or a
//! method the resource does not take) fails it too, so the document and
//! the router cannot drift apart.

#![cfg(feature = "server")]

mod common;

use std::collections::BTreeSet;

use common::http::{Response, get, json, request};
use common::server::Server;
use scrutineer::note::key::{KeyName, SigningKey};
use serde_json::{Value, json};

/// Who calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Who {
    NoToken,
    GarbageToken,
    RevokedToken,
    /// An account with no role in the group.
    NoRole,
    /// A person registered in the group.
    Delegate,
    /// A person registered in another group only.
    OtherDelegate,
    /// The chair in office.
    Chair,
    /// An appointed appeal reviewer.
    Reviewer,
    /// Granted the secretariat of the group.
    Secretariat,
    /// The bootstrap account: secretariat of every group.
    ServerSecretariat,
}

const EVERYONE: [Who; 10] = [
    Who::NoToken,
    Who::GarbageToken,
    Who::RevokedToken,
    Who::NoRole,
    Who::Delegate,
    Who::OtherDelegate,
    Who::Chair,
    Who::Reviewer,
    Who::Secretariat,
    Who::ServerSecretariat,
];

/// Who may call an operation.
#[derive(Debug, Clone, Copy)]
enum Access {
    /// Anyone, with or without a token, which is ignored: the probes
    /// outside `/v1` only.
    Public,
    /// Anyone without a token; a token, if sent, must be valid (a mistyped
    /// token is never silently ignored).
    OptionalToken,
    /// Any valid token.
    Authenticated,
    /// The group's members and reviewers (and the server secretariat).
    Members,
    /// The group's secretariat and the server secretariat.
    Secretariat,
    /// The server secretariat only.
    ServerSecretariat,
    /// The chair in office only.
    Chair,
    /// The chair in office, the group's secretariat and the server
    /// secretariat.
    ChairOrSecretariat,
    /// The persons registered in the group (here the delegate, the chair
    /// and the reviewer all represent `acme`).
    Registered,
    /// The group's appeal reviewers.
    Reviewer,
}

impl Access {
    /// Whether `who` is allowed; `None` for callers without a valid token
    /// where a token is required (401).
    fn allows(self, who: Who) -> Option<bool> {
        let valid_token = !matches!(who, Who::NoToken | Who::GarbageToken | Who::RevokedToken);
        match self {
            Access::Public => Some(true),
            Access::OptionalToken => (who == Who::NoToken || valid_token).then_some(true),
            _ if !valid_token => None,
            Access::Authenticated => Some(true),
            Access::Members => Some(matches!(
                who,
                Who::Delegate
                    | Who::Chair
                    | Who::Reviewer
                    | Who::Secretariat
                    | Who::ServerSecretariat
            )),
            Access::Secretariat => Some(matches!(who, Who::Secretariat | Who::ServerSecretariat)),
            Access::ServerSecretariat => Some(who == Who::ServerSecretariat),
            Access::Chair => Some(who == Who::Chair),
            Access::ChairOrSecretariat => Some(matches!(
                who,
                Who::Chair | Who::Secretariat | Who::ServerSecretariat
            )),
            Access::Registered => Some(matches!(who, Who::Delegate | Who::Chair | Who::Reviewer)),
            Access::Reviewer => Some(who == Who::Reviewer),
        }
    }
}

/// One operation: the document's method and path template, the concrete
/// request, and who may call it. Mutations name a throw-away person
/// (`victim`) or resource, so that running them does not take a role away
/// from a caller of a later row.
struct Row {
    method: &'static str,
    template: &'static str,
    path: &'static str,
    body: Body,
    access: Access,
}

enum Body {
    None,
    Json(Value),
    Csv(&'static str),
}

fn rows(victim_key: &str) -> Vec<Row> {
    use Access::*;
    let row = |method, template, path, body, access| Row {
        method,
        template,
        path,
        body,
        access,
    };
    let j = Body::Json;
    vec![
        row("GET", "/healthz", "/healthz", Body::None, Public),
        row("GET", "/readyz", "/readyz", Body::None, Public),
        row(
            "GET",
            "/v1/openapi.json",
            "/v1/openapi.json",
            Body::None,
            OptionalToken,
        ),
        row("GET", "/v1/clock", "/v1/clock", Body::None, OptionalToken),
        row(
            "POST",
            "/v1/clock",
            "/v1/clock",
            j(json!({"advance_seconds": 0})),
            ServerSecretariat,
        ),
        row(
            "GET",
            "/v1/persons",
            "/v1/persons",
            Body::None,
            ServerSecretariat,
        ),
        row(
            "POST",
            "/v1/persons",
            "/v1/persons",
            j(json!({"id": "newcomer", "name": "N", "email": "n@example.org"})),
            ServerSecretariat,
        ),
        row(
            "POST",
            "/v1/persons/{person}/tokens",
            "/v1/persons/victim/tokens",
            j(json!({"label": "matrix"})),
            ServerSecretariat,
        ),
        row(
            "POST",
            "/v1/persons/{person}/sign-in-links",
            "/v1/persons/victim/sign-in-links",
            Body::None,
            ServerSecretariat,
        ),
        row(
            "DELETE",
            "/v1/persons/{person}/tokens",
            "/v1/persons/victim/tokens",
            Body::None,
            ServerSecretariat,
        ),
        row("GET", "/v1/me", "/v1/me", Body::None, Authenticated),
        row("GET", "/v1/groups", "/v1/groups", Body::None, Authenticated),
        row(
            "POST",
            "/v1/groups",
            "/v1/groups",
            j(json!({"id": "g-new", "profile": "etsi-isg"})),
            ServerSecretariat,
        ),
        row(
            "GET",
            "/v1/groups/{group}",
            "/v1/groups/g1",
            Body::None,
            Members,
        ),
        row(
            "POST",
            "/v1/groups/{group}/secretariat",
            "/v1/groups/g1/secretariat",
            j(json!({"person": "victim"})),
            ServerSecretariat,
        ),
        row(
            "GET",
            "/v1/groups/{group}/log/checkpoint",
            "/v1/groups/g1/log/checkpoint",
            Body::None,
            OptionalToken,
        ),
        row(
            "GET",
            "/v1/groups/{group}/log/checkpoints",
            "/v1/groups/g1/log/checkpoints",
            Body::None,
            OptionalToken,
        ),
        row(
            "GET",
            "/v1/groups/{group}/log/tile/{path}",
            "/v1/groups/g1/log/tile/0/000.p/1",
            Body::None,
            OptionalToken,
        ),
        row(
            "GET",
            "/v1/groups/{group}/log/proof/inclusion",
            "/v1/groups/g1/log/proof/inclusion?index=0",
            Body::None,
            OptionalToken,
        ),
        row(
            "GET",
            "/v1/groups/{group}/log/proof/consistency",
            "/v1/groups/g1/log/proof/consistency?old=1",
            Body::None,
            OptionalToken,
        ),
        row(
            "GET",
            "/v1/groups/{group}/organisations",
            "/v1/groups/g1/organisations",
            Body::None,
            Members,
        ),
        row(
            "GET",
            "/v1/groups/{group}/organisations/{org}",
            "/v1/groups/g1/organisations/acme",
            Body::None,
            Members,
        ),
        row(
            "PUT",
            "/v1/groups/{group}/organisations/{org}",
            "/v1/groups/g1/organisations/other-org",
            j(json!({"class": "participant"})),
            Secretariat,
        ),
        row(
            "GET",
            "/v1/groups/{group}/persons",
            "/v1/groups/g1/persons",
            Body::None,
            Members,
        ),
        row(
            "GET",
            "/v1/groups/{group}/outbox",
            "/v1/groups/g1/outbox",
            Body::None,
            Secretariat,
        ),
        row(
            "GET",
            "/v1/groups/{group}/persons/{person}",
            "/v1/groups/g1/persons/delegate",
            Body::None,
            Members,
        ),
        row(
            "PUT",
            "/v1/groups/{group}/persons/{person}",
            "/v1/groups/g1/persons/victim",
            j(json!({"organisation": "acme", "membership_list": true})),
            Secretariat,
        ),
        row(
            "GET",
            "/v1/groups/{group}/persons/{person}/keys",
            "/v1/groups/g1/persons/delegate/keys",
            Body::None,
            Members,
        ),
        row(
            "POST",
            "/v1/groups/{group}/persons/{person}/keys",
            "/v1/groups/g1/persons/victim/keys",
            j(json!({"key": victim_key})),
            Secretariat,
        ),
        row(
            "DELETE",
            "/v1/groups/{group}/persons/{person}/keys/{key_id}",
            "/v1/groups/g1/persons/victim/keys/00000000",
            Body::None,
            Secretariat,
        ),
        row(
            "GET",
            "/v1/groups/{group}/key-requests",
            "/v1/groups/g1/key-requests",
            Body::None,
            Secretariat,
        ),
        row(
            "POST",
            "/v1/groups/{group}/key-requests/{id}/approve",
            "/v1/groups/g1/key-requests/0000000000000000/approve",
            Body::None,
            Secretariat,
        ),
        row(
            "GET",
            "/v1/groups/{group}/meetings",
            "/v1/groups/g1/meetings",
            Body::None,
            Members,
        ),
        row(
            "GET",
            "/v1/groups/{group}/meetings/{meeting}",
            "/v1/groups/g1/meetings/m1",
            Body::None,
            Members,
        ),
        row(
            "PUT",
            "/v1/groups/{group}/meetings/{meeting}",
            "/v1/groups/g1/meetings/m-other",
            j(json!({
                "plenary": true, "format": "online",
                "start": "2026-03-01T09:00:00Z", "end": "2026-03-01T17:00:00Z"
            })),
            Secretariat,
        ),
        row(
            "GET",
            "/v1/groups/{group}/attendance",
            "/v1/groups/g1/attendance",
            Body::None,
            Members,
        ),
        row(
            "PUT",
            "/v1/groups/{group}/attendance",
            "/v1/groups/g1/attendance",
            j(
                json!({"meeting": "m1", "person": "victim", "organisation": "acme", "mode": "remote"}),
            ),
            Secretariat,
        ),
        row(
            "POST",
            "/v1/groups/{group}/attendance/import",
            "/v1/groups/g1/attendance/import",
            Body::Csv("meeting,person,organisation,mode\nm1,victim,acme,physical\n"),
            Secretariat,
        ),
        row(
            "DELETE",
            "/v1/groups/{group}/attendance/{meeting}/{person}",
            "/v1/groups/g1/attendance/m1/victim",
            Body::None,
            Secretariat,
        ),
        row(
            "GET",
            "/v1/groups/{group}/chair",
            "/v1/groups/g1/chair",
            Body::None,
            Members,
        ),
        row(
            "POST",
            "/v1/groups/{group}/chair",
            "/v1/groups/g1/chair",
            j(json!({"person": "victim", "from": "2090-01-01T00:00:00Z"})),
            Secretariat,
        ),
        row(
            "POST",
            "/v1/groups/{group}/chair/end",
            "/v1/groups/g1/chair/end",
            j(json!({"person": "victim"})),
            Secretariat,
        ),
        row(
            "GET",
            "/v1/groups/{group}/reviewers",
            "/v1/groups/g1/reviewers",
            Body::None,
            Members,
        ),
        row(
            "PUT",
            "/v1/groups/{group}/reviewers/{person}",
            "/v1/groups/g1/reviewers/victim",
            Body::None,
            Secretariat,
        ),
        row(
            "DELETE",
            "/v1/groups/{group}/reviewers/{person}",
            "/v1/groups/g1/reviewers/victim",
            Body::None,
            Secretariat,
        ),
        row(
            "GET",
            "/v1/groups/{group}/ballots",
            "/v1/groups/g1/ballots",
            Body::None,
            Members,
        ),
        row(
            "POST",
            "/v1/groups/{group}/ballots",
            "/v1/groups/g1/ballots",
            j(json!({"announcement": "not a signed note"})),
            Chair,
        ),
        row(
            "GET",
            "/v1/groups/{group}/ballots/{ballot}",
            "/v1/groups/g1/ballots/B1",
            Body::None,
            Members,
        ),
        row(
            "POST",
            "/v1/groups/{group}/ballots/{ballot}/cancel",
            "/v1/groups/g1/ballots/B1/cancel",
            Body::None,
            ChairOrSecretariat,
        ),
        row(
            "POST",
            "/v1/groups/{group}/ballots/{ballot}/votes",
            "/v1/groups/g1/ballots/B1/votes",
            j(json!({"note": "not a signed note"})),
            Registered,
        ),
        row(
            "GET",
            "/v1/groups/{group}/ballots/{ballot}/bundle",
            "/v1/groups/g1/ballots/B1/bundle",
            Body::None,
            Members,
        ),
        row(
            "POST",
            "/v1/groups/{group}/ballots/{ballot}/certification",
            "/v1/groups/g1/ballots/B1/certification",
            j(json!({"certification": "not a signed note"})),
            Chair,
        ),
        row(
            "POST",
            "/v1/groups/{group}/ballots/{ballot}/appeals",
            "/v1/groups/g1/ballots/B1/appeals",
            j(json!({"appeal": "not a signed note"})),
            Registered,
        ),
        row(
            "POST",
            "/v1/groups/{group}/ballots/{ballot}/appeals/{appeal}/decision",
            "/v1/groups/g1/ballots/B1/appeals/0000000000000000000000000000000000000000000000000000000000000000/decision",
            j(json!({"decision": "not a signed note"})),
            Reviewer,
        ),
        row(
            "GET",
            "/v1/groups/{group}/ballots/{ballot}/documents/{sha256}",
            "/v1/groups/g1/ballots/B1/documents/0000000000000000000000000000000000000000000000000000000000000000",
            Body::None,
            Members,
        ),
    ]
}

/// The test's fixture: a server with two groups and a token per caller.
struct World {
    server: Server,
    admin: String,
    tokens: Vec<(Who, Option<String>)>,
}

fn ok(response: &Response, what: &str) {
    assert!(
        response.status < 300,
        "{what}: {} {}",
        response.status,
        response.text()
    );
}

impl World {
    fn address(&self) -> &str {
        &self.server.address
    }

    fn post(&self, path: &str, body: Value) -> Response {
        let r = json(self.address(), "POST", path, Some(&self.admin), &body);
        ok(&r, path);
        r
    }

    fn put(&self, path: &str, body: Value) {
        ok(
            &json(self.address(), "PUT", path, Some(&self.admin), &body),
            path,
        );
    }

    fn account(&self, id: &str) -> String {
        self.post(
            "/v1/persons",
            json!({"id": id, "name": format!("Name of {id}"), "email": format!("{id}@example.org")}),
        );
        let r = self.post(
            &format!("/v1/persons/{id}/tokens"),
            json!({"label": "test"}),
        );
        r.json()["token"].as_str().expect("a token").to_owned()
    }

    fn token(&self, who: Who) -> Option<&str> {
        self.tokens
            .iter()
            .find(|(w, _)| *w == who)
            .and_then(|(_, t)| t.as_deref())
    }
}

fn world(dir: &std::path::Path) -> World {
    let server = Server::start(dir, &[]);
    let admin = server.token.clone().expect("first start prints the token");
    let mut world = World {
        server,
        admin: admin.clone(),
        tokens: Vec::new(),
    };
    for group in ["g1", "g2"] {
        world.post("/v1/groups", json!({"id": group, "profile": "etsi-isg"}));
        world.put(
            &format!("/v1/groups/{group}/organisations/acme"),
            json!({"class": "member"}),
        );
    }
    let no_role = world.account("nobody");
    let delegate = world.account("delegate");
    let other = world.account("other");
    let chair = world.account("chair");
    let reviewer = world.account("reviewer");
    let secretariat = world.account("sec");
    let revoked = world.account("revoked");
    world.account("victim");
    for person in ["delegate", "chair", "reviewer"] {
        world.put(
            &format!("/v1/groups/g1/persons/{person}"),
            json!({"organisation": "acme", "membership_list": true}),
        );
    }
    world.put(
        "/v1/groups/g2/persons/other",
        json!({"organisation": "acme", "membership_list": true}),
    );
    world.post("/v1/groups/g1/chair", json!({"person": "chair"}));
    world.put("/v1/groups/g1/reviewers/reviewer", json!({}));
    world.post("/v1/groups/g1/secretariat", json!({"person": "sec"}));
    world.put(
        "/v1/groups/g1/meetings/m1",
        json!({"plenary": true, "format": "face-to-face",
               "start": "2026-01-10T09:00:00Z", "end": "2026-01-10T17:00:00Z"}),
    );
    let r = json(
        world.address(),
        "DELETE",
        "/v1/persons/revoked/tokens",
        Some(&admin),
        &json!({}),
    );
    ok(&r, "revoke");
    world.tokens = vec![
        (Who::NoToken, None),
        (
            Who::GarbageToken,
            Some("scr_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA".to_owned()),
        ),
        (Who::RevokedToken, Some(revoked)),
        (Who::NoRole, Some(no_role)),
        (Who::Delegate, Some(delegate)),
        (Who::OtherDelegate, Some(other)),
        (Who::Chair, Some(chair)),
        (Who::Reviewer, Some(reviewer)),
        (Who::Secretariat, Some(secretariat)),
        (Who::ServerSecretariat, Some(admin)),
    ];
    world
}

fn call(world: &World, row: &Row, token: Option<&str>) -> Response {
    match &row.body {
        Body::None => request(world.address(), row.method, row.path, token, None, b""),
        Body::Json(value) => json(world.address(), row.method, row.path, token, value),
        Body::Csv(text) => request(
            world.address(),
            row.method,
            row.path,
            token,
            Some("text/csv"),
            text.as_bytes(),
        ),
    }
}

#[test]
fn every_operation_answers_every_caller_as_the_table_says() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let world = world(dir.path());
    let victim_key = SigningKey::generate(KeyName::new("victim").expect("a valid name"))
        .expect("entropy")
        .verifier_key()
        .encode();
    let rows = rows(&victim_key);

    // The document and the table list the same operations.
    let document = get(world.address(), "/v1/openapi.json", None).json();
    let mut documented = BTreeSet::new();
    for (path, operations) in document["paths"].as_object().expect("paths") {
        for method in operations.as_object().expect("operations").keys() {
            if method != "parameters" {
                documented.insert((method.to_uppercase(), path.clone()));
            }
        }
    }
    let tabled: BTreeSet<_> = rows
        .iter()
        .map(|r| (r.method.to_owned(), r.template.to_owned()))
        .collect();
    let unclassified: Vec<_> = documented.difference(&tabled).collect();
    assert!(
        unclassified.is_empty(),
        "operations in the document but not in the role table (classify them): {unclassified:?}"
    );
    let undocumented: Vec<_> = tabled.difference(&documented).collect();
    assert!(
        undocumented.is_empty(),
        "operations in the role table but not in the document: {undocumented:?}"
    );

    let mut failures = Vec::new();
    for row in &rows {
        for who in EVERYONE {
            let response = call(&world, row, world.token(who));
            let status = response.status;
            let what = format!(
                "{} {} as {who:?}: {status} {}",
                row.method,
                row.path,
                response.text()
            );
            if status >= 500 {
                failures.push(format!("server error: {what}"));
                continue;
            }
            if status >= 400 {
                let problem = response.json();
                if response.header("content-type") != Some("application/problem+json")
                    || !problem["type"]
                        .as_str()
                        .is_some_and(|t| t.starts_with("urn:scrutineer:problem:"))
                {
                    failures.push(format!("not a problem: {what}"));
                }
                if (status == 404 && problem["detail"] == "no such resource")
                    || problem["type"] == "urn:scrutineer:problem:method-not-allowed"
                {
                    failures.push(format!("the router does not know it: {what}"));
                    continue;
                }
            }
            match row.access.allows(who) {
                None if status != 401 => failures.push(format!("expected 401: {what}")),
                Some(false) if status != 403 => failures.push(format!("expected 403: {what}")),
                Some(true) if status == 401 || status == 403 => {
                    failures.push(format!("expected to be allowed: {what}"))
                }
                _ => {}
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The other direction of the check above: every route the router
/// declares (each `.route("<path>", <method>(…)…)` under
/// `src/server/api`) is an operation of the OpenAPI document. Read from
/// the source, since the router cannot list its routes; a route added
/// without its documentation fails here.
#[test]
fn every_route_of_the_router_is_in_the_document() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let document: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(root.join("src/server/api/openapi.json")).expect("the document"),
    )
    .expect("JSON");
    let mut documented = BTreeSet::new();
    for (path, operations) in document["paths"].as_object().expect("paths") {
        for method in operations.as_object().expect("operations").keys() {
            documented.insert((method.to_uppercase(), path.clone()));
        }
    }

    let mut routed = BTreeSet::new();
    let mut sources = vec![root.join("src/server/api")];
    while let Some(path) = sources.pop() {
        if path.is_dir() {
            for entry in std::fs::read_dir(&path).expect("a folder") {
                sources.push(entry.expect("an entry").path());
            }
            continue;
        }
        if path.extension().is_none_or(|e| e != "rs") {
            continue;
        }
        let text = std::fs::read_to_string(&path).expect("a source file");
        for call in text.split(".route(").skip(1) {
            // The call's arguments: up to the parenthesis closing it.
            let mut depth = 1;
            let end = call
                .char_indices()
                .find(|(_, c)| {
                    match c {
                        '(' => depth += 1,
                        ')' => depth -= 1,
                        _ => {}
                    }
                    depth == 0
                })
                .map(|(i, _)| i)
                .expect("a closed call");
            let arguments = &call[..end];
            let path = arguments.split('"').nth(1).expect("a path literal first");
            let handlers = &arguments[arguments.find(',').expect("a method router")..];
            let mut found = false;
            for method in ["get", "post", "put", "delete", "patch"] {
                let called = handlers.match_indices(&format!("{method}(")).any(|(i, _)| {
                    !handlers[..i].ends_with(|c: char| c.is_alphanumeric() || c == '_')
                });
                if called {
                    // A catch-all segment (`{*path}`) is a parameter of the
                    // document's path like any other.
                    routed.insert((method.to_uppercase(), path.replace("{*", "{")));
                    found = true;
                }
            }
            assert!(found, "no method in the route {arguments:?}");
        }
    }
    assert!(routed.len() > 30, "the routes were read: {routed:?}");
    let undocumented: Vec<_> = routed.difference(&documented).collect();
    assert!(
        undocumented.is_empty(),
        "routes of the router missing from the OpenAPI document: {undocumented:?}"
    );
    let unrouted: Vec<_> = documented.difference(&routed).collect();
    assert!(
        unrouted.is_empty(),
        "operations of the document that no route declares: {unrouted:?}"
    );
}
