//! Votes: the decision the server takes before sequencing a vote
//! ([`BallotBook::decide_vote`]) and the fold's re-check of a logged vote
//! entry, which run the very same judgement ([`BallotBook::judge`]).
//!
//! Order (SPEC section 4, then section 5): `malformed-note`,
//! `wrong-origin`, `unknown-ballot`, `token-mismatch`, (a byte-identical
//! resubmission returns the original entry here), `bad-signature`,
//! `key-revoked`, `replay`, then the rules' codes.

use crate::entry::Entry;
use crate::id::{BallotId, PersonId};
use crate::note::signed::forbidden_character;
use crate::registry::GroupState;
use crate::rules::{Admission, AdmittedVote, Roll, Vote};
use crate::time::Timestamp;
use crate::tlog::Hash;
use crate::vote::{NONCE_LEN, SubmittedVote, VOTE_ENTRY_KIND, vote_entry};

use super::book::BallotBook;
use super::lifecycle::{LateSigner, Lifecycle};
use super::refusal::{BallotRefusal, VoteRefusal};
use super::source::DocumentSource;
use crate::entry::codec::{self, Headers, Times, empty_body};

/// The largest attachment accepted: 64 KiB of UTF-8 text (SPEC section 4).
pub const ATTACHMENT_MAX_BYTES: usize = 64 * 1024;

/// What the server does with a vote that is not refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Sequence `entry` (the commitment) and store the note and
    /// attachment beside it. A voter whose vote this one supersedes is
    /// notified at the close (SPEC 2.1 item 8; SPEC section 4: nothing but
    /// the turnout shows before it), by
    /// [`BallotBook::decide_close_with_notices`].
    Accept {
        /// The vote entry to sequence.
        entry: Entry,
    },
    /// A byte-identical resubmission: not a refusal; the receipt of the
    /// original entry, at `index`, is the answer (SPEC section 4).
    Duplicate {
        /// The log index of the original vote entry.
        index: u64,
    },
}

/// A vote the judgement admitted, with what the fold records.
#[derive(Debug, Clone)]
pub(crate) struct Admitted {
    pub(crate) ballot: BallotId,
    pub(crate) nonce: [u8; NONCE_LEN],
    pub(crate) person: PersonId,
    pub(crate) admitted: AdmittedVote,
    /// The signer of the vote this one supersedes, if it is a colleague.
    pub(crate) notify: Option<PersonId>,
    /// Whether the signer or its key was registered after the
    /// announcement.
    pub(crate) late: Option<LateSigner>,
}

/// The judgement of a vote.
#[derive(Debug, Clone)]
pub(crate) enum Judged {
    /// A byte-identical resubmission of the vote at this index.
    Duplicate(u64),
    /// Admitted.
    Admitted(Box<Admitted>),
}

/// Checks the attachment named by the note: present, matching, UTF-8 text
/// of at most 64 KiB (SPEC section 4) without control characters other
/// than newline, as a note's text. Returns its text.
fn attachment_text(
    submitted: &SubmittedVote,
    attachment: Option<&[u8]>,
) -> Result<Option<String>, VoteRefusal> {
    let malformed = |what: &str| VoteRefusal::MalformedNote(what.to_owned());
    match (submitted.vote.attachment, attachment) {
        (None, None) => Ok(None),
        (None, Some(_)) => Err(malformed("an attachment was given but the note names none")),
        (Some(_), None) => Err(malformed("the attachment the note names was not given")),
        (Some(hash), Some(bytes)) => {
            if Hash::sha256(bytes) != hash {
                return Err(malformed("the attachment does not match the note's hash"));
            }
            if bytes.len() > ATTACHMENT_MAX_BYTES {
                return Err(malformed("the attachment is larger than 64 KiB"));
            }
            let text = std::str::from_utf8(bytes)
                .map_err(|_| malformed("the attachment is not UTF-8 text"))?;
            // The text is shown to readers after the close: the notes' rule
            // keeps NUL, escape sequences and stray `\r` out of it.
            if let Some((offset, c)) = forbidden_character(text) {
                return Err(VoteRefusal::MalformedNote(format!(
                    "the attachment contains the control character U+{:04X} at byte {offset} \
                     (as in a note, newline is the only one allowed)",
                    u32::from(c)
                )));
            }
            Ok(Some(text.to_owned()))
        }
    }
}

impl BallotBook {
    /// Decides a submitted vote at `time` (the receive time the entry will
    /// carry), for the bearer token's person: the check the server runs
    /// before sequencing. `attachment` is the document uploaded with the
    /// note, if any.
    pub fn decide_vote(
        &self,
        registry: &GroupState,
        submitted: &SubmittedVote,
        attachment: Option<&[u8]>,
        time: Timestamp,
        token_person: &PersonId,
    ) -> Result<Decision, VoteRefusal> {
        registry
            .check_time(time)
            .map_err(|e| VoteRefusal::Registry(e.to_string()))?;
        let time = time.floor_micros();
        let sequence = registry.entries_applied();
        match self.judge(
            registry,
            submitted,
            attachment,
            time,
            Some(token_person),
            sequence,
        )? {
            Judged::Duplicate(index) => Ok(Decision::Duplicate { index }),
            Judged::Admitted(admitted) => Ok(Decision::Accept {
                entry: vote_entry(time, &admitted.ballot, &submitted.bytes),
            }),
        }
    }

