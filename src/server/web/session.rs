//! Sign-in sessions (SPEC section 8, "Signing in").
//!
//! A person signs in with a bearer token the secretariat issued; the server
//! then opens a session: 32 random bytes, sent to the browser once in a
//! cookie (`HttpOnly; SameSite=Strict; Path=/`, and `Secure` with
//! `--secure-cookies`), stored only as their SHA-256 (`web_sessions`).
//!
//! A session ends:
//! - after [`IDLE_SECONDS`] without a request (idle expiry);
//! - [`ABSOLUTE_SECONDS`] after sign-in, however busy (absolute expiry);
//! - at sign-out, which deletes it;
//! - when the token it was opened with is revoked: every request checks
//!   that token through the same cache as the API's bearer tokens
//!   (`access.rs`), so a revocation ends the session within that cache's
//!   bound, as it ends the token's API access.
//!
//! Session times are real time (the system clock), never a simulated
//! clock: a demonstration that moves its ballots 45 days ahead must not
//! sign everyone out, and expiry is about a real browser left open.
//!
//! The session id never appears in a URL, a page, `localStorage` or a log
//! line; nor does the token, which the sign-in form posts once.

use std::sync::Arc;

use axum::extract::{FromRequestParts, OptionalFromRequestParts};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, header};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use super::WebError;
use super::csrf::{CSRF_CONTEXT, CsrfToken};
use crate::server::AppState;
use crate::server::clock::Clock;
use crate::store::web::StoredSession;
use crate::tlog::Hash;

/// The session cookie's name.
pub const COOKIE: &str = "scrutineer_session";

/// A session unused this long ends: 30 minutes.
pub const IDLE_SECONDS: i64 = 30 * 60;

/// A session ends this long after sign-in: 12 hours, a working day.
pub const ABSOLUTE_SECONDS: i64 = 12 * 60 * 60;

/// How stale `last_seen` may be before a request writes it again: the
/// idle expiry is then exact to within this, and a page's few requests do
/// not each write.
const TOUCH_EVERY_SECONDS: i64 = 60;

/// Real time, in Unix seconds (module documentation).
pub fn real_now() -> i64 {
    Clock::System.now().unix_seconds()
}

/// A random 32-byte secret as a cookie carries it: base64url, 43
/// characters.
#[derive(Clone)]
pub struct Secret([u8; 32]);

impl Secret {
    /// 32 bytes from the operating system's random number generator.
    pub fn generate() -> Result<Self, WebError> {
        let mut bytes = [0u8; 32];
        getrandom::fill(&mut bytes)
            .map_err(|e| WebError::Internal(format!("no entropy for a session: {e}")))?;
        Ok(Self(bytes))
    }

    /// The secret of a cookie value, if it has the form of one.
    pub fn from_cookie(value: &str) -> Option<Self> {
        if value.len() != 43 {
            return None;
        }
        let bytes = URL_SAFE_NO_PAD.decode(value).ok()?;
        bytes.try_into().ok().map(Self)
    }

    /// The cookie value.
    pub fn to_cookie(&self) -> String {
        URL_SAFE_NO_PAD.encode(self.0)
    }

    /// The stored form of a session id.
    pub fn hash(&self) -> Hash {
        Hash::sha256(&self.0)
    }

    /// The raw bytes, to derive a CSRF token from.
    pub fn bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(…)")
    }
}

/// The value of cookie `name` in a request's `Cookie` headers.
pub fn cookie<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(n, _)| *n == name)
        .map(|(_, v)| v)
}

