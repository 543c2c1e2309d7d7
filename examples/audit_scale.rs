//! Generates the audit bundle of one large ballot without a server, for
//! timing `scrutineer verify` at scale (`docs/performance.md`, "Audit
//! scale"), and measures the raw strict verification time of its vote
//! signatures on this machine.
//!
//! ```sh
//! cargo run --release --example audit_scale -- OUT [--votes 1000000] [--organisations 100]
//! scrutineer verify OUT/bundle --log-key OUT/log.vkey
//! cargo run --release --example audit_scale -- OUT --raw
//! ```
//!
//! `--raw` generates nothing: it reads the vote notes of `OUT/bundle`,
//! then times the strict verification of their signatures alone, on one
//! thread and on every core, so that `scrutineer verify` can be compared
//! with the same signatures verified in the same conditions, right beside
//! it.
//!
//! The log is built with the library's own writers, the way the server
//! builds it: registry facts (group, organisations founding members in
//! their Kick-off Period, one delegate and one key each, the KoM, a
//! chair), the chair's signed announcement and its notifications, the
//! roll decided at the opening, every vote decided by the ballot fold from
//! a real signed note (organisations vote again and again, as in the load
//! test), the close and the tally; a signed checkpoint every 1 000
//! entries (the server signs one per batch, and 1 000 is its default
//! largest batch, `--batch-max`: a log written under heavy load has about
//! as many, a lightly loaded one more); then the static tile layout
//! (`staticlog::build`), `checkpoints/`, `documents.pack` (the documents
//! in log order) and `bundle.json` (`docs/formats.md` section 9).

use std::path::{Path, PathBuf};
use std::time::Instant;

use scrutineer::audit::bundle::{CHECKPOINTS_DIR, DOCUMENTS_DIR, MANIFEST_FILE, MANIFEST_VERSION};
use scrutineer::audit::pack::{PACK_FILE, PackReader, encode_pack};
use scrutineer::audit::{Manifest, ballot_entries};
use scrutineer::ballot::{
    AnnouncementNote, BallotApplied, BallotBook, Decision, NoDocuments, Revealing,
};
use scrutineer::entry::Entry;
use scrutineer::id::{BallotId, MeetingId, OrgId, PersonId, QuestionId};
use scrutineer::note::{KeyName, Limits, Note, SigningKey, VerifierKey};
use scrutineer::registry::{
    Applied, ChairAppointed, Fact, GroupId, GroupRecord, GroupState, KeyAdded, PersonRecord,
};
use scrutineer::rules::{
    BallotKind, Meeting, MeetingFormat, Membership, OrgClass, Organisation, Parameters, Profile,
};
use scrutineer::time::{Duration, Timestamp};
use scrutineer::tlog::checkpoint::{Checkpoint, Origin, sign_checkpoint};
use scrutineer::tlog::tree::Appender;
use scrutineer::tlog::{Hash, TreeSize, leaf_hash};
use scrutineer::vote::{ChoiceWord, SubmittedVote, VoteNote};

const ORIGIN: &str = "audit-scale.example/LOAD";
const CHAIR: &str = "chair";
/// Entries per signed checkpoint: the server's default largest batch, so
/// as few checkpoints as a log written under heavy load has.
const BATCH: u64 = 1000;

fn time(text: &str) -> Timestamp {
    Timestamp::parse(text).expect("a valid time")
}

/// A deterministic key for a person.
fn key_of(person: &str) -> SigningKey {
    let seed = Hash::sha256(format!("audit-scale/{person}").as_bytes());
    SigningKey::from_seed(KeyName::new(person).expect("a key name"), seed.as_bytes())
}

/// The log being built: the folds, the entries' bytes, the tree, the
/// checkpoints issued and the documents stored beside the log.
struct Log {
    registry: GroupState,
    book: BallotBook,
    entries: Vec<Vec<u8>>,
    parsed: Vec<Entry>,
    tree: Appender,
    key: SigningKey,
    origin: Origin,
    checkpoints: Vec<(u64, Vec<u8>)>,
    documents: Vec<Vec<u8>>,
}

impl Log {
    fn append(&mut self, entry: Entry, documents: Vec<Vec<u8>>) {
        let bytes = entry.encode().expect("the entry fits");
        match self
            .registry
            .apply(&entry)
            .expect("the registry accepts it")
        {
            Applied::Registry { .. } => {}
            Applied::NotRegistry(e) => {
                let revealed: Vec<&[u8]> = documents.iter().map(Vec::as_slice).collect();
                let source = Revealing::new(&revealed, &NoDocuments);
                let applied = self.book.apply(&self.registry, e, &source);
                assert!(
                    matches!(applied, Ok(BallotApplied::Ballot { .. })),
                    "{applied:?}"
                );
            }
        }
        self.tree.append(leaf_hash(&bytes)).expect("in range");
        self.entries.push(bytes);
        self.parsed.push(entry);
        self.documents.extend(documents);
        if (self.entries.len() as u64).is_multiple_of(BATCH) {
            self.checkpoint();
        }
    }

