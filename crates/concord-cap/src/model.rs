//! A CAP 1.2 message as data: the `alert` with its `info` blocks, their resources and
//! areas (CAP 1.2 §3.2). Values the standard constrains are checked types; free text is
//! kept exactly as received.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

macro_rules! cap_values {
    ($(#[$doc:meta])* $name:ident { $($variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        pub enum $name {
            $(
                #[doc = concat!("`", $text, "`")]
                #[serde(rename = $text)]
                $variant,
            )+
        }

        impl $name {
            /// Every value, in the standard's order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The value as CAP writes it.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text,)+
                }
            }

            /// The value CAP writes as `text`, if it is one.
            pub fn parse(text: &str) -> Option<$name> {
                match text {
                    $($text => Some($name::$variant),)+
                    _ => None,
                }
            }

            /// The allowed values, for error messages.
            pub fn choices() -> String {
                [$($text),+].join(", ")
            }
        }
    };
}

cap_values! {
    /// The message's handling (`status`).
    Status { Actual = "Actual", Exercise = "Exercise", System = "System", Test = "Test", Draft = "Draft" }
}

cap_values! {
    /// The kind of message (`msgType`).
    MsgType { Alert = "Alert", Update = "Update", Cancel = "Cancel", Ack = "Ack", Error = "Error" }
}

cap_values! {
    /// Who the message is for (`scope`).
    Scope { Public = "Public", Restricted = "Restricted", Private = "Private" }
}

cap_values! {
    /// The subject's category (`category`).
    Category {
        Geo = "Geo", Met = "Met", Safety = "Safety", Security = "Security", Rescue = "Rescue",
        Fire = "Fire", Health = "Health", Env = "Env", Transport = "Transport",
        Infra = "Infra", Cbrne = "CBRNE", Other = "Other",
    }
}

cap_values! {
    /// The action recommended (`responseType`).
    ResponseType {
        Shelter = "Shelter", Evacuate = "Evacuate", Prepare = "Prepare", Execute = "Execute",
        Avoid = "Avoid", Monitor = "Monitor", Assess = "Assess", AllClear = "AllClear",
        None = "None",
    }
}

cap_values! {
    /// How soon to act (`urgency`).
    Urgency { Immediate = "Immediate", Expected = "Expected", Future = "Future", Past = "Past", Unknown = "Unknown" }
}

cap_values! {
    /// How grave (`severity`).
    Severity { Extreme = "Extreme", Severe = "Severe", Moderate = "Moderate", Minor = "Minor", Unknown = "Unknown" }
}

cap_values! {
    /// How sure (`certainty`).
    Certainty { Observed = "Observed", Likely = "Likely", Possible = "Possible", Unlikely = "Unlikely", Unknown = "Unknown" }
}

impl Severity {
    /// Rank for ordering by gravity: Extreme 4 … Minor 1, Unknown 0.
    pub fn rank(self) -> u8 {
        match self {
            Severity::Extreme => 4,
            Severity::Severe => 3,
            Severity::Moderate => 2,
            Severity::Minor => 1,
            Severity::Unknown => 0,
        }
    }
}

/// A CAP date and time, `2022-10-10T17:44:34-00:00`: always with its offset, never `Z`
/// (CAP 1.2 §3.3.2). Kept as written so a message exports as it came.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct CapTime {
    text: String,
    at: OffsetDateTime,
}

impl CapTime {
    /// Reads a CAP date and time, or says what is wrong with it.
    pub fn parse(text: &str) -> Result<CapTime, String> {
        let b = text.as_bytes();
        let shape = b.len() == 25
            && b.iter().enumerate().all(|(i, c)| match i {
                4 | 7 => *c == b'-',
                10 => *c == b'T',
                13 | 16 | 22 => *c == b':',
                19 => *c == b'+' || *c == b'-',
                _ => c.is_ascii_digit(),
            });
        let wrong = || {
            format!(
                "`{text}` is not a CAP date and time: YYYY-MM-DDThh:mm:ss±hh:mm (CAP 1.2 writes the offset, never `Z`)"
            )
        };
        if !shape {
            return Err(wrong());
        }
        let format = time::macros::format_description!(
            "[year]-[month]-[day]T[hour]:[minute]:[second][offset_hour sign:mandatory]:[offset_minute]"
        );
        let at = OffsetDateTime::parse(text, &format).map_err(|_| wrong())?;
        let offset_minutes = at.offset().whole_minutes().unsigned_abs();
        if at.year() < 1 || offset_minutes > 14 * 60 {
            return Err(wrong());
        }
        Ok(CapTime {
            text: text.to_owned(),
            at,
        })
    }

    /// The moment.
    pub fn at(&self) -> OffsetDateTime {
        self.at
    }

    /// As written.
    pub fn as_str(&self) -> &str {
        &self.text
    }
}

impl TryFrom<String> for CapTime {
    type Error = String;
    fn try_from(text: String) -> Result<Self, String> {
        CapTime::parse(&text)
    }
}

impl From<CapTime> for String {
    fn from(t: CapTime) -> String {
        t.text
    }
}

