//! A delegate's check of a stored vote receipt against a verified bundle
//! (SPEC section 4, "Receipt"; issue: "his or her vote is in the certified
//! tree and is the one counted for the organisation, or was superseded by
//! a later one that the bundle names").
//!
//! The receipt's checkpoint must be signed by the log key and its root
//! must be the verified log's at that size (otherwise the log showed the
//! delegate another history); its inclusion proof must hold; the entry it
//! carries must be the log's entry at its index, a vote entry; then the
//! replayed ballot says what became of the vote.

use serde::Serialize;

use crate::ballot::{BallotBook, hash_text};
use crate::entry::Entry;
use crate::note::VerifierKey;
use crate::tlog::receipt::Receipt;
use crate::tlog::tree::{MemoryHashes, tree_hash};
use crate::tlog::{Hash, TreeSize, leaf_hash};
use crate::vote::VOTE_ENTRY_KIND;

use super::verify::AuditError;

/// What became of the vote a receipt was given for.
#[derive(Debug, Clone, Serialize)]
pub struct ReceiptReport {
    /// The receipt's name (its file).
    pub name: String,
    /// The vote entry's log index.
    pub index: u64,
    /// The ballot.
    pub ballot: String,
    /// `sha256:<hex>` of the signed vote note.
    pub note: String,
    /// The organisation voted for, once revealed.
    pub organisation: Option<String>,
    /// The question, once revealed.
    pub question: Option<String>,
    /// `counted`, `superseded`, or `unrevealed` (the ballot has not closed
    /// in this bundle).
    pub status: String,
    /// The log index of the vote that counted instead, if superseded.
    pub superseded_by: Option<u64>,
    /// Who signed that vote.
    pub superseded_by_person: Option<String>,
    /// Whether the vote is inside the tree head the chair certified.
    pub certified: bool,
    /// The size of the receipt's checkpoint.
    pub checkpoint_size: u64,
    /// One readable sentence.
    pub summary: String,
    /// With a witness policy whose quorum is not `none`: what the
    /// witnesses' cosignatures show about the receipt
    /// (`super::witnessed::receipt_witnessing`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub witnessed: Option<ReceiptWitnessing>,
}

/// What the witnesses' cosignatures show about one receipt, under a
/// policy. The receipt's checkpoint is the verified log's at its size
/// (checked first), so it is consistent with every checkpoint of the
/// verified log the witnesses cosigned: a quorum on a later one that
/// contains the vote vouches for the receipt as much as a quorum on its
/// own checkpoint would.
#[derive(Debug, Clone, Serialize)]
pub struct ReceiptWitnessing {
    /// When the quorum had cosigned the receipt's own checkpoint (its
    /// size, from any source, the receipt's own cosignature lines
    /// included), RFC 3339; `null` if it has not.
    pub checkpoint_quorum_by: Option<String>,
    /// When a quorum had cosigned a checkpoint of the verified log that
    /// contains the vote (the k-th smallest of the witnesses' earliest
    /// timestamps on such checkpoints), RFC 3339. Required: the check
    /// fails without it.
    pub entry_quorum_by: String,
    /// `receipt-checkpoint` if the quorum cosigned the receipt's own
    /// checkpoint, `later-checkpoint` if only later checkpoints (which
    /// contain the vote, and with which the receipt's is consistent).
    pub basis: String,
    /// One readable sentence.
    pub summary: String,
}

