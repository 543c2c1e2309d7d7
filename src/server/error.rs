//! The API's one error type, rendered as RFC 9457 problem details.
//!
//! Each variant documents its HTTP status. A problem's `type` is a stable
//! URN, `urn:scrutineer:problem:<code>`, that clients may match on; `detail`
//! says what was wrong in a sentence. A 5xx body is generic: the detail
//! goes to the server's log, never to the client.

use axum::extract::rejection::{BytesRejection, JsonRejection, QueryRejection};
use axum::extract::{FromRequest, Request};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;
use serde_json::json;

use super::commands::CommandError;
use super::sequencer::{AppendError, Refused, RefusedKind};
use crate::store::StoreError;

/// Everything a handler can answer instead of success.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// 401: no bearer token, or one that is unknown or revoked.
    #[error("a valid bearer token is required")]
    Unauthenticated,
    /// 403: the caller's roles in this group do not allow the action.
    #[error("{0}")]
    Forbidden(String),
    /// 404: the resource does not exist (or is not visible to the caller).
    #[error("{0}")]
    NotFound(String),
    /// 405: the resource does not take the request's method; the router
    /// adds the `Allow` header listing those it takes (RFC 9110 15.5.6).
    #[error("this resource does not take that method; the Allow header lists those it takes")]
    MethodNotAllowed,
    /// 400: the request is malformed (JSON, fields, types, query, path).
    #[error("{detail}")]
    BadRequest {
        /// A stable code.
        code: &'static str,
        /// What is wrong.
        detail: String,
    },
    /// 413: the body is larger than the configured limit.
    #[error("the request body is larger than the limit")]
    TooLarge,
    /// 415: the body's media type is not the one expected.
    #[error("{0}")]
    UnsupportedMediaType(String),
    /// 409, 422, 404 or 403, as its kind says: the log refused the change
    /// (a conflict with its state, a change the rules do not allow,
    /// something named that does not exist, a statement signed by another
    /// person than the caller).
    #[error(transparent)]
    Refused(Refused),
    /// 429: the write budget of the caller's address or person is spent
    /// (`rate_limit.rs`); nothing was written. `Retry-After` says, in whole
    /// seconds, when the next write is allowed.
    #[error("too many writes from this {whose}; try again in {retry_after} s")]
    RateLimited {
        /// `address` or `person`.
        whose: &'static str,
        /// Seconds until the next write is allowed (at least 1).
        retry_after: u64,
    },
    /// 503: the log is not served, or its storage is unavailable; nothing
    /// was recorded unless the detail says the outcome is unknown.
    #[error("{0}")]
    Unavailable(String),
    /// 503 `log-being-checked`: the group's log is being checked since the
    /// server started (`checks.rs`) and is not served until the check
    /// ends; `Retry-After` says when to ask again. Carries the group id.
    #[error(
        "the log of group {0:?} is being checked since the server started; it is served once \
         its check ends (see /readyz)"
    )]
    Checking(String),
    /// 504: the request took longer than the configured limit.
    #[error("the request took too long")]
    Timeout,
    /// 500: a bug or an unexpected storage failure. The body is generic.
    #[error("internal error: {0}")]
    Internal(String),
}

impl ApiError {
    /// 400 with a code and a detail.
    pub fn bad_request(code: &'static str, detail: impl Into<String>) -> Self {
        Self::BadRequest {
            code,
            detail: detail.into(),
        }
    }

