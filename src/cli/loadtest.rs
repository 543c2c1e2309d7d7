//! `scrutineer loadtest`: the server's vote ingest under load, side by side
//! with the machine's limits for the same work, in one run (issue 7).
//!
//! The tool starts the real server (this executable, `serve`, on a
//! simulated clock, in a temporary data directory, on `127.0.0.1:0`) and
//! drives it over HTTP only, as clients would:
//!
//! 1. **Set-up.** Group `LOAD` (profile `etsi-isg`) with N organisations,
//!    each a founding member with one delegate on the membership list and
//!    one Ed25519 key; a KoM and no other plenary, so the Kick-off Period
//!    runs and every founding member is eligible without attendance
//!    records (`docs/rules.md` R4); a chair. ETSI rather than an ITU-T
//!    consultation because it is the main profile, and because its vote
//!    judgement does the most per vote (membership list, Kick-off Period).
//! 2. **Ballot.** The chair's signed announcement of a correspondence
//!    ballot; the clock moves past its opening and the tool waits until
//!    the server has logged the roll.
//! 3. **Pre-signing** (not timed): real SPEC section 4 vote notes, each with
//!    a fresh random nonce, organisations voting again and again, rendered
//!    as whole HTTP requests.
//! 4. **Load** (timed): C clients, each with one keep-alive connection,
//!    send votes back to back for D seconds; the latency of each durable
//!    receipt (the `201` answer) is recorded. The clients share one thread
//!    (`drive.rs`), so that the load costs the two cores as little as it
//!    can.
//! 5. **Limits**, on the same cores, with the server idle: strict Ed25519
//!    verifications per second on all cores, write + fsync of small files
//!    per second in the data directory, and the floor: the votes per second
//!    that the same clients get from a server on the same HTTP stack that
//!    only checks the token, parses and verifies each vote and answers a
//!    receipt of the same size (`floor.rs`), with no log, rules or
//!    database.
//!
//! The server is stopped (SIGTERM, then SIGKILL) and its directory removed
//! at the end, also on failure.

mod child;
mod drive;
mod floor;
mod limits;
mod pages;
mod wire;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context as _, anyhow, bail, ensure};
use serde::Serialize;
use serde_json::{Value, json};

use scrutineer::ballot::AnnouncementNote;
use scrutineer::id::{BallotId, OrgId, QuestionId};
use scrutineer::note::{KeyName, SigningKey, VerifierKey};
use scrutineer::rules::BallotKind;
use scrutineer::time::Timestamp;
use scrutineer::tlog::checkpoint::Origin;
use scrutineer::vote::{ChoiceWord, NONCE_LEN, VoteNote};

use child::{Memory, ServerProcess, TempDir};
use drive::{Latency, drive};
use wire::{Connection, render};

/// The group the tool creates.
const GROUP: &str = "LOAD";
/// The ballot.
const BALLOT: &str = "B1";
/// Its opening: 44 days after the simulated start (30 days of notice are
/// required). It closes a year later, well after any run.
const OPENS: &str = "2026-07-15T00:00:00Z";
const CLOSES: &str = "2027-07-15T00:00:00Z";
/// How far the clock moves to open the ballot.
const ADVANCE_SECONDS: i64 = 45 * 24 * 3600;

/// Arguments of `scrutineer loadtest`.
#[derive(clap::Args)]
pub struct Args {
    /// Organisations in the group (one delegate and one key each).
    #[arg(long, default_value_t = 200, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    organisations: u32,
    /// Concurrent clients, each with one keep-alive connection (all of
    /// them on one thread).
    #[arg(long, default_value_t = 64, value_parser = clap::value_parser!(u32).range(1..=4096))]
    concurrency: u32,
    /// How long the load runs, in seconds.
    #[arg(long, default_value_t = 60.0, value_parser = positive_seconds)]
    duration: f64,
    /// How many votes to sign in advance (the load stops early, and says
    /// so, if they run out); default 10 000 per second of duration.
    #[arg(long)]
    votes: Option<usize>,
    /// How long each limit (verification rate, fsync rate, floor server)
    /// is measured, in seconds.
    #[arg(long, default_value_t = 5.0, value_parser = positive_seconds)]
    limit_seconds: f64,
    /// Run the server on this database (an empty PostgreSQL database,
    /// `postgres://…`) instead of SQLite in the temporary directory.
    #[arg(long, value_name = "URL")]
    database_url: Option<String>,
    /// Have the server send its notices and the votes' receipts through
    /// this SMTP relay (its `--smtp-url`, e.g. `smtp+plain://127.0.0.1:2525`
    /// for a loopback test relay), so that the outbox's cost on vote
    /// ingest is measured; without it the server sends nothing.
    #[arg(long, value_name = "URL")]
    smtp_url: Option<String>,
    /// Print the report as JSON on standard output.
    #[arg(long)]
    json: bool,
    /// Run the server in this new directory and keep it afterwards (its
    /// database, log key and marks), instead of a temporary one removed
    /// at the end: to measure what a server does with the log the load
    /// left, such as its next start-up.
    #[arg(long, value_name = "DIR")]
    keep_data: Option<PathBuf>,
    /// While the load runs, also fetch web pages as signed-in browsers do
    /// (a delegate's home and ballot page, the secretariat's list of
    /// organisations, the public receipt check) and report each page's
    /// latency.
    #[arg(long)]
    pages: bool,
}

