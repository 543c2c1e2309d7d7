//! Numbers in query strings, read strictly.
//!
//! `str::parse::<u64>` (what a plain `u64` field of a query deserialises
//! with) accepts `+7` and `007`, so one number would have several
//! spellings: caches, logs and anyone comparing requests would see
//! different requests for one proof. The API takes the canonical decimal
//! spelling only, as tlog-tiles does for the numbers in tile paths.

use serde::de::{self, Deserialize, Deserializer, Visitor};

/// A `u64` written in canonical decimal: ASCII digits only, no sign, no
/// space, and no leading zero except in `0` itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Decimal(pub u64);

impl Decimal {
    /// Reads `text`, or says what is wrong with it.
    pub fn parse(text: &str) -> Result<Self, String> {
        let canonical = !text.is_empty()
            && text.bytes().all(|b| b.is_ascii_digit())
            && (text == "0" || !text.starts_with('0'));
        if !canonical {
            return Err(format!(
                "{text:?} is not a decimal number in canonical form \
                 (digits only, no sign, spaces or leading zeros)"
            ));
        }
        text.parse()
            .map(Self)
            .map_err(|_| format!("{text:?} is larger than {}", u64::MAX))
    }
}

impl<'de> Deserialize<'de> for Decimal {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Text;
        impl Visitor<'_> for Text {
            type Value = Decimal;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a decimal number in canonical form")
            }
            fn visit_str<E: de::Error>(self, text: &str) -> Result<Decimal, E> {
                Decimal::parse(text).map_err(E::custom)
            }
        }
        deserializer.deserialize_str(Text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_canonical_spelling_is_read() {
        assert_eq!(Decimal::parse("0"), Ok(Decimal(0)));
        assert_eq!(Decimal::parse("10"), Ok(Decimal(10)));
        assert_eq!(
            Decimal::parse("18446744073709551615"),
            Ok(Decimal(u64::MAX))
        );
        for bad in [
            "",
            "00",
            "01",
            "+1",
            "-1",
            " 1",
            "1 ",
            "1.0",
            "0x1",
            "1e3",
            "١",
            "18446744073709551616",
        ] {
            assert!(Decimal::parse(bad).is_err(), "{bad:?}");
        }
    }
}
