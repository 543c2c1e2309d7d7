//! Tests of signed notes: the C2SP examples, strict parsing and
//! verification, and the byte-for-byte round trip.

use super::*;

/// The signed note and verifier key of the example in C2SP signed-note,
/// "Verifier keys".
const C2SP_VKEY: &str = "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k";
const C2SP_NOTE: &str = "This is an example message.\n\n\u{2014} example.com/foo Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM=\n";

fn key(name: &str, seed: u8) -> SigningKey {
    SigningKey::from_seed(KeyName::new(name).expect("valid test name"), &[seed; 32])
}

fn parse(note: &str) -> Result<Note, NoteError> {
    Note::parse(note.as_bytes(), Limits::VOTE)
}

#[test]
fn c2sp_example_verifies_and_round_trips() {
    let vkey = VerifierKey::parse(C2SP_VKEY).expect("valid");
    let verified = Note::open(
        C2SP_NOTE.as_bytes(),
        Limits::VOTE,
        std::slice::from_ref(&vkey),
    )
    .expect("the C2SP example verifies");
    assert_eq!(verified.text(), "This is an example message.\n");
    assert_eq!(verified.verified_by(), &[vkey]);
    assert_eq!(verified.to_text(), C2SP_NOTE);
}

#[test]
fn sign_then_open_with_several_keys() {
    let (a, b) = (key("a.example", 1), key("b.example", 2));
    let signed = Note::sign("hello\n\nworld\n", &[&a, &b]).expect("valid text");
    // The text may contain empty lines; the last one separates.
    let note = parse(&signed).expect("parses");
    assert_eq!(note.text(), "hello\n\nworld\n");
    assert_eq!(note.signatures().len(), 2);
    assert_eq!(note.to_text(), signed);
    let both = note
        .clone()
        .verify(&[a.verifier_key(), b.verifier_key()])
        .expect("ok");
    assert_eq!(both.verified_by().len(), 2);
    // A verifier that knows only `b` ignores `a`'s signature.
    let only_b = note.verify(&[b.verifier_key()]).expect("b verifies");
    assert_eq!(only_b.verified_by(), &[b.verifier_key()]);
}

#[test]
fn unknown_signatures_are_ignored_but_one_known_is_required() {
    let (a, b) = (key("a.example", 1), key("b.example", 2));
    let signed = Note::sign("text\n", &[&a]).expect("valid");
    assert_eq!(
        Note::open(signed.as_bytes(), Limits::VOTE, &[b.verifier_key()]),
        Err(NoteError::NoKnownSignature)
    );
    // Same name, other key (so another id): still unknown, still ignored.
    let impostor = key("a.example", 3);
    assert_eq!(
        Note::open(signed.as_bytes(), Limits::VOTE, &[impostor.verifier_key()]),
        Err(NoteError::NoKnownSignature)
    );
    assert_eq!(
        Note::open(signed.as_bytes(), Limits::VOTE, &[]),
        Err(NoteError::NoKnownSignature)
    );
}

#[test]
fn a_failing_known_signature_refuses_the_whole_note() {
    let (a, b) = (key("a.example", 1), key("b.example", 2));
    let signed = Note::sign("text\n", &[&a, &b]).expect("valid");
    // Tampered text: both known signatures fail.
    let tampered = signed.replacen("text", "tent", 1);
    assert!(matches!(
        Note::open(tampered.as_bytes(), Limits::VOTE, &[a.verifier_key()]),
        Err(NoteError::BadSignature { .. })
    ));
    // Tampered signature of `b`, while `a`'s still verifies: refused.
    let mut note = parse(&signed).expect("parses");
    note.signatures[1].signature[0] ^= 1;
    let tampered = note.to_text();
    assert!(matches!(
        Note::open(
            tampered.as_bytes(),
            Limits::VOTE,
            &[a.verifier_key(), b.verifier_key()]
        ),
        Err(NoteError::BadSignature { .. })
    ));
    // A known key with a signature of the wrong length fails too.
    note.signatures[1].signature.pop();
    assert!(matches!(
        Note::open(note.to_text().as_bytes(), Limits::VOTE, &[b.verifier_key()]),
        Err(NoteError::BadSignature { .. })
    ));
}

