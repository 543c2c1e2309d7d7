//! The properties the fuzz targets check, shared by the targets in `fuzz/`
//! and by `tests/fuzz_regressions.rs`, so that what the fuzzer found and
//! what CI replays cannot drift apart. Built only with the `fuzzing`
//! feature, which the fuzz crate and the crate's own tests turn on: it is
//! not part of the crate's interface.
//!
//! Each check takes arbitrary bytes and panics if a property fails: the
//! parser never panics, and where the format is canonical whatever parses
//! encodes back to exactly the input. [`CHECKS`] lists them by target
//! name. None of them uses the server.

use std::collections::BTreeSet;
use std::sync::OnceLock;

use crate::ballot::records::{ballot_only, ballot_only_entry};
use crate::ballot::{
    ANNOUNCEMENT_KIND, AnnouncementNote, AnnouncementRecord, BallotBook, CANCELLED_KIND,
    CLOSE_KIND, NOTIFICATION_KIND, NoDocuments, Notification, ROLL_KIND, RollRecord,
    SignedAnnouncement, TALLY_KIND, TallyDocument,
};
use crate::entry::Entry;
use crate::id::{Id, MeetingId, OrgId, PersonId};
use crate::note::{KeyName, Limits, Note, SigningKey, VerifierKey};
use crate::registry::{
    Applied, Fact, GroupId, GroupRecord, GroupState, ImportError, PersonRecord, import_attendance,
};
use crate::rules::{Meeting, MeetingFormat, Membership, OrgClass, Organisation, Profile};
use crate::time::Timestamp;
use crate::tlog::Hash;
use crate::tlog::checkpoint::{Checkpoint, Origin, open_checkpoint};
use crate::tlog::receipt::Receipt;
use crate::tlog::tile::{Tile, decode_bundle, encode_bundle, parse_tile_data, tile_hash_indexes};
use crate::vote::{ChoiceWord, SubmittedVote, vote_entry};

/// A check: panics if a property of the parser fails on the input.
pub type Check = fn(&[u8]);

/// Every check, by the name of its fuzz target (and of its folders under
/// `fuzz/seeds/` and `tests/fuzz_regressions/`).
pub const CHECKS: &[(&str, Check)] = &[
    ("note_parse", note_parse),
    ("key_parse", key_parse),
    ("checkpoint_parse", checkpoint_parse),
    ("receipt_parse", receipt_parse),
    ("entry_parse", entry_parse),
    ("vote_parse", vote_parse),
    ("announcement_parse", announcement_parse),
    ("registry_fact", registry_fact),
    ("ballot_entry", ballot_entry),
    ("csv_import", csv_import),
    ("tile_path", tile_path),
    ("bundle_decode", bundle_decode),
    ("scenario_parse", scenario_parse),
    ("timestamp_parse", timestamp_parse),
    ("statement_parse", statement_parse),
    ("tar_read", tar_read),
    ("policy_parse", policy_parse),
    ("pack_read", pack_read),
];

fn t(text: &str) -> Timestamp {
    Timestamp::parse(text).expect("invariant: a valid fixed time")
}

/// The fixed key the note targets verify against.
fn fuzz_key() -> &'static SigningKey {
    static KEY: OnceLock<SigningKey> = OnceLock::new();
    KEY.get_or_init(|| {
        SigningKey::from_seed(KeyName::new("fuzz.example").expect("valid"), &[1; 32])
    })
}

/// A person's fixed key, for the vote and announcement targets.
fn alice_key() -> &'static VerifierKey {
    static KEY: OnceLock<VerifierKey> = OnceLock::new();
    KEY.get_or_init(|| {
        SigningKey::from_seed(KeyName::new("alice").expect("valid"), &[7; 32]).verifier_key()
    })
}

