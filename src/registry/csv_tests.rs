//! Edge cases of the attendance import.

use super::*;
use crate::registry::tests::{etsi_state, t};
use crate::registry::{Fact, PersonRecord};
use crate::rules::Meeting;

/// The test group with a second person and an online meeting.
fn state() -> GroupState {
    let mut state = etsi_state();
    let at = t("2026-01-06T00:00:00Z");
    let bob = PersonRecord {
        id: PersonId::new("bob").expect("id"),
        organisation: OrgId::new("cadzow").expect("id"),
        on_membership_list: false,
        reconfirmed: None,
    };
    let call = Meeting {
        id: MeetingId::new("call").expect("id"),
        plenary: false,
        format: MeetingFormat::Online,
        start: t("2020-07-01T08:00:00Z"),
        end: t("2020-07-01T10:00:00Z"),
        kick_off: false,
    };
    for fact in [Fact::from(bob), call.into()] {
        state.apply(&fact.to_entry(at)).expect("valid fact");
    }
    state
}

fn rows(result: Result<Vec<Attendance>, ImportError>) -> Vec<String> {
    match result {
        Err(ImportError::Rows(errors)) => errors.iter().map(ToString::to_string).collect(),
        other => panic!("expected row errors, got {other:?}"),
    }
}

fn summary(records: &[Attendance]) -> Vec<String> {
    records
        .iter()
        .map(|a| format!("{} {} {} {:?}", a.meeting, a.person, a.organisation, a.mode))
        .collect()
}

#[test]
fn columns_in_any_order_and_extra_columns_ignored() {
    let text = "name,mode,person,meeting,organisation\n\
                Alice A.,physical,alice,KoM,cadzow\n\
                Bob B.,remote,bob,call,cadzow\n";
    let records = import_attendance(&state(), text.as_bytes()).expect("valid");
    assert_eq!(
        summary(&records),
        ["KoM alice cadzow Physical", "call bob cadzow Remote"]
    );
}

#[test]
fn crlf_bom_quotes_and_blank_lines() {
    let text = "\u{feff}meeting,person,organisation,mode,comment\r\n\
                \"KoM\",\"alice\",cadzow,physical,\"said \"\"hi\"\", then, left\r\nearly\"\r\n\
                \r\n\
                call,bob,cadzow,remote,\n";
    let records = import_attendance(&state(), text.as_bytes()).expect("valid");
    assert_eq!(
        summary(&records),
        ["KoM alice cadzow Physical", "call bob cadzow Remote"]
    );
    // No line end after the last row.
    let records = import_attendance(
        &state(),
        b"meeting,person,organisation,mode\nKoM,bob,cadzow,remote",
    )
    .expect("valid");
    assert_eq!(summary(&records), ["KoM bob cadzow Remote"]);
}

#[test]
fn every_faulty_row_is_reported_with_its_line_and_field() {
    let text = "meeting,person,organisation,mode,note\n\
                KoM,alice,cadzow,in person,\"a note\non two lines\"\n\
                KoM,carol,acme,remote,\n\
                call,alice,cadzow,physical,\n\
                KoM,bob,cadzow,remote\n\
                KoM,bob,cadzow,remote,\n\
                KoM,bob,cadzow,physical,\n\
                nope,bad id,cadzow,remote,\n";
    assert_eq!(
        rows(import_attendance(&state(), text.as_bytes())),
        [
            "line 2, field mode: \"in person\" is not physical|remote",
            "line 4, field person: unknown person \"carol\"",
            "line 4, field organisation: unknown organisation \"acme\"",
            "line 5, field mode: meeting call is online: nobody attends it physically",
            "line 6: has 4 fields, the header row has 5",
            "line 8, field person: bob already attends KoM on line 7: one row per person and meeting",
            "line 9, field meeting: unknown meeting \"nope\"",
            "line 9, field person: \"bad id\" is not an id: character ' ' at byte 3 is not allowed in an id (allowed: A-Z a-z 0-9 . _ : @ -)",
        ]
    );
}

#[test]
fn structural_errors_stop_the_import() {
    let s = state();
    let import = |text: &str| import_attendance(&s, text.as_bytes()).map(|r| r.len());
    assert_eq!(import(""), Err(ImportError::Empty));
    assert_eq!(import("\u{feff}"), Err(ImportError::Empty));
    assert_eq!(import("\n\r\n"), Err(ImportError::Empty));
    assert_eq!(
        import("meeting,person,organisation,mode\n"),
        Err(ImportError::NoRows)
    );
    assert_eq!(
        import("meeting,person,organisation\nKoM,alice,cadzow\n"),
        Err(ImportError::MissingColumn("mode"))
    );
    assert_eq!(
        import("meeting,person,organisation,mode,mode\n"),
        Err(ImportError::DuplicateColumn("mode"))
    );
    assert_eq!(
        import("meeting,person,organisation,mode\nKoM,alice,cadzow,\"physical\n"),
        Err(ImportError::Syntax {
            line: 2,
            reason: "a quoted field is not closed"
        })
    );
    assert!(matches!(
        import("meeting,person,organisation,mode\nKoM,al\"ice,cadzow,remote\n"),
        Err(ImportError::Syntax { line: 2, .. })
    ));
    assert!(matches!(
        import("meeting,person,organisation,mode\nKoM,\"alice\"x,cadzow,remote\n"),
        Err(ImportError::Syntax { line: 2, .. })
    ));
    assert!(matches!(
        import("meeting,person,organisation,mode\rKoM,alice,cadzow,remote\n"),
        Err(ImportError::Syntax { line: 1, .. })
    ));
    assert_eq!(
        import_attendance(
            &s,
            b"meeting,person,organisation,mode\nKoM,\xff,cadzow,remote\n"
        ),
        Err(ImportError::NotUtf8 { line: 2 })
    );
}

#[test]
fn the_import_is_bounded() {
    let s = state();
    let long = format!(
        "meeting,person,organisation,mode\nKoM,{},cadzow,remote\n",
        "a".repeat(MAX_FIELD_LEN + 1)
    );
    assert_eq!(
        import_attendance(&s, long.as_bytes()),
        Err(ImportError::FieldTooLong { line: 2 })
    );
    let quoted = format!(
        "meeting,person,organisation,mode\nKoM,\"{}\",cadzow,remote\n",
        "a".repeat(MAX_FIELD_LEN + 1)
    );
    assert_eq!(
        import_attendance(&s, quoted.as_bytes()),
        Err(ImportError::FieldTooLong { line: 2 })
    );
    let many = format!(
        "meeting,person,organisation,mode\n{}",
        "KoM,alice,cadzow,remote\n".repeat(MAX_ROWS + 1)
    );
    assert_eq!(
        import_attendance(&s, many.as_bytes()),
        Err(ImportError::TooManyRows)
    );
    let huge = vec![b'a'; MAX_BYTES + 1];
    assert_eq!(
        import_attendance(&s, &huge).map_err(|e| e.code()),
        Err("csv-too-large")
    );
}

#[test]
fn imported_rows_are_accepted_by_the_fold() {
    let mut s = state();
    let text =
        "meeting,person,organisation,mode\nKoM,alice,cadzow,physical\ncall,bob,cadzow,remote\n";
    let records = import_attendance(&s, text.as_bytes()).expect("valid");
    for record in records {
        s.apply(&Fact::from(record).to_entry(t("2026-02-01T00:00:00Z")))
            .expect("an imported row is accepted");
    }
    assert_eq!(s.attendance().count(), 2);
}
