//! The CSRF token that every POST form carries (SPEC section 8).
//!
//! A session's token is derived from its id: SHA-256 of
//! [`CSRF_CONTEXT`] and the 32 random bytes of the id, in base64url. It is
//! stored nowhere, cannot be turned back into the id, and changes with
//! every session. The sign-in form, before any session, carries the token
//! derived in the same way from a random sign-in cookie (double submit):
//! a page of another origin can neither read that cookie nor make the
//! browser send it (`SameSite=Strict`). The comparison is in constant time.
//!
//! `SameSite=Strict` alone already keeps the session cookie off
//! cross-site requests in current browsers; the token is the defence that
//! does not depend on the browser.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use subtle::ConstantTimeEq as _;

pub use crate::contexts::{CSRF_CONTEXT, SIGN_IN_CSRF_CONTEXT};
use crate::tlog::Hash;

/// A CSRF token as the forms carry it.
#[derive(Clone, PartialEq, Eq)]
pub struct CsrfToken(String);

impl CsrfToken {
    /// The token derived from `secret` (a session id, or the sign-in
    /// cookie's value) under `context`.
    pub fn derive(context: &[u8], secret: &[u8; 32]) -> Self {
        let hash = Hash::sha256_parts(&[context, secret]);
        Self(URL_SAFE_NO_PAD.encode(hash.as_bytes()))
    }

    /// The text put into forms.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether a submitted token is this one, compared in constant time
    /// (a length difference is not secret: every token has 43 characters).
    pub fn matches(&self, submitted: &str) -> bool {
        self.0.len() == submitted.len() && bool::from(self.0.as_bytes().ct_eq(submitted.as_bytes()))
    }
}

/// The header that carries the session's CSRF token on the module's
/// `fetch` requests (signed votes and announcements sent as JSON).
pub const CSRF_HEADER: &str = "x-csrf-token";

/// Refuses a `fetch` request whose [`CSRF_HEADER`] is not the session's
/// token, with the problem the page shows.
pub fn require_header(
    token: &CsrfToken,
    headers: &axum::http::HeaderMap,
) -> Result<(), crate::server::error::ApiError> {
    let submitted = headers
        .get(CSRF_HEADER)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if token.matches(submitted) {
        Ok(())
    } else {
        Err(crate::server::error::ApiError::Forbidden(
            "the request's security token (X-CSRF-Token) does not match this session; reload \
             the page"
                .to_owned(),
        ))
    }
}

impl std::fmt::Debug for CsrfToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CsrfToken(…)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_depend_on_the_secret_and_the_context_and_compare_exactly() {
        let a = CsrfToken::derive(CSRF_CONTEXT, &[1; 32]);
        let b = CsrfToken::derive(CSRF_CONTEXT, &[2; 32]);
        let c = CsrfToken::derive(SIGN_IN_CSRF_CONTEXT, &[1; 32]);
        assert_ne!(a, b);
        assert_ne!(a, c);
        assert_eq!(a.as_str().len(), 43);
        assert!(a.matches(a.as_str()));
        assert!(!a.matches(b.as_str()));
        assert!(!a.matches(""));
        assert!(!a.matches(&a.as_str()[..42]));
        // The token is not the stored hash of the id.
        assert_ne!(
            a.as_str(),
            URL_SAFE_NO_PAD.encode(Hash::sha256(&[1; 32]).as_bytes())
        );
    }
}
