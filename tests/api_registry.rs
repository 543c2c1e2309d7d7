//! The registry over HTTP, through the real binary: each change is one
//! entry of the group's log, the attendance import is all or nothing, the
//! registry survives a restart, and bad input is always a problem (4xx),
//! never a server error.

#![cfg(feature = "server")]

mod common;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use common::http::{Response, get, json, request};
use common::server::Server;
use scrutineer::note::key::{KeyId, KeyName, SigningKey};
use serde_json::{Value, json};

/// A server and the secretariat's token.
struct Api {
    server: Server,
    token: String,
}

impl Api {
    fn start(dir: &std::path::Path, extra: &[&str]) -> Self {
        let server = Server::start(dir, extra);
        let token = server.token.clone().expect("first start prints the token");
        Self { server, token }
    }

    fn address(&self) -> &str {
        &self.server.address
    }

    fn send(&self, method: &str, path: &str, body: Value) -> Response {
        json(self.address(), method, path, Some(&self.token), &body)
    }

    fn bare(&self, method: &str, path: &str) -> Response {
        request(self.address(), method, path, Some(&self.token), None, b"")
    }

    fn read(&self, path: &str) -> Value {
        let r = get(self.address(), path, Some(&self.token));
        assert_eq!(r.status, 200, "GET {path}: {}", r.text());
        r.json()
    }

    /// The size of the group's log, from its signed checkpoint.
    fn size(&self, group: &str) -> u64 {
        let r = get(
            self.address(),
            &format!("/v1/groups/{group}/log/checkpoint"),
            None,
        );
        assert_eq!(r.status, 200);
        r.text()
            .lines()
            .nth(1)
            .and_then(|l| l.parse().ok())
            .expect("a checkpoint's second line is its size")
    }

    /// Creates an account and returns a token for it.
    fn account(&self, id: &str) -> String {
        let r = self.send(
            "POST",
            "/v1/persons",
            json!({"id": id, "name": format!("Name of {id}"), "email": format!("{id}@example.org")}),
        );
        assert_eq!(r.status, 201, "{}", r.text());
        let r = self.send(
            "POST",
            &format!("/v1/persons/{id}/tokens"),
            json!({"label": "t"}),
        );
        assert_eq!(r.status, 201, "{}", r.text());
        r.json()["token"].as_str().expect("token").to_owned()
    }

    fn group(&self, id: &str) {
        let r = self.send(
            "POST",
            "/v1/groups",
            json!({"id": id, "profile": "etsi-isg"}),
        );
        assert_eq!(r.status, 201, "{}", r.text());
    }

    /// Sends a change and checks that it answers `status` with a receipt
    /// whose entry is of `kind` and is the log's one new entry.
    fn change(
        &self,
        group: &str,
        method: &str,
        path: &str,
        body: Value,
        status: u16,
        kind: &str,
    ) -> Value {
        let before = self.size(group);
        let r = self.send(method, &format!("/v1/groups/{group}{path}"), body);
        assert_eq!(r.status, status, "{method} {path}: {}", r.text());
        let receipt = r.json();
        let entry = receipt["entry"].as_str().expect("entry text");
        assert!(
            entry.starts_with(&format!("scrutineer/entry/v1\ntype {kind}\ntime ")),
            "{entry}"
        );
        assert_eq!(receipt["index"], before, "the entry is the next one");
        assert_eq!(receipt["size"], before + 1);
        assert_eq!(self.size(group), before + 1, "the log grew by one entry");
        receipt
    }

    /// Sends a request that must be refused with `status` and `code`,
    /// leaving the log unchanged.
    fn refused(&self, group: &str, method: &str, path: &str, body: Value, status: u16, code: &str) {
        let before = self.size(group);
        let r = self.send(method, &format!("/v1/groups/{group}{path}"), body);
        assert_problem(&r, status);
        assert_eq!(
            r.json()["type"],
            format!("urn:scrutineer:problem:{code}"),
            "{}",
            r.text()
        );
        assert_eq!(self.size(group), before, "a refusal writes nothing");
    }
}