    fn checkpoint(&mut self) {
        let size = self.entries.len() as u64;
        if self.checkpoints.last().is_some_and(|(s, _)| *s == size) {
            return;
        }
        let checkpoint = Checkpoint::new(
            self.origin.clone(),
            TreeSize::new(size),
            self.tree.root(),
            vec![],
        )
        .expect("a checkpoint");
        let signed = sign_checkpoint(&checkpoint, &self.key).expect("sign");
        self.checkpoints.push((size, signed));
    }

    fn fact(&mut self, fact: impl Into<Fact>, at: Timestamp) {
        self.append(fact.into().to_entry(at), Vec::new());
    }
}

struct Options {
    out: PathBuf,
    votes: usize,
    organisations: usize,
    /// Time the raw verification of an existing bundle's vote signatures
    /// instead of generating one.
    raw: bool,
}

fn options() -> Options {
    let mut args = std::env::args().skip(1);
    let mut options = Options {
        out: PathBuf::new(),
        votes: 1_000_000,
        organisations: 100,
        raw: false,
    };
    let usage = "usage: audit_scale OUT [--votes N] [--organisations N] | audit_scale OUT --raw";
    while let Some(arg) = args.next() {
        let mut number = || -> usize {
            args.next()
                .and_then(|n| n.parse().ok())
                .filter(|n| *n > 0)
                .unwrap_or_else(|| panic!("{arg} needs a positive number; {usage}"))
        };
        match arg.as_str() {
            "--votes" => options.votes = number(),
            "--organisations" => options.organisations = number(),
            "--raw" => options.raw = true,
            _ if options.out.as_os_str().is_empty() && !arg.starts_with('-') => {
                options.out = PathBuf::from(arg);
            }
            _ => panic!("unexpected argument {arg:?}; {usage}"),
        }
    }
    assert!(!options.out.as_os_str().is_empty(), "{usage}");
    options
}

fn main() {
    let options = options();
    if options.raw {
        raw_verification(&bundle_signatures(&options.out.join("bundle")));
        return;
    }
    let started = Instant::now();
    let (log, signatures) = build_log(&options);
    eprintln!(
        "built a log of {} entries ({} votes) in {:.1} s",
        log.entries.len(),
        options.votes,
        started.elapsed().as_secs_f64()
    );
    let written = Instant::now();
    write_bundle(&log, &options.out);
    eprintln!(
        "wrote the bundle in {:.1} s",
        written.elapsed().as_secs_f64()
    );
    raw_verification(&signatures);
}

