//! Bearer tokens and the one table that says which role may do what.
//!
//! A token is 32 random bytes, shown once as `scr_<base64url>`; the server
//! stores only SHA-256 of the token text and compares hashes in constant
//! time. Roles are per group: `secretariat` is granted (per group, or `*`
//! for every group, which also allows the server-wide actions); `chair`,
//! `reviewer` and `delegate` are facts of the group's log (the chair in
//! office, an appointed reviewer, a person registered for an organisation).

use axum::extract::FromRequestParts;
use axum::http::header;
use axum::http::request::Parts;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use super::AppState;
use super::error::ApiError;
use crate::tlog::Hash;
use std::sync::Arc;

/// The prefix of every token, so that a leaked one is recognisable (secret
/// scanners look for fixed prefixes).
const TOKEN_PREFIX: &str = "scr_";

/// A new bearer token: its text (shown once) and the hash that is stored.
pub struct NewToken {
    /// The token text, `scr_` and 43 base64url characters.
    pub text: String,
    /// SHA-256 of the text.
    pub hash: Hash,
}

impl NewToken {
    /// Generates a token from the operating system's random number
    /// generator.
    pub fn generate() -> Result<Self, getrandom::Error> {
        let mut bytes = [0u8; 32];
        getrandom::fill(&mut bytes)?;
        let text = format!("{TOKEN_PREFIX}{}", URL_SAFE_NO_PAD.encode(bytes));
        let hash = token_hash(&text);
        Ok(Self { text, hash })
    }
}

impl std::fmt::Debug for NewToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewToken").finish_non_exhaustive()
    }
}

/// The stored form of a token text.
pub fn token_hash(text: &str) -> Hash {
    Hash::sha256(text.as_bytes())
}

/// The token text of a request's `Authorization: Bearer` header, if it
/// has the form of one of this server's tokens.
pub fn bearer_token(headers: &axum::http::HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .filter(|t| t.starts_with(TOKEN_PREFIX) && t.len() < 128)
}

/// The authenticated caller: the person whose token came with the request.
/// An account's id is a person id (`POST /v1/persons` takes nothing
/// else, and the first account is `secretariat`), so it is parsed once,
/// here; a stored id that does not parse is refused as no token at all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    /// The person's id.
    pub person: crate::id::PersonId,
}

impl Caller {
    /// The caller of a signed-in person (the web application's session).
    pub fn of(person: &str) -> Result<Self, ApiError> {
        crate::id::PersonId::new(person)
            .map(|person| Self { person })
            .map_err(|_| ApiError::Unauthenticated)
    }
}

impl FromRequestParts<Arc<AppState>> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<AppState>,
    ) -> Result<Self, ApiError> {
        // The write limits found the token's person already.
        if let Some(caller) = parts.extensions.get::<Self>() {
            return Ok(caller.clone());
        }
        let text = bearer_token(&parts.headers).ok_or(ApiError::Unauthenticated)?;
        let person = state
            .access
            .person(&state.store, &token_hash(text))
            .await?
            .ok_or(ApiError::Unauthenticated)?;
        Self::of(&person)
    }
}

impl axum::extract::OptionalFromRequestParts<Arc<AppState>> for Caller {
    type Rejection = ApiError;

    /// No `Authorization` header: anonymous. A header with a bad token is
    /// still refused, so that a mistyped token is never silently ignored.
    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<AppState>,
    ) -> Result<Option<Self>, ApiError> {
        if parts.headers.contains_key(header::AUTHORIZATION) {
            <Self as FromRequestParts<Arc<AppState>>>::from_request_parts(parts, state)
                .await
                .map(Some)
        } else {
            Ok(None)
        }
    }
}

/// A request to a public endpoint (a checkpoint, a proof, the clock, the
/// API document): anyone may call it, but a token, if one is sent, must be
/// valid, so that a malformed, unknown or revoked token gets the same 401
/// on every endpoint and is never silently ignored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Public;

impl FromRequestParts<Arc<AppState>> for Public {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<AppState>,
    ) -> Result<Self, ApiError> {
        <Caller as axum::extract::OptionalFromRequestParts<Arc<AppState>>>::from_request_parts(
            parts, state,
        )
        .await
        .map(|_| Self)
    }
}

/// A caller's roles in one group.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Roles {
    /// Secretariat of every group (the server-wide administrator).
    pub server_secretariat: bool,
    /// Secretariat of this group.
    pub secretariat: bool,
    /// The chair in office.
    pub chair: bool,
    /// An appointed appeal reviewer.
    pub reviewer: bool,
    /// A person registered in the group for an organisation.
    pub delegate: bool,
}

