//! The tests' HTTP client: the same well-kept client the CLI uses
//! (`ureq`), set up to hand back every answer as it came (no redirect
//! followed, no status turned into an error), with a fresh connection per
//! request so that none outlives a server a test stopped. Requests that
//! are deliberately malformed are written on raw sockets by the tests
//! that need them (`auth_edges.rs`, `crash_harness.rs`).

#![allow(dead_code)]

use std::time::Duration;

/// A response: status, headers (lowercased names) and body.
#[derive(Debug, Clone)]
pub struct Response {
    /// The status code.
    pub status: u16,
    /// The headers, names lowercased.
    pub headers: Vec<(String, String)>,
    /// The body bytes.
    pub body: Vec<u8>,
}

impl Response {
    /// The first header named `name` (lowercase).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The body as text.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The body as JSON (panics if it is not).
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text()))
    }
}

/// Sends one request to `address` (`127.0.0.1:port`) and reads the whole
/// response.
pub fn request(
    address: &str,
    method: &str,
    path: &str,
    token: Option<&str>,
    content_type: Option<&str>,
    body: &[u8],
) -> Response {
    // A token read from its file keeps the file's final newline.
    let authorization = token.map(|t| format!("Bearer {}", t.trim()));
    let mut headers = Vec::new();
    if let Some(value) = &authorization {
        headers.push(("Authorization", value.as_str()));
    }
    if let Some(value) = content_type {
        headers.push(("Content-Type", value));
    }
    with_headers(address, method, path, &headers, body)
}

/// GET with an optional token.
pub fn get(address: &str, path: &str, token: Option<&str>) -> Response {
    request(address, "GET", path, token, None, b"")
}

/// A JSON request (POST, PUT, DELETE…) with an optional token.
pub fn json(
    address: &str,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: &serde_json::Value,
) -> Response {
    let bytes = serde_json::to_vec(body).expect("serialise");
    request(
        address,
        method,
        path,
        token,
        Some("application/json"),
        &bytes,
    )
}

/// A request with arbitrary extra headers (a cookie, a form's type).
pub fn with_headers(
    address: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Response {
    let agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .max_idle_connections(0)
        .timeout_global(Some(Duration::from_secs(60)))
        .build()
        .new_agent();
    let mut builder = ureq::http::Request::builder()
        .method(method)
        .uri(format!("http://{address}{path}"));
    for (name, value) in headers {
        builder = builder.header(*name, *value);
    }
    let sent = if body.is_empty() {
        agent.run(builder.body(ureq::SendBody::none()).expect("a request"))
    } else {
        agent.run(builder.body(body).expect("a request"))
    };
    let mut answer = sent.unwrap_or_else(|e| panic!("{method} {path}: {e}"));
    let status = answer.status().as_u16();
    let headers = answer
        .headers()
        .iter()
        .map(|(name, value)| {
            let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
            (name.as_str().to_owned(), value)
        })
        .collect();
    let body = answer
        .body_mut()
        .with_config()
        .limit(u64::MAX)
        .read_to_vec()
        .unwrap_or_else(|e| panic!("{method} {path}: reading the answer: {e}"));
    Response {
        status,
        headers,
        body,
    }
}

impl Response {
    /// The `name=value` pair of the cookie `name` this response sets.
    pub fn cookie_pair(&self, name: &str) -> Option<String> {
        self.headers
            .iter()
            .filter(|(n, _)| n == "set-cookie")
            .map(|(_, v)| v.as_str())
            .find(|v| v.starts_with(&format!("{name}=")))
            .and_then(|v| v.split(';').next())
            .map(str::to_owned)
    }

    /// The value of the hidden form field `name` in an HTML page.
    pub fn hidden(&self, name: &str) -> Option<String> {
        let text = self.text();
        let marker = format!("name=\"{name}\" value=\"");
        let at = text.find(&marker)? + marker.len();
        let rest = &text[at..];
        Some(rest[..rest.find('"')?].to_owned())
    }
}

/// An `application/x-www-form-urlencoded` body of `fields`.
pub fn form_body(fields: &[(&str, &str)]) -> String {
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

/// POSTs a form with a cookie header.
pub fn post_form(address: &str, path: &str, cookie: &str, fields: &[(&str, &str)]) -> Response {
    with_headers(
        address,
        "POST",
        path,
        &[
            ("Content-Type", "application/x-www-form-urlencoded"),
            ("Cookie", cookie),
        ],
        form_body(fields).as_bytes(),
    )
}

/// `PUT /v1/groups/{group}/organisations/{org}`: a member organisation,
/// with the secretariat's `token`.
pub fn put_organisation(address: &str, token: &str, group: &str, org: &str) -> Response {
    json(
        address,
        "PUT",
        &format!("/v1/groups/{group}/organisations/{org}"),
        Some(token),
        &serde_json::json!({"class": "member"}),
    )
}

/// Creates the `etsi-isg` group `group` with the server's `token`, and in
/// it the member organisations `org1` to `org{organisations}`, each
/// appended in its own batch.
pub fn group_of_organisations(address: &str, token: &str, group: &str, organisations: usize) {
    let r = json(
        address,
        "POST",
        "/v1/groups",
        Some(token),
        &serde_json::json!({"id": group, "profile": "etsi-isg"}),
    );
    assert_eq!(r.status, 201, "{}", r.text());
    for k in 1..=organisations {
        let r = put_organisation(address, token, group, &format!("org{k}"));
        assert_eq!(r.status, 201, "{}", r.text());
    }
}
