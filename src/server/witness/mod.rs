//! `scrutineer witness`: a C2SP tlog-witness anyone can run (SPEC section
//! 10, "A witness to run").
//!
//! It keeps, per configured log, the latest checkpoint it cosigned, in its
//! own SQLite file ([`store`]). `POST /add-checkpoint` is decided by the pure
//! [`AddCheckpoint::check`]; reading the latest, deciding, cosigning and
//! persisting happen under one lock, and the answer is sent only after the
//! new state is durable, so the witness never cosigns a smaller or
//! inconsistent tree, even for two requests racing.
//! `GET /<hex SHA-256 of the origin>/checkpoint` serves the latest cosigned
//! checkpoint with the log's verified signature and the cosignature.

pub mod config;
pub mod store;

use std::collections::HashMap;
use std::io::Write as _;
use std::sync::Arc;
use std::time::Duration as StdDuration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use tokio::sync::Mutex;

use self::config::WitnessConfig;
use self::store::WitnessStore;
use super::ServerError;
use super::clock::Clock;
use crate::note::SigningKey;
use crate::time::Timestamp;
use crate::tlog::cosignature::Cosigner;
use crate::tlog::witness::{
    ADD_CHECKPOINT_PATH, AddCheckpoint, Latest, MAX_REQUEST_BYTES, Refusal, SIZE_CONTENT_TYPE,
};

/// Where a witness's time comes from.
#[derive(Debug, Clone)]
pub enum WitnessClock {
    /// The operating system's clock.
    System,
    /// TEST ONLY: the RFC 3339 time written in this file, read at each
    /// cosignature, so that test witnesses follow a `--simulated-clock`
    /// server (the test writes the server's time there). A witness run this
    /// way states whatever time the file says: never use it for real.
    TestFile(std::path::PathBuf),
}

/// A running witness's state.
struct Witness {
    cosigner: Cosigner,
    config: WitnessConfig,
    store: WitnessStore,
    clock: WitnessClock,
    /// The latest cosigned checkpoint per origin, as stored; the lock
    /// serialises the decisions (read, check, cosign, persist).
    latest: Mutex<HashMap<String, Latest>>,
}

/// Runs the witness until Ctrl-C or SIGTERM. Prints `witness vkey <vkey>`
/// and `listening on http://<address>` on stdout.
pub async fn run(config: WitnessConfig, clock: WitnessClock) -> Result<(), ServerError> {
    let text = std::fs::read_to_string(&config.key).map_err(|source| ServerError::Io {
        path: config.key.clone(),
        source,
    })?;
    let key = SigningKey::parse(text.trim_end_matches('\n'))
        .map_err(|e| ServerError::Config(format!("{}: {e}", config.key.display())))?;
    let cosigner = Cosigner::new(key);
    if config
        .logs
        .iter()
        .any(|log| log.public_key() == cosigner.witness_key().public_key())
    {
        return Err(ServerError::Config(
            "the witness key is one of the logs' keys: a witness needs its own key".into(),
        ));
    }
    let store = WitnessStore::open(&config.database).await?;
    let latest = store.latest_all().await?;
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
    println!("witness vkey {}", cosigner.witness_key());
    println!("listening on http://{address}");
    let _ = std::io::stdout().flush();
    let witness = Arc::new(Witness {
        cosigner,
        config,
        store,
        clock,
        latest: Mutex::new(latest),
    });
    let app = router(Arc::clone(&witness));
    super::connections::serve(
        listener,
        app,
        StdDuration::from_secs(30),
        // Plain HTTP on the configured address; TLS, if wanted, from a
        // reverse proxy in front.
        super::connections::Accept {
            tls: None,
            max_connections: 256,
            trusted_proxies: Arc::from([]),
        },
        super::launch::shutdown_signal(),
    )
    .await;
    witness.store.close().await;
    Ok(())
}

fn router(witness: Arc<Witness>) -> Router {
    Router::new()
        .route(ADD_CHECKPOINT_PATH, post(add_checkpoint))
        .route("/{origin_hash}/checkpoint", get(checkpoint))
        .layer(DefaultBodyLimit::max(MAX_REQUEST_BYTES))
        .with_state(witness)
}

