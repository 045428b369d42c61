//! The [`Store`] on SQLite: Concord's embedded default. One file, WAL journal, every commit
//! synced to disk before it is acknowledged.

use std::str::FromStr;
use std::time::Duration;

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
use concord_ledger::log::{self, KnownHashes, Step};
use concord_store::federation;
use concord_store::group_commit::{
    Answer, GroupCommit, GroupTransaction, Write, failed_all, write_group,
};
use concord_store::hash_cache::HashCache;
use concord_store::projection::{
    IncidentRow, ReadRow, ledger_entry, now, read_row, received_row, seal_of,
};
use concord_store::{
    ConsoleSession, DatasetMark, Expect, Hash, IncidentFilter, SessionFilter, Store, StoreError,
};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::{Sqlite, Transaction};
use time::format_description::well_known::Rfc3339;

/// Concord's data in one SQLite file.
pub struct SqliteStore {
    pool: SqlitePool,
    /// SQLite allows one writer at a time; writers queue here (and are committed
    /// together) rather than fail with `SQLITE_BUSY`.
    group: GroupCommit,
    hash_cache: HashCache,
    guards: concord_store::access::Guards,
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

fn db_error(e: sqlx::Error) -> StoreError {
    match &e {
        sqlx::Error::Database(d) if d.is_unique_violation() => {
            StoreError::Conflict(d.message().to_owned())
        }
        _ => StoreError::Database(e.to_string()),
    }
}

impl SqliteStore {
    /// Opens (creating if missing) the database at `url` (`sqlite://concord.db`,
    /// `sqlite::memory:`) and brings its schema up to date.
    pub async fn open(url: &str) -> Result<SqliteStore, StoreError> {
        let options = SqliteConnectOptions::from_str(url)
            .map_err(|e| StoreError::Database(format!("bad SQLite address `{url}`: {e}")))?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            // Ledger proofs read scattered pages of a large table: map the file rather
            // than copy pages through read().
            .pragma("mmap_size", "1073741824")
            .pragma("cache_size", "-65536")
            .busy_timeout(Duration::from_secs(10));
        // A new database file holds restricted reports and token hashes: create it readable
        // by its owner only (SQLite gives its journal files the same mode). An existing
        // file keeps the mode its operator gave it.
        let file = options.get_filename().to_path_buf();
        #[cfg(unix)]
        if !url.contains(":memory:") && !file.exists() {
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
        let max = if url.contains(":memory:") { 1 } else { 8 };
        // A file on this machine cannot go stale: skip the ping sqlx sends before lending
        // each connection.
        let pool = SqlitePoolOptions::new()
            .test_before_acquire(false)
            .max_connections(max)
            .connect_with(options)
            .await
            .map_err(db_error)?;
        sqlx::migrate!("./migrations")
            .run(&pool)
            .await
            .map_err(|e| StoreError::Migration(e.to_string()))?;
        Ok(SqliteStore {
            pool,
            group: GroupCommit::default(),
            hash_cache: HashCache::default(),
            guards: Default::default(),
        })
    }

    /// Closes every connection, checkpointing the journal.
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

async fn apply(
    tx: &mut Transaction<'_, Sqlite>,
    seq: i64,
    row: ReadRow,
) -> Result<(), sqlx::Error> {
    match row {
        ReadRow::Charter { body } => {
            sqlx::query!("INSERT INTO charter (id, body) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET body = excluded.body", body)
                .execute(&mut **tx)
                .await?;
        }
        // A commit inserts these in one statement each (see `write`); alone, the same
        // statement takes one row.
        ReadRow::Source { file, body } => insert_sources(tx, &[(file, body)]).await?,
        ReadRow::Status {
            member,
            status,
            body,
        } => {
            sqlx::query!(
                "INSERT INTO member_statuses (member, status, body) VALUES (?, ?, ?)",
                member,
                status,
                body
            )
            .execute(&mut **tx)
            .await?;
        }
        ReadRow::Session {
            id,
            year,
            starts,
            bodies,
            body,
        } => {
            let starts = starts.to_string();
            sqlx::query!(
                "INSERT INTO sessions (id, year, starts, body) VALUES (?, ?, ?, ?)",
                id,
                year,
                starts,
                body
            )
            .execute(&mut **tx)
            .await?;
            for code in bodies {
                sqlx::query!(
                    "INSERT INTO session_bodies (session_id, body_code) VALUES (?, ?)",
                    id,
                    code
                )
                .execute(&mut **tx)
                .await?;
            }
        }
        ReadRow::Document {
            id,
            session_id,
            body,
        } => {
            sqlx::query!(
                "INSERT INTO documents (id, session_id, position, body) VALUES (?, ?, ?, ?)",
                id,
                session_id,
                seq,
                body
            )
            .execute(&mut **tx)
            .await?;
        }
        ReadRow::Appointment { post, body } => {
            sqlx::query!(
                "INSERT INTO appointments (post, body) VALUES (?, ?)",
                post,
                body
            )
            .execute(&mut **tx)
            .await?;
        }
        ReadRow::Chairmanship { year, body } => {
            sqlx::query!(
                "INSERT INTO chairmanship_statements (year, body) VALUES (?, ?)",
                year,
                body
            )
            .execute(&mut **tx)
            .await?;
        }
        ReadRow::ExerciseYear { year, body } => {
            sqlx::query!(
                "INSERT INTO exercise_years (year, body) VALUES (?, ?)",
                year,
                body
            )
            .execute(&mut **tx)
            .await?;
        }
        ReadRow::Exercise { id, year, body } => {
            sqlx::query!(
                "INSERT INTO exercises (id, year, body) VALUES (?, ?, ?)",
                id,
                year,
                body
            )
            .execute(&mut **tx)
            .await?;
        }
        ReadRow::Programme { id, body } => {
            sqlx::query!("INSERT INTO programmes (id, body) VALUES (?, ?)", id, body)
                .execute(&mut **tx)
                .await?;
        }
        ReadRow::Key {
            key_id,
            owner,
            body,
        } => {
            sqlx::query!(
                "INSERT INTO keys (key_id, owner, body) VALUES (?, ?, ?)",
                key_id,
                owner,
                body
            )
            .execute(&mut **tx)
            .await?;
        }
        ReadRow::Node {
            origin,
            owner,
            body,
        } => {
            sqlx::query(
                "INSERT INTO nodes (origin, owner, body) VALUES (?, ?, ?) \
                 ON CONFLICT (origin) DO UPDATE SET owner = excluded.owner, body = excluded.body",
            )
            .bind(origin)
            .bind(owner)
            .bind(body)
            .execute(&mut **tx)
            .await?;
        }
        ReadRow::KeyRetired {
            key_id,
            valid_until,
        } => {
            sqlx::query!(
                "UPDATE keys SET body = json_set(body, '$.valid_until', ?) WHERE key_id = ?",
                valid_until,
                key_id
            )
            .execute(&mut **tx)
            .await?;
        }
        ReadRow::AgendaItem { session_id, title } => {
            sqlx::query!(
                "UPDATE sessions SET body = json_insert(body, '$.agenda[#]', json(?)) WHERE id = ?",
                title,
                session_id
            )
            .execute(&mut **tx)
            .await?;
        }
        ReadRow::Attendance {
            session_id,
            member,
            attendance,
        } => {
            sqlx::query!(
                "UPDATE sessions SET body = json_set(body, '$.attendance.' || ?, ?) WHERE id = ?",
                member,
                attendance,
                session_id
            )
            .execute(&mut **tx)
            .await?;
        }
        ReadRow::Version {
            document_id,
            number,
            body,
        } => {
            sqlx::query!(
                "INSERT INTO document_versions (document_id, number, body) VALUES (?, ?, ?)",
                document_id,
                number,
                body
            )
            .execute(&mut **tx)
            .await?;
        }
        ReadRow::Circulation {
            document_id,
            version,
            body,
        } => {
            sqlx::query!(
                "INSERT INTO circulations (document_id, version, body) VALUES (?, ?, ?)",
                document_id,
                version,
                body
            )
            .execute(&mut **tx)
            .await?;
        }
        ReadRow::Position {
            document_id,
            version,
            member,
            body,
        } => insert_positions(tx, &[(document_id, version, member, seq, body)]).await?,
        ReadRow::Incident(row) => insert_incidents(tx, &[row]).await?,
        ReadRow::Token { id, sha256, body } => {
            sqlx::query!(
                "INSERT INTO api_tokens (id, sha256, revoked, body) VALUES (?, ?, FALSE, ?)",
                id,
                sha256,
                body
            )
            .execute(&mut **tx)
            .await?;
        }
        ReadRow::TokenRevoked { id } => {
            sqlx::query!("UPDATE api_tokens SET revoked = TRUE WHERE id = ?", id)
                .execute(&mut **tx)
                .await?;
        }
        ReadRow::Account { username, body } => {
            sqlx::query!(
                "INSERT INTO accounts (username, closed, body) VALUES (?1, FALSE, ?2)
                 ON CONFLICT (username) DO UPDATE SET body = ?2",
                username,
                body
            )
            .execute(&mut **tx)
            .await?;
        }
        ReadRow::Alert(a) => {
            sqlx::query(
                "INSERT INTO alerts (id, issuer, release_to, release_group, received_at, situation, summary) \
                 VALUES (?, ?, ?, ?, ?, ?, ?)",
            )
            .bind(a.id)
            .bind(a.issuer)
            .bind(a.release_to)
            .bind(a.release_group)
            .bind(a.received_at)
            .bind(a.situation)
            .bind(a.summary)
            .execute(&mut **tx)
            .await?;
        }
        ReadRow::SituationOpened(s) => {
            sqlx::query(
                "INSERT INTO situations (id, opened_at, title, level, reports) VALUES (?, ?, ?, ?, ?)",
            )
            .bind(s.id)
            .bind(s.opened_at)
            .bind(s.title)
            .bind(s.level)
            .bind(s.reports)
            .execute(&mut **tx)
            .await?;
        }
        ReadRow::SituationReport { id, report } => {
            sqlx::query(
                "UPDATE situations SET reports = json_insert(reports, '$[#]', ?) WHERE id = ?",
            )
            .bind(report)
            .bind(id)
            .execute(&mut **tx)
            .await?;
        }
        ReadRow::SituationLevel { id, level } => {
            sqlx::query("UPDATE situations SET level = ? WHERE id = ?")
                .bind(level)
                .bind(id)
                .execute(&mut **tx)
                .await?;
        }
        ReadRow::AccountClosed { username } => {
            sqlx::query!(
                "UPDATE accounts SET closed = TRUE WHERE username = ?",
                username
            )
            .execute(&mut **tx)
            .await?;
        }
        ReadRow::Operation { code, body } => {
            sqlx::query!(
                "INSERT INTO operations (code, body) VALUES (?, ?)",
                code,
                body
            )
            .execute(&mut **tx)
            .await?;
        }
        ReadRow::Nothing => {}
        ReadRow::DocumentStatus {
            document_id,
            status,
        } => set_document_status(tx, &document_id, &status).await?,
        ReadRow::Decision {
            document_id,
            status,
            body,
        } => {
            sqlx::query!(
                "INSERT INTO decisions (document_id, leaf_index, body) VALUES (?, ?, ?)",
                document_id,
                seq,
                body
            )
            .execute(&mut **tx)
            .await?;
            sqlx::query!(
                "UPDATE documents SET body = json_set(body, '$.status', ?) WHERE id = ?",
                status,
                document_id
            )
            .execute(&mut **tx)
            .await?;
        }
    }
    Ok(())
}

/// The stored hashes at `indexes` that exist, as (index, bytes).
async fn fetch_hashes<'e>(
    executor: impl sqlx::SqliteExecutor<'e>,
    indexes: &[u64],
) -> Result<Vec<(i64, Vec<u8>)>, StoreError> {
    // SQLite has no array parameter: pass the indexes as a JSON array. The answer comes
    // back as one row (indexes as JSON, hashes as hex, in the same order): sqlx hands
    // each row across threads separately, and proofs are latency-bound.
    let indexes = StoreError::encode(indexes);
    let row = sqlx::query!(
        r#"SELECT json_group_array(idx) AS "idx!: String", group_concat(hex(hash), '') AS "hashes: String"
           FROM ledger_hashes WHERE idx IN (SELECT value FROM json_each(?))"#,
        indexes
    )
    .fetch_one(executor)
    .await
    .map_err(db_error)?;
    let found: Vec<i64> = StoreError::decode("ledger hash indexes", &row.idx)?;
    let hashes = hex::decode(row.hashes.unwrap_or_default())
        .map_err(|e| StoreError::Ledger(format!("stored hashes are unreadable: {e}")))?;
    if hashes.len() != found.len() * 32 {
        return Err(StoreError::Ledger("a stored hash is not 32 bytes".into()));
    }
    Ok(found
        .into_iter()
        .zip(hashes.chunks(32).map(<[u8]>::to_vec))
        .collect())
}

/// Appends leaf `n` to the ledger: adds the hashes it produces to `known` and `out`,
/// taking the older hashes it needs from the in-memory copy of committed hashes, else
/// from the transaction.
async fn append_leaf(
    tx: &mut Transaction<'_, Sqlite>,
    cache: &HashCache,
    known: &mut KnownHashes,
    out: &mut Vec<(u64, Hash)>,
    n: u64,
    leaf: Hash,
) -> Result<(), StoreError> {
    loop {
        match log::append(known, n, leaf).map_err(|e| StoreError::Ledger(e.to_string()))? {
            Step::Done(pairs) => {
                known.extend(pairs.iter().copied());
                out.extend(pairs);
                return Ok(());
            }
            Step::Fetch(indexes) => {
                let (cached, missing) = cache.lookup(&indexes);
                known.extend(cached);
                if !missing.is_empty() {
                    let found = fetch_hashes(&mut **tx, &missing).await?;
                    let hashes = StoreError::hashes_in_order(&missing, found)?;
                    known.extend(missing.into_iter().zip(hashes));
                }
            }
        }
    }
}

/// Writes a commit's events with multi-row statements (bound values, no JSON to parse)
/// and its ledger hashes with one statement (one JSON array of indexes and one blob).
async fn insert_log(
    tx: &mut Transaction<'_, Sqlite>,
    first: i64,
    recorded_at: &str,
    events: &[(&'static str, String, Option<String>)],
    hashes: &[(u64, Hash)],
) -> Result<(), StoreError> {
    for (part, rows) in events.chunks(rows_per_statement(5)).enumerate() {
        let first = first + (part * rows_per_statement(5)) as i64;
        let mut q = sqlx::QueryBuilder::<Sqlite>::new(
            "INSERT INTO events (leaf_index, kind, recorded_at, body, subject) ",
        );
        q.push_values(
            rows.iter().enumerate(),
            |mut row, (i, (kind, body, subject))| {
                row.push_bind(first + i as i64)
                    .push_bind(*kind)
                    .push_bind(recorded_at)
                    .push_bind(body.as_str())
                    .push_bind(subject.as_deref());
            },
        );
        q.build().execute(&mut **tx).await.map_err(db_error)?;
    }
    let indexes = StoreError::encode(&hashes.iter().map(|(i, _)| *i).collect::<Vec<u64>>());
    let blob: Vec<u8> = hashes.iter().flat_map(|(_, h)| h.0).collect();
    sqlx::query!(
        r#"INSERT INTO ledger_hashes (idx, hash)
           SELECT j.value, substr(?2, j.key * 32 + 1, 32) FROM json_each(?1) j"#,
        indexes,
        blob
    )
    .execute(&mut **tx)
    .await
    .map_err(db_error)?;
    Ok(())
}

/// Inserts the cited sources of a commit with one statement.
async fn insert_sources(
    tx: &mut Transaction<'_, Sqlite>,
    rows: &[(String, String)],
) -> Result<(), sqlx::Error> {
    if rows.is_empty() {
        return Ok(());
    }
    let rows = StoreError::encode(rows);
    sqlx::query!(
        r#"INSERT INTO sources (file, body)
           SELECT json_extract(j.value, '$[0]'), json_extract(j.value, '$[1]') FROM json_each(?1) j"#,
        rows
    )
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Inserts the signed positions of a commit with one statement.
async fn insert_positions(
    tx: &mut Transaction<'_, Sqlite>,
    rows: &[(String, i64, String, i64, String)],
) -> Result<(), sqlx::Error> {
    if rows.is_empty() {
        return Ok(());
    }
    let rows = StoreError::encode(rows);
    sqlx::query!(
        r#"INSERT INTO positions (document_id, version, member, seq, body)
           SELECT json_extract(j.value, '$[0]'), json_extract(j.value, '$[1]'), json_extract(j.value, '$[2]'),
                  json_extract(j.value, '$[3]'), json_extract(j.value, '$[4]')
           FROM json_each(?1) j"#,
        rows
    )
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Inserts incident report rows with multi-row statements of bound values.
async fn insert_incidents(
    tx: &mut Transaction<'_, Sqlite>,
    rows: &[IncidentRow],
) -> Result<(), sqlx::Error> {
    for rows in rows.chunks(rows_per_statement(15)) {
        let mut q = sqlx::QueryBuilder::<Sqlite>::new(
            "INSERT INTO incident_reports (id, version, reporter, domain, country, occurred_at, severity, \
             severity_rank, release_to, release_group, west, south, east, north, body) ",
        );
        q.push_values(rows, |mut row, r| {
            row.push_bind(r.id.as_str())
                .push_bind(r.version)
                .push_bind(r.reporter.as_str())
                .push_bind(r.domain.as_str())
                .push_bind(r.country.as_str())
                .push_bind(r.occurred_at.as_str())
                .push_bind(r.severity.as_str())
                .push_bind(r.severity_rank)
                .push_bind(r.release_to.as_str())
                .push_bind(r.release_group.as_deref())
                .push_bind(r.bbox[0])
                .push_bind(r.bbox[1])
                .push_bind(r.bbox[2])
                .push_bind(r.bbox[3])
                .push_bind(r.body.as_str());
        });
        q.build().execute(&mut **tx).await?;
    }
    Ok(())
}

/// How many rows of `columns` bound values one statement may carry (SQLite allows 32,766
/// variables).
fn rows_per_statement(columns: usize) -> usize {
    30_000 / columns
}

/// Records the seals the events carry, in multi-row statements; one received before fails the
/// write (a unique violation, which the write path treats as a conflict and decides again).
async fn insert_seals(
    tx: &mut Transaction<'_, Sqlite>,
    events: &[Event],
) -> Result<(), sqlx::Error> {
    let seals: Vec<(&str, &str, &str)> = events.iter().filter_map(seal_of).collect();
    if seals.is_empty() {
        return Ok(());
    }
    for seals in seals.chunks(rows_per_statement(3)) {
        let mut q =
            sqlx::QueryBuilder::<Sqlite>::new("INSERT INTO seals (issued_at, key_id, nonce) ");
        q.push_values(seals, |mut row, (issued_at, key, nonce)| {
            row.push_bind(*issued_at).push_bind(*key).push_bind(*nonce);
        });
        q.build().execute(&mut **tx).await?;
    }
    Ok(())
}

/// Refuses the write if any subject it expects has changed: one statement for all.
async fn check_expectations(
    tx: &mut Transaction<'_, Sqlite>,
    expect: &[Expect],
) -> Result<(), StoreError> {
    if expect.is_empty() {
        return Ok(());
    }
    let pairs: Vec<(&str, Option<i64>)> = expect
        .iter()
        .map(|e| (e.subject.as_str(), e.last))
        .collect();
    let pairs = StoreError::encode(&pairs);
    let changed = sqlx::query_scalar!(
        r#"SELECT json_extract(j.value, '$[0]') AS "subject!: String" FROM json_each(?1) j
           WHERE (SELECT MAX(leaf_index) FROM events WHERE subject = json_extract(j.value, '$[0]'))
                 IS NOT json_extract(j.value, '$[1]')
           LIMIT 1"#,
        pairs
    )
    .fetch_optional(&mut **tx)
    .await
    .map_err(db_error)?;
    match changed {
        None => Ok(()),
        Some(subject) => Err(StoreError::Conflict(format!(
            "{subject} changed while the command was decided; try again"
        ))),
    }
}

impl SqliteStore {
    /// Commits `batch` in one transaction ([`write_group`]); answers each, in order (the
    /// group commit of `concord_store::group_commit`).
    async fn commit_batch(&self, batch: Vec<Write>) -> Vec<Answer> {
        let now = now();
        // IMMEDIATE: take the write lock now. A deferred transaction that reads the ledger
        // head first would fail, not wait, when another process writes meanwhile.
        let mut tx = match self.pool.begin_with("BEGIN IMMEDIATE").await {
            Ok(tx) => tx,
            Err(e) => return failed_all(batch.len(), &db_error(e)),
        };
        let size = match sqlx::query_scalar!("SELECT size FROM ledger_head WHERE id = 1")
            .fetch_one(&mut *tx)
            .await
        {
            Ok(size) => size,
            Err(e) => return failed_all(batch.len(), &db_error(e)),
        };
        let group = Group {
            tx,
            cache: &self.hash_cache,
            recorded_at: now.format(&Rfc3339).expect("UTC timestamps format"),
        };
        let (answers, hashes) = write_group(group, size, now, &batch).await;
        if let Some((first, _)) = hashes.first() {
            let ordered: Vec<Hash> = hashes.iter().map(|(_, h)| *h).collect();
            self.hash_cache.extend_mirror(*first, &ordered);
        }
        answers
    }
}

/// A group commit's transaction on SQLite.
struct Group<'a> {
    tx: Transaction<'static, Sqlite>,
    cache: &'a HashCache,
    recorded_at: String,
}

#[async_trait]
impl GroupTransaction for Group<'_> {
    async fn write(
        &mut self,
        size: i64,
        now: time::OffsetDateTime,
        w: &Write,
        hashes: &mut Vec<(u64, Hash)>,
    ) -> Result<i64, StoreError> {
        write(
            &mut self.tx,
            self.cache,
            size,
            now,
            &self.recorded_at,
            &w.events,
            w.dataset.as_ref(),
            &w.expect,
            hashes,
        )
        .await
    }

    async fn savepoint(&mut self, statement: &str) -> Result<(), StoreError> {
        sqlx::query(statement)
            .execute(&mut *self.tx)
            .await
            .map(drop)
            .map_err(db_error)
    }

    async fn commit(mut self, size: i64) -> Result<(), StoreError> {
        sqlx::query!("UPDATE ledger_head SET size = ? WHERE id = 1", size)
            .execute(&mut *self.tx)
            .await
            .map_err(db_error)?;
        self.tx.commit().await.map_err(db_error)
    }
}

/// One write inside the transaction, from leaf `size` on: checks its expectations, appends
/// its leaves and hashes, updates the read tables, records its dataset mark. Returns the
/// leaf index of its last event.
#[allow(clippy::too_many_arguments)]
async fn write(
    tx: &mut Transaction<'_, Sqlite>,
    cache: &HashCache,
    size: i64,
    now: time::OffsetDateTime,
    recorded_at: &str,
    events: &[Event],
    dataset: Option<&DatasetMark>,
    expect: &[Expect],
    hashes: &mut Vec<(u64, Hash)>,
) -> Result<i64, StoreError> {
    let started = std::time::Instant::now();
    check_expectations(tx, expect).await?;
    let expected = started.elapsed();
    let mut known = KnownHashes::new();
    let mut rows = Vec::with_capacity(events.len());
    for (offset, event) in events.iter().enumerate() {
        let index = size + offset as i64;
        let (body, leaf) = ledger_entry(index as u64, now, event);
        append_leaf(tx, cache, &mut known, hashes, index as u64, leaf).await?;
        rows.push((event.kind(), body, event.subject()));
    }
    let leaves = started.elapsed();
    insert_log(tx, size, recorded_at, &rows, hashes).await?;
    let logged = started.elapsed();
    // Read rows in event order; the high-volume kinds go in one statement each, after the
    // rows they may refer to.
    let mut sources = vec![];
    let mut positions = vec![];
    let mut incidents = vec![];
    for (offset, event) in events.iter().enumerate() {
        let index = size + offset as i64;
        match read_row(event) {
            ReadRow::Source { file, body } => sources.push((file, body)),
            ReadRow::Position {
                document_id,
                version,
                member,
                body,
            } => positions.push((document_id, version, member, index, body)),
            ReadRow::Incident(row) => incidents.push(row),
            row => apply(tx, index, row).await.map_err(db_error)?,
        }
    }
    insert_sources(tx, &sources).await.map_err(db_error)?;
    insert_positions(tx, &positions).await.map_err(db_error)?;
    insert_incidents(tx, &incidents).await.map_err(db_error)?;
    let read_rows = started.elapsed();
    insert_seals(tx, events).await.map_err(db_error)?;
    tracing::trace!(
        events = events.len(),
        expect_us = expected.as_micros() as u64,
        leaves_us = (leaves - expected).as_micros() as u64,
        log_us = (logged - leaves).as_micros() as u64,
        rows_us = (read_rows - logged).as_micros() as u64,
        seals_us = (started.elapsed() - read_rows).as_micros() as u64,
        "write's steps"
    );
    let last = size + events.len() as i64 - 1;
    if let Some(mark) = dataset {
        sqlx::query!(
            "INSERT INTO datasets (name, sha256, last_event) VALUES (?, ?, ?)",
            mark.name,
            mark.sha256,
            last
        )
        .execute(&mut **tx)
        .await
        .map_err(db_error)?;
    }
    Ok(last)
}

#[async_trait]
impl Store for SqliteStore {
    async fn append(
        &self,
        events: &[Event],
        dataset: Option<&DatasetMark>,
        expect: &[Expect],
    ) -> Result<i64, StoreError> {
        // Group commit (`concord_store::group_commit`): nothing is acknowledged before its
        // transaction commits.
        let write = Write {
            events: events.to_vec(),
            dataset: dataset.cloned(),
            expect: expect.to_vec(),
        };
        self.group
            .append(write, |batch| self.commit_batch(batch))
            .await
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
        .execute(&self.pool)
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
        .execute(&self.pool)
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
            .execute(&self.pool)
            .await
            .map_err(db_error)?;
        Ok(())
    }

    async fn close_console_sessions_of(&self, username: &str) -> Result<(), StoreError> {
        sqlx::query!("DELETE FROM console_sessions WHERE username = ?", username)
            .execute(&self.pool)
            .await
            .map_err(db_error)?;
        Ok(())
    }

    async fn subject_heads(&self, subjects: &[String]) -> Result<Vec<Option<i64>>, StoreError> {
        let names = StoreError::encode(subjects);
        let heads = sqlx::query_scalar!(
            r#"SELECT (SELECT MAX(leaf_index) FROM events WHERE subject = j.value) AS "last: i64"
               FROM json_each(?1) j ORDER BY j.key"#,
            names
        )
        .fetch_all(&self.pool)
        .await
        .map_err(db_error)?;
        Ok(heads)
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
        let mut tx = self.pool.begin().await.map_err(db_error)?;
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
        tx.commit().await.map_err(db_error)
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
        .execute(&self.pool)
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

/// Sets a document's status (a decision's outcome).
async fn set_document_status(
    tx: &mut Transaction<'_, Sqlite>,
    document_id: &str,
    status: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE documents SET body = json_set(body, '$.status', ?) WHERE id = ?")
        .bind(status)
        .bind(document_id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}
