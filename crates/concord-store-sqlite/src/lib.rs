//! The [`Store`] on SQLite: Concord's embedded default. One file, WAL journal, every commit
//! synced to disk before it is acknowledged.

mod accounts;
mod append;
mod checkpoint;
mod federated;
mod lists;
mod open;
mod rows;

use append::fetch_hashes;

use async_trait::async_trait;
use concord_core::accounts::Account;
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
use concord_store::federation;
use concord_store::group_commit::GroupCommit;
use concord_store::hash_cache::HashCache;
use concord_store::{
    ConsoleSession, DatasetMark, Expect, Hash, IncidentFilter, SessionFilter, Store, StoreError,
    SubjectHeads,
};
use concord_store_sql::db_error;
use sqlx::sqlite::SqlitePool;

/// Concord's data in one SQLite file.
pub struct SqliteStore {
    /// Connections for reading.
    pool: SqlitePool,
    /// The one connection this process writes through. SQLite empties a connection's page
    /// cache whenever another connection has changed the file; writing through any pooled
    /// connection meant each append read its B-trees' pages afresh. Nothing else of this
    /// process writes, so this connection's cache stays warm from one append to the next.
    writer: SqlitePool,
    /// SQLite allows one writer at a time; writers queue here (and are committed
    /// together) rather than fail with `SQLITE_BUSY`.
    group: GroupCommit,
    hash_cache: HashCache,
    guards: concord_store::access::Guards,
    /// Told of every commit: the journal is checkpointed off the writer's path.
    checkpoints: checkpoint::Checkpoints,
}

#[async_trait]
impl Store for SqliteStore {
    async fn append(
        &self,
        events: &[Event],
        dataset: Option<&DatasetMark>,
        expect: &[Expect],
    ) -> Result<i64, StoreError> {
        concord_store::append::append(self, events, dataset, expect).await
    }

    async fn ledger_size(&self) -> Result<u64, StoreError> {
        let size = sqlx::query_scalar!("SELECT size FROM ledger_head WHERE id = 1")
            .fetch_one(&self.pool)
            .await
            .map_err(db_error)?;
        Ok(size as u64)
    }

    async fn ledger_hashes(&self, indexes: &[u64]) -> Result<Vec<Hash>, StoreError> {
        let found = fetch_hashes(&self.pool, indexes).await?;
        StoreError::hashes_in_order(indexes, found)
    }

    async fn ledger_hash_range(&self, start: u64, end: u64) -> Result<Vec<Hash>, StoreError> {
        let (from, to) = (start as i64, end as i64);
        let hex_hashes = sqlx::query_scalar!(
            r#"SELECT group_concat(hex(hash), '') AS "hashes: String"
               FROM (SELECT hash FROM ledger_hashes WHERE idx >= ?1 AND idx < ?2 ORDER BY idx)"#,
            from,
            to
        )
        .fetch_one(&self.pool)
        .await
        .map_err(db_error)?;
        let bytes = hex::decode(hex_hashes.unwrap_or_default())
            .map_err(|e| StoreError::Ledger(format!("stored hashes are unreadable: {e}")))?;
        if bytes.len() as u64 != (end - start) * 32 {
            return Err(StoreError::Ledger(format!(
                "stored hashes {start}..{end} are incomplete"
            )));
        }
        Ok(bytes
            .chunks(32)
            .map(|c| Hash(c.try_into().expect("chunks of 32")))
            .collect())
    }