fn positive_seconds(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(s) if s.is_finite() && s > 0.0 && s <= 86_400.0 => Ok(s),
        _ => Err(format!("{text:?} is not a number of seconds in (0, 86400]")),
    }
}

/// A delegate: the organisation represented, token, key (named by the
/// person id).
struct Delegate {
    organisation: OrgId,
    token: String,
    key: SigningKey,
}

/// The report, printed for humans or as JSON.
#[derive(Serialize)]
struct Report {
    database: &'static str,
    /// Whether the server sent mail through a relay (`--smtp-url`).
    mail: bool,
    organisations: u32,
    concurrency: u32,
    duration_seconds: f64,
    elapsed_seconds: f64,
    setup_seconds: f64,
    presign_seconds: f64,
    votes_presigned: usize,
    ran_out_of_votes: bool,
    votes_sent: u64,
    votes_accepted: u64,
    accepted_per_second: f64,
    latency_ms: Latency,
    connections: drive::Connects,
    errors: BTreeMap<String, u64>,
    server_memory: Option<Memory>,
    server_memory_peak_sampled_kib: u64,
    limits: limits::Limits,
    ratios: Ratios,
    /// Each page's latency during the load (`--pages`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pages: Option<Vec<pages::PageLatency>>,
}

/// The accepted rate against the limits.
#[derive(Serialize)]
struct Ratios {
    /// Accepted votes per second over verifications per second (all cores).
    votes_per_verification: f64,
    /// Accepted votes per second over fsyncs per second: how many votes
    /// each fsync carried, at least.
    votes_per_fsync: f64,
    /// Accepted votes per second over the floor server's: the share of the
    /// stateless maximum that the log, the rules and the commit leave.
    votes_per_floor: f64,
}

/// Runs the load test.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let dir = match &args.keep_data {
        Some(path) => TempDir::kept(path)?,
        None => TempDir::new()?,
    };
    let mut server = ServerProcess::start(
        dir.path(),
        args.database_url.as_deref(),
        args.smtp_url.as_deref(),
    )?;
    let result = load(&args, &dir, &server);
    let stopped = server.stop();
    let report =
        result.map_err(|e| anyhow!("{e:#}\nthe server's log ends:\n{}", server.log_tail()))?;
    stopped?;
    if let Some(path) = &args.keep_data {
        progress(&format!("the server's data is kept in {}", path.display()));
    }
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print_report(&report);
    }
    Ok(ExitCode::SUCCESS)
}

fn progress(message: &str) {
    eprintln!("loadtest: {message}");
}

