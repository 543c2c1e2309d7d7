//! Templates into responses, and the web application's one error type.
//!
//! Every user-facing sentence is in a template (`templates/`), so that a
//! translation touches no code; a handler hands a template data and codes,
//! never assembled prose. The server's own detail of a refusal (the API's
//! problem `detail`) is shown as the server's reason, as the API shows it.

use askama::Template;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};

use crate::server::error::{ApiError, refused_status};
use crate::store::StoreError;
use crate::time::Timestamp;

/// What the layout shows around every page: who is signed in, the CSRF
/// token of the sign-out form, and which page is the current one.
#[derive(Debug, Clone, Default)]
pub struct Chrome {
    /// The signed-in person's id.
    pub person: Option<String>,
    /// The session's CSRF token (empty when signed out).
    pub csrf: String,
    /// The current page of the navigation (`home`, `keys`, `check`,
    /// `sign-in`), marked `aria-current`.
    pub current: &'static str,
}

/// Renders a template as an HTML answer with `status`.
pub fn page<T: Template>(status: StatusCode, template: &T) -> Response {
    match template.render() {
        Ok(html) => (
            status,
            [(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/html; charset=utf-8"),
            )],
            html,
        )
            .into_response(),
        Err(e) => WebError::Internal(format!("template: {e}")).into_response(),
    }
}

/// An instant as ISO 8601 UTC to the second, as pages show it
/// (`2026-07-15T00:00:00Z`).
pub fn iso(time: Timestamp) -> String {
    let text = time.to_rfc3339_micros();
    // RFC 3339 with six fractional digits: `YYYY-MM-DDTHH:MM:SS.ffffffZ`.
    match text.get(..19) {
        Some(seconds) => format!("{seconds}Z"),
        None => text,
    }
}

/// Everything a page handler can answer instead of its page. Each variant
/// documents its status.
#[derive(Debug, thiserror::Error)]
pub enum WebError {
    /// 303 to the sign-in page: no session, or it expired or its token
    /// was revoked.
    #[error("sign in first")]
    SignIn,
    /// 400: a malformed request (a form that could not be read, a CSRF
    /// token that does not match).
    #[error("{0}")]
    BadRequest(String),
    /// 403: the person's roles do not allow this.
    #[error("{0}")]
    Forbidden(String),
    /// 404: no such page, group or ballot (or not visible to the person).
    #[error("{0}")]
    NotFound(String),
    /// 409 or 422: the log refused the change; the server's reason.
    #[error("{message}")]
    Refused {
        /// 409 or 422, as the API answers.
        status: StatusCode,
        /// The refusal's code.
        code: &'static str,
        /// The server's reason.
        message: String,
    },
    /// 429: too many attempts from this address; `Retry-After` seconds.
    #[error("too many attempts")]
    TooMany(u64),
    /// 503: the group's log is not served or storage is unavailable, or
    /// the request took too long.
    #[error("{0}")]
    Unavailable(String),
    /// 503: the group's log is being checked since the server started
    /// (`checks.rs`); `Retry-After`. Carries the group id.
    #[error("the log of group {0:?} is being checked")]
    Checking(String),
    /// 500: a bug or an unexpected storage failure. The page is generic;
    /// the detail goes to the server's log.
    #[error("internal error: {0}")]
    Internal(String),
}

impl From<ApiError> for WebError {
    fn from(error: ApiError) -> Self {
        match error {
            ApiError::Unauthenticated => Self::SignIn,
            ApiError::Forbidden(m) => Self::Forbidden(m),
            ApiError::NotFound(m) => Self::NotFound(m),
            ApiError::BadRequest { detail, .. } | ApiError::UnsupportedMediaType(detail) => {
                Self::BadRequest(detail)
            }
            ApiError::MethodNotAllowed => Self::BadRequest(error.to_string()),
            ApiError::TooLarge => Self::BadRequest(error.to_string()),
            ApiError::Refused(r) => Self::Refused {
                status: refused_status(r.kind),
                code: r.code,
                message: r.message,
            },
            ApiError::RateLimited { retry_after, .. } => Self::TooMany(retry_after),
            ApiError::Unavailable(m) => Self::Unavailable(m),
            ApiError::Checking(group) => Self::Checking(group),
            ApiError::Timeout => Self::Unavailable(error.to_string()),
            ApiError::Internal(m) => Self::Internal(m),
        }
    }
}

impl From<StoreError> for WebError {
    fn from(error: StoreError) -> Self {
        ApiError::from(error).into()
    }
}

/// The error page.
#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    chrome: Chrome,
    /// The HTTP status, shown.
    status: u16,
    /// Which explanation the template gives: `bad-request`, `forbidden`,
    /// `not-found`, `refused`, `too-many`, `unavailable`, `checking`,
    /// `internal`.
    kind: &'static str,
    /// The server's detail (empty for an internal error).
    detail: String,
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        let (status, kind, detail) = match self {
            Self::SignIn => return Redirect::to("/sign-in").into_response(),
            Self::BadRequest(d) => (StatusCode::BAD_REQUEST, "bad-request", d),
            Self::Forbidden(d) => (StatusCode::FORBIDDEN, "forbidden", d),
            Self::NotFound(d) => (StatusCode::NOT_FOUND, "not-found", d),
            Self::Refused {
                status,
                code,
                message,
            } => (status, "refused", format!("{message} ({code})")),
            Self::TooMany(seconds) => {
                let mut response = page(
                    StatusCode::TOO_MANY_REQUESTS,
                    &ErrorPage {
                        chrome: Chrome::default(),
                        status: 429,
                        kind: "too-many",
                        detail: seconds.to_string(),
                    },
                );
                if let Ok(value) = HeaderValue::from_str(&seconds.to_string()) {
                    response.headers_mut().insert(header::RETRY_AFTER, value);
                }
                return response;
            }
            Self::Unavailable(d) => (StatusCode::SERVICE_UNAVAILABLE, "unavailable", d),
            Self::Checking(group) => {
                let mut response = page(
                    StatusCode::SERVICE_UNAVAILABLE,
                    &ErrorPage {
                        chrome: Chrome::default(),
                        status: 503,
                        kind: "checking",
                        detail: group,
                    },
                );
                response.headers_mut().insert(
                    header::RETRY_AFTER,
                    HeaderValue::from(crate::server::checks::RETRY_AFTER_SECS),
                );
                return response;
            }
            Self::Internal(d) => {
                tracing::error!(detail = %d, "web: internal error");
                (StatusCode::INTERNAL_SERVER_ERROR, "internal", String::new())
            }
        };
        page(
            status,
            &ErrorPage {
                chrome: Chrome::default(),
                status: status.as_u16(),
                kind,
                detail,
            },
        )
    }
}
