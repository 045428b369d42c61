//! The storage contract of Concord.
//!
//! Every write goes through [`Store::commit`]: one transaction appends the events to the
//! log and updates the read tables derived from them. SQLite (`concord-store-sqlite`) and
//! PostgreSQL (`concord-store-postgres`) implement the same trait and pass the same tests.
//! [`queries`] turns stored records into the views the API and CLI print, so both print the
//! same thing.

pub mod access;
pub mod accounts;
pub mod alerts;
pub mod annual;
pub mod append;
pub mod batch;
pub mod council;
pub mod federation;
pub mod group_commit;
pub mod hash_cache;
pub mod incidents;
pub mod init;
pub mod ledger;
pub mod projection;
pub mod queries;
pub mod registry;
mod verifiers;
pub mod year;

use async_trait::async_trait;
use concord_core::charter::Charter;
use concord_core::consensus::SignedPosition;
use concord_core::council::{Circulation, Decision, SignedIncident, VersionRecord};
use concord_core::event::Event;
use concord_core::history::{
    Appointment, ChairmanshipStatement, Document, Exercise, ExerciseYear, Operation, Programme,
    Session, Source,
};
use concord_core::keys::KeyRegistration;
use concord_core::registry::StatusRecord;
use concord_core::tokens::ApiToken;
pub use concord_ledger::Hash;

/// A batch of data loaded from a file, recorded so that loading it again is a no-op.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DatasetMark {
    /// What was loaded (`demo`, or a file name).
    pub name: String,
    /// SHA-256 of the loaded text, hex.
    pub sha256: String,
}

/// A condition on a commit: the subject's latest event is still the one the command was
/// decided against. Commands read, decide, then write; this makes the write fail with
/// [`StoreError::Conflict`] if anything changed the subject in between.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expect {
    /// The subject (`document/…`, `session/…`, `keys`).
    pub subject: String,
    /// Its latest event's leaf index when read (`None`: it had none).
    pub last: Option<i64>,
}

/// What identifies a received seal: the moment it claims, its key and its nonce, as signed.
pub type SealId = (String, String, String);

/// The heads of a batch's subjects and the registry's version, read together.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SubjectHeads {
    /// Each subject's latest leaf index, in the order asked.
    pub heads: Vec<Option<i64>>,
    /// The registry's version: the database bumps it in the same transaction as every
    /// change to member statuses, keys or nodes (a trigger), so a registry read at one
    /// version still holds while the version does ([`crate::registry::KeptRegistry`]).
    pub registry_version: i64,
}

/// A console session as stored: whose, its CSRF token, and when it expires (UTC, fixed
/// width, so that text order is time order). The cookie itself is kept only as SHA-256.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsoleSession {
    /// The account.
    pub username: String,
    /// The token every form of this session carries.
    pub csrf: String,
    /// When it ends.
    pub expires_at: String,
}

/// Which incident reports to list.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct IncidentFilter {
    /// Only this threat domain.
    pub domain: Option<String>,
    /// Only this country.
    pub country: Option<String>,
    /// Only reports of incidents at or after this time (as [`incidents::sortable_time`]).
    pub from: Option<String>,
    /// Only reports of incidents before this time (as [`incidents::sortable_time`]).
    pub to: Option<String>,
    /// Only reports at least this severe ([`concord_core::incident::Severity::rank`]).
    pub min_severity: Option<i64>,
    /// Only reports whose title or text contains this (ASCII case ignored).
    pub text: Option<String>,
    /// Only reports whose place meets this box: west, south, east, north.
    pub bbox: Option<[f64; 4]>,
    /// Only reports after this one in the list's order (its time and id, from a cursor).
    pub after: Option<(String, String)>,
    /// Only these reports.
    pub ids: Option<Vec<String>>,
    /// At most this many.
    pub limit: i64,
}

/// Which sessions to list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SessionFilter {
    /// Only sessions in this calendar year.
    pub year: Option<i32>,
    /// Only sessions of this body (alone or jointly).
    pub body: Option<String>,
}

