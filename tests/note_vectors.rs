//! Signed notes against known answers nobody on this team computed: the Go
//! reference implementation's test note (`golang.org/x/mod/sumdb/note`) and
//! the vote notes of `../shared/vectors/scrutineer/vote-notes.json`.
//!
//! Ed25519 signing is deterministic (RFC 8032 section 5.1.6), so signing the
//! same text with the same key must reproduce the vectors byte for byte.

mod common;

use std::fs;
use std::path::Path;

use anyhow::{Context, Result, ensure};
use scrutineer::note::{KeyError, Limits, Note, SigningKey, VerifierKey};
use serde_json::Value;

/// A string field of a JSON object.
fn field<'a>(value: &'a Value, name: &str) -> Result<&'a str> {
    value
        .get(name)
        .and_then(Value::as_str)
        .with_context(|| format!("missing string field {name:?}"))
}

fn read_json(path: &Path) -> Result<Value> {
    let bytes = fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    serde_json::from_slice(&bytes).with_context(|| format!("parsing {}", path.display()))
}

/// The note's text: everything up to and including the newline before the
/// last blank line (C2SP signed-note, "Format").
fn text_of(signed_note: &str) -> Result<&str> {
    let split = signed_note
        .rfind("\n\n")
        .context("a signed note has a blank line")?;
    Ok(&signed_note[..=split])
}

#[test]
fn go_reference_note() -> Result<()> {
    let Some(vectors) = common::shared("vectors") else {
        return Ok(());
    };
    let v = read_json(&vectors.join("signed-note/go-note-test.json"))?;
    let signer = SigningKey::parse(field(&v, "private_key")?)?;
    let expected_vkey = field(&v, "verifier_key")?;
    // The verifier key derived from the private key is the published one,
    // and the published one parses and re-encodes to itself.
    assert_eq!(signer.verifier_key().encode(), expected_vkey);
    let vkey = VerifierKey::parse(expected_vkey)?;
    assert_eq!(vkey, signer.verifier_key());
    assert_eq!(signer.encode_private(), field(&v, "private_key")?);

    let text = field(&v, "text")?;
    let signed_note = field(&v, "signed_note")?;
    assert_eq!(text_of(signed_note)?, text);
    assert_eq!(Note::sign(text, &[&signer])?, signed_note);
    let verified = Note::open(
        signed_note.as_bytes(),
        Limits::VOTE,
        std::slice::from_ref(&vkey),
    )?;
    assert_eq!(verified.text(), text);
    assert_eq!(verified.verified_by(), &[vkey]);

    let bad = v
        .get("bad_verifier_keys")
        .and_then(Value::as_array)
        .context("bad_verifier_keys")?;
    ensure!(bad.len() == 2, "expected the two bad keys of note_test.go");
    let refusals: Vec<KeyError> = bad
        .iter()
        .map(|key| {
            let key = key.as_str().context("a string")?;
            VerifierKey::parse(key)
                .err()
                .with_context(|| format!("{key} must be refused"))
        })
        .collect::<Result<_>>()?;
    // The first has "BADKEY==" appended to the key material: 37 bytes whose
    // last character has non-zero spare bits, so it is refused as
    // non-canonical base64 before its length is looked at. The second has
    // the type byte 0x65 (and an id computed for it).
    assert_eq!(refusals[0], KeyError::Base64);
    assert_eq!(refusals[1], KeyError::SignatureType(0x65));
    Ok(())
}

#[test]
fn scrutineer_vote_notes() -> Result<()> {
    let Some(vectors) = common::shared("vectors") else {
        return Ok(());
    };
    let v = read_json(&vectors.join("scrutineer/vote-notes.json"))?;
    let votes = v.get("votes").and_then(Value::as_array).context("votes")?;
    let mut processed = 0;
    for vote in votes {
        let signer = SigningKey::parse(field(vote, "private_key")?)?;
        let vkey = VerifierKey::parse(field(vote, "verifier_key")?)?;
        assert_eq!(signer.verifier_key(), vkey);
        // SPEC section 4: the key name is the voting person's id.
        assert_eq!(vkey.name().as_str(), field(vote, "person")?);

        let signed_note = field(vote, "signed_note")?;
        let text = text_of(signed_note)?;
        assert!(text.starts_with("scrutineer/vote/v1\n"));
        assert_eq!(Note::sign(text, &[&signer])?, signed_note);
        let verified = Note::open(
            signed_note.as_bytes(),
            Limits::VOTE,
            std::slice::from_ref(&vkey),
        )?;
        assert_eq!(verified.text(), text);
        assert_eq!(verified.signatures().len(), 1);
        // Another person's key does not verify this vote.
        let other =
            SigningKey::parse(field(&votes[(processed + 1) % votes.len()], "private_key")?)?;
        assert!(
            Note::open(
                signed_note.as_bytes(),
                Limits::VOTE,
                &[other.verifier_key()]
            )
            .is_err()
        );
        processed += 1;
    }
    ensure!(
        processed >= 2,
        "expected at least two vote vectors, got {processed}"
    );
    Ok(())
}
