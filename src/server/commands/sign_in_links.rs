//! One-time sign-in links by e-mail (SPEC sections 8 and 9): issued by the
//! secretariat for a person, or asked for by a person who gives an
//! address; opened, a link signs its person in once.
//!
//! A link is `<id>.<secret>`: a random 16-byte id (hex, the row's key, not
//! a secret) and a random 32-byte secret (base64url), of which only the
//! SHA-256 is stored and compared, in constant time. It signs in once
//! ([`crate::store::Store::use_sign_in_link`] marks it used in the same
//! statement that accepts it) and only for `--sign-in-link-seconds` of
//! real time. The link is never logged: it is in the e-mail only, and its
//! page carries `Referrer-Policy: no-referrer` like every page.
//!
//! A session needs a token to stand on (`web/session.rs`), so a link,
//! when used, issues the person a fresh token that nobody sees, labelled
//! `sign-in link`, which expires with the session's absolute expiry
//! (`web::session::ABSOLUTE_SECONDS` after the link is used); revoking the
//! person's tokens ends that session too.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use subtle::ConstantTimeEq as _;

use crate::server::AppState;
use crate::server::auth::NewToken;
use crate::server::sequencer::Refused;
use crate::store::sign_in_links::StoredLink;
use crate::time::Timestamp;
use crate::tlog::Hash;

use super::CommandError;

/// How many links may be made for one person in an hour, however asked:
/// enough for a few lost mails, too few to flood a mailbox.
pub const LINKS_PER_HOUR: u64 = 5;

/// The label of the token a used link issues.
const LINK_TOKEN_LABEL: &str = "sign-in link";

/// A link's text as it appears in the e-mail's URL and in the form of its
/// page.
pub struct LinkText(String);

impl LinkText {
    /// The text, to put into a URL or a form field; never into a log.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for LinkText {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LinkText(…)")
    }
}

/// The id and the secret of a link's text, if it has the form of one.
fn parse(text: &str) -> Option<(&str, [u8; 32])> {
    let (id, secret) = text.trim().split_once('.')?;
    let id_ok = id.len() == 32 && id.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
    if !id_ok || secret.len() != 43 {
        return None;
    }
    let bytes = URL_SAFE_NO_PAD.decode(secret).ok()?;
    Some((id, bytes.try_into().ok()?))
}

/// A link that was made and sent.
#[derive(Debug)]
pub struct Issued {
    /// The person.
    pub person: String,
    /// When it stops working (real time).
    pub expires_at: Timestamp,
}

/// Real time in Unix seconds: links expire on the wall clock, like
/// sessions, never on a simulated clock.
fn real_now() -> i64 {
    crate::server::clock::Clock::System.now().unix_seconds()
}

fn random<const N: usize>() -> Result<[u8; N], CommandError> {
    let mut bytes = [0u8; N];
    getrandom::fill(&mut bytes)
        .map_err(|e| CommandError::Internal(format!("no entropy for a sign-in link: {e}")))?;
    Ok(bytes)
}

/// Makes a link for `person` and sends it to the person's address: the
/// secretariat's action (`POST /v1/persons/{person}/sign-in-links`, the
/// accounts page). Refused when the person has no account or no address,
/// when mail is not configured to leave the server, or when
/// [`LINKS_PER_HOUR`] links were made for the person in the last hour.
pub async fn issue(state: &AppState, person: &str) -> Result<Issued, CommandError> {
    let Some(account) = state.store.account(person).await? else {
        return Err(Refused::not_found(format!("no person {person:?}")).into());
    };
    if account.email.trim().is_empty() {
        return Err(Refused::invalid(
            "no-address",
            format!("person {person:?} has no e-mail address"),
        )
        .into());
    }
    let Some(mailer) = state.web.mailer() else {
        return Err(Refused::conflict(
            "no-mail",
            "this server sends no mail (no --smtp-url); issue a token instead",
        )
        .into());
    };
    let now = real_now();
    if state.store.sign_in_links_since(person, now - 3600).await? >= LINKS_PER_HOUR {
        return Err(Refused::conflict(
            "too-many-links",
            format!("{LINKS_PER_HOUR} sign-in links were sent to {person:?} within the hour"),
        )
        .into());
    }
    let id: String = random::<16>()?.iter().map(|b| format!("{b:02x}")).collect();
    let secret = random::<32>()?;
    let text = LinkText(format!("{id}.{}", URL_SAFE_NO_PAD.encode(secret)));
    let lifetime = state.web.link_seconds;
    let expires_at = now.saturating_add(lifetime);
    state
        .store
        .delete_expired_sign_in_links(now - 24 * 3600)
        .await?;
    state
        .store
        .create_sign_in_link(&StoredLink {
            id: id.clone(),
            secret_hash: Hash::sha256(&secret),
            person: person.to_owned(),
            created_at: now,
            expires_at,
            used_at: None,
        })
        .await?;
    let expires = Timestamp::from_unix_nanos(i128::from(expires_at) * 1_000_000_000)
        .ok_or_else(|| CommandError::Internal("the expiry is out of range".to_owned()))?;
    mailer
        .send_sign_in_link(&account, &id, &text, expires, lifetime)
        .await
        .map_err(|e| {
            Refused::conflict("not-sent", format!("the sign-in link was not sent: {e}"))
        })?;
    tracing::info!(%person, "sign-in link sent");
    Ok(Issued {
        person: person.to_owned(),
        expires_at: expires,
    })
}

