//! Reading incident reports: the one place every read path of a releasable record goes
//! through, so that none can forget releasability. The ledger's entries endpoint withholds
//! what the reader may not read here too.

use concord_core::council::{SignedIncident, member_or_secretariat, members_only_subject};
use concord_core::event::Event;
use concord_core::keys::KeyOwner;
use concord_core::releasability::{Reader, SharingGroup, may_read, may_read_from};
use serde_json::{Value, json};

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

/// The latest version of each report the reader may read, newest first.
pub async fn incidents(
    store: &dyn Store,
    reader: &Reader,
    groups: &[SharingGroup],
    filter: &IncidentFilter,
) -> Result<Vec<SignedIncident>, StoreError> {
    let all = store.incident_reports(filter).await?;
    Ok(all
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
    let r = &incident.report;
    may_read(&r.releasability, r.reporter, reader, groups)
}

/// What stands between a ledger entry and a reader, worked out once per entry.
#[derive(Debug, Clone, PartialEq)]
pub enum Guard {
    /// Anyone may read it.
    Open,
    /// A releasable record of this originator.
    Released(concord_core::releasability::Releasability, KeyOwner),
    /// The secretariat's own records (API tokens, accounts and sign-ins).
    SecretariatOnly,
    /// Requests for collective assistance and their consultations: members and the
    /// secretariat.
    MembersOnly,
    /// Unreadable as a record: shown to nobody (the audit will name it).
    Nobody,
}

/// The guard of a ledger entry.
pub fn guard_of(entry: &Value) -> Guard {
    let Ok(event) = serde_json::from_value::<Event>(entry["event"].clone()) else {
        return Guard::Nobody;
    };
    match &event {
        Event::IncidentReported(i) => Guard::Released(
            i.report.releasability.clone(),
            KeyOwner::Member(i.report.reporter),
        ),
        Event::AlertIssued(a) => Guard::Released(a.releasability.clone(), a.issuer),
        Event::TokenIssued(_) | Event::TokenRevoked(_) | Event::AccountChanged(_) => {
            Guard::SecretariatOnly
        }
        _ if event.subject().is_some_and(|s| members_only_subject(&s)) => Guard::MembersOnly,
        _ => Guard::Open,
    }
}

/// Whether `reader` may read an entry with this guard.
pub fn permits(guard: &Guard, reader: &Reader, groups: &[SharingGroup]) -> bool {
    match guard {
        Guard::Open => true,
        Guard::Released(release, originator) => may_read_from(release, *originator, reader, groups),
        Guard::SecretariatOnly => concord_core::tokens::may_read_tokens(reader),
        Guard::MembersOnly => member_or_secretariat(reader),
        Guard::Nobody => false,
    }
}

/// A ledger entry as the reader may see it: whole, or, for a record it may not read, only
/// its index, kind and leaf hash (enough to check proofs, nothing of the record).
pub fn entry_for(reader: &Reader, groups: &[SharingGroup], entry: Value, leaf_hash: &str) -> Value {
    if permits(&guard_of(&entry), reader, groups) {
        entry
    } else {
        json!({
            "index": entry["index"],
            "withheld": "releasability",
            "kind": entry["event"]["type"],
            "leaf_hash": leaf_hash,
        })
    }
}
