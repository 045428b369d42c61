//! Reading incident reports: every read path of a releasable report goes through here.
//! Lists choose rows by the reader's [`Scope`] inside the query, so ordering, text search
//! and the limit see only what the reader may read; one report's versions are filtered by
//! the same policy.

use concord_core::access::{self, Scope};
use concord_core::council::SignedIncident;
use concord_core::releasability::{Reader, SharingGroup};

use crate::{IncidentFilter, Store, StoreError};

/// A time as stored for searching: UTC, fixed width (microseconds), so that text order is
/// time order.
pub fn sortable_time(t: time::OffsetDateTime) -> String {
    let utc = t.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}Z",
        utc.year(),
        u8::from(utc.month()),
        utc.day(),
        utc.hour(),
        utc.minute(),
        utc.second(),
        utc.microsecond()
    )
}

/// The latest version of each report the reader may read, newest first, at most
/// `filter.limit`, after `filter.after`.
pub async fn incidents(
    store: &dyn Store,
    reader: &Reader,
    groups: &[SharingGroup],
    filter: &IncidentFilter,
) -> Result<Vec<SignedIncident>, StoreError> {
    let scope = access::scope(reader, groups);
    let found = store.incident_reports(&scope, filter).await?;
    // The query chose by the scope; the policy is asked again for each row, so that a
    // backend that got it wrong would show less, never more.
    Ok(found
        .into_iter()
        .filter(|i| visible(reader, groups, i))
        .collect())
}

/// The versions of one report the reader may read, oldest first (each version carries its
/// own releasability); empty when there are none, whether the report exists or not.
pub async fn incident(
    store: &dyn Store,
    reader: &Reader,
    groups: &[SharingGroup],
    id: &str,
) -> Result<Vec<SignedIncident>, StoreError> {
    let versions = store.incident_versions(id).await?;
    Ok(versions
        .into_iter()
        .filter(|i| visible(reader, groups, i))
        .collect())
}

/// Whether the reader may read this version.
pub fn visible(reader: &Reader, groups: &[SharingGroup], incident: &SignedIncident) -> bool {
    access::may_read(&access::of_report(&incident.report), reader, groups)
}

/// Where a list of reports goes on: the sort key of the last one returned
/// (`occurred_at`, `id`), written as one opaque cursor.
pub fn cursor(incident: &SignedIncident) -> String {
    encode_cursor(
        &sortable_time(incident.report.occurred_at),
        incident.report.id.as_str(),
    )
}

/// A keyset cursor over (time, id): `time|id` in hex.
pub fn encode_cursor(time: &str, id: &str) -> String {
    hex::encode(format!("{time}|{id}"))
}

/// The (time, id) a cursor stands for, if it is one.
pub fn decode_cursor(cursor: &str) -> Option<(String, String)> {
    let bytes = hex::decode(cursor).ok()?;
    let text = String::from_utf8(bytes).ok()?;
    let (time, id) = text.split_once('|')?;
    (time.len() == 27 && !id.is_empty()).then(|| (time.to_owned(), id.to_owned()))
}

/// The scope a query applies, for backends: the originator's code or `secretariat`.
pub fn scope_owner(scope: &Scope) -> Option<String> {
    scope.own.map(|o| o.to_string())
}