/// A point as CAP writes it: latitude first (WGS 84).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LatLon {
    /// Latitude, −90 to 90.
    pub lat: f64,
    /// Longitude, −180 to 180.
    pub lon: f64,
}

impl LatLon {
    fn parse(pair: &str) -> Result<LatLon, String> {
        let (lat, lon) = pair
            .split_once(',')
            .ok_or_else(|| format!("`{pair}` is not a `latitude,longitude` pair"))?;
        let lat: f64 = number(lat).ok_or_else(|| format!("`{lat}` is not a latitude"))?;
        let lon: f64 = number(lon).ok_or_else(|| format!("`{lon}` is not a longitude"))?;
        if !(-90.0..=90.0).contains(&lat) {
            return Err(format!("latitude {lat} is outside −90…90"));
        }
        if !(-180.0..=180.0).contains(&lon) {
            return Err(format!("longitude {lon} is outside −180…180"));
        }
        Ok(LatLon { lat, lon })
    }
}

/// A decimal number as XML Schema writes one (no exponent, no `inf`, no `NaN`).
fn number(text: &str) -> Option<f64> {
    let digits = text.strip_prefix(['-', '+']).unwrap_or(text);
    let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
    let ok = !(whole.is_empty() && fraction.is_empty())
        && whole.bytes().all(|b| b.is_ascii_digit())
        && fraction.bytes().all(|b| b.is_ascii_digit());
    if ok { text.parse().ok() } else { None }
}

/// A closed polygon: four or more points, the first and last the same (CAP 1.2
/// §3.2.4). Kept as written.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Polygon {
    text: String,
    points: Vec<LatLon>,
}

impl Polygon {
    /// Reads `lat,lon lat,lon …`, or says what is wrong with it.
    pub fn parse(text: &str) -> Result<Polygon, String> {
        let points = text
            .split_ascii_whitespace()
            .map(LatLon::parse)
            .collect::<Result<Vec<_>, _>>()?;
        if points.len() < 4 {
            return Err(format!(
                "a polygon has at least 4 points, the first repeated last; this one has {}",
                points.len()
            ));
        }
        if points.first() != points.last() {
            return Err("a polygon's last point repeats its first: this one is not closed".into());
        }
        Ok(Polygon {
            text: text.split_ascii_whitespace().collect::<Vec<_>>().join(" "),
            points,
        })
    }

    /// Its points, first repeated last.
    pub fn points(&self) -> &[LatLon] {
        &self.points
    }

    /// As written (single spaces).
    pub fn as_str(&self) -> &str {
        &self.text
    }
}

impl TryFrom<String> for Polygon {
    type Error = String;
    fn try_from(text: String) -> Result<Self, String> {
        Polygon::parse(&text)
    }
}

impl From<Polygon> for String {
    fn from(p: Polygon) -> String {
        p.text
    }
}

/// A circle: a centre and a radius in kilometres, `lat,lon radius` (CAP 1.2 §3.2.4).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Circle {
    text: String,
    centre: LatLon,
    radius_km: f64,
}

impl Circle {
    /// Reads `lat,lon radius`, or says what is wrong with it.
    pub fn parse(text: &str) -> Result<Circle, String> {
        let mut parts = text.split_ascii_whitespace();
        let (Some(centre), Some(radius), None) = (parts.next(), parts.next(), parts.next()) else {
            return Err(format!(
                "`{text}` is not a circle: `latitude,longitude radius-in-km`"
            ));
        };
        let centre = LatLon::parse(centre)?;
        let radius_km = number(radius)
            .filter(|r| *r >= 0.0)
            .ok_or_else(|| format!("`{radius}` is not a radius in kilometres"))?;
        Ok(Circle {
            text: text.split_ascii_whitespace().collect::<Vec<_>>().join(" "),
            centre,
            radius_km,
        })
    }

    /// The centre.
    pub fn centre(&self) -> LatLon {
        self.centre
    }

    /// The radius, in kilometres.
    pub fn radius_km(&self) -> f64 {
        self.radius_km
    }

    /// As written.
    pub fn as_str(&self) -> &str {
        &self.text
    }
}

impl TryFrom<String> for Circle {
    type Error = String;
    fn try_from(text: String) -> Result<Self, String> {
        Circle::parse(&text)
    }
}

impl From<Circle> for String {
    fn from(c: Circle) -> String {
        c.text
    }
}

/// A named value: an `eventCode`, a `parameter`, a `geocode`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NamedValue {
    /// The system the value belongs to (`valueName`).
    pub value_name: String,
    /// The value.
    pub value: String,
}

/// A CAP alert message (`alert`, CAP 1.2 §3.2.1).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Alert {
    /// The sender's identifier for this message.
    pub identifier: String,
    /// Who sent it.
    pub sender: String,
    /// When.
    pub sent: CapTime,
    /// Actual, exercise, test...
    pub status: Status,
    /// Alert, update, cancel...
    pub msg_type: MsgType,
    /// The source, if named.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// Public, restricted or private.
    pub scope: Scope,
    /// Who may have a restricted message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub restriction: Option<String>,
    /// Who gets a private message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub addresses: Option<String>,
    /// Special handling codes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub codes: Vec<String>,
    /// A note.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// Earlier messages this one refers to (`sender,identifier,sent` each).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub references: Option<String>,
    /// Incidents this message belongs to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub incidents: Option<String>,
    /// What it says, one block per language or audience.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub infos: Vec<Info>,
}

