//! Each group's log in the C2SP tlog-tiles layout, and proofs.
//!
//! `GET /v1/groups/{group}/log/checkpoint`, `…/log/checkpoints` (every
//! checkpoint the log issued, by pages), `…/log/tile/<L>/<N>[.p/<W>]` and
//! the proofs are public: witnesses need them, and they reveal nothing. A
//! token sent to them must still be valid ([`Public`]).
//! `…/log/tile/entries/<N>[.p/<W>]` reveals registry facts (no choice:
//! votes are commitments) and is for the group's members and reviewers.

use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};

use super::query::Decimal;
use super::roles;
use crate::server::AppState;
use crate::server::auth::{Action, Caller, Public, require};
use crate::server::error::ApiError;
use crate::tlog::proof::{consistency_proof, inclusion_proof};
use crate::tlog::tile::{Tile, TileKind, encode_bundle, tile_hash_indexes};
use crate::tlog::{LeafIndex, TreeSize};

/// The log routes.
pub fn router() -> Router<Arc<AppState>> {
    Router::new()
        .route("/v1/groups/{group}/log/checkpoint", get(checkpoint))
        .route("/v1/groups/{group}/log/checkpoints", get(checkpoints))
        .route("/v1/groups/{group}/log/tile/{*path}", get(tile))
        .route("/v1/groups/{group}/log/proof/inclusion", get(inclusion))
        .route("/v1/groups/{group}/log/proof/consistency", get(consistency))
}

/// The current size of a served log (503 if it is halted).
async fn served_size(state: &AppState, group: &str) -> Result<(u64, Vec<u8>), ApiError> {
    let log = state.log(group).await?;
    let size = log.read(|loaded| loaded.size).await?;
    let checkpoint = state
        .store
        .checkpoint_at(group, size)
        .await?
        .ok_or_else(|| ApiError::Internal(format!("log {group}: no checkpoint at size {size}")))?;
    Ok((size, checkpoint))
}

fn text(body: Vec<u8>, content_type: &'static str, immutable: bool) -> Response {
    let mut headers = HeaderMap::new();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    // Full tiles never change (tlog-tiles); a checkpoint changes with each
    // batch and must not be cached.
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(if immutable {
            "public, max-age=31536000, immutable"
        } else {
            "no-store"
        }),
    );
    (headers, body).into_response()
}

async fn checkpoint(
    State(state): State<Arc<AppState>>,
    _: Public,
    Path(group): Path<String>,
) -> Result<Response, ApiError> {
    let (size, mut checkpoint) = served_size(&state, &group).await?;
    // The witnesses' cosignatures on this very checkpoint, if any yet.
    for cosignature in state.store.cosignatures_at(&group, size).await? {
        checkpoint.extend_from_slice(cosignature.line.as_bytes());
    }
    Ok(text(checkpoint, "text/plain; charset=utf-8", false))
}

/// How many checkpoints one page of `…/log/checkpoints` holds: a signed
/// checkpoint is a few hundred bytes, so a page stays far below the 1 MiB
/// a client of ours accepts.
const CHECKPOINTS_PAGE: usize = 1000;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CheckpointsQuery {
    /// The smallest size to list [default: 0].
    from: Option<Decimal>,
}

/// One page of the checkpoints the log issued, by increasing size.
#[derive(Serialize)]
struct CheckpointsBody {
    checkpoints: Vec<IssuedCheckpoint>,
    /// The `from` of the next page, `null` on the last one.
    next: Option<u64>,
}

#[derive(Serialize)]
struct IssuedCheckpoint {
    size: u64,
    checkpoint: String,
    /// The checkpoint followed by the witnesses' cosignature lines on it,
    /// if any witness cosigned it.
    #[serde(skip_serializing_if = "Option::is_none")]
    cosigned: Option<String>,
}

