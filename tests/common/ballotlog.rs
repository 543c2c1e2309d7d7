//! A group's log built in memory the way the server builds it: registry
//! facts, the chair's signed announcement, the roll, signed votes, the
//! close and the tally, each decided by the fold before it is appended,
//! with the documents stored beside the log; and its replay from bytes.

#![allow(dead_code)]

use std::collections::BTreeMap;

use scrutineer::ballot::{
    AnnouncementNote, BallotApplied, BallotBook, Decision, DocumentSource, ReplayError, Revealing,
    replay,
};
use scrutineer::entry::Entry;
use scrutineer::id::{BallotId, PersonId};
use scrutineer::note::{KeyName, SigningKey};
use scrutineer::registry::{
    Applied, ChairAppointed, Fact, GroupId, GroupRecord, GroupState, KeyAdded, PersonRecord,
};
use scrutineer::rules::{BallotKind, Parameters};
use scrutineer::simulate::Scenario;
use scrutineer::time::{Duration, Timestamp};
use scrutineer::tlog::Hash;
use scrutineer::tlog::checkpoint::Origin;
use scrutineer::vote::{ChoiceWord, SubmittedVote, VoteNote};

pub const CHAIR: &str = "the-chair";

pub fn origin() -> Origin {
    Origin::new("scrutineer.example/scenario").expect("valid origin")
}

/// A deterministic key for a person (the seed is the SHA-256 of its id).
pub fn key_of(person: &str) -> SigningKey {
    let seed = Hash::sha256(person.as_bytes());
    SigningKey::from_seed(
        KeyName::new(person).expect("person ids are key names"),
        seed.as_bytes(),
    )
}

/// A log being built: the registry, the book, the entries and the
/// documents stored beside them.
pub struct Log {
    pub registry: GroupState,
    pub book: BallotBook,
    pub entries: Vec<Entry>,
    pub blobs: BTreeMap<Hash, Vec<u8>>,
}

impl Log {
    pub fn new(parameters: &Parameters, at: Timestamp) -> Self {
        Self::with_appeal_deadline(parameters, at, None)
    }

    /// A log whose group has an appeal deadline of `days` (none by
    /// default).
    pub fn with_appeal_deadline(parameters: &Parameters, at: Timestamp, days: Option<u32>) -> Self {
        let group = GroupRecord::from_parameters(GroupId::new("g").expect("id"), parameters, days);
        let genesis = Fact::from(group).to_entry(at);
        Self {
            registry: GroupState::genesis(&genesis).expect("genesis"),
            book: BallotBook::new(origin()),
            entries: vec![genesis],
            blobs: BTreeMap::new(),
        }
    }

    /// Appends an entry the way the server does: the registry, then the
    /// book, with `documents` revealed beside it.
    pub fn append(&mut self, entry: Entry, documents: &[&[u8]]) -> u64 {
        let index = self.registry.entries_applied();
        let bytes = entry.encode().expect("entries fit");
        assert_eq!(
            Entry::parse(&bytes).as_ref(),
            Ok(&entry),
            "entries round-trip"
        );
        match self
            .registry
            .apply(&entry)
            .expect("the registry accepts it")
        {
            Applied::Registry { .. } => {}
            Applied::NotRegistry(e) => {
                let source = Revealing::new(documents, &self.blobs);
                let applied = self.book.apply(&self.registry, e, &source);
                assert!(
                    matches!(applied, Ok(BallotApplied::Ballot { .. })),
                    "{applied:?}"
                );
            }
        }
        for d in documents {
            self.blobs.insert(Hash::sha256(d), d.to_vec());
        }
        self.entries.push(entry);
        index
    }

    pub fn fact(&mut self, fact: impl Into<Fact>, at: Timestamp) {
        self.append(fact.into().to_entry(at), &[]);
    }

    /// Appends a chair's term if nobody chairs at `at`.
    pub fn ensure_chair(&mut self, at: Timestamp) {
        if self.registry.chair_at(at).is_none() {
            let person = PersonId::new(CHAIR).expect("id");
            let term = ChairAppointed::two_year_term(person, at, false).expect("in range");
            self.fact(term, at);
        }
    }

    /// Announces and appends the announcement notifications; the refusal
    /// code otherwise.
    pub fn announce(&mut self, note: &AnnouncementNote, at: Timestamp) -> Result<(), String> {
        self.ensure_chair(at);
        let signed = note.sign(&key_of(CHAIR)).expect("sign");
        let decision = self
            .book
            .decide_announcement(&self.registry, &signed, &[], at)
            .map_err(|e| e.code().to_owned())?;
        let beside: Vec<&[u8]> = decision
            .recipients_beside
            .iter()
            .map(Vec::as_slice)
            .collect();
        for (k, entry) in decision.entries.into_iter().enumerate() {
            // The recipients document goes with the announcement entry.
            self.append(entry, if k == 0 { &beside } else { &[] });
        }
        Ok(())
    }

