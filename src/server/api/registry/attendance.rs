//! Attendance at meetings.
//!
//! - `PUT /v1/groups/{group}/attendance` records one person's attendance at
//!   one meeting (an `attendance` entry; an upsert keyed by meeting and
//!   person); `DELETE …/attendance/{meeting}/{person}` removes one
//!   (`attendance-removed`); `GET …/attendance` lists them.
//! - `POST …/attendance/import` takes a registration export
//!   (`Content-Type: text/csv`, see [`crate::registry::csv`]) all or
//!   nothing: every row is validated first, and any faulty row answers 422
//!   with every row error in the problem's `errors` member and writes
//!   nothing; otherwise all rows are appended in one batch, atomically
//!   ([`crate::server::commands::registry::import`]), and validated once more
//!   on the state at their turn.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::{ApiPath, Written, authorise, id, read_registry};
use crate::id::{MeetingId, OrgId, PersonId};
use crate::registry::AttendanceRemoved;
use crate::registry::csv::ImportError;
use crate::registry::meeting::mode_text;
use crate::rules::{Attendance, AttendanceMode};
use crate::server::AppState;
use crate::server::api::LogReceipt;
use crate::server::auth::{Action, Caller};
use crate::server::commands;
use crate::server::error::{ApiError, ApiJson};

/// The attendance routes.
pub(super) fn router() -> Router<Arc<AppState>> {
    Router::new()
        .route("/v1/groups/{group}/attendance", get(list).put(put))
        .route("/v1/groups/{group}/attendance/import", post(import))
        .route(
            "/v1/groups/{group}/attendance/{meeting}/{person}",
            delete(remove),
        )
}

/// One attendance record.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AttendanceRequest {
    meeting: MeetingId,
    person: PersonId,
    /// The organisation represented there (SPEC section 5).
    organisation: OrgId,
    /// `physical` or `remote`.
    mode: AttendanceMode,
}

/// An attendance record as the API shows it.
#[derive(Serialize)]
struct AttendanceBody {
    meeting: String,
    person: String,
    organisation: String,
    mode: &'static str,
}

impl From<&Attendance> for AttendanceBody {
    fn from(a: &Attendance) -> Self {
        Self {
            meeting: a.meeting.as_str().to_owned(),
            person: a.person.as_str().to_owned(),
            organisation: a.organisation.as_str().to_owned(),
            mode: mode_text(a.mode),
        }
    }
}

/// What an import answers: how many entries, where they are, and the
/// checkpoint that covers them all.
#[derive(Serialize)]
struct ImportReceipt {
    /// The number of rows imported, one `attendance` entry each.
    imported: usize,
    /// The index of the first entry; the others follow it in file order.
    first_index: u64,
    /// The log's size after the import.
    size: u64,
    /// The signed checkpoint covering every entry of the import.
    checkpoint: String,
}

async fn put(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    ApiPath(group): ApiPath<String>,
    ApiJson(body): ApiJson<AttendanceRequest>,
) -> Result<(StatusCode, Json<LogReceipt>), ApiError> {
    let (log, _) = authorise(&state, &caller, &group, Action::WriteRegistry).await?;
    let record = Attendance {
        meeting: body.meeting,
        person: body.person,
        organisation: body.organisation,
        mode: body.mode,
    };
    let written: Written = commands::registry::put_attendance(&log, record)
        .await?
        .into();
    Ok(written.reply())
}

async fn remove(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    ApiPath((group, meeting, person)): ApiPath<(String, String, String)>,
) -> Result<(StatusCode, Json<LogReceipt>), ApiError> {
    let (log, _) = authorise(&state, &caller, &group, Action::WriteRegistry).await?;
    let removed = AttendanceRemoved {
        meeting: id::<MeetingId>("meeting", &meeting)?,
        person: id::<PersonId>("person", &person)?,
    };
    let written: Written = commands::registry::remove_attendance(&log, removed)
        .await?
        .into();
    Ok(written.reply())
}

