//! `bench search`: incident search as a member reader, releasability in the query.

use std::time::Instant;

use concord_core::event::Event;

use super::{percentile, xorshift};
use crate::database;

/// What `bench search` measured.
#[derive(Debug, Clone, serde::Serialize)]
pub struct SearchFigures {
    /// Reports stored.
    pub reports: u64,
    /// Searches timed.
    pub searches: usize,
    /// Median, milliseconds.
    pub p50_ms: f64,
    /// 99th percentile, milliseconds.
    pub p99_ms: f64,
    /// Reports found per search, on average.
    pub mean_found: f64,
    /// The same searches read by a member state (Kazakhstan), releasability in the query:
    /// median, milliseconds.
    pub member_p50_ms: f64,
    /// ...99th percentile, milliseconds.
    pub member_p99_ms: f64,
    /// ...reports found per search, on average.
    pub member_mean_found: f64,
}

/// Stores `reports` signed incident reports (six reporters, every threat domain, spread over
/// a year and over Central Asia) in a fresh SQLite file, then times `searches` searches by
/// domain + country + 30-day window + bounding box, as the secretariat reads them and as a
/// member state reads them (the reports are released to members, to members and partners,
/// to the central-asia group, or to their originator only).
pub async fn search(reports: u64, searches: usize) -> anyhow::Result<SearchFigures> {
    use concord_core::council::SignedIncident;
    use concord_store::IncidentFilter;

    let dir = tempfile::tempdir()?;
    let url = format!("sqlite://{}", dir.path().join("search.db").display());
    let store = database::open(&url).await?;
    concord_store::init::init(store.as_ref(), &crate::demo::files()).await?;
    let charter = concord_store::queries::charter(store.as_ref()).await?;
    let origin = concord_store::queries::origin(store.as_ref()).await?;
    let domains: Vec<String> = charter
        .threat_domains
        .iter()
        .map(|d| d.code.to_string())
        .collect();
    let members = ["ARM", "BLR", "KAZ", "KGZ", "RUS", "TJK"];
    let secret = concord_ledger::signature::SecretKey::generate();
    let start = time::macros::datetime!(2026-01-01 0:00 UTC);
    let mut next = xorshift(0x2545_F491_4F6C_DD1D);
    let mut done = 0u64;
    while done < reports {
        let n = (reports - done).min(2000);
        let mut batch = Vec::with_capacity(n as usize);
        for i in done..done + n {
            let r = next();
            let reporter = members[(r % 6) as usize];
            let lon = 50.0 + (r >> 8) as f64 % 3000.0 / 100.0;
            let lat = 36.0 + (r >> 20) as f64 % 1800.0 / 100.0;
            let release = [
                serde_json::json!({"to": "members"}),
                serde_json::json!({"to": "members+partners"}),
                serde_json::json!({"to": "group", "group": "central-asia"}),
                serde_json::json!({"to": "originator"}),
            ][((r >> 56) % 4) as usize]
                .clone();
            let report: concord_core::incident::IncidentReport = serde_json::from_value(
                serde_json::json!({
                    "id": format!("{}-r{i}", reporter.to_lowercase()), "version": 1, "reporter": reporter,
                    "domain": domains[((r >> 32) % domains.len() as u64) as usize],
                    "occurred_at": (start + time::Duration::minutes(((r >> 40) % 525_600) as i64)).format(&time::format_description::well_known::Rfc3339)?,
                    "place": {"type": "Point", "coordinates": [lon, lat]},
                    "country": reporter, "severity": "Moderate", "urgency": "Expected", "certainty": "Observed",
                    "title": format!("Report {i}"), "text": "Synthetic.",
                    "releasability": release
                }),
            )?;
            // Signed as a centre would; the store is filled directly, as a replay would.
            let command = concord_core::council::Command::ReportIncident(Box::new(report.clone()));
            batch.push(Event::IncidentReported(Box::new(SignedIncident {
                seal: concord_core::council::Seal::sign(&secret, &origin, &command, start),
                report,
                on: start.date(),
            })));
        }
        store.commit(&batch, None).await?;
        done += n;
    }
    let secretariat = concord_core::releasability::Reader::Secretariat;
    let member = concord_core::releasability::Reader::State {
        code: "KAZ".parse()?,
        status: concord_core::registry::MemberStatus::Member,
    };
    let mut times = Vec::with_capacity(searches);
    let mut member_times = Vec::with_capacity(searches);
    let mut found = 0usize;
    let mut member_found = 0usize;
    for _ in 0..searches {
        let r = next();
        let from = start + time::Duration::days((r % 330) as i64);
        let west = 50.0 + (r >> 16) as f64 % 2000.0 / 100.0;
        let south = 36.0 + (r >> 28) as f64 % 1000.0 / 100.0;
        let filter = IncidentFilter {
            domain: Some(domains[((r >> 40) % domains.len() as u64) as usize].clone()),
            country: Some(members[((r >> 48) % 6) as usize].to_owned()),
            from: Some(concord_store::incidents::sortable_time(from)),
            to: Some(concord_store::incidents::sortable_time(
                from + time::Duration::days(30),
            )),
            min_severity: None,
            text: None,
            bbox: Some([west, south, west + 10.0, south + 8.0]),
            after: None,
            ids: None,
            limit: 100,
        };
        for (reader, times, found) in [
            (&secretariat, &mut times, &mut found),
            (&member, &mut member_times, &mut member_found),
        ] {
            let t = Instant::now();
            let hits = concord_store::incidents::incidents(
                store.as_ref(),
                reader,
                &charter.sharing_groups,
                &filter,
            )
            .await?;
            times.push(t.elapsed());
            *found += hits.len();
        }
    }
    times.sort();
    member_times.sort();
    Ok(SearchFigures {
        reports,
        searches,
        p50_ms: percentile(&times, 0.5) / 1000.0,
        p99_ms: percentile(&times, 0.99) / 1000.0,
        mean_found: found as f64 / searches.max(1) as f64,
        member_p50_ms: percentile(&member_times, 0.5) / 1000.0,
        member_p99_ms: percentile(&member_times, 0.99) / 1000.0,
        member_mean_found: member_found as f64 / searches.max(1) as f64,
    })
}
