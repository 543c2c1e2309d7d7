//! The HTTP(S) client of the voter's tools (`vote`, `announce`, `export`,
//! `receipt verify`, `verify URL`, …): one request at a time, on `ureq`
//! (blocking, no async runtime, so that the tools build without the
//! server's dependencies), with TLS by rustls and the `ring` provider.
//!
//! - `https://` is verified against the bundled Mozilla roots
//!   (webpki-roots), or only against the certificates of `--ca-file` (a
//!   private CA); a certificate that does not verify is an error naming the
//!   host and the reason.
//! - `http://` goes only to this machine (loopback) unless the caller
//!   allows it (`--insecure-http`): the bearer token is only as
//!   confidential as the transport. Every answer that matters (receipts,
//!   checkpoints, proofs) is still verified under the log's key.
//! - The usual proxy variables (`HTTPS_PROXY`, `HTTP_PROXY`, `ALL_PROXY`,
//!   `NO_PROXY`) are honoured; redirects are not followed.
//! - Time limits: 10 s to connect, 60 s for any one request; answers are
//!   read up to a bound, and RFC 9457 problem details become readable
//!   refusals.

use std::fmt;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::de::DeserializeOwned;

/// The largest response body accepted. The largest thing the tools fetch
/// is a full entry bundle for `export` (256 entries of at most 65 535 bytes
/// each, with their 2-byte length prefixes: just under 16 MiB); anything
/// larger is a misbehaving server, not data worth holding in memory.
pub const MAX_RESPONSE_BYTES: usize = 256 * (65_535 + 2);

/// The largest header block accepted.
const MAX_HEAD_BYTES: usize = 32 * 1024;

/// How long to wait for a connection to be established.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// How long one request may take, from sending to the end of the answer.
/// A vote waits for the sequencer's durable commit (SPEC section 4,
/// "Durability"), which takes well under a second; a minute covers a
/// loaded server, and an entry bundle over a slow link.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);

/// The `type` prefix of Scrutineer's problem details (SPEC section 6).
const PROBLEM_TYPE_PREFIX: &str = "urn:scrutineer:problem:";

/// Why a request did not produce a successful answer.
#[derive(Debug, thiserror::Error)]
pub enum HttpError {
    /// The server URL is not one this client can use.
    #[error("server URL: {0}")]
    Url(String),
    /// The trusted certificates (`--ca-file`) could not be read.
    #[error("{path}: {reason}")]
    CaFile {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// No connection could be established.
    #[error("cannot connect to {authority}: {cause}")]
    Connect {
        /// `host:port`.
        authority: String,
        /// Why.
        cause: String,
    },
    /// The server's certificate does not verify, or TLS failed.
    #[error(
        "TLS with {host} failed: {reason} (a private CA's certificate is given with --ca-file)"
    )]
    Tls {
        /// The host name.
        host: String,
        /// Why.
        reason: String,
    },
    /// Sending or receiving failed, or timed out.
    #[error("{0}")]
    Transport(String),
    /// The answer is larger than [`MAX_RESPONSE_BYTES`].
    #[error("the server's answer is larger than {MAX_RESPONSE_BYTES} bytes; refusing to read it")]
    TooLarge,
    /// The server refused the request with an RFC 9457 problem.
    #[error("{0}")]
    Problem(Problem),
    /// The server answered with an error status but no problem details.
    #[error("the server answered HTTP {status}: {body}")]
    Status {
        /// The status code.
        status: u16,
        /// The start of the body, made printable.
        body: String,
    },
    /// A successful answer whose body is not what the API promises.
    #[error("unexpected answer from the server: {0}")]
    Body(String),
}

/// An RFC 9457 problem details object, as the server sends for every
/// refusal (SPEC section 6).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The stable code: the `type` without `urn:scrutineer:problem:` (or
    /// the whole `type` if it is not one of Scrutineer's).
    pub code: String,
    /// The short, human-readable summary.
    pub title: String,
    /// The HTTP status.
    pub status: u16,
    /// The explanation specific to this occurrence, if any.
    pub detail: Option<String>,
}

