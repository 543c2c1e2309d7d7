//! `scrutineer export`: fetches, over the API, what a ballot's audit
//! bundle holds (`docs/formats.md` section 9) and writes it.
//!
//! What is fetched is checked as it comes (the checkpoint's signature, the
//! tiles against its root, each document against its hash), so that an
//! export never silently writes a broken bundle; but the exporter is not
//! the party to trust: `scrutineer verify` re-checks everything.
//!
//! The client accepts answers up to the size of a full entry bundle of
//! maximal entries (`http.rs`, `MAX_RESPONSE_BYTES`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use serde::Deserialize;

use super::http::{Client, printable};
use super::remote::{GroupLog, ServerArgs, TokenArgs, fetch_group};
use scrutineer::audit::bundle::MANIFEST_VERSION;
use scrutineer::audit::{Bundle, Manifest, attachment_of, ballot_entries, wanted_documents};
use scrutineer::entry::Entry;
use scrutineer::id::BallotId;
use scrutineer::note::VerifierKey;
use scrutineer::tlog::Hash;
use scrutineer::tlog::checkpoint::{Checkpoint, open_checkpoint};
use scrutineer::tlog::policy::{Policy, PolicyError};
use scrutineer::tlog::tile::{Tile, TileKind, decode_bundle, tiles_for_size, verify_tiles};

/// Arguments of `scrutineer export`.
#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    server: ServerArgs,
    /// A member's or reviewer's token: entry bundles and documents are for
    /// the group's members and reviewers.
    #[command(flatten)]
    token: TokenArgs,
    /// The ballot to export.
    #[arg(long)]
    ballot: BallotId,
    /// The directory to write the bundle into (new, or empty).
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    /// A C2SP tlog-policy file: wait until its witness quorum has cosigned
    /// the log's current checkpoint (asking again every second), then
    /// export at that checkpoint, so that `scrutineer verify --policy`
    /// with the same policy accepts the bundle. Witnesses cosign a few
    /// seconds after the server signs; a bundle exported just after the
    /// tally would otherwise stop at a checkpoint they have not cosigned.
    #[arg(long, alias = "policy", value_name = "FILE")]
    witness_policy: Option<PathBuf>,
    /// How long to wait for the quorum with --witness-policy, in seconds.
    #[arg(
        long,
        value_name = "SECONDS",
        default_value_t = 120,
        requires = "witness_policy"
    )]
    wait: u64,
}

/// One page of `GET …/log/checkpoints`.
#[derive(Deserialize)]
struct CheckpointsPage {
    checkpoints: Vec<Issued>,
    next: Option<u64>,
}

#[derive(Deserialize)]
struct Issued {
    size: u64,
    checkpoint: String,
    /// The checkpoint with the witnesses' cosignatures, if any (checked by
    /// the verifier, which trusts nothing here).
    #[serde(default)]
    cosigned: Option<String>,
}

/// Runs `scrutineer export`.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let client = args.server.client(Some(args.token.required()?))?;
    let policy = match &args.witness_policy {
        Some(path) => {
            let bytes = std::fs::read(path)
                .with_context(|| format!("cannot read the policy {}", path.display()))?;
            Some(Policy::parse(&bytes).with_context(|| format!("the policy {}", path.display()))?)
        }
        None => None,
    };
    let quorum = policy.as_ref().map(|p| (p, Duration::from_secs(args.wait)));
    let (group, bundle) =
        export_bundle_cosigned(&args.server, &client, &args.ballot, &args.out, quorum)?;
    println!(
        "exported ballot {} of {} at size {} into {}: {} tiles, {} checkpoints, {} documents",
        args.ballot,
        group.origin,
        bundle.manifest.as_ref().map_or(0, |m| m.size),
        args.out.display(),
        bundle.tiles.len(),
        bundle.checkpoints.len(),
        bundle.documents.len()
    );
    println!(
        "check it with: scrutineer verify {} --log-key {}",
        args.out.display(),
        group.log_key
    );
    Ok(ExitCode::SUCCESS)
}

/// Fetches ballot `ballot`'s audit bundle from the server and writes it
/// into `out` (new, or empty); returns the group's log and the bundle.
pub fn export_bundle(
    server: &ServerArgs,
    client: &Client,
    ballot: &BallotId,
    out: &Path,
) -> anyhow::Result<(GroupLog, Bundle)> {
    export_bundle_cosigned(server, client, ballot, out, None)
}

