//! `concord init`: create the organisation from a charter and load a history, once.

use concord_core::charter::Charter;
use concord_core::event::Event;
use concord_core::history::History;
use concord_core::location::DataError;
use sha2::{Digest, Sha256};

use crate::{DatasetMark, Store, StoreError};

/// The data files to initialise from.
#[derive(Debug, Clone)]
pub struct InitFiles<'a> {
    /// Name of the charter file, for errors.
    pub charter_name: &'a str,
    /// The charter's text.
    pub charter: &'a str,
    /// Name of the history file, for errors.
    pub history_name: &'a str,
    /// The history's text (may be empty: no history).
    pub history: &'a str,
}

/// The name under which the charter and history are recorded as loaded.
pub const DATASET: &str = "charter+history";

/// What `init` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InitOutcome {
    /// The organisation was created; this many events were recorded.
    Created {
        /// Events recorded.
        events: usize,
    },
    /// The same charter and history were already loaded: nothing changed.
    AlreadyLoaded,
}

/// Why `init` refused.
#[derive(Debug, thiserror::Error)]
pub enum InitError {
    /// A data file is malformed or inconsistent.
    #[error(transparent)]
    Data(#[from] DataError),
    /// The database already holds a different charter or history.
    #[error(
        "this database was initialised from different data (sha256 {stored}); the files given hash to {given}. \
         Concord does not rewrite an organisation's history: use a new database, or the files it was created from"
    )]
    Different {
        /// What the database holds.
        stored: String,
        /// What was given.
        given: String,
    },
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Checks the files and returns the events that would record them, with their mark.
pub fn prepare(files: &InitFiles<'_>) -> Result<(Vec<Event>, DatasetMark), DataError> {
    let charter = Charter::from_toml(files.charter_name, files.charter)?;
    let history = if files.history.trim().is_empty() {
        None
    } else {
        Some(History::from_toml(
            files.history_name,
            files.history,
            &charter,
        )?)
    };
    let mut hasher = Sha256::new();
    for part in [files.charter, "\u{0}", files.history] {
        hasher.update(part.as_bytes());
    }
    let mark = DatasetMark {
        name: DATASET.to_owned(),
        sha256: hex::encode(hasher.finalize()),
    };
    let mut events = vec![Event::CharterAdopted(Box::new(charter))];
    if let Some(history) = history {
        events.extend(history.events());
    }
    Ok((events, mark))
}

/// Creates the organisation from the files, or does nothing if the same files were
/// already loaded. Safe to run concurrently from several nodes.
pub async fn init(store: &dyn Store, files: &InitFiles<'_>) -> Result<InitOutcome, InitError> {
    let (events, mark) = prepare(files)?;
    let check = |stored: Option<DatasetMark>| match stored {
        Some(stored) if stored.sha256 == mark.sha256 => Ok(Some(InitOutcome::AlreadyLoaded)),
        Some(stored) => Err(InitError::Different {
            stored: stored.sha256,
            given: mark.sha256.clone(),
        }),
        None => Ok(None),
    };
    if let Some(outcome) = check(store.dataset(DATASET).await?)? {
        return Ok(outcome);
    }
    match store.commit(&events, Some(&mark)).await {
        Ok(_) => Ok(InitOutcome::Created {
            events: events.len(),
        }),
        // Another node loaded it between our check and our commit.
        Err(StoreError::Conflict(_)) => match check(store.dataset(DATASET).await?)? {
            Some(outcome) => Ok(outcome),
            None => Err(StoreError::Conflict("dataset mark vanished".into()).into()),
        },
        Err(e) => Err(e.into()),
    }
}