impl Problem {
    /// Reads a problem from an error response's body, or `None` if it is
    /// not one (no JSON object with a string `type`).
    fn from_body(status: u16, body: &[u8]) -> Option<Self> {
        let value: serde_json::Value = serde_json::from_slice(body).ok()?;
        let kind = value.get("type")?.as_str()?;
        let text = |name: &str| value.get(name).and_then(|v| v.as_str()).map(printable);
        Some(Self {
            code: printable(kind.strip_prefix(PROBLEM_TYPE_PREFIX).unwrap_or(kind)),
            title: text("title").unwrap_or_default(),
            status,
            detail: text("detail"),
        })
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // A 4xx is the server deciding against the request; a 5xx is the
        // server failing, whose body is generic by design (STYLE item 5).
        let what = if self.status >= 500 {
            "server error"
        } else {
            "refused"
        };
        // A detail that starts by repeating the code says it once.
        let reason = match self.detail.as_deref() {
            Some(detail) => match detail.strip_prefix(self.code.as_str()) {
                Some("") => "",
                Some(rest) if rest.starts_with(':') => rest[1..].trim_start(),
                _ => detail,
            },
            None => &self.title,
        };
        if reason.is_empty() {
            write!(f, "{what} ({})", self.code)
        } else {
            write!(f, "{what} ({}): {reason}", self.code)
        }
    }
}

/// Makes text from the server safe to print on a terminal: control
/// characters (escape sequences could rewrite what the delegate sees) are
/// shown escaped.
pub fn printable(text: &str) -> String {
    text.chars()
        .flat_map(|c| {
            let escaped: Vec<char> = if c.is_control() {
                c.escape_default().collect()
            } else {
                vec![c]
            };
            escaped
        })
        .collect()
}

/// Whether a URL's scheme is `http` or `https`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    /// Plain HTTP: to this machine only, unless allowed.
    Http,
    /// HTTP over TLS.
    Https,
}

/// The server's base URL: `http[s]://host[:port][/prefix]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BaseUrl {
    /// `http` or `https`.
    scheme: Scheme,
    /// The host name or address (an IPv6 address without its brackets).
    host: String,
    /// The port (80 or 443 unless given).
    port: u16,
    /// A path prefix without its trailing `/` (empty at the root), for a
    /// server behind a reverse proxy under a sub-path.
    prefix: String,
}

impl BaseUrl {
    /// Parses a server URL. Refuses any URL with user information, a query
    /// or a fragment (none has a meaning here, and user information would
    /// be a secret in a URL).
    pub fn parse(text: &str) -> Result<Self, HttpError> {
        let bad = |why: &str| HttpError::Url(format!("{}: {why}", printable(text)));
        let (scheme, rest) = if text.len() >= 8 && text[..8].eq_ignore_ascii_case("https://") {
            (Scheme::Https, &text[8..])
        } else {
            match text.get(..7) {
                Some(scheme) if scheme.eq_ignore_ascii_case("http://") => {
                    (Scheme::Http, &text[7..])
                }
                _ => return Err(bad("the URL must start with https:// or http://")),
            }
        };
        if rest.contains(['?', '#', '@']) || rest.chars().any(|c| c.is_whitespace()) {
            return Err(bad(
                "the URL may not hold user information, a query, a fragment or spaces",
            ));
        }
        let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
        let (host, port) = if let Some(bracketed) = authority.strip_prefix('[') {
            let (host, after) = bracketed
                .split_once(']')
                .ok_or_else(|| bad("an IPv6 address must end with ']'"))?;
            (host, after.strip_prefix(':'))
        } else {
            match authority.rsplit_once(':') {
                Some((host, port)) => (host, Some(port)),
                None => (authority, None),
            }
        };
        if host.is_empty() {
            return Err(bad("the URL has no host"));
        }
        let port = match port {
            None => match scheme {
                Scheme::Http => 80,
                Scheme::Https => 443,
            },
            Some(p) => p
                .parse::<u16>()
                .ok()
                .filter(|&p| p != 0)
                .ok_or_else(|| bad("the port must be a number from 1 to 65535"))?,
        };
        Ok(Self {
            scheme,
            host: host.to_owned(),
            port,
            prefix: path.trim_end_matches('/').to_owned(),
        })
    }

    /// Whether the host is this machine (`localhost` or a loopback
    /// address), where plain HTTP never crosses a network.
    pub fn is_loopback(&self) -> bool {
        self.host.eq_ignore_ascii_case("localhost")
            || self.host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
    }

    /// `host:port`, with brackets around an IPv6 address (RFC 9110
    /// section 7.2).
    fn authority(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }
}

impl fmt::Display for BaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let scheme = match self.scheme {
            Scheme::Http => "http",
            Scheme::Https => "https",
        };
        write!(f, "{scheme}://{}{}", self.authority(), self.prefix)
    }
}

/// How the client reaches servers: which certificates it trusts, and
/// whether plain HTTP may leave this machine.
#[derive(Debug, Clone, Default)]
pub struct Transport {
    /// Trust only the certificates in this PEM file (a private CA), instead
    /// of the bundled Mozilla roots.
    pub ca_file: Option<PathBuf>,
    /// Allow `http://` to hosts other than this machine.
    pub insecure_http: bool,
}

