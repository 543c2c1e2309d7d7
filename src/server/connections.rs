//! The HTTP/1.1 connection loop: the API's router served by hyper, with a
//! time limit on reading each request's headers.
//!
//! `axum::serve` gives hyper no timer, so hyper's header-read timeout never
//! runs: a client that sends half of its headers and stalls would keep its
//! connection (and a file descriptor) for as long as it likes, since the
//! request time limit (`api::time_limit`) only starts once the headers are
//! complete. Here each connection gets the same limit for its headers.
//! Graceful shutdown waits for the requests in progress, as `axum::serve`
//! did.
//!
//! At most `max_connections` connections are open at once: the loop
//! takes a permit before it accepts, so that beyond the cap new clients
//! wait in the kernel's listen queue rather than each costing a file
//! descriptor and a task.
//!
//! With TLS (`tls.rs`) each connection's handshake runs in the
//! connection's own task, under the same time limit, so that a slow
//! handshake never holds up the accept loop. The client's address given to
//! the handlers is the peer's, or the one a trusted proxy forwarded
//! (`forwarded.rs`).

use std::future::Future;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::{ConnectInfo, Request};
use axum::middleware::{Next, from_fn};
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;

/// How connections are accepted beyond plain HTTP.
#[derive(Debug, Clone)]
pub struct Accept {
    /// Terminate TLS with this configuration.
    pub tls: Option<Arc<super::tls::Tls>>,
    /// The most connections open at once (at least 1).
    pub max_connections: usize,
    /// Peers whose forwarded headers name the client.
    pub trusted_proxies: Arc<[IpAddr]>,
}

impl Default for Accept {
    /// Plain HTTP, at most 1 024 connections, no trusted proxy.
    fn default() -> Self {
        Self {
            tls: None,
            max_connections: 1024,
            trusted_proxies: Arc::from([]),
        }
    }
}

/// Serves `app` on `listener` until `shutdown` completes, then waits for
/// the connections in progress. A connection whose request headers (or TLS
/// handshake) are not complete within `header_timeout` is closed.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    header_timeout: Duration,
    accept: Accept,
    shutdown: impl Future<Output = ()>,
) {
    let graceful = GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);
    let open = Arc::new(tokio::sync::Semaphore::new(accept.max_connections.max(1)));
    loop {
        let permit = tokio::select! {
            permit = Arc::clone(&open).acquire_owned() => match permit {
                Ok(permit) => permit,
                Err(_) => break,
            },
            () = &mut shutdown => break,
        };
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    // Out of file descriptors, or a connection reset before
                    // it was accepted: wait a moment rather than spin.
                    tracing::warn!(%error, "accepting a connection failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        // The client's address, for the write limits (`rate_limit.rs`),
        // as `axum::serve` would give it, or as a trusted proxy forwarded
        // it.
        let trusted = Arc::clone(&accept.trusted_proxies);
        let app = app
            .clone()
            .layer(from_fn(move |mut request: Request, next: Next| {
                let client = super::forwarded::client_address(peer, request.headers(), &trusted);
                request.extensions_mut().insert(ConnectInfo(client));
                next.run(request)
            }));
        let service = TowerToHyperService::new(app);
        let watcher = graceful.watcher();
        let tls = accept.tls.as_ref().map(|tls| tls.acceptor());
        tokio::spawn(async move {
            // Held until the connection ends.
            let _permit = permit;
            let builder = {
                let mut builder = http1::Builder::new();
                builder
                    .timer(TokioTimer::new())
                    .header_read_timeout(header_timeout);
                builder
            };
            let ended = match tls {
                None => {
                    let connection = builder.serve_connection(TokioIo::new(stream), service);
                    watcher.watch(connection).await
                }
                Some(acceptor) => {
                    let stream =
                        match tokio::time::timeout(header_timeout, acceptor.accept(stream)).await {
                            Ok(Ok(stream)) => stream,
                            Ok(Err(error)) => {
                                tracing::debug!(%error, %peer, "TLS handshake failed");
                                return;
                            }
                            Err(_) => {
                                tracing::debug!(%peer, "TLS handshake timed out");
                                return;
                            }
                        };
                    let connection = builder.serve_connection(TokioIo::new(stream), service);
                    watcher.watch(connection).await
                }
            };
            if let Err(error) = ended {
                tracing::debug!(%error, "connection ended with an error");
            }
        });
    }
    drop(listener);
    graceful.shutdown().await;
}