#[test]
fn signature_by_a_weak_key_never_verifies() {
    // Anyone can write a signature line naming a small-order key, but
    // such a key cannot be configured: VerifierKey refuses it.
    let mut identity = [0u8; 32];
    identity[0] = 1;
    let name = KeyName::new("weak.example").expect("valid");
    assert_eq!(
        VerifierKey::new(name.clone(), &identity),
        Err(KeyError::WeakKey)
    );
    // (R = identity, s = 0) satisfies the cofactorless equation for the
    // identity key; the line is merely an unknown signature.
    let id = KeyId::compute(&name, 0x01, &identity);
    let mut sig = id.to_be_bytes().to_vec();
    sig.extend_from_slice(&identity);
    sig.extend_from_slice(&[0u8; 32]);
    let forged = format!("text\n\n\u{2014} weak.example {}\n", STANDARD.encode(sig));
    let good = key("good.example", 9);
    assert_eq!(
        Note::open(forged.as_bytes(), Limits::VOTE, &[good.verifier_key()]),
        Err(NoteError::NoKnownSignature)
    );
}

#[test]
fn duplicates_are_refused() {
    let a = key("a.example", 1);
    let signed = Note::sign("text\n", &[&a]).expect("valid");
    let line = &signed["text\n\n".len()..];
    assert!(matches!(
        parse(&format!("{signed}{line}")),
        Err(NoteError::DuplicateSignature { .. })
    ));
    assert!(matches!(
        Note::sign("text\n", &[&a, &a]),
        Err(NoteError::DuplicateSignature { .. })
    ));
    // Two identical configured keys are not ambiguous; two different
    // keys with the same name and id would be (not constructible here
    // without a collision, so only the benign case is tested).
    assert!(
        Note::open(
            signed.as_bytes(),
            Limits::VOTE,
            &[a.verifier_key(), a.verifier_key()]
        )
        .is_ok()
    );
}

#[test]
fn text_refusals() {
    let a = key("a.example", 1);
    let signed = Note::sign("text\n", &[&a]).expect("valid");
    let sigline = &signed["text\n\n".len()..];
    assert_eq!(
        parse(&format!("te\rxt\n\n{sigline}")),
        Err(NoteError::CarriageReturn(2))
    );
    assert_eq!(
        parse(&signed.replace('\n', "\r\n")),
        Err(NoteError::CarriageReturn(4))
    );
    assert_eq!(
        parse(&format!("te\txt\n\n{sigline}")),
        Err(NoteError::ControlCharacter { offset: 2, code: 9 })
    );
    assert_eq!(
        parse(&format!("te\u{7f}xt\n\n{sigline}")),
        Err(NoteError::ControlCharacter {
            offset: 2,
            code: 0x7f
        })
    );
    assert_eq!(
        parse(&format!("te\u{85}xt\n\n{sigline}")),
        Err(NoteError::ControlCharacter {
            offset: 2,
            code: 0x85
        })
    );
    assert_eq!(
        parse(&signed[..signed.len() - 1]),
        Err(NoteError::MissingFinalNewline)
    );
    assert_eq!(
        parse(&format!("text\n{sigline}")),
        Err(NoteError::MissingSignatures)
    );
    assert_eq!(parse("text\n\n"), Err(NoteError::MissingSignatures));
    assert_eq!(parse(""), Err(NoteError::MissingFinalNewline));
    assert_eq!(
        Note::parse(b"text\xff\n\n", Limits::VOTE),
        Err(NoteError::NotUtf8(4))
    );
    assert_eq!(Note::sign("", &[&a]), Err(NoteError::EmptyText));
    assert_eq!(
        Note::sign("text", &[&a]),
        Err(NoteError::MissingFinalNewline)
    );
    assert_eq!(
        Note::sign("a\rb\n", &[&a]),
        Err(NoteError::CarriageReturn(1))
    );
    assert_eq!(Note::sign("text\n", &[]), Err(NoteError::NoSigners));
}