async fn list(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    ApiPath(group): ApiPath<String>,
) -> Result<Json<Vec<AttendanceBody>>, ApiError> {
    let (log, _) = authorise(&state, &caller, &group, Action::ReadGroup).await?;
    let list = read_registry(&log, |r| r.attendance().map(Into::into).collect()).await?;
    Ok(Json(list))
}

/// Why an import was not done: an API error, or the file's errors.
enum ImportFailure {
    Api(ApiError),
    File(ImportError),
}

impl From<ApiError> for ImportFailure {
    fn from(error: ApiError) -> Self {
        Self::Api(error)
    }
}

impl IntoResponse for ImportFailure {
    fn into_response(self) -> Response {
        match self {
            Self::Api(error) => error.into_response(),
            Self::File(error) => file_problem(&error),
        }
    }
}

/// The problem for a refused file: RFC 9457 with the extension member
/// `errors`, every faulty row as `{line, field, message}` (one item
/// without a field for a file-level error). A file that is not CSV at all
/// is 400 like malformed JSON; a file over the size limit is 413; a CSV
/// file whose columns or rows are wrong is 422.
fn file_problem(error: &ImportError) -> Response {
    let status = match error {
        ImportError::TooLarge(_) => return ApiError::TooLarge.into_response(),
        ImportError::NotUtf8 { .. }
        | ImportError::Syntax { .. }
        | ImportError::FieldTooLong { .. }
        | ImportError::Empty => StatusCode::BAD_REQUEST,
        _ => StatusCode::UNPROCESSABLE_ENTITY,
    };
    let (detail, errors) = match error {
        ImportError::Rows(rows) => (
            format!("{} rows have errors; nothing was imported", rows.len()),
            rows.iter()
                .map(|r| json!({"line": r.line, "field": r.field, "message": r.message}))
                .collect(),
        ),
        other => {
            let message = format!("{other}; nothing was imported");
            let line = match other {
                ImportError::NotUtf8 { line }
                | ImportError::Syntax { line, .. }
                | ImportError::FieldTooLong { line } => Some(*line),
                _ => None,
            };
            (
                message.clone(),
                vec![json!({"line": line, "field": null, "message": message})],
            )
        }
    };
    let body = json!({
        "type": format!("urn:scrutineer:problem:{}", error.code()),
        "title": if status == StatusCode::BAD_REQUEST { "Bad request" } else { "Refused" },
        "status": status.as_u16(),
        "detail": detail,
        "errors": errors,
    });
    let mut response = (status, Json(body)).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/problem+json"),
    );
    response
}

/// Whether the request says its body is CSV (`text/csv`, parameters such
/// as `charset` or `header` allowed).
fn is_csv(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|m| m.trim().eq_ignore_ascii_case("text/csv"))
}

async fn import(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    ApiPath(group): ApiPath<String>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<(StatusCode, Json<ImportReceipt>), ImportFailure> {
    let (log, _) = authorise(&state, &caller, &group, Action::WriteRegistry).await?;
    if !is_csv(&headers) {
        return Err(ApiError::UnsupportedMediaType(
            "the body must be a registration export with Content-Type: text/csv".to_owned(),
        )
        .into());
    }
    let bytes = body.map_err(ApiError::from)?;
    let appended = commands::registry::import(&log, bytes.to_vec())
        .await
        .map_err(|failure| match failure {
            commands::registry::ImportFailure::File(error) => ImportFailure::File(error),
            commands::registry::ImportFailure::Command(error) => ImportFailure::Api(error.into()),
        })?;
    let (Some(first), Some(last)) = (appended.first(), appended.last()) else {
        return Err(
            ApiError::Internal("an import of valid rows appended no entry".to_owned()).into(),
        );
    };
    Ok((
        StatusCode::CREATED,
        Json(ImportReceipt {
            imported: appended.len(),
            first_index: first.index,
            size: last.size,
            checkpoint: String::from_utf8_lossy(&last.checkpoint).into_owned(),
        }),
    ))
}
