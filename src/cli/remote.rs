//! What the voter's tools (`vote`, `announce`, `receipt verify`) share: the
//! server and group arguments, the bearer token, the log key (pinned, or
//! trusted on first use), and the log reads every check needs — the
//! current signed checkpoint, inclusion and consistency proofs — each
//! verified under the log key before anything from it is used.

use std::path::PathBuf;

use anyhow::{Context as _, bail};
use serde::Deserialize;

use super::http::{BaseUrl, Client, Token, Transport, printable};
use super::log::{read_signing_key, read_verifier_key};
use scrutineer::entry::Entry;
use scrutineer::note::{SigningKey, Verified, VerifierKey};
use scrutineer::registry::group::GroupId;
use scrutineer::tlog::bundle::decode_bundle;
use scrutineer::tlog::checkpoint::{Checkpoint, Origin, open_checkpoint};
use scrutineer::tlog::tile::{TILE_WIDTH, Tile};
use scrutineer::tlog::{
    Hash, LeafIndex, TreeSize, leaf_hash, verify_consistency, verify_inclusion,
};

/// The server, the group, and the log key to hold the server to.
#[derive(clap::Args)]
pub struct ServerArgs {
    /// The server's base URL, `https://host[:port][/prefix]` (or
    /// `http://` to this machine).
    #[arg(long, env = "SCRUTINEER_SERVER")]
    pub server: String,
    #[command(flatten)]
    pub transport: TransportArgs,
    /// The group (its log is where the ballot runs).
    #[arg(long)]
    pub group: GroupId,
    /// The group log's verifier key (`origin+id+key`), or a file holding
    /// it. The key the server serves must be exactly this one. Without it
    /// the served key is trusted on first use, with a warning that prints
    /// it so that it can be pinned from then on.
    #[arg(long, value_name = "VKEY|FILE")]
    pub log_key: Option<String>,
}

/// How the tools reach the server: the certificates trusted, and whether
/// plain HTTP may cross a network.
#[derive(clap::Args, Clone, Default)]
pub struct TransportArgs {
    /// Trust only the certificates in this PEM file (a private CA) for
    /// `https://`, instead of the bundled Mozilla roots.
    #[arg(long, env = "SCRUTINEER_CA_FILE", value_name = "FILE")]
    pub ca_file: Option<PathBuf>,
    /// Allow `http://` to a host other than this machine: the token and
    /// what is sent then cross the network unencrypted.
    #[arg(long, env = "SCRUTINEER_INSECURE_HTTP")]
    pub insecure_http: bool,
}

impl TransportArgs {
    /// The client's transport settings.
    pub fn transport(&self) -> Transport {
        Transport {
            ca_file: self.ca_file.clone(),
            insecure_http: self.insecure_http,
        }
    }
}

impl ServerArgs {
    /// A client for the server, sending `token` if there is one.
    pub fn client(&self, token: Option<Token>) -> anyhow::Result<Client> {
        let client =
            Client::with_transport(BaseUrl::parse(&self.server)?, &self.transport.transport())?;
        Ok(match token {
            Some(token) => client.with_token(token),
            None => client,
        })
    }

    /// The pinned log key, if one was given.
    pub fn pinned_key(&self) -> anyhow::Result<Option<VerifierKey>> {
        self.log_key.as_deref().map(read_verifier_key).transpose()
    }

    /// The path of a group resource, e.g. `group_path("/log/checkpoint")`.
    /// Ids have a URL-safe syntax (SPEC section 3), so nothing needs
    /// escaping.
    pub fn group_path(&self, rest: &str) -> String {
        format!("/v1/groups/{}{rest}", self.group)
    }
}

