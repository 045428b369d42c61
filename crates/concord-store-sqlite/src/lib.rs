//! The [`Store`] on SQLite: Concord's embedded default. One file, WAL journal, every commit
//! synced to disk before it is acknowledged.

use std::str::FromStr;
use std::time::Duration;

mod append;
mod checkpoint;
mod rows;

use append::{apply, fetch_hashes};

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
use concord_store::projection::received_row;
use concord_store::{
    ConsoleSession, DatasetMark, Expect, Hash, IncidentFilter, SessionFilter, Store, StoreError,
    SubjectHeads,
};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

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

/// Adds to an open `(FALSE` the reader's scope as conditions on the table aliased `table`
/// (releasability in `release_to`, `release_group`), whose originator is in `originator`:
/// the one form of the access policy that incident and alert lists choose rows by.
fn push_scope(
    q: &mut sqlx::QueryBuilder<'_, sqlx::Sqlite>,
    scope: &concord_core::access::Scope,
    originator: &str,
    table: &str,
) {
    if let Some(own) = concord_store::incidents::scope_owner(scope) {
        q.push(format!(" OR {originator} = ")).push_bind(own);
    }
    for release in &scope.releases {
        q.push(format!(" OR {table}.release_to = "))
            .push_bind(*release);
    }
    for group in &scope.groups {
        q.push(format!(
            " OR ({table}.release_to = 'group' AND {table}.release_group = "
        ))
        .push_bind(group.to_string())
        .push(")");
    }
}

/// Keeps the rows after a page's cursor, in a list ordered by `time` descending then `id`:
/// the keyset condition every paged list uses.
fn push_after(
    q: &mut sqlx::QueryBuilder<'_, sqlx::Sqlite>,
    time: &str,
    id: &str,
    after: Option<&(String, String)>,
) {
    if let Some((at, last)) = after {
        q.push(format!(" AND ({time} < "))
            .push_bind(at.clone())
            .push(format!(" OR ({time} = "))
            .push_bind(at.clone())
            .push(format!(" AND {id} > "))
            .push_bind(last.clone())
            .push("))");
    }
}

/// Brings the schema up to date on one connection with foreign keys off, as SQLite's manual
/// asks for rebuilding a table that others refer to (the migration's own transaction cannot
/// turn them off), then checks every foreign key before the connection is lent again.
async fn migrate(pool: &SqlitePool) -> Result<(), StoreError> {
    let failed = |e: &dyn std::fmt::Display| StoreError::Migration(e.to_string());
    let mut conn = pool.acquire().await.map_err(|e| failed(&e))?;
    sqlx::query("PRAGMA foreign_keys = OFF")
        .execute(&mut *conn)
        .await
        .map_err(|e| failed(&e))?;
    let migrated = sqlx::migrate!("./migrations").run(&mut *conn).await;
    sqlx::query("PRAGMA foreign_keys = ON")
        .execute(&mut *conn)
        .await
        .map_err(|e| failed(&e))?;
    migrated.map_err(|e| failed(&e))?;
    let broken: Vec<(String,)> = sqlx::query_as("SELECT \"table\" FROM pragma_foreign_key_check")
        .fetch_all(&mut *conn)
        .await
        .map_err(|e| failed(&e))?;
    match broken.first() {
        None => Ok(()),
        Some((table,)) => Err(StoreError::Migration(format!(
            "after migrating, {} rows refer to records that are missing (first in table {table})",
            broken.len()
        ))),
    }
}

fn db_error(e: sqlx::Error) -> StoreError {
    match &e {
        sqlx::Error::Database(d) if d.is_unique_violation() => {
            StoreError::Conflict(d.message().to_owned())
        }
        _ => StoreError::Database(e.to_string()),
    }
}

/// Rows a statement may read ahead of its reader: a chunk of the ledger's entries
/// ([`concord_store::ledger::MAX_ENTRIES`]), with room to spare.
const ROW_BUFFER: usize = 1024;

/// The writer's page cache, in KiB as SQLite's `cache_size` takes it (negative).
const WRITER_CACHE: &str = "-2048";