/// A small fixed group: `ISG-ETI` (etsi-isg) created 2026-01-05, with the
/// organisation `cadzow`, its persons `alice` (on the membership list) and
/// `bob`, the face-to-face kick-off meeting `KoM` and the online meeting
/// `call`.
pub fn fixed_state() -> &'static GroupState {
    static STATE: OnceLock<GroupState> = OnceLock::new();
    STATE.get_or_init(|| {
        let at = t("2026-01-05T00:00:00Z");
        let group = GroupRecord::defaults(GroupId::new("ISG-ETI").expect("id"), Profile::EtsiIsg);
        let mut state = GroupState::genesis(&Fact::from(group).to_entry(at)).expect("valid group");
        let cadzow = Organisation {
            id: OrgId::new("cadzow").expect("id"),
            class: OrgClass::Member,
            founding: true,
            membership: Membership {
                from: Some(t("2020-04-06T00:00:00Z")),
                to: None,
            },
        };
        let person = |name: &str, listed: bool| PersonRecord {
            id: PersonId::new(name).expect("id"),
            organisation: OrgId::new("cadzow").expect("id"),
            on_membership_list: listed,
            reconfirmed: None,
        };
        let meeting = |name: &str, format, start: &str, end: &str| Meeting {
            id: MeetingId::new(name).expect("id"),
            plenary: true,
            format,
            start: t(start),
            end: t(end),
            kick_off: name == "KoM",
        };
        let facts: [Fact; 5] = [
            cadzow.into(),
            person("alice", true).into(),
            person("bob", false).into(),
            meeting(
                "KoM",
                MeetingFormat::FaceToFace,
                "2020-06-02T08:00:00Z",
                "2020-06-03T17:00:00Z",
            )
            .into(),
            meeting(
                "call",
                MeetingFormat::Online,
                "2020-07-01T08:00:00Z",
                "2020-07-01T10:00:00Z",
            )
            .into(),
        ];
        for fact in facts {
            state.apply(&fact.to_entry(at)).expect("valid fact");
        }
        state
    })
}

/// Asserts that `entry` encodes to exactly `data`.
fn assert_encodes_to(entry: &Entry, data: &[u8], what: &str) {
    assert_eq!(
        entry.encode().as_deref(),
        Ok(data),
        "{what} re-encodes exactly"
    );
}

/// Signed notes: parsing never panics, a parsed note re-encodes to the
/// exact input, and verification against a fixed key never panics.
pub fn note_parse(data: &[u8]) {
    let Ok(note) = Note::parse(data, Limits::CHECKPOINT) else {
        return;
    };
    assert_eq!(
        note.to_text().as_bytes(),
        data,
        "a parsed note re-encodes exactly"
    );
    let _ = note.verify(&[fuzz_key().verifier_key()]);
}

/// Verifier and private keys: a parsed key re-encodes exactly.
pub fn key_parse(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(key) = VerifierKey::parse(text) {
        assert_eq!(
            key.encode(),
            text,
            "a parsed verifier key re-encodes exactly"
        );
    }
    if let Ok(key) = SigningKey::parse(text) {
        assert_eq!(
            key.encode_private(),
            text,
            "a parsed private key re-encodes exactly"
        );
    }
}

/// Checkpoints as text (re-encoded exactly) and as signed notes (opened
/// against a fixed key without panicking).
pub fn checkpoint_parse(data: &[u8]) {
    if let Ok(text) = std::str::from_utf8(data)
        && let Ok(checkpoint) = Checkpoint::parse(text)
    {
        assert_eq!(
            checkpoint.to_text(),
            text,
            "a parsed checkpoint re-encodes exactly"
        );
    }
    let _ = open_checkpoint(data, &fuzz_key().verifier_key());
}

/// tlog-proof receipts: re-encoded exactly; verification never panics.
pub fn receipt_parse(data: &[u8]) {
    let Ok(receipt) = Receipt::parse(data) else {
        return;
    };
    assert_eq!(
        receipt.to_text().as_bytes(),
        data,
        "a parsed receipt re-encodes exactly"
    );
    let _ = receipt.verify(
        receipt.extra().unwrap_or_default(),
        &fuzz_key().verifier_key(),
    );
}

/// Entry envelopes (`Entry::parse`): re-encoded exactly.
pub fn entry_parse(data: &[u8]) {
    match Entry::parse(data) {
        Ok(entry) => {
            assert_encodes_to(&entry, data, "a parsed entry");
            let _ = format!("{entry:?}");
        }
        Err(e) => {
            let _ = e.to_string();
        }
    }
}

