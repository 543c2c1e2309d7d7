//! `loadtest --pages`: how long the web application's pages take while
//! the votes pour in (SPEC section 8: pages render server-side in a few
//! milliseconds).
//!
//! Before the load, a delegate and the secretariat sign in through the
//! sign-in form, as a browser does (its CSRF cookie and field, then the
//! session cookie). During the load one thread fetches, in turn and with
//! a pause between requests so that it adds little load of its own, the
//! delegate's home and ballot page, the secretariat's registry page (every
//! organisation of the group) and the public receipt check page, each
//! session on its own keep-alive connection, and times each answer from
//! the first byte sent to the last byte read. Every answer must be a
//! `200`; anything else is counted, not timed.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use serde::Serialize;

use super::wire::{Answer, Connection};

/// The pause between two page requests of the probe.
const PAUSE: Duration = Duration::from_millis(20);
/// The session cookie's name (`src/server/web/session.rs`).
const SESSION_COOKIE: &str = "scrutineer_session";

/// A signed-in browser: its connection and its cookies.
pub struct Browser {
    connection: Connection,
    cookie: String,
}

impl Browser {
    /// Signs in with `token` through the sign-in form, as a browser does.
    pub fn sign_in(address: &str, token: &str) -> anyhow::Result<Self> {
        let mut connection = Connection::new(address);
        let form = connection
            .send(&request("GET", "/sign-in", None, None))
            .context("GET /sign-in")?;
        if form.status != 200 {
            bail!("GET /sign-in answered {}", form.status);
        }
        let html = String::from_utf8_lossy(&form.body);
        let csrf = field_value(&html, "csrf").context("the sign-in form has no csrf field")?;
        let body = format!("csrf={}&token={}", form_encode(&csrf), form_encode(token));
        let cookie = form.cookies.join("; ");
        let answer = connection
            .send(&request("POST", "/sign-in", Some(&cookie), Some(&body)))
            .context("POST /sign-in")?;
        let session = answer
            .cookies
            .iter()
            .find(|c| c.starts_with(&format!("{SESSION_COOKIE}=")))
            .with_context(|| format!("signing in answered {} and no session", answer.status))?;
        Ok(Self {
            connection,
            cookie: session.clone(),
        })
    }

    /// Fetches `path` with the session, timing the answer.
    fn fetch(&mut self, path: &str) -> (std::io::Result<Answer>, Duration) {
        let rendered = request("GET", path, Some(&self.cookie), None);
        let started = Instant::now();
        let answer = self.connection.send(&rendered);
        (answer, started.elapsed())
    }
}

/// One page's latencies over the run.
#[derive(Serialize)]
pub struct PageLatency {
    /// The page's path.
    pub page: String,
    /// Who fetched it.
    pub as_who: &'static str,
    /// Answers timed (each a `200`).
    pub requests: usize,
    /// Percentiles and maximum, in milliseconds.
    pub p50_ms: f64,
    pub p90_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
    /// Answers that were not a `200`, or failed, by what they were.
    pub errors: BTreeMap<String, u64>,
}

/// The probe, running until [`Probe::finish`].
pub struct Probe {
    stop: Arc<AtomicBool>,
    thread: JoinHandle<Vec<PageLatency>>,
}

impl Probe {
    /// Starts fetching `pages` (path, who, browser index) in turn with
    /// `browsers`.
    pub fn start(mut browsers: Vec<Browser>, pages: Vec<(String, &'static str, usize)>) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&stop);
        let thread = std::thread::spawn(move || {
            let mut timed: Vec<Vec<Duration>> = vec![Vec::new(); pages.len()];
            let mut errors: Vec<BTreeMap<String, u64>> = vec![BTreeMap::new(); pages.len()];
            'run: loop {
                for (k, (path, _, browser)) in pages.iter().enumerate() {
                    if flag.load(Ordering::Relaxed) {
                        break 'run;
                    }
                    match browsers[*browser].fetch(path) {
                        (Ok(answer), took) if answer.status == 200 => timed[k].push(took),
                        (Ok(answer), _) => {
                            *errors[k].entry(format!("{}", answer.status)).or_default() += 1;
                        }
                        (Err(e), _) => *errors[k].entry(e.kind().to_string()).or_default() += 1,
                    }
                    std::thread::sleep(PAUSE);
                }
            }
            pages
                .into_iter()
                .zip(timed.into_iter().zip(errors))
                .map(|((page, as_who, _), (mut times, errors))| {
                    times.sort_unstable();
                    let at = |q: f64| -> f64 {
                        if times.is_empty() {
                            return 0.0;
                        }
                        let rank = ((q * times.len() as f64).ceil() as usize).clamp(1, times.len());
                        times[rank - 1].as_secs_f64() * 1000.0
                    };
                    PageLatency {
                        page,
                        as_who,
                        requests: times.len(),
                        p50_ms: at(0.50),
                        p90_ms: at(0.90),
                        p99_ms: at(0.99),
                        max_ms: at(1.0),
                        errors,
                    }
                })
                .collect()
        });
        Self { stop, thread }
    }

    /// Stops the probe and gives each page's latencies.
    pub fn finish(self) -> Vec<PageLatency> {
        self.stop.store(true, Ordering::Relaxed);
        self.thread
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
    }
}

/// A browser's request: a page, or a form post.
fn request(method: &str, path: &str, cookie: Option<&str>, form: Option<&str>) -> Vec<u8> {
    let mut head = format!("{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/html\r\n");
    if let Some(cookie) = cookie.filter(|c| !c.is_empty()) {
        head.push_str(&format!("Cookie: {cookie}\r\n"));
    }
    let body = form.unwrap_or_default();
    if method != "GET" {
        head.push_str("Content-Type: application/x-www-form-urlencoded\r\n");
        head.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    head.push_str("\r\n");
    head.push_str(body);
    head.into_bytes()
}

/// The value of the first `<input name="{name}" … value="…">` of a page.
fn field_value(html: &str, name: &str) -> Option<String> {
    let at = html.find(&format!("name=\"{name}\""))?;
    let tag_end = at + html[at..].find('>')?;
    let tag_start = html[..at].rfind('<')?;
    let tag = &html[tag_start..tag_end];
    let value = tag.split("value=\"").nth(1)?;
    Some(value[..value.find('"')?].to_owned())
}

/// `application/x-www-form-urlencoded`: unreserved bytes as they are,
/// every other byte percent-encoded.
fn form_encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fields_value_is_read_from_its_input_tag() {
        let html =
            r#"<form><input type="hidden" name="csrf" value="a-b_c"><input name="token"></form>"#;
        assert_eq!(field_value(html, "csrf").as_deref(), Some("a-b_c"));
        assert_eq!(field_value(html, "token"), None);
        assert_eq!(field_value(html, "other"), None);
    }

    #[test]
    fn form_values_are_percent_encoded() {
        assert_eq!(form_encode("scr_a+b/c=d"), "scr_a%2Bb%2Fc%3Dd");
    }
}
