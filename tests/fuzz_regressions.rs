//! The fuzz targets' checks, on stable and without cargo-fuzz: every seed
//! (`fuzz/seeds/<target>/`) and every input a fuzzer ever crashed on
//! (`tests/fuzz_regressions/<target>/`) goes through the very function the
//! target calls (`scrutineer::fuzzing`), so a fixed finding stays fixed.
//!
//! The seeds are written by `write_seeds` below from the crate's own
//! encoders:
//! `cargo test --test fuzz_regressions -- --ignored write_seeds`.

use std::collections::BTreeSet;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

use scrutineer::fuzzing::{CHECKS, Check};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The files of `dir`, sorted; none if it does not exist.
fn files(dir: &Path) -> Vec<PathBuf> {
    let Ok(read) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut out: Vec<PathBuf> = read
        .map(|e| e.expect("a directory entry").path())
        .filter(|p| p.is_file())
        .collect();
    out.sort();
    out
}

/// Runs `check` over every file, returning the failures (file and panic
/// message) rather than stopping at the first.
fn run(check: Check, paths: &[PathBuf], failures: &mut Vec<String>) -> usize {
    for path in paths {
        let data = std::fs::read(path).expect("read an input");
        if let Err(panic) = catch_unwind(AssertUnwindSafe(|| check(&data))) {
            let message = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                .unwrap_or_default();
            failures.push(format!("{}: {message}", path.display()));
        }
    }
    paths.len()
}

#[test]
fn every_seed_and_past_finding_passes_its_target_check() {
    let mut failures = Vec::new();
    let mut seeds = 0;
    let mut findings = 0;
    for (name, check) in CHECKS {
        seeds += run(
            *check,
            &files(&root().join("fuzz/seeds").join(name)),
            &mut failures,
        );
        findings += run(
            *check,
            &files(&root().join("tests/fuzz_regressions").join(name)),
            &mut failures,
        );
    }
    assert!(
        failures.is_empty(),
        "failing inputs:\n{}",
        failures.join("\n")
    );
    assert!(seeds >= 30, "the seeds are there ({seeds})");
    eprintln!("{seeds} seeds and {findings} past findings pass");
}

#[test]
fn every_seed_and_finding_folder_names_a_target() {
    let known: BTreeSet<&str> = CHECKS.iter().map(|(name, _)| *name).collect();
    for parent in ["fuzz/seeds", "tests/fuzz_regressions"] {
        let Ok(read) = std::fs::read_dir(root().join(parent)) else {
            continue;
        };
        for entry in read {
            let entry = entry.expect("a directory entry");
            let name = entry.file_name().into_string().expect("a UTF-8 name");
            assert!(
                known.contains(name.as_str()),
                "{parent}/{name} is not a fuzz target"
            );
        }
    }
    // Every target has its fuzz_targets file, and the reverse.
    let targets: BTreeSet<String> = files(&root().join("fuzz/fuzz_targets"))
        .iter()
        .filter_map(|p| Some(p.file_stem()?.to_str()?.to_owned()))
        .collect();
    let known: BTreeSet<String> = known.iter().map(|s| (*s).to_owned()).collect();
    assert_eq!(targets, known, "fuzz/fuzz_targets and fuzzing::CHECKS");
}

/// The shared scenarios, when `../shared` is beside the checkout (they are
/// not copied into the repository): the scenario target's check over each.
#[test]
fn shared_scenarios_pass_the_scenario_check() {
    let dir = root().join("../shared/scenarios");
    if !dir.exists() {
        eprintln!("note: skipping: {} is absent", dir.display());
        return;
    }
    let mut failures = Vec::new();
    let check = scrutineer::fuzzing::scenario_parse;
    let count = run(check, &files(&dir), &mut failures);
    assert!(
        failures.is_empty(),
        "failing inputs:\n{}",
        failures.join("\n")
    );
    assert!(count > 0);
}

/// Writes the seeds from the crate's own encoders (run by hand, then
/// commit the files).
#[test]
#[ignore = "writes fuzz/seeds; run by hand when a format changes"]
fn write_seeds() {
    for (target, name, bytes) in seeds::all() {
        let dir = root().join("fuzz/seeds").join(target);
        std::fs::create_dir_all(&dir).expect("create the seed folder");
        std::fs::write(dir.join(name), bytes).expect("write a seed");
    }
}

