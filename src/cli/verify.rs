//! `scrutineer verify DIR|FILE.tar|URL (--log-key VKEY|FILE | --policy FILE)
//! [--receipt FILE]... [--cosigned FILE]... [--ask-witnesses]
//! [--witness-url NAME=URL]... [--json]`: the independent
//! check of a ballot's audit bundle (SPEC section 7), trusting only the log
//! key given on the command line or pinned in a C2SP tlog-policy file
//! (whose witness quorum then proves when each announcement existed, SPEC
//! section 10). Given a server URL instead of
//! a directory, it first fetches the bundle as `scrutineer export` does,
//! into a temporary directory, then checks it the same way. Builds with
//! `--no-default-features`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context as _, bail};

use super::export::export_bundle;
use super::http::{BaseUrl, Client};
use super::log::read_verifier_key;
use super::remote::{ServerArgs, TokenArgs, TransportArgs};
use scrutineer::audit::bundle::write_files;
use scrutineer::audit::tar::read_tar;
use scrutineer::audit::witnessed::Cosigned;
use scrutineer::audit::{Witnesses, verify_bundle_with_witnesses};
use scrutineer::id::BallotId;
use scrutineer::note::VerifierKey;
use scrutineer::registry::group::GroupId;
use scrutineer::staticlog::CHECKPOINT_FILE;
use scrutineer::tlog::Hash;
use scrutineer::tlog::checkpoint::open_checkpoint;
use scrutineer::tlog::policy::Policy;

/// Arguments of `scrutineer verify`.
#[derive(clap::Args)]
pub struct Args {
    /// The audit bundle: a directory (from `scrutineer export`), an
    /// archive (from `GET …/ballots/{ballot}/bundle`), or a server's base
    /// URL (`https://host[:port]`, with `--group`, `--ballot` and a
    /// member's token), whose bundle is then fetched first.
    #[arg(value_name = "BUNDLE|URL")]
    source: String,
    /// The group log's verifier key (`origin+id+key`), or a file holding
    /// it: the only thing trusted. Never taken from the bundle.
    #[arg(long, value_name = "VKEY|FILE", required_unless_present = "policy")]
    log_key: Option<String>,
    /// A C2SP tlog-policy file: the log key is the policy's log named after
    /// the bundle's origin; the bundle's checkpoint must meet the policy's
    /// witness quorum (in any cosigned source), and the report says for
    /// each announcement when a quorum had cosigned it, and whether that
    /// proves the notice.
    #[arg(
        long,
        alias = "witness-policy",
        value_name = "FILE",
        conflicts_with = "log_key"
    )]
    policy: Option<PathBuf>,
    /// A cosigned checkpoint of the same log from elsewhere (a witness's
    /// latest, `GET <witness>/<hex SHA-256 of the origin>/checkpoint`):
    /// checked against the verified log (a different root at its size is a
    /// split view; a larger size shows the bundle was cut short) and used
    /// as evidence. Repeat for several.
    #[arg(long = "cosigned", value_name = "FILE")]
    cosigned: Vec<PathBuf>,
    /// Ask every witness of the policy that has a URL for its latest
    /// cosigned checkpoint of the bundle's log (`GET <url>/<hex SHA-256 of
    /// the origin>/checkpoint`, which `scrutineer witness` serves; C2SP
    /// tlog-witness defines no such read, so for another implementation
    /// give its checkpoint with --cosigned). Each answer is checked (the
    /// log key's signature, the witness's own cosignature) and used like a
    /// --cosigned file; a witness that does not answer is a warning.
    #[arg(long, requires = "policy")]
    ask_witnesses: bool,
    /// Ask the policy's witness NAME at URL (`NAME=URL`, overriding the
    /// policy's URL for it), as --ask-witnesses does. Repeat for several.
    #[arg(long = "witness-url", value_name = "NAME=URL", requires = "policy")]
    witness_urls: Vec<String>,
    /// The ballot to report on [default: the one `bundle.json` names].
    #[arg(long)]
    ballot: Option<String>,
    /// The group, when verifying a server's log by URL.
    #[arg(long)]
    group: Option<GroupId>,
    #[command(flatten)]
    token: TokenArgs,
    #[command(flatten)]
    transport: TransportArgs,
    /// A vote receipt (from `scrutineer vote`) to check against the
    /// verified log: the vote is in it, and it counted or a later vote
    /// superseded it. Repeat for several.
    #[arg(long = "receipt", value_name = "FILE")]
    receipts: Vec<PathBuf>,
    /// Print the report (or the failure) as JSON on standard output.
    #[arg(long)]
    json: bool,
}

