//! Reading alerts: every read path of an alert goes through here, so none can forget its
//! releasability.

use concord_core::council::IssuedAlert;
use concord_core::event::Event;
use concord_core::releasability::{Reader, SharingGroup, may_read_from};

use crate::{Store, StoreError};

/// The alerts the reader may read, newest first.
pub async fn alerts(
    store: &dyn Store,
    reader: &Reader,
    groups: &[SharingGroup],
) -> Result<Vec<IssuedAlert>, StoreError> {
    let mut out = Vec::new();
    for subject in store.subjects("alert").await? {
        if let Some(alert) = issued(store, &subject).await?
            && visible(reader, groups, &alert)
        {
            out.push(alert);
        }
    }
    out.sort_by(|a, b| b.at.cmp(&a.at).then_with(|| a.alert.id.cmp(&b.alert.id)));
    Ok(out)
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
    may_read_from(&alert.releasability, alert.issuer, reader, groups)
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