/// Signed vote notes (`SubmittedVote::parse`): the note's text is exactly
/// the text the parsed vote writes, the signer is the person, verification
/// never panics, and the vote entry committing to it parses back.
pub fn vote_parse(data: &[u8]) {
    let vote = match SubmittedVote::parse(data) {
        Ok(vote) => vote,
        Err(e) => {
            let _ = (e.to_string(), e.code());
            return;
        }
    };
    assert_eq!(vote.bytes, data, "the vote keeps the exact bytes");
    let note = Note::parse(data, Limits::VOTE).expect("a parsed vote is a note");
    assert_eq!(
        vote.vote.text(),
        note.text(),
        "a parsed vote's text re-encodes exactly"
    );
    assert_eq!(vote.person.as_str(), note.signatures()[0].name().as_str());
    ChoiceWord::new(vote.vote.choice.as_str()).expect("the choice is a choice word");
    let entry = vote_entry(t("2026-01-05T00:00:00Z"), &vote.vote.ballot, data);
    let bytes = entry.encode().expect("a vote entry is small");
    assert_eq!(
        Entry::parse(&bytes),
        Ok(entry),
        "the vote entry parses back"
    );
    let _ = vote.verify(alice_key());
}

/// Announcements: the bare text (`AnnouncementNote::parse_text`) and the
/// signed note (`SignedAnnouncement::parse`) re-encode exactly, and the
/// `announcement` entry of a parsed one reads back.
pub fn announcement_parse(data: &[u8]) {
    if let Ok(text) = std::str::from_utf8(data)
        && let Ok(note) = AnnouncementNote::parse_text(text)
    {
        assert_eq!(note.text(), text, "a parsed announcement text re-encodes");
    }
    let Ok(signed) = SignedAnnouncement::parse(data) else {
        return;
    };
    assert_eq!(
        signed.note.text(),
        signed.signed.text(),
        "a parsed announcement's text re-encodes exactly"
    );
    assert_eq!(signed.signed.to_text().as_bytes(), data);
    let _ = signed.signer();
    let at = t("2026-01-05T00:00:00Z");
    let _ = signed.note.to_ballot(at);
    let recipients = BTreeSet::from([PersonId::new("alice").expect("id")]);
    let record = AnnouncementRecord::new(&signed, recipients);
    let entry = record.to_entry(at);
    if let Ok(bytes) = entry.encode() {
        let parsed = Entry::parse(&bytes).expect("an encoded entry parses");
        assert_eq!(AnnouncementRecord::from_entry(&parsed), Ok(record));
    }
    let _ = signed.signed.verify(std::slice::from_ref(alice_key()));
}

/// Registry entries (`Fact::from_entry`): a fact read from an entry writes
/// exactly that entry, and folding the entry into a fixed group never
/// panics.
pub fn registry_fact(data: &[u8]) {
    let Ok(entry) = Entry::parse(data) else {
        return;
    };
    match Fact::from_entry(&entry) {
        Ok(Some(fact)) => {
            assert_eq!(fact.kind(), entry.kind());
            assert_encodes_to(&fact.to_entry(entry.time()), data, "a registry fact");
        }
        Ok(None) => {}
        Err(refusal) => {
            let _ = (refusal.to_string(), refusal.code());
        }
    }
    if let Ok(state) = GroupState::genesis(&entry) {
        let _ = state.to_rules_registry();
    }
    let mut state = fixed_state().clone();
    let before = state.clone();
    match state.apply(&entry) {
        Ok(_) => {
            let _ = state.to_rules_registry();
        }
        Err(_) => assert_eq!(state, before, "a refused entry leaves the state unchanged"),
    }
}

