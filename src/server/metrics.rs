//! `/metrics`: what the server is doing, in the Prometheus text format
//! (SPEC section 11), and a request id on every request.
//!
//! Two kinds of figures:
//! - **events**, counted where they happen: HTTP requests by route, method
//!   and status with their latency ([`observe`], the outermost layer of
//!   the router), the time from a vote's arrival to its receipt
//!   (`commands::votes`), each sequencer batch's size and commit time and
//!   its failures (`sequencer`), and each request to a witness
//!   (`witnessing`);
//! - **states**, read when `/metrics` is scraped ([`Metrics::render`]):
//!   each log's tree size, the age of its newest entry (each batch's
//!   checkpoint is signed at its entries' time) and whether it is halted,
//!   ballots by state, the outbox by state with the age of its oldest
//!   undelivered notice, each group's witness quorum, and the web sessions.
//!
//! The figures live in one registry per process ([`global`]): the
//! sequencer and the handlers record into it without a handle passed down
//! every call path, and a process serves one set of logs. Labels are
//! bounded: a route is axum's matched pattern (never the path with its
//! ids), a group is one the secretariat created.
//!
//! `/metrics` is served only on `--metrics-listen`, a listener of its own,
//! so that an operator exposes it to the monitoring network and nowhere
//! else: nothing in it is secret (the log is public), but a busy-ness
//! signal is no business of the Internet's.

use std::sync::LazyLock;
use std::sync::atomic::AtomicU64;
use std::time::{Duration, Instant};