/// The seeds must parse (they are meant to start the fuzzer inside the
/// format), and are small.
#[test]
fn generated_seeds_are_valid_and_small() {
    for (target, name, bytes) in seeds::all() {
        assert!(bytes.len() <= 4096, "{target}/{name} is small");
        let check = CHECKS
            .iter()
            .find(|(n, _)| *n == target)
            .expect("a target")
            .1;
        check(&bytes);
    }
}

mod seeds {
    use std::collections::BTreeSet;

    use scrutineer::ballot::records::ballot_only_entry;
    use scrutineer::ballot::{
        Against, AnnouncementNote, AnnouncementRecord, AppealNote, CANCELLED_KIND,
        CERTIFICATION_KIND, CLOSE_KIND, CertificationNote, DecisionNote, Notification,
        NotificationReason, RollRecord, Ruling, SignedAnnouncement, StatementRecord, TALLY_VERSION,
        TallyDocument, TallyQuestion,
    };
    use scrutineer::entry::Entry;
    use scrutineer::id::{BallotId, MeetingId, OrgId, PersonId, QuestionId};
    use scrutineer::note::{KeyName, SigningKey};
    use scrutineer::registry::{
        AttendanceRemoved, ChairAppointed, ChairEnded, Fact, GroupId, GroupRecord, KeyAdded,
        KeyRevoked, PersonRecord, ReviewerRecord,
    };
    use scrutineer::rules::{
        Attendance, AttendanceMode, BallotKind, Meeting, MeetingFormat, Membership, OrgClass,
        Organisation, Profile,
    };
    use scrutineer::time::Timestamp;
    use scrutineer::tlog::Hash;
    use scrutineer::tlog::checkpoint::Origin;
    use scrutineer::tlog::tile::encode_bundle;
    use scrutineer::vote::{ChoiceWord, SubmittedVote, VoteNote, vote_entry};

    type Seed = (&'static str, &'static str, Vec<u8>);

    fn t(text: &str) -> Timestamp {
        Timestamp::parse(text).expect("valid time")
    }

    fn alice() -> SigningKey {
        SigningKey::from_seed(KeyName::new("alice").expect("name"), &[7; 32])
    }

    fn encode(entry: Entry) -> Vec<u8> {
        entry.encode().expect("a small entry")
    }

    fn ballot() -> BallotId {
        BallotId::new("B1").expect("id")
    }

    fn vote(attachment: bool) -> Vec<u8> {
        VoteNote {
            origin: Origin::new("vote.example.org/ETI").expect("origin"),
            ballot: ballot(),
            question: QuestionId::new("main").expect("id"),
            organisation: OrgId::new("cadzow").expect("id"),
            choice: ChoiceWord::new("yes").expect("choice"),
            attachment: attachment.then(|| Hash::sha256(b"comments")),
            nonce: [1; 16],
        }
        .sign(&alice())
        .expect("sign")
    }

    fn announcement(kind: BallotKind, opens: bool) -> AnnouncementNote {
        AnnouncementNote {
            origin: Origin::new("vote.example.org/ETI").expect("origin"),
            ballot: ballot(),
            kind,
            questions: vec![
                QuestionId::new("main").expect("id"),
                QuestionId::new("q2").expect("id"),
            ],
            opens: opens.then(|| t("2026-02-10T00:00:00Z")),
            closes: t("2026-03-10T00:00:00.5Z"),
            subject: None,
        }
    }

