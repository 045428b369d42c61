//! Incident reports of the national crisis centres: what happened, where (GeoJSON), how
//! grave (the CAP 1.2 vocabulary), and who may read it ([`Releasability`]).
//!
//! Groundwork for the crisis-response issue: the record and its checks. Storage, the
//! signed `report-incident` command, the API and the live stream come next.
//!
//! Places are the two RFC 7946 geometries a report needs, Point and Polygon, checked here
//! (positions in range, rings closed with four positions or more); the `geojson` crate
//! would parse them but leave these checks to us, so the two types are written out.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::charter::Charter;
use crate::code::{MemberCode, Slug};
use crate::releasability::{Releasability, SharingGroup};

/// CAP 1.2 `severity`, `urgency` and `certainty`: the values of `concord-cap`, so a report
/// and an alert grade alike.
pub use concord_cap::{Certainty, Severity, Urgency};

/// An RFC 7946 position: longitude, latitude (and an optional altitude).
pub type Position = Vec<f64>;

/// The geometries a report's place may take.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", content = "coordinates")]
pub enum Geometry {
    /// One position.
    Point(#[cfg_attr(feature = "openapi", schema(inline))] Position),
    /// An outer ring and optional holes, each a closed ring.
    Polygon(#[cfg_attr(feature = "openapi", schema(inline))] Vec<Vec<Position>>),
}

/// Why a geometry is not valid GeoJSON.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{at}: {what}")]
pub struct GeometryError {
    /// Where (`coordinates[0][3]`).
    pub at: String,
    /// What is wrong.
    pub what: String,
}

fn check_position(p: &Position, at: String) -> Result<(), GeometryError> {
    let fail = |what: String| {
        Err(GeometryError {
            at: at.clone(),
            what,
        })
    };
    if !(2..=3).contains(&p.len()) {
        return fail(format!(
            "a position is [longitude, latitude] or [longitude, latitude, altitude], not {} numbers",
            p.len()
        ));
    }
    if p.iter().any(|v| !v.is_finite()) {
        return fail("coordinates must be finite numbers".into());
    }
    if !(-180.0..=180.0).contains(&p[0]) {
        return fail(format!("longitude {} is outside -180..180", p[0]));
    }
    if !(-90.0..=90.0).contains(&p[1]) {
        return fail(format!("latitude {} is outside -90..90", p[1]));
    }
    Ok(())
}

impl Geometry {
    /// Checks the RFC 7946 rules: positions in range; every ring of four positions or
    /// more, its first and last the same.
    pub fn check(&self) -> Result<(), GeometryError> {
        match self {
            Geometry::Point(p) => check_position(p, "coordinates".into()),
            Geometry::Polygon(rings) => {
                if rings.is_empty() {
                    return Err(GeometryError {
                        at: "coordinates".into(),
                        what: "a polygon needs an outer ring".into(),
                    });
                }
                for (r, ring) in rings.iter().enumerate() {
                    for (i, p) in ring.iter().enumerate() {
                        check_position(p, format!("coordinates[{r}][{i}]"))?;
                    }
                    if ring.len() < 4 {
                        return Err(GeometryError {
                            at: format!("coordinates[{r}]"),
                            what: format!("a ring needs 4 positions or more, not {}", ring.len()),
                        });
                    }
                    if ring.first() != ring.last() {
                        return Err(GeometryError {
                            at: format!("coordinates[{r}]"),
                            what: "a ring must end where it starts".into(),
                        });
                    }
                }
                Ok(())
            }
        }
    }

    /// The bounding box `[west, south, east, north]`.
    pub fn bbox(&self) -> [f64; 4] {
        let positions: Vec<&Position> = match self {
            Geometry::Point(p) => vec![p],
            Geometry::Polygon(rings) => rings.iter().flatten().collect(),
        };
        let mut b = [
            f64::INFINITY,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NEG_INFINITY,
        ];
        for p in positions {
            b[0] = b[0].min(p[0]);
            b[1] = b[1].min(p[1]);
            b[2] = b[2].max(p[0]);
            b[3] = b[3].max(p[1]);
        }
        b
    }
}

/// A report by a national crisis centre.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IncidentReport {
    /// Identifier, chosen by the reporting centre (`kaz-2026-000123`).
    pub id: Slug,
    /// Version, from 1: an update is a new version, never an overwrite.
    pub version: u32,
    /// The reporting member.
    pub reporter: MemberCode,
    /// Threat domain, from the charter.
    pub domain: Slug,
    /// When it happened.
    #[serde(with = "time::serde::rfc3339")]
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub occurred_at: OffsetDateTime,
    /// Where.
    pub place: Geometry,
    /// The country it happened in (ISO 3166-1 alpha-3; any country).
    pub country: MemberCode,
    /// CAP severity.
    pub severity: Severity,
    /// CAP urgency.
    pub urgency: Urgency,
    /// CAP certainty.
    pub certainty: Certainty,
    /// Headline.
    pub title: String,
    /// What happened.
    pub text: String,
    /// Who may read it.
    pub releasability: Releasability,
}

/// Why a report is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReportError {
    /// The place is not valid GeoJSON.
    #[error("place: {0}")]
    Place(#[from] GeometryError),
    /// The domain is not one of the charter's.
    #[error("domain: `{0}` is not a threat domain of the charter ({1})")]
    UnknownDomain(String, String),
    /// The reporter is not a state of the charter.
    #[error("reporter: {0} is not a state of the charter")]
    UnknownReporter(MemberCode),
    /// The sharing group does not exist.
    #[error("releasability: no sharing group `{0}`")]
    UnknownGroup(String),
    /// A required text is empty.
    #[error("{0} must not be empty")]
    Empty(&'static str),
    /// The version is 0.
    #[error("version: versions start at 1")]
    VersionZero,
}

impl IncidentReport {
    /// Checks the report against the charter and the sharing groups.
    pub fn check(&self, charter: &Charter, groups: &[SharingGroup]) -> Result<(), ReportError> {
        if self.version == 0 {
            return Err(ReportError::VersionZero);
        }
        if charter.member(self.reporter).is_none() {
            return Err(ReportError::UnknownReporter(self.reporter));
        }
        if !charter.threat_domains.iter().any(|d| d.code == self.domain) {
            let known: Vec<&str> = charter
                .threat_domains
                .iter()
                .map(|d| d.code.as_str())
                .collect();
            return Err(ReportError::UnknownDomain(
                self.domain.to_string(),
                known.join(", "),
            ));
        }
        if let Releasability::Group(g) = &self.releasability
            && !groups.iter().any(|group| &group.code == g)
        {
            return Err(ReportError::UnknownGroup(g.to_string()));
        }
        if self.title.trim().is_empty() {
            return Err(ReportError::Empty("title"));
        }
        if self.text.trim().is_empty() {
            return Err(ReportError::Empty("text"));
        }
        self.place.check()?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const CHARTER: &str = include_str!("../../../data/charter.toml");

    fn report() -> IncidentReport {
        serde_json::from_value(serde_json::json!({
            "id": "tjk-2026-000017",
            "version": 1,
            "reporter": "TJK",
            "domain": "drug-trafficking",
            "occurred_at": "2026-11-20T03:40:00Z",
            "place": {"type": "Polygon", "coordinates": [[[68.3, 37.1], [68.9, 37.1], [68.9, 37.5], [68.3, 37.1]]]},
            "country": "TJK",
            "severity": "Severe",
            "urgency": "Immediate",
            "certainty": "Observed",
            "title": "Armed group crossing the Panj",
            "text": "A group of about twenty crossed the river at night.",
            "releasability": {"to": "members"}
        }))
        .unwrap()
    }

    #[test]
    fn a_report_is_checked_against_the_charter() {
        let charter = Charter::from_toml("charter.toml", CHARTER).unwrap();
        report().check(&charter, &[]).unwrap();
        assert_eq!(report().place.bbox(), [68.3, 37.1, 68.9, 37.5]);

        let mut r = report();
        r.domain = "piracy".parse().unwrap();
        assert!(matches!(
            r.check(&charter, &[]),
            Err(ReportError::UnknownDomain(..))
        ));
        let mut r = report();
        r.releasability = Releasability::Group("nobody".parse().unwrap());
        assert!(matches!(
            r.check(&charter, &[]),
            Err(ReportError::UnknownGroup(_))
        ));
        let mut r = report();
        r.place = Geometry::Polygon(vec![vec![
            vec![68.3, 37.1],
            vec![68.9, 37.1],
            vec![68.3, 37.1],
        ]]);
        let err = r.check(&charter, &[]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "place: coordinates[0]: a ring needs 4 positions or more, not 3"
        );
        let mut r = report();
        r.place = Geometry::Point(vec![190.0, 37.0]);
        assert!(
            r.check(&charter, &[])
                .unwrap_err()
                .to_string()
                .contains("longitude 190")
        );
    }

    #[test]
    fn unknown_fields_and_vocabulary_are_refused() {
        let mut v = serde_json::to_value(report()).unwrap();
        v["severity"] = "Catastrophic".into();
        assert!(serde_json::from_value::<IncidentReport>(v).is_err());
        let mut v = serde_json::to_value(report()).unwrap();
        v["place"] = serde_json::json!({"type": "LineString", "coordinates": [[0, 0], [1, 1]]});
        assert!(serde_json::from_value::<IncidentReport>(v).is_err());
        let mut v = serde_json::to_value(report()).unwrap();
        v["colour"] = "red".into();
        assert!(serde_json::from_value::<IncidentReport>(v).is_err());
    }

    proptest! {
        /// The decoder and the checks answer anything with a value or an error, never a
        /// panic: arbitrary JSON text, and arbitrary geometries.
        #[test]
        fn the_report_decoder_never_panics(text in "\\PC{0,300}") {
            let _ = serde_json::from_str::<IncidentReport>(&text);
        }

        #[test]
        fn geometry_checks_never_panic(rings in prop::collection::vec(prop::collection::vec(prop::collection::vec(prop::num::f64::ANY, 0..4), 0..7), 0..3)) {
            let g = Geometry::Polygon(rings);
            if g.check().is_ok() {
                let b = g.bbox();
                prop_assert!(b[0] <= b[2] && b[1] <= b[3]);
            }
        }

        /// A valid polygon's every position lies inside its bounding box.
        #[test]
        fn valid_rings_lie_in_their_box(points in prop::collection::vec((-180.0f64..=180.0, -90.0f64..=90.0), 3..10)) {
            let mut ring: Vec<Position> = points.iter().map(|&(x, y)| vec![x, y]).collect();
            ring.push(ring[0].clone());
            let g = Geometry::Polygon(vec![ring.clone()]);
            prop_assert!(g.check().is_ok());
            let b = g.bbox();
            for p in ring {
                prop_assert!(b[0] <= p[0] && p[0] <= b[2] && b[1] <= p[1] && p[1] <= b[3]);
            }
        }
    }
}
