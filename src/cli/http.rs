//! A small HTTP/1.1 client on `std::net::TcpStream`, for the voter's tools
//! (`vote`, `announce`, `receipt verify`).
//!
//! Why not an HTTP client crate: the voter's tools must build without the
//! server's dependencies (`--no-default-features`), and what they need is
//! small — one request per connection (`Connection: close`), bodies framed
//! by `Content-Length`, chunked responses (RFC 9112 section 7.1), timeouts,
//! a bound on what the server may send, and RFC 9457 problem details turned
//! into readable refusals.
//!
//! Only `http://` URLs are accepted. TLS belongs to a reverse proxy in front
//! of the server for now; a delegate who reaches the server over an
//! untrusted network runs these tools through a local tunnel or proxy. The
//! tools do not depend on the transport for integrity: every answer that
//! matters (receipts, checkpoints, proofs) is verified under the log's key.
//! The bearer token, however, is only as confidential as the transport.

use std::fmt;
use std::io::{self, BufRead, BufReader, Read, Write as _};
use std::net::{TcpStream, ToSocketAddrs as _};
use std::time::Duration;

use serde::de::DeserializeOwned;

/// The largest response body accepted. The largest thing the tools fetch
/// is a full entry bundle for `export` (256 entries of at most 65 535 bytes
/// each, with their 2-byte length prefixes: just under 16 MiB); anything
/// larger is a misbehaving server, not data worth holding in memory.
pub const MAX_RESPONSE_BYTES: usize = 256 * (65_535 + 2);

/// The largest status line plus header block accepted.
const MAX_HEAD_BYTES: usize = 32 * 1024;

/// The longest chunk-size line accepted (hex digits and extensions).
const MAX_CHUNK_LINE: usize = 1024;

/// How long to wait for a connection to be established.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// How long any one read or write may block. A vote waits for the
/// sequencer's durable commit (SPEC section 4, "Durability"), which takes
/// well under a second; a minute covers a loaded server.
const IO_TIMEOUT: Duration = Duration::from_secs(60);

/// The `type` prefix of Scrutineer's problem details (SPEC section 6).
const PROBLEM_TYPE_PREFIX: &str = "urn:scrutineer:problem:";

/// Why a request did not produce a successful answer.
#[derive(Debug, thiserror::Error)]
pub enum HttpError {
    /// The server URL is not one this client can use.
    #[error("server URL: {0}")]
    Url(String),
    /// No connection could be established.
    #[error("cannot connect to {authority}: {cause}")]
    Connect {
        /// `host:port`.
        authority: String,
        /// The last connection error (in the message, not a `source`, so
        /// that it is said once).
        cause: io::Error,
    },
    /// Sending or receiving failed, or timed out.
    #[error("{context}: {}", describe_io(.cause))]
    Io {
        /// What was being done.
        context: &'static str,
        /// The error (in the message, as for `Connect`).
        cause: io::Error,
    },
    /// The answer is not HTTP/1.1 as RFC 9112 frames it.
    #[error("malformed HTTP response: {0}")]
    Malformed(String),
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

/// Says "timed out" for the error kinds a socket timeout produces, which
/// `io::Error`'s own text words differently on each platform.
fn describe_io(error: &io::Error) -> String {
    match error.kind() {
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut => {
            format!("timed out after {} s", IO_TIMEOUT.as_secs())
        }
        _ => error.to_string(),
    }
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

/// The server's base URL: `http://host[:port][/prefix]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BaseUrl {
    /// The host name or address (an IPv6 address without its brackets).
    host: String,
    /// The port (80 unless given).
    port: u16,
    /// A path prefix without its trailing `/` (empty at the root), for a
    /// server behind a reverse proxy under a sub-path.
    prefix: String,
}

impl BaseUrl {
    /// Parses a server URL. Refuses `https://` with the reason, and any URL
    /// with user information, a query or a fragment (none has a meaning
    /// here, and user information would be a secret in a URL).
    pub fn parse(text: &str) -> Result<Self, HttpError> {
        let bad = |why: &str| HttpError::Url(format!("{}: {why}", printable(text)));
        if text.len() >= 8 && text[..8].eq_ignore_ascii_case("https://") {
            return Err(bad(
                "https is not supported by this client yet: TLS belongs to a reverse proxy \
                 in front of the server; reach it through a local tunnel or proxy with an \
                 http:// URL",
            ));
        }
        let rest = match text.get(..7) {
            Some(scheme) if scheme.eq_ignore_ascii_case("http://") => &text[7..],
            _ => return Err(bad("the URL must start with http://")),
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
            None => 80,
            Some(p) => p
                .parse::<u16>()
                .ok()
                .filter(|&p| p != 0)
                .ok_or_else(|| bad("the port must be a number from 1 to 65535"))?,
        };
        Ok(Self {
            host: host.to_owned(),
            port,
            prefix: path.trim_end_matches('/').to_owned(),
        })
    }