    async fn ledger_entries(&self, start: u64, end: u64) -> Result<Vec<String>, StoreError> {
        let (start, end) = (start as i64, end as i64);
        // One row, the entries joined by a line feed (which a canonical entry never holds):
        // sqlx hands a query's rows over one by one, so a single row lets SQLite's thread
        // read the whole range while the caller works. An entry that does hold one (a
        // tampered one) is read again row by row, as stored.
        let joined: Option<String> = sqlx::query_scalar(
            "SELECT group_concat(body, char(10)) FROM \
             (SELECT body FROM events WHERE leaf_index >= ? AND leaf_index < ? ORDER BY leaf_index)",
        )
        .bind(start)
        .bind(end)
        .fetch_one(&self.pool)
        .await
        .map_err(db_error)?;
        let joined = joined.unwrap_or_default();
        let bodies: Vec<String> = if joined.is_empty() {
            vec![]
        } else {
            joined.split('\n').map(str::to_owned).collect()
        };
        if bodies.len() as i64 == end - start {
            return Ok(bodies);
        }
        sqlx::query_scalar!(
            "SELECT body FROM events WHERE leaf_index >= ? AND leaf_index < ? ORDER BY leaf_index",
            start,
            end
        )
        .fetch_all(&self.pool)
        .await
        .map_err(db_error)
    }

    async fn dataset(&self, name: &str) -> Result<Option<DatasetMark>, StoreError> {
        let row = sqlx::query!("SELECT name, sha256 FROM datasets WHERE name = ?", name)
            .fetch_optional(&self.pool)
            .await
            .map_err(db_error)?;
        Ok(row.map(|r| DatasetMark {
            name: r.name,
            sha256: r.sha256,
        }))
    }