    pub fn open(&mut self, ballot: &BallotId, at: Timestamp) {
        let opening = self
            .book
            .decide_open(&self.registry, ballot, at)
            .expect("opens");
        let beside = opening.stored_beside.then_some(opening.document.as_slice());
        let documents: Vec<&[u8]> = beside.into_iter().collect();
        self.append(opening.entry.clone(), &documents);
    }

    /// Decides a vote and appends it with its notifications.
    pub fn vote(
        &mut self,
        note: &[u8],
        attachment: Option<&[u8]>,
        at: Timestamp,
        token: &str,
    ) -> Result<Decision, String> {
        let submitted = SubmittedVote::parse(note).map_err(|e| e.code().to_owned())?;
        let token = PersonId::new(token).expect("id");
        let decision = self
            .book
            .decide_vote(&self.registry, &submitted, attachment, at, &token)
            .map_err(|e| e.code().to_owned())?;
        if let Decision::Accept { entry } = &decision {
            let documents: Vec<&[u8]> = [Some(note), attachment].into_iter().flatten().collect();
            self.append(entry.clone(), &documents);
        }
        Ok(decision)
    }

    pub fn close_and_tally(&mut self, ballot: &BallotId, at: Timestamp) {
        for entry in self
            .book
            .decide_close_with_notices(ballot, at)
            .expect("closes")
        {
            self.append(entry, &[]);
        }
        let (tally, beside) = self
            .book
            .compute_tally(&self.registry, ballot, at)
            .expect("tallies");
        let documents: Vec<&[u8]> = beside.iter().map(Vec::as_slice).collect();
        self.append(tally, &documents);
    }

    /// Replays the log from its bytes with `notes`, and checks the state.
    pub fn replay_with(
        &self,
        notes: &dyn DocumentSource,
    ) -> Result<(GroupState, BallotBook), ReplayError> {
        let parsed: Vec<Entry> = self
            .entries
            .iter()
            .map(|e| Entry::parse(&e.encode().expect("fits")).expect("parses"))
            .collect();
        replay(origin(), &parsed, notes)
    }

    pub fn assert_replays(&self) {
        let (registry, book) = self.replay_with(&self.blobs).expect("the log replays");
        assert_eq!(registry, self.registry);
        assert_eq!(book, self.book);
    }
}

/// A vote note of a scenario vote.
pub fn vote_note(ballot: &BallotId, v: &scrutineer::rules::Vote, nonce: [u8; 16]) -> VoteNote {
    VoteNote {
        origin: origin(),
        ballot: ballot.clone(),
        question: v.question.clone(),
        organisation: v.organisation.clone(),
        choice: ChoiceWord::new(&v.choice).expect("scenario choices are choice words"),
        attachment: v.reasons.as_deref().map(|r| Hash::sha256(r.as_bytes())),
        nonce,
    }
}

/// The log of a scenario's registry, a day before its first announcement:
/// organisations, persons (and a chair) with their keys, meetings and
/// attendance.
pub fn registry_log(scenario: &Scenario) -> Log {
    registry_log_with(scenario, None)
}

/// [`registry_log`] for a group with an appeal deadline of `days`.
pub fn registry_log_with(scenario: &Scenario, appeal_deadline_days: Option<u32>) -> Log {
    let rules = &scenario.registry;
    let first = scenario
        .ballots
        .iter()
        .map(|b| b.ballot.announced)
        .min()
        .unwrap_or(Timestamp::UNIX_EPOCH);
    let t0 = first.checked_sub(Duration::days(1)).expect("in range");
    let mut log = Log::with_appeal_deadline(&scenario.parameters, t0, appeal_deadline_days);
    for o in rules.organisations() {
        log.fact(o.clone(), t0);
    }
    let chair_org = rules.organisations()[0].id.clone();
    let chair = scrutineer::rules::Person {
        id: PersonId::new(CHAIR).expect("id"),
        organisation: chair_org,
        on_membership_list: false,
    };
    for p in rules.persons().iter().chain([&chair]) {
        let record = PersonRecord {
            id: p.id.clone(),
            organisation: p.organisation.clone(),
            on_membership_list: p.on_membership_list,
            reconfirmed: None,
        };
        log.fact(record, t0);
        let key = KeyAdded {
            person: p.id.clone(),
            key: key_of(p.id.as_str()).verifier_key(),
        };
        log.fact(key, t0);
    }
    for m in rules.meetings() {
        log.fact(m.clone(), t0);
    }
    for a in rules.attendance() {
        log.fact(a.clone(), t0);
    }
    log
}

/// The announcement note of a scenario ballot.
pub fn announcement_of(b: &scrutineer::rules::Ballot) -> AnnouncementNote {
    AnnouncementNote {
        origin: origin(),
        ballot: b.id.clone(),
        kind: b.kind.clone(),
        questions: b.questions.clone(),
        opens: match b.kind {
            BallotKind::Consultation { .. } => None,
            _ => Some(b.opens),
        },
        closes: b.closes,
        subject: None,
    }
}
