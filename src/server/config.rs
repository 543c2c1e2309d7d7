//! The server's settings: every one a flag or an environment variable, each
//! with its default.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;

/// Settings of `scrutineer serve`.
#[derive(Debug, Clone, clap::Args)]
pub struct Config {
    /// Directory for the embedded database and the log key; created if
    /// absent.
    #[arg(long, env = "SCRUTINEER_DATA_DIR", default_value = "scrutineer-data")]
    pub data_dir: PathBuf,
    /// Database URL: `sqlite:PATH` or `postgres://…` [default: SQLite file
    /// `scrutineer.db` in the data directory]. Several servers share one
    /// PostgreSQL database safely.
    #[arg(long, env = "SCRUTINEER_DATABASE_URL")]
    pub database_url: Option<String>,
    /// Address to listen on. The default only accepts local connections.
    #[arg(long, env = "SCRUTINEER_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// The log signing key (C2SP private key) [default: `log.key` in the
    /// data directory, created on first start]. Servers sharing a database
    /// must share this key.
    #[arg(long, env = "SCRUTINEER_LOG_KEY")]
    pub log_key: Option<PathBuf>,
    /// A new group's log origin is `<prefix>/<group id>`; set a name you
    /// control (a domain). A group keeps the origin it was created with.
    /// [default: `localhost/scrutineer-<16 hex digits>`, derived from the
    /// log key, so that each installation's origins are its own]
    #[arg(long, env = "SCRUTINEER_ORIGIN_PREFIX")]
    pub origin_prefix: Option<String>,
    /// How long the sequencer waits for more requests, after taking every
    /// one already queued, before it writes a transaction (group commit),
    /// in milliseconds. With 0 it never waits: requests that arrive while
    /// a transaction commits form the next one, so batches grow with the
    /// load by themselves; a wait only saves fsyncs at light load, and
    /// costs every request that long.
    #[arg(long, env = "SCRUTINEER_BATCH_INTERVAL_MS", default_value_t = 0)]
    pub batch_interval_ms: u64,
    /// The most entries in one transaction.
    #[arg(long, env = "SCRUTINEER_BATCH_MAX", default_value_t = 1000)]
    pub batch_max: usize,
    /// The largest request body accepted, in bytes.
    #[arg(long, env = "SCRUTINEER_MAX_BODY_BYTES", default_value_t = 1 << 20)]
    pub max_body_bytes: usize,
    /// The largest announcement accepted, in bytes, with the documents
    /// voted on uploaded in it. Every other request is held to
    /// `--max-body-bytes`.
    #[arg(long, env = "SCRUTINEER_MAX_UPLOAD_BYTES", default_value_t = 64 << 20)]
    pub max_upload_bytes: usize,
    /// Writes (requests other than GET, HEAD and OPTIONS) that each
    /// authenticated person may make per second, sustained; 0 for no
    /// limit. A write over the budget is answered 429 with `Retry-After`,
    /// and nothing is written.
    #[arg(long, env = "SCRUTINEER_WRITE_RATE_PER_PERSON", default_value_t = 50)]
    pub write_rate_per_person: u32,
    /// The writes a person may make at once, before the rate applies.
    #[arg(long, env = "SCRUTINEER_WRITE_BURST_PER_PERSON", default_value_t = 500)]
    pub write_burst_per_person: u32,
    /// Writes per second from each client address (an IPv4 address, or an
    /// IPv6 /64), sustained, whoever makes them; 0 for no limit. Behind a
    /// reverse proxy every client has the proxy's address: raise this, or
    /// set 0 and limit at the proxy.
    #[arg(long, env = "SCRUTINEER_WRITE_RATE_PER_ADDRESS", default_value_t = 500)]
    pub write_rate_per_address: u32,
    /// The writes an address may make at once, before the rate applies.
    #[arg(
        long,
        env = "SCRUTINEER_WRITE_BURST_PER_ADDRESS",
        default_value_t = 5000
    )]
    pub write_burst_per_address: u32,
    /// The longest a request may take, in seconds.
    #[arg(long, env = "SCRUTINEER_REQUEST_TIMEOUT_SECS", default_value_t = 30)]
    pub request_timeout_secs: u64,
    /// The longest a client may take to send a request's headers (and,
    /// with TLS, to finish its handshake), in seconds, so that a client
    /// that stalls half-way does not keep its connection.
    #[arg(long, env = "SCRUTINEER_HEADER_TIMEOUT_SECS", default_value_t = 30)]
    pub header_timeout_secs: u64,
    /// The most client connections open at once. Once reached, new
    /// connections wait in the listen queue until one closes. Keep it
    /// below the file descriptor limit (`LimitNOFILE`), less the database
    /// connections.
    #[arg(long, env = "SCRUTINEER_MAX_CONNECTIONS", default_value_t = 1024)]
    pub max_connections: usize,
    /// The most database connections this process holds [default: 8 for
    /// SQLite, 16 for PostgreSQL]. On PostgreSQL, the sum over every
    /// server process must stay below the database's `max_connections`.
    #[arg(long, env = "SCRUTINEER_DATABASE_POOL_SIZE")]
    pub database_pool_size: Option<u32>,
    /// Mark the web application's cookies `Secure`: set this when browsers
    /// reach the server over HTTPS through a TLS-terminating reverse proxy,
    /// so that a session cookie is never sent over plain HTTP. Implied by
    /// `--tls-cert`.
    #[arg(long, env = "SCRUTINEER_SECURE_COOKIES")]
    pub secure_cookies: bool,
    /// Serve HTTPS with this certificate chain (PEM, leaf first), read
    /// again on SIGHUP; needs `--tls-key`.
    #[arg(
        long,
        env = "SCRUTINEER_TLS_CERT",
        requires = "tls_key",
        value_name = "FILE"
    )]
    pub tls_cert: Option<PathBuf>,
    /// The private key of `--tls-cert` (PEM: PKCS#8, PKCS#1 or SEC1), read
    /// again on SIGHUP.
    #[arg(
        long,
        env = "SCRUTINEER_TLS_KEY",
        requires = "tls_cert",
        value_name = "FILE"
    )]
    pub tls_key: Option<PathBuf>,
    /// A reverse proxy's address whose `Forwarded` or `X-Forwarded-For`
    /// headers name the client (for the per-address write limits); repeat
    /// for several (comma-separated in the variable). From any other peer
    /// those headers are ignored.
    #[arg(
        long = "trusted-proxy",
        env = "SCRUTINEER_TRUSTED_PROXIES",
        value_delimiter = ',',
        value_name = "ADDR"
    )]
    pub trusted_proxies: Vec<IpAddr>,
    /// Serve Prometheus metrics at `http://ADDR/metrics` on a listener of
    /// their own (plain HTTP): give an address only the monitoring system
    /// reaches, such as `127.0.0.1:9898`. Without it no metrics are
    /// served.
    #[arg(long, env = "SCRUTINEER_METRICS_LISTEN", value_name = "ADDR")]
    pub metrics_listen: Option<SocketAddr>,
    /// Log format: `human` or `json`. The level comes from `RUST_LOG`
    /// (default `info`).
    #[arg(long, env = "SCRUTINEER_LOG_FORMAT", default_value = "human")]
    pub log_format: LogFormat,
    /// Run on a simulated clock that the secretariat moves forward through
    /// the API, for demonstrations and end-to-end tests. Every origin then
    /// begins with `simulated.invalid/`, so its history can never pass for
    /// a real one.
    #[arg(long, env = "SCRUTINEER_SIMULATED_CLOCK")]
    pub simulated_clock: bool,
    /// The simulated clock's start, RFC 3339 UTC [default: the system time,
    /// or the latest entry time on restart].
    #[arg(long, env = "SCRUTINEER_SIMULATED_START", requires = "simulated_clock")]
    pub simulated_start: Option<String>,
    /// A C2SP tlog-policy file naming witnesses (with their submission
    /// URLs), groups and a quorum: every group's new checkpoints are
    /// submitted to them for cosigning (SPEC section 10).
    #[arg(long, env = "SCRUTINEER_WITNESS_POLICY", value_name = "FILE")]
    pub witness_policy: Option<PathBuf>,
    /// The SMTP relay that notices are sent through (SPEC section 9):
    /// `smtp://[user:pass@]host[:port]` (STARTTLS required, port 587 by
    /// default), `smtps://…` (TLS from the start, 465), or
    /// `smtp+plain://…` (clear text, only to a loopback address, for a
    /// test relay). Without it each notice is written as an `.eml` file
    /// under the data directory (`mail/`), and nothing is delivered.
    #[arg(long, env = "SCRUTINEER_SMTP_URL", hide_env_values = true)]
    pub smtp_url: Option<String>,
    /// PEM certificates to trust for the relay's TLS certificate instead
    /// of the built-in roots (a relay with a private CA).
    #[arg(long, env = "SCRUTINEER_SMTP_CA_FILE", requires = "smtp_url")]
    pub smtp_ca_file: Option<PathBuf>,
    /// The notices' sender address (`From`), required with `--smtp-url`,
    /// e.g. `Scrutineer <vote@example.org>`; its domain also ends each
    /// `Message-ID`.
    #[arg(long, env = "SCRUTINEER_MAIL_FROM")]
    pub mail_from: Option<String>,
    /// The base URL of the web application as voters reach it, for the
    /// links in notices, e.g. `https://vote.example.org` [default:
    /// `http://` and the listen address].
    #[arg(long, env = "SCRUTINEER_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// How long after a notification its delivery is retried after
    /// transient failures (4yz, no connection) before it is logged as
    /// failed, in hours of the server's clock.
    #[arg(long, env = "SCRUTINEER_MAIL_GIVE_UP_HOURS", default_value_t = 96)]
    pub mail_give_up_hours: u32,
    /// The first wait before retrying a delivery, in seconds of the
    /// server's clock; it doubles with each failure, up to
    /// `--mail-retry-cap-seconds`.
    #[arg(long, env = "SCRUTINEER_MAIL_RETRY_BASE_SECONDS", default_value_t = 60)]
    pub mail_retry_base_seconds: u64,
    /// The longest wait between two attempts, in seconds.
    #[arg(
        long,
        env = "SCRUTINEER_MAIL_RETRY_CAP_SECONDS",
        default_value_t = 3600
    )]
    pub mail_retry_cap_seconds: u64,
    /// How long a server process holds the notices it is sending before
    /// another process (or itself, restarted after a crash) may take them
    /// over, in seconds of real time.
    #[arg(long, env = "SCRUTINEER_MAIL_LEASE_SECONDS", default_value_t = 300)]
    pub mail_lease_seconds: u64,
    /// How long a sign-in link sent by e-mail stays usable (once), in
    /// seconds of real time.
    #[arg(long, env = "SCRUTINEER_SIGN_IN_LINK_SECONDS", default_value_t = 900)]
    pub sign_in_link_seconds: u64,
    /// TEST ONLY: `GROUP=FILE` holds the start-up check of GROUP's log
    /// until FILE exists, so that a test can observe a log being checked
    /// without racing the check. The log is not served meanwhile, exactly
    /// as during any check; never use it for real.
    #[arg(long, value_name = "GROUP=FILE", hide = true)]
    pub test_hold_check: Option<String>,
}

/// How the server writes its own log lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// Readable lines.
    Human,
    /// One JSON object per line.
    Json,
}

impl Config {
    /// The database URL, defaulting to a SQLite file in the data directory.
    pub fn database_url(&self) -> String {
        self.database_url
            .clone()
            .unwrap_or_else(|| format!("sqlite:{}", self.data_dir.join("scrutineer.db").display()))
    }

    /// Whether cookies carry `Secure`: asked for, or implied by TLS.
    pub fn secure_cookies(&self) -> bool {
        self.secure_cookies || self.tls_cert.is_some()
    }

    /// The log key's path.
    pub fn log_key_path(&self) -> PathBuf {
        self.log_key
            .clone()
            .unwrap_or_else(|| self.data_dir.join("log.key"))
    }
}
