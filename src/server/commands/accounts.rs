//! Accounts and their tokens: who a person is to the server (a name and an
//! e-mail address, which never enter a log) and the bearer tokens they
//! sign in with. Tokens are stored hashed; the text is given once, to the
//! secretariat that issued it.

use crate::server::AppState;
use crate::server::auth::NewToken;
use crate::server::sequencer::Refused;
use crate::store::accounts::Account;

use super::CommandError;

/// A name, an e-mail address or a token label: at most 200 characters,
/// none of them a control character. `Err` names what is wrong.
pub fn check_text(text: &str) -> Result<(), &'static str> {
    if text.chars().count() > 200 {
        return Err("too-long");
    }
    if text.chars().any(char::is_control) {
        return Err("control");
    }
    Ok(())
}

/// Creates `account`; refused (`person-exists`, 409) if the id is taken.
/// The caller has checked its texts with [`check_text`].
pub async fn create(state: &AppState, account: &Account) -> Result<(), CommandError> {
    let now = state.clock.now().to_rfc3339_micros();
    if !state.store.create_account(account, &now).await? {
        return Err(Refused::conflict(
            "person-exists",
            format!("a person with id {:?} already exists", account.person),
        )
        .into());
    }
    Ok(())
}

/// Issues a new token for `person` under `label`; its text, which is
/// stored only hashed and must be handed to the person once.
pub async fn issue_token(
    state: &AppState,
    person: &str,
    label: &str,
) -> Result<String, CommandError> {
    if state.store.account(person).await?.is_none() {
        return Err(Refused::not_found(format!("no person {person:?}")).into());
    }
    let token = NewToken::generate()
        .map_err(|e| CommandError::Internal(format!("no entropy for a token: {e}")))?;
    let now = state.clock.now().to_rfc3339_micros();
    state
        .store
        .insert_token(&token.hash, person, label, &now)
        .await?;
    Ok(token.text)
}

/// Revokes every token of `person` (and so their sessions); how many.
pub async fn revoke_tokens(state: &AppState, person: &str) -> Result<u64, CommandError> {
    if state.store.account(person).await?.is_none() {
        return Err(Refused::not_found(format!("no person {person:?}")).into());
    }
    let now = state.clock.now().to_rfc3339_micros();
    let revoked = state.store.revoke_tokens(person, &now).await?;
    state.access.forget(person);
    Ok(revoked)
}

/// Makes `person` a secretariat of `group` (whose log must exist).
pub async fn grant_secretariat(
    state: &AppState,
    person: &str,
    group: &str,
) -> Result<(), CommandError> {
    if state.store.account(person).await?.is_none() {
        return Err(Refused::not_found(format!("no person {person:?}")).into());
    }
    state.store.grant_secretariat(person, group).await?;
    state.access.forget(person);
    Ok(())
}