/// A bearer token. Its `Debug` never shows it, so that it cannot leak into
/// an error message or a log line.
#[derive(Clone)]
pub struct Token(String);

impl Token {
    /// Checks that the token is RFC 6750 `b64token` syntax (so that it
    /// cannot smuggle a header line into the request) and wraps it.
    pub fn new(text: &str) -> Result<Self, HttpError> {
        // b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="
        let stem = text.trim_end_matches('=');
        let ok = !stem.is_empty()
            && stem.bytes().all(|b| {
                b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'+' | b'/')
            });
        if ok {
            Ok(Self(text.to_owned()))
        } else {
            // The token itself is never repeated in the message.
            Err(HttpError::Url(
                "the token is not a bearer token (RFC 6750 b64token characters)".into(),
            ))
        }
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Token(…)")
    }
}

/// A successful answer.
#[derive(Debug, Clone)]
pub struct Response {
    /// The status code (2xx).
    pub status: u16,
    /// The headers, names lowercased, in order.
    headers: Vec<(String, String)>,
    /// The body, at most [`MAX_RESPONSE_BYTES`].
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

    /// The body as JSON of type `T`.
    pub fn json<T: DeserializeOwned>(&self) -> Result<T, HttpError> {
        serde_json::from_slice(&self.body).map_err(|e| HttpError::Body(format!("JSON: {e}")))
    }

    /// Turns an error status into the error it means: a problem if the body
    /// is one, the status and the start of the body otherwise.
    fn into_result(self) -> Result<Self, HttpError> {
        if (200..300).contains(&self.status) {
            return Ok(self);
        }
        // RFC 9457 section 3: a problem is `application/problem+json`; a
        // plain JSON error body is read the same way, anything else (a
        // proxy's HTML page) is shown as text.
        let json = self
            .header("content-type")
            .is_some_and(|t| t.to_ascii_lowercase().contains("json"));
        if let Some(problem) = json
            .then(|| Problem::from_body(self.status, &self.body))
            .flatten()
        {
            return Err(HttpError::Problem(problem));
        }
        let text = String::from_utf8_lossy(&self.body);
        let start: String = text.chars().take(200).collect();
        Err(HttpError::Status {
            status: self.status,
            body: printable(start.trim()),
        })
    }
}

/// A client for one server, with the caller's token if any.
#[derive(Clone)]
pub struct Client {
    /// Where the server is.
    base: BaseUrl,
    /// Sent as `Authorization: Bearer …` when present.
    token: Option<Token>,
    /// The connection settings (TLS roots, proxy, time limits).
    agent: ureq::Agent,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("base", &self.base)
            .field("token", &self.token)
            .finish_non_exhaustive()
    }
}

impl Client {
    /// A client for `base` with `transport`'s settings, without a token.
    pub fn with_transport(base: BaseUrl, transport: &Transport) -> Result<Self, HttpError> {
        if base.scheme == Scheme::Http && !base.is_loopback() && !transport.insecure_http {
            return Err(HttpError::Url(format!(
                "{base}: plain http:// is only for this machine (localhost); use https://, or \
                 --insecure-http to send the token and votes unencrypted over the network"
            )));
        }
        let roots = match &transport.ca_file {
            Some(path) => ureq::tls::RootCerts::new_with_certs(&read_ca_file(path)?),
            None => ureq::tls::RootCerts::WebPki,
        };
        let tls = ureq::tls::TlsConfig::builder()
            .provider(ureq::tls::TlsProvider::Rustls)
            .root_certs(roots)
            .build();
        let agent = ureq::Agent::config_builder()
            .tls_config(tls)
            .http_status_as_error(false)
            .max_redirects(0)
            .max_response_header_size(MAX_HEAD_BYTES)
            .timeout_connect(Some(CONNECT_TIMEOUT))
            .timeout_global(Some(REQUEST_TIMEOUT))
            .user_agent(format!("scrutineer/{}", env!("CARGO_PKG_VERSION")))
            .build()
            .new_agent();
        Ok(Self {
            base,
            token: None,
            agent,
        })
    }

    /// The same client, sending `token` with every request.
    pub fn with_token(mut self, token: Token) -> Self {
        self.token = Some(token);
        self
    }

    /// The server's base URL.
    pub fn base(&self) -> &BaseUrl {
        &self.base
    }

    /// `GET path` (path from `/`, e.g. `/v1/groups/ETI`); an error status is
    /// an error.
    pub fn get(&self, path: &str) -> Result<Response, HttpError> {
        self.send("GET", path, None)?.into_result()
    }

