//! UTC instants and the two kinds of duration the rules use.
//!
//! SPEC section 2: all times are UTC and durations are exact (30 days =
//! 30 × 86 400 s), except the ITU-T notice of three *calendar* months
//! (SPEC 2.2 item 6). Both are implemented here, with the proleptic
//! Gregorian calendar written out below rather than taken from a crate, so
//! that the rules, the log and the offline verifier share one small,
//! dependency-free definition of time.
//!
//! # Text forms
//!
//! - Input: RFC 3339 `date-time` in UTC only: `YYYY-MM-DDTHH:MM:SS[.f]Z`
//!   with 1 to 9 fractional digits. Offsets (even `+00:00`), lowercase `t`
//!   or `z`, a space separator, leap second 60 and impossible dates
//!   (`2021-02-29`) are refused: an instant has exactly one accepted
//!   spelling family, which is what signed notes and log entries need.
//! - [`Timestamp::to_rfc3339_micros`]: exactly 6 fractional digits (SPEC
//!   section 4 entry `time`, e.g. `2026-11-22T12:00:00.123456Z`).
//! - [`Display`](fmt::Display): the plain form, with the fraction only when
//!   it is non-zero and without trailing zeros (`2021-08-04T09:00:00Z`).
//!
//! # Range and precision
//!
//! Years 0000 to 9999 (the four-digit years of RFC 3339), nanosecond
//! precision. Arithmetic that would leave the range returns `None`.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

const NANOS_PER_SECOND: i128 = 1_000_000_000;
const SECONDS_PER_DAY: i128 = 86_400;
const NANOS_PER_DAY: i128 = SECONDS_PER_DAY * NANOS_PER_SECOND;

/// Days from 0000-03-01 to 1970-01-01 in the proleptic Gregorian calendar;
/// the civil arithmetic below counts from a March-based year 0.
const DAYS_FROM_YEAR_ZERO_MARCH_TO_EPOCH: i64 = 719_468;
/// Days in one 400-year Gregorian cycle.
const DAYS_PER_ERA: i64 = 146_097;

/// Why a text is not an accepted UTC timestamp.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TimeError {
    /// The text does not have the shape `YYYY-MM-DDTHH:MM:SS[.f]Z`.
    #[error("expected {expected} at byte {at} (format YYYY-MM-DDTHH:MM:SS[.fraction]Z)")]
    Syntax {
        /// Byte offset of the problem.
        at: usize,
        /// What was expected there.
        expected: &'static str,
    },
    /// A numeric offset instead of `Z`: all times are UTC (SPEC section 2).
    #[error("only UTC with the `Z` suffix is accepted, not a numeric offset")]
    Offset,
    /// Lowercase `t` or `z`: RFC 3339 allows them, this project does not.
    #[error("the separators must be uppercase `T` and `Z`")]
    Lowercase,
    /// More than 9 fractional digits cannot be represented exactly.
    #[error("at most 9 fractional digits (nanoseconds) are accepted")]
    TooPrecise,
    /// A field outside its range (month 13, hour 24, minute 60, ...).
    #[error("{field} {value} is out of range")]
    OutOfRange {
        /// The field's name.
        field: &'static str,
        /// Its value.
        value: u32,
    },
    /// Second 60: UTC leap seconds are not representable in the rules'
    /// arithmetic, and no ballot deadline falls on one.
    #[error("leap second 60 is not accepted")]
    LeapSecond,
    /// A day that does not exist in that month (30 February).
    #[error("{year:04}-{month:02} has no day {day}")]
    NoSuchDay {
        /// The year.
        year: u32,
        /// The month.
        month: u32,
        /// The day.
        day: u32,
    },
}

/// A UTC instant, with nanosecond precision, between 0000-01-01T00:00:00Z
/// and 9999-12-31T23:59:59.999999999Z.
///
/// Ordering is chronological. Construct it by parsing RFC 3339 or from Unix
/// time; the rules never read a clock (the server injects one).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp {
    /// Nanoseconds since 1970-01-01T00:00:00Z (negative before). `i128`
    /// keeps every sum and product of the calendar arithmetic exact.
    nanos: i128,
}

/// An exact duration, in nanoseconds (SPEC section 2: "Durations are
/// exact"). May be negative.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Duration {
    nanos: i128,
}

impl Duration {
    /// The zero duration.
    pub const ZERO: Duration = Duration { nanos: 0 };

