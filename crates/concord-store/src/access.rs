//! The access policy of `concord_core::access`, applied to what is stored: an event's rule
//! may follow its session or its document, which the store looks up. What is resolved is
//! remembered, since a session's confidentiality and a document's session never change.
//! What cannot be resolved (a record that is not there) is shown to nobody.

use std::collections::HashMap;
use std::sync::Mutex;

use concord_core::access::{self, Guard, Rule};
use concord_core::event::Event;
use concord_core::releasability::{Reader, SharingGroup};
use serde_json::{Value, json};

use crate::{Store, StoreError};

/// The guards of sessions and documents resolved so far, by subject (`session/…`,
/// `document/…`).
#[derive(Debug, Default)]
pub struct Guards {
    known: Mutex<HashMap<String, Guard>>,
}

impl Guards {
    fn remembered(&self, subject: &str) -> Option<Guard> {
        self.known
            .lock()
            .expect("the guards lock is never poisoned")
            .get(subject)
            .cloned()
    }

    fn remember(&self, subject: String, guard: &Guard) {
        // Only what exists is remembered: a record not yet there may appear later.
        if *guard != Guard::Nobody {
            self.known
                .lock()
                .expect("the guards lock is never poisoned")
                .insert(subject, guard.clone());
        }
    }

    /// The guard of a session: its confidentiality; nobody's if it does not exist.
    pub async fn of_session(&self, store: &dyn Store, id: &str) -> Result<Guard, StoreError> {
        let subject = format!("session/{id}");
        if let Some(g) = self.remembered(&subject) {
            return Ok(g);
        }
        let guard = match store.session(id).await? {
            Some(s) => access::of_session(&s),
            None => Guard::Nobody,
        };
        self.remember(subject, &guard);
        Ok(guard)
    }

    /// The guard of a document: its session's; nobody's if it does not exist.
    pub async fn of_document(&self, store: &dyn Store, id: &str) -> Result<Guard, StoreError> {
        let subject = format!("document/{id}");
        if let Some(g) = self.remembered(&subject) {
            return Ok(g);
        }
        let guard = match store.document(id).await? {
            Some(d) => self.of_session(store, d.session.as_str()).await?,
            None => Guard::Nobody,
        };
        self.remember(subject, &guard);
        Ok(guard)
    }

    /// The guard of an event.
    pub async fn of_event(&self, store: &dyn Store, event: &Event) -> Result<Guard, StoreError> {
        match access::rule(event) {
            Rule::Is(guard) => Ok(guard),
            Rule::OfSession(id) => self.of_session(store, id.as_str()).await,
            Rule::OfDocument(id) => self.of_document(store, id.as_str()).await,
        }
    }

    /// The guard of a stored ledger entry (its JSON); nobody's if it cannot be read as an
    /// event.
    pub async fn of_entry(&self, store: &dyn Store, entry: &Value) -> Result<Guard, StoreError> {
        match serde_json::from_value::<Event>(entry["event"].clone()) {
            Ok(event) => self.of_event(store, &event).await,
            Err(_) => Ok(Guard::Nobody),
        }
    }
}

/// Whether `reader` may read what `guard` guards (the one policy's answer).
pub fn permits(guard: &Guard, reader: &Reader, groups: &[SharingGroup]) -> bool {
    access::may_read(guard, reader, groups)
}

/// A ledger entry as a reader who may not read it sees it: its index and leaf hash, which
/// proofs need, and nothing else (not even its kind). The entry's secret salt keeps the
/// leaf hash from confirming a guess of its contents.
pub fn withheld(index: u64, leaf_hash: &str) -> Value {
    json!({
        "index": index,
        "withheld": true,
        "leaf_hash": leaf_hash,
    })
}

/// Whether `reader` may read the session `id` (false if it does not exist).
pub async fn may_read_session(
    store: &dyn Store,
    reader: &Reader,
    groups: &[SharingGroup],
    id: &str,
) -> Result<bool, StoreError> {
    let guard = store.guards().of_session(store, id).await?;
    Ok(permits(&guard, reader, groups))
}

/// Whether `reader` may read the document `id` (false if it does not exist).
pub async fn may_read_document(
    store: &dyn Store,
    reader: &Reader,
    groups: &[SharingGroup],
    id: &str,
) -> Result<bool, StoreError> {
    let guard = store.guards().of_document(store, id).await?;
    Ok(permits(&guard, reader, groups))
}

/// Whether `reader` may read confidential crisis work: requests for collective assistance
/// and situations.
pub fn reads_confidential(reader: &Reader, groups: &[SharingGroup]) -> bool {
    permits(&Guard::Confidential, reader, groups)
}
