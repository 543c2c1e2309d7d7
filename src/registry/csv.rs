//! The import of a meeting registration export as attendance records:
//! all or nothing.
//!
//! # Accepted input
//!
//! - UTF-8, at most [`MAX_BYTES`] bytes; a leading byte-order mark is
//!   skipped (spreadsheet exports add one).
//! - RFC 4180 records: fields separated by `,`; a field may be quoted with
//!   `"`, inside which `""` is one quote and commas and line ends are data.
//!   A quote inside an unquoted field is refused. Lines end with CRLF or
//!   LF; a lone CR is refused. Empty lines are skipped.
//! - A header row is required. It must name the columns `meeting`,
//!   `person`, `organisation` and `mode` (exactly these lowercase names,
//!   each once, in any order). Other columns are ignored: registration
//!   exports carry names and e-mail addresses, which never enter the log
//!   (SPEC section 3), and refusing them would only make the secretariat
//!   edit the file by hand.
//! - Every row has as many fields as the header row; at most [`MAX_ROWS`]
//!   rows, each field at most [`MAX_FIELD_LEN`] bytes. Values are taken as
//!   written (no trimming): `mode` is `physical` or `remote`.
//!
//! # Result
//!
//! Either every row is valid — against the group's state (the same check
//! as the fold's, `GroupState::check_attendance`) and against the other
//! rows (one row per meeting and person) — and the records come back in
//! file order, for the server to log one `attendance` entry each; or
//! nothing is imported and the error lists every faulty row with its line
//! number (the line where the record starts; the header is line 1) and
//! field.

use std::collections::HashMap;
use std::fmt;

use crate::id::{MeetingId, OrgId, PersonId};
use crate::registry::meeting::parse_mode;
use crate::registry::state::GroupState;
use crate::rules::{Attendance, AttendanceMode, MeetingFormat};

/// The largest file accepted, in bytes.
pub const MAX_BYTES: usize = 4 * 1024 * 1024;

/// The most rows accepted, header excluded.
pub const MAX_ROWS: usize = 10_000;

/// The longest field accepted, in bytes (ids have at most 64).
pub const MAX_FIELD_LEN: usize = 1024;

/// The required columns.
pub const COLUMNS: [&str; 4] = ["meeting", "person", "organisation", "mode"];

/// One faulty row of an import.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowError {
    /// The 1-based line where the row starts.
    pub line: usize,
    /// The column at fault, if one is.
    pub field: Option<&'static str>,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for RowError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.field {
            Some(field) => write!(f, "line {}, field {}: {}", self.line, field, self.message),
            None => write!(f, "line {}: {}", self.line, self.message),
        }
    }
}

