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

use std::future::Future;
use std::time::Duration;

use axum::extract::ConnectInfo;
use axum::{Extension, Router};
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;

/// Serves `app` on `listener` until `shutdown` completes, then waits for
/// the connections in progress. A connection whose request headers are not
/// complete within `header_timeout` is closed.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    header_timeout: Duration,
    shutdown: impl Future<Output = ()>,
) {
    let graceful = GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
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
        let connection = http1::Builder::new()
            .timer(TokioTimer::new())
            .header_read_timeout(header_timeout)
            .serve_connection(
                TokioIo::new(stream),
                // The client's address, for the write limits
                // (`rate_limit.rs`), as `axum::serve` would give it.
                TowerToHyperService::new(app.clone().layer(Extension(ConnectInfo(peer)))),
            );
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            if let Err(error) = connection.await {
                tracing::debug!(%error, "connection ended with an error");
            }
        });
    }
    drop(listener);
    graceful.shutdown().await;
}
