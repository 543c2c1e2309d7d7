//! Where messages go: an SMTP relay (`--smtp-url`) or, without one,
//! `.eml` files under the data directory.
//!
//! `smtp://[user:pass@]host[:port]` requires STARTTLS (port 587 by
//! default), `smtps://` is TLS from the first byte (465), and
//! `smtp+plain://` speaks SMTP in clear, refused unless the host is a
//! loopback address (a test relay on the same machine).

use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration as StdDuration;

use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::transport::smtp::extension::ClientId;
use lettre::{AsyncSmtpTransport, AsyncTransport as _, Message, Tokio1Executor};

/// The most a conversation with the relay may take.
const SMTP_TIMEOUT: StdDuration = StdDuration::from_secs(30);

/// Where messages go.
pub enum Transport {
    /// An SMTP relay.
    Smtp {
        /// The client.
        client: AsyncSmtpTransport<Tokio1Executor>,
        /// The relay for start-up's message (no password).
        describe: String,
    },
    /// A directory of `.eml` files (no relay configured).
    Files(PathBuf),
}

/// Why `--smtp-url` is refused.
#[derive(Debug, thiserror::Error)]
pub enum TransportError {
    /// Not `smtp://`, `smtps://` or `smtp+plain://host[:port]`.
    #[error(
        "--smtp-url {0:?} is not smtp://[user:pass@]host[:port] (STARTTLS), smtps://… \
         (implicit TLS) or smtp+plain://… (loopback only)"
    )]
    Syntax(String),
    /// `smtp+plain://` to a host that is not a loopback address.
    #[error(
        "smtp+plain:// sends in clear text and is accepted only to a loopback address, not {0:?}"
    )]
    PlainNotLoopback(String),
    /// The CA file.
    #[error("--smtp-ca-file: {0}")]
    Ca(String),
    /// lettre refused the relay's settings.
    #[error("SMTP settings: {0}")]
    Client(String),
}

/// What an accepted send gives back.
pub enum Sent {
    /// The relay's reply to the message's data (2yz).
    Relay(String),
    /// The file written.
    File(String),
}

/// Why a send did not succeed.
pub enum SendError {
    /// 5yz: the relay refuses it for good.
    Permanent(String),
    /// 4yz, no connection, a time-out, TLS: worth another try.
    Transient(String),
}

/// Decodes `%XX` escapes of a URL's user or password.
fn percent_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = text.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

impl Transport {
    /// The relay `url`, greeting it as `domain` (the sender's domain);
    /// `ca` replaces the built-in roots for the relay's certificate.
    pub fn smtp(url: &str, domain: &str, ca: Option<&[u8]>) -> Result<Self, TransportError> {
        let syntax = || TransportError::Syntax(url.to_owned());
        let (scheme, rest) = url.split_once("://").ok_or_else(syntax)?;
        let rest = rest.trim_end_matches('/');
        let (userinfo, hostport) = match rest.rsplit_once('@') {
            Some((userinfo, hostport)) => (Some(userinfo), hostport),
            None => (None, rest),
        };
        let (host, port) = match hostport.rsplit_once(':') {
            Some((host, port)) if !host.is_empty() && !port.contains(']') => {
                (host, Some(port.parse::<u16>().map_err(|_| syntax())?))
            }
            _ => (hostport, None),
        };
        let host = host.trim_start_matches('[').trim_end_matches(']');
        if host.is_empty() || host.contains(['/', '?', '#']) {
            return Err(syntax());
        }
        let tls_parameters = || -> Result<TlsParameters, TransportError> {
            let mut builder = TlsParameters::builder(host.to_owned());
            if let Some(pem) = ca {
                let certificate =
                    Certificate::from_pem(pem).map_err(|e| TransportError::Ca(e.to_string()))?;
                builder = builder.add_root_certificate(certificate);
            }
            builder
                .build_rustls()
                .map_err(|e| TransportError::Client(e.to_string()))
        };
        let builder = match scheme {
            "smtp" => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host)
                .port(port.unwrap_or(587))
                .tls(Tls::Required(tls_parameters()?)),
            "smtps" => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host)
                .port(port.unwrap_or(465))
                .tls(Tls::Wrapper(tls_parameters()?)),
            "smtp+plain" => {
                let loopback =
                    host == "localhost" || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback());
                if !loopback {
                    return Err(TransportError::PlainNotLoopback(host.to_owned()));
                }
                AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host)
                    .port(port.unwrap_or(25))
                    .tls(Tls::None)
            }
            _ => return Err(syntax()),
        };
        let mut builder = builder
            .timeout(Some(SMTP_TIMEOUT))
            .hello_name(ClientId::Domain(domain.to_owned()));
        if let Some(userinfo) = userinfo {
            let (user, pass) = userinfo.split_once(':').ok_or_else(syntax)?;
            let user = percent_decode(user).ok_or_else(syntax)?;
            let pass = percent_decode(pass).ok_or_else(syntax)?;
            builder = builder.credentials(Credentials::new(user, pass));
        }
        let port = port.map_or_else(String::new, |p| format!(":{p}"));
        Ok(Transport::Smtp {
            client: builder.build(),
            describe: format!("{scheme}://{host}{port}"),
        })
    }

    /// Sends `message` (or writes it as `name` in the directory).
    pub async fn send(&self, message: &Message, name: &str) -> Result<Sent, SendError> {
        match self {
            Transport::Smtp { client, .. } => match client.send(message.clone()).await {
                Ok(response) => {
                    let text: Vec<String> =
                        response.message().map(|line| line.to_string()).collect();
                    Ok(Sent::Relay(format!(
                        "{} {}",
                        response.code(),
                        text.join(" ")
                    )))
                }
                Err(e) if e.is_permanent() => Err(SendError::Permanent(e.to_string())),
                Err(e) => Err(SendError::Transient(e.to_string())),
            },
            Transport::Files(dir) => {
                let written = (|| {
                    std::fs::create_dir_all(dir)?;
                    let path = dir.join(name);
                    let temporary = dir.join(format!(".{name}.tmp"));
                    std::fs::write(&temporary, message.formatted())?;
                    std::fs::rename(&temporary, &path)?;
                    Ok::<_, std::io::Error>(path)
                })();
                match written {
                    Ok(path) => Ok(Sent::File(path.display().to_string())),
                    Err(e) => Err(SendError::Transient(format!("cannot write the file: {e}"))),
                }
            }
        }
    }
}