    /// `host:port`, with brackets around an IPv6 address, as the `Host`
    /// header wants it (RFC 9110 section 7.2).
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
        write!(f, "http://{}{}", self.authority(), self.prefix)
    }
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
#[derive(Debug, Clone)]
pub struct Client {
    /// Where the server is.
    base: BaseUrl,
    /// Sent as `Authorization: Bearer …` when present.
    token: Option<Token>,
}

impl Client {
    /// A client for `base`, without a token.
    pub fn new(base: BaseUrl) -> Self {
        Self { base, token: None }
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

    /// Sends one request on a new connection and reads the whole answer.
    fn send(
        &self,
        method: &str,
        path: &str,
        body: Option<(&str, &[u8])>,
    ) -> Result<Response, HttpError> {
        debug_assert!(path.starts_with('/'), "paths are absolute");
        let stream = self.connect()?;
        let mut head = format!(
            "{method} {}{path} HTTP/1.1\r\nHost: {}\r\nUser-Agent: scrutineer/{}\r\n\
             Accept: application/json, text/plain, application/problem+json\r\n\
             Connection: close\r\n",
            self.base.prefix,
            self.base.authority(),
            env!("CARGO_PKG_VERSION"),
        );
        if let Some(Token(token)) = &self.token {
            head.push_str(&format!("Authorization: Bearer {token}\r\n"));
        }
        let body = match body {
            Some((content_type, bytes)) => {
                head.push_str(&format!(
                    "Content-Type: {content_type}\r\nContent-Length: {}\r\n",
                    bytes.len()
                ));
                bytes
            }
            None => &[][..],
        };
        head.push_str("\r\n");
        let io = |context| move |cause| HttpError::Io { context, cause };
        let mut writer = &stream;
        writer
            .write_all(head.as_bytes())
            .and_then(|()| writer.write_all(body))
            .and_then(|()| writer.flush())
            .map_err(io("cannot send the request"))?;
        read_response(&mut BufReader::new(&stream), MAX_RESPONSE_BYTES)
    }

    /// Connects to the first of the host's addresses that answers.
    fn connect(&self) -> Result<TcpStream, HttpError> {
        let authority = self.base.authority();
        let addresses = (self.base.host.as_str(), self.base.port)
            .to_socket_addrs()
            .map_err(|cause| HttpError::Connect {
                authority: authority.clone(),
                cause,
            })?;
        let mut last = io::Error::new(io::ErrorKind::NotFound, "the host has no address");
        for address in addresses {
            match TcpStream::connect_timeout(&address, CONNECT_TIMEOUT) {
                Ok(stream) => {
                    let set = stream
                        .set_read_timeout(Some(IO_TIMEOUT))
                        .and_then(|()| stream.set_write_timeout(Some(IO_TIMEOUT)));
                    set.map_err(|cause| HttpError::Io {
                        context: "cannot set the socket's timeouts",
                        cause,
                    })?;
                    return Ok(stream);
                }
                Err(e) => last = e,
            }
        }
        Err(HttpError::Connect {
            authority,
            cause: last,
        })
    }
}

/// Reads one response (RFC 9112): the status line, the headers, then the
/// body framed as section 6.3 says, at most `max` bytes of it. Interim 1xx
/// responses are skipped.
fn read_response<R: BufRead>(reader: &mut R, max: usize) -> Result<Response, HttpError> {
    let mut head_budget = MAX_HEAD_BYTES;
    let (status, headers) = loop {
        let (status, headers) = read_head(reader, &mut head_budget)?;
        if !(100..200).contains(&status) {
            break (status, headers);
        }
    };
    let header = |name: &'static str| headers.iter().filter(move |(n, _)| n == name);
    // Section 6.3: no body after 204 and 304; Transfer-Encoding overrides
    // Content-Length; without either the body runs to the connection's
    // close (which `Connection: close` asked for).
    let body = if status == 204 || status == 304 {
        Vec::new()
    } else if let Some((_, coding)) = header("transfer-encoding").next_back() {
        let last = coding.rsplit(',').next().unwrap_or("").trim();
        if last.eq_ignore_ascii_case("chunked") {
            read_chunked(reader, max)?
        } else {
            read_to_close(reader, max)?
        }
    } else if let Some((_, first)) = header("content-length").next() {
        // Several Content-Length headers are only acceptable if equal
        // (section 6.3 item 5).
        if header("content-length").any(|(_, v)| v != first) {
            return Err(HttpError::Malformed("conflicting Content-Length".into()));
        }
        let length = parse_length(first)?;
        if length > max {
            return Err(HttpError::TooLarge);
        }
        let mut body = vec![0; length];
        reader
            .read_exact(&mut body)
            .map_err(|cause| HttpError::Io {
                context: "cannot read the answer's body",
                cause,
            })?;
        body
    } else {
        read_to_close(reader, max)?
    };
    Ok(Response {
        status,
        headers,
        body,
    })
}

/// A header block: the status code and the headers (names lowercased).
type Head = (u16, Vec<(String, String)>);

/// Reads a status line and its header fields, up to the empty line.
fn read_head<R: BufRead>(reader: &mut R, budget: &mut usize) -> Result<Head, HttpError> {
    let status_line = read_line(reader, budget)?;
    let mut parts = status_line.splitn(3, ' ');
    let version = parts.next().unwrap_or("");
    let code = parts.next().unwrap_or("");
    if !version.starts_with("HTTP/1.") || code.len() != 3 {
        return Err(HttpError::Malformed(format!(
            "status line {:?}",
            printable(&status_line)
        )));
    }
    let status: u16 = code
        .parse()
        .map_err(|_| HttpError::Malformed(format!("status code {:?}", printable(code))))?;
    let mut headers = Vec::new();
    loop {
        let line = read_line(reader, budget)?;
        if line.is_empty() {
            return Ok((status, headers));
        }
        // Section 5.2: obsolete line folding is refused, not unfolded.
        if line.starts_with([' ', '\t']) {
            return Err(HttpError::Malformed("folded header line".into()));
        }
        let (name, value) = line
            .split_once(':')
            .ok_or_else(|| HttpError::Malformed(format!("header line {:?}", printable(&line))))?;
        headers.push((
            name.trim().to_ascii_lowercase(),
            value.trim_matches([' ', '\t']).to_owned(),
        ));
    }
}

/// Reads a line ending in CRLF (or a bare LF) within the head's budget.
fn read_line<R: BufRead>(reader: &mut R, budget: &mut usize) -> Result<String, HttpError> {
    let mut line = Vec::new();
    let limit = u64::try_from(*budget).unwrap_or(u64::MAX);
    reader
        .take(limit)
        .read_until(b'\n', &mut line)
        .map_err(|cause| HttpError::Io {
            context: "cannot read the answer",
            cause,
        })?;
    if line.last() != Some(&b'\n') {
        return Err(if line.len() >= *budget {
            HttpError::Malformed(format!(
                "the header block is longer than {MAX_HEAD_BYTES} bytes"
            ))
        } else {
            HttpError::Malformed("the connection closed inside the header block".into())
        });
    }
    *budget -= line.len();
    line.pop();
    if line.last() == Some(&b'\r') {
        line.pop();
    }
    String::from_utf8(line).map_err(|_| HttpError::Malformed("a header line is not UTF-8".into()))
}

/// A Content-Length value: decimal digits only.
fn parse_length(text: &str) -> Result<usize, HttpError> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(HttpError::Malformed(format!(
            "Content-Length {:?}",
            printable(text)
        )));
    }
    // Too many digits for a usize is too large for us anyway.
    text.parse().map_err(|_| HttpError::TooLarge)
}