/// Ballot entries (`announcement`, `ballot-cancelled`, `roll`, `close`,
/// `tally`, `notification`): a record read from an entry writes exactly
/// that entry; folding the entry (`vote` too) into a fixed group's empty
/// ballot book never panics.
pub fn ballot_entry(data: &[u8]) {
    let Ok(entry) = Entry::parse(data) else {
        return;
    };
    let time = entry.time();
    let kind = entry.kind();
    match kind {
        ANNOUNCEMENT_KIND => {
            if let Ok(record) = AnnouncementRecord::from_entry(&entry) {
                assert_encodes_to(&record.to_entry(time), data, "an announcement record");
                let _ = SignedAnnouncement::parse(&record.body);
            }
        }
        CANCELLED_KIND | CLOSE_KIND => {
            let kind = if kind == CLOSE_KIND {
                CLOSE_KIND
            } else {
                CANCELLED_KIND
            };
            if let Ok(ballot) = ballot_only(&entry, kind) {
                assert_encodes_to(
                    &ballot_only_entry(kind, time, &ballot),
                    data,
                    "a ballot-only record",
                );
            }
        }
        ROLL_KIND => {
            if let Ok(record) = RollRecord::from_entry(&entry) {
                assert_encodes_to(&record.to_entry(time), data, "a roll record");
            }
        }
        TALLY_KIND => {
            if let Ok(document) = TallyDocument::from_entry(&entry) {
                assert_encodes_to(&document.to_entry(time), data, "a tally document");
            }
        }
        NOTIFICATION_KIND => {
            if let Ok(notification) = Notification::from_entry(&entry) {
                assert_encodes_to(&notification.to_entry(time), data, "a notification");
            }
        }
        _ => {}
    }
    // The fold: the registry first (which orders the entry in time), then
    // the ballots.
    let mut state = fixed_state().clone();
    if let Ok(Applied::NotRegistry(_)) = state.apply(&entry) {
        let mut book = BallotBook::new(Origin::new("vote.example.org/ETI").expect("origin"));
        let before = book.clone();
        if let Err(refusal) = book.apply(&state, &entry, &NoDocuments) {
            let _ = refusal.to_string();
            assert_eq!(book, before, "a refused entry leaves the book unchanged");
        }
    }
}

/// The attendance import (`import_attendance`) against a fixed group: never
/// panics; rows are reported in line order; every imported record is
/// accepted by the fold.
pub fn csv_import(data: &[u8]) {
    let state = fixed_state();
    match import_attendance(state, data) {
        Ok(records) => {
            assert!(!records.is_empty(), "an import imports at least one row");
            let mut state = state.clone();
            let at = state.last_time();
            for record in records {
                state
                    .apply(&Fact::Attendance(record).to_entry(at))
                    .expect("an imported row is accepted by the fold");
            }
        }
        Err(ImportError::Rows(errors)) => {
            assert!(!errors.is_empty(), "a refused import names a row");
            assert!(
                errors.windows(2).all(|w| w[0].line <= w[1].line),
                "faulty rows are reported in line order"
            );
            assert!(errors.iter().all(|e| e.line >= 2), "rows follow the header");
            let _ = ImportError::Rows(errors).to_string();
        }
        Err(e) => {
            let _ = (e.to_string(), e.code());
        }
    }
}

/// Tile paths (`Tile::parse_path`, the first line of the input) re-encode
/// exactly; tile data (`parse_tile_data`, the rest) splits into hashes that
/// concatenate to the input.
pub fn tile_path(data: &[u8]) {
    let (first, rest) = match data.iter().position(|&b| b == b'\n') {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (data, &[][..]),
    };
    for text in [first, data] {
        let Ok(text) = std::str::from_utf8(text) else {
            continue;
        };
        let Ok(tile) = Tile::parse_path(text) else {
            continue;
        };
        assert_eq!(tile.path(), text, "a parsed tile path re-encodes exactly");
        if let Some(companion) = tile.companion() {
            assert_eq!(Tile::parse_path(&companion.path()), Ok(companion));
        }
        if let Ok(indexes) = tile_hash_indexes(&tile) {
            assert_eq!(indexes.len(), usize::from(tile.width()));
        }
        if let Ok(hashes) = parse_tile_data(&tile, rest) {
            assert_eq!(hashes.len(), usize::from(tile.width()));
            let bytes: Vec<u8> = hashes.iter().flat_map(|h| *h.as_bytes()).collect();
            assert_eq!(bytes, rest, "tile data re-encodes exactly");
        }
    }
}