/// A 4xx problem: RFC 9457 with a stable `type`.
fn assert_problem(r: &Response, status: u16) {
    assert_eq!(r.status, status, "{}", r.text());
    assert_eq!(
        r.header("content-type"),
        Some("application/problem+json"),
        "{}",
        r.text()
    );
    let body = r.json();
    assert!(
        body["type"]
            .as_str()
            .is_some_and(|t| t.starts_with("urn:scrutineer:problem:")),
        "{body}"
    );
    assert_eq!(body["status"], status);
}

fn key_of(person: &str) -> String {
    SigningKey::generate(KeyName::new(person).expect("a valid name"))
        .expect("entropy")
        .verifier_key()
        .encode()
}

/// A verifier key for `person` whose point is the identity, of small
/// order: it would accept forged signatures.
fn weak_key_of(person: &str) -> String {
    let name = KeyName::new(person).expect("a valid name");
    let mut point = [0u8; 32];
    point[0] = 1;
    let id = KeyId::compute(&name, 0x01, &point);
    let mut material = vec![0x01];
    material.extend_from_slice(&point);
    format!("{person}+{id}+{}", STANDARD.encode(material))
}

/// A group `g` with organisation `acme`, persons `alice` and `bob`, and
/// meetings `kom` (the kick-off, face-to-face) and `web` (online).
fn registry(api: &Api) {
    api.group("g");
    api.account("alice");
    api.account("bob");
    api.change(
        "g",
        "PUT",
        "/organisations/acme",
        json!({"class": "member", "founding": true, "from": "2026-01-01T00:00:00Z"}),
        201,
        "organisation",
    );
    for person in ["alice", "bob"] {
        api.change(
            "g",
            "PUT",
            &format!("/persons/{person}"),
            json!({"organisation": "acme", "membership_list": true}),
            201,
            "person",
        );
    }
    api.change(
        "g",
        "PUT",
        "/meetings/kom",
        json!({"plenary": true, "format": "face-to-face", "kick_off": true,
               "start": "2026-02-01T09:00:00Z", "end": "2026-02-01T17:00:00Z"}),
        201,
        "meeting",
    );
    api.change(
        "g",
        "PUT",
        "/meetings/web",
        json!({"plenary": true, "format": "online",
               "start": "2026-03-01T09:00:00Z", "end": "2026-03-01T17:00:00Z"}),
        201,
        "meeting",
    );
}