    async fn event_count(&self) -> Result<i64, StoreError> {
        sqlx::query_scalar!(r#"SELECT COUNT(*) AS "n!: i64" FROM events"#)
            .fetch_one(&self.pool)
            .await
            .map_err(db_error)
    }

    async fn charter(&self) -> Result<Option<Charter>, StoreError> {
        let body = sqlx::query_scalar!("SELECT body FROM charter WHERE id = 1")
            .fetch_optional(&self.pool)
            .await
            .map_err(db_error)?;
        body.map(|b| StoreError::decode("charter", &b)).transpose()
    }

    async fn status_records(&self) -> Result<Vec<StatusRecord>, StoreError> {
        let bodies = sqlx::query_scalar!("SELECT body FROM member_statuses ORDER BY id")
            .fetch_all(&self.pool)
            .await
            .map_err(db_error)?;
        StoreError::decode_all("member status", bodies)
    }

    async fn sessions(&self, filter: &SessionFilter) -> Result<Vec<Session>, StoreError> {
        let bodies = sqlx::query_scalar!(
            r#"SELECT s.body FROM sessions s
               WHERE (?1 IS NULL OR s.year = ?1)
                 AND (?2 IS NULL OR EXISTS (SELECT 1 FROM session_bodies b WHERE b.session_id = s.id AND b.body_code = ?2))
               ORDER BY s.starts, s.id"#,
            filter.year,
            filter.body
        )
        .fetch_all(&self.pool)
        .await
        .map_err(db_error)?;
        StoreError::decode_all("session", bodies)
    }

    async fn session(&self, id: &str) -> Result<Option<Session>, StoreError> {
        let body = sqlx::query_scalar!("SELECT body FROM sessions WHERE id = ?", id)
            .fetch_optional(&self.pool)
            .await
            .map_err(db_error)?;
        body.map(|b| StoreError::decode("session", &b)).transpose()
    }

    async fn documents(&self, sessions: Option<&[String]>) -> Result<Vec<Document>, StoreError> {
        // SQLite has no array parameter: pass the ids as a JSON array.
        let ids = sessions.map(StoreError::encode);
        let bodies = sqlx::query_scalar!(
            r#"SELECT body FROM documents
               WHERE ?1 IS NULL OR session_id IN (SELECT value FROM json_each(?1))
               ORDER BY position"#,
            ids
        )
        .fetch_all(&self.pool)
        .await
        .map_err(db_error)?;
        StoreError::decode_all("document", bodies)
    }

    async fn document(&self, id: &str) -> Result<Option<Document>, StoreError> {
        let body = sqlx::query_scalar!("SELECT body FROM documents WHERE id = ?", id)
            .fetch_optional(&self.pool)
            .await
            .map_err(db_error)?;
        body.map(|b| StoreError::decode("document", &b)).transpose()
    }

    async fn appointments(&self) -> Result<Vec<Appointment>, StoreError> {
        let bodies = sqlx::query_scalar!("SELECT body FROM appointments ORDER BY id")
            .fetch_all(&self.pool)
            .await
            .map_err(db_error)?;
        StoreError::decode_all("appointment", bodies)
    }

    async fn chairmanship_statements(&self) -> Result<Vec<ChairmanshipStatement>, StoreError> {
        let bodies = sqlx::query_scalar!("SELECT body FROM chairmanship_statements ORDER BY year")
            .fetch_all(&self.pool)
            .await
            .map_err(db_error)?;
        StoreError::decode_all("chairmanship", bodies)
    }

    async fn exercise_years(&self) -> Result<Vec<ExerciseYear>, StoreError> {
        let bodies = sqlx::query_scalar!("SELECT body FROM exercise_years ORDER BY year")
            .fetch_all(&self.pool)
            .await
            .map_err(db_error)?;
        StoreError::decode_all("exercise year", bodies)
    }

    async fn exercises(&self) -> Result<Vec<Exercise>, StoreError> {
        let bodies = sqlx::query_scalar!("SELECT body FROM exercises ORDER BY year, id")
            .fetch_all(&self.pool)
            .await
            .map_err(db_error)?;
        StoreError::decode_all("exercise", bodies)
    }

    async fn programmes(&self) -> Result<Vec<Programme>, StoreError> {
        let bodies = sqlx::query_scalar!("SELECT body FROM programmes ORDER BY id")
            .fetch_all(&self.pool)
            .await
            .map_err(db_error)?;
        StoreError::decode_all("programme", bodies)
    }

    async fn sources(&self) -> Result<Vec<Source>, StoreError> {
        let bodies = sqlx::query_scalar!("SELECT body FROM sources ORDER BY file")
            .fetch_all(&self.pool)
            .await
            .map_err(db_error)?;
        StoreError::decode_all("source", bodies)
    }

    fn hash_cache(&self) -> &HashCache {
        &self.hash_cache
    }

    fn guards(&self) -> &concord_store::access::Guards {
        &self.guards
    }

    async fn alert_summaries(
        &self,
        scope: &concord_core::access::Scope,
        page: &concord_store::alerts::AlertPage,
    ) -> Result<Vec<String>, StoreError> {
        lists::alert_summaries(self, scope, page).await
    }

    async fn situation_summaries(
        &self,
        after: Option<&(String, String)>,
        limit: i64,
    ) -> Result<Vec<concord_store::projection::SituationRow>, StoreError> {
        lists::situation_summaries(self, after, limit).await
    }

    async fn seals_seen(&self, seals: &[concord_store::SealId]) -> Result<Vec<bool>, StoreError> {
        if seals.is_empty() {
            return Ok(vec![]);
        }
        let seen: Vec<bool> = sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM seals s \
                 WHERE s.issued_at = json_extract(j.value, '$[0]') AND s.key_id = json_extract(j.value, '$[1]') \
                 AND s.nonce = json_extract(j.value, '$[2]')) \
             FROM json_each(?1) j ORDER BY j.key",
        )
        .bind(StoreError::encode(seals))
        .fetch_all(&self.pool)
        .await
        .map_err(db_error)?;
        Ok(seen)
    }

    async fn subjects(&self, kind: &str) -> Result<Vec<String>, StoreError> {
        // `kind/` up to `kind0` (the character after `/`): a range the index serves.
        let (from, to) = (format!("{kind}/"), format!("{kind}0"));
        let rows = sqlx::query_scalar!(
            r#"SELECT DISTINCT subject AS "subject!" FROM events WHERE subject >= ?1 AND subject < ?2 ORDER BY subject"#,
            from,
            to
        )
        .fetch_all(&self.pool)
        .await
        .map_err(db_error)?;
        Ok(rows)
    }

    async fn subject_events(&self, subject: &str) -> Result<Vec<Event>, StoreError> {
        let bodies = sqlx::query_scalar!(
            "SELECT body FROM events WHERE subject = ? ORDER BY leaf_index",
            subject
        )
        .fetch_all(&self.pool)
        .await
        .map_err(db_error)?;
        bodies
            .iter()
            .map(|b| {
                StoreError::decode::<concord_ledger::entry::Entry<Event>>("ledger entry", b)
                    .map(|e| e.event)
            })
            .collect()
    }

    async fn subject_head(&self, subject: &str) -> Result<Option<i64>, StoreError> {
        sqlx::query_scalar!(
            r#"SELECT MAX(leaf_index) AS "last: i64" FROM events WHERE subject = ?"#,
            subject
        )
        .fetch_one(&self.pool)
        .await
        .map_err(db_error)
    }

    async fn account(&self, username: &str) -> Result<Option<(Account, bool)>, StoreError> {
        accounts::account(self, username).await
    }

    async fn accounts(&self) -> Result<Vec<(Account, bool)>, StoreError> {
        accounts::accounts(self).await
    }

    async fn set_password(
        &self,
        username: &str,
        password_hash: &str,
        at: &str,
    ) -> Result<(), StoreError> {
        accounts::set_password(self, username, password_hash, at).await
    }

    async fn password_hash(&self, username: &str) -> Result<Option<String>, StoreError> {
        accounts::password_hash(self, username).await
    }

    async fn open_console_session(
        &self,
        sha256: &str,
        session: &ConsoleSession,
        created_at: &str,
    ) -> Result<(), StoreError> {
        accounts::open_console_session(self, sha256, session, created_at).await
    }

    async fn console_session(&self, sha256: &str) -> Result<Option<ConsoleSession>, StoreError> {
        accounts::console_session(self, sha256).await
    }

    async fn close_console_session(&self, sha256: &str) -> Result<(), StoreError> {
        accounts::close_console_session(self, sha256).await
    }

    async fn close_console_sessions_of(&self, username: &str) -> Result<(), StoreError> {
        accounts::close_console_sessions_of(self, username).await
    }

    async fn subject_heads(&self, subjects: &[String]) -> Result<SubjectHeads, StoreError> {
        let names = StoreError::encode(subjects);
        // One statement, one snapshot: the version read is the one the heads were read at.
        let row = sqlx::query!(
            r#"SELECT (SELECT json_group_array((SELECT MAX(leaf_index) FROM events WHERE subject = j.value)
                                               ORDER BY j.key)
                       FROM json_each(?1) j) AS "heads!: String",
                      (SELECT version FROM registry_version WHERE id = 1) AS "version!: i64""#,
            names
        )
        .fetch_one(&self.pool)
        .await
        .map_err(db_error)?;
        Ok(SubjectHeads {
            heads: StoreError::decode("subject heads", &row.heads)?,
            registry_version: row.version,
        })
    }

    async fn keys(&self) -> Result<Vec<KeyRegistration>, StoreError> {
        let bodies = sqlx::query_scalar!("SELECT body FROM keys ORDER BY owner, key_id")
            .fetch_all(&self.pool)
            .await
            .map_err(db_error)?;
        StoreError::decode_all("key", bodies)
    }

    async fn versions(&self, document: &str) -> Result<Vec<VersionRecord>, StoreError> {
        let bodies = sqlx::query_scalar!(
            "SELECT body FROM document_versions WHERE document_id = ? ORDER BY number",
            document
        )
        .fetch_all(&self.pool)
        .await
        .map_err(db_error)?;
        StoreError::decode_all("document version", bodies)
    }

    async fn circulations(&self, document: &str) -> Result<Vec<Circulation>, StoreError> {
        let bodies = sqlx::query_scalar!(
            "SELECT body FROM circulations WHERE document_id = ? ORDER BY version",
            document
        )
        .fetch_all(&self.pool)
        .await
        .map_err(db_error)?;
        StoreError::decode_all("circulation", bodies)
    }

    async fn positions(
        &self,
        document: &str,
        version: u32,
    ) -> Result<Vec<SignedPosition>, StoreError> {
        let version = i64::from(version);
        let bodies = sqlx::query_scalar!(
            "SELECT body FROM positions WHERE document_id = ? AND version = ? ORDER BY seq",
            document,
            version
        )
        .fetch_all(&self.pool)
        .await
        .map_err(db_error)?;
        StoreError::decode_all("position", bodies)
    }

    async fn incident_versions(&self, id: &str) -> Result<Vec<SignedIncident>, StoreError> {
        let bodies = sqlx::query_scalar!(
            "SELECT body FROM incident_reports WHERE id = ? ORDER BY version",
            id
        )
        .fetch_all(&self.pool)
        .await
        .map_err(db_error)?;
        StoreError::decode_all("incident report", bodies)
    }

    async fn incident_reports(
        &self,
        scope: &concord_core::access::Scope,
        filter: &IncidentFilter,
    ) -> Result<Vec<SignedIncident>, StoreError> {
        lists::incident_reports(self, scope, filter).await
    }

    async fn operations(&self) -> Result<Vec<Operation>, StoreError> {
        let bodies = sqlx::query_scalar!("SELECT body FROM operations ORDER BY code")
            .fetch_all(&self.pool)
            .await
            .map_err(db_error)?;
        StoreError::decode_all("operation", bodies)
    }

    async fn live_token(&self, sha256: &str) -> Result<Option<ApiToken>, StoreError> {
        accounts::live_token(self, sha256).await
    }

    async fn tokens(&self) -> Result<Vec<(ApiToken, bool)>, StoreError> {
        accounts::tokens(self).await
    }

    async fn decision(&self, document: &str) -> Result<Option<(u64, Decision)>, StoreError> {
        let row = sqlx::query!(
            "SELECT leaf_index, body FROM decisions WHERE document_id = ?",
            document
        )
        .fetch_optional(&self.pool)
        .await
        .map_err(db_error)?;
        row.map(|r| {
            Ok((
                r.leaf_index as u64,
                StoreError::decode("decision", &r.body)?,
            ))
        })
        .transpose()
    }

    async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query!("SELECT 1 AS one")
            .fetch_one(&self.pool)
            .await
            .map_err(db_error)?;
        Ok(())
    }

    async fn nodes(&self) -> Result<Vec<concord_core::federation::NodeRegistration>, StoreError> {
        federated::nodes(self).await
    }

    async fn mirror_heads(&self) -> Result<Vec<federation::MirrorHead>, StoreError> {
        federated::mirror_heads(self).await
    }

    async fn mirror_size(&self, origin: &str) -> Result<u64, StoreError> {
        federated::mirror_size(self, origin).await
    }

    async fn mirror_first_unheld(&self, origin: &str) -> Result<Option<u64>, StoreError> {
        federated::mirror_first_unheld(self, origin).await
    }

    async fn mirror_hashes(&self, origin: &str, indexes: &[u64]) -> Result<Vec<Hash>, StoreError> {
        federated::mirror_hashes(self, origin, indexes).await
    }

    async fn mirror_leaves(
        &self,
        origin: &str,
        start: u64,
        end: u64,
    ) -> Result<Vec<federation::MirrorLeaf>, StoreError> {
        federated::mirror_leaves(self, origin, start, end).await
    }

    async fn receive(&self, received: &federation::Received) -> Result<(), StoreError> {
        federated::receive(self, received).await
    }

    async fn record_refusal(&self, refusal: &federation::Refusal) -> Result<(), StoreError> {
        federated::record_refusal(self, refusal).await
    }

    async fn refusals(&self, limit: i64) -> Result<Vec<federation::Refusal>, StoreError> {
        federated::refusals(self, limit).await
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A store on a fresh file, and the folder that holds it (the file goes with it).
    pub(crate) async fn scratch() -> (tempfile::TempDir, SqliteStore) {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("t.db").display());
        let store = SqliteStore::open(&url).await.unwrap();
        (dir, store)
    }
}
