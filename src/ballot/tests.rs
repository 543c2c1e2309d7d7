//! Known-answer bytes of every ballot entry type, and strict parsing:
//! `from_entry(to_entry(x)) == x`, and every other spelling is refused.

use std::collections::BTreeSet;

use super::*;
use crate::entry::Entry;
use crate::id::{BallotId, MeetingId, PersonId};
use crate::note::key::{KeyName, SigningKey};
use crate::rules::BallotKind;
use crate::time::Timestamp;
use crate::tlog::Hash;
use crate::tlog::checkpoint::Origin;

fn t(text: &str) -> Timestamp {
    Timestamp::parse(text).expect("valid test time")
}

fn text(entry: &Entry) -> String {
    String::from_utf8(entry.encode().expect("fits")).expect("UTF-8")
}

fn note() -> AnnouncementNote {
    AnnouncementNote {
        origin: Origin::new("vote.example.org/ETI").expect("origin"),
        ballot: BallotId::new("B1").expect("id"),
        kind: BallotKind::Meeting {
            meeting: MeetingId::new("ETI-5").expect("id"),
        },
        questions: vec!["main".parse().expect("id"), "second".parse().expect("id")],
        opens: Some(t("2021-10-06T14:00:00Z")),
        closes: t("2021-10-06T15:00:00Z"),
        subject: None,
    }
}

#[test]
fn the_announcement_note_has_its_exact_text_and_parses_back() {
    let note = note();
    assert_eq!(
        note.text(),
        "scrutineer/announcement/v1\norigin vote.example.org/ETI\nballot B1\nkind meeting\n\
         meeting ETI-5\nquestion main\nquestion second\nopens 2021-10-06T14:00:00.000000Z\n\
         closes 2021-10-06T15:00:00.000000Z\n"
    );
    assert_eq!(AnnouncementNote::parse_text(&note.text()), Ok(note.clone()));
    let consultation = AnnouncementNote {
        kind: BallotKind::Consultation {
            meeting_start: t("2018-03-20T08:00:00Z"),
        },
        opens: None,
        ..note.clone()
    };
    assert!(consultation.text().ends_with(
        "question second\ncloses 2021-10-06T15:00:00.000000Z\n\
         meeting-start 2018-03-20T08:00:00.000000Z\n"
    ));
    assert_eq!(
        AnnouncementNote::parse_text(&consultation.text()),
        Ok(consultation)
    );
    let good = note.text();
    for bad in [
        good.replace("kind meeting\nmeeting ETI-5\n", "kind meeting\n"),
        good.replace("question main\nquestion second\n", ""),
        good.replace("question second", "question main"),
        good.replace("14:00:00.000000Z", "14:00:00Z"),
        good.replace("kind meeting", "kind plenary"),
        format!("{good}extra line\n"),
        good.replace("origin", "Origin"),
    ] {
        assert!(AnnouncementNote::parse_text(&bad).is_err(), "{bad}");
    }
}

#[test]
fn the_announcement_entry_has_its_exact_bytes() {
    let chair = SigningKey::from_seed(KeyName::new("chair").expect("name"), &[3; 32]);
    let bytes = note().sign(&chair).expect("sign");
    let signed = SignedAnnouncement::parse(&bytes).expect("parses");
    let recipients: BTreeSet<PersonId> = ["bob", "alice"]
        .iter()
        .map(|p| p.parse().expect("id"))
        .collect();
    let record = AnnouncementRecord::new(&signed, recipients);
    let entry = record.to_entry(t("2021-09-01T09:00:00Z"));
    let hash = Hash::sha256(&bytes).to_hex();
    assert_eq!(
        text(&entry),
        format!(
            "scrutineer/entry/v1\ntype announcement\ntime 2021-09-01T09:00:00.000000Z\n\
             ballot B1\nnote sha256:{hash}\nrecipient alice\nrecipient bob\n\n{}",
            String::from_utf8(bytes.clone()).expect("UTF-8")
        )
    );
    assert_eq!(AnnouncementRecord::from_entry(&entry), Ok(record));
    // Recipients out of order, a body that is not the note: refused.
    let unsorted = Entry::new(ANNOUNCEMENT_KIND, entry.time())
        .header("ballot", "B1")
        .header("note", format!("sha256:{hash}"))
        .header("recipient", "bob")
        .header("recipient", "alice")
        .body(bytes.clone());
    assert!(AnnouncementRecord::from_entry(&unsorted).is_err());
    let other_body = Entry::new(ANNOUNCEMENT_KIND, entry.time())
        .header("ballot", "B1")
        .header("note", format!("sha256:{hash}"))
        .body(b"x".to_vec());
    assert!(AnnouncementRecord::from_entry(&other_body).is_err());
}