/// Everything between the server's start and its stop.
fn load(args: &Args, dir: &TempDir, server: &ServerProcess) -> anyhow::Result<Report> {
    let started = Instant::now();
    progress(&format!(
        "server pid {} on {}; setting up {} organisations",
        server.pid(),
        server.address,
        args.organisations
    ));
    let admin = Admin::new(server);
    let (origin, delegates) = set_up(&admin, args)?;
    let setup_seconds = started.elapsed().as_secs_f64();

    let count = args
        .votes
        .unwrap_or(((args.duration * 10_000.0) as usize).max(1_000));
    progress(&format!("signing {count} votes in advance"));
    let signing = Instant::now();
    let (requests, samples) = presign(&origin, &delegates, count)?;
    let presign_seconds = signing.elapsed().as_secs_f64();

    progress(&format!(
        "load: {} clients for {} s",
        args.concurrency, args.duration
    ));
    let requests = Arc::new(requests);
    let probe = if args.pages {
        Some(start_pages(server, &admin, &delegates)?)
    } else {
        None
    };
    let run = drive(
        &server.address,
        Some(server.pid()),
        &requests,
        args.concurrency,
        args.duration,
    )?;
    let pages = probe.map(pages::Probe::finish);
    let server_memory = child::memory(server.pid());

    progress("measuring the machine's limits");
    let floor = floor_rate(server, &delegates, &requests, run.sent, args)?;
    drop(requests);
    let limits = limits::measure(&samples, dir.path(), args.limit_seconds, floor)?;
    let accepted_per_second = run.accepted as f64 / run.elapsed;
    Ok(Report {
        database: if args.database_url.is_some() {
            "postgresql"
        } else {
            "sqlite"
        },
        mail: args.smtp_url.is_some(),
        organisations: args.organisations,
        concurrency: args.concurrency,
        duration_seconds: args.duration,
        elapsed_seconds: run.elapsed,
        setup_seconds,
        presign_seconds,
        votes_presigned: count,
        ran_out_of_votes: run.ran_out,
        votes_sent: run.sent,
        votes_accepted: run.accepted,
        accepted_per_second,
        latency_ms: run.latency,
        connections: run.connects,
        errors: run.errors,
        server_memory,
        server_memory_peak_sampled_kib: run.peak_rss_kib,
        ratios: Ratios {
            votes_per_verification: accepted_per_second / limits.verify_per_second,
            votes_per_fsync: accepted_per_second / limits.fsync_per_second,
            votes_per_floor: accepted_per_second / limits.floor_votes_per_second,
        },
        limits,
        pages,
    })
}

/// `--pages`: a delegate and the secretariat sign in, and the probe
/// starts fetching their pages.
fn start_pages(
    server: &ServerProcess,
    admin: &Admin,
    delegates: &[Delegate],
) -> anyhow::Result<pages::Probe> {
    let delegate = delegates.first().context("no delegate to sign in")?;
    let browsers = vec![
        pages::Browser::sign_in(&server.address, &delegate.token).context("a delegate signs in")?,
        pages::Browser::sign_in(&server.address, &admin.token)
            .context("the secretariat signs in")?,
    ];
    let pages = vec![
        ("/".to_owned(), "a delegate", 0),
        (format!("/groups/{GROUP}/ballots/{BALLOT}"), "a delegate", 0),
        (
            format!("/groups/{GROUP}/registry/members"),
            "the secretariat",
            1,
        ),
        ("/check".to_owned(), "anyone", 0),
    ];
    Ok(pages::Probe::start(browsers, pages))
}

/// The floor server's votes per second (`floor.rs`), driven like the
/// server for `--limit-seconds`. Its answer is a real receipt: the server's
/// answer to the last vote of the load, sent again (a duplicate is
/// answered with the original vote's receipt), whose proof is as long as
/// the load's last receipts'.
fn floor_rate(
    server: &ServerProcess,
    delegates: &[Delegate],
    requests: &Arc<Vec<Vec<u8>>>,
    sent: u64,
    args: &Args,
) -> anyhow::Result<f64> {
    let last = usize::try_from(sent.saturating_sub(1)).unwrap_or(usize::MAX);
    let again = requests
        .get(last)
        .or(requests.first())
        .context("no vote was signed")?;
    let answer = Connection::new(&server.address)
        .send(again)
        .context("sending the load's last vote again")?;
    ensure!(
        answer.status == 200 || answer.status == 201,
        "the load's last vote sent again answered {}: {}",
        answer.status,
        String::from_utf8_lossy(&answer.body)
    );
    let keys: Vec<(String, VerifierKey)> = delegates
        .iter()
        .map(|d| (d.token.clone(), VerifierKey::clone(&d.key.verifier_key())))
        .collect();
    let floor = floor::Floor::start(&keys, answer.body)?;
    let run = drive(
        &floor.address,
        None,
        requests,
        args.concurrency,
        args.limit_seconds,
    )?;
    ensure!(
        run.errors.is_empty(),
        "the floor server refused votes: {:?}",
        run.errors
    );
    Ok(run.accepted as f64 / run.elapsed)
}

/// The secretariat's side of the set-up: JSON requests with its token.
struct Admin {
    address: String,
    token: String,
}

