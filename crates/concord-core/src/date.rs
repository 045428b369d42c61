//! Dates as the sources give them: to the day, the month, the quarter or only the year; or
//! only bounded ("on or before" the day an article was posted), perhaps with the weekday.

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use time::{Date, Month};

/// Why a date was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "`{0}` is not a date: write YYYY-MM-DD, YYYY-MM, YYYY-Qn, YYYY, ..YYYY-MM-DD (on or before) or WEEKDAY..YYYY-MM-DD (that weekday, on or before)"
)]
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
    /// The year and quarter (1–4) are known ("in the fourth quarter of 2024").
    Quarter(i32, u8),
    /// Only a latest day is known: an article posted that day tells of it ("on or before").
    OnOrBefore(Date),
    /// The weekday is known, and a latest day ("on Thursday", in an article of that day).
    WeekdayOnOrBefore(time::Weekday, Date),
}

impl PartialDate {
    /// The day used to order and to filter: the first day the date can stand for, or, when
    /// only a latest day is known, that day.
    pub fn earliest(&self) -> Date {
        match *self {
            PartialDate::Year(y) => Date::from_calendar_date(y, Month::January, 1),
            PartialDate::Month(y, m) => Date::from_calendar_date(y, m, 1),
            PartialDate::Quarter(y, q) => Date::from_calendar_date(
                y,
                Month::try_from(3 * (q - 1) + 1).expect("quarters are 1-4"),
                1,
            ),
            PartialDate::Day(d) | PartialDate::OnOrBefore(d) => Ok(d),
            PartialDate::WeekdayOnOrBefore(w, d) => Ok(latest_weekday(w, d)),
        }
        .expect("validated on construction")
    }

    /// The calendar year (for a bound only: the bound's).
    pub fn year(&self) -> i32 {
        match *self {
            PartialDate::Year(y) | PartialDate::Month(y, _) | PartialDate::Quarter(y, _) => y,
            PartialDate::Day(d)
            | PartialDate::OnOrBefore(d)
            | PartialDate::WeekdayOnOrBefore(_, d) => d.year(),
        }
    }

    /// The latest day the date can stand for, when one is known.
    pub fn latest(&self) -> Date {
        let last_of = |y: i32, m: Month| {
            Date::from_calendar_date(y, m, m.length(y)).expect("a month's last day")
        };
        match *self {
            PartialDate::Year(y) => last_of(y, Month::December),
            PartialDate::Month(y, m) => last_of(y, m),
            PartialDate::Quarter(y, q) => {
                last_of(y, Month::try_from(3 * q).expect("quarters are 1-4"))
            }
            PartialDate::Day(d) | PartialDate::OnOrBefore(d) => d,
            PartialDate::WeekdayOnOrBefore(w, d) => latest_weekday(w, d),
        }
    }

