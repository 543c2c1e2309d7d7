//! The tests of `tlog/policy.rs` (kept apart to keep that file short).

use super::LineProblem::*;
use super::*;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use crate::contexts::COSIGNATURE_SIGNATURE_TYPE as COSIGNATURE_TYPE;
use crate::note::SigningKey;

const ORIGIN: &str = "example.com/log";

fn signer(name: &str, seed: u8) -> SigningKey {
    SigningKey::from_seed(KeyName::new(name).unwrap(), &[seed; 32])
}

/// A witness vkey (type 0x04) for the secret of `signer(name, seed)`.
fn witness_vkey(name: &str, seed: u8) -> String {
    vkey_of(&signer(name, seed))
}

/// The witness vkey (type 0x04) of a key's name and public key.
fn vkey_of(key: &SigningKey) -> String {
    let public = *key.verifier_key().public_key();
    let id = KeyId::compute(key.name(), COSIGNATURE_TYPE, &public);
    let material = [&[COSIGNATURE_TYPE][..], &public].concat();
    format!("{}+{id}+{}", key.name(), STANDARD.encode(material))
}

/// A cosignature line by `signer(name, seed)` over the note `text`.
fn cosign(text: &str, name: &str, seed: u8, timestamp: u64) -> String {
    let key = signer(name, seed);
    let message = format!("cosignature/v1\ntime {timestamp}\n{text}");
    let public = key.verifier_key().public_key().to_owned();
    let id = KeyId::compute(key.name(), COSIGNATURE_TYPE, &public).to_be_bytes();
    let signature = key.sign(message.as_bytes());
    let bytes = [&id[..], &timestamp.to_be_bytes(), &signature].concat();
    format!("\u{2014} {name} {}\n", STANDARD.encode(bytes))
}

/// The specification's example with real keys: the log has seed 99,
/// witness Xi seed i and Yi seed 10 + i; key names are w.example/<name>.
fn example() -> String {
    let mut text = format!("log {}\n\n", signer(ORIGIN, 99).verifier_key());
    for (group, seed, rule) in [("X", 0, "2"), ("Y", 10, "any")] {
        for i in 1..=3 {
            let vkey = witness_vkey(&format!("w.example/{group}{i}"), seed + i);
            text += &format!("witness {group}{i} {vkey}\n");
        }
        text += &format!("group {group}-witnesses {rule} {group}1 {group}2 {group}3\n\n");
    }
    text + "group X-and-Y all X-witnesses Y-witnesses\nquorum X-and-Y\n"
}

const TEXT: &str = "example.com/log\n5\nBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc=\n";

fn checkpoint(cosigners: &[(&str, u8)]) -> String {
    let mut note = Note::sign(TEXT, &[&signer(ORIGIN, 99)]).unwrap();
    for (name, seed) in cosigners {
        note += &cosign(TEXT, &format!("w.example/{name}"), *seed, 1_700_000_000);
    }
    note
}

fn problem(text: &str) -> (usize, LineProblem) {
    match Policy::parse(text.as_bytes()) {
        Err(PolicyError::Line { line, problem }) => (line, problem),
        other => panic!("{text:?}: {other:?}"),
    }
}

#[test]
fn parses_the_specification_example() {
    let policy = Policy::parse(example().as_bytes()).unwrap();
    assert_eq!(policy.logs().len(), 1);
    assert_eq!(policy.witnesses().len(), 6);
    assert_eq!(policy.witnesses()[3].name, b"Y1");
    let x1 = &policy.witnesses()[0].key;
    assert_eq!(x1.encode(), witness_vkey("w.example/X1", 1));
    let thresholds: Vec<_> = policy.groups().iter().map(|g| g.threshold).collect();
    assert_eq!(thresholds, [2, 1, 2]);
    let top = &policy.groups()[2].members;
    assert_eq!(top, &[Member::Group(0), Member::Group(1)]);
    assert_eq!(policy.quorum(), Quorum::Of(Member::Group(2)));
    assert!(policy.requires_cosignatures());
    assert_eq!(policy.log_for_origin(ORIGIN), Some(&policy.logs()[0]));
    assert_eq!(policy.log_for_origin("example.com/other"), None);
}

