//! The web application: the pages people use in a browser, served at `/` on
//! the API's listener (SPEC section 8).
//!
//! HTML is rendered on the server from askama templates (`templates/`,
//! compiled into the binary, auto-escaped); every action is a real `<form>`
//! that works without JavaScript, except the steps that need a private key,
//! which one first-party ES module does in the browser
//! (`static/scrutineer.js`). Nothing is loaded from another origin.
//!
//! The same rule as the API holds: handlers translate, the pure core
//! decides. A page reads a group through the same functions as the JSON
//! API (`AppState::log`, `api::roles`, the log's fold) and writes through
//! the same paths (a key request approved through the API is registered by
//! the same function as `POST …/persons/{person}/keys`).
//!
//! Layout, one file per concern:
//!
//! - [`session`]: sign-in sessions (cookie, hashed id, expiry, revocation).
//! - [`csrf`]: the token every POST form carries.
//! - [`flash`]: what a change said, shown once on the page its form
//!   post redirects to (Post/Redirect/Get).
//! - [`headers`]: the security headers of every response (CSP and others).
//! - [`assets`]: the embedded stylesheet and ES module.
//! - [`sign_in`]: signing in with a token or a one-time link by e-mail,
//!   and out.
//! - [`pages`]: home and ballot pages; [`view`] the data they show.
//! - [`vote`]: votes signed in the browser, cast through
//!   `commands::votes::cast` like the API's.
//! - [`keys`]: the keys page and key requests.
//! - [`check`]: the public receipt check and the log keys it pins.
//! - [`registry`]: the secretariat's pages of a group's registry, through
//!   the same commands as the API's registry.
//! - [`accounts`]: the server secretariat's accounts, tokens and grants.
//! - [`announce`]: the chair drafts, reviews and signs an announcement,
//!   submitted through `commands::ballots::announce` like the API's.
//! - [`notice`]: the notice rule applied to the draft's kind and dates
//!   while the chair types, by the rules' own schedule check.
//! - [`review`]: the chair certifies, a member appeals, a reviewer
//!   decides: statements signed in the browser, submitted through
//!   `commands::review` like the API's.
//! - [`what_if`]: the roll a ballot opening at a chosen instant would
//!   freeze, written nowhere.
//! - [`deliveries`]: the secretariat's page of a group's e-mail
//!   deliveries, from the same command as the API's outbox.
//! - [`render`]: templates into responses, and the error page.

mod accounts;
mod announce;
mod assets;
mod check;
mod csrf;
mod deliveries;
mod flash;
mod headers;
mod keys;
mod notice;
mod pages;
mod registry;
mod render;
mod review;
pub(crate) mod session;
mod sign_in;
mod view;
mod vote;
mod what_if;

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration as StdDuration;

use axum::Router;
use axum::extract::{DefaultBodyLimit, Request};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};

use super::AppState;
use super::config::Config;
use super::rate_limit::{Budget, Limiter};

pub use render::WebError;

/// The largest form the web application accepts: a verifier key and a few
/// short fields.
const MAX_FORM_BYTES: usize = 16 * 1024;

/// Sign-in attempts allowed per client address: a burst of
/// [`SIGN_IN_BURST`], then one a second. A person who mistypes a token a
/// few times never notices; guessing tokens (256 random bits) was hopeless
/// anyway, and this keeps a script from trying quickly.
const SIGN_IN_RATE: u32 = 1;
const SIGN_IN_BURST: u32 = 10;

/// Requests for a sign-in link allowed per client address: a burst of
/// three, then one a second (each also counts against the person's hourly
/// cap, `commands::sign_in_links::LINKS_PER_HOUR`).
const LINK_REQUEST_RATE: u32 = 1;
const LINK_REQUEST_BURST: u32 = 3;

/// What the web application keeps beside the API's state.
pub struct WebState {
    /// Whether cookies carry `Secure` (`--secure-cookies`: the server is
    /// reached over HTTPS through a proxy).
    pub secure_cookies: bool,
    /// Sign-in attempts per client address (`rate_limit.rs`'s GCRA).
    pub sign_in: Limiter<IpAddr>,
    /// What the last change said, per session, for the page it redirected
    /// to (Post/Redirect/Get).
    pub flashes: flash::Flashes,
    /// Requests for a sign-in link per client address.
    pub link_requests: Limiter<IpAddr>,
    /// How long a sign-in link works, in seconds of real time
    /// (`--sign-in-link-seconds`).
    pub link_seconds: i64,
    /// The mail dispatcher, set once by `serve` (sign-in links and votes'
    /// receipts are sent through it).
    pub dispatcher: std::sync::OnceLock<Arc<super::mail::Dispatcher>>,
    /// The largest announcement with its documents (`--max-upload-bytes`),
    /// which the announcement page tells the module.
    pub max_upload_bytes: usize,
}

impl WebState {
    /// The web settings of a server.
    pub fn new(config: &Config) -> Self {
        Self {
            secure_cookies: config.secure_cookies(),
            sign_in: Limiter::new(Budget::new(SIGN_IN_RATE, SIGN_IN_BURST)),
            flashes: flash::Flashes::default(),
            link_requests: Limiter::new(Budget::new(LINK_REQUEST_RATE, LINK_REQUEST_BURST)),
            link_seconds: i64::try_from(config.sign_in_link_seconds.max(1)).unwrap_or(900),
            dispatcher: std::sync::OnceLock::new(),
            max_upload_bytes: config.max_upload_bytes,
        }
    }

