//! The known answers of `../shared/vectors/scrutineer/vote-notes.json`: our
//! vote notes and vote entries must be byte for byte those of an independent
//! implementation of SPEC section 4.

mod common;

use scrutineer::id::{BallotId, OrgId, QuestionId};
use scrutineer::note::key::SigningKey;
use scrutineer::time::Timestamp;
use scrutineer::tlog::Hash;
use scrutineer::tlog::checkpoint::Origin;
use scrutineer::vote::{ChoiceWord, SubmittedVote, VoteNote, vote_entry};

fn text<'a>(value: &'a serde_json::Value, key: &str) -> &'a str {
    value[key]
        .as_str()
        .unwrap_or_else(|| panic!("{key} is a string"))
}

#[test]
fn vote_notes_and_entries_match_the_known_answers() {
    let Some(path) = common::shared("vectors/scrutineer/vote-notes.json") else {
        return;
    };
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(path).expect("read vectors")).expect("JSON");
    let votes = json["votes"].as_array().expect("votes");
    assert!(votes.len() >= 2, "the vector file has its votes");
    for v in votes {
        let key = SigningKey::parse(text(v, "private_key")).expect("private key");
        assert_eq!(key.verifier_key().encode(), text(v, "verifier_key"));
        let nonce_hex = text(v, "nonce_hex");
        let mut nonce = [0u8; 16];
        for (i, byte) in nonce.iter_mut().enumerate() {
            *byte = u8::from_str_radix(&nonce_hex[2 * i..2 * i + 2], 16).expect("hex");
        }
        let note = VoteNote {
            origin: Origin::new(text(v, "origin")).expect("origin"),
            ballot: BallotId::new(text(v, "ballot")).expect("ballot"),
            question: QuestionId::new(text(v, "question")).expect("question"),
            organisation: OrgId::new(text(v, "organisation")).expect("organisation"),
            choice: ChoiceWord::new(text(v, "choice")).expect("choice"),
            attachment: v["attachment"].as_str().map(|a| Hash::sha256(a.as_bytes())),
            nonce,
        };
        let signed = note.sign(&key).expect("sign");
        assert_eq!(
            String::from_utf8(signed.clone()).expect("UTF-8"),
            text(v, "signed_note")
        );

        let submitted = SubmittedVote::parse(&signed).expect("parse");
        assert_eq!(submitted.vote, note);
        assert_eq!(submitted.person.as_str(), text(v, "person"));
        submitted.verify(&key.verifier_key()).expect("verifies");

        let time = Timestamp::parse(text(v, "entry_time")).expect("time");
        let entry = vote_entry(time, &note.ballot, &signed)
            .encode()
            .expect("entry");
        assert_eq!(
            String::from_utf8(entry).expect("UTF-8"),
            text(v, "vote_entry")
        );
    }
}