    /// Judges a vote note at `time` with log index `sequence`. `token` is
    /// the bearer token's person when deciding, `None` in the fold (tokens
    /// are not logged; the signer's key is what the log can check).
    pub(crate) fn judge(
        &self,
        registry: &GroupState,
        submitted: &SubmittedVote,
        attachment: Option<&[u8]>,
        time: Timestamp,
        token: Option<&PersonId>,
        sequence: u64,
    ) -> Result<Judged, VoteRefusal> {
        let reasons = attachment_text(submitted, attachment)?;
        let note = &submitted.vote;
        if note.origin != self.origin {
            return Err(VoteRefusal::WrongOrigin);
        }
        let unknown = || VoteRefusal::UnknownBallot(note.ballot.clone());
        let tracked = self.ballots.get(&note.ballot).ok_or_else(unknown)?;
        if matches!(tracked.lifecycle, Lifecycle::Cancelled(_)) {
            return Err(unknown());
        }
        if token.is_some_and(|p| *p != submitted.person) {
            return Err(VoteRefusal::TokenMismatch);
        }
        let commitment = submitted.commitment();
        let votes = tracked.lifecycle.votes();
        if let Some(logged) = votes.and_then(|v| v.by_note(&commitment)) {
            return Ok(Judged::Duplicate(logged.index));
        }
        // SPEC section 4: bad-signature before key-revoked, so the key is
        // found by id whatever its validity, and verified strictly first.
        let person = submitted.person.as_str();
        let key = registry
            .keys_of(person)
            .iter()
            .find(|k| k.key.id() == submitted.key_id)
            .ok_or(VoteRefusal::BadSignature)?;
        // A note verified under this very key when it was decided (or in
        // advance, by the verifier) is not verified again.
        if !self.verified.take(&commitment, &key.key) {
            submitted
                .clone()
                .verify(&key.key)
                .map_err(|_| VoteRefusal::BadSignature)?;
        }
        if registry
            .key_valid_at(person, submitted.key_id, time)
            .is_none()
        {
            return Err(VoteRefusal::KeyRevoked);
        }
        if votes.is_some_and(|v| v.nonce_used(&note.nonce)) {
            return Err(VoteRefusal::Replay);
        }

        let rules_registry = registry
            .rules_registry()
            .map_err(|e| VoteRefusal::Registry(e.to_string()))?;
        let vote = Vote {
            person: submitted.person.clone(),
            organisation: note.organisation.clone(),
            question: note.question.clone(),
            choice: note.choice.as_str().to_owned(),
            reasons,
            at: time,
            sequence,
        };
        let parameters = registry.parameters();
        let admitted: AdmittedVote = match &tracked.lifecycle {
            Lifecycle::Announced(announced) => {
                if time >= announced.ballot.opens {
                    return Err(VoteRefusal::OpeningDue);
                }
                // Before the opening there is no roll; an empty one lets
                // the rules report every code up to `outside-window`,
                // which a vote before `opens` always reaches.
                let empty = empty_roll(
                    parameters.profile,
                    announced.ballot.id.clone(),
                    &announced.scheduled,
                );
                let admission =
                    Admission::new(parameters, &rules_registry, &announced.scheduled, &empty);
                admission.judge(&vote).map_err(VoteRefusal::Rules)?;
                return Err(VoteRefusal::Rules(
                    crate::rules::AdmissionRefusal::OutsideWindow,
                ));
            }
            Lifecycle::Open(open) => {
                let lines = open.roll_lines.for_registry(&rules_registry, &open.roll);
                Admission::with_roll_lines(
                    parameters,
                    &rules_registry,
                    &open.scheduled,
                    &open.roll,
                    lines,
                )
                .judge(&vote)
                .map_err(VoteRefusal::Rules)?
            }
            Lifecycle::Closed(_) | Lifecycle::Tallied(_) | Lifecycle::Certified(_) => {
                // The close is sequenced at or after `closes` and times
                // never decrease, so the rules refuse with
                // `outside-window` or an earlier code.
                let open = tracked
                    .lifecycle
                    .opened()
                    .expect("invariant: a closed or tallied ballot has been opened");
                Admission::new(parameters, &rules_registry, &open.scheduled, &open.roll)
                    .judge(&vote)
                    .map_err(VoteRefusal::Rules)?;
                return Err(VoteRefusal::Rules(
                    crate::rules::AdmissionRefusal::OutsideWindow,
                ));
            }
            Lifecycle::Cancelled(_) => return Err(unknown()),
        };
        let slot = (admitted.roll_line, admitted.question);
        if token.is_some() {
            // Decided for sequencing (verified just now or in advance):
            // the fold judges the logged entry next, on the same note
            // bytes and key.
            self.verified.record_decided(commitment, &key.key);
        }
        // Threat model, operator: the secretariat keeps the registry, so
        // it could add a representative or a key during a ballot and vote
        // with it; such a vote counts, and is shown for what it is.
        let announced = tracked.lifecycle.announced().ballot.announced;
        let late = match registry.represents_since(person) {
            Some(since) if since > announced => Some(LateSigner::Representative(since)),
            _ => (key.added > announced).then_some(LateSigner::Key(key.added)),
        };
        let notify = votes
            .and_then(|v| v.latest(slot))
            .filter(|(_, earlier)| **earlier != submitted.person)
            .map(|(_, earlier)| earlier.clone());
        Ok(Judged::Admitted(Box::new(Admitted {
            ballot: note.ballot.clone(),
            nonce: note.nonce,
            person: submitted.person.clone(),
            admitted,
            notify,
            late,
        })))
    }

