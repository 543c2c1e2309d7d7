//! The security headers of every web response (SPEC section 8, "How it is
//! made"; docs/threat-model.md, "The web application").
//!
//! - `Content-Security-Policy`: scripts and everything else from this
//!   origin only, no inline script or style, no `<base>` that would move
//!   relative URLs, forms posted only here, and no framing (clickjacking).
//! - `Referrer-Policy: no-referrer`: no page's URL leaves with a request.
//! - `X-Content-Type-Options: nosniff`: a file is only what its type says.
//! - `Cache-Control: no-store` on pages, which show a person's groups and
//!   ballots: a shared or back-button cache must not keep them.

use axum::extract::Request;
use axum::http::{HeaderName, HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;

/// The content security policy of every web response.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; \
     style-src 'self'; img-src 'self'; connect-src 'self'; object-src 'none'; \
     base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// Adds the headers of the module documentation to a response.
pub async fn security_headers(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    add_security_headers(&mut response);
    response
}

/// Adds the headers of the module documentation to a response made
/// outside the web application's router (the page for an unknown path).
pub fn add_security_headers(response: &mut Response) {
    let headers = response.headers_mut();
    let set = |headers: &mut axum::http::HeaderMap, name: HeaderName, value: &'static str| {
        headers.insert(name, HeaderValue::from_static(value));
    };
    set(
        headers,
        header::CONTENT_SECURITY_POLICY,
        CONTENT_SECURITY_POLICY,
    );
    set(headers, header::REFERRER_POLICY, "no-referrer");
    set(headers, header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    set(headers, header::X_FRAME_OPTIONS, "DENY");
    if !headers.contains_key(header::CACHE_CONTROL) {
        set(headers, header::CACHE_CONTROL, "no-store");
    }
}