#[test]
fn comments_whitespace_urls_and_quorum_none() {
    let text = format!(
        "# comment\n  \t# indented\n\t \n  log\t {}  https://l.example/ \t\n\
         witness \u{e9}  {}\nquorum none\n# after\nlog {}",
        signer(ORIGIN, 1).verifier_key(),
        witness_vkey("w", 2),
        signer("other", 3).verifier_key(),
    );
    let policy = Policy::parse(text.as_bytes()).unwrap();
    assert_eq!(policy.logs().len(), 2);
    assert_eq!(policy.log_url(0), Some(&b"https://l.example/"[..]));
    assert_eq!(policy.log_url(1), None);
    assert_eq!(policy.witnesses()[0].name, "\u{e9}".as_bytes());
    assert!(!policy.requires_cosignatures());
    assert_eq!(policy.check_quorum(b"not even a note"), Ok(()));
    assert!(policy.log_for_origin("other").is_some());
}

#[test]
fn refusals_name_the_line_and_the_problem() {
    let log = signer(ORIGIN, 1).verifier_key();
    let (w1, w2) = (witness_vkey("w1", 2), witness_vkey("w2", 3));
    let two = format!("witness A {w1}\nwitness B {w2}\n");
    let renamed = signer("another.example/name", 1).verifier_key();
    let mldsa = format!("w+00000000+{}", STANDARD.encode([6u8; 1313]));
    let name = |n: &str| n.to_owned();
    #[rustfmt::skip]
    let cases: Vec<(String, usize, LineProblem)> = vec![
        ("quorum none\r\n".into(), 1, BadOctet(0x0d)),
        ("# ok\nquorum\x7f none\n".into(), 2, BadOctet(0x7f)),
        ("quorum none\nLog x\n".into(), 2, UnknownKeyword(name("Log"))),
        ("quorum none extra".into(), 1, Syntax("quorum <name>")),
        (format!("log {log} u x"), 1, Syntax("log <vkey> [<url>]")),
        ("log".into(), 1, Syntax("log <vkey> [<url>]")),
        (format!("witness A {w1} u x"), 1, Syntax("witness <name> <vkey> [<url>]")),
        ("group G 1".into(), 1, Syntax("group <name> all|any|<k> <name>...")),
        // The same log key under another name; the same witness key.
        (format!("log {log}\nquorum none\nlog {renamed}"), 3, DuplicateLog(1)),
        (format!("witness A {w1}\nwitness B {}", witness_vkey("w9", 2)), 2, DuplicateWitness(1)),
        (format!("{two}witness A {}", witness_vkey("z", 4)), 3, NameTaken(name("A"))),
        (format!("witness none {w1}"), 1, NameTaken(name("none"))),
        // Key types and encodings.
        (format!("log {w1}"), 1, Key("log", KeyError::SignatureType(4))),
        (format!("witness A {log}"), 1, WitnessKeyType(1)),
        (format!("witness A {mldsa}"), 1, UnsupportedWitnessType),
        ("log \u{e9}".into(), 1, Key("log", KeyError::Format)),
        // Groups.
        (format!("{two}group G any A C"), 3, Undefined(name("C"))),
        (format!("witness A {w1}\ngroup G any A B\nwitness B {w2}"), 2, Undefined(name("B"))),
        ("group G any G".into(), 1, Undefined(name("G"))),
        (format!("{two}group G 2 A A"), 3, MemberReused(name("A"))),
        (format!("{two}group G any A\ngroup H any G A B"), 4, MemberReused(name("A"))),
        (format!("{two}group G any A none"), 3, NoneMember),
        // The quorum.
        (format!("{two}quorum A\nquorum none\n"), 4, SecondQuorum(3)),
        (format!("quorum A\n{two}"), 1, Undefined(name("A"))),
    ];
    for (text, line, expected) in cases {
        assert_eq!(
            problem(&format!("{text}\nquorum none")),
            (line, expected),
            "{text}"
        );
    }
    for k in [
        "0",
        "3",
        "-1",
        "+1",
        "0x1",
        "one",
        "ALL",
        "99999999999999999999999",
    ] {
        let text = format!("{two}group G {k} A B\nquorum G");
        assert_eq!(problem(&text), (3, Threshold(k.into(), 2)));
    }
    assert!(Policy::parse(format!("{two}group G 02 A B\nquorum G").as_bytes()).is_ok());
    let mut tampered = w1.clone().into_bytes();
    tampered[3] = if tampered[3] == b'0' { b'1' } else { b'0' };
    let text = format!("witness A {}", String::from_utf8(tampered).unwrap());
    assert!(matches!(
        problem(&text).1,
        Key(_, KeyError::IdMismatch { .. })
    ));
    let text = Policy::parse(b"quorum none\nlog \xff")
        .unwrap_err()
        .to_string();
    assert_eq!(text, "line 2: the key is not valid UTF-8");
    assert_eq!(
        Policy::parse(two.as_bytes()),
        Err(PolicyError::MissingQuorum)
    );
    assert_eq!(Policy::parse(b""), Err(PolicyError::MissingQuorum));
}

