//! The third limit: what a vote server that stores nothing reaches on this
//! machine with the same clients.
//!
//! The floor server runs in the load tool's process on a multi-threaded
//! Tokio runtime with one worker per core, like `scrutineer serve`, and
//! serves the vote path through the server's own connection loop
//! ([`scrutineer::server::connections::serve`]) and axum. For each request
//! it does the per-vote work that does not depend on the log: it finds the
//! bearer token's hash among the delegates' tokens, parses the JSON body
//! and the signed vote note, hashes the note (the commitment) and verifies
//! the signature strictly under the delegate's key; then it answers `201`
//! with a real receipt captured from the server, so that the answer has the
//! same size. There is no log, no rule, no database and no fsync.
//!
//! Driven by the same client threads over the same pre-signed requests, its
//! rate is the most any server built on this HTTP stack could accept here;
//! the server's accepted rate over it says how much of that the log, the
//! rules and the durable commit leave.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context as _, anyhow};
use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;

use scrutineer::note::VerifierKey;
use scrutineer::server::auth::{bearer_token, token_hash};
use scrutineer::tlog::hash::Hash;
use scrutineer::vote::SubmittedVote;

/// What the floor server knows: each delegate's token (hashed) with its
/// key, and the receipt it answers.
struct Known {
    keys: HashMap<Hash, VerifierKey>,
    receipt: Bytes,
}

/// The body of a vote request (the server's `VoteRequest`).
#[derive(serde::Deserialize)]
struct VoteBody {
    note: String,
    #[serde(rename = "attachment")]
    _attachment: Option<String>,
}

/// A running floor server; stopped when dropped.
pub struct Floor {
    /// `127.0.0.1:port`.
    pub address: String,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Floor {
    /// Starts the floor server for `delegates` (token text, key), answering
    /// `receipt` to every vote that verifies.
    pub fn start(delegates: &[(String, VerifierKey)], receipt: Vec<u8>) -> anyhow::Result<Self> {
        let known = Arc::new(Known {
            keys: delegates
                .iter()
                .map(|(token, key)| (token_hash(token), key.clone()))
                .collect(),
            receipt: Bytes::from(receipt),
        });
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .context("cannot start the floor server's runtime")?;
        let listener = runtime
            .block_on(tokio::net::TcpListener::bind(SocketAddr::from((
                [127, 0, 0, 1],
                0,
            ))))
            .context("cannot bind the floor server")?;
        let address = listener.local_addr()?.to_string();
        let app = Router::new()
            .route("/v1/groups/{group}/ballots/{ballot}/votes", post(vote))
            .with_state(known);
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("floor-server".to_owned())
            .spawn(move || {
                runtime.block_on(scrutineer::server::connections::serve(
                    listener,
                    app,
                    Duration::from_secs(10),
                    scrutineer::server::connections::Accept::default(),
                    async {
                        let _ = stopped.await;
                    },
                ));
            })
            .map_err(|e| anyhow!("cannot start the floor server's thread: {e}"))?;
        Ok(Self {
            address,
            stop: Some(stop),
            thread: Some(thread),
        })
    }
}

impl Drop for Floor {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// One vote: token, body, note, commitment, strict verification, receipt.
async fn vote(State(known): State<Arc<Known>>, headers: HeaderMap, body: Bytes) -> Response {
    let Some(key) = bearer_token(&headers).and_then(|token| known.keys.get(&token_hash(token)))
    else {
        return StatusCode::UNAUTHORIZED.into_response();
    };
    let Ok(request) = serde_json::from_slice::<VoteBody>(&body) else {
        return StatusCode::BAD_REQUEST.into_response();
    };
    let Ok(submitted) = SubmittedVote::parse(request.note.as_bytes()) else {
        return StatusCode::BAD_REQUEST.into_response();
    };
    std::hint::black_box(submitted.commitment());
    if submitted.verify(key).is_err() {
        return StatusCode::FORBIDDEN.into_response();
    }
    (
        StatusCode::CREATED,
        [(header::CONTENT_TYPE, "application/json")],
        known.receipt.clone(),
    )
        .into_response()
}