use axum::extract::{MatchedPath, Request};
use axum::http::{HeaderName, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;
use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;
use tracing::Instrument as _;

use super::AppState;

/// The response header that carries a request's id (also in every log
/// line written while the request is handled).
pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// A metric's labels: a few names with their values.
type Labels = Vec<(&'static str, String)>;
/// A gauge holding a float (seconds).
type FloatGauge = Gauge<f64, AtomicU64>;
/// Histograms by label, each with the same buckets.
type Histograms = Family<Labels, Histogram, fn() -> Histogram>;

/// Latency buckets: 0.5 ms to about 16 s, doubling.
fn latency_buckets() -> Histogram {
    Histogram::new(exponential_buckets(0.0005, 2.0, 16))
}

/// Every figure the server exposes.
pub struct Metrics {
    registry: Registry,
    http_requests: Family<Labels, Counter>,
    http_seconds: Histograms,
    vote_receipt_seconds: Histogram,
    batch_entries: Histogram,
    commit_seconds: Histogram,
    batch_failures: Family<Labels, Counter>,
    witness_requests: Family<Labels, Counter>,
    tree_size: Family<Labels, Gauge>,
    newest_entry_age: Family<Labels, FloatGauge>,
    halted: Family<Labels, Gauge>,
    checking: Family<Labels, Gauge>,
    ballots: Family<Labels, Gauge>,
    outbox: Family<Labels, Gauge>,
    outbox_oldest_age: FloatGauge,
    witness_quorum: Family<Labels, Gauge>,
    sessions: Gauge,
}

/// The process's figures.
pub fn global() -> &'static Metrics {
    static METRICS: LazyLock<Metrics> = LazyLock::new(Metrics::new);
    &METRICS
}

impl Metrics {
    fn new() -> Self {
        let mut metrics = Self {
            registry: Registry::with_prefix("scrutineer"),
            http_requests: Family::default(),
            http_seconds: Family::new_with_constructor(latency_buckets),
            vote_receipt_seconds: latency_buckets(),
            batch_entries: Histogram::new(exponential_buckets(1.0, 2.0, 12)),
            commit_seconds: latency_buckets(),
            batch_failures: Family::default(),
            witness_requests: Family::default(),
            tree_size: Family::default(),
            newest_entry_age: Family::default(),
            halted: Family::default(),
            checking: Family::default(),
            ballots: Family::default(),
            outbox: Family::default(),
            outbox_oldest_age: FloatGauge::default(),
            witness_quorum: Family::default(),
            sessions: Gauge::default(),
        };
        metrics.registry.register(
            "http_requests",
            "HTTP requests answered, by route pattern, method and status",
            metrics.http_requests.clone(),
        );
        metrics.registry.register(
            "http_request_duration_seconds",
            "Time from a request's headers to its response, by route pattern",
            metrics.http_seconds.clone(),
        );
        metrics.registry.register(
            "vote_receipt_duration_seconds",
            "Time from a vote's arrival to its receipt (entry durable, checkpoint signed)",
            metrics.vote_receipt_seconds.clone(),
        );
        metrics.registry.register(
            "sequencer_batch_entries",
            "Entries per committed sequencer batch (one transaction each)",
            metrics.batch_entries.clone(),
        );
        metrics.registry.register(
            "sequencer_commit_duration_seconds",
            "Time of a batch's commit, high-water mark included",
            metrics.commit_seconds.clone(),
        );
        metrics.registry.register(
            "sequencer_batch_failures",
            "Batches that failed (nothing recorded) or whose commit's outcome is unknown, by group",
            metrics.batch_failures.clone(),
        );
        metrics.registry.register(
            "witness_requests",
            "Add-checkpoint requests to witnesses, by witness and result (cosigned or refused)",
            metrics.witness_requests.clone(),
        );
        metrics.registry.register(
            "log_tree_size",
            "Entries in each group's log",
            metrics.tree_size.clone(),
        );
        metrics.registry.register(
            "log_newest_entry_age_seconds",
            "Seconds of the server's clock since each log's newest entry (its checkpoint's time)",
            metrics.newest_entry_age.clone(),
        );
        metrics.registry.register(
            "log_halted",
            "1 for a log that is not served (failed its start-up check or a high-water mark)",
            metrics.halted.clone(),
        );
        metrics.registry.register(
            "log_being_checked",
            "1 while the log's start-up check runs (the log is not served meanwhile)",
            metrics.checking.clone(),
        );
        metrics
            .registry
            .register("ballots", "Ballots by state", metrics.ballots.clone());
        metrics.registry.register(
            "outbox_notices",
            "Notices in the e-mail outbox by state: pending, retrying, recording, accepted, failed",
            metrics.outbox.clone(),
        );
        metrics.registry.register(
            "outbox_oldest_undelivered_age_seconds",
            "Seconds of the server's clock since the oldest notice not yet answered by the relay was owed (0 when none)",
            metrics.outbox_oldest_age.clone(),
        );
        metrics.registry.register(
            "witness_quorum_reached",
            "1 when a quorum of witnesses cosigned the group's latest checkpoint submitted",
            metrics.witness_quorum.clone(),
        );
        metrics.registry.register(
            "web_sessions",
            "Web sessions stored (signed in, not yet swept)",
            metrics.sessions.clone(),
        );
        metrics
    }

    /// A committed batch of `entries` entries whose commit took `took`.
    pub fn batch_committed(&self, entries: usize, took: Duration) {
        self.batch_entries.observe(entries as f64);
        self.commit_seconds.observe(took.as_secs_f64());
    }

    /// A batch of `group`'s log that failed or whose outcome is unknown.
    pub fn batch_failed(&self, group: &str) {
        self.batch_failures
            .get_or_create(&vec![("group", group.to_owned())])
            .inc();
    }

    /// A vote answered with its receipt, `took` after it arrived.
    pub fn vote_receipt(&self, took: Duration) {
        self.vote_receipt_seconds.observe(took.as_secs_f64());
    }

    /// A request to the witness `witness`, cosigned or not.
    pub fn witness_request(&self, witness: &str, cosigned: bool) {
        let result = if cosigned { "cosigned" } else { "refused" };
        self.witness_requests
            .get_or_create(&vec![
                ("witness", witness.to_owned()),
                ("result", result.to_owned()),
            ])
            .inc();
    }

    /// Reads the states of `state` and renders every figure.
    pub async fn render(&self, state: &AppState) -> String {
        self.read_logs(state).await;
        self.read_outbox(state).await;
        self.witness_quorum.clear();
        if let Some(witnessing) = &state.witnessing {
            for (group, reached) in witnessing.quorum_reached() {
                self.witness_quorum
                    .get_or_create(&vec![("group", group)])
                    .set(i64::from(reached));
            }
        }
        match state.store.session_count().await {
            Ok(n) => {
                self.sessions.set(saturating_i64(n));
            }
            Err(e) => tracing::warn!(error = %e, "metrics: cannot count the web sessions"),
        }
        let mut text = String::new();
        if encode(&mut text, &self.registry).is_err() {
            tracing::error!("metrics: encoding failed");
        }
        text
    }

    async fn read_logs(&self, state: &AppState) {
        let now = state.clock.now();
        let logs: Vec<_> = state.logs.read().await.values().cloned().collect();
        self.tree_size.clear();
        self.newest_entry_age.clear();
        self.halted.clear();
        self.checking.clear();
        for group in state.checks.pending_groups() {
            self.checking.get_or_create(&vec![("group", group)]).set(1);
        }
        self.ballots.clear();
        let mut by_state = std::collections::BTreeMap::<&'static str, i64>::new();
        for log in logs {
            let group = vec![("group", log.group.clone())];
            let read = log
                .read(|loaded| {
                    let states: Vec<&'static str> = loaded
                        .state
                        .book
                        .ballots()
                        .map(|(_, ballot)| ballot.lifecycle.state())
                        .collect();
                    (loaded.size, loaded.last_time, states)
                })
                .await;
            match read {
                Ok((size, last_time, states)) => {
                    self.halted.get_or_create(&group).set(0);
                    self.tree_size
                        .get_or_create(&group)
                        .set(saturating_i64(size));
                    if size > 0 {
                        let age = now.since(last_time).as_nanos() as f64 / 1e9;
                        self.newest_entry_age
                            .get_or_create(&group)
                            .set(age.max(0.0));
                    }
                    for name in states {
                        *by_state.entry(name).or_default() += 1;
                    }
                }
                Err(_) => {
                    self.halted.get_or_create(&group).set(1);
                }
            }
        }
        for (name, n) in by_state {
            self.ballots
                .get_or_create(&vec![("state", name.to_owned())])
                .set(n);
        }
    }

    async fn read_outbox(&self, state: &AppState) {
        match state.store.outbox_counts().await {
            Ok(counts) => {
                for (name, n) in [
                    ("pending", counts.pending),
                    ("retrying", counts.retrying),
                    ("recording", counts.recording),
                    ("accepted", counts.accepted),
                    ("failed", counts.failed),
                ] {
                    self.outbox
                        .get_or_create(&vec![("state", name.to_owned())])
                        .set(saturating_i64(n));
                }
            }
            Err(e) => tracing::warn!(error = %e, "metrics: cannot count the outbox"),
        }
        match state.store.outbox_oldest_undelivered().await {
            Ok(oldest) => {
                let age = oldest.map_or(0.0, |micros| {
                    let now = super::fold::micros(state.clock.now());
                    (now.saturating_sub(micros).max(0)) as f64 / 1e6
                });
                self.outbox_oldest_age.set(age);
            }
            Err(e) => tracing::warn!(error = %e, "metrics: cannot read the outbox"),
        }
    }
}

fn saturating_i64(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// The outermost layer of the server's router: gives each request an id
/// (the `X-Request-Id` response header, and a field of the span every log
/// line written while handling it carries), and counts it by route,
/// method and status with its latency. A client's own `X-Request-Id` is
/// not trusted (it would let anyone write into the server's log lines).
pub async fn observe(request: Request, next: Next) -> Response {
    let started = Instant::now();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or("unmatched", MatchedPath::as_str)
        .to_owned();
    let method: &'static str = match request.method().as_str() {
        "GET" => "GET",
        "HEAD" => "HEAD",
        "POST" => "POST",
        "PUT" => "PUT",
        "DELETE" => "DELETE",
        "PATCH" => "PATCH",
        "OPTIONS" => "OPTIONS",
        _ => "other",
    };
    let id = new_request_id();
    // At the error level, so that the span (and its id) is on every line
    // whatever the filter lets through: with `RUST_LOG=warn` an info span
    // would be filtered out and its warnings would lose their id.
    let span = tracing::error_span!("request", id = %id, method, route = %route);
    let mut response = next.run(request).instrument(span.clone()).await;
    let status = response.status();
    if status.is_server_error() {
        span.in_scope(|| tracing::warn!(status = status.as_u16(), "answered with a server error"));
    }
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert(REQUEST_ID, value);
    }
    let metrics = global();
    metrics
        .http_requests
        .get_or_create(&vec![
            ("route", route.clone()),
            ("method", method.to_owned()),
            ("status", status.as_u16().to_string()),
        ])
        .inc();
    metrics
        .http_seconds
        .get_or_create(&vec![("route", route)])
        .observe(started.elapsed().as_secs_f64());
    response
}

