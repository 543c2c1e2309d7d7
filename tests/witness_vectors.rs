//! Cosignatures against a known answer nobody on this team computed: the
//! Ed25519 `cosignature/v1` test data of Sunlight, a third-party C2SP
//! witness (`../shared/vectors/sunlight-cosignature/`: a checkpoint with
//! its log's signature and one witness cosignature, and the witness's
//! description with its vkey).

mod common;

use std::fs;

use anyhow::{Context, Result, ensure};
use scrutineer::note::{Limits, Note};
use scrutineer::tlog::cosignature::{CosignatureError, WitnessKey};
use scrutineer::tlog::policy::{Policy, PolicyError, QuorumTime};
use serde_json::Value;

/// The checkpoint and the witness key of the vectors, if present.
fn vectors() -> Result<Option<(String, WitnessKey)>> {
    let Some(dir) = common::shared("vectors/sunlight-cosignature") else {
        return Ok(None);
    };
    let checkpoint = fs::read_to_string(dir.join("checkpoint")).context("checkpoint")?;
    let witness: Value = serde_json::from_slice(&fs::read(dir.join("witness.v0.json"))?)?;
    let vkey = witness["verifier_keys"][0]
        .as_str()
        .context("verifier_keys[0]")?;
    let key = WitnessKey::parse(vkey).with_context(|| format!("the vkey {vkey}"))?;
    ensure!(key.name().as_str() == witness["name"].as_str().context("name")?);
    Ok(Some((checkpoint, key)))
}

#[test]
fn sunlights_cosignature_verifies_and_a_changed_timestamp_fails() -> Result<()> {
    let Some((checkpoint, key)) = vectors()? else {
        return Ok(());
    };
    let note = Note::parse(checkpoint.as_bytes(), Limits::CHECKPOINT)?;
    let line = key
        .find(note.signatures())
        .context("no signature line of the witness key (name and type 0x04 id)")?;
    let timestamp = key.verify(note.text(), line.signature())?;
    ensure!(timestamp > 0, "a witness's timestamp is never zero");

    // The same line with its timestamp one second later does not verify.
    let mut changed = line.signature().to_vec();
    changed[..8].copy_from_slice(&(timestamp + 1).to_be_bytes());
    ensure!(key.verify(note.text(), &changed) == Err(CosignatureError::Signature));
    // Nor over another tree size.
    let other = note.text().replacen("\n300\n", "\n301\n", 1);
    ensure!(other != note.text());
    ensure!(key.verify(&other, line.signature()) == Err(CosignatureError::Signature));
    Ok(())
}

#[test]
fn a_policy_naming_sunlights_witness_counts_its_cosignature() -> Result<()> {
    let Some((checkpoint, key)) = vectors()? else {
        return Ok(());
    };
    let policy = Policy::parse(
        format!("witness sunlight {key} https://witness-submit.example.org/\nquorum sunlight\n")
            .as_bytes(),
    )?;
    let times = policy.cosigned_times(checkpoint.as_bytes())?;
    let Some(time) = times[0] else {
        anyhow::bail!("the witness's line was not recognised");
    };
    ensure!(policy.quorum_time(&times) == QuorumTime::Met(time));
    policy.check_quorum(checkpoint.as_bytes())?;

    // The same checkpoint with the cosignature's timestamp changed is
    // refused as a whole (a matching line that fails is a malformed note).
    let note = Note::parse(checkpoint.as_bytes(), Limits::CHECKPOINT)?;
    let line = key.find(note.signatures()).context("line")?;
    let mut bytes = line.id().to_be_bytes().to_vec();
    bytes.extend_from_slice(&(time - 1).to_be_bytes());
    bytes.extend_from_slice(&line.signature()[8..]);
    use base64::Engine as _;
    let forged = line.to_line().replace(
        &base64::engine::general_purpose::STANDARD
            .encode([&line.id().to_be_bytes()[..], line.signature()].concat()),
        &base64::engine::general_purpose::STANDARD.encode(bytes),
    );
    let tampered = checkpoint.replace(&line.to_line(), &forged);
    ensure!(tampered != checkpoint);
    ensure!(matches!(
        policy.check_quorum(tampered.as_bytes()),
        Err(PolicyError::BadCosignature { .. })
    ));
    Ok(())
}
