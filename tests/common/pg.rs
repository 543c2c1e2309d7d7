//! A throw-away PostgreSQL cluster for tests: `initdb` into a temporary
//! directory, `pg_ctl start` listening only on a Unix socket in that
//! directory (no TCP port to collide on), trust authentication, and
//! `pg_ctl stop -m immediate` plus removal of the directory when dropped,
//! also when the test panics.
//!
//! PostgreSQL refuses to run as root, and CI runs as root: then the binaries
//! run as the `postgres` user (`runuser -u postgres --`) in a directory that
//! user owns. As any other user they run directly.
//!
//! Without the binaries the caller gets `None` and a printed note, unless
//! `SCRUTINEER_REQUIRE_POSTGRES` is set (CI sets it), in which case their
//! absence is a failure.

#![allow(dead_code)]

use std::os::unix::fs::MetadataExt as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex, PoisonError, Weak};

/// Where Debian installs the server binaries; the newest version present is
/// used.
const PG_LIB: &str = "/usr/lib/postgresql";

/// A running temporary cluster.
pub struct TempPostgres {
    /// The temporary directory: the data directory, the socket and the
    /// server's log file.
    dir: tempfile::TempDir,
    /// The directory of `initdb`, `pg_ctl`, `createdb`.
    bin: PathBuf,
    /// Whether the binaries run as the `postgres` user (we are root).
    as_postgres: bool,
}

impl TempPostgres {
    /// Starts a fresh cluster, or returns `None` (with a note) when the
    /// binaries are absent and `SCRUTINEER_REQUIRE_POSTGRES` is not set.
    pub fn start() -> Option<Self> {
        let Some(bin) = find_bin() else {
            assert!(
                std::env::var_os("SCRUTINEER_REQUIRE_POSTGRES").is_none(),
                "SCRUTINEER_REQUIRE_POSTGRES is set but no PostgreSQL server binaries were \
                 found under {PG_LIB}/*/bin (apt-get install postgresql)"
            );
            eprintln!(
                "note: skipping: PostgreSQL is not installed (no {PG_LIB}/*/bin/initdb; \
                 apt-get install postgresql)"
            );
            return None;
        };
        let as_postgres = is_root();
        let dir = tempfile::Builder::new()
            .prefix("scrutineer-pg.")
            .tempdir()
            .expect("a temporary directory for PostgreSQL");
        if as_postgres {
            let (uid, gid) = postgres_ids();
            std::os::unix::fs::chown(dir.path(), Some(uid), Some(gid))
                .expect("give the temporary directory to the postgres user");
        }
        let pg = Self {
            dir,
            bin,
            as_postgres,
        };
        let data = pg.data_dir();
        pg.run(
            "initdb",
            &[
                "-D".as_ref(),
                data.as_os_str(),
                "-U".as_ref(),
                "postgres".as_ref(),
                "-A".as_ref(),
                "trust".as_ref(),
                "-E".as_ref(),
                "UTF8".as_ref(),
                "--locale=C".as_ref(),
                // No fsync of the new cluster: it lives for one test.
                "--no-sync".as_ref(),
            ],
        );
        // Settings appended to postgresql.conf (the last setting wins):
        // only the socket in our directory, and no fsync, which a test
        // cluster does not need (the server under test still commits with
        // `synchronous_commit` on, its default, so a commit is acknowledged
        // only after PostgreSQL wrote it).
        let settings = format!(
            "\nlisten_addresses = ''\nunix_socket_directories = '{}'\nfsync = off\n\
             full_page_writes = off\nmax_connections = 200\nshared_buffers = 32MB\n",
            pg.socket_dir().display()
        );
        let conf = data.join("postgresql.conf");
        let mut text = std::fs::read_to_string(&conf).expect("read postgresql.conf");
        text.push_str(&settings);
        std::fs::write(&conf, text).expect("write postgresql.conf");
        let log = pg.dir.path().join("server.log");
        let started = pg.try_run(
            "pg_ctl",
            &[
                "-D".as_ref(),
                data.as_os_str(),
                "-l".as_ref(),
                log.as_os_str(),
                "-w".as_ref(),
                "-t".as_ref(),
                "60".as_ref(),
                "start".as_ref(),
            ],
        );
        if !started.status.success() {
            let server_log = std::fs::read_to_string(&log).unwrap_or_default();
            panic!(
                "pg_ctl start failed: {}{}\nserver log:\n{server_log}",
                String::from_utf8_lossy(&started.stdout),
                String::from_utf8_lossy(&started.stderr)
            );
        }
        Some(pg)
    }