/// Entry bundles (`decode_bundle`, with the count in the first two bytes)
/// re-encode exactly, and an entries file (`staticlog::parse_entries`, the
/// whole input) joins back to the input.
pub fn bundle_decode(data: &[u8]) {
    if let Some((count, rest)) = data.split_first_chunk::<2>() {
        let count = usize::from(u16::from_be_bytes(*count));
        if let Ok(entries) = decode_bundle(rest, count) {
            assert_eq!(entries.len(), count);
            let slices: Vec<&[u8]> = entries.iter().map(Vec::as_slice).collect();
            assert_eq!(
                encode_bundle(&slices).as_deref(),
                Ok(rest),
                "a decoded bundle re-encodes exactly"
            );
        }
    }
    if let Ok(entries) = crate::staticlog::parse_entries(data) {
        let joined = entries.join(&b'\n');
        let with_newline = [joined.as_slice(), b"\n"].concat();
        assert!(
            joined == data || (!entries.is_empty() && with_newline == data),
            "parsed entries join back to the file"
        );
        assert!(
            entries.iter().all(|e| !e.contains(&b'\r')),
            "no entry holds a carriage return"
        );
    }
}

/// Simulation scenarios (`simulate`): never panic; a report serialises.
pub fn scenario_parse(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(scenario) = crate::simulate::Scenario::parse(text) else {
        return;
    };
    let results = scenario.run();
    let report = crate::simulate::report(&scenario.parameters, &results);
    serde_json::to_string(&report).expect("a report serialises");
    let _ = crate::simulate::explain(&scenario, &results);
}

/// The plain form of an accepted timestamp: trailing fractional zeros (and
/// an empty fraction) removed.
fn plain_form(text: &str) -> String {
    match text.strip_suffix('Z').and_then(|s| s.split_once('.')) {
        Some((whole, fraction)) => {
            let fraction = fraction.trim_end_matches('0');
            if fraction.is_empty() {
                format!("{whole}Z")
            } else {
                format!("{whole}.{fraction}Z")
            }
        }
        None => text.to_owned(),
    }
}

/// Timestamps (`Timestamp::parse`) and ids (`Id::new`, choice words):
/// an accepted timestamp's text differs from its display form only by
/// trailing fractional zeros, and both of its text forms and its serde form
/// parse back; an accepted id is the text itself.
pub fn timestamp_parse(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match Timestamp::parse(text) {
        Ok(time) => {
            let shown = time.to_string();
            assert_eq!(
                shown,
                plain_form(text),
                "the display form is the plain form"
            );
            assert_eq!(Timestamp::parse(&shown), Ok(time));
            assert_eq!(
                Timestamp::parse(&time.to_rfc3339_micros()),
                Ok(time.floor_micros())
            );
            assert!(time.floor_micros() <= time);
            let json = serde_json::to_string(&time).expect("a timestamp serialises");
            assert_eq!(serde_json::from_str::<Timestamp>(&json).ok(), Some(time));
            let _ = time.checked_add_months(3);
        }
        Err(e) => {
            let _ = e.to_string();
        }
    }
    match Id::new(text) {
        Ok(id) => {
            assert_eq!(id.as_str(), text);
            assert!(text.len() <= crate::id::MAX_ID_LEN);
            let json = serde_json::to_string(&id).expect("an id serialises");
            assert_eq!(serde_json::from_str::<Id>(&json).ok(), Some(id));
        }
        Err(e) => {
            let _ = e.to_string();
        }
    }
    if let Ok(word) = ChoiceWord::new(text) {
        assert_eq!(word.as_str(), text);
    }
    let _ = Hash::from_hex(text);
}