/// Why the store failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database refused or failed.
    #[error("database error: {0}")]
    Database(String),
    /// The database's schema could not be brought up to date.
    #[error("migration failed: {0}")]
    Migration(String),
    /// A stored record cannot be read back: the database was changed by hand or by a
    /// different version.
    #[error("stored record is unreadable ({what}): {why}")]
    Corrupt {
        /// Which record.
        what: String,
        /// Why.
        why: String,
    },
    /// The ledger's hashes disagree with themselves or are missing.
    #[error("ledger: {0}")]
    Ledger(String),
    /// The write conflicts with one made at the same time (e.g. two nodes initialising).
    #[error("conflicting write: {0}")]
    Conflict(String),
}

impl StoreError {
    /// Decodes a stored JSON body, naming the record if it fails.
    pub fn decode<T: serde::de::DeserializeOwned>(what: &str, json: &str) -> Result<T, StoreError> {
        serde_json::from_str(json).map_err(|e| StoreError::Corrupt {
            what: what.to_owned(),
            why: e.to_string(),
        })
    }

    /// Decodes a list of stored JSON bodies.
    pub fn decode_all<T: serde::de::DeserializeOwned>(
        what: &str,
        bodies: Vec<String>,
    ) -> Result<Vec<T>, StoreError> {
        bodies.iter().map(|b| StoreError::decode(what, b)).collect()
    }

    /// Hashes stored for `indexes`, checked to be complete and well-formed.
    pub fn hashes_in_order(
        indexes: &[u64],
        found: Vec<(i64, Vec<u8>)>,
    ) -> Result<Vec<Hash>, StoreError> {
        let mut by_index = std::collections::HashMap::with_capacity(found.len());
        for (idx, bytes) in found {
            let array: [u8; 32] = bytes
                .try_into()
                .map_err(|_| StoreError::Ledger(format!("stored hash {idx} is not 32 bytes")))?;
            by_index.insert(idx as u64, Hash(array));
        }
        indexes
            .iter()
            .map(|i| {
                by_index
                    .get(i)
                    .copied()
                    .ok_or_else(|| StoreError::Ledger(format!("stored hash {i} is missing")))
            })
            .collect()
    }

    /// Encodes a record as the JSON body stored beside its indexed columns.
    pub fn encode<T: serde::Serialize + ?Sized>(value: &T) -> String {
        serde_json::to_string(value).expect("domain records always serialise")
    }
}

/// Persistence for Concord: the event log and the read tables derived from it.
#[async_trait]
pub trait Store: Send + Sync {
    /// Appends `events` in order as ledger leaves (entry, leaf hash, interior hashes) and
    /// updates the read tables, in one transaction; with a dataset mark, records it in the
    /// same transaction. Returns the leaf index of the last event. Nothing is written if
    /// anything fails.
    async fn commit(
        &self,
        events: &[Event],
        dataset: Option<&DatasetMark>,
    ) -> Result<i64, StoreError> {
        self.append(events, dataset, &[]).await
    }

    /// [`Store::commit`], failing with [`StoreError::Conflict`] unless every expectation
    /// still holds inside the transaction.
    async fn append(
        &self,
        events: &[Event],
        dataset: Option<&DatasetMark>,
        expect: &[Expect],
    ) -> Result<i64, StoreError>;

    /// The cache of the ledger's upper tree levels, shared by every request.
    fn hash_cache(&self) -> &hash_cache::HashCache;

    /// The subjects of one kind (`situation`, `request`...), in order of their names.
    async fn subjects(&self, kind: &str) -> Result<Vec<String>, StoreError>;

    /// Every event of `subject`, in ledger order.
    async fn subject_events(&self, subject: &str) -> Result<Vec<Event>, StoreError>;

    /// The leaf index of the latest event of `subject`, if any.
    async fn subject_head(&self, subject: &str) -> Result<Option<i64>, StoreError>;

    /// An account and whether it is closed.
    async fn account(
        &self,
        username: &str,
    ) -> Result<Option<(concord_core::accounts::Account, bool)>, StoreError>;

    /// Every account and whether it is closed, by username.
    async fn accounts(&self) -> Result<Vec<(concord_core::accounts::Account, bool)>, StoreError>;

    /// Sets an account's password hash (Argon2id, PHC string). Not on the ledger.
    async fn set_password(
        &self,
        username: &str,
        password_hash: &str,
        at: &str,
    ) -> Result<(), StoreError>;