impl Admin {
    fn new(server: &ServerProcess) -> Self {
        Self {
            address: server.address.clone(),
            token: server.token.clone(),
        }
    }

    /// Sends a JSON request on `connection` with `token` (the
    /// secretariat's by default); it must succeed.
    fn call(
        &self,
        connection: &mut Connection,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> anyhow::Result<Value> {
        let body = body.map(|b| b.to_string().into_bytes());
        let request = render(
            method,
            path,
            Some(token.unwrap_or(&self.token)),
            body.as_deref(),
        );
        let answer = connection
            .send(&request)
            .with_context(|| format!("{method} {path}"))?;
        if !(200..300).contains(&answer.status) {
            bail!(
                "{method} {path} answered {}: {}",
                answer.status,
                String::from_utf8_lossy(&answer.body)
            );
        }
        if answer.body.is_empty() {
            Ok(Value::Null)
        } else {
            answer.json()
        }
    }
}

fn random_seed() -> anyhow::Result<[u8; 32]> {
    let mut seed = [0u8; 32];
    getrandom::fill(&mut seed).map_err(|e| anyhow!("cannot draw a key seed: {e}"))?;
    Ok(seed)
}

/// Registers one organisation with its delegate and key.
fn register(admin: &Admin, connection: &mut Connection, i: u32) -> anyhow::Result<Delegate> {
    let organisation = format!("org-{i:05}");
    let person = format!("delegate-{i:05}");
    let group = format!("/v1/groups/{GROUP}");
    admin.call(
        connection,
        "PUT",
        &format!("{group}/organisations/{organisation}"),
        None,
        Some(json!({"class": "member", "founding": true, "from": "2026-01-01T00:00:00Z"})),
    )?;
    let key = account(admin, connection, &person, &organisation)?;
    let token = key.1;
    Ok(Delegate {
        organisation: OrgId::new(&organisation).map_err(|e| anyhow!("{e}"))?,
        token,
        key: key.0,
    })
}

/// An account, its token, its person in the group (on the membership
/// list) and its registered key.
fn account(
    admin: &Admin,
    connection: &mut Connection,
    person: &str,
    organisation: &str,
) -> anyhow::Result<(SigningKey, String)> {
    admin.call(
        connection,
        "POST",
        "/v1/persons",
        None,
        Some(json!({"id": person, "name": person, "email": format!("{person}@example.org")})),
    )?;
    let token = admin.call(
        connection,
        "POST",
        &format!("/v1/persons/{person}/tokens"),
        None,
        Some(json!({"label": "loadtest"})),
    )?["token"]
        .as_str()
        .context("the token answer has no token")?
        .to_owned();
    let group = format!("/v1/groups/{GROUP}");
    admin.call(
        connection,
        "PUT",
        &format!("{group}/persons/{person}"),
        None,
        Some(json!({"organisation": organisation, "membership_list": true})),
    )?;
    let name = KeyName::new(person).map_err(|e| anyhow!("{e}"))?;
    let key = SigningKey::from_seed(name, &random_seed()?);
    admin.call(
        connection,
        "POST",
        &format!("{group}/persons/{person}/keys"),
        None,
        Some(json!({"key": key.verifier_key().encode()})),
    )?;
    Ok((key, token))
}

/// The group, its organisations and delegates, the chair, the announced
/// ballot, opened. Returns the log's origin and the delegates.
fn set_up(admin: &Admin, args: &Args) -> anyhow::Result<(Origin, Vec<Delegate>)> {
    let mut connection = Connection::new(&admin.address);
    let c = &mut connection;
    let group = format!("/v1/groups/{GROUP}");
    admin.call(
        c,
        "POST",
        "/v1/groups",
        None,
        Some(json!({"id": GROUP, "profile": "etsi-isg"})),
    )?;
    admin.call(
        c,
        "PUT",
        &format!("{group}/meetings/kom"),
        None,
        Some(
            json!({"plenary": true, "format": "face-to-face", "kick_off": true,
                    "start": "2026-02-01T09:00:00Z", "end": "2026-02-01T17:00:00Z"}),
        ),
    )?;

    // The organisations, in parallel so that the registry entries share
    // batches.
    let threads = args.concurrency.min(args.organisations).max(1);
    let delegates: Vec<Delegate> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|t| {
                scope.spawn(move || -> anyhow::Result<Vec<Delegate>> {
                    let mut connection = Connection::new(&admin.address);
                    (t..args.organisations)
                        .step_by(threads as usize)
                        .map(|i| register(admin, &mut connection, i))
                        .collect()
                })
            })
            .collect();
        let mut all = Vec::new();
        for worker in workers {
            all.extend(
                worker
                    .join()
                    .map_err(|_| anyhow!("a set-up thread panicked"))??,
            );
        }
        Ok::<_, anyhow::Error>(all)
    })?;

    let (chair_key, chair_token) = account(admin, c, "chair", delegates[0].organisation.as_str())?;
    admin.call(
        c,
        "POST",
        &format!("{group}/chair"),
        None,
        Some(json!({"person": "chair"})),
    )?;
    let info = admin.call(c, "GET", &group, None, None)?;
    let origin = Origin::new(info["origin"].as_str().context("the group has no origin")?)
        .map_err(|e| anyhow!("{e}"))?;

    let parse_time = |t: &str| Timestamp::parse(t).map_err(|e| anyhow!("{e}"));
    let note = AnnouncementNote {
        origin: origin.clone(),
        ballot: BallotId::new(BALLOT).map_err(|e| anyhow!("{e}"))?,
        kind: BallotKind::Correspondence,
        questions: vec![QuestionId::new("main").map_err(|e| anyhow!("{e}"))?],
        opens: Some(parse_time(OPENS)?),
        closes: parse_time(CLOSES)?,
        subject: None,
    };
    let signed = note.sign(&chair_key).map_err(|e| anyhow!("{e}"))?;
    let announcement = String::from_utf8(signed).expect("invariant: a signed note is UTF-8");
    admin.call(
        c,
        "POST",
        &format!("{group}/ballots"),
        Some(&chair_token),
        Some(json!({"announcement": announcement})),
    )?;
    admin.call(
        c,
        "POST",
        "/v1/clock",
        None,
        Some(json!({"advance_seconds": ADVANCE_SECONDS})),
    )?;
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let ballot = admin.call(c, "GET", &format!("{group}/ballots/{BALLOT}"), None, None)?;
        if ballot["state"] == "open" {
            break;
        }
        ensure!(
            Instant::now() < deadline,
            "the ballot did not open within a minute: {ballot}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    Ok((origin, delegates))
}