/// Every checkpoint the log issued up to its served size: the evidence an
/// auditor keeps to detect a split view (two roots at one size) later.
async fn checkpoints(
    State(state): State<Arc<AppState>>,
    _: Public,
    Path(group): Path<String>,
    query: Result<Query<CheckpointsQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<CheckpointsBody>, ApiError> {
    let Query(query) = query?;
    let (current, _) = served_size(&state, &group).await?;
    let from = query.from.map_or(0, |d| d.0);
    // One more than a page, to know whether another follows.
    let mut page: Vec<IssuedCheckpoint> = state
        .store
        .checkpoints_between(&group, from, current, CHECKPOINTS_PAGE + 1)
        .await?
        .into_iter()
        .map(|(size, signed)| IssuedCheckpoint {
            size,
            checkpoint: String::from_utf8_lossy(&signed).into_owned(),
            cosigned: None,
        })
        .collect();
    let next = (page.len() > CHECKPOINTS_PAGE).then(|| page[CHECKPOINTS_PAGE].size);
    page.truncate(CHECKPOINTS_PAGE);
    // Each checkpoint witnesses cosigned, with the earliest cosignature of
    // each: the evidence an exporter puts in `cosigned/<size>`.
    if let (Some(first), Some(last)) = (page.first(), page.last()) {
        let (first, last) = (first.size, last.size);
        for (size, lines) in state
            .store
            .cosignatures_between(&group, first, last)
            .await?
        {
            if let Some(issued) = page.iter_mut().find(|i| i.size == size) {
                let mut text = issued.checkpoint.clone();
                for line in lines {
                    text.push_str(&line.line);
                }
                issued.cosigned = Some(text);
            }
        }
    }
    Ok(Json(CheckpointsBody {
        checkpoints: page,
        next,
    }))
}

async fn tile(
    State(state): State<Arc<AppState>>,
    Path((group, path)): Path<(String, String)>,
    caller: Option<Caller>,
) -> Result<Response, ApiError> {
    let tile = Tile::parse_path(&format!("tile/{path}"))
        .map_err(|e| ApiError::NotFound(format!("not a tile path: {e}")))?;
    let (size, _) = served_size(&state, &group).await?;
    // A tile of width W at level L exists once the tree has W·256^L leaves
    // past the tile's start (tlog-tiles: partial tiles of any width up to
    // the current one may be served, their content never changes).
    let level = match tile.kind() {
        TileKind::Hash { level } => level,
        TileKind::Entries => 0,
    };
    let available = size >> (8 * u32::from(level));
    if tile.index() * 256 + u64::from(tile.width()) > available {
        return Err(ApiError::NotFound(format!(
            "tile {} is beyond the log's size {size}",
            tile.path()
        )));
    }
    let body = match tile.kind() {
        TileKind::Hash { .. } => {
            let indexes = tile_hash_indexes(&tile)
                .map_err(|e| ApiError::Internal(format!("tile indexes: {e}")))?;
            let hashes = state.store.hashes(&group, &indexes).await?;
            hashes.iter().flat_map(|h| h.as_bytes().to_vec()).collect()
        }
        TileKind::Entries => {
            let caller = caller.ok_or(ApiError::Unauthenticated)?;
            let log = state.log(&group).await?;
            require(Action::ReadGroup, roles(&state, &caller, &log).await?)?;
            let first = tile.index() * 256;
            let entries = state
                .store
                .entries(&group, first, first + u64::from(tile.width()))
                .await?;
            let slices: Vec<&[u8]> = entries.iter().map(Vec::as_slice).collect();
            encode_bundle(&slices).map_err(|e| ApiError::Internal(e.to_string()))?
        }
    };
    Ok(text(body, "application/octet-stream", !tile.is_partial()))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct InclusionQuery {
    /// The entry's index.
    index: Decimal,
    /// The tree size [default: the current size].
    size: Option<Decimal>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ConsistencyQuery {
    /// The older size.
    old: Decimal,
    /// The newer size [default: the current size].
    new: Option<Decimal>,
}

/// A proof with the sizes it is for, and the checkpoint of the (newer)
/// size when the log signed one at that size.
#[derive(Serialize)]
struct ProofBody {
    index: Option<u64>,
    old: Option<u64>,
    size: u64,
    proof: Vec<String>,
    checkpoint: Option<String>,
}

async fn inclusion(
    State(state): State<Arc<AppState>>,
    _: Public,
    Path(group): Path<String>,
    query: Result<Query<InclusionQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<ProofBody>, ApiError> {
    let Query(query) = query?;
    let index = query.index.0;
    let (current, _) = served_size(&state, &group).await?;
    let size = query.size.map_or(current, |d| d.0);
    if size > current || index >= size {
        return Err(ApiError::bad_request(
            "out-of-range",
            format!("index {index} is not inside size {size} (the log has {current} entries)"),
        ));
    }
    let proof = state
        .store
        .with_hashes(&group, |reader| {
            inclusion_proof(LeafIndex::new(index), TreeSize::new(size), reader)
        })
        .await?
        .map_err(|e| ApiError::bad_request("out-of-range", e.to_string()))?;
    let checkpoint = state.store.checkpoint_at(&group, size).await?;
    Ok(Json(ProofBody {
        index: Some(index),
        old: None,
        size,
        proof: proof.iter().map(|h| h.to_base64()).collect(),
        checkpoint: checkpoint.map(|c| String::from_utf8_lossy(&c).into_owned()),
    }))
}

async fn consistency(
    State(state): State<Arc<AppState>>,
    _: Public,
    Path(group): Path<String>,
    query: Result<Query<ConsistencyQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<ProofBody>, ApiError> {
    let Query(query) = query?;
    let old = query.old.0;
    let (current, _) = served_size(&state, &group).await?;
    let new = query.new.map_or(current, |d| d.0);
    if new > current || old > new {
        return Err(ApiError::bad_request(
            "out-of-range",
            format!("need old ≤ new ≤ {current}, got old {old} new {new}"),
        ));
    }
    let proof = state
        .store
        .with_hashes(&group, |reader| {
            consistency_proof(TreeSize::new(old), TreeSize::new(new), reader)
        })
        .await?
        .map_err(|e| ApiError::bad_request("out-of-range", e.to_string()))?;
    let checkpoint = state.store.checkpoint_at(&group, new).await?;
    Ok(Json(ProofBody {
        index: None,
        old: Some(old),
        size: new,
        proof: proof.iter().map(|h| h.to_base64()).collect(),
        checkpoint: checkpoint.map(|c| String::from_utf8_lossy(&c).into_owned()),
    }))
}