    /// An account's password hash.
    async fn password_hash(&self, username: &str) -> Result<Option<String>, StoreError>;

    /// Records a console session under the SHA-256 of its cookie.
    async fn open_console_session(
        &self,
        sha256: &str,
        session: &ConsoleSession,
        created_at: &str,
    ) -> Result<(), StoreError>;

    /// The console session whose cookie has this SHA-256.
    async fn console_session(&self, sha256: &str) -> Result<Option<ConsoleSession>, StoreError>;

    /// Ends a console session.
    async fn close_console_session(&self, sha256: &str) -> Result<(), StoreError>;

    /// Ends every console session of an account.
    async fn close_console_sessions_of(&self, username: &str) -> Result<(), StoreError>;

    /// [`Store::subject_head`] of many subjects, in their order, and the registry's
    /// version, in one read: what a batch of commands is decided on.
    async fn subject_heads(&self, subjects: &[String]) -> Result<SubjectHeads, StoreError>;

    /// Every registered key, with the end of its validity if it was retired.
    async fn keys(&self) -> Result<Vec<KeyRegistration>, StoreError>;

    /// A document's versions, oldest first.
    async fn versions(&self, document: &str) -> Result<Vec<VersionRecord>, StoreError>;

    /// A document's circulations, oldest first.
    async fn circulations(&self, document: &str) -> Result<Vec<Circulation>, StoreError>;

    /// The signed positions on one version of a document, in the order recorded.
    async fn positions(
        &self,
        document: &str,
        version: u32,
    ) -> Result<Vec<SignedPosition>, StoreError>;

    /// Every version of an incident report, oldest first, with its signature.
    async fn incident_versions(&self, id: &str) -> Result<Vec<SignedIncident>, StoreError>;

    /// The latest version of each incident report in `scope` matching the filter, newest
    /// first: rows outside the scope are never ordered, searched or counted. Read through
    /// [`incidents`], which applies the policy again.
    async fn incident_reports(
        &self,
        scope: &concord_core::access::Scope,
        filter: &IncidentFilter,
    ) -> Result<Vec<SignedIncident>, StoreError>;

    /// The stored summaries (JSON) of the alerts in `scope`, newest first, as `page` asks:
    /// rows outside the scope are never ordered or counted. Read through
    /// [`alerts::summaries`], which applies the policy again.
    async fn alert_summaries(
        &self,
        scope: &concord_core::access::Scope,
        page: &alerts::AlertPage,
    ) -> Result<Vec<String>, StoreError>;

    /// The stored summaries of situations, most recently opened first, after the cursor
    /// (opened, id), at most `limit`.
    async fn situation_summaries(
        &self,
        after: Option<&(String, String)>,
        limit: i64,
    ) -> Result<Vec<projection::SituationRow>, StoreError>;

    /// Which of these seals were received before.
    async fn seals_seen(&self, seals: &[SealId]) -> Result<Vec<bool>, StoreError>;

    /// The guards of sessions and documents resolved so far.
    fn guards(&self) -> &access::Guards;

    /// Word of the ledger's growth from every process writing to this database, as it
    /// happens (PostgreSQL: `LISTEN`/`NOTIFY` on each commit), so that several servers on
    /// one database need not poll; `None` where the backend has no such word (SQLite:
    /// one process writes, and wakes its own tailer).
    fn growth(&self) -> Option<tokio::sync::watch::Receiver<u64>> {
        None
    }

    /// The standing operations, by code.
    async fn operations(&self) -> Result<Vec<Operation>, StoreError>;

    /// The token with this SHA-256, unless it was revoked.
    async fn live_token(&self, sha256: &str) -> Result<Option<ApiToken>, StoreError>;

    /// Every issued token, with whether it was revoked.
    async fn tokens(&self) -> Result<Vec<(ApiToken, bool)>, StoreError>;

    /// A document's decision and the leaf index of its ledger entry.
    async fn decision(&self, document: &str) -> Result<Option<(u64, Decision)>, StoreError>;

    /// The mark of a loaded dataset, if one of that name was loaded.
    async fn dataset(&self, name: &str) -> Result<Option<DatasetMark>, StoreError>;

