//! Reading alerts: every read path of an alert goes through here, so none can forget its
//! releasability. Lists read the summary stored when the alert was issued (its CAP message
//! is read once, then), choosing rows by the reader's scope inside the query, newest first,
//! a page at a time.

use concord_core::access::{self, Guard};
use concord_core::council::IssuedAlert;
use concord_core::event::Event;
use concord_core::releasability::{Reader, SharingGroup};

use crate::{Store, StoreError};

/// What a list shows of an alert: who issued it, to whom it is released, and its CAP
/// header (absent only if the stored message no longer reads). Computed once, when the
/// alert is recorded.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct AlertSummary {
    /// Concord's identifier.
    pub id: String,
    /// Whose key signed it: a state's code or `secretariat`.
    pub issuer: String,
    /// To whom it is released.
    pub releasability: concord_core::releasability::Releasability,
    /// The situation it belongs to (shown only to readers of situations).
    pub situation: Option<String>,
    /// When Concord received it (RFC 3339).
    pub received_at: String,
    /// The signing key's identifier.
    pub key: String,
    /// The CAP identifier.
    pub identifier: Option<String>,
    /// The CAP sender.
    pub sender: Option<String>,
    /// When the sender sent it (CAP date-time).
    pub sent: Option<String>,
    /// CAP status.
    pub status: Option<String>,
    /// CAP message type.
    pub msg_type: Option<String>,
    /// CAP scope.
    pub scope: Option<String>,
    /// The gravest CAP severity of its info blocks.
    pub severity: Option<String>,
    /// Its first headline (else its first event).
    pub title: Option<String>,
}

impl AlertSummary {
    /// The summary of an issued alert (reads its CAP message).
    pub fn of(alert: &IssuedAlert) -> AlertSummary {
        let cap = alert.message().ok();
        AlertSummary {
            id: alert.alert.id.to_string(),
            issuer: alert.issuer.to_string(),
            releasability: alert.releasability.clone(),
            situation: alert.alert.situation.as_ref().map(ToString::to_string),
            received_at: alert
                .at
                .format(&time::format_description::well_known::Rfc3339)
                .unwrap_or_default(),
            key: alert.seal.key.clone(),
            identifier: cap.as_ref().map(|c| c.identifier.clone()),
            sender: cap.as_ref().map(|c| c.sender.clone()),
            sent: cap.as_ref().map(|c| c.sent.as_str().to_owned()),
            status: cap.as_ref().map(|c| c.status.as_str().to_owned()),
            msg_type: cap.as_ref().map(|c| c.msg_type.as_str().to_owned()),
            scope: cap.as_ref().map(|c| c.scope.as_str().to_owned()),
            severity: cap
                .as_ref()
                .and_then(|c| c.severity())
                .map(|s| s.as_str().to_owned()),
            title: cap.as_ref().and_then(|c| c.title().map(str::to_owned)),
        }
    }

    /// The summary as `reader` may see it: the situation it belongs to only to readers of
    /// situations (a public alert does not tell the public a confidential situation exists).
    pub fn for_reader(mut self, reader: &Reader, groups: &[SharingGroup]) -> AlertSummary {
        if !crate::access::reads_confidential(reader, groups) {
            self.situation = None;
        }
        self
    }
}

/// Which alerts to list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AlertPage {
    /// Only alerts of this situation.
    pub situation: Option<String>,
    /// Only alerts after this one in the list's order (received, id), from a cursor.
    pub after: Option<(String, String)>,
    /// At most this many.
    pub limit: i64,
}

/// The summaries of the alerts `reader` may read, newest first, a page at a time: the
/// query chooses rows by the reader's scope, and the policy is asked again for each.
pub async fn summaries(
    store: &dyn Store,
    reader: &Reader,
    groups: &[SharingGroup],
    page: &AlertPage,
) -> Result<Vec<AlertSummary>, StoreError> {
    let scope = access::scope(reader, groups);
    let bodies = store.alert_summaries(&scope, page).await?;
    let summaries: Vec<AlertSummary> = StoreError::decode_all("alert summary", bodies)?;
    Ok(summaries
        .into_iter()
        .filter(|s| {
            s.issuer.parse().is_ok_and(|issuer| {
                access::may_read(
                    &Guard::Released {
                        release: s.releasability.clone(),
                        originator: issuer,
                    },
                    reader,
                    groups,
                )
            })
        })
        .map(|s| s.for_reader(reader, groups))
        .collect())
}

/// The cursor of a summary in the list's order.
pub fn cursor(summary: &AlertSummary) -> String {
    crate::incidents::encode_cursor(&sortable(&summary.received_at), &summary.id)
}

/// A received time as stored for ordering (fixed width, UTC).
pub fn sortable(received_at: &str) -> String {
    time::OffsetDateTime::parse(received_at, &time::format_description::well_known::Rfc3339)
        .map(crate::incidents::sortable_time)
        .unwrap_or_default()
}

/// One alert, if it exists and the reader may read it.
pub async fn alert(
    store: &dyn Store,
    reader: &Reader,
    groups: &[SharingGroup],
    id: &str,
) -> Result<Option<IssuedAlert>, StoreError> {
    Ok(issued(store, &format!("alert/{id}"))
        .await?
        .filter(|a| visible(reader, groups, a)))
}

/// Whether the reader may read this alert.
pub fn visible(reader: &Reader, groups: &[SharingGroup], alert: &IssuedAlert) -> bool {
    access::may_read(&access::of_alert(alert), reader, groups)
}

async fn issued(store: &dyn Store, subject: &str) -> Result<Option<IssuedAlert>, StoreError> {
    Ok(store
        .subject_events(subject)
        .await?
        .into_iter()
        .find_map(|e| match e {
            Event::AlertIssued(a) => Some(*a),
            _ => None,
        }))
}