    /// The exact day, or the latest day when only that is known ("on or before"): the day
    /// a status is checked on.
    pub fn day_or_bound(&self) -> Option<Date> {
        match *self {
            PartialDate::Day(d) | PartialDate::OnOrBefore(d) => Some(d),
            PartialDate::WeekdayOnOrBefore(..) => Some(self.latest()),
            _ => None,
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

/// The latest `weekday` on or before `day`.
fn latest_weekday(weekday: time::Weekday, day: Date) -> Date {
    let back =
        (day.weekday().number_days_from_monday() + 7 - weekday.number_days_from_monday()) % 7;
    day - time::Duration::days(i64::from(back))
}

impl Ord for PartialDate {
    fn cmp(&self, other: &Self) -> Ordering {
        let rank = |d: &PartialDate| match d {
            PartialDate::Year(_) => 0,
            PartialDate::Quarter(..) => 1,
            PartialDate::Month(..) => 2,
            PartialDate::OnOrBefore(_) => 3,
            PartialDate::WeekdayOnOrBefore(..) => 4,
            PartialDate::Day(_) => 5,
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

const WEEKDAYS: [(&str, time::Weekday); 7] = [
    ("monday", time::Weekday::Monday),
    ("tuesday", time::Weekday::Tuesday),
    ("wednesday", time::Weekday::Wednesday),
    ("thursday", time::Weekday::Thursday),
    ("friday", time::Weekday::Friday),
    ("saturday", time::Weekday::Saturday),
    ("sunday", time::Weekday::Sunday),
];

fn weekday_name(w: time::Weekday) -> &'static str {
    WEEKDAYS
        .iter()
        .find(|(_, d)| *d == w)
        .map(|(n, _)| *n)
        .expect("every weekday is named")
}

impl FromStr for PartialDate {
    type Err = DateError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || DateError(s.to_owned());
        if let Some((before, bound)) = s.split_once("..") {
            let day = parse_day(bound).map_err(|_| bad())?;
            if before.is_empty() {
                return Ok(PartialDate::OnOrBefore(day));
            }
            let (_, weekday) = WEEKDAYS
                .iter()
                .find(|(n, _)| *n == before)
                .ok_or_else(bad)?;
            return Ok(PartialDate::WeekdayOnOrBefore(*weekday, day));
        }
        if let Some((year, q)) = s.split_once("-Q") {
            let year = match parse_parts(&[year], s)? {
                PartialDate::Year(y) => y,
                _ => return Err(bad()),
            };
            return match q {
                "1" | "2" | "3" | "4" => {
                    Ok(PartialDate::Quarter(year, q.parse().map_err(|_| bad())?))
                }
                _ => Err(bad()),
            };
        }
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
            PartialDate::Quarter(y, q) => write!(f, "{y:04}-Q{q}"),
            PartialDate::OnOrBefore(d) => write!(f, "..{}", PartialDate::Day(d)),
            PartialDate::WeekdayOnOrBefore(w, d) => {
                write!(f, "{}..{}", weekday_name(w), PartialDate::Day(d))
            }
        }
    }
}

impl PartialDate {
    /// The date as a reader says it, in English or Russian (`lang` `en` or `ru`): "on or
    /// before 28 November 2023", "в четвёртом квартале 2024 г." is not invented: only what
    /// the value holds is said.
    pub fn spoken(&self, lang: &str) -> String {
        const EN_MONTHS: [&str; 12] = [
            "January",
            "February",
            "March",
            "April",
            "May",
            "June",
            "July",
            "August",
            "September",
            "October",
            "November",
            "December",
        ];
        const RU_MONTHS_OF: [&str; 12] = [
            "января",
            "февраля",
            "марта",
            "апреля",
            "мая",
            "июня",
            "июля",
            "августа",
            "сентября",
            "октября",
            "ноября",
            "декабря",
        ];
        const RU_MONTHS: [&str; 12] = [
            "январь",
            "февраль",
            "март",
            "апрель",
            "май",
            "июнь",
            "июль",
            "август",
            "сентябрь",
            "октябрь",
            "ноябрь",
            "декабрь",
        ];
        const RU_WEEKDAYS: [&str; 7] = [
            "понедельник",
            "вторник",
            "среда",
            "четверг",
            "пятница",
            "суббота",
            "воскресенье",
        ];
        const EN_QUARTERS: [&str; 4] = ["first", "second", "third", "fourth"];
        const RU_QUARTERS: [&str; 4] = ["I", "II", "III", "IV"];
        let ru = lang == "ru";
        let day = |d: Date| {
            let m = d.month() as usize - 1;
            if ru {
                format!("{} {} {} г.", d.day(), RU_MONTHS_OF[m], d.year())
            } else {
                format!("{} {} {}", d.day(), EN_MONTHS[m], d.year())
            }
        };
        match *self {
            PartialDate::Year(y) => {
                if ru {
                    format!("{y} г.")
                } else {
                    y.to_string()
                }
            }
            PartialDate::Month(y, m) => {
                let m = m as usize - 1;
                if ru {
                    format!("{} {y} г.", RU_MONTHS[m])
                } else {
                    format!("{} {y}", EN_MONTHS[m])
                }
            }
            PartialDate::Quarter(y, q) => {
                let q = usize::from(q) - 1;
                if ru {
                    format!("{} квартал {y} г.", RU_QUARTERS[q])
                } else {
                    format!("the {} quarter of {y}", EN_QUARTERS[q])
                }
            }
            PartialDate::Day(d) => day(d),
            PartialDate::OnOrBefore(d) => {
                if ru {
                    format!("не позднее {}", day(d))
                } else {
                    format!("on or before {}", day(d))
                }
            }
            PartialDate::WeekdayOnOrBefore(w, d) => {
                let n = w.number_days_from_monday() as usize;
                if ru {
                    format!("{}, не позднее {}", RU_WEEKDAYS[n], day(d))
                } else {
                    let mut name = weekday_name(w).to_owned();
                    name[..1].make_ascii_uppercase();
                    format!("a {name}, on or before {}", day(d))
                }
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
            .pattern(Some(
                "^([0-9]{4}(-[0-9]{2}(-[0-9]{2})?|-Q[1-4])?|(monday|tuesday|wednesday|thursday|friday|saturday|sunday)?\\.\\.[0-9]{4}-[0-9]{2}-[0-9]{2})$",
            ))
            .description(Some(
                "A date as precise as the sources: YYYY, YYYY-Qn, YYYY-MM, YYYY-MM-DD, ..YYYY-MM-DD (on or before) or WEEKDAY..YYYY-MM-DD",
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

    #[test]
    fn bounds_quarters_and_weekdays_say_only_what_is_known() {
        let bound: PartialDate = "..2023-11-28".parse().unwrap();
        assert_eq!(bound.to_string(), "..2023-11-28");
        assert_eq!(bound.exact(), None);
        assert_eq!(bound.spoken("en"), "on or before 28 November 2023");
        assert_eq!(bound.spoken("ru"), "не позднее 28 ноября 2023 г.");
        let q: PartialDate = "2024-Q4".parse().unwrap();
        assert_eq!(q, PartialDate::Quarter(2024, 4));
        assert_eq!(q.earliest().to_string(), "2024-10-01");
        assert_eq!(q.latest().to_string(), "2024-12-31");
        assert_eq!(q.spoken("en"), "the fourth quarter of 2024");
        let w: PartialDate = "thursday..2023-11-28".parse().unwrap();
        assert_eq!(w.to_string(), "thursday..2023-11-28");
        assert_eq!(w.latest().to_string(), "2023-11-23");
        assert_eq!(w.spoken("en"), "a Thursday, on or before 28 November 2023");
        for bad in [
            "2024-Q5",
            "2024-Q",
            "..2023-11",
            "thursdy..2023-11-28",
            "..",
            "2024-Q4-1",
        ] {
            assert!(bad.parse::<PartialDate>().is_err(), "{bad} accepted");
        }
    }

    proptest! {
        #[test]
        fn any_form_round_trips(y in 1900i32..2200, q in 1u8..=4, w in 0usize..7, d in 0i64..3000) {
            let day = Date::from_calendar_date(y, Month::January, 1).unwrap() + time::Duration::days(d);
            for date in [
                PartialDate::Quarter(y, q),
                PartialDate::OnOrBefore(day),
                PartialDate::WeekdayOnOrBefore(WEEKDAYS[w].1, day),
            ] {
                prop_assert_eq!(date.to_string().parse::<PartialDate>().unwrap(), date);
                prop_assert!(date.earliest() <= date.latest());
                prop_assert!(date.latest() <= day.max(date.latest()));
            }
        }

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
