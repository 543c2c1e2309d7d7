//! The load tool's blocking HTTP/1.1 client, for the set-up: one
//! persistent keep-alive connection, answers read by `Content-Length` (or
//! chunked encoding); and the rendering of requests to bytes, which the
//! timed load (`drive.rs`) sends as they are.

use std::io::{self, BufRead as _, BufReader, Read as _, Write as _};
use std::net::TcpStream;
use std::time::Duration;

/// The largest answer body read (a receipt is a few KiB; a problem detail
/// less).
const MAX_BODY: usize = 16 << 20;

/// An HTTP/1.1 request, rendered: request line, headers and body.
pub fn render(method: &str, path: &str, token: Option<&str>, body: Option<&[u8]>) -> Vec<u8> {
    let mut head = format!("{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n");
    if let Some(token) = token {
        head.push_str(&format!("Authorization: Bearer {token}\r\n"));
    }
    let body = body.unwrap_or_default();
    if !body.is_empty() || method != "GET" {
        head.push_str("Content-Type: application/json\r\n");
        head.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    head.push_str("\r\n");
    let mut bytes = head.into_bytes();
    bytes.extend_from_slice(body);
    bytes
}

/// An answer: its status, the cookies it sets and its body.
pub struct Answer {
    /// The HTTP status code.
    pub status: u16,
    /// Each `Set-Cookie`'s `name=value` (its attributes left off).
    pub cookies: Vec<String>,
    /// The body, de-chunked.
    pub body: Vec<u8>,
}

impl Answer {
    /// The body as JSON.
    pub fn json(&self) -> anyhow::Result<serde_json::Value> {
        serde_json::from_slice(&self.body).map_err(|e| {
            anyhow::anyhow!(
                "the answer (status {}) is not JSON: {e}: {}",
                self.status,
                String::from_utf8_lossy(&self.body)
            )
        })
    }
}

/// One keep-alive connection to the server.
pub struct Connection {
    address: String,
    stream: Option<BufReader<TcpStream>>,
}

impl Connection {
    /// A connection to `address` (`host:port`), opened on first use.
    pub fn new(address: &str) -> Self {
        Self {
            address: address.to_owned(),
            stream: None,
        }
    }

    /// Sends a rendered request and reads its answer. On an I/O error the
    /// connection is dropped, and the next call opens a new one.
    pub fn send(&mut self, request: &[u8]) -> io::Result<Answer> {
        let result = self.exchange(request);
        match &result {
            Ok(_) => {}
            Err(_) => self.stream = None,
        }
        result
    }

    fn exchange(&mut self, request: &[u8]) -> io::Result<Answer> {
        if self.stream.is_none() {
            let stream = TcpStream::connect(&self.address)?;
            stream.set_nodelay(true)?;
            // A durable receipt waits for a commit; a minute without an
            // answer is a hung server, not a slow one.
            stream.set_read_timeout(Some(Duration::from_secs(60)))?;
            self.stream = Some(BufReader::with_capacity(16 * 1024, stream));
        }
        let reader = self.stream.as_mut().expect("invariant: opened just above");
        reader.get_mut().write_all(request)?;
        let (answer, close) = read_answer(reader)?;
        if close {
            self.stream = None;
        }
        Ok(answer)
    }
}

/// An answer the client cannot read.
pub fn bad(what: impl Into<String>) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, what.into())
}

/// The status code of an HTTP/1.1 status line.
pub fn status_of(line: &str) -> io::Result<u16> {
    line.strip_prefix("HTTP/1.1 ")
        .and_then(|rest| rest.get(..3))
        .and_then(|code| code.parse::<u16>().ok())
        .ok_or_else(|| bad(format!("not an HTTP/1.1 status line: {line:?}")))
}

/// What an answer's headers say about its body and its connection.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Head {
    /// `Content-Length`.
    pub length: Option<usize>,
    /// A `Transfer-Encoding` header, whatever it says.
    pub encoded: bool,
    /// `Transfer-Encoding: chunked`.
    pub chunked: bool,
    /// `Connection: close`: the server closes the connection after it.
    pub close: bool,
    /// Each `Set-Cookie`'s `name=value`.
    pub cookies: Vec<String>,
}

impl Head {
    /// Takes in one header line, without its line end.
    pub fn header(&mut self, line: &str) -> io::Result<()> {
        let Some((name, value)) = line.split_once(':') else {
            return Err(bad(format!("not a header: {line:?}")));
        };
        let value = value.trim();
        if name.eq_ignore_ascii_case("content-length") {
            self.length = Some(
                value
                    .parse::<usize>()
                    .map_err(|_| bad("a bad Content-Length"))?,
            );
        } else if name.eq_ignore_ascii_case("transfer-encoding") {
            self.encoded = true;
            self.chunked = value.eq_ignore_ascii_case("chunked");
        } else if name.eq_ignore_ascii_case("connection") {
            self.close = value.eq_ignore_ascii_case("close");
        } else if name.eq_ignore_ascii_case("set-cookie") {
            let pair = value.split(';').next().unwrap_or_default().trim();
            self.cookies.push(pair.to_owned());
        }
        Ok(())
    }
}

/// Reads one answer; also says whether the server closes the connection.
fn read_answer(reader: &mut BufReader<TcpStream>) -> io::Result<(Answer, bool)> {
    let mut line = String::new();
    if reader.read_line(&mut line)? == 0 {
        return Err(io::Error::new(
            io::ErrorKind::UnexpectedEof,
            "the server closed the connection",
        ));
    }
    let status = status_of(line.trim_end_matches(['\r', '\n']))?;
    let mut head = Head::default();
    loop {
        line.clear();
        if reader.read_line(&mut line)? == 0 {
            return Err(bad("the answer's headers end early"));
        }
        let header = line.trim_end_matches(['\r', '\n']);
        if header.is_empty() {
            break;
        }
        head.header(header)?;
    }
    let Head {
        length,
        chunked,
        close,
        cookies,
        ..
    } = head;
    let body = if chunked {
        read_chunked(reader)?
    } else {
        let length = length.unwrap_or(0);
        if length > MAX_BODY {
            return Err(bad("the answer's body is too large"));
        }
        let mut body = vec![0; length];
        reader.read_exact(&mut body)?;
        body
    };
    Ok((
        Answer {
            status,
            cookies,
            body,
        },
        close,
    ))
}

/// Reads a chunked body (RFC 9112 section 7.1), ignoring extensions and
/// trailers.
fn read_chunked(reader: &mut BufReader<TcpStream>) -> io::Result<Vec<u8>> {
    let mut body = Vec::new();
    let mut line = String::new();
    loop {
        line.clear();
        reader.read_line(&mut line)?;
        let size_text = line.trim_end().split(';').next().unwrap_or_default();
        let size =
            usize::from_str_radix(size_text, 16).map_err(|_| bad("a bad chunk size line"))?;
        if size == 0 {
            // Trailers, up to the empty line.
            loop {
                line.clear();
                if reader.read_line(&mut line)? == 0 || line.trim_end().is_empty() {
                    return Ok(body);
                }
            }
        }
        if body.len() + size > MAX_BODY {
            return Err(bad("the answer's body is too large"));
        }
        let start = body.len();
        body.resize(start + size, 0);
        reader.read_exact(&mut body[start..])?;
        let mut crlf = [0; 2];
        reader.read_exact(&mut crlf)?;
    }
}
