//! The machine's limits for this work, measured in the same run and on
//! the same cores as the load: how many strict Ed25519 verifications per
//! second all cores can do (each accepted vote needs at least one), and
//! how many small durable writes per second the data directory's
//! filesystem takes (each batch of votes needs at least one). The third
//! limit, the floor server's vote rate, is in `floor.rs`.

use std::io::Write as _;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context as _;

use scrutineer::note::VerifierKey;

/// A message, its signature and the key that signed it.
pub struct Signed {
    /// The key.
    pub key: VerifierKey,
    /// The message signed (a vote note's text).
    pub message: Vec<u8>,
    /// The Ed25519 signature.
    pub signature: [u8; 64],
}

/// What the limits came to.
#[derive(Debug, Clone, Copy, serde::Serialize)]
pub struct Limits {
    /// Threads used for verification (one per core).
    pub threads: usize,
    /// Strict Ed25519 verifications per second, all threads together.
    pub verify_per_second: f64,
    /// Sequential write + fsync of a new small file, per second.
    pub fsync_per_second: f64,
    /// Votes per second answered by the floor server (`floor.rs`): the same
    /// clients, HTTP stack, parsing and strict verification, with no log,
    /// rules or database.
    pub floor_votes_per_second: f64,
}

/// Measures the verification and fsync limits, each for `seconds`, beside
/// the floor server's rate measured by the caller.
pub fn measure(
    samples: &[Signed],
    dir: &Path,
    seconds: f64,
    floor_votes_per_second: f64,
) -> anyhow::Result<Limits> {
    let threads = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    let verify_per_second = verify_rate(samples, threads, seconds)?;
    let fsync_per_second = fsync_rate(dir, seconds)?;
    Ok(Limits {
        threads,
        verify_per_second,
        fsync_per_second,
        floor_votes_per_second,
    })
}

/// Strict verifications per second on `threads` threads, through the
/// crate's one call of `verify_strict` ([`VerifierKey::verify`]).
fn verify_rate(samples: &[Signed], threads: usize, seconds: f64) -> anyhow::Result<f64> {
    anyhow::ensure!(!samples.is_empty(), "no signatures to verify");
    let stop = AtomicBool::new(false);
    let start = Instant::now();
    let counts: Vec<u64> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|t| {
                let stop = &stop;
                scope.spawn(move || {
                    let mut done = 0u64;
                    let mut i = t;
                    while !stop.load(Ordering::Relaxed) {
                        let s = &samples[i % samples.len()];
                        assert!(
                            s.key.verify(&s.message, &s.signature),
                            "invariant: the load tool verifies only what it signed"
                        );
                        done += 1;
                        i += threads;
                    }
                    done
                })
            })
            .collect();
        std::thread::sleep(Duration::from_secs_f64(seconds));
        stop.store(true, Ordering::Relaxed);
        workers
            .into_iter()
            .map(|w| w.join().expect("a verification thread panicked"))
            .collect()
    });
    let elapsed = start.elapsed().as_secs_f64();
    Ok(counts.iter().sum::<u64>() as f64 / elapsed)
}

/// Sequential durable small writes per second in `dir`: create a file,
/// write 512 bytes, fsync it; the files are removed afterwards.
fn fsync_rate(dir: &Path, seconds: f64) -> anyhow::Result<f64> {
    let probe = dir.join("fsync-probe");
    std::fs::create_dir_all(&probe)
        .with_context(|| format!("cannot create {}", probe.display()))?;
    let block = [0x5a_u8; 512];
    let start = Instant::now();
    let mut done = 0u64;
    while start.elapsed().as_secs_f64() < seconds {
        let path = probe.join(done.to_string());
        let mut file = std::fs::File::create(&path)
            .with_context(|| format!("cannot create {}", path.display()))?;
        file.write_all(&block)?;
        file.sync_all()
            .with_context(|| format!("cannot fsync {}", path.display()))?;
        done += 1;
    }
    let elapsed = start.elapsed().as_secs_f64();
    std::fs::remove_dir_all(&probe)
        .with_context(|| format!("cannot remove {}", probe.display()))?;
    Ok(done as f64 / elapsed)
}