    /// A cluster shared by the tests of this process that run at the same
    /// time: started on first use, stopped when the last user drops it
    /// (a later test starts a new one). Each test isolates itself with
    /// [`TempPostgres::create_database`].
    pub fn shared() -> Option<Arc<Self>> {
        static SHARED: Mutex<Weak<TempPostgres>> = Mutex::new(Weak::new());
        let mut slot = SHARED.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(pg) = slot.upgrade() {
            return Some(pg);
        }
        let pg = Arc::new(Self::start()?);
        *slot = Arc::downgrade(&pg);
        Some(pg)
    }

    /// A URL for the `postgres` database, through the Unix socket (sqlx:
    /// a `host` query parameter starting with `/` names the socket
    /// directory).
    pub fn url(&self) -> String {
        self.database_url("postgres")
    }

    /// The URL of database `name` in this cluster.
    pub fn database_url(&self, name: &str) -> String {
        format!(
            "postgres://postgres@localhost/{name}?host={}",
            self.socket_dir().display()
        )
    }

    /// Creates a fresh database (isolation between tests sharing a cluster)
    /// and returns its URL.
    pub fn create_database(&self, name: &str) -> String {
        let socket = self.socket_dir();
        self.run(
            "createdb",
            &[
                "-h".as_ref(),
                socket.as_os_str(),
                "-U".as_ref(),
                "postgres".as_ref(),
                name.as_ref(),
            ],
        );
        self.database_url(name)
    }

    /// A database name not used before in this process.
    pub fn unique_name(prefix: &str) -> String {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        format!("{prefix}_{}", NEXT.fetch_add(1, Ordering::Relaxed))
    }

    /// The directory holding the socket `.s.PGSQL.5432`.
    pub fn socket_dir(&self) -> PathBuf {
        self.dir.path().to_owned()
    }

    fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    fn command(&self, program: &str) -> Command {
        let path = self.bin.join(program);
        if self.as_postgres {
            let mut command = Command::new("runuser");
            command.args(["-u", "postgres", "--"]).arg(path);
            command
        } else {
            Command::new(path)
        }
    }

    fn try_run(&self, program: &str, args: &[&std::ffi::OsStr]) -> Output {
        self.command(program)
            .args(args)
            // Run from a directory the postgres user can enter.
            .current_dir(self.dir.path())
            .output()
            .unwrap_or_else(|e| panic!("cannot run {program}: {e}"))
    }

    fn run(&self, program: &str, args: &[&std::ffi::OsStr]) {
        let out = self.try_run(program, args);
        assert!(
            out.status.success(),
            "{program} {args:?} failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

impl Drop for TempPostgres {
    fn drop(&mut self) {
        let data = self.data_dir();
        // Immediate: no checkpoint, the cluster is thrown away. The
        // directory itself is removed by `TempDir`'s own drop after this.
        let _ = self.try_run(
            "pg_ctl",
            &[
                "-D".as_ref(),
                data.as_os_str(),
                "-m".as_ref(),
                "immediate".as_ref(),
                "-w".as_ref(),
                "stop".as_ref(),
            ],
        );
    }
}

/// The newest `/usr/lib/postgresql/<version>/bin` with `initdb`, `pg_ctl`
/// and `createdb`.
fn find_bin() -> Option<PathBuf> {
    let mut found: Vec<(u32, PathBuf)> = std::fs::read_dir(PG_LIB)
        .ok()?
        .filter_map(Result::ok)
        .filter_map(|e| {
            let version = e.file_name().to_str()?.parse::<u32>().ok()?;
            let bin = e.path().join("bin");
            ["initdb", "pg_ctl", "createdb", "postgres"]
                .iter()
                .all(|p| bin.join(p).is_file())
                .then_some((version, bin))
        })
        .collect();
    found.sort();
    found.pop().map(|(_, bin)| bin)
}

/// Whether this process runs as root (the owner of `/proc/self`).
fn is_root() -> bool {
    std::fs::metadata(Path::new("/proc/self")).is_ok_and(|m| m.uid() == 0)
}

/// The uid and gid of the `postgres` user.
fn postgres_ids() -> (u32, u32) {
    let id = |flag: &str| -> u32 {
        let out = Command::new("id")
            .args([flag, "postgres"])
            .output()
            .expect("run id");
        assert!(
            out.status.success(),
            "running as root, PostgreSQL needs the `postgres` user, which does not exist \
             (the postgresql package creates it)"
        );
        String::from_utf8_lossy(&out.stdout)
            .trim()
            .parse()
            .expect("id prints a number")
    };
    (id("-u"), id("-g"))
}
