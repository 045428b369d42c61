//! Exact money: an amount in hundredths of its currency's unit, written as a decimal string
//! (`"1250000.50"`) so that no reader parses it into a float.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// Why an amount was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not an amount: write digits with at most two after a point, e.g. 1250000.50")]
pub struct AmountError(pub String);

/// A non-negative amount of money, exact to the hundredth.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(try_from = "String", into = "String")]
pub struct Amount(u64);

/// The largest amount Concord holds: far beyond any budget, and so that sums of a few
/// thousand never overflow.
const MAX_CENTS: u64 = 1 << 52;

impl Amount {
    /// Nothing.
    pub const ZERO: Amount = Amount(0);

    /// An amount of `cents` hundredths.
    pub fn from_cents(cents: u64) -> Result<Amount, AmountError> {
        if cents > MAX_CENTS {
            return Err(AmountError(cents.to_string()));
        }
        Ok(Amount(cents))
    }

    /// Hundredths.
    pub fn cents(self) -> u64 {
        self.0
    }

    /// The sum, refused past the largest amount.
    pub fn plus(self, other: Amount) -> Result<Amount, AmountError> {
        Amount::from_cents(self.0 + other.0)
    }

    /// `self − other`, or zero.
    pub fn saturating_minus(self, other: Amount) -> Amount {
        Amount(self.0.saturating_sub(other.0))
    }
}

impl FromStr for Amount {
    type Err = AmountError;
    fn from_str(s: &str) -> Result<Amount, AmountError> {
        let bad = || AmountError(s.to_owned());
        let (whole, fraction) = s.split_once('.').unwrap_or((s, ""));
        let digits = |p: &str| p.bytes().all(|b| b.is_ascii_digit());
        if whole.is_empty()
            || whole.len() > 16
            || !digits(whole)
            || fraction.len() > 2
            || !digits(fraction)
            || (s.contains('.') && fraction.is_empty())
        {
            return Err(bad());
        }
        let whole: u64 = whole.parse().map_err(|_| bad())?;
        let cents = match fraction.len() {
            0 => 0,
            1 => fraction.parse::<u64>().map_err(|_| bad())? * 10,
            _ => fraction.parse::<u64>().map_err(|_| bad())?,
        };
        whole
            .checked_mul(100)
            .and_then(|w| w.checked_add(cents))
            .ok_or_else(bad)
            .and_then(|c| Amount::from_cents(c).map_err(|_| bad()))
    }
}

impl TryFrom<String> for Amount {
    type Error = AmountError;
    fn try_from(s: String) -> Result<Amount, AmountError> {
        s.parse()
    }
}

impl From<Amount> for String {
    fn from(a: Amount) -> String {
        a.to_string()
    }
}

impl fmt::Display for Amount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{:02}", self.0 / 100, self.0 % 100)
    }
}

impl Amount {
    /// Written with thousands grouped by a thin space (`1 250 000.50`), for people.
    pub fn grouped(self) -> String {
        let whole = (self.0 / 100).to_string();
        let mut out = String::new();
        for (i, c) in whole.chars().enumerate() {
            if i > 0 && (whole.len() - i) % 3 == 0 {
                out.push('\u{2009}');
            }
            out.push(c);
        }
        format!("{out}.{:02}", self.0 % 100)
    }
}

#[cfg(feature = "openapi")]
impl utoipa::PartialSchema for Amount {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .pattern(Some("^[0-9]{1,16}(\\.[0-9]{1,2})?$"))
            .description(Some("An exact amount: digits, at most two after the point"))
            .into()
    }
}

#[cfg(feature = "openapi")]
impl utoipa::ToSchema for Amount {}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn amounts_are_exact_decimals() {
        assert_eq!("1250000.5".parse::<Amount>().unwrap().cents(), 125_000_050);
        assert_eq!("0.07".parse::<Amount>().unwrap().to_string(), "0.07");
        assert_eq!("12".parse::<Amount>().unwrap().to_string(), "12.00");
        assert_eq!(
            "1250000.50".parse::<Amount>().unwrap().grouped(),
            "1\u{2009}250\u{2009}000.50"
        );
        for bad in [
            "",
            "-1",
            "1.234",
            "1.",
            ".5",
            "1e3",
            "1,5",
            "١٢",
            "99999999999999999",
        ] {
            assert!(bad.parse::<Amount>().is_err(), "{bad} accepted");
        }
    }

    proptest! {
        #[test]
        fn any_text_is_read_without_panic_and_amounts_round_trip(s in "\\PC{0,20}", cents in 0u64..=MAX_CENTS) {
            let _ = s.parse::<Amount>();
            let a = Amount::from_cents(cents).unwrap();
            prop_assert_eq!(a.to_string().parse::<Amount>().unwrap(), a);
        }
    }
}
