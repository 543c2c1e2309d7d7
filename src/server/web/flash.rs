//! What a successful form post says once, on the page it redirects to
//! (Post/Redirect/Get).
//!
//! A form that changes something is answered `303 See Other` to the page
//! it came from, so that reloading that page, or going back to it, asks
//! for the page again and never posts the change twice (an attendance
//! import logged twice, a second token issued). What the change logged is
//! kept here, under the session's stored id hash, and the next `GET` of a
//! page of the same kind takes it: shown once, then gone.
//!
//! Kept in the server's memory, never in a URL, a cookie or the database:
//! a token just issued is shown in the next page and is nowhere else. The
//! map is bounded ([`MAX_FLASHES`], one per session, each kept at most
//! [`FLASH_SECONDS`]); a flash lost to a restart, or to a second server
//! process behind the same address, loses only the sentence: the change is
//! in the log and in the page's lists.
//!
//! Why it does not survive a restart, on purpose: a flash of the accounts
//! page carries a token just issued, in clear, and the server stores a
//! token nowhere but as its hash; writing flashes to the database would
//! put that secret on disk (and into backups) for the minutes it waits.
//! Storing the others and not that one would make the rule harder to
//! state for no gain, since what a lost flash said can be read again from
//! the log (the entry's index, the checkpoint) and the pages' lists.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::tlog::Hash;

/// Sessions with a flash waiting, at most (older ones are dropped first).
pub const MAX_FLASHES: usize = 4096;

/// How long a flash waits for its page.
pub const FLASH_SECONDS: u64 = 300;

/// What a change said, waiting for the page it redirected to.
pub enum Flash {
    /// A registry change of group `group` (the registry's pages).
    Registry {
        /// The group whose page shows it.
        group: String,
        /// What was logged.
        logged: super::registry::Logged,
    },
    /// An accounts change (the accounts page), a token included.
    Accounts(super::accounts::Done),
    /// A ballot of `group` cancelled from the announcement page: the
    /// ballot, its entry's index and the log's size after it.
    Cancelled {
        /// The group whose announcement page shows it.
        group: String,
        /// The ballot, the entry's index, the log's size.
        cancelled: (String, u64, u64),
    },
}

/// The flashes waiting, by session.
#[derive(Default)]
pub struct Flashes(Mutex<HashMap<Hash, (Instant, Flash)>>);

impl Flashes {
    /// Keeps `flash` for the session whose stored id hash is `session`,
    /// replacing one it had.
    pub fn put(&self, session: &Hash, flash: Flash) {
        let Ok(mut map) = self.0.lock() else { return };
        let now = Instant::now();
        let limit = Duration::from_secs(FLASH_SECONDS);
        map.retain(|_, (at, _)| now.duration_since(*at) < limit);
        if map.len() >= MAX_FLASHES
            && !map.contains_key(session)
            && let Some(oldest) = map.iter().min_by_key(|(_, (at, _))| *at).map(|(k, _)| *k)
        {
            map.remove(&oldest);
        }
        map.insert(*session, (now, flash));
    }

    /// Takes the session's flash if `wanted` says it belongs to this page;
    /// a flash for another page stays for that page.
    pub fn take(&self, session: &Hash, wanted: impl FnOnce(&Flash) -> bool) -> Option<Flash> {
        let mut map = self.0.lock().ok()?;
        let (at, flash) = map.get(session)?;
        if at.elapsed() >= Duration::from_secs(FLASH_SECONDS) {
            map.remove(session);
            return None;
        }
        if !wanted(flash) {
            return None;
        }
        map.remove(session).map(|(_, flash)| flash)
    }
}

/// `303 See Other` to `location` (a path of this server): the answer to a
/// form post that changed something.
pub fn see_other(location: &str) -> Response {
    let mut response = StatusCode::SEE_OTHER.into_response();
    if let Ok(value) = HeaderValue::from_str(location) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn done(person: &str) -> Flash {
        Flash::Accounts(super::super::accounts::Done {
            done: "created",
            person: person.to_owned(),
            ..Default::default()
        })
    }

    fn person(flash: Option<Flash>) -> Option<String> {
        match flash? {
            Flash::Accounts(d) => Some(d.person),
            Flash::Registry { .. } | Flash::Cancelled { .. } => None,
        }
    }

    #[test]
    fn a_flash_is_taken_once_by_its_own_session_and_page() {
        let flashes = Flashes::default();
        let a = Hash::sha256(b"a");
        let b = Hash::sha256(b"b");
        flashes.put(&a, done("alice"));
        assert!(
            person(flashes.take(&b, |_| true)).is_none(),
            "not another session's"
        );
        assert!(flashes.take(&a, |_| false).is_none(), "not another page's");
        assert_eq!(person(flashes.take(&a, |_| true)).as_deref(), Some("alice"));
        assert!(flashes.take(&a, |_| true).is_none(), "once only");
        flashes.put(&a, done("bob"));
        flashes.put(&a, done("carol"));
        assert_eq!(person(flashes.take(&a, |_| true)).as_deref(), Some("carol"));
    }

    #[test]
    fn the_map_stays_bounded() {
        let flashes = Flashes::default();
        for i in 0..MAX_FLASHES + 10 {
            flashes.put(&Hash::sha256(&i.to_be_bytes()), done("x"));
        }
        assert_eq!(flashes.0.lock().expect("lock").len(), MAX_FLASHES);
    }
}