/// The bearer token, from a file or the environment.
#[derive(clap::Args)]
pub struct TokenArgs {
    /// The bearer token. Prefer `--token-file` or the environment: a
    /// command-line argument is visible to the machine's other users.
    #[arg(long, env = "SCRUTINEER_TOKEN", hide_env_values = true)]
    token: Option<String>,
    /// A file whose first line is the bearer token (takes precedence over
    /// `--token`).
    #[arg(long, value_name = "FILE")]
    token_file: Option<PathBuf>,
}

impl TokenArgs {
    /// The token, if one was given. Error messages never include it.
    pub fn optional(&self) -> anyhow::Result<Option<Token>> {
        let text = match (&self.token_file, &self.token) {
            (Some(path), _) => std::fs::read_to_string(path)
                .with_context(|| format!("cannot read the token file {}", path.display()))?
                .lines()
                .next()
                .unwrap_or("")
                .trim()
                .to_owned(),
            (None, Some(token)) => token.trim().to_owned(),
            (None, None) => return Ok(None),
        };
        Ok(Some(Token::new(&text)?))
    }

    /// The token, which this command needs.
    pub fn required(&self) -> anyhow::Result<Token> {
        self.optional()?
            .context("this command needs your bearer token: --token-file FILE, or SCRUTINEER_TOKEN")
    }
}

/// The flags of a command that signs as a person and sends what it
/// signed: `vote`, `announce`, `certify`, `appeal` and `decide`.
#[derive(clap::Args)]
pub struct SignerArgs {
    #[command(flatten)]
    pub server: ServerArgs,
    #[command(flatten)]
    pub token: TokenArgs,
    /// Your private key (`scrutineer keygen --name <your person id>`); its
    /// name is your person id, which the signature line carries.
    #[arg(long, value_name = "FILE")]
    pub key: PathBuf,
}

impl SignerArgs {
    /// The private key, read before anything is sent.
    pub fn signing_key(&self) -> anyhow::Result<SigningKey> {
        read_signing_key(&self.key)
    }

    /// A client that sends the token, and the group's log as the server
    /// describes it, its key held to the pinned one.
    pub fn connect(&self) -> anyhow::Result<(Client, GroupLog)> {
        let client = self.server.client(Some(self.token.required()?))?;
        let group = fetch_group(&self.server, &client)?;
        Ok((client, group))
    }
}

/// A group's log as the server describes it, with the key checked.
#[derive(Debug, Clone)]
pub struct GroupLog {
    /// The log's origin, the first line of its checkpoints.
    pub origin: Origin,
    /// The log's key, named after the origin.
    pub log_key: VerifierKey,
}

/// The fields of `GET /v1/groups/{group}` the tools use.
#[derive(Deserialize)]
struct GroupBody {
    origin: String,
    log_key: String,
}

/// Reads the group's origin and log key from the server, holding the key to
/// the pinned one if any (otherwise trusting it on first use, loudly).
pub fn fetch_group(server: &ServerArgs, client: &Client) -> anyhow::Result<GroupLog> {
    let body: GroupBody = client
        .get(&server.group_path(""))
        .and_then(|r| r.json())
        .with_context(|| format!("cannot read group {} from {}", server.group, client.base()))?;
    let origin = Origin::new(body.origin.as_str())
        .with_context(|| format!("the server's origin {:?}", printable(&body.origin)))?;
    let served = VerifierKey::parse(&body.log_key)
        .with_context(|| format!("the server's log key {:?}", printable(&body.log_key)))?;
    // SPEC section 4: a log signs with a key named after its origin.
    if served.name().as_str() != origin.as_str() {
        bail!(
            "the server's log key is named {:?} but the group's origin is {:?}",
            served.name().as_str(),
            origin.as_str()
        );
    }
    let log_key = trust(server.pinned_key()?, served)?;
    Ok(GroupLog { origin, log_key })
}