    fn facts() -> Vec<(&'static str, Fact)> {
        let person = PersonId::new("alice").expect("id");
        let key = alice().verifier_key();
        vec![
            (
                "group",
                GroupRecord::defaults(GroupId::new("ISG-ETI").expect("id"), Profile::EtsiIsg)
                    .into(),
            ),
            (
                "group-itu",
                GroupRecord::defaults(GroupId::new("SG17").expect("id"), Profile::ItuTTap).into(),
            ),
            (
                "organisation",
                Organisation {
                    id: OrgId::new("cadzow").expect("id"),
                    class: OrgClass::Member,
                    founding: true,
                    membership: Membership {
                        from: Some(t("2020-04-06T00:00:00Z")),
                        to: Some(t("2030-01-01T00:00:00Z")),
                    },
                }
                .into(),
            ),
            (
                "person",
                PersonRecord {
                    id: person.clone(),
                    organisation: OrgId::new("cadzow").expect("id"),
                    on_membership_list: true,
                    reconfirmed: Some(t("2026-01-02T00:00:00Z")),
                }
                .into(),
            ),
            (
                "key",
                KeyAdded {
                    person: person.clone(),
                    key: key.clone(),
                }
                .into(),
            ),
            (
                "key-revoked",
                KeyRevoked {
                    person: person.clone(),
                    key_id: key.id(),
                }
                .into(),
            ),
            (
                "meeting",
                Meeting {
                    id: MeetingId::new("KoM").expect("id"),
                    plenary: true,
                    format: MeetingFormat::FaceToFace,
                    start: t("2020-06-02T08:00:00Z"),
                    end: t("2020-06-03T17:00:00Z"),
                    kick_off: true,
                }
                .into(),
            ),
            (
                "attendance",
                Attendance {
                    meeting: MeetingId::new("KoM").expect("id"),
                    person: person.clone(),
                    organisation: OrgId::new("cadzow").expect("id"),
                    mode: AttendanceMode::Physical,
                }
                .into(),
            ),
            (
                "attendance-removed",
                AttendanceRemoved {
                    meeting: MeetingId::new("KoM").expect("id"),
                    person: person.clone(),
                }
                .into(),
            ),
            (
                "chair",
                ChairAppointed {
                    person: person.clone(),
                    from: t("2026-01-06T00:00:00Z"),
                    to: t("2028-01-06T00:00:00Z"),
                    acting: false,
                }
                .into(),
            ),
            (
                "chair-ended",
                ChairEnded {
                    person: person.clone(),
                    acting: false,
                }
                .into(),
            ),
            (
                "reviewer",
                ReviewerRecord {
                    person,
                    appointed: true,
                }
                .into(),
            ),
        ]
    }

    fn ballot_entries() -> Vec<(&'static str, Vec<u8>)> {
        let at = t("2026-02-01T09:00:00.123456Z");
        let signed = SignedAnnouncement::parse(
            &announcement(BallotKind::Correspondence, true)
                .sign(&alice())
                .expect("sign"),
        )
        .expect("parse");
        let recipients = BTreeSet::from([
            PersonId::new("alice").expect("id"),
            PersonId::new("bob").expect("id"),
        ]);
        let tally = TallyDocument {
            version: TALLY_VERSION,
            ballot: ballot(),
            roll: format!("sha256:{}", Hash::sha256(b"{}").to_hex()),
            votes: 1,
            questions: vec![TallyQuestion {
                question: QuestionId::new("main").expect("id"),
                in_favour: 1,
                against: 0,
                abstain: 0,
                not_voted: 0,
                eligible: 1,
                outcome: "approved".into(),
            }],
            counted: vec![format!("sha256:{}", Hash::sha256(&vote(false)).to_hex())],
        };
        vec![
            (
                "announcement",
                encode(AnnouncementRecord::new(&signed, recipients).to_entry(at)),
            ),
            (
                "ballot-cancelled",
                encode(ballot_only_entry(CANCELLED_KIND, at, &ballot())),
            ),
            (
                "roll",
                encode(RollRecord::new(ballot(), b"{\"eligible\":[]}".to_vec(), at).to_entry(at)),
            ),
            (
                "roll-beside",
                encode(
                    RollRecord {
                        ballot: ballot(),
                        roll: Hash::sha256(b"x"),
                        body: None,
                    }
                    .to_entry(at),
                ),
            ),
            ("vote", encode(vote_entry(at, &ballot(), &vote(false)))),
            (
                "close",
                encode(ballot_only_entry(CLOSE_KIND, at, &ballot())),
            ),
            ("tally", encode(tally.to_entry(at))),
            (
                "notification",
                encode(
                    Notification {
                        ballot: ballot(),
                        person: PersonId::new("alice").expect("id"),
                        reason: NotificationReason::Superseded,
                    }
                    .to_entry(at),
                ),
            ),
        ]
    }