/// The registry, the announcement, the roll, the votes, the close and the
/// tally. Returns the log and every vote's (key, text, signature).
fn build_log(options: &Options) -> (Log, Vec<(VerifierKey, String, [u8; 64])>) {
    let origin = Origin::new(ORIGIN).expect("origin");
    let t0 = time("2026-01-01T00:00:00Z");
    let parameters = Parameters::defaults(Profile::EtsiIsg);
    let group = GroupRecord::from_parameters(GroupId::new("LOAD").expect("id"), &parameters, None);
    let genesis = Fact::from(group).to_entry(t0);
    let key = SigningKey::from_seed(KeyName::new(ORIGIN).expect("name"), &[42; 32]);
    let mut log = Log {
        registry: GroupState::genesis(&genesis).expect("genesis"),
        book: BallotBook::new(origin.clone()),
        entries: vec![genesis.encode().expect("fits")],
        parsed: vec![genesis.clone()],
        tree: Appender::new(),
        key,
        origin: origin.clone(),
        checkpoints: Vec::new(),
        documents: Vec::new(),
    };
    log.tree
        .append(leaf_hash(&log.entries[0]))
        .expect("in range");

    // The registry.
    let organisations: Vec<OrgId> = (0..options.organisations)
        .map(|i| OrgId::new(&format!("org-{i:05}")).expect("id"))
        .collect();
    let mut delegates = Vec::new();
    for (i, org) in organisations.iter().enumerate() {
        let organisation = Organisation {
            id: org.clone(),
            class: OrgClass::Member,
            founding: true,
            membership: Membership {
                from: Some(t0),
                to: None,
            },
        };
        log.fact(organisation, t0);
        let person = PersonId::new(&format!("delegate-{i:05}")).expect("id");
        delegates.push((person.clone(), org.clone(), key_of(person.as_str())));
    }
    let chair = (
        PersonId::new(CHAIR).expect("id"),
        organisations[0].clone(),
        key_of(CHAIR),
    );
    for (person, org, key) in delegates.iter().chain([&chair]) {
        let record = PersonRecord {
            id: person.clone(),
            organisation: org.clone(),
            on_membership_list: person.as_str() != CHAIR,
            reconfirmed: None,
        };
        log.fact(record, t0);
        let added = KeyAdded {
            person: person.clone(),
            key: key.verifier_key(),
        };
        log.fact(added, t0);
    }
    let kom = Meeting {
        id: MeetingId::new("kom").expect("id"),
        plenary: true,
        format: MeetingFormat::FaceToFace,
        start: time("2026-02-01T09:00:00Z"),
        end: time("2026-02-01T17:00:00Z"),
        kick_off: true,
    };
    log.fact(kom, t0);
    let term = ChairAppointed::two_year_term(chair.0.clone(), t0, false).expect("in range");
    log.fact(term, t0);

    // The announcement and its notifications.
    let ballot = BallotId::new("B1").expect("id");
    let announced = time("2026-06-01T00:00:00Z");
    let opens = time("2026-07-15T00:00:00Z");
    let closes = time("2026-08-15T00:00:00Z");
    let note = AnnouncementNote {
        origin: origin.clone(),
        ballot: ballot.clone(),
        kind: BallotKind::Correspondence,
        questions: vec![QuestionId::new("main").expect("id")],
        opens: Some(opens),
        closes,
        subject: None,
    };
    let signed = note.sign(&chair.2).expect("sign");
    let decision = log
        .book
        .decide_announcement(&log.registry, &signed, &[], announced)
        .expect("announced");
    let mut beside = decision.recipients_beside;
    for entry in decision.entries {
        // The recipients document goes with the announcement entry.
        log.append(entry, beside.take().into_iter().collect());
    }

    // The opening.
    let opening = log
        .book
        .decide_open(&log.registry, &ballot, opens)
        .expect("opens");
    let beside = if opening.stored_beside {
        vec![opening.document.clone()]
    } else {
        Vec::new()
    };
    log.append(opening.entry, beside);

    // The votes, signed on every core first.
    let signing = Instant::now();
    let notes = sign_votes(options.votes, &origin, &ballot, &delegates);
    eprintln!(
        "signed {} votes in {:.1} s",
        notes.len(),
        signing.elapsed().as_secs_f64()
    );
    let mut signatures = Vec::with_capacity(notes.len());
    for (k, bytes) in notes.into_iter().enumerate() {
        let (person, _, key) = &delegates[k % delegates.len()];
        let at = opens
            .checked_add(Duration::nanoseconds(1_000_000 * k as i64 + 1000))
            .expect("in range");
        let submitted = SubmittedVote::parse(&bytes).expect("parses");
        let decision = log
            .book
            .decide_vote(&log.registry, &submitted, None, at, person)
            .expect("accepted");
        let Decision::Accept { entry } = decision else {
            panic!("a fresh note is no duplicate");
        };
        let text = submitted.vote.text();
        let signature = key.sign(text.as_bytes());
        signatures.push((key.verifier_key(), text, signature));
        log.append(entry, vec![bytes]);
    }

    // The close and the tally.
    let close = log.book.decide_close(&ballot, closes).expect("closes");
    log.append(close, Vec::new());
    let (tally, beside) = log
        .book
        .compute_tally(&log.registry, &ballot, closes)
        .expect("tallies");
    log.append(tally, beside.into_iter().collect());
    log.checkpoint();
    (log, signatures)
}