    /// Folds a `vote` entry (the registry has already applied it, so its
    /// index is `registry.entries_applied() - 1`).
    pub(crate) fn apply_vote(
        &mut self,
        registry: &GroupState,
        entry: &Entry,
        notes: &dyn DocumentSource,
    ) -> Result<(), BallotRefusal> {
        let format = BallotRefusal::format(VOTE_ENTRY_KIND);
        let h = Headers::new(entry, &[("ballot", Times::One), ("note", Times::One)])
            .map_err(&format)?;
        empty_body(entry, VOTE_ENTRY_KIND).map_err(&format)?;
        let ballot: BallotId =
            crate::entry::codec::parse_id("ballot", h.required("ballot").map_err(&format)?)
                .map_err(&format)?;
        let note =
            codec::parse_hash("note", h.required("note").map_err(&format)?).map_err(&format)?;
        let index = registry.entries_applied().saturating_sub(1);
        let tracked = self
            .ballots
            .get(&ballot)
            .ok_or_else(|| BallotRefusal::UnknownBallot(ballot.clone()))?;
        let Lifecycle::Open(open) = &tracked.lifecycle else {
            return Err(BallotRefusal::WrongState {
                ballot,
                state: tracked.lifecycle.state(),
                kind: VOTE_ENTRY_KIND,
            });
        };
        if let Some(logged) = open.votes.by_note(&note) {
            return Err(BallotRefusal::DuplicateVote {
                index: logged.index,
            });
        }
        let Some(bytes) = notes.get(&note).filter(|b| Hash::sha256(b) == note) else {
            // Not revealed (a replay before the close): only the
            // commitment and the turnout are known.
            let tracked = self.tracked_mut(&ballot);
            if let Lifecycle::Open(open) = &mut tracked.lifecycle {
                open.votes.push_unrevealed(index, note, entry.time());
            }
            return Ok(());
        };
        // The note as the verifier parsed it to verify it in advance, if it
        // did: parsed from bytes whose SHA-256 is `note`, so from these very
        // bytes; otherwise parsed here.
        let submitted = match self.verified.take_parsed(&note) {
            Some(parsed) => *parsed,
            None => SubmittedVote::parse(&bytes)
                .map_err(|e| BallotRefusal::Vote(VoteRefusal::MalformedNote(e.to_string())))?,
        };
        if submitted.vote.ballot != ballot {
            return Err(BallotRefusal::Vote(VoteRefusal::MalformedNote(
                "the note's ballot is not the entry's".into(),
            )));
        }
        let attachment = match submitted.vote.attachment {
            Some(hash) => Some(notes.get(&hash).ok_or(BallotRefusal::MissingBlob(hash))?),
            None => None,
        };
        let judged = self
            .judge(
                registry,
                &submitted,
                attachment.as_deref(),
                entry.time(),
                None,
                index,
            )
            .map_err(BallotRefusal::Vote)?;
        let admitted = match judged {
            Judged::Duplicate(index) => return Err(BallotRefusal::DuplicateVote { index }),
            Judged::Admitted(admitted) => admitted,
        };
        // From here on nothing fails: the vote is recorded at once.
        let tracked = self.tracked_mut(&ballot);
        if let Some(person) = &admitted.notify {
            *tracked.outbox.at_close.entry(person.clone()).or_insert(0) += 1;
        }
        if let Lifecycle::Open(open) = &mut tracked.lifecycle {
            if let Some(late) = admitted.late {
                open.late_signers.insert(index, late);
            }
            open.votes.push_admitted(
                index,
                note,
                admitted.nonce,
                &admitted.person,
                &admitted.admitted,
            );
        }
        Ok(())
    }
}

/// A roll without organisations, for judging votes before the opening.
fn empty_roll(
    profile: crate::rules::Profile,
    ballot: BallotId,
    scheduled: &crate::rules::Scheduled,
) -> Roll {
    Roll {
        version: crate::rules::ROLL_VERSION,
        profile,
        ballot,
        reference: scheduled.reference(),
        window: Vec::new(),
        kick_off_period: None,
        organisations: Vec::new(),
    }
}