    const SCENARIO: &str = r#"{
  "profile": "etsi-isg",
  "organisations": [
    {"id": "cadzow", "class": "member", "founding": true, "from": "2020-04-06T00:00:00Z"},
    {"id": "acme", "class": "member", "from": "2020-04-06T00:00:00Z"}
  ],
  "persons": [
    {"id": "alice", "organisation": "cadzow", "on_membership_list": true},
    {"id": "bob", "organisation": "acme"}
  ],
  "meetings": [
    {"id": "KoM", "plenary": true, "format": "face-to-face",
     "start": "2020-06-02T08:00:00Z", "end": "2020-06-03T17:00:00Z", "kick_off": true}
  ],
  "attendance": [
    {"meeting": "KoM", "person": "alice", "organisation": "cadzow", "mode": "physical"},
    {"meeting": "KoM", "person": "bob", "organisation": "acme", "mode": "remote"}
  ],
  "ballots": [
    {"id": "B1", "kind": "correspondence", "announced": "2020-06-10T00:00:00Z",
     "opens": "2020-07-10T00:00:00Z", "closes": "2020-08-10T00:00:00Z",
     "votes": [
       {"person": "alice", "organisation": "cadzow", "choice": "yes", "at": "2020-07-11T00:00:00Z"},
       {"person": "bob", "organisation": "acme", "choice": "no", "at": "2020-07-12T00:00:00Z"}
     ]},
    {"id": "B2", "kind": "meeting", "meeting": "KoM", "questions": ["a", "b"],
     "announced": "2020-05-01T00:00:00Z",
     "opens": "2020-06-02T09:00:00Z", "closes": "2020-06-02T10:00:00Z",
     "votes": [
       {"person": "alice", "organisation": "cadzow", "question": "b", "choice": "abstain",
        "at": "2020-06-02T09:30:00Z"}
     ]}
  ]
}
"#;

    /// Every seed: (target, file name, bytes).
    pub fn all() -> Vec<Seed> {
        let mut out: Vec<Seed> = Vec::new();
        let mut add = |target, name, bytes: Vec<u8>| out.push((target, name, bytes));

        // Entries: one of each registry and ballot type, for three targets.
        let at = t("2026-01-05T09:00:00.250000Z");
        for (name, fact) in facts() {
            let bytes = encode(fact.to_entry(at));
            add("registry_fact", name, bytes.clone());
            if matches!(name, "group" | "person" | "key") {
                add("entry_parse", name, bytes);
            }
        }
        for (name, bytes) in ballot_entries() {
            add("ballot_entry", name, bytes.clone());
            if matches!(name, "announcement" | "vote" | "tally") {
                add("entry_parse", name, bytes);
            }
        }

        // Votes.
        add("vote_parse", "vote", vote(false));
        add("vote_parse", "vote-attachment", vote(true));

        // Announcements: signed notes of each kind, and one bare text.
        let kinds = [
            ("correspondence", BallotKind::Correspondence, true),
            (
                "meeting",
                BallotKind::Meeting {
                    meeting: MeetingId::new("KoM").expect("id"),
                },
                true,
            ),
            (
                "consultation",
                BallotKind::Consultation {
                    meeting_start: t("2026-04-01T08:00:00Z"),
                },
                false,
            ),
        ];
        for (name, kind, opens) in kinds {
            let note = announcement(kind, opens);
            add(
                "announcement_parse",
                name,
                note.sign(&alice()).expect("sign"),
            );
            if name == "meeting" {
                add("announcement_parse", "text", note.text().into_bytes());
            }
        }

        // Certification, appeal and decision notes, and an entry.
        let origin = Origin::new("vote.example.org/ETI").expect("origin");
        let certification = CertificationNote {
            origin: origin.clone(),
            ballot: ballot(),
            size: 70,
            root: Hash::sha256(b"root"),
            roll: Hash::sha256(b"roll"),
            tally: Hash::sha256(b"tally"),
            questions: vec![TallyQuestion {
                question: QuestionId::new("main").expect("id"),
                in_favour: 4,
                against: 1,
                abstain: 0,
                not_voted: 1,
                eligible: 6,
                outcome: "approved".into(),
            }],
        };
        let signed = certification.sign(&alice()).expect("sign");
        add("statement_parse", "certification", signed.clone());
        add(
            "statement_parse",
            "certification-entry",
            encode(StatementRecord::new(ballot(), signed).to_entry(CERTIFICATION_KIND, at)),
        );
        let appeal = AppealNote {
            origin: origin.clone(),
            ballot: ballot(),
            against: Against::Certification,
            grounds: vec![
                "The notice was short.".into(),
                String::new(),
                "Annex.".into(),
            ],
        };
        add(
            "statement_parse",
            "appeal",
            appeal.sign(&alice()).expect("sign"),
        );
        let decision = DecisionNote {
            origin,
            ballot: ballot(),
            appeal: Hash::sha256(b"appeal"),
            outcome: Ruling::Upheld,
            reasons: vec!["It was not.".into()],
        };
        add(
            "statement_parse",
            "decision-text",
            decision.text().into_bytes(),
        );

        // Bundle archives and policy files.
        let tar = scrutineer::audit::tar::write_tar([
            ("checkpoints/1", &b"a checkpoint\n"[..]),
            ("tile/entries/000.p/1", &[0u8, 1, b'x'][..]),
            ("checkpoint", &b"last\n"[..]),
        ])
        .expect("an archive");
        add("tar_read", "bundle", tar);
        let pack = |documents: &[&[u8]]| {
            scrutineer::audit::pack::encode_pack(documents.iter().copied()).expect("a pack")
        };
        add("pack_read", "empty", pack(&[]));
        add(
            "pack_read",
            "note-and-attachment",
            pack(&[&vote(true)[..], b"comments", b""]),
        );
        let log = alice().verifier_key().encode();
        add(
            "policy_parse",
            "log",
            format!("# a log\nlog {log} https://log.example\nquorum none\n").into_bytes(),
        );
        add(
            "policy_parse",
            "fuzz-log",
            format!(
                "log {}\n\tquorum   none\n",
                SigningKey::from_seed(KeyName::new("fuzz.example").expect("name"), &[1; 32])
                    .verifier_key()
                    .encode()
            )
            .into_bytes(),
        );

        // Attendance imports against `fuzzing::fixed_state`.
        add(
            "csv_import",
            "valid",
            b"name,mode,person,meeting,organisation\nAlice,physical,alice,KoM,cadzow\n\
              Bob,remote,bob,call,cadzow\n"
                .to_vec(),
        );
        add(
            "csv_import",
            "bom-crlf-quotes",
            "\u{feff}meeting,person,organisation,mode,comment\r\n\"KoM\",\"alice\",cadzow,\
             physical,\"said \"\"hi\"\", then\r\nleft\"\r\n\r\ncall,bob,cadzow,remote,\r\n"
                .as_bytes()
                .to_vec(),
        );
        add(
            "csv_import",
            "faulty-rows",
            b"meeting,person,organisation,mode\nKoM,alice,cadzow,physical\n\
              call,bob,cadzow,physical\nnope,x y,cadzow,by-post\nKoM,alice,cadzow,remote\n"
                .to_vec(),
        );

        // Tiles: paths, and a path with its data.
        add("tile_path", "level0", b"tile/0/000".to_vec());
        add(
            "tile_path",
            "entries-partial",
            b"tile/entries/x001/234.p/8".to_vec(),
        );
        add("tile_path", "deep", b"tile/2/x123/456".to_vec());
        let mut with_data = b"tile/1/000.p/3\n".to_vec();
        for i in 0..3u8 {
            with_data.extend_from_slice(Hash::sha256(&[i]).as_bytes());
        }
        add("tile_path", "with-data", with_data);

        // Bundles (two-byte count first) and entries files.
        let bundle = encode_bundle(&[b"", b"a", b"scrutineer", &[0xff; 40]]).expect("small");
        add("bundle_decode", "bundle", [&[0, 4][..], &bundle].concat());
        add(
            "bundle_decode",
            "entries-file",
            b"first\nsecond\n\nfourth".to_vec(),
        );

        // A scenario (the shared ones are not copied here; pass
        // ../shared/scenarios as a further corpus directory).
        crate::assert_scenario_runs(SCENARIO);
        add("scenario_parse", "small", SCENARIO.as_bytes().to_vec());

        // Timestamps and ids.
        add(
            "timestamp_parse",
            "micros",
            b"2026-11-22T12:00:00.123456Z".to_vec(),
        );
        add(
            "timestamp_parse",
            "nanos",
            b"9999-12-31T23:59:59.999999999Z".to_vec(),
        );
        add("timestamp_parse", "plain", b"0000-02-29T00:00:00Z".to_vec());
        add(
            "timestamp_parse",
            "id",
            b"vote.example.org:ETI@x_1-2".to_vec(),
        );

        // The votes, announcements and entries must parse as what they are.
        for (target, name, bytes) in &out {
            match *target {
                "vote_parse" => {
                    SubmittedVote::parse(bytes).expect("a vote seed parses");
                }
                "announcement_parse" if *name != "text" => {
                    SignedAnnouncement::parse(bytes).expect("an announcement seed parses");
                }
                "entry_parse" | "registry_fact" | "ballot_entry" => {
                    Entry::parse(bytes).expect("an entry seed parses");
                }
                _ => {}
            }
        }
        out
    }
}

fn assert_scenario_runs(text: &str) {
    let report = scrutineer::simulate::simulate(text).expect("the seed scenario is valid");
    assert_eq!(report.ballots.len(), 2);
}
