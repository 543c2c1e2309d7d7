//! Certifying a tally, appealing a decision of the chair, and deciding an
//! appeal (SPEC 2.1 item 10): each a signed statement of the caller,
//! decided on the state at the command's turn with the notification it
//! owes (the chair for an appeal, the appellant for a decision).

use crate::ballot::{
    AppealNote, BallotBook, CertificationNote, DecisionNote, KnownRoot, SignedStatement,
    StatementRefusal,
};
use crate::entry::Entry;
use crate::id::{BallotId, PersonId};
use crate::registry::GroupState;
use crate::server::Log;
use crate::server::sequencer::{Appended, Refused};
use crate::store::Store;
use crate::time::Timestamp;
use crate::tlog::tree::tree_hash;
use crate::tlog::{Hash, TreeSize};

use super::{CommandError, first, registry_of};

/// A statement as its signer sent it, for the ballot the caller named.
#[derive(Debug, Clone)]
pub struct Statement {
    /// The signed note's exact bytes.
    pub note: Vec<u8>,
    /// The person the caller authenticated as.
    pub person: PersonId,
    /// The ballot the caller named (the request's path).
    pub ballot: BallotId,
}

/// An appeal in the log.
#[derive(Debug)]
pub struct Filed {
    /// The appeal's id: SHA-256 of its note, the name a decision uses.
    pub appeal: Hash,
    /// The appeal's entry (the chair's notification follows it).
    pub appended: Appended,
}

/// The answers a caller can act on before the sequencer's turn (the fold
/// checks them again): the note, if it parses, is signed by the caller and
/// names the ballot the caller named.
fn check_signer(
    statement: &Statement,
    note_ballot: impl FnOnce(&SignedStatement) -> Option<BallotId>,
) -> Result<(), CommandError> {
    let Ok(signed) = SignedStatement::parse(&statement.note) else {
        return Ok(());
    };
    if signed.signer != statement.person {
        return Err(Refused::from(&StatementRefusal::TokenMismatch).into());
    }
    if note_ballot(&signed).is_some_and(|b| b != statement.ballot) {
        return Err(Refused::from(&StatementRefusal::BallotMismatch).into());
    }
    Ok(())
}

/// Sequences the entries `decide` gives on the state at the sequencer's
/// turn (a statement and the notification it owes), all or none; answers
/// the first one's receipt.
async fn append_statement(
    log: &Log,
    decide: impl FnOnce(&BallotBook, &GroupState, Timestamp) -> Result<Vec<Entry>, StatementRefusal>
    + Send
    + 'static,
) -> Result<Appended, CommandError> {
    let group = log.group.clone();
    let appended = log
        .append_all(move |loaded, time| {
            let registry = registry_of(loaded, &group)?;
            decide(&loaded.book, registry, time).map_err(|r| Refused::from(&r))
        })
        .await?;
    first(appended, "a statement")
}

/// Records the chair's signed certification of a tallied ballot. The root
/// hash it names for its tree size is read from storage before the
/// sequencer's turn (a committed tree's root never changes) and checked by
/// the decision.
pub async fn certify(
    store: &Store,
    log: &Log,
    statement: Statement,
) -> Result<Appended, CommandError> {
    let named = SignedStatement::parse(&statement.note)
        .ok()
        .and_then(|s| CertificationNote::parse_text(s.signed.text()).ok());
    check_signer(&statement, |_| named.as_ref().map(|n| n.ballot.clone()))?;
    let known = match &named {
        Some(note) => KnownRoot {
            size: note.size,
            root: root_at(store, log, note.size).await?,
        },
        None => KnownRoot {
            size: 0,
            root: None,
        },
    };
    let Statement { note, person, .. } = statement;
    append_statement(log, move |book, registry, time| {
        book.decide_certification(registry, &note, time, &person, &known)
            .map(|entry| book.with_outcome_notices(registry, entry))
    })
    .await
}

/// The root hash of the group's tree of `size` leaves, if that many are
/// committed.
async fn root_at(store: &Store, log: &Log, size: u64) -> Result<Option<Hash>, CommandError> {
    let committed = log.read(|loaded| loaded.size).await?;
    if size == 0 || size > committed {
        return Ok(None);
    }
    let root = store
        .with_hashes(&log.group, |reader| tree_hash(TreeSize::new(size), reader))
        .await?
        .map_err(|e| CommandError::Internal(format!("tree hash: {e}")))?;
    Ok(Some(root))
}

/// Records a member's signed appeal against a decision of the chair, with
/// the notification owed to the chair.
pub async fn appeal(log: &Log, statement: Statement) -> Result<Filed, CommandError> {
    check_signer(&statement, |s| {
        AppealNote::parse_text(s.signed.text())
            .ok()
            .map(|n| n.ballot)
    })?;
    let appeal = Hash::sha256(&statement.note);
    let Statement { note, person, .. } = statement;
    let appended = append_statement(log, move |book, registry, time| {
        book.decide_appeal(registry, &note, time, &person)
    })
    .await?;
    Ok(Filed { appeal, appended })
}

/// Records a reviewer's signed decision on the appeal `appeal`, with the
/// notification owed to the appellant.
pub async fn decide_appeal(
    log: &Log,
    appeal: Hash,
    statement: Statement,
) -> Result<Appended, CommandError> {
    let named = SignedStatement::parse(&statement.note)
        .ok()
        .and_then(|s| DecisionNote::parse_text(s.signed.text()).ok());
    if named.as_ref().is_some_and(|n| n.appeal != appeal) {
        return Err(Refused::from(&StatementRefusal::UnknownAppeal(appeal)).into());
    }
    check_signer(&statement, |_| named.as_ref().map(|n| n.ballot.clone()))?;
    let Statement { note, person, .. } = statement;
    append_statement(log, move |book, registry, time| {
        book.decide_appeal_decision(registry, &note, time, &person)
    })
    .await
}