#[test]
fn each_registry_change_is_one_entry_of_the_log() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let api = Api::start(dir.path(), &[]);
    registry(&api);

    // Organisations: a snapshot upsert, read back as written.
    let receipt = api.change(
        "g",
        "PUT",
        "/organisations/acme",
        json!({"class": "member", "founding": true, "from": "2026-01-01T00:00:00Z"}),
        200,
        "organisation",
    );
    let entry = receipt["entry"].as_str().expect("entry");
    assert!(
        entry.contains(
            "\norganisation acme\nclass member\nfounding true\nfrom 2026-01-01T00:00:00.000000Z\n"
        ),
        "{entry}"
    );
    assert!(
        receipt["checkpoint"]
            .as_str()
            .expect("checkpoint")
            .contains("\n— ")
    );
    let org = api.read("/v1/groups/g/organisations/acme");
    assert_eq!(org["class"], "member");
    assert_eq!(org["founding"], true);
    assert_eq!(org["from"], "2026-01-01T00:00:00.000000Z");
    assert_eq!(org["to"], Value::Null);
    assert_eq!(
        api.read("/v1/groups/g/organisations")
            .as_array()
            .map(Vec::len),
        Some(1)
    );

    // Persons: name and e-mail only for the secretariat.
    let alice = api.read("/v1/groups/g/persons/alice");
    assert_eq!(alice["organisation"], "acme");
    assert_eq!(alice["membership_list"], true);
    assert_eq!(alice["email"], "alice@example.org");
    let carol = api.account("carol");
    api.change(
        "g",
        "PUT",
        "/persons/carol",
        json!({"organisation": "acme", "membership_list": false}),
        201,
        "person",
    );
    let as_delegate = get(api.address(), "/v1/groups/g/persons", Some(&carol));
    assert_eq!(as_delegate.status, 200, "{}", as_delegate.text());
    for person in as_delegate.json().as_array().expect("a list") {
        assert!(
            person.get("name").is_none() && person.get("email").is_none(),
            "{person}"
        );
    }

    // Keys: added, listed, revoked once.
    let key = key_of("alice");
    let receipt = api.change(
        "g",
        "POST",
        "/persons/alice/keys",
        json!({"key": key}),
        201,
        "key",
    );
    assert!(
        receipt["entry"]
            .as_str()
            .expect("entry")
            .contains(&format!("\nkey {key}\n"))
    );
    let keys = api.read("/v1/groups/g/persons/alice/keys");
    let id = keys[0]["id"].as_str().expect("key id").to_owned();
    assert_eq!(keys[0]["key"], key.as_str());
    assert_eq!(keys[0]["revoked"], Value::Null);
    api.change(
        "g",
        "DELETE",
        &format!("/persons/alice/keys/{id}"),
        json!({}),
        200,
        "key-revoked",
    );
    assert!(api.read("/v1/groups/g/persons/alice/keys")[0]["revoked"].is_string());
    api.refused(
        "g",
        "DELETE",
        &format!("/persons/alice/keys/{id}"),
        json!({}),
        409,
        "key-already-revoked",
    );
    api.refused(
        "g",
        "POST",
        "/persons/alice/keys",
        json!({"key": key}),
        409,
        "duplicate-key",
    );
    api.refused(
        "g",
        "POST",
        "/persons/alice/keys",
        json!({"key": weak_key_of("alice")}),
        422,
        "weak-key",
    );
    api.refused(
        "g",
        "POST",
        "/persons/alice/keys",
        json!({"key": key_of("bob")}),
        422,
        "key-name-mismatch",
    );
    api.refused(
        "g",
        "POST",
        "/persons/alice/keys",
        json!({"key": "alice+0000"}),
        422,
        "bad-key",
    );
    api.refused(
        "g",
        "DELETE",
        "/persons/alice/keys/00000000",
        json!({}),
        404,
        "not-found",
    );
    api.refused(
        "g",
        "POST",
        "/persons/nobody/keys",
        json!({"key": key_of("nobody")}),
        404,
        "not-found",
    );

    // Meetings and attendance.
    assert_eq!(
        api.read("/v1/groups/g/meetings").as_array().map(Vec::len),
        Some(2)
    );
    assert_eq!(api.read("/v1/groups/g/meetings/kom")["kick_off"], true);
    api.refused(
        "g",
        "PUT",
        "/meetings/second",
        json!({"plenary": true, "format": "hybrid", "kick_off": true,
               "start": "2026-04-01T09:00:00Z", "end": "2026-04-01T17:00:00Z"}),
        409,
        "second-kick-off",
    );
    api.refused(
        "g",
        "PUT",
        "/meetings/backwards",
        json!({"plenary": true, "format": "hybrid",
               "start": "2026-04-01T09:00:00Z", "end": "2026-04-01T08:00:00Z"}),
        422,
        "meeting-period",
    );
    let attend = |meeting: &str, mode: &str| json!({"meeting": meeting, "person": "alice", "organisation": "acme", "mode": mode});
    api.change(
        "g",
        "PUT",
        "/attendance",
        attend("kom", "physical"),
        201,
        "attendance",
    );
    api.change(
        "g",
        "PUT",
        "/attendance",
        attend("kom", "remote"),
        200,
        "attendance",
    );
    api.refused(
        "g",
        "PUT",
        "/attendance",
        attend("web", "physical"),
        422,
        "physical-at-online-meeting",
    );
    api.refused(
        "g",
        "PUT",
        "/attendance",
        attend("nowhere", "remote"),
        409,
        "unknown-meeting",
    );
    let list = api.read("/v1/groups/g/attendance");
    assert_eq!(
        list,
        json!([{"meeting": "kom", "person": "alice", "organisation": "acme", "mode": "remote"}])
    );
    api.change(
        "g",
        "DELETE",
        "/attendance/kom/alice",
        json!({}),
        200,
        "attendance-removed",
    );
    api.refused(
        "g",
        "DELETE",
        "/attendance/kom/alice",
        json!({}),
        404,
        "not-found",
    );

    // The chair: a two-year term from now by default (deviation #1).
    let receipt = api.change(
        "g",
        "POST",
        "/chair",
        json!({"person": "alice"}),
        201,
        "chair",
    );
    let entry = receipt["entry"].as_str().expect("entry");
    let header = |name: &str| {
        entry
            .lines()
            .find_map(|l| l.strip_prefix(&format!("{name} ")))
            .expect("header")
            .to_owned()
    };
    let (from, to) = (header("from"), header("to"));
    let year = |t: &str| t[..4].parse::<u32>().expect("year");
    assert_eq!(year(&to), year(&from) + 2);
    assert_eq!(to[4..], from[4..], "exactly 24 calendar months");
    assert_eq!(api.read("/v1/groups/g/chair")["current"], "alice");
    api.refused(
        "g",
        "POST",
        "/chair",
        json!({"person": "bob"}),
        409,
        "chair-term-overlap",
    );
    api.refused(
        "g",
        "POST",
        "/chair",
        json!({"person": "nobody"}),
        409,
        "unknown-person",
    );
    api.change("g", "POST", "/chair/end", json!({}), 200, "chair-ended");
    assert_eq!(api.read("/v1/groups/g/chair")["current"], Value::Null);
    api.refused("g", "POST", "/chair/end", json!({}), 409, "not-chair");
    api.change(
        "g",
        "POST",
        "/chair",
        json!({"person": "bob", "acting": true}),
        201,
        "chair",
    );
    assert_eq!(api.read("/v1/groups/g/chair")["current"], "bob");

    // Reviewers.
    api.change("g", "PUT", "/reviewers/bob", json!({}), 201, "reviewer");
    api.change("g", "PUT", "/reviewers/bob", json!({}), 200, "reviewer");
    assert_eq!(api.read("/v1/groups/g/reviewers"), json!(["bob"]));
    api.change("g", "DELETE", "/reviewers/bob", json!({}), 200, "reviewer");
    api.refused("g", "DELETE", "/reviewers/bob", json!({}), 404, "not-found");
    api.refused(
        "g",
        "PUT",
        "/reviewers/nobody",
        json!({}),
        409,
        "unknown-person",
    );

    // Rule violations of organisations and persons.
    api.refused(
        "g",
        "PUT",
        "/organisations/itu",
        json!({"class": "member-state"}),
        422,
        "class-not-in-profile",
    );
    api.refused(
        "g",
        "PUT",
        "/organisations/late",
        json!({"class": "member", "from": "2026-02-01T00:00:00Z", "to": "2026-01-01T00:00:00Z"}),
        422,
        "membership-period",
    );
    api.refused(
        "g",
        "PUT",
        "/persons/alice",
        json!({"organisation": "nowhere", "membership_list": true}),
        409,
        "unknown-organisation",
    );
    api.refused(
        "g",
        "PUT",
        "/persons/alice",
        json!({"organisation": "acme", "membership_list": true, "reconfirmed": "2999-01-01T00:00:00Z"}),
        422,
        "future-reconfirmation",
    );
    api.refused(
        "g",
        "PUT",
        "/persons/stranger",
        json!({"organisation": "acme", "membership_list": true}),
        404,
        "not-found",
    );
}