impl SqliteStore {
    /// Opens (creating if missing) the database at `url` (`sqlite://concord.db`,
    /// `sqlite::memory:`) and brings its schema up to date.
    pub async fn open(url: &str) -> Result<SqliteStore, StoreError> {
        let in_memory = url.contains(":memory:");
        let options = SqliteConnectOptions::from_str(url)
            .map_err(|e| StoreError::Database(format!("bad SQLite address `{url}`: {e}")))?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            // Checkpoints are the store's own task's (`checkpoint`), not a commit's; a
            // commit checkpoints only past 40 MiB of journal (writes the task is not
            // told of, or a task that cannot keep up).
            .pragma("wal_autocheckpoint", checkpoint::BACKSTOP_PAGES)
            .foreign_keys(true)
            // Ledger proofs read scattered pages of a large table: map the file rather
            // than copy pages through read().
            .pragma("mmap_size", "1073741824")
            .pragma("cache_size", "-65536")
            // A multi-row statement that may fail alone (an append's in a savepoint, its
            // hashes, every other write) keeps a statement journal (the pages it changes,
            // to undo it alone): in memory, not a temporary file.
            .pragma("temp_store", "memory")
            // A statement's rows come back from the connection's thread through a bounded
            // channel (sqlx's default: 50 rows); a reader that works on what it read before
            // asking again (the audit checks a chunk while the next is read) stalled that
            // thread at the 50th row. A chunk is read whole instead.
            .row_buffer_size(crate::ROW_BUFFER)
            .busy_timeout(Duration::from_secs(10));
        // A new database file holds restricted reports and token hashes: create it readable
        // by its owner only (SQLite gives its journal files the same mode). An existing
        // file keeps the mode its operator gave it.
        let file = options.get_filename().to_path_buf();
        #[cfg(unix)]
        if !in_memory && !file.exists() {
            use std::os::unix::fs::OpenOptionsExt;
            std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(&file)
                .map_err(|e| {
                    StoreError::Database(format!("cannot create {}: {e}", file.display()))
                })?;
        }
        // An in-memory database exists once per connection: keep exactly one.
        let max = if in_memory { 1 } else { 8 };
        // A file on this machine cannot go stale: skip the ping sqlx sends before lending
        // each connection.
        let pool = SqlitePoolOptions::new()
            .test_before_acquire(false)
            .max_connections(max)
            .connect_with(options.clone())
            .await
            .map_err(db_error)?;
        migrate(&pool).await?;
        // The writer's connection is kept for the store's life (no idle or age limit: a
        // new connection would start with a cold cache). In memory, the one connection
        // is both. Its page cache is small (`WRITER_CACHE`): what an append touches is
        // the right edges and upper pages of a few B-trees, and every commit walks the
        // cache's whole hash table whenever a split renumbered pages (SQLite parks a page
        // at the locking page's number meanwhile): at 64 MiB that walk alone was ~3.6 %
        // of the server's CPU, and a group's writes ran ~15 % slower than with 2 MiB.
        let writer = if in_memory {
            pool.clone()
        } else {
            SqlitePoolOptions::new()
                .test_before_acquire(false)
                .max_connections(1)
                .min_connections(1)
                .idle_timeout(None)
                .max_lifetime(None)
                .connect_with(options.pragma("cache_size", WRITER_CACHE))
                .await
                .map_err(db_error)?
        };
        Ok(SqliteStore {
            checkpoints: checkpoint::Checkpoints::start((!in_memory).then(|| pool.clone())),
            pool,
            writer,
            group: GroupCommit::default(),
            hash_cache: HashCache::default(),
            guards: Default::default(),
        })
    }