/// [`export_bundle`]; with a policy, at the first current checkpoint that
/// the policy's witness quorum has cosigned, waiting at most the given
/// time for one.
fn export_bundle_cosigned(
    server: &ServerArgs,
    client: &Client,
    ballot: &BallotId,
    out: &Path,
    quorum: Option<(&Policy, Duration)>,
) -> anyhow::Result<(GroupLog, Bundle)> {
    let group = fetch_group(server, client)?;
    // The checkpoint the bundle stops at: the current one (cosigned by the
    // quorum, if asked), kept with its exact signed bytes.
    let started = Instant::now();
    let signed = loop {
        let signed = client
            .get(&server.group_path("/log/checkpoint"))
            .context("cannot read the log's current checkpoint")?
            .body;
        let Some((policy, wait)) = quorum else {
            break signed;
        };
        match policy.check_quorum(&signed) {
            Ok(()) => break signed,
            Err(PolicyError::QuorumNotMet) if started.elapsed() < wait => {
                std::thread::sleep(Duration::from_secs(1));
            }
            Err(PolicyError::QuorumNotMet) => bail!(
                "the policy's witness quorum has not cosigned the log's current checkpoint \
                 within {} s (see the server's /readyz); try again later, or export without \
                 --witness-policy (that bundle then fails verify --policy)",
                wait.as_secs()
            ),
            Err(e) => bail!("the log's current checkpoint: {e}"),
        }
    };
    let checkpoint = open_checkpoint(&signed, &group.log_key)
        .context("the server's current checkpoint is not signed by the log key")?
        .into_inner();

    let tiles = fetch_tiles(server, client, &checkpoint)?;
    let entries = entries_of(&tiles)?;
    let indexes = ballot_entries(&entries, ballot.as_str());
    if indexes.is_empty() {
        bail!(
            "the log of {} has no entry for ballot {ballot} at size {}",
            server.group,
            checkpoint.size()
        );
    }
    let (checkpoints, cosigned) = fetch_checkpoints(server, client, &group.log_key, &checkpoint)?;
    let documents = fetch_documents(server, client, &entries)?;

    let bundle = Bundle {
        checkpoint: signed,
        tiles: tiles.into_iter().collect(),
        checkpoints,
        cosigned,
        documents,
        manifest: Some(Manifest {
            version: MANIFEST_VERSION,
            group: server.group.to_string(),
            origin: group.origin.to_string(),
            ballot: ballot.to_string(),
            size: checkpoint.size().get(),
            entries: indexes,
        }),
    };
    bundle
        .write(out)
        .with_context(|| format!("cannot write the bundle into {}", out.display()))?;
    Ok((group, bundle))
}

/// Every tile and entry bundle of the checkpoint's size, checked against
/// its root.
fn fetch_tiles(
    server: &ServerArgs,
    client: &Client,
    checkpoint: &Checkpoint,
) -> anyhow::Result<BTreeMap<Tile, Vec<u8>>> {
    let mut tiles = BTreeMap::new();
    for tile in tiles_for_size(checkpoint.size()) {
        let path = tile.path();
        let body = client
            .get(&server.group_path(&format!("/log/{path}")))
            .with_context(|| format!("cannot read {path}"))?
            .body;
        tiles.insert(tile, body);
    }
    verify_tiles(checkpoint.size(), checkpoint.root(), |t| {
        tiles.get(t).cloned()
    })
    .context("the server's tiles do not verify against its signed checkpoint")?;
    Ok(tiles)
}

/// The entries of the (verified) entry bundles, in order.
fn entries_of(tiles: &BTreeMap<Tile, Vec<u8>>) -> anyhow::Result<Vec<Entry>> {
    let mut entries = Vec::new();
    for (tile, bytes) in tiles.iter().filter(|(t, _)| t.kind() == TileKind::Entries) {
        for bytes in decode_bundle(bytes, usize::from(tile.width()))? {
            let entry = Entry::parse(&bytes)
                .with_context(|| format!("log entry {} is not an entry", entries.len()))?;
            entries.push(entry);
        }
    }
    Ok(entries)
}

/// Checkpoints by size: those issued, and those cosigned (with the
/// cosignature lines).
type IssuedAndCosigned = (Vec<(u64, Vec<u8>)>, Vec<(u64, Vec<u8>)>);

/// Every checkpoint the server issued up to `newest`, each signed by the
/// log key, and those witnesses cosigned, with their cosignatures.
fn fetch_checkpoints(
    server: &ServerArgs,
    client: &Client,
    log_key: &VerifierKey,
    newest: &Checkpoint,
) -> anyhow::Result<IssuedAndCosigned> {
    let mut out = Vec::new();
    let mut cosigned = Vec::new();
    let mut from = Some(0);
    while let Some(start) = from {
        let page: CheckpointsPage = client
            .get(&server.group_path(&format!("/log/checkpoints?from={start}")))
            .and_then(|r| r.json())
            .context("cannot list the log's checkpoints")?;
        for issued in page.checkpoints {
            if issued.size > newest.size().get() {
                return Ok((out, cosigned));
            }
            open_checkpoint(issued.checkpoint.as_bytes(), log_key).with_context(|| {
                format!(
                    "the server's checkpoint at size {} is not signed by the log key",
                    issued.size
                )
            })?;
            if let Some(text) = issued.cosigned {
                cosigned.push((issued.size, text.into_bytes()));
            }
            out.push((issued.size, issued.checkpoint.into_bytes()));
        }
        if page.next.is_some_and(|next| next <= start) {
            bail!("the server's checkpoint pages do not advance");
        }
        from = page.next;
    }
    Ok((out, cosigned))
}

/// The documents the replay needs: rolls stored beside the log, and the
/// notes and attachments of closed ballots, each checked against its hash.
fn fetch_documents(
    server: &ServerArgs,
    client: &Client,
    entries: &[Entry],
) -> anyhow::Result<Vec<Vec<u8>>> {
    let fetch = |ballot: &BallotId, sha256: &Hash| -> anyhow::Result<Vec<u8>> {
        let hex = sha256.to_hex();
        let body = client
            .get(&server.group_path(&format!("/ballots/{ballot}/documents/{hex}")))
            .with_context(|| format!("cannot read document {hex} of ballot {ballot}"))?
            .body;
        if Hash::sha256(&body) != *sha256 {
            bail!(
                "the server's document {hex} of ballot {} is not the one the log names",
                printable(ballot.as_str())
            );
        }
        Ok(body)
    };
    // In the order the replay asks for them: the pack is read in order.
    let mut documents = Vec::new();
    for wanted in wanted_documents(entries) {
        let bytes = fetch(&wanted.ballot, &wanted.sha256)?;
        let attachment = attachment_of(&bytes);
        documents.push(bytes);
        if let Some(attachment) = attachment {
            documents.push(fetch(&wanted.ballot, &attachment)?);
        }
    }
    Ok(documents)
}