/// 16 hexadecimal digits from the system's random source, or from the
/// clock if it fails (an id need not be secret, only distinct).
fn new_request_id() -> String {
    let mut bytes = [0u8; 8];
    if getrandom::fill(&mut bytes).is_err() {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64);
        bytes = nanos.to_be_bytes();
    }
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Serves `GET /metrics` on its own listener until the task is aborted.
pub async fn serve(listener: tokio::net::TcpListener, state: std::sync::Arc<AppState>) {
    use axum::routing::get;
    let app = axum::Router::new().route(
        "/metrics",
        get(move || {
            let state = std::sync::Arc::clone(&state);
            async move {
                (
                    [(
                        axum::http::header::CONTENT_TYPE,
                        "application/openmetrics-text; version=1.0.0; charset=utf-8",
                    )],
                    global().render(&state).await,
                )
            }
        }),
    );
    super::connections::serve(
        listener,
        app,
        Duration::from_secs(10),
        super::connections::Accept {
            tls: None,
            max_connections: 16,
            trusted_proxies: std::sync::Arc::from([]),
        },
        std::future::pending(),
    )
    .await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_ids_are_sixteen_hex_digits_and_distinct() {
        let (a, b) = (new_request_id(), new_request_id());
        assert_eq!(a.len(), 16);
        assert!(a.bytes().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(a, b);
    }

    #[test]
    fn events_show_in_the_text_format() {
        let metrics = Metrics::new();
        metrics.batch_committed(3, Duration::from_millis(2));
        metrics.batch_failed("g1");
        metrics.witness_request("w1", true);
        let mut text = String::new();
        encode(&mut text, &metrics.registry).expect("encode");
        assert!(
            text.contains("scrutineer_sequencer_batch_entries_count 1"),
            "{text}"
        );
        assert!(
            text.contains("scrutineer_sequencer_batch_failures_total{group=\"g1\"} 1"),
            "{text}"
        );
        assert!(
            text.contains(
                "scrutineer_witness_requests_total{witness=\"w1\",result=\"cosigned\"} 1"
            ),
            "{text}"
        );
        assert!(
            text.contains("# TYPE scrutineer_sequencer_batch_failures counter"),
            "{text}"
        );
        // A family without a series yet is left out, not shown empty.
        assert!(!text.contains("scrutineer_http_requests"), "{text}");
    }
}
