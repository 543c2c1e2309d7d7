//! Witness evidence in an audit (SPEC section 10, "Notice proven by
//! others" and "Split views"): every cosigned checkpoint the verifier is
//! given, from any source (the bundle's `checkpoint`, its `cosigned/`
//! folder, the log's own `cosigned-checkpoint` entries, files given on the
//! command line), checked against the log key and the verified tree; and,
//! with a policy, each witness's view, the quorum on the bundle's
//! checkpoint and the time by which a quorum had seen each announcement.
//!
//! What a cosignature proves: at its timestamp, the witness had verified
//! a tree of that size consistent with everything it cosigned before. A
//! cosigned checkpoint of a size larger than an entry's index therefore
//! bounds from above the time at which the entry existed, provided the
//! checkpoint's root is the verified tree's at its size (checked here).
//! With k honest witnesses of a k-of-n quorum, the k-th smallest such
//! time is an upper bound that does not rest on the server's clock.

use std::collections::BTreeMap;

use crate::ballot::BallotBook;
use crate::note::VerifierKey;
use crate::rules::params::Parameters;
use crate::rules::schedule::notice_end;
use crate::time::Timestamp;
use crate::tlog::checkpoint::open_checkpoint;
use crate::tlog::policy::{Policy, QuorumTime};
use crate::tlog::tree::{MemoryHashes, tree_hash};
use crate::tlog::{Hash, TreeSize};

use super::receipt::{ReceiptReport, ReceiptWitnessing};
use super::report::{NoticeEvidence, WitnessReport, WitnessView};
use super::verify::AuditError;

/// The bundle's folder of cosigned checkpoints, one file per size: the
/// signed checkpoint followed by the cosignature lines the server received
/// on it (the earliest of each witness).
pub const COSIGNED_DIR: &str = "cosigned";

/// A cosigned checkpoint as read from one source.
#[derive(Debug, Clone)]
pub struct Cosigned {
    /// Where it comes from, for messages (`cosigned/12`, `log entry 40`,
    /// a file name).
    pub source: String,
    /// The signed checkpoint with its cosignature lines.
    pub bytes: Vec<u8>,
}

/// What the checked cosigned checkpoints show.
#[derive(Debug, Default)]
pub struct Evidence {
    /// How many were checked against the verified tree.
    pub within: usize,
    /// Those of a size beyond the bundle's checkpoint: (size, source).
    pub beyond: Vec<(u64, String)>,
    /// With a policy: per verified checkpoint, its size and each
    /// witness's timestamp on it (parallel to the policy's witnesses).
    times: Vec<(u64, Vec<Option<u64>>)>,
    /// With a policy: the same for checkpoints beyond the bundle's.
    times_beyond: Vec<(u64, Vec<Option<u64>>)>,
}

/// Checks every cosigned checkpoint of `sources`: signed by the log key,
/// and of the verified tree's root at its size (another root is a split
/// view). Those of a size beyond the tree cannot be compared with it, but
/// two of them of one size with different roots are a split view too.
/// With a policy, every line of a listed witness must verify.
pub fn check_cosigned(
    sources: &[Cosigned],
    log_key: &VerifierKey,
    hashes: &MemoryHashes,
    tree_size: u64,
    policy: Option<&Policy>,
) -> Result<Evidence, AuditError> {
    let mut evidence = Evidence::default();
    let mut beyond_roots: BTreeMap<u64, (Hash, String)> = BTreeMap::new();
    for c in sources {
        let bad = |reason: String| AuditError::Cosigned {
            origin: c.source.clone(),
            reason,
        };
        let checkpoint = open_checkpoint(&c.bytes, log_key)
            .map_err(|e| bad(format!("not a checkpoint signed by the log key: {e}")))?
            .into_inner();
        let size = checkpoint.size().get();
        let root = *checkpoint.root();
        let times = match policy {
            Some(policy) => Some(
                policy
                    .cosigned_times(&c.bytes)
                    .map_err(|e| bad(e.to_string()))?,
            ),
            None => None,
        };
        if size <= tree_size {
            let expected = tree_hash(TreeSize::new(size), hashes)
                .expect("invariant: the size is at most the verified tree's");
            if root != expected {
                return Err(AuditError::SplitView {
                    name: c.source.clone(),
                    size,
                    root,
                    expected,
                });
            }
            evidence.within += 1;
            evidence.times.extend(times.map(|t| (size, t)));
        } else {
            if let Some((first, source)) = beyond_roots.get(&size)
                && *first != root
            {
                return Err(AuditError::SplitView {
                    name: format!("{} (against {source})", c.source),
                    size,
                    root,
                    expected: *first,
                });
            }
            beyond_roots.insert(size, (root, c.source.clone()));
            evidence.beyond.push((size, c.source.clone()));
            evidence.times_beyond.extend(times.map(|t| (size, t)));
        }
    }
    evidence.beyond.sort();
    Ok(evidence)
}

