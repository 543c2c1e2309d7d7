//! The configuration file of `scrutineer witness`: line based like a C2SP
//! tlog-policy file (items separated by spaces or tabs, `#` comments,
//! blank lines ignored).
//!
//! ```text
//! listen 127.0.0.1:7380      # where to serve add-checkpoint and checkpoints
//! database witness.db        # the SQLite file (created if absent)
//! key witness.key            # the witness's private key (scrutineer keygen)
//! log <vkey>                 # a log to witness: its key name is its origin
//! ```
//!
//! Relative paths are relative to the configuration file's folder.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use crate::note::VerifierKey;

/// A parsed witness configuration.
#[derive(Debug, Clone)]
pub struct WitnessConfig {
    /// The address to listen on.
    pub listen: SocketAddr,
    /// The SQLite database file.
    pub database: PathBuf,
    /// The private key file.
    pub key: PathBuf,
    /// The logs witnessed, each identified by its key name (the origin).
    pub logs: Vec<VerifierKey>,
}

/// Why a configuration file is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {problem}")]
pub struct ConfigError {
    /// The 1-based line (0: the file as a whole).
    pub line: usize,
    /// What is wrong.
    pub problem: String,
}

impl WitnessConfig {
    /// Parses the file's text; `base` is the folder relative paths start
    /// from.
    pub fn parse(text: &str, base: &Path) -> Result<Self, ConfigError> {
        let (mut listen, mut database, mut key) = (None, None, None);
        let mut logs: Vec<VerifierKey> = Vec::new();
        for (index, line) in text.lines().enumerate() {
            let at = |problem: String| ConfigError {
                line: index + 1,
                problem,
            };
            let items: Vec<&str> = line.split([' ', '\t']).filter(|i| !i.is_empty()).collect();
            if items.first().is_none_or(|i| i.starts_with('#')) {
                continue;
            }
            let value = match items.as_slice() {
                [_, value] => *value,
                [keyword, ..] => {
                    return Err(at(format!("expected `{keyword} <value>` (one value)")));
                }
                [] => continue,
            };
            let once = |taken: bool, name: &str| match taken {
                true => Err(at(format!("a second `{name}` line"))),
                false => Ok(()),
            };
            match items[0] {
                "listen" => {
                    once(listen.is_some(), "listen")?;
                    let address = value
                        .parse()
                        .map_err(|_| at(format!("{value:?} is not an IP address and port")))?;
                    listen = Some(address);
                }
                "database" => {
                    once(database.is_some(), "database")?;
                    database = Some(base.join(value));
                }
                "key" => {
                    once(key.is_some(), "key")?;
                    key = Some(base.join(value));
                }
                "log" => {
                    let vkey =
                        VerifierKey::parse(value).map_err(|e| at(format!("the log key: {e}")))?;
                    if logs.iter().any(|k| k.name() == vkey.name()) {
                        return Err(at(format!("a second log with origin {}", vkey.name())));
                    }
                    logs.push(vkey);
                }
                other => {
                    return Err(at(format!(
                        "unknown keyword {other:?} (listen, database, key or log)"
                    )));
                }
            }
        }
        let missing = |name: &str| ConfigError {
            line: 0,
            problem: format!("no `{name}` line"),
        };
        Ok(Self {
            listen: listen.ok_or_else(|| missing("listen"))?,
            database: database.ok_or_else(|| missing("database"))?,
            key: key.ok_or_else(|| missing("key"))?,
            logs,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::note::{KeyName, SigningKey};

    fn vkey(origin: &str) -> String {
        SigningKey::from_seed(KeyName::new(origin).unwrap(), &[1; 32])
            .verifier_key()
            .encode()
    }

    #[test]
    fn a_configuration_parses_with_paths_relative_to_its_folder() {
        let text = format!(
            "# a witness\nlisten 127.0.0.1:0\n\tdatabase  w.db\nkey /etc/w.key\n\nlog {}\nlog {}\n",
            vkey("a.example/log"),
            vkey("b.example/log")
        );
        let config = WitnessConfig::parse(&text, Path::new("/srv/w")).unwrap();
        assert_eq!(config.database, Path::new("/srv/w/w.db"));
        assert_eq!(config.key, Path::new("/etc/w.key"));
        assert_eq!(config.logs.len(), 2);
    }

    #[test]
    fn refusals_name_the_line() {
        let base = Path::new(".");
        let err = |t: &str| WitnessConfig::parse(t, base).unwrap_err();
        assert_eq!(err("listen nowhere\n").line, 1);
        assert_eq!(err("listen 127.0.0.1:0\nlisten 127.0.0.1:1\n").line, 2);
        assert_eq!(err("colour blue\n").line, 1);
        assert_eq!(err("log not-a-key\n").line, 1);
        let twice = format!(
            "log {}\nlog {}\n",
            vkey("a.example/log"),
            vkey("a.example/log")
        );
        assert_eq!(err(&twice).line, 2);
        assert!(err("listen 127.0.0.1:0\n").problem.contains("database"));
        assert_eq!(err("key a b\n").line, 1);
    }
}