    /// `n` days of exactly 86 400 seconds each (SPEC section 2).
    pub const fn days(n: i64) -> Self {
        Duration {
            nanos: n as i128 * NANOS_PER_DAY,
        }
    }

    /// `n` seconds.
    pub const fn seconds(n: i64) -> Self {
        Duration {
            nanos: n as i128 * NANOS_PER_SECOND,
        }
    }

    /// `n` nanoseconds.
    pub const fn nanoseconds(n: i64) -> Self {
        Duration { nanos: n as i128 }
    }

    /// The duration in nanoseconds.
    pub const fn as_nanos(self) -> i128 {
        self.nanos
    }
}

/// Whether `year` is a leap year of the Gregorian calendar.
pub const fn is_leap_year(year: i64) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

/// The number of days of `month` (1 to 12) in `year`.
pub const fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if is_leap_year(year) => 29,
        _ => 28,
    }
}

/// Days since 1970-01-01 of the civil date `year-month-day`.
///
/// The year is taken to begin on 1 March, so that the leap day is the last
/// day of its year and the month lengths from March on repeat in a
/// 153-day pattern of five months (31, 30, 31, 30, 31). The day of the
/// shifted year is then `(153 × m + 2) / 5 + day − 1` with `m` = 0 for
/// March, and whole 400-year eras of 146 097 days handle the century rule.
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let shifted_month = i64::from((month + 9) % 12);
    let day_of_year = (153 * shifted_month + 2) / 5 + i64::from(day) - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * DAYS_PER_ERA + day_of_era - DAYS_FROM_YEAR_ZERO_MARCH_TO_EPOCH
}

/// The civil date `(year, month, day)` of a count of days since
/// 1970-01-01: the inverse of [`days_from_civil`].
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let days = days + DAYS_FROM_YEAR_ZERO_MARCH_TO_EPOCH;
    let era = days.div_euclid(DAYS_PER_ERA);
    let day_of_era = days - era * DAYS_PER_ERA;
    // Remove the leap days (every 4th year, not every 100th, every 400th)
    // before dividing by 365; the last day of an era is the one case where
    // the 146 096 term matters.
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let shifted_month = (5 * day_of_year + 2) / 153;
    // Both narrowings are of small non-negative numbers (day 1..=31,
    // shifted month 0..=11).
    let day = (day_of_year - (153 * shifted_month + 2) / 5 + 1) as u32;
    let month = if shifted_month < 10 {
        shifted_month + 3
    } else {
        shifted_month - 9
    } as u32;
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// The broken-down civil form of a [`Timestamp`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Civil {
    year: i64,
    month: u32,
    day: u32,
    hour: u32,
    minute: u32,
    second: u32,
    nanosecond: u32,
}

impl Timestamp {
    /// 0000-01-01T00:00:00Z, the earliest representable instant.
    pub const MIN: Timestamp = Timestamp {
        nanos: -62_167_219_200 * NANOS_PER_SECOND,
    };
    /// 9999-12-31T23:59:59.999999999Z, the latest representable instant.
    pub const MAX: Timestamp = Timestamp {
        nanos: 253_402_300_800 * NANOS_PER_SECOND - 1,
    };
    /// 1970-01-01T00:00:00Z.
    pub const UNIX_EPOCH: Timestamp = Timestamp { nanos: 0 };

    /// The instant `seconds` + `nanos` after the Unix epoch, if it lies in
    /// the supported range and `nanos` < 10⁹.
    pub fn from_unix(seconds: i64, nanos: u32) -> Option<Self> {
        if i128::from(nanos) >= NANOS_PER_SECOND {
            return None;
        }
        Self::from_unix_nanos(i128::from(seconds) * NANOS_PER_SECOND + i128::from(nanos))
    }

    /// The instant `nanos` nanoseconds after the Unix epoch, if in range.
    pub fn from_unix_nanos(nanos: i128) -> Option<Self> {
        let t = Timestamp { nanos };
        (Self::MIN <= t && t <= Self::MAX).then_some(t)
    }

    /// Nanoseconds since the Unix epoch.
    pub const fn unix_nanos(self) -> i128 {
        self.nanos
    }

    /// Whole seconds since the Unix epoch (rounded towards the past).
    pub fn unix_seconds(self) -> i64 {
        // In range by construction: |seconds| < 2.6e11 fits in i64.
        self.nanos.div_euclid(NANOS_PER_SECOND) as i64
    }

