//! The timed load: C clients, each with one keep-alive connection, sending
//! the pre-rendered requests back to back, all of them on one thread.
//!
//! The clients are tasks of a single-threaded Tokio runtime, waiting on
//! their sockets together, rather than one blocked thread each: with a few
//! hundred clients, a thread per connection spent about a fifth of the
//! two cores on its own system calls and context switches, which the
//! server then did not have. A request's latency runs from just before
//! its first byte is written to just after its answer's last byte is read,
//! so a client that is slow to notice an answer makes the figure worse,
//! never better. Opening a connection is timed apart ([`Connects`]): the
//! few hundred connections opened at once when the load starts are not
//! votes, and their set-up (a SYN the kernel dropped is sent again after a
//! second) once showed as a one-second "stall" in the votes' maximum.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde::Serialize;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

use super::child;
use super::wire::{Head, bad, status_of};

/// A durable receipt waits for a commit; a minute without an answer is a
/// hung server, not a slow one.
const ANSWER_TIMEOUT: Duration = Duration::from_secs(60);
/// The largest answer read (a receipt is a few KiB).
const MAX_ANSWER: usize = 1 << 20;

/// Percentiles of the durable-receipt latency, in milliseconds.
#[derive(Serialize, Default)]
pub struct Latency {
    pub p50: f64,
    pub p99: f64,
    pub p999: f64,
    pub max: f64,
}

/// The connections the clients opened, and the longest time one took to
/// open (`connect` returning), in milliseconds.
#[derive(Serialize, Default)]
pub struct Connects {
    pub count: u64,
    pub max_ms: f64,
}

/// What a timed load came to.
pub struct Run {
    pub connects: Connects,
    pub elapsed: f64,
    pub sent: u64,
    pub accepted: u64,
    pub ran_out: bool,
    pub latency: Latency,
    pub errors: BTreeMap<String, u64>,
    pub peak_rss_kib: u64,
}

/// What the clients share.
struct Shared {
    address: String,
    requests: Arc<Vec<Vec<u8>>>,
    next: AtomicUsize,
    sent: AtomicU64,
    errors: Mutex<BTreeMap<String, u64>>,
    deadline: Instant,
    connects: AtomicU64,
    /// The longest connection set-up, in microseconds.
    slowest_connect: AtomicU64,
}

/// Sends the requests to `address` from `concurrency` clients, in order,
/// until `duration` seconds are over or the requests run out; the memory
/// of the process `pid`, if any, is sampled every 200 ms meanwhile. A
/// request answered `201` counts as accepted, with its latency; any other
/// status, and any I/O error, is counted by kind.
pub fn drive(
    address: &str,
    pid: Option<u32>,
    requests: &Arc<Vec<Vec<u8>>>,
    concurrency: u32,
    duration: f64,
) -> anyhow::Result<Run> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let start = Instant::now();
    let shared = Arc::new(Shared {
        address: address.to_owned(),
        requests: Arc::clone(requests),
        next: AtomicUsize::new(0),
        sent: AtomicU64::new(0),
        errors: Mutex::new(BTreeMap::new()),
        deadline: start + Duration::from_secs_f64(duration),
        connects: AtomicU64::new(0),
        slowest_connect: AtomicU64::new(0),
    });
    let done = AtomicBool::new(false);
    let peak = Arc::new(AtomicU64::new(0));
    let mut latencies: Vec<u32> = std::thread::scope(|scope| {
        let monitor = {
            let (peak, done) = (Arc::clone(&peak), &done);
            scope.spawn(move || {
                while !done.load(Ordering::Relaxed) {
                    if let Some(m) = pid.and_then(child::memory) {
                        peak.fetch_max(m.vm_rss_kib, Ordering::Relaxed);
                    }
                    std::thread::sleep(Duration::from_millis(200));
                }
            })
        };
        let all = runtime.block_on(async {
            let mut clients = tokio::task::JoinSet::new();
            for _ in 0..concurrency {
                clients.spawn(client(Arc::clone(&shared)));
            }
            let mut all = Vec::new();
            while let Some(latencies) = clients.join_next().await {
                all.extend(latencies.expect("a load client panicked"));
            }
            all
        });
        done.store(true, Ordering::Relaxed);
        monitor.join().expect("the memory monitor panicked");
        all
    });
    let elapsed = start.elapsed().as_secs_f64();
    let shared = Arc::into_inner(shared).expect("invariant: every client has ended");
    latencies.sort_unstable();
    let percentile = |q: f64| -> f64 {
        if latencies.is_empty() {
            return 0.0;
        }
        let rank = ((q * latencies.len() as f64).ceil() as usize).clamp(1, latencies.len());
        f64::from(latencies[rank - 1]) / 1000.0
    };
    Ok(Run {
        connects: Connects {
            count: shared.connects.into_inner(),
            max_ms: shared.slowest_connect.into_inner() as f64 / 1000.0,
        },
        elapsed,
        sent: shared.sent.into_inner(),
        accepted: latencies.len() as u64,
        ran_out: shared.next.into_inner() >= requests.len(),
        latency: Latency {
            p50: percentile(0.50),
            p99: percentile(0.99),
            p999: percentile(0.999),
            max: percentile(1.0),
        },
        errors: shared
            .errors
            .into_inner()
            .expect("invariant: never poisoned"),
        peak_rss_kib: peak.load(Ordering::Relaxed),
    })
}

