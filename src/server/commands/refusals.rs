//! The core's refusals as the sequencer's, each with its kind: decided
//! here, in one place, for every front end.

use crate::ballot::{AnnounceRefusal, BallotRefusal, StatementRefusal, VoteRefusal};
use crate::registry::Refusal;
use crate::server::sequencer::{Refused, RefusedKind};

/// A refusal of the core with its stable code, its message and its kind.
fn refused(code: &'static str, message: String, kind: RefusedKind) -> Refused {
    Refused {
        code,
        message,
        kind,
    }
}

impl From<&VoteRefusal> for Refused {
    /// SPEC section 4: `token-mismatch` is the caller's own fault (403);
    /// a replay, an opening not yet logged or a registry whose clock is
    /// ahead conflict with the state (409); every other code breaks a rule
    /// (422).
    fn from(refusal: &VoteRefusal) -> Self {
        let kind = match refusal {
            VoteRefusal::TokenMismatch => RefusedKind::Forbidden,
            VoteRefusal::Replay | VoteRefusal::OpeningDue | VoteRefusal::Registry(_) => {
                RefusedKind::Conflict
            }
            _ => RefusedKind::Invalid,
        };
        refused(refusal.code(), refusal.to_string(), kind)
    }
}

impl From<&StatementRefusal> for Refused {
    /// A certification, appeal or decision signed by another person than
    /// the caller is 403; a conflict with the ballot's state 409; anything
    /// else 422.
    fn from(refusal: &StatementRefusal) -> Self {
        let kind = match refusal {
            StatementRefusal::TokenMismatch => RefusedKind::Forbidden,
            r if r.is_conflict() => RefusedKind::Conflict,
            _ => RefusedKind::Invalid,
        };
        refused(refusal.code(), refusal.to_string(), kind)
    }
}

impl From<&AnnounceRefusal> for Refused {
    /// An announcement of a ballot already opened, or on a registry whose
    /// clock is ahead, conflicts with the state (409); anything else breaks
    /// a rule (422).
    fn from(refusal: &AnnounceRefusal) -> Self {
        let conflict = matches!(
            refusal,
            AnnounceRefusal::NotAnnounced { .. } | AnnounceRefusal::Registry(_)
        );
        Refused::new(refusal.code(), refusal.to_string(), conflict)
    }
}

/// A cancellation's refusal: no such ballot (404), or one already opened
/// (409 `already-opened`).
pub fn cancel_refused(refusal: &BallotRefusal) -> Refused {
    match refusal {
        BallotRefusal::UnknownBallot(_) => Refused::not_found(refusal.to_string()),
        _ => Refused::conflict("already-opened", refusal.to_string()),
    }
}

/// The registry's refusal as the sequencer's, with the status decided as
/// `server::api::registry`'s documentation says: the conflicts with the state are listed
/// here, everything else is a rule violation (422). A refusal the registry
/// adds later is therefore a 422 until it is classified here.
impl From<&Refusal> for Refused {
    fn from(refusal: &Refusal) -> Self {
        let conflict = matches!(
            refusal,
            Refusal::GroupExists
                | Refusal::TimeWentBackwards { .. }
                | Refusal::UnknownOrganisation(_)
                | Refusal::UnknownPerson(_)
                | Refusal::UnknownMeeting(_)
                | Refusal::SecondKickOff(_)
                | Refusal::PhysicalAttendanceExists(_)
                | Refusal::UnknownAttendance { .. }
                | Refusal::DuplicateKey
                | Refusal::KeyIdCollision { .. }
                | Refusal::UnknownKey { .. }
                | Refusal::KeyAlreadyRevoked { .. }
                | Refusal::ChairTermOverlap { .. }
                | Refusal::NotChair { .. }
        );
        Refused::new(refusal.code(), refusal.to_string(), conflict)
    }
}