/// Certification, appeal and decision notes (`docs/formats.md` 7.11 to
/// 7.13): a text that parses re-encodes exactly; a signed statement
/// re-encodes exactly and its entry reads back; a statement entry read
/// from bytes writes exactly those bytes.
pub fn statement_parse(data: &[u8]) {
    use crate::ballot::{
        APPEAL_KIND, AppealNote, CERTIFICATION_KIND, CertificationNote, DECISION_KIND,
        DecisionNote, SignedStatement, StatementRecord,
    };
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(note) = CertificationNote::parse_text(text) {
            assert_eq!(note.text(), text, "a certification text re-encodes");
        }
        if let Ok(note) = AppealNote::parse_text(text) {
            assert_eq!(note.text(), text, "an appeal text re-encodes");
        }
        if let Ok(note) = DecisionNote::parse_text(text) {
            assert_eq!(note.text(), text, "a decision text re-encodes");
        }
    }
    let kinds = [CERTIFICATION_KIND, APPEAL_KIND, DECISION_KIND];
    if let Ok(entry) = Entry::parse(data)
        && let Some(kind) = kinds.into_iter().find(|k| *k == entry.kind())
        && let Ok(record) = StatementRecord::from_entry(&entry)
    {
        assert_eq!(record.to_entry(kind, entry.time()), entry);
    }
    let Ok(signed) = SignedStatement::parse(data) else {
        return;
    };
    assert_eq!(signed.signed.to_text().as_bytes(), data);
    let ballot = crate::id::BallotId::new("B1").expect("id");
    let record = StatementRecord::new(ballot, data.to_vec());
    let entry = record.to_entry(APPEAL_KIND, t("2026-01-05T00:00:00Z"));
    if let Ok(bytes) = entry.encode() {
        let parsed = Entry::parse(&bytes).expect("an encoded entry parses");
        assert_eq!(StatementRecord::from_entry(&parsed), Ok(record));
    }
    let _ = signed.signed.verify(std::slice::from_ref(alice_key()));
}

/// Bundle archives (`audit::tar`): what reads writes back to an archive
/// that reads as the same files.
pub fn tar_read(data: &[u8]) {
    use crate::audit::tar::{read_tar, write_tar};
    let Ok(files) = read_tar(data) else {
        return;
    };
    let again = write_tar(files.iter().map(|(p, b)| (p.as_str(), b.as_slice())))
        .expect("the paths an archive reads are writable");
    assert_eq!(read_tar(&again), Ok(files), "an archive round-trips");
}

/// C2SP tlog-policy files (`tlog::policy`): parsing never panics, and a
/// parsed policy answers its questions and judges a fixed checkpoint
/// without panicking.
pub fn policy_parse(data: &[u8]) {
    use crate::tlog::policy::Policy;
    let Ok(policy) = Policy::parse(data) else {
        return;
    };
    let _ = policy.requires_cosignatures();
    for log in policy.logs() {
        assert!(policy.log_for_origin(log.name().as_str()).is_some());
    }
    static CHECKPOINT: OnceLock<Vec<u8>> = OnceLock::new();
    let checkpoint = CHECKPOINT.get_or_init(|| {
        let origin = Origin::new("fuzz.example").expect("origin");
        crate::tlog::checkpoint::sign_checkpoint(
            &Checkpoint::new(
                origin,
                crate::tlog::TreeSize::new(1),
                Hash::sha256(b"x"),
                Vec::new(),
            )
            .expect("a checkpoint"),
            fuzz_key(),
        )
        .expect("sign")
    });
    let _ = policy.check_quorum(checkpoint);
    let _ = policy.verify_checkpoint(checkpoint);
}

/// Documents packs (`audit::pack`): reading never panics; each document
/// read is named by its SHA-256 at its frame's offset; what reads encodes
/// back to exactly the input, and reads the same in pieces of any size.
pub fn pack_read(data: &[u8]) {
    use crate::audit::pack::{PACK_MAGIC, PackReader, encode_pack, read_pack};
    /// A source giving at most 7 bytes per read, so frames straddle reads.
    struct Trickle<'a>(&'a [u8]);
    impl std::io::Read for Trickle<'_> {
        fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
            let n = out.len().min(self.0.len()).min(7);
            out[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }
    let read = read_pack(data);
    let pieces: Result<Vec<_>, _> = PackReader::new(Trickle(data)).collect();
    assert_eq!(pieces, read, "a pack reads the same in pieces");
    let Ok(documents) = read else {
        return;
    };
    let mut offset = PACK_MAGIC.len() as u64;
    for document in &documents {
        assert_eq!(document.offset, offset, "frames follow one another");
        assert_eq!(document.sha256, Hash::sha256(&document.bytes));
        offset += 4 + document.bytes.len() as u64;
    }
    let again = encode_pack(documents.iter().map(|d| d.bytes.as_slice()))
        .expect("what reads is distinct and small enough to encode");
    assert_eq!(again, data, "a pack re-encodes to exactly its bytes");
}
