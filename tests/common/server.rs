//! Starts the real `scrutineer serve` binary on port 0 in a temporary data
//! directory, and stops it when dropped.

#![allow(dead_code)]

use std::io::{BufRead as _, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

/// A running server.
pub struct Server {
    child: Child,
    /// `127.0.0.1:port`.
    pub address: String,
    /// The bootstrap secretariat token, printed on first start only.
    pub token: Option<String>,
    /// `127.0.0.1:port` of `/metrics`, with `--metrics-listen`.
    pub metrics: Option<String>,
    /// The data directory.
    pub data_dir: PathBuf,
}

impl Server {
    /// Starts a server on `data_dir` with extra flags, waiting until it
    /// is ready: it listens at once, then prints `ready: …` once it has
    /// checked every log found in storage (until then those logs answer
    /// 503 `log-being-checked`).
    pub fn start(data_dir: &Path, extra: &[&str]) -> Self {
        Self::spawn(data_dir, extra, "warn", Stdio::inherit(), true)
    }

    /// [`Server::start`] returning as soon as the server listens, its
    /// logs possibly still being checked (the `ready: …` line is not
    /// awaited).
    pub fn start_listening(data_dir: &Path, extra: &[&str]) -> Self {
        Self::spawn(data_dir, extra, "warn", Stdio::inherit(), false)
    }

    /// [`Server::start`] with every log line down to `debug` written to
    /// the file `log` (to look for what must never be logged).
    pub fn start_logging_to(data_dir: &Path, extra: &[&str], log: &Path) -> Self {
        let file = std::fs::File::create(log).expect("create the log file");
        Self::spawn(data_dir, extra, "debug", Stdio::from(file), true)
    }

    /// [`Server::start_listening`] logging as [`Server::start_logging_to`].
    pub fn start_listening_logging_to(data_dir: &Path, extra: &[&str], log: &Path) -> Self {
        let file = std::fs::File::create(log).expect("create the log file");
        Self::spawn(data_dir, extra, "debug", Stdio::from(file), false)
    }

    fn spawn(
        data_dir: &Path,
        extra: &[&str],
        rust_log: &str,
        stderr: Stdio,
        wait_ready: bool,
    ) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_scrutineer"))
            .arg("serve")
            .arg("--data-dir")
            .arg(data_dir)
            .args(["--listen", "127.0.0.1:0"])
            .args(extra)
            .env("RUST_LOG", rust_log)
            .stdout(Stdio::piped())
            .stderr(stderr)
            .spawn()
            .expect("start scrutineer serve");
        let stdout = child.stdout.take().expect("stdout is piped");
        let mut lines = BufReader::new(stdout).lines();
        let mut token = None;
        let mut metrics = None;
        let address = loop {
            let line = lines
                .next()
                .expect("the server printed its address before exiting")
                .expect("stdout is UTF-8");
            if let Some(t) = line.split("store it now): ").nth(1) {
                token = Some(t.trim().to_owned());
            }
            if let Some(m) = line
                .strip_prefix("metrics on http://")
                .and_then(|m| m.strip_suffix("/metrics"))
            {
                metrics = Some(m.trim().to_owned());
            }
            if let Some(a) = line
                .strip_prefix("listening on http://")
                .or_else(|| line.strip_prefix("listening on https://"))
            {
                break a.trim().to_owned();
            }
        };
        if wait_ready {
            loop {
                let line = lines
                    .next()
                    .expect("the server said it was ready before exiting")
                    .expect("stdout is UTF-8");
                if line.starts_with("ready: ") {
                    break;
                }
            }
        }
        // Keep draining stdout so that the server never blocks on a full
        // pipe.
        std::thread::spawn(move || for _ in lines {});
        Self {
            child,
            address,
            token,
            metrics,
            data_dir: data_dir.to_owned(),
        }
    }

    /// The server's process id (to send it a signal).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Stops the server with SIGTERM (graceful) and waits for it.
    pub fn stop(mut self) {
        self.terminate();
    }

    /// Kills the server with SIGKILL, as a crash would.
    pub fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    fn terminate(&mut self) {
        #[cfg(unix)]
        {
            let _ = Command::new("kill")
                .arg("-TERM")
                .arg(self.child.id().to_string())
                .status();
        }
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}
