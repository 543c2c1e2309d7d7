//! The server: HTTP API, storage, sequencers and start-up checks around the
//! pure core (feature `server`).
//!
//! - [`config`]: flags and environment variables.
//! - [`clock`]: the one injectable clock.
//! - [`sequencer`]: each group log's group-commit sequencer and its
//!   in-memory fold.
//! - [`scheduler`]: opens, closes and tallies ballots at their times.
//! - [`startup`]: the check of every stored tree against its signed
//!   checkpoint.
//! - [`auth`]: bearer tokens and the authorisation table.
//! - [`access`]: the accounts tables' answers, reused for a second.
//! - [`error`]: RFC 9457 problem details.
//! - [`rate_limit`]: write budgets per person and per client address.
//! - [`api`]: the routes, one file per resource.
//! - [`connections`]: the HTTP/1.1 connection loop (also used by the load
//!   tool's floor server).

pub mod access;
pub mod api;
pub mod auth;
pub mod clock;
pub mod config;
pub mod connections;
pub mod error;
#[cfg(test)]
mod fault_injection;
pub mod rate_limit;
pub mod scheduler;
pub mod sequencer;
pub mod startup;

use std::collections::BTreeMap;
use std::io::Write as _;
use std::sync::Arc;
use std::time::Duration as StdDuration;

use tokio::sync::RwLock;

use self::clock::Clock;
use self::config::{Config, LogFormat};
use self::error::ApiError;
use self::sequencer::{BatchPolicy, GroupLog, LogFold};
use crate::ballot::{BallotApplied, BallotBook, BallotRefusal, NoNotes, NoteSource, VerifiedNotes};
use crate::contexts::{DEFAULT_ORIGIN_NAME, INSTALLATION_CONTEXT, SIMULATED_ORIGIN_PREFIX};
use crate::entry::Entry;
use crate::note::key::{KeyName, SigningKey, VerifierKey};
use crate::registry::Refusal;
use crate::registry::state::{Applied, GroupState};
use crate::store::Store;
use crate::store::accounts::Account;
use crate::time::Timestamp;
use crate::tlog::Hash;
use crate::tlog::checkpoint::Origin;

/// Why the server could not start or stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    /// Storage could not be opened or read.
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    /// A file (data directory, log key) could not be used.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: std::path::PathBuf,
        /// The error.
        source: std::io::Error,
    },
    /// A setting is invalid.
    #[error("invalid setting: {0}")]
    Config(String),
}

/// A group's state as the server keeps it: the registry and the ballots,
/// folded over the log in the order `crate::ballot` documents (each entry
/// to the registry first; the entries it hands back go to the book).
#[derive(Debug)]
pub struct GroupLogState {
    /// The registry, once the `group` entry is in.
    pub registry: Option<GroupState>,
    /// Every ballot of the group.
    pub book: BallotBook,
    /// How many registry facts were applied: the published registry is
    /// copied again only when this moved.
    registry_changes: u64,
}

/// What a group's log publishes to readers that do not wait for its lock
/// ([`GroupLog::published`]): the role checks and the advance check of a
/// vote's signature.
pub struct PublishedGroup {
    /// The registry as of its last fact. Its entry count and last time
    /// are those of that fact, not of the log: ask the log for those.
    pub registry: Option<Arc<GroupState>>,
    /// The ballot book's memo of verified vote signatures: a handler
    /// verifies a vote here before it queues, off the log's serialised
    /// section, and the decision finds the record.
    pub verified: VerifiedNotes,
    /// [`GroupLogState::registry_changes`] when `registry` was copied.
    registry_changes: u64,
}