/// What an alert says, in one language (`info`, CAP 1.2 §3.2.2).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Info {
    /// RFC 3066 language; `en-US` when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
    /// One or more categories.
    pub categories: Vec<Category>,
    /// The event.
    pub event: String,
    /// What to do.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub response_types: Vec<ResponseType>,
    /// How soon.
    pub urgency: Urgency,
    /// How grave.
    pub severity: Severity,
    /// How sure.
    pub certainty: Certainty,
    /// For whom.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audience: Option<String>,
    /// System-specific event codes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub event_codes: Vec<NamedValue>,
    /// In effect from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub effective: Option<CapTime>,
    /// Expected to begin.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub onset: Option<CapTime>,
    /// Expires.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires: Option<CapTime>,
    /// The issuing authority's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sender_name: Option<String>,
    /// Headline.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub headline: Option<String>,
    /// Description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// What to do.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instruction: Option<String>,
    /// Where to read more.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub web: Option<String>,
    /// Whom to contact.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact: Option<String>,
    /// System-specific parameters.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub parameters: Vec<NamedValue>,
    /// Attached resources.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub resources: Vec<Resource>,
    /// Areas concerned.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub areas: Vec<Area>,
}

/// A file that goes with an info block (`resource`, CAP 1.2 §3.2.3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Resource {
    /// What it is.
    pub resource_desc: String,
    /// Its media type.
    pub mime_type: String,
    /// Its size in bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<u64>,
    /// Where it is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uri: Option<String>,
    /// The file itself, base64.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deref_uri: Option<String>,
    /// Its SHA-1, hex.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub digest: Option<String>,
}

/// An area concerned (`area`, CAP 1.2 §3.2.4).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Area {
    /// Its description.
    pub area_desc: String,
    /// Polygons.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub polygons: Vec<Polygon>,
    /// Circles.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub circles: Vec<Circle>,
    /// Geographic codes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub geocodes: Vec<NamedValue>,
    /// Altitude, in feet above mean sea level.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub altitude: Option<String>,
    /// Ceiling, in feet above mean sea level (only with an altitude).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ceiling: Option<String>,
}

impl Alert {
    /// The gravest severity of its info blocks.
    pub fn severity(&self) -> Option<Severity> {
        self.infos
            .iter()
            .map(|i| i.severity)
            .max_by_key(|s| s.rank())
    }

    /// The first headline, else the first event: what a list shows.
    pub fn title(&self) -> Option<&str> {
        self.infos
            .iter()
            .find_map(|i| i.headline.as_deref().filter(|h| !h.trim().is_empty()))
            .or_else(|| self.infos.first().map(|i| i.event.as_str()))
    }
}

/// Checks a decimal as XML Schema writes one (altitude, ceiling).
pub(crate) fn is_decimal(text: &str) -> bool {
    number(text).is_some()
}

/// Whether every character of `text` may appear in an XML 1.0 document.
pub(crate) fn is_xml_text(text: &str) -> bool {
    text.chars().all(|c| {
        matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_keep_their_offset_and_refuse_z() {
        let t = CapTime::parse("2022-10-10T17:44:34-00:00").unwrap();
        assert_eq!(t.as_str(), "2022-10-10T17:44:34-00:00");
        assert_eq!(t.at().unix_timestamp(), 1_665_423_874);
        for bad in [
            "2022-10-10T17:44:34Z",
            "2022-10-10 17:44:34+00:00",
            "2022-13-10T17:44:34+00:00",
            "2022-10-10T17:44:34+15:00",
            "0000-10-10T17:44:34+00:00",
            "2022-10-10T17:44:34.5+00:00",
        ] {
            assert!(CapTime::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn polygons_are_closed_rings_of_four_points() {
        assert!(Polygon::parse("35.1,-91.33 35.22,-91.28 35.39,-91.23 35.1,-91.33").is_ok());
        assert!(Polygon::parse("35.1,-91.33 35.22,-91.28 35.1,-91.33").is_err());
        assert!(Polygon::parse("35.1,-91.33 35.22,-91.28 35.39,-91.23 35.2,-91.33").is_err());
        assert!(Polygon::parse("95,1 1,1 1,2 95,1").is_err());
        assert!(Polygon::parse("1e1,1 1,1 1,2 1e1,1").is_err());
        assert!(Polygon::parse("NaN,1 1,1 1,2 NaN,1").is_err());
    }

    #[test]
    fn circles_have_a_centre_and_a_radius() {
        let c = Circle::parse("32.9525,-115.5527 0").unwrap();
        assert_eq!(c.radius_km(), 0.0);
        assert!(Circle::parse("32.9525,-115.5527").is_err());
        assert!(Circle::parse("32.9525,-115.5527 -1").is_err());
    }
}