#[test]
fn signature_line_refusals() {
    let a = key("a.example", 1);
    let signed = Note::sign("text\n", &[&a]).expect("valid");
    let encoded = signed.rsplit_once(' ').expect("a space").1.trim_end();
    let with = |line: &str| parse(&format!("text\n\n{line}\n"));
    assert_eq!(
        with(&format!("- a.example {encoded}")),
        Err(NoteError::SignaturePrefix { line: 3 })
    );
    assert_eq!(
        with(&format!("\u{2014}a.example {encoded}")),
        Err(NoteError::SignaturePrefix { line: 3 })
    );
    assert_eq!(
        with(&format!("\u{2014} a.example{encoded}")),
        Err(NoteError::SignatureFormat { line: 3 })
    );
    assert_eq!(
        with(&format!("\u{2014} a.example  {encoded}")),
        Err(NoteError::SignatureBase64 { line: 3 })
    );
    assert!(matches!(
        with(&format!("\u{2014} a+b {encoded}")),
        Err(NoteError::SignatureName { line: 3, .. })
    ));
    assert!(matches!(
        with(&format!("\u{2014}  {encoded}")),
        Err(NoteError::SignatureName { line: 3, .. })
    ));
    assert_eq!(
        with(&format!(
            "\u{2014} a.example {}",
            encoded.trim_end_matches('=')
        )),
        Err(NoteError::SignatureBase64 { line: 3 })
    );
    // 68 bytes are 544 bits in 91 characters: the last one before the
    // padding carries 2 spare bits, which must be zero.
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut bits = encoded.as_bytes().to_vec();
    let at = bits.len() - 2;
    let value = ALPHABET
        .iter()
        .position(|&c| c == bits[at])
        .expect("base64");
    bits[at] = ALPHABET[value | 1];
    let bits = String::from_utf8(bits).expect("ASCII");
    assert_eq!(
        with(&format!("\u{2014} a.example {bits}")),
        Err(NoteError::SignatureBase64 { line: 3 })
    );
    assert_eq!(
        with(&format!(
            "\u{2014} a.example {}",
            STANDARD.encode([1, 2, 3, 4])
        )),
        Err(NoteError::SignatureTooShort { line: 3 })
    );
    // The line number counts the text's lines.
    assert_eq!(
        parse(&format!(
            "one\ntwo\n\n{}x\n",
            signed.split_once("\n\n").expect("split").1
        )),
        Err(NoteError::SignaturePrefix { line: 5 })
    );
}

#[test]
fn bounds_are_enforced() {
    let a = key("a.example", 1);
    let big = format!("{}\n", "x".repeat(VOTE_NOTE_MAX_BYTES));
    let signed = Note::sign(&big, &[&a]).expect("sign does not bound the size");
    assert_eq!(
        parse(&signed),
        Err(NoteError::TooLarge {
            len: signed.len(),
            max: VOTE_NOTE_MAX_BYTES
        })
    );
    assert!(Note::parse(signed.as_bytes(), Limits::CHECKPOINT).is_ok());
    // Exactly the limit of signature lines parses; one more does not.
    let keys: Vec<SigningKey> = (0..=NOTE_MAX_SIGNATURES)
        .map(|i| key(&format!("k{i}.example"), 1))
        .collect();
    let refs: Vec<&SigningKey> = keys.iter().collect();
    let at_limit = Note::sign("t\n", &refs[..NOTE_MAX_SIGNATURES]).expect("valid");
    let note = Note::parse(at_limit.as_bytes(), Limits::CHECKPOINT).expect("at the limit");
    assert_eq!(note.signatures().len(), NOTE_MAX_SIGNATURES);
    let extra = keys[NOTE_MAX_SIGNATURES].verifier_key();
    let over = format!(
        "{at_limit}{}",
        NoteSignature {
            name: extra.name().clone(),
            id: extra.id(),
            signature: vec![0; 64]
        }
        .to_line()
    );
    assert_eq!(
        Note::parse(over.as_bytes(), Limits::CHECKPOINT),
        Err(NoteError::TooManySignatures {
            max: NOTE_MAX_SIGNATURES
        })
    );
    assert_eq!(
        Note::sign("t\n", &refs),
        Err(NoteError::TooManySignatures {
            max: NOTE_MAX_SIGNATURES
        })
    );
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]

    /// Any valid text signs, parses back to the same bytes and verifies;
    /// changing any one byte of the signed note is detected.
    #[test]
    fn sign_open_round_trip_and_tampering(
        text in "([a-z0-9 .:/é—\u{1F5F3}]{0,40}\n){1,6}",
        flip in proptest::prelude::any::<proptest::sample::Index>(),
    ) {
        let a = key("a.example", 1);
        let signed = Note::sign(&text, &[&a]).expect("valid text");
        let verified = Note::open(signed.as_bytes(), Limits::VOTE, &[a.verifier_key()])
            .expect("verifies");
        proptest::prop_assert_eq!(verified.text(), text.as_str());
        proptest::prop_assert_eq!(verified.to_text(), signed.clone());
        let mut bytes = signed.into_bytes();
        let at = flip.index(bytes.len());
        bytes[at] ^= 0x01;
        proptest::prop_assert!(
            Note::open(&bytes, Limits::VOTE, &[a.verifier_key()]).is_err()
        );
    }
}