/// A `Set-Cookie` value: `value` for `max_age` seconds (0 deletes it).
pub fn set_cookie(name: &str, value: &str, max_age: i64, secure: bool) -> HeaderValue {
    let secure = if secure { "; Secure" } else { "" };
    let text =
        format!("{name}={value}; Max-Age={max_age}; Path=/; HttpOnly; SameSite=Strict{secure}");
    // Names are constants and values base64url: always a valid header.
    HeaderValue::from_str(&text).unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// A signed-in person, found from the request's session cookie.
#[derive(Debug, Clone)]
pub struct Session {
    /// The person's id.
    pub person: String,
    /// The session's CSRF token, for its forms.
    pub csrf: CsrfToken,
    /// The stored hash of the session id.
    id_hash: Hash,
}

impl Session {
    /// A posted form, read and checked against this session's CSRF token
    /// (`csrf` gives the form's token field): 400 if it cannot be read or
    /// the token does not match.
    pub fn checked_form<T>(
        &self,
        form: Result<axum::Form<T>, axum::extract::rejection::FormRejection>,
        csrf: impl FnOnce(&T) -> &str,
    ) -> Result<T, WebError> {
        let Ok(axum::Form(form)) = form else {
            return Err(WebError::BadRequest(
                "the form could not be read".to_owned(),
            ));
        };
        if !self.csrf.matches(csrf(&form)) {
            return Err(WebError::BadRequest(
                "the form's security token does not match this session".to_owned(),
            ));
        }
        Ok(form)
    }

    /// The group's log, once this session's person may do `action` there
    /// (the API's roles and table); 403 with `refused` otherwise.
    pub async fn authorise(
        &self,
        state: &AppState,
        group: &str,
        action: crate::server::auth::Action,
        refused: &str,
    ) -> Result<std::sync::Arc<crate::server::Log>, crate::server::error::ApiError> {
        let log = state.log(group).await?;
        let caller = crate::server::auth::Caller::of(&self.person)?;
        let roles = crate::server::api::roles_for(state, &caller, &log, action).await?;
        if !crate::server::auth::allowed(action, roles) {
            return Err(crate::server::error::ApiError::Forbidden(format!(
                "{refused} in group {group:?}"
            )));
        }
        Ok(log)
    }

    /// The stored hash of the session id (sign-out deletes it).
    pub fn id_hash(&self) -> &Hash {
        &self.id_hash
    }

    /// Opens a session for the valid token `token_hash` of `person`;
    /// returns the new id for the cookie.
    pub async fn open(
        state: &AppState,
        token_hash: Hash,
        person: &str,
    ) -> Result<Secret, WebError> {
        let id = Secret::generate()?;
        let now = real_now();
        // A sign-in is a good moment to sweep what expired meanwhile.
        state
            .store
            .delete_expired_sessions(now - IDLE_SECONDS, now - ABSOLUTE_SECONDS)
            .await?;
        state
            .store
            .create_session(
                &id.hash(),
                &StoredSession {
                    token: token_hash,
                    person: person.to_owned(),
                    created_at: now,
                    last_seen: now,
                },
            )
            .await?;
        Ok(id)
    }

    /// The session of a request, if its cookie names one that is live:
    /// not expired, and its token still valid. An expired session is
    /// deleted on the way.
    async fn find(parts: &Parts, state: &AppState) -> Result<Option<Self>, WebError> {
        let Some(id) = cookie(&parts.headers, COOKIE).and_then(Secret::from_cookie) else {
            return Ok(None);
        };
        let id_hash = id.hash();
        let Some(stored) = state.store.session(&id_hash).await? else {
            return Ok(None);
        };
        let now = real_now();
        if now - stored.last_seen >= IDLE_SECONDS || now - stored.created_at >= ABSOLUTE_SECONDS {
            state.store.delete_session(&id_hash).await?;
            return Ok(None);
        }
        // The token the session was opened with, asked exactly as the
        // API asks about a bearer token.
        let person = state.access.person(&state.store, &stored.token).await?;
        if person.as_deref() != Some(stored.person.as_str()) {
            state.store.delete_session(&id_hash).await?;
            return Ok(None);
        }
        if now - stored.last_seen >= TOUCH_EVERY_SECONDS {
            state.store.touch_session(&id_hash, now).await?;
        }
        Ok(Some(Self {
            person: stored.person,
            csrf: CsrfToken::derive(CSRF_CONTEXT, id.bytes()),
            id_hash,
        }))
    }
}

impl OptionalFromRequestParts<Arc<AppState>> for Session {
    type Rejection = WebError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<AppState>,
    ) -> Result<Option<Self>, WebError> {
        Self::find(parts, state).await
    }
}

impl FromRequestParts<Arc<AppState>> for Session {
    type Rejection = WebError;

    /// No live session: to the sign-in page.
    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<AppState>,
    ) -> Result<Self, WebError> {
        Self::find(parts, state).await?.ok_or(WebError::SignIn)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_round_trip_through_cookies_and_refuse_other_forms() {
        let secret = Secret([9; 32]);
        let value = secret.to_cookie();
        assert_eq!(value.len(), 43);
        let back = Secret::from_cookie(&value).expect("its own form");
        assert_eq!(back.bytes(), secret.bytes());
        assert!(Secret::from_cookie("").is_none());
        assert!(Secret::from_cookie(&value[..42]).is_none());
        assert!(Secret::from_cookie(&format!("{value}A")).is_none());
        assert!(Secret::from_cookie(&"*".repeat(43)).is_none());
        assert!(!format!("{secret:?}").contains(&value));
    }

    #[test]
    fn cookies_are_found_by_name_and_set_strictly() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::COOKIE,
            HeaderValue::from_static("a=1; scrutineer_session=abc ; b=2"),
        );
        assert_eq!(cookie(&headers, COOKIE), Some("abc"));
        assert_eq!(cookie(&headers, "b"), Some("2"));
        assert_eq!(cookie(&headers, "c"), None);
        let set = set_cookie(COOKIE, "abc", 60, false);
        assert_eq!(
            set.to_str().expect("ASCII"),
            "scrutineer_session=abc; Max-Age=60; Path=/; HttpOnly; SameSite=Strict"
        );
        assert!(
            set_cookie(COOKIE, "abc", 60, true)
                .to_str()
                .expect("ASCII")
                .ends_with("; Secure")
        );
    }
}