    /// The dispatcher, if mail leaves this server (a relay is configured):
    /// sign-in links are never written to files.
    pub fn mailer(&self) -> Option<&Arc<super::mail::Dispatcher>> {
        self.dispatcher.get().filter(|d| d.sends())
    }
}

/// The web application's routes, each answered with the security headers
/// of [`headers`].
pub fn router(state: Arc<AppState>, config: &Config) -> Router {
    let timeout = StdDuration::from_secs(config.request_timeout_secs.max(1));
    Router::new()
        .route("/", get(pages::home))
        .route("/groups/{group}/ballots/{ballot}", get(pages::ballot))
        .route(
            "/groups/{group}/ballots/{ballot}/documents/{sha256}",
            get(pages::document),
        )
        .route(
            "/groups/{group}/ballots/{ballot}/vote",
            post(vote::cast).layer(DefaultBodyLimit::max(vote::MAX_VOTE_BYTES)),
        )
        .route("/sign-in", get(sign_in::form).post(sign_in::submit))
        .route("/sign-in/request-link", post(sign_in::request_link))
        .route(
            "/sign-in/link",
            get(sign_in::link_page).post(sign_in::link_submit),
        )
        .route("/sign-out", post(sign_in::sign_out))
        .route("/keys", get(keys::show))
        .route("/keys/requests", post(keys::request))
        .route("/check", get(check::page))
        .route("/groups/{group}/registry", get(registry::overview))
        .route("/groups/{group}/registry/{topic}", get(registry::show))
        .route(
            "/groups/{group}/registry/{topic}/{form}",
            post(registry::submit).layer(DefaultBodyLimit::max(registry::MAX_IMPORT_FORM_BYTES)),
        )
        .route("/groups/{group}/what-if", get(what_if::show))
        .route("/groups/{group}/deliveries", get(deliveries::show))
        .route(
            "/groups/{group}/announce",
            get(announce::form).post(announce::review),
        )
        .route("/groups/{group}/announce/dates", post(notice::fragment))
        .route(
            "/groups/{group}/ballots/{ballot}/cancel",
            post(announce::cancel),
        )
        .route(
            "/groups/{group}/announce/signed",
            // The documents voted on come with the signed note, base64,
            // under the API's upload limit.
            post(announce::submit).layer(DefaultBodyLimit::max(config.max_upload_bytes)),
        )
        .route(
            "/groups/{group}/ballots/{ballot}/certify",
            get(review::certify_page),
        )
        .route(
            "/groups/{group}/ballots/{ballot}/appeal",
            get(review::appeal_page).post(review::appeal_review),
        )
        .route(
            "/groups/{group}/ballots/{ballot}/appeals",
            get(review::appeals_page),
        )
        .route(
            "/groups/{group}/ballots/{ballot}/appeals/{appeal}",
            post(review::decision_review),
        )
        .route(
            "/groups/{group}/ballots/{ballot}/certify/signed",
            post(review::certify_signed).layer(DefaultBodyLimit::max(review::MAX_STATEMENT_BYTES)),
        )
        .route(
            "/groups/{group}/ballots/{ballot}/appeal/signed",
            post(review::appeal_signed).layer(DefaultBodyLimit::max(review::MAX_STATEMENT_BYTES)),
        )
        .route(
            "/groups/{group}/ballots/{ballot}/appeals/{appeal}/signed",
            post(review::decision_signed).layer(DefaultBodyLimit::max(review::MAX_STATEMENT_BYTES)),
        )
        .route("/accounts", get(accounts::show))
        .route("/accounts/{form}", post(accounts::submit))
        .route("/log-keys/{group}", get(check::log_key))
        .route("/witness-policy", get(check::witness_policy))
        .route("/static/app.css", get(assets::stylesheet))
        .route("/static/scrutineer.js", get(assets::module))
        .route("/static/icon.svg", get(assets::icon))
        .layer(DefaultBodyLimit::max(MAX_FORM_BYTES))
        .layer(middleware::from_fn(move |request: Request, next: Next| {
            time_limit(request, next, timeout)
        }))
        .layer(middleware::from_fn(headers::security_headers))
        .with_state(state)
}

/// The page for a path that neither the web application nor the API
/// knows, with the web application's security headers: a person who
/// mistypes an address sees a page, not a JSON problem. The API's own
/// paths (`/v1/…`) keep their JSON answer.
pub fn not_found_page() -> Response {
    let mut response = WebError::NotFound("no such page".to_owned()).into_response();
    headers::add_security_headers(&mut response);
    response
}

/// Answers with the time-out page when a request takes longer than the
/// server's limit.
async fn time_limit(request: Request, next: Next, limit: StdDuration) -> Response {
    match tokio::time::timeout(limit, next.run(request)).await {
        Ok(response) => response,
        Err(_) => WebError::Unavailable("the request took too long".to_owned()).into_response(),
    }
}