/// Checks one receipt against the verified log (`leaves`, `hashes`) and
/// its replay (`book`).
pub(crate) fn check_receipt(
    name: &str,
    bytes: &[u8],
    log_key: &VerifierKey,
    leaves: &[Hash],
    hashes: &MemoryHashes,
    book: &BallotBook,
) -> Result<ReceiptReport, AuditError> {
    let bad = |reason: String| AuditError::Receipt {
        name: name.to_owned(),
        reason,
    };
    let receipt = Receipt::parse(bytes).map_err(|e| bad(format!("not a receipt: {e}")))?;
    let extra = receipt
        .extra()
        .ok_or_else(|| bad("it carries no entry (no extra line)".into()))?;
    let leaf = leaf_hash(extra);
    let checkpoint = receipt
        .verify_leaf_hash(&leaf, log_key)
        .map_err(|e| bad(format!("it does not verify under the log key: {e}")))?
        .into_inner();
    let size = checkpoint.size().get();
    if size > leaves.len() as u64 {
        return Err(bad(format!(
            "its checkpoint (size {size}) is newer than this bundle (size {}): export a newer \
             bundle",
            leaves.len()
        )));
    }
    let expected = tree_hash(TreeSize::new(size), hashes)
        .expect("invariant: the size is at most the verified tree's");
    if *checkpoint.root() != expected {
        return Err(bad(format!(
            "split view: its checkpoint signs the root {} for size {size}, but this log has \
             {expected} at that size: the log showed you another history (keep the receipt: \
             it is the evidence)",
            checkpoint.root()
        )));
    }
    let index = receipt.index().get();
    if leaves.get(index as usize) != Some(&leaf) {
        return Err(bad(format!(
            "entry {index} of this log is not the receipt's"
        )));
    }
    let entry = Entry::parse(extra).map_err(|e| bad(format!("its entry: {e}")))?;
    if entry.kind() != VOTE_ENTRY_KIND {
        return Err(bad(format!("entry {index} is a {} entry", entry.kind())));
    }
    let ballot = entry.get("ballot").unwrap_or_default().to_owned();
    let tracked = book
        .ballot(&ballot)
        .ok_or_else(|| bad(format!("the log has no ballot {ballot:?}")))?;
    let open = tracked
        .lifecycle
        .opened()
        .ok_or_else(|| bad(format!("ballot {ballot} never opened")))?;
    let votes = &open.votes;
    let vote = votes
        .iter()
        .find(|v| v.index == index)
        .ok_or_else(|| bad(format!("entry {index} is not a vote of ballot {ballot}")))?;
    let note = hash_text(&vote.note);
    let certified = tracked
        .lifecycle
        .certification()
        .is_some_and(|c| index < c.size);
    let mut report = ReceiptReport {
        name: name.to_owned(),
        index,
        ballot: ballot.clone(),
        note: note.clone(),
        organisation: None,
        question: None,
        status: "unrevealed".into(),
        superseded_by: None,
        superseded_by_person: None,
        certified,
        checkpoint_size: size,
        summary: String::new(),
        witnessed: None,
    };
    let (Some(revealed), Some(tally)) = (&vote.revealed, tracked.lifecycle.tally()) else {
        report.summary = format!(
            "vote entry {index} of ballot {ballot} is in the log; the ballot is {} in this \
             bundle, so what counted is not known yet",
            tracked.lifecycle.state()
        );
        return Ok(report);
    };
    let organisation = open.organisation_of(revealed);
    let question = open.question_of(revealed);
    report.organisation = Some(organisation.to_string());
    report.question = Some(question.to_string());
    let slot = |v: &&crate::ballot::LoggedVote| {
        v.revealed
            .is_some_and(|r| r.roll_line == revealed.roll_line && r.question == revealed.question)
    };
    let certified_text = if certified {
        "inside the tree head the chair certified"
    } else {
        "not covered by a certification in this bundle"
    };
    if tally.counted.contains(&note) {
        report.status = "counted".into();
        report.summary = format!(
            "vote entry {index} ({} for {}, question {}) is the one counted for {}; {certified_text}",
            revealed.choice, organisation, question, organisation
        );
        return Ok(report);
    }
    let later = votes
        .iter()
        .filter(slot)
        .rfind(|v| tally.counted.contains(&hash_text(&v.note)))
        .or_else(|| votes.iter().rfind(slot));
    report.status = "superseded".into();
    if let Some(later) = later.filter(|l| l.index > index) {
        let person = later.revealed.map(|r| votes.signer(&r).to_string());
        report.superseded_by = Some(later.index);
        report.summary = format!(
            "vote entry {index} for {} (question {}) was superseded by the later vote entry {} \
             signed by {}; {certified_text}",
            organisation,
            question,
            later.index,
            person.as_deref().unwrap_or("?")
        );
        report.superseded_by_person = person;
    } else {
        return Err(bad(format!(
            "vote entry {index} was admitted but neither counted nor superseded by a later vote"
        )));
    }
    Ok(report)
}
