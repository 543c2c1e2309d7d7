//! The server under load: this very executable run as `scrutineer serve`
//! in a child process, so that the load tool knows its pid (for its
//! memory) and stops it at the end; and the temporary data directory it
//! runs in.

use std::io::{BufRead as _, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use anyhow::{Context as _, anyhow, bail};

/// The simulated clock's start. The organisations join before it, the KoM
/// is before it, and the ballot opens after it.
pub const SIMULATED_START: &str = "2026-06-01T00:00:00Z";

/// The server child's write limits, per address and per person, as rate
/// and burst: a hundred times the ~10 000 votes a second the tool drives.
const WRITE_LIMIT: &str = "1000000";

/// A directory removed, with everything in it, when dropped, unless it
/// is to be kept.
pub struct TempDir(PathBuf, bool);

impl TempDir {
    /// Creates a fresh directory under the system's temporary directory.
    pub fn new() -> anyhow::Result<Self> {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or_default();
        let path = std::env::temp_dir().join(format!(
            "scrutineer-loadtest.{}.{nanos}",
            std::process::id()
        ));
        std::fs::create_dir(&path)
            .with_context(|| format!("cannot create the directory {}", path.display()))?;
        Ok(Self(path, false))
    }

    /// Creates the new directory `path`, kept when dropped (an existing
    /// one is refused: its data would be mixed with the load's).
    pub fn kept(path: &Path) -> anyhow::Result<Self> {
        std::fs::create_dir(path)
            .with_context(|| format!("cannot create the new directory {}", path.display()))?;
        Ok(Self(path.to_owned(), true))
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        if !self.1 {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

/// A running `scrutineer serve`, stopped when dropped.
pub struct ServerProcess {
    child: Child,
    /// `127.0.0.1:port`.
    pub address: String,
    /// The secretariat's token, printed on the first start of an empty
    /// database.
    pub token: String,
    /// Where the server's standard error goes.
    log: PathBuf,
}

impl ServerProcess {
    /// Starts the server on a simulated clock in `data_dir` (and on
    /// `database_url` if given, sending mail through `smtp_url` if given),
    /// waiting until it listens.
    pub fn start(
        data_dir: &Path,
        database_url: Option<&str>,
        smtp_url: Option<&str>,
    ) -> anyhow::Result<Self> {
        let exe = std::env::current_exe().context("cannot find this executable")?;
        let log = data_dir.join("server.log");
        let stderr = std::fs::File::create(&log)
            .with_context(|| format!("cannot create {}", log.display()))?;
        let mut command = Command::new(exe);
        command
            .arg("serve")
            .arg("--data-dir")
            .arg(data_dir)
            .args(["--listen", "127.0.0.1:0", "--simulated-clock"])
            .args(["--simulated-start", SIMULATED_START])
            // Every delegate's votes come from 127.0.0.1, and the set-up
            // is thousands of the secretariat's writes: limits far above
            // what the tool sends, so that the limiter runs (and its cost
            // is measured) without refusing anything.
            .args(["--write-rate-per-address", WRITE_LIMIT])
            .args(["--write-burst-per-address", WRITE_LIMIT])
            .args(["--write-rate-per-person", WRITE_LIMIT])
            .args(["--write-burst-per-person", WRITE_LIMIT])
            .env_remove("SCRUTINEER_DATABASE_URL")
            .env_remove("SCRUTINEER_DATA_DIR")
            .env_remove("SCRUTINEER_LISTEN")
            .env(
                "RUST_LOG",
                std::env::var("RUST_LOG").unwrap_or("warn".into()),
            )
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(stderr);
        if let Some(url) = database_url {
            command.args(["--database-url", url]);
        }
        command
            .env_remove("SCRUTINEER_SMTP_URL")
            .env_remove("SCRUTINEER_MAIL_FROM");
        if let Some(url) = smtp_url {
            command.args(["--smtp-url", url, "--mail-from", "loadtest@scrutineer.test"]);
        }
        let mut child = command.spawn().context("cannot start `scrutineer serve`")?;
        let stdout = child.stdout.take().expect("invariant: stdout is piped");
        // The server prints its token and address on standard output; a
        // thread reads them, then keeps draining so the server never blocks
        // on a full pipe.
        let (lines, received) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if lines.send(line).is_err() {
                    // Nobody listens any more: drain silently.
                }
            }
        });
        let mut server = Self {
            child,
            address: String::new(),
            token: String::new(),
            log,
        };
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let line = match received.recv_timeout(left) {
                Ok(line) => line,
                Err(_) => bail!(
                    "the server did not start listening; its log says:\n{}",
                    server.log_tail()
                ),
            };
            if let Some(token) = line.split("store it now): ").nth(1) {
                server.token = token.trim().to_owned();
            }
            if let Some(address) = line.strip_prefix("listening on http://") {
                server.address = address.trim().to_owned();
                break;
            }
        }
        if server.token.is_empty() {
            bail!(
                "the server printed no secretariat token: the load tool needs an empty database \
                 (a fresh --database-url), which it fills itself"
            );
        }
        Ok(server)
    }

    /// The server's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The last lines of the server's standard error.
    pub fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(20)..].join("\n")
    }

    /// Stops the server: SIGTERM, up to ten seconds for a graceful end,
    /// then SIGKILL.
    pub fn stop(&mut self) -> anyhow::Result<()> {
        if self.child.try_wait()?.is_some() {
            return Ok(());
        }
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(self.pid().to_string())
            .status();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if self.child.try_wait()?.is_some() {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        self.child.kill()?;
        self.child.wait()?;
        Err(anyhow!(
            "the server did not stop within 10 s of SIGTERM and was killed"
        ))
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.stop();
    }
}

/// A process's memory from `/proc/<pid>/status` (Linux): resident set now
/// and its peak, in KiB.
#[derive(Debug, Clone, Copy, Default, serde::Serialize)]
pub struct Memory {
    /// `VmRSS`: resident now.
    pub vm_rss_kib: u64,
    /// `VmHWM`: the peak resident set ("high water mark").
    pub vm_hwm_kib: u64,
}

/// Reads a process's memory, or `None` where `/proc` has no such file.
pub fn memory(pid: u32) -> Option<Memory> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let field = |name: &str| -> Option<u64> {
        let line = status.lines().find(|l| l.starts_with(name))?;
        line[name.len()..]
            .trim()
            .trim_end_matches("kB")
            .trim()
            .parse()
            .ok()
    };
    Some(Memory {
        vm_rss_kib: field("VmRSS:")?,
        vm_hwm_kib: field("VmHWM:")?,
    })
}