    fn parts(&self) -> (StatusCode, &'static str, &'static str) {
        match self {
            Self::Unauthenticated => (
                StatusCode::UNAUTHORIZED,
                "unauthenticated",
                "Unauthenticated",
            ),
            Self::Forbidden(_) => (StatusCode::FORBIDDEN, "forbidden", "Forbidden"),
            Self::NotFound(_) => (StatusCode::NOT_FOUND, "not-found", "Not found"),
            Self::MethodNotAllowed => (
                StatusCode::METHOD_NOT_ALLOWED,
                "method-not-allowed",
                "Method not allowed",
            ),
            Self::BadRequest { code, .. } => (StatusCode::BAD_REQUEST, code, "Bad request"),
            Self::TooLarge => (
                StatusCode::PAYLOAD_TOO_LARGE,
                "too-large",
                "Request too large",
            ),
            Self::UnsupportedMediaType(_) => (
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported-media-type",
                "Unsupported media type",
            ),
            Self::Refused(refused) => match refused.kind {
                RefusedKind::NotFound => (StatusCode::NOT_FOUND, refused.code, "Not found"),
                kind => (refused_status(kind), refused.code, "Refused"),
            },
            Self::RateLimited { .. } => (
                StatusCode::TOO_MANY_REQUESTS,
                "rate-limited",
                "Too many requests",
            ),
            Self::Unavailable(_) => (
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                "Unavailable",
            ),
            Self::Checking(_) => (
                StatusCode::SERVICE_UNAVAILABLE,
                "log-being-checked",
                "Being checked",
            ),
            Self::Timeout => (StatusCode::GATEWAY_TIMEOUT, "timeout", "Timeout"),
            Self::Internal(_) => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "Internal error",
            ),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code, title) = self.parts();
        let detail = if status.is_server_error() && status != StatusCode::SERVICE_UNAVAILABLE {
            tracing::error!(error = %self, "request failed");
            "the server could not complete the request; the event is in its log".to_owned()
        } else {
            self.to_string()
        };
        let body = json!({
            "type": format!("urn:scrutineer:problem:{code}"),
            "title": title,
            "status": status.as_u16(),
            "detail": detail,
        });
        let mut response = (status, axum::Json(body)).into_response();
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        if let Self::Checking(_) = self {
            response.headers_mut().insert(
                header::RETRY_AFTER,
                HeaderValue::from(super::checks::RETRY_AFTER_SECS),
            );
        }
        if let Self::RateLimited { retry_after, .. } = self {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(retry_after));
        }
        if status == StatusCode::UNAUTHORIZED {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        response
    }
}

/// The HTTP status of a refusal of its kind, for every front end.
pub fn refused_status(kind: RefusedKind) -> StatusCode {
    match kind {
        RefusedKind::Invalid => StatusCode::UNPROCESSABLE_ENTITY,
        RefusedKind::Conflict | RefusedKind::AlreadyDone => StatusCode::CONFLICT,
        RefusedKind::NotFound => StatusCode::NOT_FOUND,
        RefusedKind::Forbidden => StatusCode::FORBIDDEN,
    }
}

impl From<CommandError> for ApiError {
    fn from(error: CommandError) -> Self {
        match error {
            CommandError::Log(error) => error.into(),
            CommandError::Store(error) => error.into(),
            CommandError::Unavailable(message) => Self::Unavailable(message),
            CommandError::Internal(message) => Self::Internal(message),
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::Database(sqlx::Error::PoolTimedOut) => {
                Self::Unavailable("the database is busy; try again".to_owned())
            }
            other => Self::Internal(other.to_string()),
        }
    }
}

impl From<AppendError> for ApiError {
    fn from(error: AppendError) -> Self {
        match error {
            AppendError::Refused(refused) => Self::Refused(refused),
            // A failed or unknown commit is said in general terms; its
            // cause (storage's own words) goes to the server's log only.
            AppendError::BatchFailed(cause) => {
                tracing::error!(%cause, "a batch failed: nothing was recorded");
                Self::Unavailable(
                    "the log could not be written (nothing was recorded); try again".to_owned(),
                )
            }
            AppendError::Unknown(cause) => {
                tracing::error!(%cause, "a commit's outcome is unknown");
                Self::Unavailable(
                    "the outcome of the write is unknown: read the log to see whether it was \
                     recorded, or send the same request again"
                        .to_owned(),
                )
            }
            // Why a log is not served is the operator's and the auditors'
            // business, and contains no storage text: it is said.
            other @ (AppendError::Halted(_) | AppendError::ShuttingDown) => {
                Self::Unavailable(other.to_string())
            }
        }
    }
}

impl From<JsonRejection> for ApiError {
    fn from(rejection: JsonRejection) -> Self {
        match rejection {
            JsonRejection::MissingJsonContentType(_) => Self::UnsupportedMediaType(
                "the body must be JSON with Content-Type: application/json".to_owned(),
            ),
            JsonRejection::BytesRejection(bytes) => bytes_rejection(&bytes),
            // Syntax and data errors name the line, column and field.
            other => Self::bad_request("malformed-json", other.body_text()),
        }
    }
}

impl From<BytesRejection> for ApiError {
    fn from(rejection: BytesRejection) -> Self {
        bytes_rejection(&rejection)
    }
}

impl From<QueryRejection> for ApiError {
    fn from(rejection: QueryRejection) -> Self {
        Self::bad_request("malformed-query", rejection.body_text())
    }
}

fn bytes_rejection(rejection: &BytesRejection) -> ApiError {
    if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::TooLarge
    } else {
        ApiError::bad_request("unreadable-body", rejection.body_text())
    }
}

/// A JSON body whose rejections are problem details. Request types use
/// `#[serde(deny_unknown_fields)]`, so an unknown member is a 400 naming it.
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ApiError> {
        let axum::Json(value) = axum::Json::<T>::from_request(request, state).await?;
        Ok(Self(value))
    }
}