/// The log key to use: the pinned one, which the served one must equal, or
/// the served one trusted on first use.
fn trust(pinned: Option<VerifierKey>, served: VerifierKey) -> anyhow::Result<VerifierKey> {
    match pinned {
        Some(pinned) if pinned == served => Ok(pinned),
        Some(pinned) => bail!(
            "the server's log key {served} is not the pinned key {pinned}: refusing to go on \
             (the server, or the group's log, is not the one you trust)"
        ),
        None => {
            eprintln!(
                "warning: trusting the log key the server sent, on first use: {served}\n\
                 warning: pin it with --log-key so that a different key is refused next time"
            );
            Ok(served)
        }
    }
}

/// The log key for checking a receipt: the pinned one, checked against the
/// server's if a token lets us read the group; the server's (trusted on
/// first use) if only a token is given.
pub fn log_key_for(
    server: &ServerArgs,
    client: &Client,
    has_token: bool,
) -> anyhow::Result<VerifierKey> {
    match (server.pinned_key()?, has_token) {
        (_, true) => Ok(fetch_group(server, client)?.log_key),
        (Some(pinned), false) => Ok(pinned),
        (None, false) => bail!(
            "give the log key (--log-key VKEY|FILE), or a token (--token-file) to read it \
             from the group"
        ),
    }
}

/// The server's current checkpoint, verified under the log key.
pub fn current_checkpoint(
    server: &ServerArgs,
    client: &Client,
    log_key: &VerifierKey,
) -> anyhow::Result<Verified<Checkpoint>> {
    let response = client
        .get(&server.group_path("/log/checkpoint"))
        .context("cannot read the log's current checkpoint")?;
    open_checkpoint(&response.body, log_key)
        .context("the server's current checkpoint is not signed by the log key")
}

/// A proof as the server's proof endpoints answer (`src/server/api/log.rs`).
#[derive(Deserialize)]
struct ProofBody {
    /// The older size (consistency proofs).
    old: Option<u64>,
    /// The entry's index (inclusion proofs).
    index: Option<u64>,
    /// The (newer) tree size the proof is for.
    size: u64,
    /// The proof hashes, base64.
    proof: Vec<String>,
}

impl ProofBody {
    /// The hashes, decoded.
    fn hashes(&self) -> anyhow::Result<Vec<Hash>> {
        self.proof
            .iter()
            .map(|h| Hash::from_base64(h).with_context(|| format!("proof hash {:?}", printable(h))))
            .collect()
    }
}

/// Checks that `new` extends `old` (both verified checkpoints of one log):
/// the log only grew between them. Returns the number of proof hashes.
pub fn check_consistency(
    server: &ServerArgs,
    client: &Client,
    old: &Checkpoint,
    new: &Checkpoint,
) -> anyhow::Result<usize> {
    let (m, n) = (old.size().get(), new.size().get());
    if n < m {
        bail!(
            "the server's current checkpoint (size {n}) is older than the one you hold \
             (size {m}): the log was rolled back, or the server shows you a stale view"
        );
    }
    let proof = if m == n || m == 0 {
        Vec::new()
    } else {
        let body: ProofBody = client
            .get(&server.group_path(&format!("/log/proof/consistency?old={m}&new={n}")))
            .and_then(|r| r.json())
            .context("cannot read a consistency proof")?;
        if body.old != Some(m) || body.size != n {
            bail!("the server answered a consistency proof for other sizes than {m} and {n}");
        }
        body.hashes()?
    };
    verify_consistency(old.size(), new.size(), &proof, old.root(), new.root()).with_context(
        || {
            format!(
                "the log at size {n} is NOT consistent with the checkpoint at size {m}: \
                 the log was rewritten (keep both checkpoints: they are the evidence)"
            )
        },
    )?;
    Ok(proof.len())
}