/// Why an import was refused; nothing of the file is imported.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ImportError {
    /// Larger than [`MAX_BYTES`].
    #[error("the file is {0} bytes, more than the limit of {MAX_BYTES}")]
    TooLarge(usize),
    /// Not UTF-8.
    #[error("line {line}: the file is not UTF-8 text")]
    NotUtf8 {
        /// The line of the first invalid byte.
        line: usize,
    },
    /// No header row.
    #[error("the file is empty: it needs a header row naming meeting,person,organisation,mode")]
    Empty,
    /// Not RFC 4180.
    #[error("line {line}: {reason}")]
    Syntax {
        /// The line of the problem.
        line: usize,
        /// What is wrong.
        reason: &'static str,
    },
    /// A field longer than [`MAX_FIELD_LEN`].
    #[error("line {line}: a field is longer than {MAX_FIELD_LEN} bytes")]
    FieldTooLong {
        /// The line where the row starts.
        line: usize,
    },
    /// More than [`MAX_ROWS`] rows.
    #[error("the file has more than {MAX_ROWS} rows; split it")]
    TooManyRows,
    /// A required column is absent from the header row.
    #[error("the header row has no column {0:?} (required: meeting,person,organisation,mode)")]
    MissingColumn(&'static str),
    /// A required column named twice.
    #[error("the header row names column {0:?} twice")]
    DuplicateColumn(&'static str),
    /// A header row and nothing else.
    #[error("the file has a header row but no attendance rows")]
    NoRows,
    /// Rows with errors, all of them, in line order.
    #[error("{} faulty rows, nothing imported: {}", .0.len(), list(.0))]
    Rows(Vec<RowError>),
}

fn list(errors: &[RowError]) -> String {
    errors
        .iter()
        .map(RowError::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

impl ImportError {
    /// A stable code for the server's problem details.
    pub fn code(&self) -> &'static str {
        match self {
            ImportError::TooLarge(_) => "csv-too-large",
            ImportError::NotUtf8 { .. } => "csv-not-utf8",
            ImportError::Empty => "csv-empty",
            ImportError::Syntax { .. } => "csv-syntax",
            ImportError::FieldTooLong { .. } => "csv-field-too-long",
            ImportError::TooManyRows => "csv-too-many-rows",
            ImportError::MissingColumn(_) => "csv-missing-column",
            ImportError::DuplicateColumn(_) => "csv-duplicate-column",
            ImportError::NoRows => "csv-no-rows",
            ImportError::Rows(_) => "csv-rows",
        }
    }
}

/// One record of the file with the line it starts on.
#[derive(Debug, PartialEq, Eq)]
struct CsvRecord {
    line: usize,
    fields: Vec<String>,
}

/// Splits `text` into RFC 4180 records (see the module documentation).
fn records(text: &str) -> Result<Vec<CsvRecord>, ImportError> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    let mut line = 1;
    while i < b.len() {
        // Empty lines carry no record.
        if b[i] == b'\n' {
            i += 1;
            line += 1;
            continue;
        }
        if b[i] == b'\r' && b.get(i + 1) == Some(&b'\n') {
            i += 2;
            line += 1;
            continue;
        }
        let start = line;
        let mut fields = Vec::new();
        loop {
            let (field, next) = field(b, i, &mut line, start)?;
            if field.len() > MAX_FIELD_LEN {
                return Err(ImportError::FieldTooLong { line: start });
            }
            fields.push(field);
            i = next;
            match b.get(i) {
                None => break,
                Some(b',') => i += 1,
                Some(b'\n') => {
                    i += 1;
                    line += 1;
                    break;
                }
                Some(b'\r') if b.get(i + 1) == Some(&b'\n') => {
                    i += 2;
                    line += 1;
                    break;
                }
                Some(b'\r') => {
                    return Err(ImportError::Syntax {
                        line,
                        reason: "a carriage return not followed by a line feed",
                    });
                }
                Some(_) => {
                    return Err(ImportError::Syntax {
                        line,
                        reason: "after a closing quote, expected a comma or the end of the line",
                    });
                }
            }
        }
        out.push(CsvRecord {
            line: start,
            fields,
        });
        // The header row plus MAX_ROWS rows.
        if out.len() > MAX_ROWS + 1 {
            return Err(ImportError::TooManyRows);
        }
    }
    Ok(out)
}

/// Reads one field starting at `i`; returns it and the index just after
/// it (at a separator, a line end or the end of the text).
fn field(
    b: &[u8],
    i: usize,
    line: &mut usize,
    start: usize,
) -> Result<(String, usize), ImportError> {
    let mut value = Vec::new();
    let mut j = i;
    if b.get(i) == Some(&b'"') {
        j += 1;
        loop {
            match b.get(j) {
                None => {
                    return Err(ImportError::Syntax {
                        line: start,
                        reason: "a quoted field is not closed",
                    });
                }
                Some(b'"') if b.get(j + 1) == Some(&b'"') => {
                    value.push(b'"');
                    j += 2;
                }
                Some(b'"') => {
                    j += 1;
                    break;
                }
                Some(&c) => {
                    if c == b'\n' {
                        *line += 1;
                    }
                    value.push(c);
                    j += 1;
                }
            }
            if value.len() > MAX_FIELD_LEN {
                return Err(ImportError::FieldTooLong { line: start });
            }
        }
    } else {
        while let Some(&c) = b.get(j) {
            match c {
                b',' | b'\n' | b'\r' => break,
                b'"' => {
                    return Err(ImportError::Syntax {
                        line: *line,
                        reason: "a quote inside an unquoted field (quote the whole field, doubling inner quotes)",
                    });
                }
                _ => {
                    value.push(c);
                    j += 1;
                }
            }
        }
    }
    // Fields split at ASCII delimiters of valid UTF-8 are valid UTF-8.
    let value = String::from_utf8(value).map_err(|_| ImportError::NotUtf8 { line: start })?;
    Ok((value, j))
}

/// Validates a whole registration export against `state`; see the module
/// documentation.
pub fn import_attendance(state: &GroupState, bytes: &[u8]) -> Result<Vec<Attendance>, ImportError> {
    if bytes.len() > MAX_BYTES {
        return Err(ImportError::TooLarge(bytes.len()));
    }
    let bytes = bytes.strip_prefix("\u{feff}".as_bytes()).unwrap_or(bytes);
    let text = std::str::from_utf8(bytes).map_err(|e| ImportError::NotUtf8 {
        line: 1 + bytes[..e.valid_up_to()]
            .iter()
            .filter(|&&b| b == b'\n')
            .count(),
    })?;
    let records = records(text)?;
    let Some((header, rows)) = records.split_first() else {
        return Err(ImportError::Empty);
    };
    let mut columns = [0usize; 4];
    for (slot, name) in columns.iter_mut().zip(COLUMNS) {
        let mut found = header.fields.iter().enumerate().filter(|(_, f)| *f == name);
        *slot = found.next().ok_or(ImportError::MissingColumn(name))?.0;
        if found.next().is_some() {
            return Err(ImportError::DuplicateColumn(name));
        }
    }
    if rows.is_empty() {
        return Err(ImportError::NoRows);
    }
    let mut errors = Vec::new();
    let mut seen: HashMap<(MeetingId, PersonId), usize> = HashMap::new();
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        if row.fields.len() != header.fields.len() {
            errors.push(RowError {
                line: row.line,
                field: None,
                message: format!(
                    "has {} fields, the header row has {}",
                    row.fields.len(),
                    header.fields.len()
                ),
            });
            continue;
        }
        let value = |c: usize| row.fields[columns[c]].as_str();
        let before = errors.len();
        if let Some(record) = check_row(state, row.line, [0, 1, 2, 3].map(value), &mut errors) {
            let key = (record.meeting.clone(), record.person.clone());
            if let Some(first) = seen.insert(key, row.line) {
                errors.push(RowError {
                    line: row.line,
                    field: Some("person"),
                    message: format!(
                        "{} already attends {} on line {first}: one row per person and meeting",
                        record.person, record.meeting
                    ),
                });
            } else if errors.len() == before {
                out.push(record);
            }
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(ImportError::Rows(errors))
    }
}

/// Checks one row's four values, pushing an error per faulty field; the
/// record if every field is valid.
fn check_row(
    state: &GroupState,
    line: usize,
    [meeting, person, organisation, mode]: [&str; 4],
    errors: &mut Vec<RowError>,
) -> Option<Attendance> {
    let mut found = Vec::new();
    let mut fail = |field, message: String| {
        found.push(RowError {
            line,
            field: Some(field),
            message,
        })
    };
    let meeting_id = MeetingId::new(meeting)
        .map_err(|e| fail("meeting", format!("{meeting:?} is not an id: {e}")))
        .ok();
    let meeting_record = meeting_id
        .as_ref()
        .and_then(|id| state.meeting(id.as_str()));
    if meeting_id.is_some() && meeting_record.is_none() {
        fail("meeting", format!("unknown meeting {meeting:?}"));
    }
    let person_id = PersonId::new(person)
        .map_err(|e| fail("person", format!("{person:?} is not an id: {e}")))
        .ok();
    if person_id
        .as_ref()
        .is_some_and(|p| state.person(p.as_str()).is_none())
    {
        fail("person", format!("unknown person {person:?}"));
    }
    let org_id = OrgId::new(organisation)
        .map_err(|e| {
            fail(
                "organisation",
                format!("{organisation:?} is not an id: {e}"),
            )
        })
        .ok();
    if org_id
        .as_ref()
        .is_some_and(|o| state.organisation(o.as_str()).is_none())
    {
        fail(
            "organisation",
            format!("unknown organisation {organisation:?}"),
        );
    }
    let mode_value = parse_mode(mode);
    match mode_value {
        None => fail("mode", format!("{mode:?} is not physical|remote")),
        Some(AttendanceMode::Physical)
            if meeting_record.is_some_and(|m| m.format == MeetingFormat::Online) =>
        {
            fail(
                "mode",
                format!("meeting {meeting} is online: nobody attends it physically"),
            );
        }
        Some(_) => {}
    }
    let record = match (meeting_id, person_id, org_id, mode_value) {
        (Some(meeting), Some(person), Some(organisation), Some(mode)) if found.is_empty() => {
            Attendance {
                meeting,
                person,
                organisation,
                mode,
            }
        }
        _ => {
            errors.append(&mut found);
            return None;
        }
    };
    // The fold's own check, so that an imported row can never be refused
    // when logged; the checks above only name the fields, and have already
    // caught everything it refuses.
    match state.check_attendance(&record) {
        Ok(()) => Some(record),
        Err(refusal) => {
            errors.push(RowError {
                line,
                field: None,
                message: refusal.to_string(),
            });
            None
        }
    }
}

#[cfg(test)]
#[path = "csv_tests.rs"]
mod tests;
