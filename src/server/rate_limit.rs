//! Write rate limits: a budget of writes (every request that is not a
//! `GET`, `HEAD` or `OPTIONS`) per client address and per authenticated
//! person, so that one client cannot fill a log or the sequencer's queue
//! (docs/threat-model.md, "Denial of service").
//!
//! Each budget is a GCRA ("generic cell rate algorithm", the ATM Forum's
//! virtual scheduling form, ITU-T I.371): a key's only state is its
//! *theoretical arrival time*, the instant at which its budget would be
//! full again. A request is allowed when, after adding one emission
//! interval (one over the rate), that instant lies at most `burst`
//! intervals ahead of now; otherwise it is refused with the time until it
//! would be allowed, and the state does not move. This is a token bucket
//! of `burst` tokens refilled at `rate` per second, in one number per key.
//!
//! Memory is bounded: a key whose instant has passed has its whole budget,
//! exactly as a key never seen, so it is dropped when the table is swept
//! (at most once a [`SWEEP_EVERY`], and when it is full). If the table is
//! still full of keys in use, new keys share one overflow budget until the
//! next sweep: a flood from very many addresses then throttles newcomers,
//! never the clients already known, and never grows the table.
//!
//! Time is the monotonic clock of the process, not the (possibly simulated)
//! clock of the logs: a budget is about real load.

use std::collections::HashMap;
use std::hash::Hash;
use std::net::IpAddr;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

/// The most keys one table holds.
const MAX_KEYS: usize = 1 << 16;

/// How often idle keys are dropped.
const SWEEP_EVERY: Duration = Duration::from_secs(60);

/// The least time between two sweeps forced by a full table, so that a
/// table full of keys in use is not swept on every request.
const FULL_SWEEP_EVERY: Duration = Duration::from_secs(1);

/// A budget: `burst` writes at once, refilled at `rate` a second.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Budget {
    /// Nanoseconds between two writes at the sustained rate.
    interval: u64,
    /// Nanoseconds a key's instant may run ahead of now: `burst` intervals.
    tolerance: u64,
}

impl Budget {
    /// `rate` writes a second with bursts of `burst`; `None` (no limit)
    /// when `rate` is 0. A burst below 1 is taken as 1.
    pub fn new(rate: u32, burst: u32) -> Option<Self> {
        if rate == 0 {
            return None;
        }
        let interval = 1_000_000_000 / u64::from(rate);
        Some(Self {
            interval,
            tolerance: interval.saturating_mul(u64::from(burst.max(1))),
        })
    }
}

/// A refused write: how long until the key's next write would be allowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryAfter(pub Duration);

impl RetryAfter {
    /// Whole seconds, rounded up and at least 1, as `Retry-After` wants
    /// them (RFC 9110 section 10.2.3).
    pub fn seconds(self) -> u64 {
        let nanos = self.0.as_nanos();
        u64::try_from(nanos.div_ceil(1_000_000_000))
            .unwrap_or(u64::MAX)
            .max(1)
    }
}

/// One budget per key (module documentation).
pub struct Limiter<K> {
    /// `None`: no limit, and nothing is kept.
    budget: Option<Budget>,
    /// The instant that nanosecond counts start from.
    start: Instant,
    /// The keys' instants, the overflow budget's, and the last sweep.
    table: Mutex<Table<K>>,
}

struct Table<K> {
    /// Each key's theoretical arrival time, in nanoseconds since `start`.
    instants: HashMap<K, u64>,
    /// The instant of the budget shared by new keys while the table is
    /// full.
    overflow: u64,
    /// When the table was last swept.
    swept: u64,
}

impl<K: Hash + Eq> Limiter<K> {
    /// A limiter with `budget` for each key (none: every write allowed).
    pub fn new(budget: Option<Budget>) -> Self {
        Self {
            budget,
            start: Instant::now(),
            table: Mutex::new(Table {
                instants: HashMap::new(),
                overflow: 0,
                swept: 0,
            }),
        }
    }

    /// Whether there is a limit at all (without one, a caller need not
    /// work out the key).
    pub fn is_limited(&self) -> bool {
        self.budget.is_some()
    }

    /// Counts one write of `key` now; `Err` if its budget is spent, and
    /// then nothing is counted.
    pub fn check(&self, key: K) -> Result<(), RetryAfter> {
        let Some(budget) = self.budget else {
            return Ok(());
        };
        // Saturates after 584 years.
        let now = u64::try_from(self.start.elapsed().as_nanos()).unwrap_or(u64::MAX);
        self.check_at(budget, key, now)
    }

    fn check_at(&self, budget: Budget, key: K, now: u64) -> Result<(), RetryAfter> {
        let mut table = self.table.lock().unwrap_or_else(PoisonError::into_inner);
        let table = &mut *table;
        if let Some(instant) = table.instants.get_mut(&key) {
            return gcra(budget, instant, now);
        }
        let due = now.saturating_sub(table.swept);
        let full = table.instants.len() >= MAX_KEYS;
        if due >= SWEEP_EVERY.as_nanos() as u64
            || (full && due >= FULL_SWEEP_EVERY.as_nanos() as u64)
        {
            table.instants.retain(|_, instant| *instant > now);
            table.swept = now;
        }
        if table.instants.len() >= MAX_KEYS {
            return gcra(budget, &mut table.overflow, now);
        }
        let mut instant = now;
        let answer = gcra(budget, &mut instant, now);
        table.instants.insert(key, instant);
        answer
    }

    /// How many keys are kept (for tests).
    #[cfg(test)]
    fn len(&self) -> usize {
        self.table
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .instants
            .len()
    }
}

