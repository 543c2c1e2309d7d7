//! The server's one source of time (SPEC section 6), injectable so that
//! tests and demonstrations can move it.

use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

use crate::time::{Duration, Timestamp};

/// Where the server's time comes from.
#[derive(Debug)]
pub enum Clock {
    /// The operating system's clock.
    System,
    /// A clock that stands still until the secretariat moves it forward
    /// (`--simulated-clock`); every origin of such a server begins with
    /// `simulated.invalid/`.
    Simulated(Mutex<Timestamp>),
}

/// Why a simulated clock could not be moved.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ClockError {
    /// The server runs on the system clock.
    #[error("this server runs on the system clock, which cannot be moved")]
    NotSimulated,
    /// Time only moves forward: the log's times never decrease.
    #[error("a simulated clock only moves forward")]
    Backwards,
}

impl Clock {
    /// A simulated clock starting at `start`.
    pub fn simulated(start: Timestamp) -> Self {
        Self::Simulated(Mutex::new(start))
    }

    /// Whether this is a simulated clock.
    pub fn is_simulated(&self) -> bool {
        matches!(self, Self::Simulated(_))
    }

    /// The current time.
    pub fn now(&self) -> Timestamp {
        match self {
            Self::System => {
                let since = SystemTime::now()
                    .duration_since(UNIX_EPOCH)
                    .expect("invariant: the system clock is after 1970");
                Timestamp::from_unix_nanos(since.as_nanos() as i128)
                    .expect("invariant: the system clock is before year 10000")
            }
            Self::Simulated(now) => *now.lock().expect("clock lock is never poisoned"),
        }
    }

    /// Moves a simulated clock to `to`, which must not be in its past.
    pub fn set(&self, to: Timestamp) -> Result<Timestamp, ClockError> {
        match self {
            Self::System => Err(ClockError::NotSimulated),
            Self::Simulated(now) => {
                let mut now = now.lock().expect("clock lock is never poisoned");
                if to < *now {
                    return Err(ClockError::Backwards);
                }
                *now = to;
                Ok(to)
            }
        }
    }

    /// Moves a simulated clock forward by `by`.
    pub fn advance(&self, by: Duration) -> Result<Timestamp, ClockError> {
        let target = self.now().checked_add(by).ok_or(ClockError::Backwards)?;
        self.set(target)
    }
}