/// A person asks for a link to `email`: a link goes to each account with
/// that address (if mail leaves the server and the hourly cap allows). The
/// caller answers the same whatever happened, so that the answer does not
/// tell whether the address is known; nothing is returned for that reason,
/// and the work is done after the answer (`tokio::spawn` by the caller).
pub async fn request(state: &AppState, email: &str) {
    let accounts = match state.store.accounts_by_email(email).await {
        Ok(accounts) => accounts,
        Err(e) => {
            tracing::warn!(error = %e, "cannot look up a sign-in link request");
            return;
        }
    };
    for account in accounts {
        if let Err(e) = issue(state, &account.person).await {
            tracing::info!(person = %account.person, reason = %e, "sign-in link asked for, not sent");
        }
    }
}

/// Signs in with the link `text`, once: the person, and the hash of the
/// fresh token the session will stand on; `None` if the link is unknown,
/// malformed, expired or used (the caller does not say which).
pub async fn redeem(state: &AppState, text: &str) -> Result<Option<(String, Hash)>, CommandError> {
    let Some((id, secret)) = parse(text) else {
        return Ok(None);
    };
    let Some(stored) = state.store.sign_in_link(id).await? else {
        return Ok(None);
    };
    let matches: bool = Hash::sha256(&secret)
        .as_bytes()
        .ct_eq(stored.secret_hash.as_bytes())
        .into();
    let now = real_now();
    if !matches || stored.used_at.is_some() || now >= stored.expires_at {
        return Ok(None);
    }
    if !state.store.use_sign_in_link(id, now).await? {
        return Ok(None);
    }
    let token = NewToken::generate()
        .map_err(|e| CommandError::Internal(format!("no entropy for a token: {e}")))?;
    let at = state.clock.now().to_rfc3339_micros();
    // It lives no longer than the session it is made for: nobody ever
    // sees it, and a session ends at the latest then.
    state
        .store
        .insert_expiring_token(
            &token.hash,
            &stored.person,
            LINK_TOKEN_LABEL,
            &at,
            now.saturating_add(crate::server::web::session::ABSOLUTE_SECONDS),
        )
        .await?;
    Ok(Some((stored.person, token.hash)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_form_of_a_link_is_parsed() {
        let secret = URL_SAFE_NO_PAD.encode([7u8; 32]);
        let id = "0123456789abcdef0123456789abcdef";
        let text = format!("{id}.{secret}");
        let (got, bytes) = parse(&text).expect("a link");
        assert_eq!((got, bytes), (id, [7u8; 32]));
        assert!(parse(&format!("{id}{secret}")).is_none());
        assert!(parse(&format!("{}.{secret}", id.to_uppercase())).is_none());
        assert!(parse(&format!("{}.{secret}", &id[1..])).is_none());
        assert!(parse(&format!("{id}.{}", &secret[1..])).is_none());
        assert!(parse(&format!("{id}.{}A", secret)).is_none());
        assert!(!format!("{:?}", LinkText(format!("{id}.{secret}"))).contains(&secret));
    }
}