    /// The nanoseconds within the second (0 to 999 999 999).
    pub fn subsec_nanos(self) -> u32 {
        // rem_euclid by 10⁹ is in 0..10⁹, which fits in u32.
        self.nanos.rem_euclid(NANOS_PER_SECOND) as u32
    }

    /// This instant plus an exact duration, if the result is in range.
    pub fn checked_add(self, duration: Duration) -> Option<Self> {
        Self::from_unix_nanos(self.nanos.checked_add(duration.nanos)?)
    }

    /// This instant minus an exact duration, if the result is in range.
    pub fn checked_sub(self, duration: Duration) -> Option<Self> {
        Self::from_unix_nanos(self.nanos.checked_sub(duration.nanos)?)
    }

    /// The exact duration from `earlier` to `self` (negative if `earlier`
    /// is later).
    pub fn since(self, earlier: Timestamp) -> Duration {
        Duration {
            nanos: self.nanos - earlier.nanos,
        }
    }

    /// This instant plus `months` calendar months: same day of month,
    /// clamped to the last day of the target month, time of day kept
    /// (SPEC 2.2 item 6, WTSA Res. 1 §9.3.3 "three months"). `None` if the
    /// result is past year 9999.
    ///
    /// For example 2017-11-30T10:00:00Z + 3 months = 2018-02-28T10:00:00Z,
    /// and 2019-11-30 + 3 months = 2020-02-29.
    pub fn checked_add_months(self, months: u32) -> Option<Self> {
        let civil = self.civil();
        let month_index = civil.year * 12 + i64::from(civil.month - 1) + i64::from(months);
        let year = month_index.div_euclid(12);
        // rem_euclid(12) is 0..=11.
        let month = month_index.rem_euclid(12) as u32 + 1;
        let day = civil.day.min(days_in_month(year, month));
        let days = days_from_civil(year, month, day);
        let time_of_day = self.nanos.rem_euclid(NANOS_PER_DAY);
        Self::from_unix_nanos(i128::from(days) * NANOS_PER_DAY + time_of_day)
    }

    fn civil(self) -> Civil {
        let days = self.nanos.div_euclid(NANOS_PER_DAY);
        let in_day = self.nanos.rem_euclid(NANOS_PER_DAY);
        // |days| < 4e6 in the supported range, so the narrowing is exact.
        let (year, month, day) = civil_from_days(days as i64);
        let seconds = (in_day / NANOS_PER_SECOND) as u32;
        Civil {
            year,
            month,
            day,
            hour: seconds / 3600,
            minute: seconds / 60 % 60,
            second: seconds % 60,
            nanosecond: (in_day % NANOS_PER_SECOND) as u32,
        }
    }

    /// Parses an RFC 3339 UTC timestamp with the `Z` suffix (see the module
    /// documentation for what is refused and why).
    pub fn parse(text: &str) -> Result<Self, TimeError> {
        Parser {
            bytes: text.as_bytes(),
        }
        .parse()
    }

    /// This instant rounded towards the past to the microsecond: the
    /// precision of a log entry's `time` line (SPEC section 4), so that a
    /// decision taken at the time an entry will carry is re-derived exactly
    /// from the entry.
    pub fn floor_micros(self) -> Self {
        Self {
            nanos: self.nanos - self.nanos.rem_euclid(1000),
        }
        .max(Self::MIN)
    }

    /// The RFC 3339 form with exactly 6 fractional digits, as in a log
    /// entry's `time` line (SPEC section 4). Nanoseconds below the
    /// microsecond are dropped (rounded towards the past), so the text
    /// never names an instant later than this one.
    pub fn to_rfc3339_micros(self) -> String {
        let c = self.civil();
        format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}Z",
            c.year,
            c.month,
            c.day,
            c.hour,
            c.minute,
            c.second,
            c.nanosecond / 1000
        )
    }
}

/// A cursor over the bytes of a timestamp being parsed.
struct Parser<'a> {
    bytes: &'a [u8],
}

