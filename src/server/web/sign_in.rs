//! Signing in with a token the secretariat issued, or with a one-time
//! link sent by e-mail (`commands::sign_in_links`), and signing out.
//!
//! A link opens a page ([`link_page`]) whose button posts it
//! ([`link_submit`]): a GET never uses a link, so a mail scanner that
//! fetches the links of a message in advance does not spend it. Asking for
//! a link ([`request_link`]) is answered the same whether or not the
//! address is known (the link is made and sent after the answer), and is
//! rate limited per client address and per person.
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
    /// Whether links by e-mail are offered (mail leaves this server).
    link_offered: bool,
    /// Set after a link was asked for.
    link_sent: bool,
    /// Why the address was refused: `missing`, or empty.
    email_error: &'static str,
    /// How long a link works, in minutes.
    link_minutes: i64,
}

#[derive(Template)]
#[template(path = "sign_in_link.html")]
struct LinkPage {
    chrome: Chrome,
    /// The form's CSRF token.
    form_csrf: String,
    /// The link, posted back by the button.
    link: String,
    /// The link was refused (unknown, expired or used).
    refused: bool,
}

/// The fields of the form that asks for a link.
#[derive(Deserialize)]
pub struct LinkRequestForm {
    csrf: String,
    email: String,
}

/// The query of a link's page, and the fields of its form.
#[derive(Deserialize)]
pub struct LinkForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    link: String,
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

/// What the sign-in page says besides its forms.
#[derive(Default, Clone, Copy)]
struct Shown {
    token_error: &'static str,
    form_error: &'static str,
    signed_out: bool,
    link_sent: bool,
    email_error: &'static str,
}

/// The sign-in form with a fresh sign-in cookie, answered with `status`.
fn form_page(
    state: &AppState,
    status: StatusCode,
    token_error: &'static str,
    form_error: &'static str,
    signed_out: bool,
) -> Result<Response, WebError> {
    form_page_with(
        state,
        status,
        Shown {
            token_error,
            form_error,
            signed_out,
            ..Shown::default()
        },
    )
}

/// [`form_page`] with everything it may say.
fn form_page_with(
    state: &AppState,
    status: StatusCode,
    shown: Shown,
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
            token_error: shown.token_error,
            form_error: shown.form_error,
            signed_out: shown.signed_out,
            link_offered: state.web.mailer().is_some(),
            link_sent: shown.link_sent,
            email_error: shown.email_error,
            link_minutes: state.web.link_seconds / 60,
        },
    );
    with_sign_in_cookie(state, &mut response, &secret);
    Ok(response)
}

/// Adds the sign-in form's cookie (the secret its CSRF token derives from).
fn with_sign_in_cookie(state: &AppState, response: &mut Response, secret: &Secret) {
    response.headers_mut().append(
        header::SET_COOKIE,
        session::set_cookie(
            SIGN_IN_COOKIE,
            &secret.to_cookie(),
            SIGN_IN_SECONDS,
            state.web.secure_cookies,
        ),
    );
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
    tracing::info!(%person, "web: signed in");
    signed_in(&state, hash, &person).await
}

