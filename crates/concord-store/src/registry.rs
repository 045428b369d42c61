//! The registry a batch of commands is decided on — the members' statuses as a timeline,
//! and the registered keys — kept between batches while the database's registry version
//! stays the same. Reading both for every batch was two of a batch's four reads; the version
//! comes with the subject heads, in the same statement ([`crate::Store::subject_heads`]),
//! and the database bumps it in the same transaction as any change to those tables, so a
//! change made by another server, a command-line tool or by hand is seen by the next batch.

use std::sync::{Arc, Mutex};

use concord_core::charter::Charter;
use concord_core::keys::KeyRegistration;
use concord_core::registry::StatusTimeline;

use crate::{Store, StoreError};

/// The registry as read at one version.
#[derive(Debug)]
pub struct Registry {
    /// Each member's status over time.
    pub timeline: StatusTimeline,
    /// Every registered key.
    pub keys: Vec<KeyRegistration>,
}

/// The registry last read, and the version it was read at.
#[derive(Debug, Default)]
pub struct KeptRegistry {
    kept: Mutex<Option<(i64, Arc<Registry>)>>,
}

impl KeptRegistry {
    /// The registry at `version` (read with the subject heads): the one kept if it was read
    /// at that version, else read now and kept. What is read now is at least as new as
    /// `version`, and is kept under it: a change made meanwhile moves the version again,
    /// and the next batch reads afresh.
    pub async fn at(
        &self,
        store: &dyn Store,
        charter: &Charter,
        version: i64,
    ) -> Result<Arc<Registry>, StoreError> {
        if let Some((kept, registry)) = &*self.lock()
            && *kept == version
        {
            return Ok(registry.clone());
        }
        let (statuses, keys) = tokio::try_join!(store.status_records(), store.keys())?;
        let registry = Arc::new(Registry {
            timeline: charter.timeline(statuses),
            keys,
        });
        *self.lock() = Some((version, registry.clone()));
        Ok(registry)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<(i64, Arc<Registry>)>> {
        self.kept
            .lock()
            .expect("the kept registry's lock is never poisoned")
    }
}