fn import(api: &Api, csv: &str) -> Response {
    request(
        api.address(),
        "POST",
        "/v1/groups/g/attendance/import",
        Some(&api.token),
        Some("text/csv"),
        csv.as_bytes(),
    )
}

#[test]
fn the_attendance_import_is_all_or_nothing() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let api = Api::start(dir.path(), &[]);
    registry(&api);
    let before = api.size("g");

    // Two bad rows among good ones: both listed, nothing written.
    let bad = "name,meeting,person,organisation,mode\r\n\
               Alice,kom,alice,acme,physical\r\n\
               Bob,kom,nobody,acme,physical\r\n\
               Bob,web,bob,acme,physical\r\n";
    let r = import(&api, bad);
    assert_problem(&r, 422);
    let problem = r.json();
    assert_eq!(problem["type"], "urn:scrutineer:problem:csv-rows");
    let errors = problem["errors"].as_array().expect("errors");
    assert_eq!(errors.len(), 2, "{problem}");
    assert_eq!(errors[0]["line"], 3);
    assert_eq!(errors[0]["field"], "person");
    assert_eq!(errors[1]["line"], 4);
    assert_eq!(errors[1]["field"], "mode");
    assert!(errors.iter().all(|e| e["message"].is_string()));
    assert_eq!(api.size("g"), before, "nothing is written");
    assert_eq!(api.read("/v1/groups/g/attendance"), json!([]));

    // Not CSV at all: a 400 problem, also with `errors`.
    let r = import(&api, "meeting,person\n\"unterminated\n");
    assert_problem(&r, 400);
    assert!(r.json()["errors"].is_array());
    let r = import(&api, "");
    assert_problem(&r, 400);
    // The wrong media type.
    let r = request(
        api.address(),
        "POST",
        "/v1/groups/g/attendance/import",
        Some(&api.token),
        Some("application/json"),
        b"{}",
    );
    assert_problem(&r, 415);
    assert_eq!(api.size("g"), before);

    // A good file: every row, one entry each, in one batch.
    let good = "meeting,person,organisation,mode\n\
                kom,alice,acme,physical\n\
                kom,bob,acme,remote\n\
                web,bob,acme,remote\n";
    let r = import(&api, good);
    assert_eq!(r.status, 201, "{}", r.text());
    let receipt = r.json();
    assert_eq!(receipt["imported"], 3);
    assert_eq!(receipt["first_index"], before);
    assert_eq!(receipt["size"], before + 3);
    assert_eq!(api.size("g"), before + 3);
    let attendance = api.read("/v1/groups/g/attendance");
    assert_eq!(attendance.as_array().map(Vec::len), Some(3), "{attendance}");
    assert!(attendance.as_array().expect("list").contains(
        &json!({"meeting": "kom", "person": "alice", "organisation": "acme", "mode": "physical"})
    ));
    // The entries are consecutive and all of type attendance.
    let inclusion = api.read(&format!(
        "/v1/groups/g/log/proof/inclusion?index={}",
        before + 2
    ));
    assert_eq!(inclusion["size"], before + 3);
}