    /// `POST path` with a JSON body; an error status is an error.
    pub fn post_json(&self, path: &str, body: &serde_json::Value) -> Result<Response, HttpError> {
        let bytes = serde_json::to_vec(body).expect("invariant: a JSON value serialises");
        self.send("POST", path, Some(("application/json", &bytes)))?
            .into_result()
    }

    /// Sends one request and reads the whole answer.
    fn send(
        &self,
        method: &str,
        path: &str,
        body: Option<(&str, &[u8])>,
    ) -> Result<Response, HttpError> {
        debug_assert!(path.starts_with('/'), "paths are absolute");
        let url = format!("{}{path}", self.base);
        let accept = "application/json, text/plain, application/problem+json";
        let authorization = self
            .token
            .as_ref()
            .map(|Token(token)| format!("Bearer {token}"));
        let answer = match body {
            None => {
                let mut request = self.agent.get(&url).header("Accept", accept);
                if let Some(value) = &authorization {
                    request = request.header("Authorization", value);
                }
                debug_assert_eq!(method, "GET");
                request.call()
            }
            Some((content_type, bytes)) => {
                let mut request = self
                    .agent
                    .post(&url)
                    .header("Accept", accept)
                    .header("Content-Type", content_type);
                if let Some(value) = &authorization {
                    request = request.header("Authorization", value);
                }
                request.send(bytes)
            }
        };
        let mut answer = answer.map_err(|e| self.error(e))?;
        let status = answer.status().as_u16();
        let headers = answer
            .headers()
            .iter()
            .map(|(name, value)| {
                (
                    name.as_str().to_ascii_lowercase(),
                    String::from_utf8_lossy(value.as_bytes()).into_owned(),
                )
            })
            .collect();
        let body = answer
            .body_mut()
            .with_config()
            .limit(MAX_RESPONSE_BYTES as u64)
            .read_to_vec()
            .map_err(|e| self.error(e))?;
        Ok(Response {
            status,
            headers,
            body,
        })
    }

    /// Says what went wrong, naming the host (and the certificate's fault
    /// when TLS failed).
    fn error(&self, error: ureq::Error) -> HttpError {
        let authority = self.base.authority();
        let tls = |reason: String| HttpError::Tls {
            host: self.base.host.clone(),
            reason,
        };
        match error {
            ureq::Error::BodyExceedsLimit(_) => HttpError::TooLarge,
            ureq::Error::Rustls(e) => tls(describe_tls(&e)),
            ureq::Error::Tls(e) => tls(e.to_owned()),
            ureq::Error::Io(e) => {
                if let Some(rustls) = e
                    .get_ref()
                    .and_then(|inner| inner.downcast_ref::<rustls::Error>())
                {
                    tls(describe_tls(rustls))
                } else if matches!(
                    e.kind(),
                    std::io::ErrorKind::ConnectionRefused | std::io::ErrorKind::NotFound
                ) {
                    HttpError::Connect {
                        authority,
                        cause: e.to_string(),
                    }
                } else {
                    HttpError::Transport(format!("talking to {authority}: {e}"))
                }
            }
            ureq::Error::HostNotFound => HttpError::Connect {
                authority,
                cause: "the host name does not resolve".to_owned(),
            },
            ureq::Error::ConnectionFailed => HttpError::Connect {
                authority,
                cause: "the connection failed".to_owned(),
            },
            ureq::Error::Timeout(which) => {
                HttpError::Transport(format!("talking to {authority}: timed out ({which})"))
            }
            other => HttpError::Transport(format!("talking to {authority}: {other}")),
        }
    }
}

/// Words a rustls error for a person: a certificate that does not verify
/// says why.
fn describe_tls(error: &rustls::Error) -> String {
    match error {
        rustls::Error::InvalidCertificate(why) => {
            format!("its certificate does not verify ({why:?})")
        }
        other => other.to_string(),
    }
}

/// Reads the PEM certificates of `--ca-file`.
fn read_ca_file(path: &Path) -> Result<Vec<ureq::tls::Certificate<'static>>, HttpError> {
    let bad = |reason: String| HttpError::CaFile {
        path: path.to_owned(),
        reason,
    };
    let pem = std::fs::read(path).map_err(|e| bad(e.to_string()))?;
    let mut certificates = Vec::new();
    for item in ureq::tls::parse_pem(&pem) {
        match item.map_err(|e| bad(e.to_string()))? {
            ureq::tls::PemItem::Certificate(certificate) => certificates.push(certificate),
            _ => continue,
        }
    }
    if certificates.is_empty() {
        return Err(bad("no PEM certificate in the file".to_owned()));
    }
    Ok(certificates)
}

#[cfg(test)]
mod tests;
