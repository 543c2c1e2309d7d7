//! `scrutineer serve`: opens storage, the key and every log, bootstraps
//! the first account, starts tracing and the listener, and stops on a
//! signal.

use std::collections::BTreeMap;
use std::io::Write as _;
use std::sync::Arc;
use std::time::Duration as StdDuration;

use tokio::sync::RwLock;

use super::{AppState, ServerError, access, api, auth, connections, rate_limit, scheduler, web};

use super::clock::Clock;
use super::config::{Config, LogFormat};
use super::sequencer::BatchPolicy;
use crate::contexts::{DEFAULT_ORIGIN_NAME, INSTALLATION_CONTEXT, SIMULATED_ORIGIN_PREFIX};
use crate::note::key::{KeyName, SigningKey};
use crate::store::Store;
use crate::store::accounts::Account;
use crate::time::Timestamp;
use crate::tlog::Hash;
use crate::tlog::checkpoint::Origin;

/// Runs the server until Ctrl-C or SIGTERM.
pub async fn serve(config: Config) -> Result<(), ServerError> {
    init_tracing(config.log_format);
    let tls = match (&config.tls_cert, &config.tls_key) {
        (Some(cert), Some(key)) => Some(Arc::new(
            super::tls::Tls::load(cert, key).map_err(ServerError::Config)?,
        )),
        _ => None,
    };
    let dispatcher = Arc::new(
        super::mail::Dispatcher::from_config(&config)
            .map_err(|e| ServerError::Config(e.to_string()))?,
    );
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
    // `/metrics` on its own listener, announced before the main
    // listener's line, so that a script reading up to that line has both.
    let metrics_listener = match config.metrics_listen {
        Some(at) => {
            let io = |source| ServerError::Io {
                path: at.to_string().into(),
                source,
            };
            let listener = tokio::net::TcpListener::bind(at).await.map_err(io)?;
            println!(
                "metrics on http://{}/metrics",
                listener.local_addr().map_err(io)?
            );
            Some(listener)
        }
        None => None,
    };
    // One line on stdout that scripts and tests can read; the logs found
    // in storage are checked from now on, each one unserved until its
    // check ends, and a second line, `ready: …`, follows once every one
    // has been (`checks.rs`).
    let scheme = if tls.is_some() { "https" } else { "http" };
    println!("listening on {scheme}://{address}");
    let mail_line = dispatcher.describe();
    println!("mail: {mail_line}");
    let _ = std::io::stdout().flush();
    tracing::info!(%address, "listening");
    tracing::info!("{mail_line}");
    let _ = state.web.dispatcher.set(Arc::clone(&dispatcher));
    let checking = tokio::spawn(super::checks::run(Arc::clone(&state)));
    // The tasks that act on logs start once every log found at start has
    // been checked: the scheduler (opens, closes and tallies ballots at
    // their times, from now on and for whatever fell due while the server
    // was down or checking), the witnesses, and the dispatcher of the
    // notices the outbox holds (SPEC section 9).
    let background = tokio::spawn({
        let state = Arc::clone(&state);
        async move {
            state.checks.wait_ready().await;
            let mut tasks = Tasks(Vec::new());
            tasks
                .0
                .push(tokio::spawn(scheduler::run(Arc::clone(&state))));
            if let Some(w) = state.witnessing.clone() {
                tasks
                    .0
                    .push(tokio::spawn(super::witnessing::run(Arc::clone(&state), w)));
            }
            tasks.0.push(tokio::spawn(super::mail::run(
                Arc::clone(&state),
                dispatcher,
            )));
            // Until aborted at shutdown, which aborts them all.
            std::future::pending::<()>().await;
            drop(tasks);
        }
    });
    let metrics = metrics_listener
        .map(|listener| tokio::spawn(super::metrics::serve(listener, Arc::clone(&state))));
    // Every request gets an id and is counted (`metrics.rs`), the web
    // application's and the API's alike.
    // (Inside the counting: a log being checked answers 503 here.)
    let app = web::router(Arc::clone(&state), &config)
        .merge(api::router(Arc::clone(&state), &config))
        .layer(axum::middleware::from_fn_with_state(
            Arc::clone(&state),
            super::checks::gate,
        ))
        .layer(axum::middleware::from_fn(super::metrics::observe));
    let header_timeout = StdDuration::from_secs(config.header_timeout_secs.max(1));
    let reload = tls.clone().map(|tls| tokio::spawn(reload_on_hangup(tls)));
    let accept = connections::Accept {
        tls,
        max_connections: config.max_connections.max(1),
        trusted_proxies: config
            .trusted_proxies
            .iter()
            .copied()
            .map(super::forwarded::canonical)
            .collect(),
    };
    connections::serve(listener, app, header_timeout, accept, shutdown_signal()).await;
    tracing::info!("stopped");
    checking.abort();
    background.abort();
    let _ = background.await;
    if let Some(reload) = reload {
        reload.abort();
    }
    if let Some(task) = metrics {
        task.abort();
    }
    state.store.close().await;
    Ok(())
}