/// A bundle fetched from a server, or unpacked from an archive, into a
/// temporary directory, removed when dropped.
pub(super) struct Fetched(pub(super) PathBuf);

impl Fetched {
    /// A new, uniquely named temporary directory (not yet created).
    fn new() -> anyhow::Result<Self> {
        let mut name = [0u8; 8];
        getrandom::fill(&mut name).context("no entropy for a temporary directory's name")?;
        let hex: String = name.iter().map(|b| format!("{b:02x}")).collect();
        Ok(Self(
            std::env::temp_dir().join(format!("scrutineer-bundle-{hex}")),
        ))
    }
}

impl Drop for Fetched {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Fetches the bundle of a server's ballot into a new temporary directory.
fn fetch(args: &Args, url: &str, log_key: Option<&VerifierKey>) -> anyhow::Result<Fetched> {
    let (Some(group), Some(ballot)) = (&args.group, &args.ballot) else {
        bail!("verifying a server by URL needs --group and --ballot");
    };
    let ballot = BallotId::new(ballot).map_err(|e| anyhow::anyhow!("--ballot: {e}"))?;
    let server = ServerArgs {
        server: url.to_owned(),
        transport: args.transport.clone(),
        group: group.clone(),
        log_key: log_key.map(ToString::to_string),
    };
    let client = server.client(Some(args.token.required()?))?;
    let dir = Fetched::new()?;
    export_bundle(&server, &client, &ballot, &dir.0)?;
    eprintln!(
        "fetched the bundle of {ballot} from {url}; checking it now, trusting only the log key"
    );
    Ok(dir)
}

/// Unpacks a bundle archive (`GET …/ballots/{ballot}/bundle`) into a new
/// temporary directory, removed when the answer is dropped (also used by
/// `restore-tail --bundle FILE`).
pub(super) fn unpack(path: &Path) -> anyhow::Result<Fetched> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    let files =
        read_tar(&bytes).with_context(|| format!("{} is not a bundle archive", path.display()))?;
    let dir = Fetched::new()?;
    write_files(&dir.0, &files)?;
    Ok(dir)
}

/// The log key to trust for the bundle in `dir`: the one given, or the
/// policy's log named after the bundle's origin (the policy is returned
/// too: the check then requires its witness quorum).
fn trusted_key(args: &Args, dir: &Path) -> anyhow::Result<(VerifierKey, Option<Policy>)> {
    if let Some(key) = &args.log_key {
        return Ok((read_verifier_key(key)?, None));
    }
    let path = args.policy.as_ref().context("give --log-key or --policy")?;
    let bytes = std::fs::read(path)
        .with_context(|| format!("cannot read the policy {}", path.display()))?;
    let policy = Policy::parse(&bytes).with_context(|| format!("the policy {}", path.display()))?;
    let origin = bundle_origin(dir)?;
    let origin = origin.as_str();
    let key = policy
        .log_for_origin(origin)
        .with_context(|| {
            format!(
                "the policy {} lists no log for the bundle's origin {origin:?}",
                path.display()
            )
        })?
        .clone();
    Ok((key, Some(policy)))
}

/// The origin line of the bundle's checkpoint (not yet verified: it only
/// chooses the key, which then verifies it).
fn bundle_origin(dir: &Path) -> anyhow::Result<String> {
    let checkpoint = std::fs::read(dir.join(CHECKPOINT_FILE))
        .with_context(|| format!("cannot read {}", dir.join(CHECKPOINT_FILE).display()))?;
    Ok(checkpoint
        .split(|b| *b == b'\n')
        .next()
        .and_then(|line| std::str::from_utf8(line).ok())
        .unwrap_or_default()
        .to_owned())
}

/// The witnesses to ask (`--ask-witnesses`, `--witness-url`): each one's
/// policy name and URL, in the policy's order.
fn witnesses_to_ask(args: &Args, policy: &Policy) -> anyhow::Result<Vec<(usize, String, String)>> {
    let mut overrides = Vec::new();
    for item in &args.witness_urls {
        let (name, url) = item
            .split_once('=')
            .with_context(|| format!("--witness-url {item:?}: write NAME=URL"))?;
        if !policy.witnesses().iter().any(|w| w.name == name.as_bytes()) {
            bail!("--witness-url {item:?}: the policy names no witness {name:?}");
        }
        overrides.push((name.to_owned(), url.to_owned()));
    }
    let mut asked = Vec::new();
    for (i, w) in policy.witnesses().iter().enumerate() {
        let name = String::from_utf8_lossy(&w.name).into_owned();
        let url = match overrides.iter().rfind(|(n, _)| *n == name) {
            Some((_, url)) => Some(url.clone()),
            None if args.ask_witnesses => w
                .url
                .as_ref()
                .map(|u| String::from_utf8_lossy(u).into_owned()),
            None => None,
        };
        if let Some(url) = url {
            asked.push((i, name, url));
        }
    }
    Ok(asked)
}