impl Evidence {
    /// Each witness's earliest timestamp on a verified checkpoint whose
    /// size satisfies `wanted`.
    fn earliest(&self, witnesses: usize, wanted: impl Fn(u64) -> bool) -> Vec<Option<u64>> {
        let mut earliest = vec![None; witnesses];
        for (size, times) in &self.times {
            if !wanted(*size) {
                continue;
            }
            for (slot, time) in earliest.iter_mut().zip(times) {
                if let Some(t) = *time {
                    *slot = Some(slot.map_or(t, |s: u64| s.min(t)));
                }
            }
        }
        earliest
    }

    /// When the policy's quorum had cosigned the checkpoint of `size`
    /// (from any source).
    pub fn quorum_at(&self, policy: &Policy, size: u64) -> QuorumTime {
        policy.quorum_time(&self.earliest(policy.witnesses().len(), |s| s == size))
    }

    /// When the policy's quorum had cosigned a verified checkpoint that
    /// contains the entry at `index` (of a size above it): the k-th
    /// smallest of the witnesses' earliest such timestamps.
    pub fn quorum_containing(&self, policy: &Policy, index: u64) -> QuorumTime {
        policy.quorum_time(&self.earliest(policy.witnesses().len(), |s| s > index))
    }

    /// Each witness's view: what it cosigned among the checkpoints given.
    pub fn views(&self, policy: &Policy) -> Vec<WitnessView> {
        policy
            .witnesses()
            .iter()
            .enumerate()
            .map(|(i, w)| {
                let mut view = WitnessView {
                    name: String::from_utf8_lossy(&w.name).into_owned(),
                    key: w.key.encode(),
                    cosigned: 0,
                    largest: None,
                    first: None,
                    last: None,
                    beyond: 0,
                };
                let mut first = None::<u64>;
                let mut last = None::<u64>;
                for (size, times) in &self.times {
                    if let Some(t) = times[i] {
                        view.cosigned += 1;
                        view.largest = view.largest.max(Some(*size));
                        first = Some(first.map_or(t, |f| f.min(t)));
                        last = Some(last.map_or(t, |l| l.max(t)));
                    }
                }
                view.beyond = self
                    .times_beyond
                    .iter()
                    .filter(|(_, t)| t[i].is_some())
                    .count();
                view.first = first.map(seconds_text);
                view.last = last.map(seconds_text);
                view
            })
            .collect()
    }
}

/// A POSIX time in seconds as RFC 3339 with six fractional digits, or the
/// number if it is out of range.
pub fn seconds_text(seconds: u64) -> String {
    seconds_time(seconds).map_or_else(|| seconds.to_string(), |t| t.to_rfc3339_micros())
}

fn seconds_time(seconds: u64) -> Option<Timestamp> {
    Timestamp::from_unix_nanos(i128::from(seconds) * 1_000_000_000)
}

