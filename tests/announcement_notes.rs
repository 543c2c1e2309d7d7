//! The announcement note, version 2: what is voted on (a title, each
//! question's text, the documents by SHA-256), byte-exact, and version 1
//! notes still read as before.

use scrutineer::ballot::announcement::{
    AnnouncementNote, DocumentRef, SignedAnnouncement, Subject,
};
use scrutineer::id::{BallotId, QuestionId};
use scrutineer::note::key::{KeyName, SigningKey};
use scrutineer::rules::BallotKind;
use scrutineer::time::Timestamp;
use scrutineer::tlog::Hash;
use scrutineer::tlog::checkpoint::Origin;

fn t(text: &str) -> Timestamp {
    Timestamp::parse(text).expect("time")
}

fn v2() -> AnnouncementNote {
    AnnouncementNote {
        origin: Origin::new("vote.example.org/ETI").expect("origin"),
        ballot: BallotId::new("B7").expect("id"),
        kind: BallotKind::Correspondence,
        questions: vec![
            QuestionId::new("main").expect("id"),
            QuestionId::new("annex").expect("id"),
        ],
        opens: Some(t("2026-04-01T00:00:00Z")),
        closes: t("2026-04-15T00:00:00Z"),
        subject: Some(Subject {
            title: "Approval of GS ETI 001 V1.1.1".into(),
            questions: vec![
                "Do you approve GS ETI 001 V1.1.1 for publication?".into(),
                "Do you approve Annex B as informative?".into(),
            ],
            documents: vec![DocumentRef::of(
                b"%PDF-1.7 the draft",
                "application/pdf",
                "GS ETI 001 V1.1.1 draft.pdf",
            )],
        }),
    }
}

#[test]
fn a_version_2_note_is_written_byte_for_byte_and_read_back() {
    let note = v2();
    let hash = Hash::sha256(b"%PDF-1.7 the draft").to_hex();
    let expected = format!(
        "scrutineer/announcement/v2\n\
         origin vote.example.org/ETI\n\
         ballot B7\n\
         title Approval of GS ETI 001 V1.1.1\n\
         kind correspondence\n\
         question main Do you approve GS ETI 001 V1.1.1 for publication?\n\
         question annex Do you approve Annex B as informative?\n\
         document sha256:{hash} 18 application/pdf GS ETI 001 V1.1.1 draft.pdf\n\
         opens 2026-04-01T00:00:00.000000Z\n\
         closes 2026-04-15T00:00:00.000000Z\n"
    );
    assert_eq!(note.text(), expected);
    assert_eq!(
        AnnouncementNote::parse_text(&expected).expect("parses"),
        note
    );

    // Signed and parsed again: the subject survives.
    let key = SigningKey::from_seed(KeyName::new("carol").expect("name"), &[3; 32]);
    let signed = SignedAnnouncement::parse(&note.sign(&key).expect("signs")).expect("parses");
    assert_eq!(signed.note, note);
}

#[test]
fn a_version_1_note_still_reads_without_a_subject() {
    let mut note = v2();
    note.subject = None;
    let text = note.text();
    assert!(text.starts_with("scrutineer/announcement/v1\n"));
    assert!(text.contains("\nquestion main\nquestion annex\n"));
    let read = AnnouncementNote::parse_text(&text).expect("parses");
    assert_eq!(read.subject, None);
    assert_eq!(read, note);
}

#[test]
fn malformed_version_2_notes_are_refused_with_what_is_wrong() {
    let good = v2().text();
    let hash = Hash::sha256(b"%PDF-1.7 the draft").to_hex();
    let cases: Vec<(String, &str)> = vec![
        (good.replace("title Approval", "title  Approval"), "space"),
        (
            good.replace("title Approval of GS ETI 001 V1.1.1\n", ""),
            "title",
        ),
        (
            good.replace(
                "question annex Do you approve Annex B as informative?\n",
                "question annex\n",
            ),
            "question <id> <text>",
        ),
        (
            good.replace("application/pdf", "Application/PDF"),
            "media type",
        ),
        (
            good.replace("GS ETI 001 V1.1.1 draft.pdf", "../etc/passwd"),
            "path",
        ),
        (good.replace(" 18 ", " 018 "), "decimal"),
        (
            good.replace(
                &format!("document sha256:{hash}"),
                &format!("document sha256:{}", hash.to_uppercase()),
            ),
            "sha256",
        ),
        (
            {
                let line = format!(
                    "document sha256:{hash} 18 application/pdf GS ETI 001 V1.1.1 draft.pdf\n"
                );
                good.replace(&line, &format!("{line}{line}"))
            },
            "twice",
        ),
        (
            good.replace("scrutineer/announcement/v2", "scrutineer/announcement/v3"),
            "first line",
        ),
        (
            good.replace(
                "title Approval of GS ETI 001 V1.1.1",
                &format!("title {}", "x".repeat(301)),
            ),
            "more than 300",
        ),
    ];
    for (text, expected) in cases {
        let error = AnnouncementNote::parse_text(&text).expect_err(&text);
        assert!(
            error.to_string().contains(expected),
            "{text}\n→ {error} (expected to mention {expected:?})"
        );
    }
}

#[test]
fn a_subject_that_does_not_fit_its_questions_is_not_signed() {
    let key = SigningKey::from_seed(KeyName::new("carol").expect("name"), &[3; 32]);
    let mut note = v2();
    if let Some(subject) = &mut note.subject {
        subject.questions.pop();
    }
    let error = note.sign(&key).expect_err("one text for two questions");
    assert!(
        error
            .to_string()
            .contains("1 question texts for 2 questions"),
        "{error}"
    );
}

/// A document's line value, as the web page's draft carries it, reads
/// back to the same reference, and a line the note could not carry is
/// refused with the reason.
#[test]
fn a_document_line_value_reads_back() {
    let document = DocumentRef::of(b"%PDF-1.7 the draft", "application/pdf", "GS ETI 001.pdf");
    let value = document.value();
    assert_eq!(
        value,
        format!(
            "sha256:{} 18 application/pdf GS ETI 001.pdf",
            Hash::sha256(b"%PDF-1.7 the draft").to_hex()
        )
    );
    assert_eq!(DocumentRef::parse_line(&value), Ok(document));
    let upper = value.replace("application/pdf", "Application/PDF");
    assert!(DocumentRef::parse_line(&upper).is_err(), "{upper}");
    assert!(DocumentRef::parse_line("sha256:00 1 text/plain a").is_err());
}