/// Asks each witness to ask for its latest cosigned checkpoint of
/// `origin`: those that answer with a checkpoint signed by the log key
/// and cosigned by the witness itself become evidence; every other
/// outcome is one sentence for the report's warnings.
fn ask_witnesses(
    args: &Args,
    policy: &Policy,
    log_key: &VerifierKey,
    origin: &str,
) -> anyhow::Result<(Vec<Cosigned>, Vec<String>)> {
    let path = format!("/{}/checkpoint", Hash::sha256(origin.as_bytes()).to_hex());
    let transport = args.transport.transport();
    let mut heard = Vec::new();
    let mut unanswered = Vec::new();
    for (i, name, url) in witnesses_to_ask(args, policy)? {
        let answer = BaseUrl::parse(&url)
            .and_then(|base| Client::with_transport(base, &transport))
            .and_then(|client| client.get(&path));
        let body = match answer {
            Ok(r) => r.body,
            Err(e) => {
                unanswered.push(format!("witness {name} at {url}: {e}"));
                continue;
            }
        };
        if let Err(e) = open_checkpoint(&body, log_key) {
            unanswered.push(format!(
                "witness {name} at {url} answered with no checkpoint signed by the log key \
                 ({e}); its answer is not used"
            ));
            continue;
        }
        match policy.cosigned_times(&body) {
            Ok(times) if times.get(i).copied().flatten().is_some() => {
                eprintln!("asked witness {name} at {url}: it answered with a cosigned checkpoint");
                heard.push(Cosigned {
                    source: format!("witness {name} at {url}"),
                    bytes: body,
                });
            }
            Ok(_) => unanswered.push(format!(
                "witness {name} at {url} answered with a checkpoint it did not cosign; its \
                 answer is not used"
            )),
            Err(e) => unanswered.push(format!(
                "witness {name} at {url} answered with a cosignature that does not verify \
                 ({e}); its answer is not used"
            )),
        }
    }
    Ok((heard, unanswered))
}

/// Runs `scrutineer verify`. A failure prints what failed and exits 1.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let url = args.source.starts_with("http://") || args.source.starts_with("https://");
    let fetched = if url {
        let pinned = args.log_key.as_deref().map(read_verifier_key).transpose()?;
        if pinned.is_none() {
            bail!("verifying a server by URL needs the log key to pin (--log-key)");
        }
        Some(fetch(&args, &args.source, pinned.as_ref())?)
    } else if Path::new(&args.source).is_file() {
        Some(unpack(Path::new(&args.source))?)
    } else {
        None
    };
    let dir = match &fetched {
        Some(f) => f.0.clone(),
        None => PathBuf::from(&args.source),
    };
    let (log_key, policy) = trusted_key(&args, &dir)?;
    let mut cosigned = Vec::new();
    for path in &args.cosigned {
        let bytes = std::fs::read(path)
            .with_context(|| format!("cannot read the cosigned checkpoint {}", path.display()))?;
        cosigned.push(Cosigned {
            source: path.display().to_string(),
            bytes,
        });
    }
    let mut unanswered = Vec::new();
    if let Some(policy) = &policy {
        let (heard, problems) = ask_witnesses(&args, policy, &log_key, &bundle_origin(&dir)?)?;
        cosigned.extend(heard);
        unanswered = problems;
    }
    let witnesses = Witnesses {
        policy: policy.as_ref(),
        cosigned: &cosigned,
        unanswered: &unanswered,
    };
    let mut receipts = Vec::new();
    for path in &args.receipts {
        let bytes = std::fs::read(path)
            .with_context(|| format!("cannot read the receipt {}", path.display()))?;
        receipts.push((path.display().to_string(), bytes));
    }
    match verify_bundle_with_witnesses(&dir, &log_key, args.ballot.as_deref(), &receipts, witnesses)
    {
        Ok(report) => {
            if args.json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&report)
                        .expect("invariant: a report (strings, numbers, lists) serialises")
                );
                // The simulated origin is said loudly even in JSON mode.
                if report.simulated {
                    eprintln!(
                        "warning: SIMULATED CLOCK: {} is not a real log",
                        report.origin
                    );
                }
            } else {
                print!("{report}");
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(error) => {
            if args.json {
                println!(
                    "{}",
                    serde_json::json!({"ok": false, "failure": error.to_string()})
                );
            }
            eprintln!(
                "scrutineer: FAILED: {} does not verify: {error}",
                args.source
            );
            Ok(ExitCode::FAILURE)
        }
    }
}