/// A key of the wrong type on a `witness` line is reported with the type
/// given and the one accepted: a witness cosigns with a key of type 0x04
/// (C2SP tlog-cosignature), not with a note key of type 0x01.
#[test]
fn a_witness_key_of_another_type_names_the_type_given_and_the_one_accepted() {
    let note_key = signer("w.example/A", 1).verifier_key();
    let message = |vkey: &str| {
        Policy::parse(format!("witness A {vkey}\nquorum none\n").as_bytes())
            .unwrap_err()
            .to_string()
    };
    assert_eq!(
        message(&note_key.to_string()),
        "line 1: invalid witness key: signature type 0x01 given; \
         a witness key is an Ed25519 cosignature key of type 0x04 (C2SP tlog-cosignature)"
    );
    let other = format!("w+00000000+{}", STANDARD.encode([0x02u8; 33]));
    assert_eq!(
        message(&other),
        "line 1: invalid witness key: signature type 0x02 given; \
         a witness key is an Ed25519 cosignature key of type 0x04 (C2SP tlog-cosignature)"
    );
    // A log key is a note key: type 0x01, and the message says so.
    let text = Policy::parse(format!("log {}\nquorum none\n", witness_vkey("w", 2)).as_bytes())
        .unwrap_err()
        .to_string();
    assert_eq!(
        text,
        "line 1: invalid log key: signature type 0x04 is not supported; only Ed25519 (0x01) is"
    );
}

#[test]
fn too_many_definitions() {
    let mut logs = String::new();
    for i in 0..=MAX_DEFINITIONS {
        let seed = [[i as u8, (i >> 8) as u8], [7; 2]].concat().repeat(8);
        let name = KeyName::new(format!("l{i}")).unwrap();
        let key = SigningKey::from_seed(name, &seed.try_into().unwrap());
        logs += &format!("log {}\n", key.verifier_key());
    }
    let text = format!("{logs}quorum none");
    assert_eq!(problem(&text), (MAX_DEFINITIONS + 1, TooMany("log")));
    let mut text = String::new();
    for i in 0..MAX_DEFINITIONS {
        let vkey = witness_vkey(&format!("w{i}"), i as u8);
        text += &format!("witness W{i} {vkey}\ngroup G{i} any W{i}\n");
    }
    assert_eq!(
        Policy::parse(format!("{text}quorum G0").as_bytes())
            .unwrap()
            .groups()
            .len(),
        256
    );
    let extra = format!("{text}group Extra any G0\nquorum none");
    assert_eq!(problem(&extra), (2 * MAX_DEFINITIONS + 1, TooMany("group")));
    let extra = format!(
        "{text}witness Extra {}\nquorum none",
        witness_vkey("x", 255)
    );
    assert_eq!(
        problem(&extra),
        (2 * MAX_DEFINITIONS + 1, DuplicateWitness(511))
    );
    let name = KeyName::new("x").unwrap();
    let other = vkey_of(&SigningKey::from_seed(
        name,
        &std::array::from_fn(|i| i as u8),
    ));
    let extra = format!("{text}witness Extra {other}\nquorum none");
    assert_eq!(
        problem(&extra),
        (2 * MAX_DEFINITIONS + 1, TooMany("witness"))
    );
}

#[test]
fn quorum_thresholds_both_ways() {
    let policy = Policy::parse(example().as_bytes()).unwrap();
    let met: &[&[(&str, u8)]] = &[
        &[("X1", 1), ("X2", 2), ("Y3", 13)],
        &[("X3", 3), ("Y1", 11), ("X1", 1), ("Y2", 12)],
    ];
    for cosigners in met {
        let note = checkpoint(cosigners);
        assert_eq!(
            policy.check_quorum(note.as_bytes()),
            Ok(()),
            "{cosigners:?}"
        );
        assert!(policy.verify_checkpoint(note.as_bytes()).is_ok());
    }
    let unmet: &[&[(&str, u8)]] = &[
        &[],
        &[("X1", 1), ("Y1", 11), ("Y2", 12)],
        &[("X1", 1), ("X2", 2), ("X3", 3)],
        // The right names with other keys: other ids, so ignored.
        &[("X1", 50), ("X2", 51), ("Y1", 52)],
    ];
    for cosigners in unmet {
        let note = checkpoint(cosigners);
        let result = policy.check_quorum(note.as_bytes());
        assert_eq!(result, Err(PolicyError::QuorumNotMet), "{cosigners:?}");
    }
    let single = example().replace("quorum X-and-Y", "quorum Y2");
    let single = Policy::parse(single.as_bytes()).unwrap();
    assert!(
        single
            .check_quorum(checkpoint(&[("Y2", 12)]).as_bytes())
            .is_ok()
    );
    let other = checkpoint(&[("Y1", 11), ("Y3", 13)]);
    assert_eq!(
        single.check_quorum(other.as_bytes()),
        Err(PolicyError::QuorumNotMet)
    );
}