/// Opens a session for `person` on the token `hash`, sets its cookie,
/// clears the sign-in cookie and goes home.
async fn signed_in(
    state: &AppState,
    hash: crate::tlog::Hash,
    person: &str,
) -> Result<Response, WebError> {
    let id = Session::open(state, hash, person).await?;
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

/// Whether the request's sign-in cookie matches the posted CSRF token.
fn sign_in_csrf_ok(headers: &HeaderMap, posted: &str) -> bool {
    session::cookie(headers, SIGN_IN_COOKIE)
        .and_then(Secret::from_cookie)
        .map(|secret| CsrfToken::derive(SIGN_IN_CSRF_CONTEXT, secret.bytes()))
        .is_some_and(|t| t.matches(posted))
}

/// Refuses a request over the client address's budget in `limiter`.
fn over_budget(
    extensions: &axum::http::Extensions,
    limiter: &crate::server::rate_limit::Limiter<std::net::IpAddr>,
) -> Result<(), WebError> {
    if let Some(ConnectInfo(peer)) = extensions.get::<ConnectInfo<SocketAddr>>()
        && let Err(wait) = limiter.check(address_key(peer.ip()))
    {
        return Err(WebError::TooMany(wait.seconds()));
    }
    Ok(())
}

/// `POST /sign-in/request-link`: a person asks for a link to an address.
/// The answer is the same whether or not the address is known: the link
/// is made and sent after it.
pub async fn request_link(
    State(state): State<Arc<AppState>>,
    extensions: axum::http::Extensions,
    headers: HeaderMap,
    form: Result<Form<LinkRequestForm>, FormRejection>,
) -> Result<Response, WebError> {
    over_budget(&extensions, &state.web.link_requests)?;
    let Ok(Form(form)) = form else {
        return form_page(&state, StatusCode::BAD_REQUEST, "", "expired", false);
    };
    if !sign_in_csrf_ok(&headers, &form.csrf) {
        return form_page(&state, StatusCode::BAD_REQUEST, "", "expired", false);
    }
    let email = form.email.trim().to_owned();
    if email.is_empty() {
        let shown = Shown {
            email_error: "missing",
            ..Shown::default()
        };
        return form_page_with(&state, StatusCode::UNPROCESSABLE_ENTITY, shown);
    }
    if state.web.mailer().is_some() && email.len() <= 254 {
        let state = Arc::clone(&state);
        tokio::spawn(async move {
            crate::server::commands::sign_in_links::request(&state, &email).await;
        });
    }
    let shown = Shown {
        link_sent: true,
        ..Shown::default()
    };
    form_page_with(&state, StatusCode::OK, shown)
}

/// The page of a link: its button posts the link (`refused` once it was
/// refused), with a fresh sign-in cookie for the form's CSRF token.
fn link_response(
    state: &AppState,
    status: StatusCode,
    link: &str,
    refused: bool,
) -> Result<Response, WebError> {
    let secret = Secret::generate()?;
    let csrf = CsrfToken::derive(SIGN_IN_CSRF_CONTEXT, secret.bytes());
    let mut response = page(
        status,
        &LinkPage {
            chrome: Chrome {
                current: "sign-in",
                ..Chrome::default()
            },
            form_csrf: csrf.as_str().to_owned(),
            link: link.to_owned(),
            refused,
        },
    );
    with_sign_in_cookie(state, &mut response, &secret);
    Ok(response)
}

/// `GET /sign-in/link?link=…`: the page with the button; the link is not
/// used here.
pub async fn link_page(
    State(state): State<Arc<AppState>>,
    query: Result<axum::extract::Query<LinkForm>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, WebError> {
    let link = query.map(|q| q.0.link).unwrap_or_default();
    if link.is_empty() || link.len() > 128 {
        return link_response(&state, StatusCode::NOT_FOUND, "", true);
    }
    link_response(&state, StatusCode::OK, &link, false)
}

/// `POST /sign-in/link`: uses the link once and opens a session.
pub async fn link_submit(
    State(state): State<Arc<AppState>>,
    extensions: axum::http::Extensions,
    headers: HeaderMap,
    form: Result<Form<LinkForm>, FormRejection>,
) -> Result<Response, WebError> {
    over_budget(&extensions, &state.web.sign_in)?;
    let Ok(Form(form)) = form else {
        return link_response(&state, StatusCode::BAD_REQUEST, "", true);
    };
    if !sign_in_csrf_ok(&headers, &form.csrf) {
        // The page expired or came from elsewhere: shown again, the link
        // unused.
        return link_response(&state, StatusCode::BAD_REQUEST, &form.link, false);
    }
    let redeemed = crate::server::commands::sign_in_links::redeem(&state, &form.link)
        .await
        .map_err(|e| WebError::Internal(e.to_string()))?;
    let Some((person, hash)) = redeemed else {
        tokio::time::sleep(FAILURE_DELAY).await;
        return link_response(&state, StatusCode::GONE, "", true);
    };
    tracing::info!(%person, "web: signed in with a link");
    signed_in(&state, hash, &person).await
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
