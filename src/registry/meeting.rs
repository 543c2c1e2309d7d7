//! The `meeting`, `attendance` and `attendance-removed` entries.
//!
//! A meeting and an attendance record are the rules' own [`Meeting`] and
//! [`Attendance`], so that the roll is computed from exactly what was
//! logged (SPEC section 4: "the roll is derived from the registry entries
//! that precede the roll entry").

use crate::entry::Entry;
use crate::entry::codec::{self, FormatError, Headers};
use crate::id::{MeetingId, PersonId};
use crate::registry::Record;
use crate::rules::{Attendance, AttendanceMode, Meeting, MeetingFormat};
use crate::time::Timestamp;

const FORMATS: [MeetingFormat; 3] = [
    MeetingFormat::FaceToFace,
    MeetingFormat::Online,
    MeetingFormat::Hybrid,
];

const MODES: [AttendanceMode; 2] = [AttendanceMode::Physical, AttendanceMode::Remote];

/// The text of an attendance mode (SPEC section 3).
pub fn mode_text(mode: AttendanceMode) -> &'static str {
    match mode {
        AttendanceMode::Physical => "physical",
        AttendanceMode::Remote => "remote",
    }
}

/// The attendance mode named `text`, if any.
pub fn parse_mode(text: &str) -> Option<AttendanceMode> {
    MODES.into_iter().find(|&m| mode_text(m) == text)
}

impl Record for Meeting {
    const KIND: &'static str = "meeting";

    fn to_entry(&self, time: Timestamp) -> Entry {
        Entry::new(Self::KIND, time)
            .header("meeting", &self.id)
            .header("plenary", codec::bool_text(self.plenary))
            .header("format", self.format.as_str())
            .header("start", self.start.to_rfc3339_micros())
            .header("end", self.end.to_rfc3339_micros())
            .header("kick-off", codec::bool_text(self.kick_off))
    }

    fn from_entry(entry: &Entry) -> Result<Self, FormatError> {
        let h = Headers::without_body(
            entry,
            Self::KIND,
            &["meeting", "plenary", "format", "start", "end", "kick-off"],
        )?;
        Ok(Meeting {
            id: codec::parse_id("meeting", h.required("meeting")?)?,
            plenary: codec::parse_bool("plenary", h.required("plenary")?)?,
            format: codec::parse_word(
                "format",
                h.required("format")?,
                &FORMATS,
                MeetingFormat::as_str,
                "face-to-face|online|hybrid",
            )?,
            start: codec::parse_time("start", h.required("start")?)?,
            end: codec::parse_time("end", h.required("end")?)?,
            kick_off: codec::parse_bool("kick-off", h.required("kick-off")?)?,
        })
    }
}

impl Record for Attendance {
    const KIND: &'static str = "attendance";

    fn to_entry(&self, time: Timestamp) -> Entry {
        Entry::new(Self::KIND, time)
            .header("meeting", &self.meeting)
            .header("person", &self.person)
            .header("organisation", &self.organisation)
            .header("mode", mode_text(self.mode))
    }

    fn from_entry(entry: &Entry) -> Result<Self, FormatError> {
        let h = Headers::without_body(
            entry,
            Self::KIND,
            &["meeting", "person", "organisation", "mode"],
        )?;
        Ok(Attendance {
            meeting: codec::parse_id("meeting", h.required("meeting")?)?,
            person: codec::parse_id("person", h.required("person")?)?,
            organisation: codec::parse_id("organisation", h.required("organisation")?)?,
            mode: codec::parse_word(
                "mode",
                h.required("mode")?,
                &MODES,
                mode_text,
                "physical|remote",
            )?,
        })
    }
}

/// The removal of one person's attendance at one meeting: `type
/// attendance-removed` (a correction by the secretariat; it never changes
/// a roll already frozen, SPEC 2.1 item 5).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttendanceRemoved {
    /// The meeting.
    pub meeting: MeetingId,
    /// The person whose attendance is removed.
    pub person: PersonId,
}

impl Record for AttendanceRemoved {
    const KIND: &'static str = "attendance-removed";

    fn to_entry(&self, time: Timestamp) -> Entry {
        Entry::new(Self::KIND, time)
            .header("meeting", &self.meeting)
            .header("person", &self.person)
    }

    fn from_entry(entry: &Entry) -> Result<Self, FormatError> {
        let h = Headers::without_body(entry, Self::KIND, &["meeting", "person"])?;
        Ok(Self {
            meeting: codec::parse_id("meeting", h.required("meeting")?)?,
            person: codec::parse_id("person", h.required("person")?)?,
        })
    }
}