impl Parser<'_> {
    fn digits(&self, at: usize, count: usize, expected: &'static str) -> Result<u32, TimeError> {
        let mut value = 0u32;
        for i in at..at + count {
            match self.bytes.get(i) {
                Some(b) if b.is_ascii_digit() => value = value * 10 + u32::from(b - b'0'),
                _ => return Err(TimeError::Syntax { at: i, expected }),
            }
        }
        Ok(value)
    }

    fn literal(&self, at: usize, want: u8) -> Result<(), TimeError> {
        match self.bytes.get(at) {
            Some(&b) if b == want => Ok(()),
            Some(&b) if want == b'T' && b == b't' => Err(TimeError::Lowercase),
            Some(&b'Z' | &b'z') if want == b'Z' => Err(TimeError::Lowercase),
            Some(&b'+' | &b'-') if want == b'Z' => Err(TimeError::Offset),
            _ => Err(TimeError::Syntax {
                at,
                expected: match want {
                    b'-' => "'-'",
                    b':' => "':'",
                    b'T' => "'T'",
                    _ => "'Z'",
                },
            }),
        }
    }

    fn parse(&self) -> Result<Timestamp, TimeError> {
        let year = self.digits(0, 4, "a four-digit year")?;
        self.literal(4, b'-')?;
        let month = self.digits(5, 2, "a two-digit month")?;
        self.literal(7, b'-')?;
        let day = self.digits(8, 2, "a two-digit day")?;
        self.literal(10, b'T')?;
        let hour = self.digits(11, 2, "a two-digit hour")?;
        self.literal(13, b':')?;
        let minute = self.digits(14, 2, "two-digit minutes")?;
        self.literal(16, b':')?;
        let second = self.digits(17, 2, "two-digit seconds")?;
        let mut at = 19;
        let mut nanosecond = 0u32;
        if self.bytes.get(at) == Some(&b'.') {
            at += 1;
            let start = at;
            while self.bytes.get(at).is_some_and(u8::is_ascii_digit) {
                at += 1;
            }
            let count = at - start;
            if count == 0 {
                return Err(TimeError::Syntax {
                    at,
                    expected: "a fractional digit",
                });
            }
            if count > 9 {
                return Err(TimeError::TooPrecise);
            }
            nanosecond =
                self.digits(start, count, "a fractional digit")? * 10u32.pow(9 - count as u32);
        }
        self.literal(at, b'Z')?;
        if at + 1 != self.bytes.len() {
            return Err(TimeError::Syntax {
                at: at + 1,
                expected: "the end of the timestamp after 'Z'",
            });
        }
        if !(1..=12).contains(&month) {
            return Err(TimeError::OutOfRange {
                field: "month",
                value: month,
            });
        }
        if day == 0 || day > days_in_month(i64::from(year), month) {
            return Err(TimeError::NoSuchDay { year, month, day });
        }
        for (field, value, limit) in [("hour", hour, 23), ("minute", minute, 59)] {
            if value > limit {
                return Err(TimeError::OutOfRange { field, value });
            }
        }
        if second == 60 {
            return Err(TimeError::LeapSecond);
        }
        if second > 60 {
            return Err(TimeError::OutOfRange {
                field: "second",
                value: second,
            });
        }
        let days = days_from_civil(i64::from(year), month, day);
        let seconds =
            i128::from(days) * SECONDS_PER_DAY + i128::from(hour * 3600 + minute * 60 + second);
        // Years 0000..=9999 are exactly the supported range, so this cannot
        // fail; the check is kept rather than an unwrap.
        Timestamp::from_unix_nanos(seconds * NANOS_PER_SECOND + i128::from(nanosecond)).ok_or(
            TimeError::OutOfRange {
                field: "year",
                value: year,
            },
        )
    }
}

impl fmt::Display for Timestamp {
    /// The plain RFC 3339 form: fraction only when non-zero, trailing zeros
    /// removed.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let c = self.civil();
        write!(
            f,
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
            c.year, c.month, c.day, c.hour, c.minute, c.second
        )?;
        if c.nanosecond != 0 {
            let digits = format!("{:09}", c.nanosecond);
            write!(f, ".{}", digits.trim_end_matches('0'))?;
        }
        f.write_str("Z")
    }
}