/// One GCRA step on a key's instant.
fn gcra(budget: Budget, instant: &mut u64, now: u64) -> Result<(), RetryAfter> {
    let next = (*instant).max(now).saturating_add(budget.interval);
    let ahead = next - now;
    if ahead > budget.tolerance {
        return Err(RetryAfter(Duration::from_nanos(ahead - budget.tolerance)));
    }
    *instant = next;
    Ok(())
}

/// The key of a client address: an IPv4 address (also when written as an
/// IPv4-mapped IPv6 address), or an IPv6 address's /64 prefix, since one
/// host usually holds a whole /64 (RFC 4291 section 2.5.1) and could
/// otherwise take a fresh budget for every request.
pub fn address_key(address: IpAddr) -> IpAddr {
    match address {
        IpAddr::V4(v4) => IpAddr::V4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let bits = u128::from(v6) & !((1u128 << 64) - 1);
                IpAddr::V6(bits.into())
            }
        },
    }
}

/// The server's two write budgets.
pub struct WriteLimits {
    /// Per client address ([`address_key`]).
    pub address: Limiter<IpAddr>,
    /// Per authenticated person.
    pub person: Limiter<String>,
}

impl WriteLimits {
    /// The budgets the configuration sets.
    pub fn new(config: &super::config::Config) -> Self {
        Self {
            address: Limiter::new(Budget::new(
                config.write_rate_per_address,
                config.write_burst_per_address,
            )),
            person: Limiter::new(Budget::new(
                config.write_rate_per_person,
                config.write_burst_per_person,
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECOND: u64 = 1_000_000_000;

    fn limiter(rate: u32, burst: u32) -> (Limiter<u32>, Budget) {
        let budget = Budget::new(rate, burst).expect("a limit");
        (Limiter::new(Some(budget)), budget)
    }

    #[test]
    fn a_burst_then_the_rate() {
        // 2 a second, bursts of 3: three at once, then one every half
        // second; the refusal says how long until the next.
        let (limiter, budget) = limiter(2, 3);
        for _ in 0..3 {
            assert_eq!(limiter.check_at(budget, 7, 0), Ok(()));
        }
        assert_eq!(
            limiter.check_at(budget, 7, 0),
            Err(RetryAfter(Duration::from_millis(500)))
        );
        assert_eq!(
            limiter.check_at(budget, 7, SECOND / 4),
            Err(RetryAfter(Duration::from_millis(250)))
        );
        assert_eq!(limiter.check_at(budget, 7, SECOND / 2), Ok(()));
        assert!(limiter.check_at(budget, 7, SECOND / 2).is_err());
        // Another key has its own budget.
        assert_eq!(limiter.check_at(budget, 8, SECOND / 2), Ok(()));
        // Idle for long, a key has its burst again, not more.
        for _ in 0..3 {
            assert_eq!(limiter.check_at(budget, 7, 100 * SECOND), Ok(()));
        }
        assert!(limiter.check_at(budget, 7, 100 * SECOND).is_err());
    }

    #[test]
    fn no_rate_is_no_limit() {
        assert_eq!(Budget::new(0, 10), None);
        let limiter = Limiter::new(None);
        for _ in 0..10_000 {
            assert_eq!(limiter.check(1u8), Ok(()));
        }
        assert_eq!(limiter.len(), 0, "nothing is kept");
    }

    #[test]
    fn retry_after_is_whole_seconds_rounded_up() {
        let seconds = |nanos| RetryAfter(Duration::from_nanos(nanos)).seconds();
        assert_eq!(seconds(1), 1);
        assert_eq!(seconds(SECOND), 1);
        assert_eq!(seconds(SECOND + 1), 2);
    }

    #[test]
    fn idle_keys_are_dropped_and_a_full_table_shares_one_budget() {
        let (limiter, budget) = limiter(1, 1);
        for key in 0..MAX_KEYS as u32 {
            assert_eq!(limiter.check_at(budget, key, 0), Ok(()));
        }
        assert_eq!(limiter.len(), MAX_KEYS);
        // Full of keys in use: newcomers share the overflow budget, and
        // the table does not grow.
        let newcomer = MAX_KEYS as u32;
        assert_eq!(limiter.check_at(budget, newcomer, 1), Ok(()));
        assert!(limiter.check_at(budget, newcomer + 1, 2).is_err());
        assert_eq!(limiter.len(), MAX_KEYS);
        // Known keys keep their own budgets meanwhile.
        assert!(limiter.check_at(budget, 0, 2).is_err());
        // Once their budgets are full again, the keys are dropped (no
        // answer changes: a dropped key starts with its whole budget).
        assert_eq!(limiter.check_at(budget, newcomer, 2 * SECOND), Ok(()));
        assert_eq!(limiter.len(), 1);
        assert_eq!(limiter.check_at(budget, 0, 2 * SECOND), Ok(()));
    }

    #[test]
    fn idle_keys_are_swept_even_when_the_table_is_not_full() {
        let (limiter, budget) = limiter(1, 1);
        for key in 0..100 {
            assert_eq!(limiter.check_at(budget, key, 0), Ok(()));
        }
        let later = SWEEP_EVERY.as_nanos() as u64;
        assert_eq!(limiter.check_at(budget, 1000, later), Ok(()));
        assert_eq!(limiter.len(), 1);
    }

    #[test]
    fn addresses_are_keyed_by_host() {
        let key = |text: &str| address_key(text.parse().expect("an address"));
        assert_eq!(key("192.0.2.1"), key("::ffff:192.0.2.1"));
        assert_ne!(key("192.0.2.1"), key("192.0.2.2"));
        assert_eq!(key("2001:db8:1:2:aaaa::1"), key("2001:db8:1:2:bbbb::2"));
        assert_ne!(key("2001:db8:1:2::1"), key("2001:db8:1:3::1"));
    }
}