#[test]
fn roll_close_cancel_and_notification_entries_have_their_exact_bytes() {
    let at = t("2021-10-06T14:00:00Z");
    let ballot = BallotId::new("B1").expect("id");
    let record = RollRecord::new(ballot.clone(), b"{\"version\":1}".to_vec(), at);
    let hash = Hash::sha256(b"{\"version\":1}").to_hex();
    assert_eq!(
        text(&record.to_entry(at)),
        format!(
            "scrutineer/entry/v1\ntype roll\ntime 2021-10-06T14:00:00.000000Z\nballot B1\n\
             roll sha256:{hash}\n\n{{\"version\":1}}"
        )
    );
    assert_eq!(RollRecord::from_entry(&record.to_entry(at)), Ok(record));
    let tampered = Entry::new(ROLL_KIND, at)
        .header("ballot", "B1")
        .header("roll", format!("sha256:{hash}"))
        .body(b"{\"version\":2}".to_vec());
    assert!(RollRecord::from_entry(&tampered).is_err());

    for kind in [CLOSE_KIND, CANCELLED_KIND] {
        let entry = records::ballot_only_entry(kind, at, &ballot);
        assert_eq!(
            text(&entry),
            format!(
                "scrutineer/entry/v1\ntype {kind}\ntime 2021-10-06T14:00:00.000000Z\nballot B1\n\n"
            )
        );
        assert_eq!(records::ballot_only(&entry, kind), Ok(ballot.clone()));
        assert!(records::ballot_only(&entry.clone().body(b"x".to_vec()), kind).is_err());
    }

    let n = Notification {
        ballot: ballot.clone(),
        person: "alice".parse().expect("id"),
        reason: NotificationReason::Superseded,
    };
    assert_eq!(
        text(&n.to_entry(at)),
        "scrutineer/entry/v1\ntype notification\ntime 2021-10-06T14:00:00.000000Z\nballot B1\n\
         person alice\nreason superseded\n\n"
    );
    assert_eq!(Notification::from_entry(&n.to_entry(at)), Ok(n));
}

#[test]
fn the_tally_entry_is_canonical_json() {
    let at = t("2021-10-06T15:00:00Z");
    let document = TallyDocument {
        version: TALLY_VERSION,
        ballot: BallotId::new("B1").expect("id"),
        roll: hash_text(&Hash::sha256(b"roll")),
        votes: 2,
        questions: vec![TallyQuestion {
            question: "main".parse().expect("id"),
            in_favour: 1,
            against: 0,
            abstain: 1,
            not_voted: 1,
            eligible: 3,
            outcome: "approved".into(),
        }],
        counted: vec![hash_text(&Hash::sha256(b"note"))],
    };
    let entry = document.to_entry(at);
    let body = String::from_utf8(entry.body_bytes().to_vec()).expect("UTF-8");
    assert!(body.starts_with("{\"version\":1,\"ballot\":\"B1\",\"roll\":\"sha256:"));
    assert!(body.contains(
        "\"votes\":2,\"questions\":[{\"question\":\"main\",\"in_favour\":1,\"against\":0,\
         \"abstain\":1,\"not_voted\":1,\"eligible\":3,\"outcome\":\"approved\"}],\"counted\":[\"sha256:"
    ));
    assert_eq!(TallyDocument::from_entry(&entry), Ok(document.clone()));
    let spaced = Entry::new(TALLY_KIND, at)
        .header("ballot", "B1")
        .body(body.replace(",\"votes\"", ", \"votes\"").into_bytes());
    assert!(TallyDocument::from_entry(&spaced).is_err());
    let other_ballot = Entry::new(TALLY_KIND, at)
        .header("ballot", "B2")
        .body(document.to_bytes());
    assert!(TallyDocument::from_entry(&other_ballot).is_err());
}