/// What a request asks to do. Each handler names its action; [`allowed`] is
/// the whole policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Create accounts and tokens, revoke tokens, grant secretariat roles.
    ManageAccounts,
    /// Create a group.
    CreateGroup,
    /// Move a simulated clock.
    MoveClock,
    /// Read a group's registry and its log's entry bundles.
    ReadGroup,
    /// Change a group's registry (organisations, persons, keys, meetings,
    /// attendance, chair, reviewers).
    WriteRegistry,
    /// See the names and e-mail addresses of a group's persons, which live
    /// in their accounts and never in the log (SPEC section 3).
    ReadPersonalData,
    /// Submit the chair's signed announcement of a ballot (SPEC section 1:
    /// the chair drafts and announces; the note's signature must be the
    /// chair's too).
    AnnounceBallot,
    /// Cancel a ballot before its opening: the chair, or the secretariat
    /// that keeps the group's affairs.
    CancelBallot,
    /// Cast a vote: a person registered in the group (SPEC section 6: the
    /// delegate's token, and the delegate's signature on the note).
    CastVote,
    /// Certify a tallied ballot (the chair, SPEC 2.1 item 10).
    CertifyBallot,
    /// Appeal a chair's decision (a person of the group; the fold checks
    /// that the organisation is an ISG Member or Participant).
    FileAppeal,
    /// Decide an appeal (an appeal reviewer).
    DecideAppeal,
    /// Ask the group's secretariat to register a key made in the browser
    /// (a person registered in the group, for their own key; the
    /// secretariat approves with [`Action::WriteRegistry`]).
    RequestKey,
    /// See how the group's notices by e-mail stand (the outbox): the
    /// group's secretariat and the server's.
    ReadOutbox,
}

/// The authorisation table: which roles may do what. Reading a checkpoint,
/// a hash tile or a proof needs no role (witnesses need them, and they
/// reveal nothing).
pub fn allowed(action: Action, roles: Roles) -> bool {
    let member = roles.secretariat || roles.chair || roles.reviewer || roles.delegate;
    match action {
        Action::ManageAccounts | Action::CreateGroup | Action::MoveClock => {
            roles.server_secretariat
        }
        Action::ReadGroup => member || roles.server_secretariat,
        Action::WriteRegistry | Action::ReadPersonalData | Action::ReadOutbox => {
            roles.secretariat || roles.server_secretariat
        }
        Action::AnnounceBallot => roles.chair,
        Action::CancelBallot => roles.chair || roles.secretariat || roles.server_secretariat,
        Action::CastVote => roles.delegate,
        Action::CertifyBallot => roles.chair,
        Action::FileAppeal => roles.delegate,
        Action::DecideAppeal => roles.reviewer,
        Action::RequestKey => roles.delegate,
    }
}

/// Refuses with 403 unless the table allows `action` for `roles`.
pub fn require(action: Action, roles: Roles) -> Result<(), ApiError> {
    if allowed(action, roles) {
        Ok(())
    } else {
        Err(ApiError::Forbidden(format!(
            "your roles do not allow this ({action:?})"
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_prefixed_and_stored_hashed() {
        let a = NewToken::generate().expect("entropy");
        let b = NewToken::generate().expect("entropy");
        assert_ne!(a.text, b.text);
        assert!(a.text.starts_with(TOKEN_PREFIX));
        assert_eq!(a.text.len(), TOKEN_PREFIX.len() + 43);
        assert_eq!(a.hash, token_hash(&a.text));
        assert!(!format!("{a:?}").contains(&a.text));
    }

    #[test]
    fn the_table_gives_each_role_only_its_actions() {
        let none = Roles::default();
        let delegate = Roles {
            delegate: true,
            ..none
        };
        let secretariat = Roles {
            secretariat: true,
            ..none
        };
        let admin = Roles {
            server_secretariat: true,
            ..none
        };
        for action in [
            Action::ManageAccounts,
            Action::CreateGroup,
            Action::MoveClock,
            Action::ReadGroup,
            Action::WriteRegistry,
            Action::ReadPersonalData,
            Action::ReadOutbox,
        ] {
            assert!(!allowed(action, none), "{action:?}");
            assert!(allowed(action, admin), "{action:?}");
        }
        assert!(allowed(Action::ReadGroup, delegate));
        assert!(!allowed(Action::WriteRegistry, delegate));
        assert!(allowed(Action::WriteRegistry, secretariat));
        assert!(!allowed(Action::ReadPersonalData, delegate));
        assert!(allowed(Action::ReadPersonalData, secretariat));
        assert!(!allowed(Action::ReadOutbox, delegate));
        assert!(allowed(Action::ReadOutbox, secretariat));
        assert!(!allowed(Action::CreateGroup, secretariat));
    }
}
