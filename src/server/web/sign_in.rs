//! Signing in with a token the secretariat issued, and signing out.
//!
//! The token is checked exactly as the API checks a bearer token (its form,
//! then [`crate::server::access::AccessCache::person`] on its hash). Every
//! attempt counts against the client address's sign-in budget
//! ([`super::WebState::sign_in`]) and a refused token is answered only after
//! [`FAILURE_DELAY`], so that guessing is slow. The token is never logged,
//! never put back into the page, and never kept: the session stands on its
//! hash.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration as StdDuration;

use askama::Template;
use axum::Form;
use axum::extract::rejection::FormRejection;
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::WebError;
use super::csrf::{CsrfToken, SIGN_IN_CSRF_CONTEXT};
use super::render::{Chrome, page};
use super::session::{self, ABSOLUTE_SECONDS, COOKIE, Secret, Session};
use crate::server::AppState;
use crate::server::auth::token_hash;
use crate::server::rate_limit::address_key;

/// The cookie of the sign-in form's CSRF token (module [`super::csrf`]).
const SIGN_IN_COOKIE: &str = "scrutineer_sign_in";

/// How long the sign-in form stays usable: an hour.
const SIGN_IN_SECONDS: i64 = 60 * 60;

/// How long a refused sign-in waits before its answer.
const FAILURE_DELAY: StdDuration = StdDuration::from_millis(750);

/// The prefix and the longest length of a token (`auth.rs`).
const TOKEN_PREFIX: &str = "scr_";
const TOKEN_MAX: usize = 128;

#[derive(Template)]
#[template(path = "sign_in.html")]
struct SignIn {
    chrome: Chrome,
    /// The form's CSRF token.
    form_csrf: String,
    /// Why the token was refused: `missing`, `malformed`, `unknown`, or
    /// empty.
    token_error: &'static str,
    /// Why the form was refused as a whole: `expired`, or empty.
    form_error: &'static str,
    /// Set after a sign-out.
    signed_out: bool,
}

/// The fields of the sign-in form.
#[derive(Deserialize)]
pub struct SignInForm {
    csrf: String,
    token: String,
}

/// The fields of the sign-out form.
#[derive(Deserialize)]
pub struct SignOutForm {
    csrf: String,
}

/// The sign-in form with a fresh sign-in cookie, answered with `status`.
fn form_page(
    state: &AppState,
    status: StatusCode,
    token_error: &'static str,
    form_error: &'static str,
    signed_out: bool,
) -> Result<Response, WebError> {
    let secret = Secret::generate()?;
    let csrf = CsrfToken::derive(SIGN_IN_CSRF_CONTEXT, secret.bytes());
    let mut response = page(
        status,
        &SignIn {
            chrome: Chrome {
                current: "sign-in",
                ..Chrome::default()
            },
            form_csrf: csrf.as_str().to_owned(),
            token_error,
            form_error,
            signed_out,
        },
    );
    response.headers_mut().append(
        header::SET_COOKIE,
        session::set_cookie(
            SIGN_IN_COOKIE,
            &secret.to_cookie(),
            SIGN_IN_SECONDS,
            state.web.secure_cookies,
        ),
    );
    Ok(response)
}

/// `GET /sign-in`: the form (or home, when already signed in).
pub async fn form(
    State(state): State<Arc<AppState>>,
    session: Option<Session>,
    query: axum::extract::RawQuery,
) -> Result<Response, WebError> {
    if session.is_some() {
        return Ok(Redirect::to("/").into_response());
    }
    let signed_out = query.0.as_deref() == Some("signed-out");
    form_page(&state, StatusCode::OK, "", "", signed_out)
}

/// `POST /sign-in`: checks the form's CSRF token and the token, opens a
/// session and goes home.
pub async fn submit(
    State(state): State<Arc<AppState>>,
    extensions: axum::http::Extensions,
    headers: HeaderMap,
    form: Result<Form<SignInForm>, FormRejection>,
) -> Result<Response, WebError> {
    if let Some(ConnectInfo(peer)) = extensions.get::<ConnectInfo<SocketAddr>>()
        && let Err(wait) = state.web.sign_in.check(address_key(peer.ip()))
    {
        return Err(WebError::TooMany(wait.seconds()));
    }
    let Ok(Form(form)) = form else {
        return form_page(&state, StatusCode::BAD_REQUEST, "missing", "", false);
    };
    let expected = session::cookie(&headers, SIGN_IN_COOKIE)
        .and_then(Secret::from_cookie)
        .map(|secret| CsrfToken::derive(SIGN_IN_CSRF_CONTEXT, secret.bytes()));
    if !expected.is_some_and(|t| t.matches(&form.csrf)) {
        return form_page(&state, StatusCode::BAD_REQUEST, "", "expired", false);
    }
    let token = form.token.trim();
    if token.is_empty() {
        return form_page(
            &state,
            StatusCode::UNPROCESSABLE_ENTITY,
            "missing",
            "",
            false,
        );
    }
    if !token.starts_with(TOKEN_PREFIX) || token.len() >= TOKEN_MAX {
        tokio::time::sleep(FAILURE_DELAY).await;
        return form_page(
            &state,
            StatusCode::UNPROCESSABLE_ENTITY,
            "malformed",
            "",
            false,
        );
    }
    let hash = token_hash(token);
    let Some(person) = state.access.person(&state.store, &hash).await? else {
        tokio::time::sleep(FAILURE_DELAY).await;
        return form_page(&state, StatusCode::UNAUTHORIZED, "unknown", "", false);
    };
    let id = Session::open(&state, hash, &person).await?;
    tracing::info!(%person, "web: signed in");
    let mut response = Redirect::to("/").into_response();
    let secure = state.web.secure_cookies;
    let cookies = response.headers_mut();
    cookies.append(
        header::SET_COOKIE,
        session::set_cookie(COOKIE, &id.to_cookie(), ABSOLUTE_SECONDS, secure),
    );
    cookies.append(
        header::SET_COOKIE,
        session::set_cookie(SIGN_IN_COOKIE, "", 0, secure),
    );
    Ok(response)
}

/// `POST /sign-out`: ends the session (CSRF-checked) and clears its
/// cookie.
pub async fn sign_out(
    State(state): State<Arc<AppState>>,
    session: Session,
    form: Result<Form<SignOutForm>, FormRejection>,
) -> Result<Response, WebError> {
    session.checked_form(form, |f| f.csrf.as_str())?;
    state.store.delete_session(session.id_hash()).await?;
    let mut response = Redirect::to("/sign-in?signed-out").into_response();
    response.headers_mut().append(
        header::SET_COOKIE,
        session::set_cookie(COOKIE, "", 0, state.web.secure_cookies),
    );
    Ok(response)
}