/// Why an entry does not apply to a group's state.
#[derive(Debug, thiserror::Error)]
pub enum FoldRefusal {
    /// The registry refused it.
    #[error(transparent)]
    Registry(#[from] Refusal),
    /// The ballot book refused it.
    #[error(transparent)]
    Ballot(#[from] BallotRefusal),
    /// An entry type this server does not write.
    #[error("entry type {0:?} is not one this server writes")]
    UnknownType(String),
}

impl GroupLogState {
    /// Applies an entry. With `undo`, a refusal leaves the state unchanged
    /// (the registry counts a ballot entry before the book judges it, so it
    /// is saved first); without, a refusal may leave the registry one entry
    /// ahead, which is fine where a refusal halts the log.
    fn apply_entry(
        &mut self,
        entry: &Entry,
        documents: &dyn NoteSource,
        undo: bool,
    ) -> Result<(), FoldRefusal> {
        let Self {
            registry,
            book,
            registry_changes,
        } = self;
        let Some(state) = registry else {
            *registry = Some(GroupState::genesis(entry)?);
            *registry_changes += 1;
            return Ok(());
        };
        book.check_nothing_owed(Some(entry))
            .map_err(FoldRefusal::Ballot)?;
        if !crate::ballot::BALLOT_KINDS.contains(&entry.kind()) {
            // A registry entry, or a type nobody writes, refused before
            // the state changes.
            let Some(fact) = state.check_entry(entry)? else {
                return Err(FoldRefusal::UnknownType(entry.kind().to_owned()));
            };
            let offered = book.registry_notices(state, &fact);
            state.apply(entry)?;
            book.offer(offered);
            *registry_changes += 1;
            return Ok(());
        }
        // A ballot entry changes only the registry's count and time, so
        // that is all there is to restore on a refusal (cloning the whole
        // registry for every vote cost more than judging it).
        let saved = undo.then(|| state.position());
        let Applied::NotRegistry(entry) = state.apply(entry)? else {
            *registry_changes += 1;
            return Ok(());
        };
        let refusal = match book.apply(state, entry, documents) {
            Ok(BallotApplied::Ballot { .. }) => return Ok(()),
            Ok(BallotApplied::NotBallot) => FoldRefusal::UnknownType(entry.kind().to_owned()),
            Err(refusal) => FoldRefusal::Ballot(refusal),
        };
        if let Some(saved) = saved {
            state.rewind(saved);
        }
        Err(refusal)
    }
}

impl LogFold for GroupLogState {
    type Refusal = FoldRefusal;

    fn empty(origin: &Origin) -> Self {
        Self {
            registry: None,
            book: BallotBook::new(origin.clone()),
            registry_changes: 0,
        }
    }

    type Published = PublishedGroup;

    fn publish(&self, previous: Option<&Arc<PublishedGroup>>) -> Arc<PublishedGroup> {
        match previous {
            Some(previous)
                if previous.registry_changes == self.registry_changes
                    && previous.verified.same(&self.book.verified) =>
            {
                Arc::clone(previous)
            }
            _ => Arc::new(PublishedGroup {
                registry: self.registry.clone().map(Arc::new),
                verified: self.book.verified.clone(),
                registry_changes: self.registry_changes,
            }),
        }
    }

    fn apply(&mut self, entry: &Entry) -> Result<(), FoldRefusal> {
        self.apply_entry(entry, &NoNotes, true)
    }

    fn apply_with(&mut self, entry: &Entry, documents: &dyn NoteSource) -> Result<(), FoldRefusal> {
        self.apply_entry(entry, documents, true)
    }

    fn apply_stored(
        &mut self,
        entry: &Entry,
        documents: &dyn NoteSource,
    ) -> Result<(), FoldRefusal> {
        self.apply_entry(entry, documents, false)
    }

    /// The document the entry names, as [`crate::ballot::document_named`]
    /// reads it.
    fn documents_named(entry: &Entry) -> Vec<Hash> {
        crate::ballot::document_named(entry).into_iter().collect()
    }

    /// A vote note names its attachment ([`crate::ballot::attachment_of`]).
    fn documents_named_by(document: &[u8]) -> Vec<Hash> {
        crate::ballot::attachment_of(document).into_iter().collect()
    }
}

/// A group's log as the server runs it.
pub type Log = GroupLog<GroupLogState>;

/// What every handler shares.
pub struct AppState {
    /// The database.
    pub store: Store,
    /// The one clock.
    pub clock: Arc<Clock>,
    /// The server's log key; each log uses it under its own origin.
    pub key: SigningKey,
    /// The prefix of new groups' origins (`simulated.invalid/…` on a
    /// simulated clock); a group keeps the origin stored with its log.
    pub origin_prefix: String,
    /// The logs by group id.
    pub logs: RwLock<BTreeMap<String, Arc<Log>>>,
    /// The sequencers' batching.
    pub policy: BatchPolicy,
    /// Wakes the scheduler at once (the simulated clock moved), rather
    /// than at its next one-second tick.
    pub tick: tokio::sync::Notify,
    /// Serialises [`AppState::discover`], so that a log is opened (and its
    /// sequencer started) once per process.
    pub discovery: tokio::sync::Mutex<()>,
    /// Recent answers about tokens and secretariat grants.
    pub access: access::AccessCache,
    /// One audit bundle built at a time: a bundle is held whole in memory
    /// (about 450 MB for a ballot of a million votes), so a second request
    /// meanwhile is answered 503 and tries again, rather than doubling it.
    pub bundles: tokio::sync::Semaphore,
    /// The write budgets per person and per client address.
    pub limits: rate_limit::WriteLimits,
}

impl AppState {
    /// The origin of a new group's log.
    pub fn origin_of(&self, group: &str) -> Result<Origin, ApiError> {
        Origin::new(format!("{}/{group}", self.origin_prefix))
            .map_err(|e| ApiError::bad_request("invalid-group", e.to_string()))
    }

    /// The log of a group, or 404. A log this process has not seen yet
    /// (created by another server process on the same database) is opened
    /// first, with the same start-up check as at start.
    pub async fn log(&self, group: &str) -> Result<Arc<Log>, ApiError> {
        if let Some(log) = self.logs.read().await.get(group) {
            return Ok(Arc::clone(log));
        }
        self.discover()
            .await
            .map_err(|e| ApiError::Unavailable(format!("cannot open the group's log: {e}")))?;
        self.logs
            .read()
            .await
            .get(group)
            .cloned()
            .ok_or_else(|| ApiError::NotFound(format!("no group {group:?}")))
    }

    /// Opens every log in storage that this process does not serve yet:
    /// several server processes share one PostgreSQL database, and a group
    /// created through one of them must be served by all.
    pub async fn discover(&self) -> Result<(), ServerError> {
        let _one_at_a_time = self.discovery.lock().await;
        let heads = self.store.heads().await?;
        for head in heads {
            if !self.logs.read().await.contains_key(&head.group) {
                startup::open_log(self, &head).await?;
            }
        }
        Ok(())
    }

    /// The key that signs a log's checkpoints: the server key under the
    /// log's origin.
    pub fn log_key(&self, origin: &Origin) -> SigningKey {
        self.key.renamed(origin.key_name().clone())
    }

    /// The verifier key of a log.
    pub fn verifier_key(&self, origin: &Origin) -> VerifierKey {
        self.log_key(origin).verifier_key()
    }

    /// Starts (or registers) the sequencer of a log.
    pub async fn start_log(&self, group: &str, origin: Origin, halted: Option<String>) -> Arc<Log> {
        let log = GroupLog::start(
            group.to_owned(),
            origin.clone(),
            self.log_key(&origin),
            self.store.clone(),
            Arc::clone(&self.clock),
            self.policy,
            halted,
        );
        self.logs
            .write()
            .await
            .insert(group.to_owned(), Arc::clone(&log));
        log
    }
}

/// Runs the server until Ctrl-C or SIGTERM.
pub async fn serve(config: Config) -> Result<(), ServerError> {
    init_tracing(config.log_format);
    let state = Arc::new(open(&config).await?);
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .map_err(|source| ServerError::Io {
            path: config.listen.to_string().into(),
            source,
        })?;
    let address = listener.local_addr().map_err(|source| ServerError::Io {
        path: config.listen.to_string().into(),
        source,
    })?;
    // One line on stdout that scripts and tests can read.
    println!("listening on http://{address}");
    let _ = std::io::stdout().flush();
    tracing::info!(%address, "listening");
    // Opens, closes and tallies ballots at their times, from now on and
    // for whatever fell due while the server was down.
    let scheduler = tokio::spawn(scheduler::run(Arc::clone(&state)));
    let app = api::router(Arc::clone(&state), &config);
    // Request headers get the same time limit as a whole request.
    let header_timeout = StdDuration::from_secs(config.request_timeout_secs.max(1));
    connections::serve(listener, app, header_timeout, shutdown_signal()).await;
    tracing::info!("stopped");
    scheduler.abort();
    state.store.close().await;
    Ok(())
}

/// Opens storage, the key and every log, and bootstraps the first account.
pub async fn open(config: &Config) -> Result<AppState, ServerError> {
    std::fs::create_dir_all(&config.data_dir).map_err(|source| ServerError::Io {
        path: config.data_dir.clone(),
        source,
    })?;
    let key = load_or_create_key(&config.log_key_path())?;
    let chosen = config
        .origin_prefix
        .clone()
        .unwrap_or_else(|| default_origin_prefix(&key));
    let prefix = if config.simulated_clock {
        format!("{SIMULATED_ORIGIN_PREFIX}{chosen}")
    } else if chosen.starts_with(SIMULATED_ORIGIN_PREFIX) {
        return Err(ServerError::Config(format!(
            "the origin prefix {SIMULATED_ORIGIN_PREFIX:?} is reserved for servers on a simulated clock"
        )));
    } else {
        chosen
    };
    Origin::new(format!("{prefix}/g"))
        .map_err(|e| ServerError::Config(format!("origin prefix: {e}")))?;
    if config.origin_prefix.is_none() && !config.simulated_clock {
        tracing::warn!(
            "no origin prefix is configured: new groups' origins begin with {prefix:?}, \
             derived from the log key; set --origin-prefix (SCRUTINEER_ORIGIN_PREFIX) to a \
             name you control, such as vote.example.org, before creating groups (a group \
             keeps its origin)"
        );
    }
    let store = Store::open(&config.database_url()).await?;
    let heads = store.heads().await?;
    // A simulated clock restarted without a start resumes at the logs'
    // latest entry time (set below, once the logs are read), not at the
    // system time: a demonstration's history goes on where it stopped.
    let resume = config.simulated_clock && config.simulated_start.is_none() && !heads.is_empty();
    let clock = if config.simulated_clock {
        let start = match &config.simulated_start {
            Some(text) => Timestamp::parse(text)
                .map_err(|e| ServerError::Config(format!("--simulated-start: {e}")))?,
            None if resume => Timestamp::MIN,
            None => Clock::System.now(),
        };
        Arc::new(Clock::simulated(start))
    } else {
        Arc::new(Clock::System)
    };
    let state = AppState {
        store,
        clock,
        key,
        origin_prefix: prefix,
        logs: RwLock::new(BTreeMap::new()),
        policy: BatchPolicy {
            interval: StdDuration::from_millis(config.batch_interval_ms),
            max_entries: config.batch_max.max(1),
        },
        tick: tokio::sync::Notify::new(),
        discovery: tokio::sync::Mutex::new(()),
        access: access::AccessCache::default(),
        bundles: tokio::sync::Semaphore::new(1),
        limits: rate_limit::WriteLimits::new(config),
    };
    for head in heads {
        startup::open_log(&state, &head).await?;
    }
    if resume {
        let mut latest = Timestamp::MIN;
        for log in state.logs.read().await.values() {
            if let Ok(time) = log.read(|loaded| loaded.last_time).await {
                latest = latest.max(time);
            }
        }
        let start = if latest == Timestamp::MIN {
            Clock::System.now()
        } else {
            latest
        };
        let _ = state.clock.set(start);
    }
    bootstrap(&state).await?;
    Ok(state)
}

/// The origin prefix of a server whose operator set none: the common name
/// and an installation id derived from the log key (`contexts.rs`,
/// [`DEFAULT_ORIGIN_NAME`]). It needs no file of its own: it is as
/// persistent as the key, and an existing group's origin is read from
/// storage, never derived again.
pub fn default_origin_prefix(key: &SigningKey) -> String {
    let id = Hash::sha256_parts(&[INSTALLATION_CONTEXT, key.verifier_key().public_key()]);
    format!("{DEFAULT_ORIGIN_NAME}-{}", &id.to_hex()[..16])
}

/// On first start, creates the server secretariat's account and prints its
/// token, once, on stdout (never to the log).
async fn bootstrap(state: &AppState) -> Result<(), ServerError> {
    if state.store.has_accounts().await? {
        return Ok(());
    }
    let now = state.clock.now().to_rfc3339_micros();
    let account = Account {
        person: "secretariat".to_owned(),
        name: "Secretariat".to_owned(),
        email: String::new(),
    };
    state.store.create_account(&account, &now).await?;
    state.store.grant_secretariat(&account.person, "*").await?;
    let token = auth::NewToken::generate()
        .map_err(|e| ServerError::Config(format!("no entropy for a token: {e}")))?;
    state
        .store
        .insert_token(&token.hash, &account.person, "bootstrap", &now)
        .await?;
    println!(
        "secretariat token (shown once, store it now): {}",
        token.text
    );
    let _ = std::io::stdout().flush();
    tracing::info!("created the secretariat account; its token was printed once on stdout");
    Ok(())
}

/// Reads the log key, or creates it (mode 0600) on first start.
fn load_or_create_key(path: &std::path::Path) -> Result<SigningKey, ServerError> {
    let io = |source| ServerError::Io {
        path: path.to_owned(),
        source,
    };
    match std::fs::read_to_string(path) {
        Ok(text) => SigningKey::parse(text.trim_end_matches('\n'))
            .map_err(|e| ServerError::Config(format!("{}: {e}", path.display()))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let name = KeyName::new("scrutineer").expect("invariant: a valid constant name");
            let key = SigningKey::generate(name)
                .map_err(|e| ServerError::Config(format!("cannot generate the log key: {e}")))?;
            let mut options = std::fs::OpenOptions::new();
            options.write(true).create_new(true);
            #[cfg(unix)]
            {
                use std::os::unix::fs::OpenOptionsExt as _;
                options.mode(0o600);
            }
            let mut file = options.open(path).map_err(io)?;
            let mut text = key.encode_private();
            text.push('\n');
            file.write_all(text.as_bytes()).map_err(io)?;
            file.sync_all().map_err(io)?;
            tracing::info!(path = %path.display(), "created the log key");
            Ok(key)
        }
        Err(e) => Err(io(e)),
    }
}

fn init_tracing(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Human => builder.try_init(),
        LogFormat::Json => builder.json().try_init(),
    };
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down");
}
