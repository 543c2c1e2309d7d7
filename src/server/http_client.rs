//! A small asynchronous HTTP/1.1 client for the server's outgoing calls:
//! add-checkpoint requests to witnesses (and a test witness reading a
//! simulated clock).
//!
//! Only `http://` URLs: TLS to a witness belongs to a local proxy for now,
//! as for the voter's tools (`src/cli/http.rs`). Nothing received is trusted
//! for its transport: every cosignature is verified under the witness's key.
//! One request per connection, a time limit on the whole exchange, and a
//! bound on the body read.

use std::time::Duration;

use axum::body::Body;
use hyper::Request;
use hyper_util::rt::TokioIo;

/// Why a request produced no answer.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The URL is not `http://host:port/...`.
    #[error("unsupported URL {0:?}: only http://host[:port]/path")]
    Url(String),
    /// No connection, or the exchange failed.
    #[error("{0}")]
    Io(String),
    /// The exchange took longer than its limit.
    #[error("no answer within {0:?}")]
    Timeout(Duration),
}

/// An answer: its status, `Content-Type` and body.
#[derive(Debug)]
pub struct Answer {
    /// The HTTP status code.
    pub status: u16,
    /// The `Content-Type`, if any.
    pub content_type: Option<String>,
    /// The body, at most the limit asked for.
    pub body: Vec<u8>,
}

/// Splits `http://authority/path` into the authority and the path.
fn split(url: &str) -> Result<(String, String), ClientError> {
    let rest = url
        .strip_prefix("http://")
        .ok_or_else(|| ClientError::Url(url.to_owned()))?;
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    if authority.is_empty() || authority.contains('@') {
        return Err(ClientError::Url(url.to_owned()));
    }
    let authority = if authority.contains(':') && !authority.ends_with(']') {
        authority.to_owned()
    } else {
        format!("{authority}:80")
    };
    Ok((authority, path.to_owned()))
}

/// Sends one request (`POST` with `body`, or `GET` without) and reads the
/// answer, within `timeout`, keeping at most `max_body` bytes.
pub async fn send(
    url: &str,
    body: Option<String>,
    timeout: Duration,
    max_body: usize,
) -> Result<Answer, ClientError> {
    tokio::time::timeout(timeout, exchange(url, body, max_body))
        .await
        .map_err(|_| ClientError::Timeout(timeout))?
}

async fn exchange(url: &str, body: Option<String>, max_body: usize) -> Result<Answer, ClientError> {
    let (authority, path) = split(url)?;
    let io = |e: &dyn std::fmt::Display| ClientError::Io(format!("{url}: {e}"));
    let stream = tokio::net::TcpStream::connect(&authority)
        .await
        .map_err(|e| io(&e))?;
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|e| io(&e))?;
    let driver = tokio::spawn(connection);
    let builder = Request::builder()
        .uri(&path)
        .header("host", authority.as_str())
        .header(
            "user-agent",
            concat!("scrutineer/", env!("CARGO_PKG_VERSION")),
        );
    let request = match body {
        Some(body) => builder
            .method("POST")
            .header("content-type", "text/plain; charset=utf-8")
            .body(Body::from(body)),
        None => builder.method("GET").body(Body::empty()),
    }
    .map_err(|e| io(&e))?;
    let response = sender.send_request(request).await.map_err(|e| io(&e))?;
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let body = axum::body::to_bytes(Body::new(response.into_body()), max_body)
        .await
        .map_err(|e| io(&e))?
        .to_vec();
    driver.abort();
    Ok(Answer {
        status,
        content_type,
        body,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_split_into_authority_and_path() {
        let s = |u: &str| split(u).map_err(|e| e.to_string());
        assert_eq!(
            s("http://127.0.0.1:8080/w/add-checkpoint").unwrap(),
            ("127.0.0.1:8080".into(), "/w/add-checkpoint".into())
        );
        assert_eq!(
            s("http://witness.example").unwrap(),
            ("witness.example:80".into(), "/".into())
        );
        assert!(s("https://witness.example/").is_err());
        assert!(s("http://user@witness.example/").is_err());
        assert!(s("http:///x").is_err());
    }
}