/// Reads a chunked body (RFC 9112 section 7.1), refusing more than `max`
/// bytes in all, and discards the trailer fields.
fn read_chunked<R: BufRead>(reader: &mut R, max: usize) -> Result<Vec<u8>, HttpError> {
    let io = |cause| HttpError::Io {
        context: "cannot read the answer's body",
        cause,
    };
    let mut body = Vec::new();
    loop {
        let mut line_budget = MAX_CHUNK_LINE;
        let line = read_line(reader, &mut line_budget)?;
        // Chunk extensions (after `;`) carry nothing this client uses.
        let size_text = line
            .split(';')
            .next()
            .unwrap_or("")
            .trim_end_matches([' ', '\t']);
        if size_text.is_empty() || !size_text.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(HttpError::Malformed(format!(
                "chunk size {:?}",
                printable(&line)
            )));
        }
        let size = usize::from_str_radix(size_text, 16).map_err(|_| HttpError::TooLarge)?;
        if size == 0 {
            break;
        }
        if size > max - body.len() {
            return Err(HttpError::TooLarge);
        }
        let start = body.len();
        body.resize(start + size, 0);
        reader.read_exact(&mut body[start..]).map_err(io)?;
        let mut crlf = [0u8; 2];
        reader.read_exact(&mut crlf).map_err(io)?;
        if &crlf != b"\r\n" {
            return Err(HttpError::Malformed(
                "a chunk does not end with CRLF".into(),
            ));
        }
    }
    // The trailer section ends with an empty line.
    let mut budget = MAX_HEAD_BYTES;
    while !read_line(reader, &mut budget)?.is_empty() {}
    Ok(body)
}

/// Reads until the connection closes, refusing more than `max` bytes.
fn read_to_close<R: Read>(reader: &mut R, max: usize) -> Result<Vec<u8>, HttpError> {
    let mut body = Vec::new();
    let limit = u64::try_from(max).unwrap_or(u64::MAX).saturating_add(1);
    reader
        .take(limit)
        .read_to_end(&mut body)
        .map_err(|cause| HttpError::Io {
            context: "cannot read the answer's body",
            cause,
        })?;
    if body.len() > max {
        return Err(HttpError::TooLarge);
    }
    Ok(body)
}

#[cfg(test)]
mod tests;