/// Signs `count` votes, the organisations in turn, each with a fresh
/// random nonce, on every core; returns them as rendered requests, and a
/// sample of (key, text, signature) for the verification limit.
fn presign(
    origin: &Origin,
    delegates: &[Delegate],
    count: usize,
) -> anyhow::Result<(Vec<Vec<u8>>, Vec<limits::Signed>)> {
    let mut nonces = vec![0u8; count * NONCE_LEN];
    getrandom::fill(&mut nonces).map_err(|e| anyhow!("cannot draw nonces: {e}"))?;
    let choices = ["yes", "no", "abstain"].map(|c| ChoiceWord::new(c).expect("a choice word"));
    let question = QuestionId::new("main").map_err(|e| anyhow!("{e}"))?;
    let ballot = BallotId::new(BALLOT).map_err(|e| anyhow!("{e}"))?;
    let path = format!("/v1/groups/{GROUP}/ballots/{BALLOT}/votes");
    let threads = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    let chunk = count.div_ceil(threads).max(1);
    let sign_one = |k: usize| -> anyhow::Result<Vec<u8>> {
        let delegate = &delegates[k % delegates.len()];
        let note = VoteNote {
            origin: origin.clone(),
            ballot: ballot.clone(),
            question: question.clone(),
            organisation: delegate.organisation.clone(),
            choice: choices[(k / delegates.len()) % choices.len()].clone(),
            attachment: None,
            nonce: nonces[k * NONCE_LEN..(k + 1) * NONCE_LEN]
                .try_into()
                .expect("invariant: a slice of NONCE_LEN bytes"),
        };
        let signed = note.sign(&delegate.key).map_err(|e| anyhow!("{e}"))?;
        let body = json!({"note": String::from_utf8(signed).expect("invariant: UTF-8")});
        Ok(render(
            "POST",
            &path,
            Some(&delegate.token),
            Some(body.to_string().as_bytes()),
        ))
    };
    let requests: Vec<Vec<u8>> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..count)
            .step_by(chunk)
            .map(|from| {
                let sign_one = &sign_one;
                scope.spawn(move || {
                    (from..(from + chunk).min(count))
                        .map(sign_one)
                        .collect::<anyhow::Result<Vec<_>>>()
                })
            })
            .collect();
        let mut all = Vec::with_capacity(count);
        for worker in workers {
            all.extend(
                worker
                    .join()
                    .map_err(|_| anyhow!("a signing thread panicked"))??,
            );
        }
        Ok::<_, anyhow::Error>(all)
    })?;
    // A sample for the verification limit: one vote text per delegate,
    // signed by the delegate's key.
    let samples = delegates
        .iter()
        .take(64)
        .enumerate()
        .map(|(k, d)| {
            let text = VoteNote {
                origin: origin.clone(),
                ballot: ballot.clone(),
                question: question.clone(),
                organisation: d.organisation.clone(),
                choice: choices[k % choices.len()].clone(),
                attachment: None,
                nonce: [k as u8; NONCE_LEN],
            }
            .text();
            limits::Signed {
                key: VerifierKey::clone(&d.key.verifier_key()),
                signature: d.key.sign(text.as_bytes()),
                message: text.into_bytes(),
            }
        })
        .collect();
    Ok((requests, samples))
}

