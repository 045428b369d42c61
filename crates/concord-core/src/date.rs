//! Dates as the sources give them: to the day, to the month, or only the year.

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use time::{Date, Month};

/// Why a date was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a date: write YYYY-MM-DD, YYYY-MM or YYYY")]
pub struct DateError(pub String);

/// A date known to the day, the month or only the year ("last November", "in 2019").
/// Concord never invents the part a source does not give.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum PartialDate {
    /// Only the year is known.
    Year(i32),
    /// The year and month are known.
    Month(i32, Month),
    /// The exact day is known.
    Day(Date),
}

impl PartialDate {
    /// The first day the date can stand for, used to order and to filter.
    pub fn earliest(&self) -> Date {
        match *self {
            PartialDate::Year(y) => Date::from_calendar_date(y, Month::January, 1),
            PartialDate::Month(y, m) => Date::from_calendar_date(y, m, 1),
            PartialDate::Day(d) => Ok(d),
        }
        .expect("validated on construction")
    }

    /// The calendar year.
    pub fn year(&self) -> i32 {
        match *self {
            PartialDate::Year(y) | PartialDate::Month(y, _) => y,
            PartialDate::Day(d) => d.year(),
        }
    }

    /// The exact day, when known.
    pub fn exact(&self) -> Option<Date> {
        match *self {
            PartialDate::Day(d) => Some(d),
            _ => None,
        }
    }
}

impl Ord for PartialDate {
    fn cmp(&self, other: &Self) -> Ordering {
        let rank = |d: &PartialDate| match d {
            PartialDate::Year(_) => 0,
            PartialDate::Month(..) => 1,
            PartialDate::Day(_) => 2,
        };
        self.earliest()
            .cmp(&other.earliest())
            .then(rank(self).cmp(&rank(other)))
    }
}

impl PartialOrd for PartialDate {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// Parses `YYYY-MM-DD` into a date.
pub fn parse_day(s: &str) -> Result<Date, DateError> {
    let parts: Vec<&str> = s.split('-').collect();
    match parse_parts(&parts, s)? {
        PartialDate::Day(d) => Ok(d),
        _ => Err(DateError(s.to_owned())),
    }
}

fn parse_parts(parts: &[&str], whole: &str) -> Result<PartialDate, DateError> {
    let bad = || DateError(whole.to_owned());
    let number = |p: &str, len: usize| -> Result<u32, DateError> {
        if p.len() == len && p.bytes().all(|b| b.is_ascii_digit()) {
            p.parse().map_err(|_| bad())
        } else {
            Err(bad())
        }
    };
    let year = number(parts.first().ok_or_else(bad)?, 4)? as i32;
    let month = |p: &str| -> Result<Month, DateError> {
        Month::try_from(number(p, 2)? as u8).map_err(|_| bad())
    };
    match parts {
        [_] => Ok(PartialDate::Year(year)),
        [_, m] => Ok(PartialDate::Month(year, month(m)?)),
        [_, m, d] => {
            let day = number(d, 2)? as u8;
            Date::from_calendar_date(year, month(m)?, day)
                .map(PartialDate::Day)
                .map_err(|_| bad())
        }
        _ => Err(bad()),
    }
}

impl FromStr for PartialDate {
    type Err = DateError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let parts: Vec<&str> = s.split('-').collect();
        parse_parts(&parts, s)
    }
}

impl TryFrom<String> for PartialDate {
    type Error = DateError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl From<PartialDate> for String {
    fn from(d: PartialDate) -> String {
        d.to_string()
    }
}

impl fmt::Display for PartialDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            PartialDate::Year(y) => write!(f, "{y:04}"),
            PartialDate::Month(y, m) => write!(f, "{y:04}-{:02}", m as u8),
            PartialDate::Day(d) => {
                write!(f, "{:04}-{:02}-{:02}", d.year(), d.month() as u8, d.day())
            }
        }
    }
}

/// Serde helpers for a plain `YYYY-MM-DD` date.
pub mod day {
    use serde::{Deserialize, Deserializer, Serializer};
    use time::Date;

    /// Writes `YYYY-MM-DD`.
    pub fn serialize<S: Serializer>(d: &Date, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&super::PartialDate::Day(*d))
    }

    /// Reads `YYYY-MM-DD`.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Date, D::Error> {
        let s = String::deserialize(d)?;
        super::parse_day(&s).map_err(serde::de::Error::custom)
    }

    /// The same for an optional date.
    pub mod option {
        use serde::{Deserialize, Deserializer, Serializer};
        use time::Date;

        /// Writes `YYYY-MM-DD` or nothing.
        pub fn serialize<S: Serializer>(d: &Option<Date>, s: S) -> Result<S::Ok, S::Error> {
            match d {
                Some(d) => s.collect_str(&super::super::PartialDate::Day(*d)),
                None => s.serialize_none(),
            }
        }

        /// Reads `YYYY-MM-DD` or nothing.
        pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Date>, D::Error> {
            Option::<String>::deserialize(d)?
                .map(|s| super::super::parse_day(&s).map_err(serde::de::Error::custom))
                .transpose()
        }
    }
}

#[cfg(feature = "openapi")]
impl utoipa::PartialSchema for PartialDate {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .pattern(Some("^[0-9]{4}(-[0-9]{2}(-[0-9]{2})?)?$"))
            .description(Some(
                "A date as precise as the sources: YYYY, YYYY-MM or YYYY-MM-DD",
            ))
            .into()
    }
}

#[cfg(feature = "openapi")]
impl utoipa::ToSchema for PartialDate {}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn parses_the_three_precisions() {
        assert_eq!(
            "2019".parse::<PartialDate>().unwrap(),
            PartialDate::Year(2019)
        );
        assert_eq!(
            "2022-11".parse::<PartialDate>().unwrap(),
            PartialDate::Month(2022, Month::November)
        );
        assert_eq!(
            "2017-11-30".parse::<PartialDate>().unwrap().to_string(),
            "2017-11-30"
        );
        for bad in [
            "17",
            "2017-13",
            "2017-02-30",
            "2017-1-1",
            "2017-11-30-1",
            "",
            "x",
        ] {
            assert!(bad.parse::<PartialDate>().is_err(), "{bad} accepted");
        }
    }

    #[test]
    fn orders_by_earliest_day_then_precision() {
        let y: PartialDate = "2022".parse().unwrap();
        let m: PartialDate = "2022-11".parse().unwrap();
        let d: PartialDate = "2022-11-23".parse().unwrap();
        assert!(y < m && m < d);
        assert!("2022-01".parse::<PartialDate>().unwrap() > y);
    }

    proptest! {
        #[test]
        fn display_round_trips(y in 1900i32..2200, m in 1u8..=12, d in 1u8..=31, precision in 0u8..3) {
            let text = match precision {
                0 => format!("{y:04}"),
                1 => format!("{y:04}-{m:02}"),
                _ => format!("{y:04}-{m:02}-{d:02}"),
            };
            if let Ok(date) = text.parse::<PartialDate>() {
                prop_assert_eq!(date.to_string(), text);
                prop_assert_eq!(date.year(), y);
            }
        }

        #[test]
        fn parse_never_panics(s in "\\PC{0,12}") {
            let _ = s.parse::<PartialDate>();
        }
    }
}
