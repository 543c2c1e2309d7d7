//! Which entries and documents name which documents stored beside the log.
//!
//! A document stored beside the log is named by its SHA-256 in exactly one
//! place: a header of the entry that needs it (`docs/formats.md` sections
//! 7 and 8), or, for a vote's attachment, a line of the vote note. The
//! server stores each document under the entry that names it, and the
//! exporter and the verifier ask for the same documents; all of them read
//! the names here, with the same strict syntax (`sha256:` and 64 lowercase
//! hexadecimal digits, the one encoding of a hash). The documents voted on
//! are named by the signed note an announcement (version 2) carries, each
//! by a `document` line ([`drafts_named`]).

use crate::ballot::{
    ANNOUNCEMENT_KIND, AnnouncementRecord, ROLL_KIND, RollRecord, SignedAnnouncement, TALLY_KIND,
    TallyRecord,
};
use crate::contexts::VOTE_HEADER;
use crate::entry::Entry;
use crate::entry::codec::parse_hash;
use crate::tlog::Hash;
use crate::vote::{SubmittedVote, VOTE_ENTRY_KIND};

/// The document stored beside the log that `entry` names, if any: a vote
/// entry's note, the roll or tally of an entry too small to hold it (its
/// body empty), or an announcement's recipients list when it is not in
/// the headers. An entry that does not parse strictly names nothing (the
/// fold refuses it, and the verifier reports it).
pub fn document_named(entry: &Entry) -> Option<Hash> {
    match entry.kind() {
        // The hot path of a busy log: only the one header is read, as
        // strictly as the vote entry's own parser reads it.
        VOTE_ENTRY_KIND => parse_hash("note", entry.get("note")?).ok(),
        ROLL_KIND => RollRecord::from_entry(entry)
            .ok()
            .filter(|record| record.body.is_none())
            .map(|record| record.roll),
        TALLY_KIND => TallyRecord::from_entry(entry)
            .ok()
            .filter(|record| record.body.is_none())
            .map(|record| record.tally),
        ANNOUNCEMENT_KIND => AnnouncementRecord::from_entry(entry)
            .ok()
            .and_then(|record| record.recipients_beside),
        _ => None,
    }
}

/// The documents voted on that an announcement entry names: the
/// `document` lines of its signed note (version 2), in order. Any other
/// entry, or one that does not parse, names none.
pub fn drafts_named(entry: &Entry) -> Vec<Hash> {
    if entry.kind() != ANNOUNCEMENT_KIND {
        return Vec::new();
    }
    AnnouncementRecord::from_entry(entry)
        .ok()
        .and_then(|record| SignedAnnouncement::parse(&record.body).ok())
        .and_then(|signed| signed.note.subject)
        .map(|subject| subject.documents.iter().map(|d| d.sha256).collect())
        .unwrap_or_default()
}

/// Every document stored beside the log that `entry` names, in the order
/// the fold asks for them: [`document_named`], then [`drafts_named`].
pub fn documents_named(entry: &Entry) -> Vec<Hash> {
    let mut named: Vec<Hash> = document_named(entry).into_iter().collect();
    named.extend(drafts_named(entry));
    named
}

/// The attachment that a document stored beside the log names, if any:
/// only a vote note names one (its `attachment` line). A document that
/// is not a vote note, or does not parse as one, names nothing.
pub fn attachment_of(document: &[u8]) -> Option<Hash> {
    // Every other document is refused on its first bytes, without a parse.
    if !document.starts_with(VOTE_HEADER.as_bytes()) {
        return None;
    }
    SubmittedVote::parse(document).ok()?.vote.attachment
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;
    use crate::id::BallotId;
    use crate::time::Timestamp;

    fn time() -> Timestamp {
        Timestamp::parse("2026-01-01T00:00:00Z").expect("valid")
    }

    fn ballot() -> BallotId {
        BallotId::new("b1").expect("valid")
    }

    #[test]
    fn a_vote_entry_names_its_note_in_canonical_spelling_only() {
        let note = Hash::sha256(b"note");
        let canonical = Entry::new(VOTE_ENTRY_KIND, time())
            .header("ballot", "b1")
            .header("note", crate::ballot::hash_text(&note));
        assert_eq!(document_named(&canonical), Some(note));
        let upper = format!("sha256:{}", note.to_hex().to_uppercase());
        for spelling in [upper, note.to_hex(), format!("sha256:{}0", note.to_hex())] {
            let entry = Entry::new(VOTE_ENTRY_KIND, time()).header("note", &spelling);
            assert_eq!(document_named(&entry), None, "{spelling}");
        }
    }

    #[test]
    fn a_roll_names_its_document_only_when_stored_beside_the_log() {
        let document = b"{}".to_vec();
        let inline = RollRecord::new(ballot(), document.clone(), time());
        assert!(inline.body.is_some());
        assert_eq!(document_named(&inline.to_entry(time())), None);
        let beside = RollRecord {
            body: None,
            ..inline
        };
        assert_eq!(
            document_named(&beside.to_entry(time())),
            Some(Hash::sha256(&document))
        );
    }

    #[test]
    fn an_announcement_names_its_recipients_only_when_stored_beside_the_log() {
        let body = b"signed note".to_vec();
        let listed = AnnouncementRecord {
            ballot: ballot(),
            note: Hash::sha256(&body),
            recipients: BTreeSet::new(),
            recipients_beside: None,
            body,
        };
        assert_eq!(document_named(&listed.to_entry(time())), None);
        let list = Hash::sha256(b"p1\n");
        let beside = AnnouncementRecord {
            recipients_beside: Some(list),
            ..listed
        };
        assert_eq!(document_named(&beside.to_entry(time())), Some(list));
    }

    #[test]
    fn only_a_vote_note_names_an_attachment() {
        use crate::id::{OrgId, QuestionId};
        use crate::note::key::{KeyName, SigningKey};
        use crate::vote::{ChoiceWord, VoteNote};

        let key = SigningKey::from_seed(KeyName::new("alice").expect("name"), &[7u8; 32]);
        let attachment = Hash::sha256(b"a position paper");
        let vote = VoteNote {
            origin: crate::tlog::checkpoint::Origin::new("vote.example.org/g").expect("origin"),
            ballot: ballot(),
            question: QuestionId::new("main").expect("id"),
            organisation: OrgId::new("org").expect("id"),
            choice: ChoiceWord::new("yes").expect("choice"),
            attachment: Some(attachment),
            nonce: [1u8; 16],
        };
        let note = vote.sign(&key).expect("sign");
        assert_eq!(attachment_of(&note), Some(attachment));
        let without = VoteNote {
            attachment: None,
            ..vote
        };
        assert_eq!(attachment_of(&without.sign(&key).expect("sign")), None);
        assert_eq!(attachment_of(b"{\"roll\":1}"), None);
        assert_eq!(attachment_of(VOTE_HEADER.as_bytes()), None);
    }
}