impl FromStr for Timestamp {
    type Err = TimeError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Timestamp::parse(s)
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Timestamp::parse(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(text: &str) -> Timestamp {
        Timestamp::parse(text).expect("valid test timestamp")
    }

    #[test]
    fn epoch_and_known_instants() {
        assert_eq!(t("1970-01-01T00:00:00Z"), Timestamp::UNIX_EPOCH);
        assert_eq!(t("1970-01-02T00:00:00Z").unix_seconds(), 86_400);
        assert_eq!(t("1969-12-31T23:59:59Z").unix_seconds(), -1);
        assert_eq!(t("2000-03-01T00:00:00Z").unix_seconds(), 951_868_800);
        assert_eq!(t("2021-08-04T09:00:00Z").unix_seconds(), 1_628_067_600);
        assert_eq!(t("0000-01-01T00:00:00Z"), Timestamp::MIN);
        assert_eq!(t("9999-12-31T23:59:59.999999999Z"), Timestamp::MAX);
        assert_eq!(t("2038-01-19T03:14:08Z").unix_seconds(), 1 << 31);
    }

    #[test]
    fn civil_round_trip_over_every_day_of_many_years() {
        // Every day from 1599-12-01 to 2401-03-01 covers the century and
        // 400-year rules on both sides of the epoch.
        let first = days_from_civil(1599, 12, 1);
        let last = days_from_civil(2401, 3, 1);
        let mut expected = (1599, 12, 1);
        for days in first..=last {
            let civil = civil_from_days(days);
            assert_eq!(civil, expected);
            assert_eq!(days_from_civil(civil.0, civil.1, civil.2), days);
            let (y, m, d) = expected;
            expected = if d < days_in_month(y, m) {
                (y, m, d + 1)
            } else if m < 12 {
                (y, m + 1, 1)
            } else {
                (y + 1, 1, 1)
            };
        }
    }

    #[test]
    fn leap_years() {
        assert!(is_leap_year(2000) && is_leap_year(2024) && is_leap_year(0));
        assert!(!is_leap_year(1900) && !is_leap_year(2100) && !is_leap_year(2023));
        assert!(Timestamp::parse("2024-02-29T00:00:00Z").is_ok());
        assert!(Timestamp::parse("2000-02-29T00:00:00Z").is_ok());
        assert_eq!(
            Timestamp::parse("1900-02-29T00:00:00Z"),
            Err(TimeError::NoSuchDay {
                year: 1900,
                month: 2,
                day: 29
            })
        );
    }

    #[test]
    fn refuses_what_is_not_utc_rfc3339() {
        use TimeError::*;
        let cases: &[(&str, TimeError)] = &[
            ("2021-08-04T09:00:00+00:00", Offset),
            ("2021-08-04T09:00:00-05:00", Offset),
            ("2021-08-04T09:00:00z", Lowercase),
            ("2021-08-04t09:00:00Z", Lowercase),
            (
                "2021-02-30T00:00:00Z",
                NoSuchDay {
                    year: 2021,
                    month: 2,
                    day: 30,
                },
            ),
            (
                "2021-04-31T00:00:00Z",
                NoSuchDay {
                    year: 2021,
                    month: 4,
                    day: 31,
                },
            ),
            (
                "2021-01-00T00:00:00Z",
                NoSuchDay {
                    year: 2021,
                    month: 1,
                    day: 0,
                },
            ),
            (
                "2021-13-01T00:00:00Z",
                OutOfRange {
                    field: "month",
                    value: 13,
                },
            ),
            (
                "2021-00-01T00:00:00Z",
                OutOfRange {
                    field: "month",
                    value: 0,
                },
            ),
            (
                "2021-01-01T24:00:00Z",
                OutOfRange {
                    field: "hour",
                    value: 24,
                },
            ),
            (
                "2021-01-01T00:60:00Z",
                OutOfRange {
                    field: "minute",
                    value: 60,
                },
            ),
            ("2016-12-31T23:59:60Z", LeapSecond),
            ("2021-01-01T00:00:00.1234567890Z", TooPrecise),
        ];
        for (text, error) in cases {
            assert_eq!(Timestamp::parse(text).as_ref(), Err(error), "{text}");
        }
        for text in [
            "",
            "2021-08-04",
            "2021-08-04 09:00:00Z",
            "2021-08-04T09:00:00",
            "2021-08-04T09:00Z",
            "2021-08-04T09:00:00.Z",
            "2021-08-04T09:00:00ZZ",
            "2021-08-04T09:00:00Z ",
            "21-08-04T09:00:00Z",
            "+2021-08-04T09:00:00Z",
            "２021-08-04T09:00:00Z",
        ] {
            assert!(
                matches!(Timestamp::parse(text), Err(Syntax { .. })),
                "{text}: {:?}",
                Timestamp::parse(text)
            );
        }
    }

    #[test]
    fn fractions() {
        let x = t("2026-11-22T12:00:00.123456789Z");
        assert_eq!(x.subsec_nanos(), 123_456_789);
        assert_eq!(x.to_rfc3339_micros(), "2026-11-22T12:00:00.123456Z");
        assert_eq!(x.to_string(), "2026-11-22T12:00:00.123456789Z");
        assert_eq!(t("2026-11-22T12:00:00.5Z").subsec_nanos(), 500_000_000);
        assert_eq!(
            t("2026-11-22T12:00:00.5Z").to_string(),
            "2026-11-22T12:00:00.5Z"
        );
        assert_eq!(t("2026-11-22T12:00:00.000Z"), t("2026-11-22T12:00:00Z"));
        assert_eq!(
            t("2026-11-22T12:00:00Z").to_string(),
            "2026-11-22T12:00:00Z"
        );
        assert_eq!(
            t("2026-11-22T12:00:00Z").to_rfc3339_micros(),
            "2026-11-22T12:00:00.000000Z"
        );
        // Before the epoch the fraction still counts forward in the second.
        let y = t("1969-12-31T23:59:59.25Z");
        assert_eq!(y.unix_seconds(), -1);
        assert_eq!(y.subsec_nanos(), 250_000_000);
        assert_eq!(y.to_rfc3339_micros(), "1969-12-31T23:59:59.250000Z");
    }

    #[test]
    fn display_round_trips() {
        for text in [
            "0000-01-01T00:00:00Z",
            "1970-01-01T00:00:00Z",
            "1999-12-31T23:59:59.999Z",
            "2020-02-29T12:34:56.000001Z",
            "9999-12-31T23:59:59.999999999Z",
        ] {
            assert_eq!(t(text).to_string(), text);
            assert_eq!(
                t(&t(text).to_rfc3339_micros()).to_rfc3339_micros(),
                t(text).to_rfc3339_micros()
            );
        }
    }

    #[test]
    fn exact_durations() {
        let a = t("2021-07-05T09:00:00Z");
        assert_eq!(
            a.checked_add(Duration::days(30)),
            Some(t("2021-08-04T09:00:00Z"))
        );
        // Across a leap day and across the end of a year.
        assert_eq!(
            t("2024-02-15T00:00:00Z").checked_add(Duration::days(30)),
            Some(t("2024-03-16T00:00:00Z"))
        );
        assert_eq!(
            t("2021-12-15T23:00:00Z").checked_add(Duration::days(30)),
            Some(t("2022-01-14T23:00:00Z"))
        );
        assert_eq!(t("2021-08-04T09:00:00Z").since(a), Duration::days(30));
        assert_eq!(
            a.checked_sub(Duration::seconds(1)),
            Some(t("2021-07-05T08:59:59Z"))
        );
        assert_eq!(Timestamp::MAX.checked_add(Duration::nanoseconds(1)), None);
        assert_eq!(Timestamp::MIN.checked_sub(Duration::nanoseconds(1)), None);
        assert_eq!(Timestamp::from_unix(0, 1_000_000_000), None);
        assert_eq!(
            Timestamp::from_unix(-1, 5).map(|x| x.subsec_nanos()),
            Some(5)
        );
    }

    #[test]
    fn calendar_months_clamp_to_the_month_end() {
        let cases = [
            ("2017-10-11T00:00:00Z", 3, "2018-01-11T00:00:00Z"),
            ("2017-11-30T10:00:00Z", 3, "2018-02-28T10:00:00Z"),
            ("2019-11-30T10:00:00Z", 3, "2020-02-29T10:00:00Z"),
            ("2021-01-31T23:59:59.5Z", 1, "2021-02-28T23:59:59.5Z"),
            ("2021-03-31T08:00:00Z", 3, "2021-06-30T08:00:00Z"),
            ("2021-12-31T08:00:00Z", 3, "2022-03-31T08:00:00Z"),
            ("2021-10-15T08:00:00Z", 0, "2021-10-15T08:00:00Z"),
            ("2021-10-15T08:00:00Z", 27, "2024-01-15T08:00:00Z"),
            ("1969-12-31T12:00:00Z", 2, "1970-02-28T12:00:00Z"),
        ];
        for (from, months, to) in cases {
            assert_eq!(
                t(from).checked_add_months(months),
                Some(t(to)),
                "{from} + {months}"
            );
        }
        assert_eq!(t("9999-11-01T00:00:00Z").checked_add_months(3), None);
    }

    #[test]
    fn serde_form() {
        let x: Timestamp = serde_json::from_str("\"2021-08-04T09:00:00Z\"").expect("valid");
        assert_eq!(
            serde_json::to_string(&x).expect("serialises"),
            "\"2021-08-04T09:00:00Z\""
        );
        assert!(serde_json::from_str::<Timestamp>("\"2021-08-04T09:00:00+01:00\"").is_err());
    }
}
