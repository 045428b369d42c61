//! `concord incidents`: a national crisis centre's incident reports from the command line,
//! signed with the member's key file; and the reports as the secretariat reads them.

use std::path::PathBuf;

use anyhow::Context;
use clap::{Args, Subcommand};
use concord_core::code::{MemberCode, Slug};
use concord_core::council::Command;
use concord_core::incident::{Certainty, Geometry, IncidentReport, Severity, Urgency};
use concord_core::keys::KeyOwner;
use concord_core::releasability::{Reader, Releasability};
use concord_store::{IncidentFilter, Store};

/// Incident report operations.
#[derive(Debug, Subcommand)]
pub enum IncidentsCommand {
    /// Report an incident (or a new version of a report), signed with the reporting
    /// member's key file.
    Report(Box<ReportArgs>),
    /// The latest version of each report, newest first (as the secretariat reads them).
    List {
        /// Only this threat domain.
        #[arg(long)]
        domain: Option<String>,
        /// Only this country.
        #[arg(long)]
        country: Option<String>,
        /// At most this many.
        #[arg(long, default_value_t = 50)]
        limit: i64,
    },
}

/// What `concord incidents report` takes.
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// The reporting member's signing key.
    #[arg(long, env = "CONCORD_KEY")]
    pub key: PathBuf,
    /// The report's identifier (e.g. tjk-2026-000017).
    #[arg(long)]
    pub id: Slug,
    /// Threat domain, from the charter (e.g. drug-trafficking).
    #[arg(long)]
    pub domain: Slug,
    /// Country where it happened.
    #[arg(long)]
    pub country: MemberCode,
    /// Where, as `longitude,latitude`.
    #[arg(long, conflicts_with = "place")]
    pub point: Option<String>,
    /// Where, as a GeoJSON Point or Polygon.
    #[arg(long)]
    pub place: Option<String>,
    /// When it happened (RFC 3339; now if absent).
    #[arg(long)]
    pub occurred_at: Option<String>,
    /// CAP severity: Extreme, Severe, Moderate, Minor, Unknown.
    #[arg(long)]
    pub severity: String,
    /// CAP urgency: Immediate, Expected, Future, Past, Unknown.
    #[arg(long)]
    pub urgency: String,
    /// CAP certainty: Observed, Likely, Possible, Unlikely, Unknown.
    #[arg(long)]
    pub certainty: String,
    /// Title.
    #[arg(long)]
    pub title: String,
    /// Text.
    #[arg(long)]
    pub text: String,
    /// Who may read it: originator, members, members+partners, group:NAME or public.
    #[arg(long)]
    pub releasability: Releasability,
    /// Print the signed command (for `POST /api/v1/incidents`) instead of recording it.
    #[arg(long)]
    pub print: bool,
}

fn cap_value<T>(
    name: &str,
    text: &str,
    parse: fn(&str) -> Option<T>,
    choices: fn() -> String,
) -> anyhow::Result<T> {
    parse(text).with_context(|| format!("--{name}: `{text}` is not one of {}", choices()))
}

/// Carries out an incident operation.
pub async fn run(store: &dyn Store, what: IncidentsCommand) -> anyhow::Result<()> {
    match what {
        IncidentsCommand::Report(args) => {
            let ReportArgs {
                key,
                id,
                domain,
                country,
                point,
                place,
                occurred_at,
                severity,
                urgency,
                certainty,
                title,
                text,
                releasability,
                print,
            } = *args;
            let (secret, owner) = crate::keys::read_secret(&key)?;
            let KeyOwner::Member(reporter) = owner else {
                anyhow::bail!("an incident is reported with a member's key, not the secretariat's");
            };
            let place: Geometry = match (point, place) {
                (Some(p), _) => {
                    let c: Vec<f64> = p
                        .split(',')
                        .map(|v| v.trim().parse::<f64>())
                        .collect::<Result<_, _>>()
                        .with_context(|| format!("--point: `{p}` is not `longitude,latitude`"))?;
                    serde_json::from_value(serde_json::json!({"type": "Point", "coordinates": c}))?
                }
                (None, Some(g)) => serde_json::from_str(&g)
                    .with_context(|| "--place: not a GeoJSON Point or Polygon".to_owned())?,
                (None, None) => anyhow::bail!("say where: --point LON,LAT or --place GEOJSON"),
            };
            let occurred_at = match occurred_at {
                Some(t) => {
                    time::OffsetDateTime::parse(&t, &time::format_description::well_known::Rfc3339)
                        .with_context(|| format!("--occurred-at: `{t}` is not an RFC 3339 time"))?
                }
                None => time::OffsetDateTime::now_utc(),
            };
            let version = store
                .incident_versions(id.as_str())
                .await?
                .last()
                .map_or(1, |v| v.report.version + 1);
            let report = IncidentReport {
                id,
                version,
                reporter,
                domain,
                occurred_at,
                place,
                country,
                severity: cap_value("severity", &severity, Severity::parse, Severity::choices)?,
                urgency: cap_value("urgency", &urgency, Urgency::parse, Urgency::choices)?,
                certainty: cap_value(
                    "certainty",
                    &certainty,
                    Certainty::parse,
                    Certainty::choices,
                )?,
                title,
                text,
                releasability,
            };
            let command = Command::ReportIncident(Box::new(report));
            super::council::sign_and_record(store, &secret, owner, command, print).await
        }
        IncidentsCommand::List {
            domain,
            country,
            limit,
        } => {
            let filter = IncidentFilter {
                domain,
                country,
                limit,
                ..Default::default()
            };
            let charter = concord_store::queries::charter(store).await?;
            let reports = concord_store::incidents::incidents(
                store,
                &Reader::Secretariat,
                &charter.sharing_groups,
                &filter,
            )
            .await?;
            for i in reports {
                let r = &i.report;
                println!(
                    "{:<20} v{:<3} {:<4} {:<22} {:<9} {}  {}",
                    r.id.to_string(),
                    r.version,
                    r.reporter.as_str(),
                    r.domain.to_string(),
                    r.severity.as_str(),
                    r.occurred_at
                        .format(&time::format_description::well_known::Rfc3339)?,
                    r.title
                );
            }
            Ok(())
        }
    }
}