    /// Closes every connection, checkpointing the journal.
    pub async fn close(&self) {
        self.writer.close().await;
        self.pool.close().await;
    }
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
        let mut q =
            sqlx::QueryBuilder::<sqlx::Sqlite>::new("SELECT a.summary FROM alerts a WHERE (FALSE");
        push_scope(&mut q, scope, "a.issuer", "a");
        q.push(")");
        if let Some(situation) = &page.situation {
            q.push(" AND a.situation = ").push_bind(situation.clone());
        }
        push_after(&mut q, "a.received_at", "a.id", page.after.as_ref());
        q.push(" ORDER BY a.received_at DESC, a.id LIMIT ")
            .push_bind(page.limit);
        q.build_query_scalar()
            .fetch_all(&self.pool)
            .await
            .map_err(db_error)
    }

    async fn situation_summaries(
        &self,
        after: Option<&(String, String)>,
        limit: i64,
    ) -> Result<Vec<concord_store::projection::SituationRow>, StoreError> {
        let mut q = sqlx::QueryBuilder::<sqlx::Sqlite>::new(
            "SELECT id, opened_at, title, level, reports FROM situations WHERE TRUE",
        );
        push_after(&mut q, "opened_at", "id", after);
        q.push(" ORDER BY opened_at DESC, id LIMIT ")
            .push_bind(limit);
        let rows: Vec<(String, String, String, String, String)> = q
            .build_query_as()
            .fetch_all(&self.pool)
            .await
            .map_err(db_error)?;
        Ok(rows
            .into_iter()
            .map(
                |(id, opened_at, title, level, reports)| concord_store::projection::SituationRow {
                    id,
                    opened_at,
                    title,
                    level,
                    reports,
                },
            )
            .collect())
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
        let row = sqlx::query!(
            r#"SELECT body, closed AS "closed: bool" FROM accounts WHERE username = ?"#,
            username
        )
        .fetch_optional(&self.pool)
        .await
        .map_err(db_error)?;
        row.map(|r| Ok((StoreError::decode("account", &r.body)?, r.closed)))
            .transpose()
    }

    async fn accounts(&self) -> Result<Vec<(Account, bool)>, StoreError> {
        let rows = sqlx::query!(
            r#"SELECT body, closed AS "closed: bool" FROM accounts ORDER BY username"#
        )
        .fetch_all(&self.pool)
        .await
        .map_err(db_error)?;
        rows.into_iter()
            .map(|r| Ok((StoreError::decode("account", &r.body)?, r.closed)))
            .collect()
    }

    async fn set_password(
        &self,
        username: &str,
        password_hash: &str,
        at: &str,
    ) -> Result<(), StoreError> {
        sqlx::query!(
            "INSERT INTO credentials (username, password_hash, changed_at) VALUES (?1, ?2, ?3)
             ON CONFLICT (username) DO UPDATE SET password_hash = ?2, changed_at = ?3",
            username,
            password_hash,
            at
        )
        .execute(&self.writer)
        .await
        .map_err(db_error)?;
        Ok(())
    }

    async fn password_hash(&self, username: &str) -> Result<Option<String>, StoreError> {
        sqlx::query_scalar!(
            "SELECT password_hash FROM credentials WHERE username = ?",
            username
        )
        .fetch_optional(&self.pool)
        .await
        .map_err(db_error)
    }

    async fn open_console_session(
        &self,
        sha256: &str,
        session: &ConsoleSession,
        created_at: &str,
    ) -> Result<(), StoreError> {
        sqlx::query!(
            "INSERT INTO console_sessions (sha256, username, csrf, created_at, expires_at) VALUES (?, ?, ?, ?, ?)",
            sha256,
            session.username,
            session.csrf,
            created_at,
            session.expires_at
        )
        .execute(&self.writer)
        .await
        .map_err(db_error)?;
        Ok(())
    }

    async fn console_session(&self, sha256: &str) -> Result<Option<ConsoleSession>, StoreError> {
        let row = sqlx::query!(
            "SELECT username, csrf, expires_at FROM console_sessions WHERE sha256 = ?",
            sha256
        )
        .fetch_optional(&self.pool)
        .await
        .map_err(db_error)?;
        Ok(row.map(|r| ConsoleSession {
            username: r.username,
            csrf: r.csrf,
            expires_at: r.expires_at,
        }))
    }

    async fn close_console_session(&self, sha256: &str) -> Result<(), StoreError> {
        sqlx::query!("DELETE FROM console_sessions WHERE sha256 = ?", sha256)
            .execute(&self.writer)
            .await
            .map_err(db_error)?;
        Ok(())
    }

    async fn close_console_sessions_of(&self, username: &str) -> Result<(), StoreError> {
        sqlx::query!("DELETE FROM console_sessions WHERE username = ?", username)
            .execute(&self.writer)
            .await
            .map_err(db_error)?;
        Ok(())
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
        // Built per search, with only the conditions asked: `(? IS NULL OR col = ?)` would
        // keep the planner from the (domain, country, occurred_at) index.
        let mut q = sqlx::QueryBuilder::<sqlx::Sqlite>::new(
            "SELECT r.body FROM incident_reports r \
             WHERE r.version = (SELECT MAX(v.version) FROM incident_reports v WHERE v.id = r.id)",
        );
        // The reader's scope first: nothing outside it is searched, ordered or counted.
        q.push(" AND (FALSE");
        push_scope(&mut q, scope, "r.reporter", "r");
        q.push(")");
        if let Some(ids) = &filter.ids {
            q.push(" AND r.id IN (NULL");
            for id in ids {
                q.push(", ").push_bind(id.clone());
            }
            q.push(")");
        }
        push_after(&mut q, "r.occurred_at", "r.id", filter.after.as_ref());
        if let Some(domain) = &filter.domain {
            q.push(" AND r.domain = ").push_bind(domain.clone());
        }
        if let Some(country) = &filter.country {
            q.push(" AND r.country = ").push_bind(country.clone());
        }
        if let Some(from) = &filter.from {
            q.push(" AND r.occurred_at >= ").push_bind(from.clone());
        }
        if let Some(to) = &filter.to {
            q.push(" AND r.occurred_at < ").push_bind(to.clone());
        }
        if let Some(rank) = filter.min_severity {
            q.push(" AND r.severity_rank >= ").push_bind(rank);
        }
        if let Some(text) = &filter.text {
            q.push(" AND instr(lower(json_extract(r.body, '$.report.title') || ' ' || json_extract(r.body, '$.report.text')), ")
                .push_bind(text.to_lowercase())
                .push(") > 0");
        }
        if let Some([west, south, east, north]) = filter.bbox {
            q.push(" AND r.west <= ").push_bind(east);
            q.push(" AND r.east >= ").push_bind(west);
            q.push(" AND r.south <= ").push_bind(north);
            q.push(" AND r.north >= ").push_bind(south);
        }
        q.push(" ORDER BY r.occurred_at DESC, r.id LIMIT ")
            .push_bind(filter.limit);
        let bodies: Vec<String> = q
            .build_query_scalar()
            .fetch_all(&self.pool)
            .await
            .map_err(db_error)?;
        StoreError::decode_all("incident report", bodies)
    }

    async fn operations(&self) -> Result<Vec<Operation>, StoreError> {
        let bodies = sqlx::query_scalar!("SELECT body FROM operations ORDER BY code")
            .fetch_all(&self.pool)
            .await
            .map_err(db_error)?;
        StoreError::decode_all("operation", bodies)
    }

    async fn live_token(&self, sha256: &str) -> Result<Option<ApiToken>, StoreError> {
        let body = sqlx::query_scalar!(
            "SELECT body FROM api_tokens WHERE sha256 = ? AND NOT revoked",
            sha256
        )
        .fetch_optional(&self.pool)
        .await
        .map_err(db_error)?;
        body.map(|b| StoreError::decode("token", &b)).transpose()
    }

    async fn tokens(&self) -> Result<Vec<(ApiToken, bool)>, StoreError> {
        let rows = sqlx::query!("SELECT body, revoked FROM api_tokens ORDER BY id")
            .fetch_all(&self.pool)
            .await
            .map_err(db_error)?;
        rows.into_iter()
            .map(|r| Ok((StoreError::decode("token", &r.body)?, r.revoked)))
            .collect()
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
        let bodies: Vec<String> =
            sqlx::query_scalar("SELECT body FROM nodes ORDER BY owner, origin")
                .fetch_all(&self.pool)
                .await
                .map_err(db_error)?;
        StoreError::decode_all("node", bodies)
    }

    async fn mirror_heads(&self) -> Result<Vec<federation::MirrorHead>, StoreError> {
        let rows: Vec<(String, i64, String)> =
            sqlx::query_as("SELECT origin, size, note FROM mirror_checkpoints ORDER BY origin")
                .fetch_all(&self.pool)
                .await
                .map_err(db_error)?;
        Ok(rows
            .into_iter()
            .map(|(origin, size, note)| federation::MirrorHead {
                origin,
                size: size as u64,
                note,
            })
            .collect())
    }

    async fn mirror_size(&self, origin: &str) -> Result<u64, StoreError> {
        let size: i64 = sqlx::query_scalar(
            "SELECT COALESCE(MAX(idx) + 1, 0) FROM mirror_leaves WHERE origin = ?",
        )
        .bind(origin)
        .fetch_one(&self.pool)
        .await
        .map_err(db_error)?;
        Ok(size as u64)
    }

    async fn mirror_first_unheld(&self, origin: &str) -> Result<Option<u64>, StoreError> {
        let first: Option<i64> = sqlx::query_scalar(
            "SELECT MIN(idx) FROM mirror_leaves WHERE origin = ? AND entry IS NULL AND unheld <> 0",
        )
        .bind(origin)
        .fetch_one(&self.pool)
        .await
        .map_err(db_error)?;
        Ok(first.map(|i| i as u64))
    }

    async fn mirror_hashes(&self, origin: &str, indexes: &[u64]) -> Result<Vec<Hash>, StoreError> {
        let found: Vec<(i64, Vec<u8>)> = sqlx::query_as(
            "SELECT idx, hash FROM mirror_hashes WHERE origin = ? AND idx IN (SELECT value FROM json_each(?))",
        )
        .bind(origin)
        .bind(StoreError::encode(indexes))
        .fetch_all(&self.pool)
        .await
        .map_err(db_error)?;
        StoreError::hashes_in_order(indexes, found)
    }

    async fn mirror_leaves(
        &self,
        origin: &str,
        start: u64,
        end: u64,
    ) -> Result<Vec<federation::MirrorLeaf>, StoreError> {
        let rows: Vec<(i64, Vec<u8>, Option<String>, bool)> = sqlx::query_as(
            "SELECT idx, leaf_hash, entry, unheld <> 0 FROM mirror_leaves WHERE origin = ? AND idx >= ? AND idx < ? ORDER BY idx",
        )
        .bind(origin)
        .bind(start as i64)
        .bind(end as i64)
        .fetch_all(&self.pool)
        .await
        .map_err(db_error)?;
        federation::MirrorLeaf::from_rows(rows)
    }

    async fn receive(&self, received: &federation::Received) -> Result<(), StoreError> {
        let _writer = self.group.exclusive().await;
        let mut tx = self.writer.begin().await.map_err(db_error)?;
        // The leaves and the tree's hashes travel as JSON arrays and a blob: one statement
        // each, as a commit writes its own (see `insert_log`).
        let leaves: Vec<(u64, Option<&str>, bool)> = received
            .leaves
            .iter()
            .map(|l| (l.index, l.entry.as_deref(), l.unheld))
            .collect();
        let leaf_hashes: Vec<u8> = received.leaves.iter().flat_map(|l| l.leaf_hash.0).collect();
        sqlx::query(
            "INSERT INTO mirror_leaves (origin, idx, leaf_hash, entry, unheld) \
             SELECT ?1, json_extract(j.value, '$[0]'), substr(?2, j.key * 32 + 1, 32), \
                    json_extract(j.value, '$[1]'), json_extract(j.value, '$[2]') \
             FROM json_each(?3) j WHERE true \
             ON CONFLICT (origin, idx) DO UPDATE SET entry = excluded.entry, unheld = excluded.unheld \
             WHERE mirror_leaves.entry IS NULL",
        )
        .bind(&received.origin)
        .bind(leaf_hashes)
        .bind(StoreError::encode(&leaves))
        .execute(&mut *tx)
        .await
        .map_err(db_error)?;
        let indexes: Vec<u64> = received.hashes.iter().map(|(i, _)| *i).collect();
        let blob: Vec<u8> = received.hashes.iter().flat_map(|(_, h)| h.0).collect();
        sqlx::query(
            "INSERT INTO mirror_hashes (origin, idx, hash) \
             SELECT ?1, j.value, substr(?2, j.key * 32 + 1, 32) FROM json_each(?3) j",
        )
        .bind(&received.origin)
        .bind(blob)
        .bind(StoreError::encode(&indexes))
        .execute(&mut *tx)
        .await
        .map_err(db_error)?;
        if let Some(head) = &received.head {
            sqlx::query(
                "INSERT INTO mirror_checkpoints (origin, size, note, received_at) VALUES (?, ?, ?, ?) \
                 ON CONFLICT (origin) DO UPDATE SET size = excluded.size, note = excluded.note, received_at = excluded.received_at",
            )
            .bind(&head.origin)
            .bind(head.size as i64)
            .bind(&head.note)
            .bind(&received.received_at)
            .execute(&mut *tx)
            .await
            .map_err(db_error)?;
        }
        for (index, event) in &received.applied {
            apply(&mut tx, *index as i64, received_row(event))
                .await
                .map_err(db_error)?;
        }
        tx.commit().await.map_err(db_error)?;
        self.checkpoints.committed();
        Ok(())
    }

    async fn record_refusal(&self, refusal: &federation::Refusal) -> Result<(), StoreError> {
        let _writer = self.group.exclusive().await;
        sqlx::query(
            "INSERT INTO federation_refusals (at, peer, origin, reason, evidence) VALUES (?, ?, ?, ?, ?)",
        )
        .bind(&refusal.at)
        .bind(&refusal.peer)
        .bind(&refusal.origin)
        .bind(&refusal.reason)
        .bind(&refusal.evidence)
        .execute(&self.writer)
        .await
        .map_err(db_error)?;
        Ok(())
    }

    async fn refusals(&self, limit: i64) -> Result<Vec<federation::Refusal>, StoreError> {
        let rows: Vec<(String, String, String, String, String)> = sqlx::query_as(
            "SELECT at, peer, origin, reason, evidence FROM federation_refusals ORDER BY id DESC LIMIT ?",
        )
        .bind(limit)
        .fetch_all(&self.pool)
        .await
        .map_err(db_error)?;
        Ok(rows
            .into_iter()
            .map(|(at, peer, origin, reason, evidence)| federation::Refusal {
                at,
                peer,
                origin,
                reason,
                evidence,
            })
            .collect())
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

    /// Every connection, the writer's and the readers', keeps its temporary data (an
    /// append's statement journals, large sorts) in memory.
    #[tokio::test]
    async fn connections_keep_temporary_data_in_memory() {
        let (_dir, store) = scratch().await;
        for pool in [&store.writer, &store.pool] {
            let mode: i64 = sqlx::query_scalar("PRAGMA temp_store")
                .fetch_one(pool)
                .await
                .unwrap();
            assert_eq!(mode, 2, "2 is MEMORY");
        }
        store.close().await;
    }

    /// The writer's page cache is the small one; readers keep the large one (searches
    /// and proofs read scattered pages).
    #[tokio::test]
    async fn the_writer_has_a_small_cache_and_readers_a_large_one() {
        let (_dir, store) = scratch().await;
        let cache = |pool| async move {
            sqlx::query_scalar::<_, i64>("PRAGMA cache_size")
                .fetch_one(pool)
                .await
                .unwrap()
        };
        assert_eq!(cache(&store.writer).await.to_string(), WRITER_CACHE);
        assert_eq!(cache(&store.pool).await, -65536);
        store.close().await;
    }
}