/// One client: takes the next request until the deadline, sends it on
/// its connection (opened again after an error) and reads the answer.
async fn client(shared: Arc<Shared>) -> Vec<u32> {
    let mut connection: Option<TcpStream> = None;
    let mut buffer = Vec::with_capacity(16 * 1024);
    let mut latencies = Vec::new();
    let mut failed = BTreeMap::<String, u64>::new();
    while Instant::now() < shared.deadline {
        let i = shared.next.fetch_add(1, Ordering::Relaxed);
        let Some(request) = shared.requests.get(i) else {
            break;
        };
        if connection.is_none() {
            let opening = Instant::now();
            match tokio::time::timeout(ANSWER_TIMEOUT, open(&shared.address)).await {
                Ok(Ok(stream)) => {
                    connection = Some(stream);
                    let micros = opening.elapsed().as_micros().min(u64::MAX as u128) as u64;
                    shared.connects.fetch_add(1, Ordering::Relaxed);
                    shared.slowest_connect.fetch_max(micros, Ordering::Relaxed);
                }
                Ok(Err(e)) => {
                    *failed.entry(format!("connect: {}", e.kind())).or_default() += 1;
                    continue;
                }
                Err(_) => {
                    *failed.entry("connect: timed out".to_owned()).or_default() += 1;
                    continue;
                }
            }
        }
        let begun = Instant::now();
        let answer = tokio::time::timeout(
            ANSWER_TIMEOUT,
            exchange(&mut connection, request, &mut buffer),
        )
        .await
        .unwrap_or_else(|_| Err(std::io::ErrorKind::TimedOut.into()));
        let micros = begun.elapsed().as_micros().min(u32::MAX as u128) as u32;
        shared.sent.fetch_add(1, Ordering::Relaxed);
        let key = match answer {
            Ok(201) => {
                latencies.push(micros);
                continue;
            }
            Ok(status) => status.to_string(),
            Err(e) => {
                connection = None;
                format!("io: {}", e.kind())
            }
        };
        *failed.entry(key).or_default() += 1;
    }
    let mut all = shared.errors.lock().expect("invariant: never poisoned");
    for (k, n) in failed {
        *all.entry(k).or_default() += n;
    }
    latencies
}

/// Opens a client's connection.
async fn open(address: &str) -> std::io::Result<TcpStream> {
    let stream = TcpStream::connect(address).await?;
    stream.set_nodelay(true)?;
    Ok(stream)
}

/// Sends one request on the open connection and reads its answer whole;
/// returns its status. The connection is dropped when the server says it
/// closes it.
async fn exchange(
    connection: &mut Option<TcpStream>,
    request: &[u8],
    buffer: &mut Vec<u8>,
) -> std::io::Result<u16> {
    let Some(stream) = connection.as_mut() else {
        return Err(bad("no connection"));
    };
    stream.write_all(request).await?;
    buffer.clear();
    let (head, status, length, close) = loop {
        if let Some(parsed) = parse_head(buffer)? {
            break parsed;
        }
        read_more(stream, buffer).await?;
    };
    while buffer.len() < head + length {
        read_more(stream, buffer).await?;
    }
    if close {
        *connection = None;
    }
    Ok(status)
}

/// Reads what the socket has into `buffer`, up to [`MAX_ANSWER`].
async fn read_more(stream: &mut TcpStream, buffer: &mut Vec<u8>) -> std::io::Result<()> {
    if buffer.len() >= MAX_ANSWER {
        return Err(bad("the answer is too large"));
    }
    let start = buffer.len();
    buffer.resize(start + 16 * 1024, 0);
    let read = stream.read(&mut buffer[start..]).await;
    buffer.truncate(start + *read.as_ref().unwrap_or(&0));
    match read? {
        0 => Err(std::io::Error::new(
            std::io::ErrorKind::UnexpectedEof,
            "the server closed the connection",
        )),
        _ => Ok(()),
    }
}

/// The answer's head, once `buffer` holds all of it: its length in bytes,
/// the status, the body's length (`Content-Length`) and whether the server
/// closes the connection. A chunked answer is refused: the server gives
/// every vote answer a length.
fn parse_head(buffer: &[u8]) -> std::io::Result<Option<(usize, u16, usize, bool)>> {
    let Some(end) = buffer.windows(4).position(|w| w == b"\r\n\r\n") else {
        return Ok(None);
    };
    let head = std::str::from_utf8(&buffer[..end]).map_err(|_| bad("a head not in UTF-8"))?;
    let mut lines = head.split("\r\n");
    let status = status_of(lines.next().unwrap_or_default())?;
    let mut head = Head::default();
    for line in lines {
        head.header(line)?;
    }
    if head.encoded {
        return Err(bad("a chunked answer"));
    }
    let length = head.length.unwrap_or(0);
    if length > MAX_ANSWER {
        return Err(bad("the answer is too large"));
    }
    let close = head.close;
    Ok(Some((end + 4, status, length, close)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_head_is_read_once_whole() {
        let answer = b"HTTP/1.1 201 Created\r\ncontent-type: application/json\r\ncontent-length: 12\r\n\r\n{\"index\":1}\n";
        assert!(parse_head(&answer[..30]).expect("no error yet").is_none());
        let (head, status, length, close) = parse_head(answer).expect("a head").expect("complete");
        assert_eq!((status, length, close), (201, 12, false));
        assert_eq!(&answer[head..], b"{\"index\":1}\n");
        let closing = b"HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\n\r\n";
        assert_eq!(
            parse_head(closing).expect("a head"),
            Some((closing.len(), 503, 0, true))
        );
        assert!(parse_head(b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n").is_err());
        assert!(parse_head(b"SMTP ready\r\n\r\n").is_err());
    }
}