/// The notice evidence of every announced ballot of `book`: the time by
/// which a quorum had cosigned a checkpoint containing its (latest)
/// announcement, and whether the notice ran from then to its deadline.
pub fn notice_evidence(
    evidence: &Evidence,
    policy: &Policy,
    parameters: &Parameters,
    book: &BallotBook,
) -> Vec<NoticeEvidence> {
    let mut out = Vec::new();
    for (id, tracked) in book.ballots() {
        if tracked.lifecycle.state() == "cancelled" {
            continue;
        }
        let announced = tracked.lifecycle.announced();
        let deadline = announced.scheduled.deadline();
        let quorum = evidence.quorum_containing(policy, announced.index);
        let (witnessed, proven) = match quorum {
            QuorumTime::Met(t) => {
                let until = seconds_time(t).and_then(|t| notice_end(parameters.notice, t));
                (Some(t), until.is_some_and(|end| end <= deadline))
            }
            QuorumTime::NotMet | QuorumTime::NotRequired => (None, false),
        };
        out.push(NoticeEvidence {
            ballot: id.to_string(),
            index: announced.index,
            announced: announced.ballot.announced.to_rfc3339_micros(),
            deadline: deadline.to_rfc3339_micros(),
            witnessed_by: witnessed.map(seconds_text),
            proven,
        });
    }
    out
}

/// What the witnesses' cosignatures show about a receipt already checked
/// against the verified log (so its checkpoint is the log's at its size,
/// consistent with every verified cosigned checkpoint). Required: a quorum
/// cosigned a verified checkpoint containing the vote, the receipt's own
/// or a later one; reported: which, and by when.
pub fn receipt_witnessing(
    evidence: &Evidence,
    policy: &Policy,
    receipt: &ReceiptReport,
) -> Result<ReceiptWitnessing, AuditError> {
    let size = receipt.checkpoint_size;
    let own = match evidence.quorum_at(policy, size) {
        QuorumTime::Met(t) => Some(seconds_text(t)),
        QuorumTime::NotMet | QuorumTime::NotRequired => None,
    };
    let QuorumTime::Met(entry) = evidence.quorum_containing(policy, receipt.index) else {
        return Err(AuditError::Receipt {
            name: receipt.name.clone(),
            reason: format!(
                "no quorum of the policy's witnesses cosigned a checkpoint of this log \
                 containing its vote (entry {}), in any source given",
                receipt.index
            ),
        });
    };
    let entry = seconds_text(entry);
    let (basis, summary) = match &own {
        Some(t) => (
            "receipt-checkpoint",
            format!(
                "the policy's quorum cosigned the receipt's own checkpoint (size {size}) by {t}, \
                 and a checkpoint containing the vote by {entry}"
            ),
        ),
        None => (
            "later-checkpoint",
            format!(
                "the receipt's own checkpoint (size {size}) carries no quorum of cosignatures \
                 among the checkpoints given; it is the verified log's at that size, so it is \
                 consistent with the later checkpoints the quorum cosigned, which contain the \
                 vote: a quorum had cosigned one by {entry}"
            ),
        ),
    };
    Ok(ReceiptWitnessing {
        checkpoint_quorum_by: own,
        entry_quorum_by: entry,
        basis: basis.to_owned(),
        summary,
    })
}

/// The witness report, from the evidence and the replay.
pub fn witness_report(
    evidence: &Evidence,
    policy: &Policy,
    parameters: &Parameters,
    book: &BallotBook,
    size: u64,
) -> WitnessReport {
    WitnessReport {
        quorum_at_size: match evidence.quorum_at(policy, size) {
            QuorumTime::Met(t) => Some(seconds_text(t)),
            _ => None,
        },
        witnesses: evidence.views(policy),
        announcements: notice_evidence(evidence, policy, parameters, book),
        beyond: evidence.beyond.iter().map(|(s, _)| *s).collect(),
    }
}

#[cfg(test)]
#[path = "witnessed_tests.rs"]
mod tests;