#[test]
fn bad_cosignatures_and_checkpoints_are_refused() {
    let policy = Policy::parse(example().as_bytes()).unwrap();
    let good = checkpoint(&[("X1", 1), ("X2", 2), ("Y1", 11)]);
    let bad = |note: &str| {
        let result = policy.check_quorum(note.as_bytes());
        assert!(
            matches!(result, Err(PolicyError::BadCosignature { .. })),
            "{result:?}"
        );
    };
    // A listed witness's cosignature over another root.
    bad(&format!(
        "{good}{}",
        cosign(&TEXT.replace("Bw", "CA"), "w.example/Y2", 12, 1)
    ));
    // The message commits to the timestamp.
    let line = cosign(TEXT, "w.example/Y3", 13, 5);
    let (head, b64) = line.trim_end().rsplit_once(' ').unwrap();
    let mut bytes = STANDARD.decode(b64).unwrap();
    bytes[11] ^= 1;
    bad(&format!("{good}{head} {}\n", STANDARD.encode(&bytes)));
    // A timestamp above 2^63 - 1, and a truncated signature.
    bytes[4] = 0x80;
    bad(&format!("{good}{head} {}\n", STANDARD.encode(&bytes)));
    bad(&format!("{good}{head} {}\n", STANDARD.encode(&bytes[..40])));
    let garbage = policy.check_quorum(b"x\n");
    assert!(matches!(garbage, Err(PolicyError::Checkpoint(_))));
    // verify_checkpoint also needs the log's signature.
    let log = signer(ORIGIN, 99).verifier_key().to_string();
    let rotated = example().replace(&log, &signer(ORIGIN, 98).verifier_key().to_string());
    let rotated = Policy::parse(rotated.as_bytes()).unwrap();
    assert!(rotated.check_quorum(good.as_bytes()).is_ok());
    let refused = rotated.verify_checkpoint(good.as_bytes());
    assert_eq!(
        refused,
        Err(PolicyError::Checkpoint(NoteError::NoKnownSignature))
    );
}

#[test]
fn the_quorum_time_is_the_k_th_smallest_timestamp_through_the_groups() {
    let policy = Policy::parse(example().as_bytes()).unwrap();
    // Witnesses in file order: X1 X2 X3 Y1 Y2 Y3.
    let t = |v: [Option<u64>; 6]| policy.quorum_time(&v);
    // X needs 2 of 3 (the second smallest), Y any (the smallest), both all.
    assert_eq!(
        t([Some(30), Some(10), Some(20), None, Some(50), Some(40)]),
        QuorumTime::Met(40)
    );
    assert_eq!(
        t([Some(30), Some(10), Some(20), Some(5), None, None]),
        QuorumTime::Met(20)
    );
    assert_eq!(
        t([Some(30), None, None, Some(5), Some(6), Some(7)]),
        QuorumTime::NotMet
    );
    assert_eq!(t([None; 6]), QuorumTime::NotMet);
    let none = Policy::parse(b"quorum none\n").unwrap();
    assert_eq!(none.quorum_time(&[]), QuorumTime::NotRequired);
}

#[test]
fn cosigned_times_reads_each_witness_timestamp() {
    let policy = Policy::parse(example().as_bytes()).unwrap();
    let signed = checkpoint(&[("X2", 2), ("Y3", 13)]);
    let times = policy.cosigned_times(signed.as_bytes()).unwrap();
    let at = Some(1_700_000_000);
    assert_eq!(times, vec![None, at, None, None, None, at]);
}

#[test]
fn the_witness_text_parses_back_to_the_same_witnesses_groups_and_quorum() {
    let policy = Policy::parse(example().as_bytes()).unwrap();
    let text = policy.witness_text();
    let again = Policy::parse(&text).unwrap();
    assert!(again.logs().is_empty());
    let keys = |p: &Policy| -> Vec<(Vec<u8>, String)> {
        p.witnesses()
            .iter()
            .map(|w| (w.name.clone(), w.key.encode()))
            .collect()
    };
    assert_eq!(keys(&again), keys(&policy));
    assert!(again.witnesses().iter().all(|w| w.url.is_none()));
    assert_eq!(again.groups(), policy.groups());
    assert_eq!(again.quorum(), policy.quorum());
    let none = Policy::parse(b"quorum none\n").unwrap();
    assert_eq!(none.witness_text(), b"quorum none\n");
}