#[test]
fn the_registry_survives_a_restart() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let api = Api::start(dir.path(), &[]);
    registry(&api);
    api.change("g", "PUT", "/reviewers/bob", json!({}), 201, "reviewer");
    let size = api.size("g");
    let persons = api.read("/v1/groups/g/persons");
    let meetings = api.read("/v1/groups/g/meetings");
    let token = api.token.clone();
    api.server.stop();

    let server = Server::start(dir.path(), &[]);
    assert!(
        server.token.is_none(),
        "the bootstrap token is printed once"
    );
    let api = Api { server, token };
    assert_eq!(api.size("g"), size);
    assert_eq!(api.read("/v1/groups/g/persons"), persons);
    assert_eq!(api.read("/v1/groups/g/meetings"), meetings);
    assert_eq!(api.read("/v1/groups/g/reviewers"), json!(["bob"]));
    // And the log goes on from there.
    api.change(
        "g",
        "PUT",
        "/organisations/beta",
        json!({"class": "observer"}),
        201,
        "organisation",
    );
}

#[test]
fn bad_input_is_a_problem_and_never_a_server_error() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let api = Api::start(dir.path(), &["--max-body-bytes", "4096"]);
    registry(&api);
    let before = api.size("g");
    let raw = |method: &str, path: &str, content_type: Option<&str>, body: &[u8]| {
        request(
            api.address(),
            method,
            path,
            Some(&api.token),
            content_type,
            body,
        )
    };
    let org = "/v1/groups/g/organisations/acme";
    let cases: Vec<(Response, u16)> = vec![
        // Malformed JSON, unknown members, wrong types, bad ids.
        (raw("PUT", org, Some("application/json"), b"{\"class\": "), 400),
        (raw("PUT", org, Some("application/json"), b"[]"), 400),
        (api.send("PUT", org, json!({"class": "member", "colour": "red"})), 400),
        (api.send("PUT", org, json!({"class": 7})), 400),
        (api.send("PUT", org, json!({"class": "emperor"})), 400),
        (api.send("PUT", org, json!({"class": "member", "founding": "yes"})), 400),
        (api.send("PUT", org, json!({"class": "member", "from": "yesterday"})), 400),
        (api.send("PUT", org, json!({"class": "member", "from": "2026-01-01T00:00:00+01:00"})), 400),
        (api.send("PUT", "/v1/groups/g/organisations/bad%20id", json!({"class": "member"})), 400),
        (api.send("PUT", "/v1/groups/g/persons/alice", json!({"organisation": "no way", "membership_list": true})), 400),
        (api.send("PUT", "/v1/groups/g/persons/alice", json!({"organisation": "acme"})), 400),
        (api.send("PUT", "/v1/groups/g/attendance", json!({"meeting": "kom", "person": "alice", "organisation": "acme", "mode": "astral"})), 400),
        (api.send("POST", "/v1/groups/g/chair", json!({"person": "alice", "from": 12})), 400),
        (api.send("POST", "/v1/groups/g/persons/alice/keys", json!({"key": ["x"]})), 400),
        (api.bare("DELETE", "/v1/groups/g/attendance/kom/%FF"), 400),
        (api.bare("DELETE", &format!("/v1/groups/g/attendance/kom/{}", "x".repeat(65))), 400),
        // Too large, wrong media type, no media type.
        (raw("PUT", org, Some("application/json"), &[b' '; 8192]), 413),
        (raw("POST", "/v1/groups/g/attendance/import", Some("text/csv"), &[b'a'; 8192]), 413),
        (raw("PUT", org, Some("text/plain"), b"{\"class\": \"member\"}"), 415),
        (raw("PUT", org, None, b"{\"class\": \"member\"}"), 415),
        (raw("POST", "/v1/groups/g/attendance/import", Some("text/plain"), b"meeting\n"), 415),
        // Unknown group, organisation, person, meeting.
        (api.send("PUT", "/v1/groups/nogroup/organisations/acme", json!({"class": "member"})), 404),
        (get(api.address(), "/v1/groups/nogroup/persons", Some(&api.token)), 404),
        (get(api.address(), "/v1/groups/g/organisations/nothing", Some(&api.token)), 404),
        (get(api.address(), "/v1/groups/g/persons/nobody", Some(&api.token)), 404),
        (get(api.address(), "/v1/groups/g/persons/nobody/keys", Some(&api.token)), 404),
        (get(api.address(), "/v1/groups/g/meetings/nothing", Some(&api.token)), 404),
        (api.send("PUT", "/v1/groups/g/persons/nobody", json!({"organisation": "acme", "membership_list": true})), 404),
        (api.send("PUT", "/v1/groups/g/attendance", json!({"meeting": "kom", "person": "nobody", "organisation": "acme", "mode": "remote"})), 409),
        (api.send("PUT", "/v1/groups/g/attendance", json!({"meeting": "kom", "person": "alice", "organisation": "nothing", "mode": "remote"})), 409),
        // A method the resource does not take.
        (api.send("PATCH", org, json!({"class": "member"})), 405),
    ];
    for (index, (response, status)) in cases.iter().enumerate() {
        assert!(response.status < 500, "case {index}: {}", response.text());
        assert_eq!(
            response.status,
            *status,
            "case {index}: {}",
            response.text()
        );
        assert_problem(response, *status);
    }
    assert_eq!(api.size("g"), before, "no bad request wrote anything");
}

/// The sequencer's batch command, on which the import's atomicity rests.
#[path = "api_registry/batch_command.rs"]
mod batch_command;