fn text(status: StatusCode, content_type: &'static str, body: String) -> Response {
    (status, [(header::CONTENT_TYPE, content_type)], body).into_response()
}

fn refused(refusal: &Refusal) -> Response {
    let status = StatusCode::from_u16(refusal.status()).unwrap_or(StatusCode::BAD_REQUEST);
    let content_type = match refusal {
        Refusal::Conflict(_) => SIZE_CONTENT_TYPE,
        _ => "text/plain; charset=utf-8",
    };
    text(status, content_type, refusal.body())
}

fn unavailable(what: &str) -> Response {
    tracing::error!("{what}");
    text(
        StatusCode::SERVICE_UNAVAILABLE,
        "text/plain; charset=utf-8",
        "the witness cannot answer now\n".into(),
    )
}

impl Witness {
    /// The time to state in a cosignature, in POSIX seconds.
    async fn now(&self) -> Result<u64, String> {
        let now = match &self.clock {
            WitnessClock::System => Clock::System.now(),
            WitnessClock::TestFile(path) => {
                let text = std::fs::read_to_string(path).map_err(|e| e.to_string())?;
                Timestamp::parse(text.trim()).map_err(|e| e.to_string())?
            }
        };
        u64::try_from(now.unix_seconds())
            .ok()
            .filter(|&t| t > 0)
            .ok_or_else(|| "the clock is before 1970".to_owned())
    }
}

async fn add_checkpoint(State(witness): State<Arc<Witness>>, body: Bytes) -> Response {
    let request = match AddCheckpoint::parse(&body) {
        Ok(request) => request,
        Err(refusal) => return refused(&refusal),
    };
    let mut latest = witness.latest.lock().await;
    let decision = request.check(&witness.config.logs, |origin| latest.get(origin).cloned());
    let accepted = match decision {
        Ok(accepted) => accepted,
        Err(refusal) => {
            // A validly signed checkpoint this witness refuses may be
            // evidence of a misbehaving log: keep it (tlog-witness allows).
            if matches!(refusal, Refusal::Conflict(_) | Refusal::Inconsistent(_)) {
                let at = witness.now().await.unwrap_or(0);
                if let Err(e) = witness
                    .store
                    .record_refusal(&request, refusal.status(), at)
                    .await
                {
                    tracing::warn!(error = %e, "cannot record a refused checkpoint");
                }
            }
            return refused(&refusal);
        }
    };
    let now = match witness.now().await {
        Ok(now) => now,
        Err(e) => return unavailable(&format!("the witness clock: {e}")),
    };
    let cosignature = match witness.cosigner.cosign(&accepted.text, now) {
        Ok(c) => c,
        Err(e) => return unavailable(&format!("cannot cosign: {e}")),
    };
    let line = cosignature.to_line();
    let served = format!(
        "{}\n{}{line}",
        accepted.text,
        accepted.log_signatures.concat()
    );
    let origin = accepted.checkpoint.origin().as_str().to_owned();
    let state = Latest {
        size: accepted.checkpoint.size(),
        root: *accepted.checkpoint.root(),
    };
    // Persist before answering; only then does the decision count.
    if let Err(e) = witness.store.save(&origin, &state, &served, now).await {
        return unavailable(&format!("cannot persist the cosigned checkpoint: {e}"));
    }
    latest.insert(origin, state);
    drop(latest);
    text(StatusCode::OK, "text/plain; charset=utf-8", line)
}

async fn checkpoint(
    State(witness): State<Arc<Witness>>,
    Path(origin_hash): Path<String>,
) -> Response {
    let origin = witness
        .config
        .logs
        .iter()
        .map(|k| k.name().as_str())
        .find(|origin| crate::tlog::Hash::sha256(origin.as_bytes()).to_hex() == origin_hash);
    let not_found = || {
        text(
            StatusCode::NOT_FOUND,
            "text/plain; charset=utf-8",
            "no checkpoint cosigned for this log\n".into(),
        )
    };
    let Some(origin) = origin else {
        return not_found();
    };
    match witness.store.served(origin).await {
        Ok(Some(note)) => text(StatusCode::OK, "text/plain; charset=utf-8", note),
        Ok(None) => not_found(),
        Err(e) => unavailable(&format!("cannot read the stored checkpoint: {e}")),
    }
}