/// `count` vote notes, the delegates in turn, with distinct nonces.
fn sign_votes(
    count: usize,
    origin: &Origin,
    ballot: &BallotId,
    delegates: &[(PersonId, OrgId, SigningKey)],
) -> Vec<Vec<u8>> {
    let choices = ["yes", "no", "abstain"].map(|c| ChoiceWord::new(c).expect("choice"));
    let question = QuestionId::new("main").expect("id");
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let chunk = count.div_ceil(threads).max(1);
    std::thread::scope(|scope| {
        let workers: Vec<_> = (0..count)
            .step_by(chunk)
            .map(|from| {
                let (choices, question) = (&choices, &question);
                scope.spawn(move || {
                    (from..(from + chunk).min(count))
                        .map(|k| {
                            let (_, org, key) = &delegates[k % delegates.len()];
                            let nonce = Hash::sha256(format!("nonce/{k}").as_bytes()).as_bytes()
                                [..16]
                                .try_into()
                                .expect("16 bytes");
                            VoteNote {
                                origin: origin.clone(),
                                ballot: ballot.clone(),
                                question: question.clone(),
                                organisation: org.clone(),
                                choice: choices[(k / delegates.len()) % 3].clone(),
                                attachment: None,
                                nonce,
                            }
                            .sign(key)
                            .expect("sign")
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().expect("a signing thread"))
            .collect()
    })
}

/// The bundle in `out/bundle`, the log key in `out/log.vkey`.
fn write_bundle(log: &Log, out: &Path) {
    let dir = out.join("bundle");
    std::fs::create_dir_all(out).expect("create the output directory");
    assert!(
        !dir.exists(),
        "{} exists: the bundle is written into a new directory",
        dir.display()
    );
    scrutineer::staticlog::build(&dir, &log.key, &log.origin, &log.entries)
        .expect("the static log");
    let checkpoints = dir.join(CHECKPOINTS_DIR);
    std::fs::create_dir_all(&checkpoints).expect("create checkpoints/");
    for (size, signed) in &log.checkpoints {
        std::fs::write(checkpoints.join(size.to_string()), signed).expect("write a checkpoint");
    }
    // In log order, as the exporter writes them: the order the
    // verifier's replay asks for them.
    let pack = encode_pack(log.documents.iter().map(Vec::as_slice)).expect("distinct documents");
    std::fs::write(dir.join(PACK_FILE), pack).expect("write documents.pack");
    let manifest = Manifest {
        version: MANIFEST_VERSION,
        group: "LOAD".into(),
        origin: ORIGIN.into(),
        ballot: "B1".into(),
        size: log.entries.len() as u64,
        entries: ballot_entries(&log.parsed, "B1"),
    };
    let json = serde_json::to_vec_pretty(&manifest).expect("serialises");
    std::fs::write(dir.join(MANIFEST_FILE), json).expect("write bundle.json");
    std::fs::write(
        out.join("log.vkey"),
        format!("{}\n", log.key.verifier_key()),
    )
    .expect("write the log key");
    eprintln!(
        "bundle: {}; log key: {}",
        dir.display(),
        out.join("log.vkey").display()
    );
}

/// Every vote note of the bundle in `dir`: its signer's key (derived as
/// [`key_of`] derives it, and checked against the signature line's key
/// id), its text and its signature. Reading and parsing are not timed.
fn bundle_signatures(dir: &Path) -> Vec<(VerifierKey, String, [u8; 64])> {
    let started = Instant::now();
    let mut keys: std::collections::HashMap<String, VerifierKey> = Default::default();
    let mut signatures = Vec::new();
    for bytes in bundle_documents(dir) {
        let Ok(note) = Note::parse(&bytes, Limits::VOTE) else {
            continue;
        };
        let [line] = note.signatures() else {
            continue;
        };
        let key = keys
            .entry(line.name().to_string())
            .or_insert_with(|| key_of(line.name().as_str()).verifier_key());
        assert_eq!(key.id(), line.id(), "the generator's key signed the note");
        let signature = line.signature().try_into().expect("64 bytes");
        signatures.push((key.clone(), note.text().to_owned(), signature));
    }
    eprintln!(
        "read {} vote signatures in {:.1} s (not timed below)",
        signatures.len(),
        started.elapsed().as_secs_f64()
    );
    signatures
}

/// The documents of the bundle in `dir`: its `documents.pack`, or the
/// files of its `documents/` folder (a bundle of version 1).
fn bundle_documents(dir: &Path) -> Box<dyn Iterator<Item = Vec<u8>>> {
    match std::fs::File::open(dir.join(PACK_FILE)) {
        Ok(file) => Box::new(PackReader::new(file).map(|d| d.expect("a valid pack").bytes)),
        Err(_) => Box::new(
            std::fs::read_dir(dir.join(DOCUMENTS_DIR))
                .expect("a bundle's documents.pack or documents/")
                .map(|item| {
                    std::fs::read(item.expect("a directory entry").path()).expect("a document")
                }),
        ),
    }
}

/// The raw strict verification time of every vote signature: on one
/// thread, and on every core.
fn raw_verification(signatures: &[(VerifierKey, String, [u8; 64])]) {
    let check = |part: &[(VerifierKey, String, [u8; 64])]| {
        for (key, text, signature) in part {
            assert!(key.verify(text.as_bytes(), signature), "a valid signature");
        }
    };
    let one = Instant::now();
    check(signatures);
    let one = one.elapsed().as_secs_f64();
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let all = Instant::now();
    std::thread::scope(|scope| {
        for part in signatures.chunks(signatures.len().div_ceil(threads).max(1)) {
            scope.spawn(move || check(part));
        }
    });
    let all = all.elapsed().as_secs_f64();
    println!(
        "raw verify_strict of {} vote signatures: {one:.2} s on 1 thread ({:.0}/s), \
         {all:.2} s on {threads} threads ({:.0}/s)",
        signatures.len(),
        signatures.len() as f64 / one,
        signatures.len() as f64 / all
    );
}