/// Tasks aborted when dropped.
struct Tasks(Vec<tokio::task::JoinHandle<()>>);

impl Drop for Tasks {
    fn drop(&mut self) {
        for task in &self.0 {
            task.abort();
        }
    }
}

/// Reads and parses `--witness-policy`, if given.
fn load_witness_policy(
    config: &Config,
) -> Result<Option<Arc<super::witnessing::Witnessing>>, ServerError> {
    let Some(path) = &config.witness_policy else {
        return Ok(None);
    };
    let bytes = std::fs::read(path).map_err(|source| ServerError::Io {
        path: path.clone(),
        source,
    })?;
    let policy = crate::tlog::policy::Policy::parse(&bytes)
        .map_err(|e| ServerError::Config(format!("{}: {e}", path.display())))?;
    Ok(Some(Arc::new(super::witnessing::Witnessing::new(policy))))
}

/// Opens storage and the key, lists every log (each one pending until
/// [`super::checks::run`] has checked it), and bootstraps the first
/// account.
pub async fn open(config: &Config) -> Result<AppState, ServerError> {
    // The data directory holds the log key and (SQLite) names and e-mail
    // addresses: only this user may read it. Created so; an existing one
    // keeps the mode its operator gave it.
    let mut directory = std::fs::DirBuilder::new();
    directory.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt as _;
        directory.mode(0o700);
    }
    directory
        .create(&config.data_dir)
        .map_err(|source| ServerError::Io {
            path: config.data_dir.clone(),
            source,
        })?;
    if config.database_url.is_none() {
        // The SQLite file is created 0600 before SQLite creates it with
        // the umask's mode (its -wal and -shm files take the file's mode).
        let file = config.data_dir.join("scrutineer.db");
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt as _;
            options.mode(0o600);
        }
        match options.open(&file) {
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(source) => return Err(ServerError::Io { path: file, source }),
        }
    }
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
    let marks = super::high_water::HighWater::open(&config.data_dir)
        .map_err(|e| ServerError::Config(e.to_string()))?;
    if config.database_pool_size == Some(0) {
        return Err(ServerError::Config(
            "--database-pool-size must be at least 1".to_owned(),
        ));
    }
    let store = Store::open_with(&config.database_url(), config.database_pool_size).await?;
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
        bundles: Arc::new(tokio::sync::Semaphore::new(1)),
        limits: rate_limit::WriteLimits::new(config),
        web: web::WebState::new(config),
        marks: Arc::new(marks),
        witnessing: load_witness_policy(config)?,
        checks: super::checks::Checks::new(&heads, config.test_hold_check.as_deref())
            .map_err(ServerError::Config)?,
    };
    if resume {
        // The latest entry time is the time of each log's last entry
        // (entry times never decrease), read before the logs are checked:
        // a demonstration's clock, which no log of a real clock shares.
        let mut latest = Timestamp::MIN;
        for head in &heads {
            if head.size == 0 {
                continue;
            }
            let last = state
                .store
                .entries(&head.group, head.size - 1, head.size)
                .await?;
            if let Some(entry) = last
                .first()
                .and_then(|b| crate::entry::Entry::parse(b).ok())
            {
                latest = latest.max(entry.time());
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

/// Reads the TLS certificate and key again on each SIGHUP; connections
/// already open are not touched.
async fn reload_on_hangup(tls: Arc<super::tls::Tls>) {
    #[cfg(unix)]
    {
        let Ok(mut hangup) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup())
        else {
            tracing::warn!("cannot listen for SIGHUP: the TLS certificate is not reloaded");
            return;
        };
        while hangup.recv().await.is_some() {
            match tls.reload() {
                Ok(()) => tracing::info!("reloaded the TLS certificate and key"),
                Err(e) => tracing::error!("kept the TLS certificate in use: {e}"),
            }
        }
    }
    #[cfg(not(unix))]
    let _ = tls;
}

pub(crate) async fn shutdown_signal() {
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