fn print_report(r: &Report) {
    let mib = |kib: u64| kib as f64 / 1024.0;
    println!(
        "scrutineer loadtest: {} organisations, {} clients, {} s on {}{}",
        r.organisations,
        r.concurrency,
        r.duration_seconds,
        r.database,
        if r.mail {
            ", mail sent through a relay"
        } else {
            ""
        }
    );
    println!(
        "  set-up {:.1} s, {} votes signed in advance in {:.1} s{}",
        r.setup_seconds,
        r.votes_presigned,
        r.presign_seconds,
        if r.ran_out_of_votes {
            " (they ran out before the end: sign more with --votes)"
        } else {
            ""
        }
    );
    println!(
        "  accepted {} of {} votes in {:.2} s: {:.0} votes/s",
        r.votes_accepted, r.votes_sent, r.elapsed_seconds, r.accepted_per_second
    );
    println!(
        "  durable receipt latency: p50 {:.1} ms, p99 {:.1} ms, p99.9 {:.1} ms, max {:.1} ms",
        r.latency_ms.p50, r.latency_ms.p99, r.latency_ms.p999, r.latency_ms.max
    );
    println!(
        "  connections opened: {}, the slowest in {:.1} ms (not in the votes' latency)",
        r.connections.count, r.connections.max_ms
    );
    if r.errors.is_empty() {
        println!("  errors: none");
    } else {
        let list: Vec<String> = r.errors.iter().map(|(k, n)| format!("{k}: {n}")).collect();
        println!("  errors: {}", list.join(", "));
    }
    if let Some(m) = r.server_memory {
        println!(
            "  server memory: VmRSS {:.1} MiB, VmHWM {:.1} MiB (sampled peak {:.1} MiB)",
            mib(m.vm_rss_kib),
            mib(m.vm_hwm_kib),
            mib(r.server_memory_peak_sampled_kib)
        );
    }
    println!(
        "  limits on this machine ({} threads): {:.0} Ed25519 verify_strict/s, {:.0} fsync/s, \
         {:.0} votes/s from the floor server (HTTP, parsing and verification only)",
        r.limits.threads,
        r.limits.verify_per_second,
        r.limits.fsync_per_second,
        r.limits.floor_votes_per_second
    );
    for page in r.pages.iter().flatten() {
        let errors = if page.errors.is_empty() {
            String::new()
        } else {
            let list: Vec<String> = page
                .errors
                .iter()
                .map(|(k, n)| format!("{k}: {n}"))
                .collect();
            format!("; not 200: {}", list.join(", "))
        };
        println!(
            "  page {} ({}): {} answers, p50 {:.1} ms, p90 {:.1} ms, p99 {:.1} ms, max {:.1} ms{errors}",
            page.page,
            page.as_who,
            page.requests,
            page.p50_ms,
            page.p90_ms,
            page.p99_ms,
            page.max_ms
        );
    }
    println!(
        "  ratios: votes/s ÷ verifications/s = {:.3}; votes/s ÷ fsyncs/s = {:.2}; \
         votes/s ÷ floor votes/s = {:.2}",
        r.ratios.votes_per_verification, r.ratios.votes_per_fsync, r.ratios.votes_per_floor
    );
}
