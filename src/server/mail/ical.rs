//! The iCalendar part of an announcement (RFC 5545, with the iTIP methods
//! of RFC 5546): the voting window as one event, byte-reproducible from
//! the log (the `DTSTAMP` is the notification entry's time, never the time
//! of sending), so that a message sent twice is the same message.

use crate::time::Timestamp;

/// The iTIP method of the calendar object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// The voting window is announced (or announced again).
    Publish,
    /// The ballot is cancelled: calendars remove the event.
    Cancel,
}

impl Method {
    /// The `METHOD` value, which is also the `method` parameter of the
    /// part's media type.
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Publish => "PUBLISH",
            Method::Cancel => "CANCEL",
        }
    }
}

/// One ballot's voting window as a calendar event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VotingWindow<'a> {
    /// The event's UID: the same for every message about one ballot.
    pub uid: &'a str,
    /// Raised each time the ballot is announced again.
    pub sequence: u32,
    /// The notification entry's time.
    pub stamp: Timestamp,
    /// The first instant a vote counts.
    pub opens: Timestamp,
    /// The first instant a vote no longer counts.
    pub closes: Timestamp,
    /// The event's title.
    pub summary: &'a str,
    /// Its description (plain text, any length).
    pub description: &'a str,
    /// The ballot's page.
    pub url: &'a str,
}

/// The calendar object, CRLF line endings, lines folded at 75 octets.
pub fn calendar(method: Method, event: &VotingWindow<'_>) -> String {
    let status = match method {
        Method::Publish => "CONFIRMED",
        Method::Cancel => "CANCELLED",
    };
    let lines = [
        "BEGIN:VCALENDAR".to_owned(),
        "PRODID:-//Scrutineer//Notices//EN".to_owned(),
        "VERSION:2.0".to_owned(),
        "CALSCALE:GREGORIAN".to_owned(),
        format!("METHOD:{}", method.as_str()),
        "BEGIN:VEVENT".to_owned(),
        format!("UID:{}", escape(event.uid)),
        format!("SEQUENCE:{}", event.sequence),
        format!("DTSTAMP:{}", utc(event.stamp)),
        format!("DTSTART:{}", utc(event.opens)),
        format!("DTEND:{}", utc(event.closes)),
        format!("SUMMARY:{}", escape(event.summary)),
        format!("DESCRIPTION:{}", escape(event.description)),
        format!("URL:{}", event.url),
        format!("STATUS:{status}"),
        "TRANSP:TRANSPARENT".to_owned(),
        "END:VEVENT".to_owned(),
        "END:VCALENDAR".to_owned(),
    ];
    let mut out = String::new();
    for line in &lines {
        fold_into(&mut out, line);
    }
    out
}

/// A UTC DATE-TIME (`20261122T120000Z`), to the second (RFC 5545 3.3.5
/// has no fractions: they are dropped).
pub fn utc(t: Timestamp) -> String {
    let text = t.to_rfc3339_micros();
    // 2026-11-22T12:00:00.123456Z
    let date: String = text[..10].chars().filter(|c| *c != '-').collect();
    let time: String = text[11..19].chars().filter(|c| *c != ':').collect();
    format!("{date}T{time}Z")
}

/// TEXT escaping (RFC 5545 3.3.11): backslash, semicolon, comma, and
/// line breaks as `\n`; other control characters are dropped.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for ch in text.chars() {
        match ch {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\n' => out.push_str("\\n"),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// Appends `line` folded into lines of at most 75 octets, each ending in
/// CRLF, a continuation beginning with one space (RFC 5545 3.1), never
/// splitting a UTF-8 character.
fn fold_into(out: &mut String, line: &str) {
    let mut room = 75;
    let mut used = 0;
    for ch in line.chars() {
        if used + ch.len_utf8() > room {
            out.push_str("\r\n ");
            room = 74;
            used = 0;
        }
        out.push(ch);
        used += ch.len_utf8();
    }
    out.push_str("\r\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    fn window<'a>(description: &'a str) -> VotingWindow<'a> {
        VotingWindow {
            uid: "0123456789abcdef@scrutineer",
            sequence: 1,
            stamp: Timestamp::parse("2026-11-22T12:00:00.123456Z").expect("time"),
            opens: Timestamp::parse("2026-12-22T00:00:00Z").expect("time"),
            closes: Timestamp::parse("2027-01-05T00:00:00Z").expect("time"),
            summary: "Vote: Approval of GS ETI 001; V1, draft",
            description,
            url: "https://vote.example.org/groups/ETI/ballots/B1",
        }
    }

    #[test]
    fn the_calendar_has_crlf_lines_of_at_most_75_octets_and_utc_times() {
        let long = "é".repeat(100);
        let text = calendar(Method::Publish, &window(&long));
        assert!(text.ends_with("END:VCALENDAR\r\n"));
        for line in text.split_terminator("\r\n") {
            assert!(line.len() <= 75, "{line:?} is {} octets", line.len());
            assert!(!line.contains('\n') && !line.contains('\r'));
        }
        // Unfolded, the description is whole.
        let unfolded = text.replace("\r\n ", "");
        assert!(unfolded.contains(&format!("DESCRIPTION:{long}\r\n")));
        assert!(unfolded.contains("DTSTAMP:20261122T120000Z\r\n"));
        assert!(unfolded.contains("DTSTART:20261222T000000Z\r\n"));
        assert!(unfolded.contains("SUMMARY:Vote: Approval of GS ETI 001\\; V1\\, draft\r\n"));
        assert!(unfolded.contains("METHOD:PUBLISH\r\nBEGIN:VEVENT\r\n"));
        assert!(unfolded.contains("SEQUENCE:1\r\n"));
    }

    #[test]
    fn the_same_window_gives_the_same_bytes_and_a_cancel_says_so() {
        let a = calendar(Method::Publish, &window("line one\nline two"));
        assert_eq!(a, calendar(Method::Publish, &window("line one\nline two")));
        assert!(a.contains("DESCRIPTION:line one\\nline two\r\n"));
        let c = calendar(Method::Cancel, &window("x"));
        assert!(c.contains("METHOD:CANCEL\r\n") && c.contains("STATUS:CANCELLED\r\n"));
    }
}
