//! Starts the real `scrutineer witness` binary on port 0 with its own
//! configuration and database, and stops it when dropped.

#![allow(dead_code)]

use std::io::{BufRead as _, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use scrutineer::tlog::policy::{Policy, QuorumTime};

use super::http;
use super::server::Server;
use super::world::World;

/// A running witness.
pub struct WitnessProcess {
    child: Child,
    /// `127.0.0.1:port`.
    pub address: String,
    /// The witness's vkey (type 0x04), as it printed it.
    pub vkey: String,
    /// Its folder (configuration, key, database).
    pub dir: PathBuf,
}

/// Writes a witness configuration in `dir` for the given log vkeys, with a
/// new key named `name` unless `dir` already holds one.
pub fn configure(dir: &Path, name: &str, logs: &[String]) {
    std::fs::create_dir_all(dir).unwrap();
    let key = dir.join("witness.key");
    if !key.exists() {
        let status = Command::new(env!("CARGO_BIN_EXE_scrutineer"))
            .args(["keygen", "--name", name, "--out"])
            .arg(&key)
            .stdout(Stdio::null())
            .status()
            .expect("run keygen");
        assert!(status.success());
    }
    let mut text =
        "# a test witness\nlisten 127.0.0.1:0\ndatabase witness.db\nkey witness.key\n".to_owned();
    for log in logs {
        text += &format!("log {log}\n");
    }
    std::fs::write(dir.join("witness.conf"), text).unwrap();
}

impl WitnessProcess {
    /// Starts a witness configured in `dir` (see [`configure`]), with extra
    /// flags, waiting until it listens.
    pub fn start(dir: &Path, extra: &[&str]) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_scrutineer"))
            .arg("witness")
            .arg("--config")
            .arg(dir.join("witness.conf"))
            .args(extra)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start scrutineer witness");
        let stdout = child.stdout.take().expect("stdout is piped");
        let mut lines = BufReader::new(stdout).lines();
        let mut vkey = None;
        let address = loop {
            let line = lines
                .next()
                .expect("the witness printed its address before exiting")
                .expect("stdout is UTF-8");
            if let Some(v) = line.strip_prefix("witness vkey ") {
                vkey = Some(v.trim().to_owned());
            }
            if let Some(a) = line.strip_prefix("listening on http://") {
                break a.trim().to_owned();
            }
        };
        std::thread::spawn(move || for _ in lines {});
        Self {
            child,
            address,
            vkey: vkey.expect("the witness printed its vkey"),
            dir: dir.to_owned(),
        }
    }

    /// Kills the witness (SIGKILL) and waits for it.
    pub fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for WitnessProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The server's log key and three witnesses of the end-to-end tests.
pub struct TwoOfThree {
    /// The server's log key, named by the log's origin.
    pub log_key: scrutineer::note::SigningKey,
    /// Its verifier key, encoded.
    pub log_vkey: String,
    /// The file the witnesses read their clock from (`--test-clock-file`).
    pub clock: PathBuf,
    /// `w1`, `w2`, `w3`, running.
    pub witnesses: Vec<WitnessProcess>,
    /// The policy: the three witnesses with their URLs, and a quorum of
    /// two (without a `log` line).
    pub policy: String,
}

impl TwoOfThree {
    /// The policy as a verifier holds it: the log's key pinned first.
    pub fn pinned_text(&self) -> String {
        format!("log {}\n{}", self.log_vkey, self.policy)
    }

    /// [`TwoOfThree::pinned_text`], parsed.
    pub fn pinned(&self) -> Policy {
        Policy::parse(self.pinned_text().as_bytes()).expect("the policy parses")
    }

    /// Writes the policy to `dir/policy` and starts the server on `data`
    /// with it, a simulated clock from `start` and the origin prefix
    /// `vote.test` (its logs' origins are `simulated.invalid/vote.test/…`).
    pub fn server(&self, dir: &Path, data: &Path, start: &str) -> Server {
        let policy = dir.join("policy");
        std::fs::write(&policy, &self.policy).expect("write the policy");
        Server::start(
            data,
            &[
                "--simulated-clock",
                "--simulated-start",
                start,
                "--origin-prefix",
                "vote.test",
                "--witness-policy",
                policy.to_str().expect("UTF-8"),
            ],
        )
    }
}

/// Makes the server's log key with `scrutineer keygen` in `data/log.key`
/// before the server starts, so that the witnesses can be told the log's
/// verifier key (under `origin`); writes `start` to the clock file
/// `dir/clock`; and starts three witnesses in `dir/w1`..`dir/w3`, which
/// follow that clock file.
pub fn two_of_three(dir: &Path, data: &Path, origin: &str, start: &str) -> TwoOfThree {
    use scrutineer::note::{KeyName, SigningKey};
    std::fs::create_dir_all(data).unwrap();
    let key_path = data.join("log.key");
    let status = Command::new(env!("CARGO_BIN_EXE_scrutineer"))
        .args(["keygen", "--name", "scrutineer", "--out"])
        .arg(&key_path)
        .stdout(Stdio::null())
        .status()
        .expect("run keygen");
    assert!(status.success());
    let log_key = SigningKey::parse(std::fs::read_to_string(&key_path).unwrap().trim())
        .unwrap()
        .renamed(KeyName::new(origin).unwrap());
    let log_vkey = log_key.verifier_key().encode();
    let clock = dir.join("clock");
    std::fs::write(&clock, start).unwrap();
    let clock_flag = ["--test-clock-file", clock.to_str().unwrap()];
    let mut witnesses = Vec::new();
    let mut policy = String::new();
    for i in 1..=3 {
        let wdir = dir.join(format!("w{i}"));
        configure(
            &wdir,
            &format!("witness{i}.example"),
            std::slice::from_ref(&log_vkey),
        );
        let p = WitnessProcess::start(&wdir, &clock_flag);
        policy += &format!("witness w{i} {} http://{}\n", p.vkey, p.address);
        witnesses.push(p);
    }
    policy += "group two-of-three 2 w1 w2 w3\nquorum two-of-three\n";
    TwoOfThree {
        log_key,
        log_vkey,
        clock,
        witnesses,
        policy,
    }
}

/// Polls `f` until it returns `Some`, for at most 60 s (witnesses are
/// asked every two seconds, and a cosigned checkpoint is then logged and
/// cosigned again).
pub fn eventually<T>(what: &str, mut f: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Some(value) = f() {
            return value;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(250));
    }
}

/// The served checkpoint's size (of group ETI) if the policy's quorum
/// cosigned it.
pub fn cosigned_size(w: &World, pinned: &Policy) -> Option<u64> {
    let r = http::get(&w.server.address, "/v1/groups/ETI/log/checkpoint", None);
    let size: u64 = r.text().lines().nth(1)?.parse().ok()?;
    let times = pinned.cosigned_times(&r.body).ok()?;
    matches!(pinned.quorum_time(&times), QuorumTime::Met(_)).then_some(size)
}

/// Waits until the log stops growing with its head cosigned by the quorum
/// (the server logs the cosigned checkpoint, whose own tree is then
/// cosigned and not logged again).
pub fn settled(w: &World, pinned: &Policy) -> u64 {
    eventually("the head cosigned and the log settled", || {
        let size = cosigned_size(w, pinned)?;
        std::thread::sleep(Duration::from_secs(5));
        (cosigned_size(w, pinned)? == size).then_some(size)
    })
}