/// Checks that the entry whose leaf is `leaf` is at `index` in the tree of
/// the verified `checkpoint`, with an inclusion proof from the server.
pub fn check_inclusion(
    server: &ServerArgs,
    client: &Client,
    leaf: &Hash,
    index: u64,
    checkpoint: &Checkpoint,
) -> anyhow::Result<()> {
    let size = checkpoint.size().get();
    let body: ProofBody = client
        .get(&server.group_path(&format!("/log/proof/inclusion?index={index}&size={size}")))
        .and_then(|r| r.json())
        .context("cannot read an inclusion proof")?;
    if body.index != Some(index) || body.size != size {
        bail!("the server answered an inclusion proof for another entry or size");
    }
    verify_inclusion(
        leaf,
        LeafIndex::new(index),
        TreeSize::new(size),
        &body.hashes()?,
        checkpoint.root(),
    )
    .with_context(|| format!("entry {index} is not in the log at size {size}"))
}

/// What the server answers for an appended entry (`LogReceipt` in the
/// OpenAPI document; the fields the tools use).
#[derive(Debug, Deserialize)]
pub struct LogAnswer {
    /// The entry's index.
    pub index: u64,
    /// The entry's exact text.
    pub entry: String,
    /// The signed checkpoint covering it.
    pub checkpoint: String,
}

impl LogAnswer {
    /// Checks the answer before it is believed: the checkpoint is signed by
    /// the log key and covers the entry, and the entry is included in it
    /// (an inclusion proof from the server). Returns the parsed entry and
    /// the checkpoint.
    pub fn check(
        &self,
        server: &ServerArgs,
        client: &Client,
        log_key: &VerifierKey,
    ) -> anyhow::Result<(Entry, Checkpoint)> {
        let checkpoint = open_checkpoint(self.checkpoint.as_bytes(), log_key)
            .context("the answer's checkpoint is not signed by the log key")?
            .into_inner();
        if self.index >= checkpoint.size().get() {
            bail!(
                "the answer's checkpoint (size {}) does not cover entry {}",
                checkpoint.size(),
                self.index
            );
        }
        let bytes = self.entry.as_bytes();
        check_inclusion(server, client, &leaf_hash(bytes), self.index, &checkpoint)?;
        let entry = Entry::parse(bytes)
            .map_err(|e| anyhow::anyhow!("{e}"))
            .context("the logged entry does not parse")?;
        Ok((entry, checkpoint))
    }
}

/// The exact bytes of entry `index` of the log, read from its entry bundle
/// and checked by an inclusion proof against the verified `checkpoint`.
pub fn fetch_entry(
    server: &ServerArgs,
    client: &Client,
    index: u64,
    checkpoint: &Checkpoint,
) -> anyhow::Result<Vec<u8>> {
    let size = checkpoint.size().get();
    if index >= size {
        bail!("entry {index} is not in the log at size {size}");
    }
    let width = TILE_WIDTH as u64;
    let (tile_index, offset) = (index / width, index % width);
    let count = (size - tile_index * width).min(width);
    let tile = Tile::entries(
        tile_index,
        u16::try_from(count).expect("invariant: at most the tile width"),
    )?;
    let path = tile.path();
    let body = client
        .get(&server.group_path(&format!("/log/{path}")))
        .with_context(|| format!("cannot read {path}"))?
        .body;
    let bytes = decode_bundle(&body, count as usize)
        .with_context(|| format!("{path} is not an entry bundle of {count} entries"))?
        .swap_remove(offset as usize);
    check_inclusion(server, client, &leaf_hash(&bytes), index, checkpoint)?;
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use scrutineer::note::{KeyName, SigningKey};

    fn key(seed: u8) -> VerifierKey {
        SigningKey::from_seed(KeyName::new("example.org/log").expect("name"), &[seed; 32])
            .verifier_key()
    }

    #[test]
    fn a_pinned_key_must_be_the_served_one() {
        assert_eq!(trust(Some(key(1)), key(1)).expect("same key"), key(1));
        let err = trust(Some(key(1)), key(2)).expect_err("another key");
        assert!(err.to_string().contains("not the pinned key"), "{err}");
        assert_eq!(trust(None, key(2)).expect("first use"), key(2));
    }
}