    /// How many events the log holds.
    async fn event_count(&self) -> Result<i64, StoreError>;

    /// How many leaves the ledger holds (one per event).
    async fn ledger_size(&self) -> Result<u64, StoreError>;

    /// The ledger's stored hashes at `indexes`, in the order asked.
    async fn ledger_hashes(&self, indexes: &[u64]) -> Result<Vec<Hash>, StoreError>;

    /// The stored hashes with indexes `start..end`, in order.
    async fn ledger_hash_range(&self, start: u64, end: u64) -> Result<Vec<Hash>, StoreError>;

    /// The ledger entries (canonical JSON, the exact leaf data) with leaf indexes in
    /// `start..end`.
    async fn ledger_entries(&self, start: u64, end: u64) -> Result<Vec<String>, StoreError>;

    /// The adopted charter, if any.
    async fn charter(&self) -> Result<Option<Charter>, StoreError>;

    /// Every recorded status change.
    async fn status_records(&self) -> Result<Vec<StatusRecord>, StoreError>;

    /// Sessions matching the filter, in date order.
    async fn sessions(&self, filter: &SessionFilter) -> Result<Vec<Session>, StoreError>;

    /// One session.
    async fn session(&self, id: &str) -> Result<Option<Session>, StoreError>;

    /// Documents put before the given sessions (all documents if `sessions` is `None`).
    async fn documents(&self, sessions: Option<&[String]>) -> Result<Vec<Document>, StoreError>;

    /// One document.
    async fn document(&self, id: &str) -> Result<Option<Document>, StoreError>;

    /// Every appointment, in recorded order.
    async fn appointments(&self) -> Result<Vec<Appointment>, StoreError>;

    /// Every chairmanship statement, by year.
    async fn chairmanship_statements(&self) -> Result<Vec<ChairmanshipStatement>, StoreError>;

    /// Yearly exercise totals, by year.
    async fn exercise_years(&self) -> Result<Vec<ExerciseYear>, StoreError>;

    /// Exercises, by year.
    async fn exercises(&self) -> Result<Vec<Exercise>, StoreError>;

    /// Programmes.
    async fn programmes(&self) -> Result<Vec<Programme>, StoreError>;

    /// The cited source articles.
    async fn sources(&self) -> Result<Vec<Source>, StoreError>;

    /// Whether the database answers.
    async fn ping(&self) -> Result<(), StoreError>;

    /// The federation's registered nodes.
    async fn nodes(&self) -> Result<Vec<concord_core::federation::NodeRegistration>, StoreError>;

    /// The latest verified checkpoint of each other node's log this node mirrors, by
    /// origin.
    async fn mirror_heads(&self) -> Result<Vec<federation::MirrorHead>, StoreError>;

    /// How many leaves this node holds of the log `origin`.
    async fn mirror_size(&self, origin: &str) -> Result<u64, StoreError>;

    /// The first leaf of the log `origin` received without its entry from a node that did
    /// not hold it, which the log's own node is to be asked for.
    async fn mirror_first_unheld(&self, origin: &str) -> Result<Option<u64>, StoreError>;

    /// The mirrored log's stored hashes at `indexes`, in the order asked.
    async fn mirror_hashes(&self, origin: &str, indexes: &[u64]) -> Result<Vec<Hash>, StoreError>;

    /// The mirrored log's leaves `start..end`, in order.
    async fn mirror_leaves(
        &self,
        origin: &str,
        start: u64,
        end: u64,
    ) -> Result<Vec<federation::MirrorLeaf>, StoreError>;

    /// Keeps what a peer sent once it was checked, in one transaction: the leaves, the
    /// tree's new hashes, the checkpoint (if it reached it) and the read rows of the
    /// entries applied. Nothing is kept if anything fails.
    async fn receive(&self, received: &federation::Received) -> Result<(), StoreError>;

    /// Records what a peer sent that failed a check.
    async fn record_refusal(&self, refusal: &federation::Refusal) -> Result<(), StoreError>;

    /// The latest refusals, newest first.
    async fn refusals(&self, limit: i64) -> Result<Vec<federation::Refusal>, StoreError>;
}
