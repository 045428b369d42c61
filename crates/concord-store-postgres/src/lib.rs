//! The [`Store`] on PostgreSQL: for production and for several server nodes sharing one
//! database. Migrations take an advisory lock, so nodes may start together.

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
use sqlx::postgres::{PgPool, PgPoolOptions};
use sqlx::{Postgres, Transaction};

/// Concord's data in a PostgreSQL database.
pub struct PostgresStore {
    pool: PgPool,
    hash_cache: HashCache,
    guards: concord_store::access::Guards,
    /// This process's appends, committed together.
    group: GroupCommit,
    /// The ledger's size as the other writers announce it; its listener starts when
    /// first asked for ([`Store::growth`]).
    growth: std::sync::OnceLock<tokio::sync::watch::Sender<u64>>,
}

/// The channel every commit announces the ledger's new size on.
const GROWTH_CHANNEL: &str = "concord_ledger";

/// Listens to [`GROWTH_CHANNEL`] for as long as the server runs, reconnecting after a lost
/// connection (and then waking the watchers, who read whatever they missed).
async fn listen_for_growth(pool: PgPool, sender: tokio::sync::watch::Sender<u64>) {
    loop {
        let Err(e) = relay_growth(&pool, &sender).await;
        tracing::warn!(error = %e, "lost the ledger's notifications; listening again");
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

/// Relays each announced size to the watchers until the connection fails.
async fn relay_growth(
    pool: &PgPool,
    sender: &tokio::sync::watch::Sender<u64>,
) -> Result<std::convert::Infallible, sqlx::Error> {
    let mut listener = sqlx::postgres::PgListener::connect_with(pool).await?;
    listener.listen(GROWTH_CHANNEL).await?;
    // Anything committed while nobody listened is found by the watchers' own read.
    sender.send_modify(|_| ());
    loop {
        let note = listener.recv().await?;
        if let Ok(size) = note.payload().parse::<u64>() {
            sender.send_if_modified(|known| {
                let grew = size > *known;
                *known = (*known).max(size);
                grew
            });
        }
    }
}

/// Adds to an open `(FALSE` the reader's scope as conditions on the table aliased `table`
/// (releasability in `release_to`, `release_group`), whose originator is in `originator`:
/// the one form of the access policy that incident and alert lists choose rows by.
fn push_scope(
    q: &mut sqlx::QueryBuilder<'_, sqlx::Postgres>,
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
    q: &mut sqlx::QueryBuilder<'_, sqlx::Postgres>,
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

impl PostgresStore {
    /// Connects to the database at `url` (`postgres://user@host/db`) and brings its
    /// schema up to date.
    pub async fn open(url: &str) -> Result<PostgresStore, StoreError> {
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .acquire_timeout(Duration::from_secs(10))
            .connect(url)
            .await
            .map_err(db_error)?;
        sqlx::migrate!("./migrations")
            .run(&pool)
            .await
            .map_err(|e| StoreError::Migration(e.to_string()))?;
        Ok(PostgresStore {
            pool,
            hash_cache: HashCache::default(),
            group: GroupCommit::default(),
            guards: Default::default(),
            growth: std::sync::OnceLock::new(),
        })
    }

    /// Closes every connection.
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// Inserts incident report rows with one statement (columns as arrays).
async fn insert_incidents(
    tx: &mut Transaction<'_, Postgres>,
    rows: &[IncidentRow],
) -> Result<(), sqlx::Error> {
    if rows.is_empty() {
        return Ok(());
    }
    let column = |f: fn(&IncidentRow) -> String| rows.iter().map(f).collect::<Vec<String>>();
    let versions: Vec<i64> = rows.iter().map(|r| r.version).collect();
    let ranks: Vec<i64> = rows.iter().map(|r| r.severity_rank).collect();
    let groups: Vec<Option<String>> = rows.iter().map(|r| r.release_group.clone()).collect();
    let side = |i: usize| rows.iter().map(|r| r.bbox[i]).collect::<Vec<f64>>();
    sqlx::query!(
        r#"INSERT INTO incident_reports (id, version, reporter, domain, country, occurred_at, severity, severity_rank, release_to, release_group, west, south, east, north, body)
           SELECT * FROM UNNEST($1::text[], $2::bigint[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::bigint[],
                                $9::text[], $10::text[], $11::float8[], $12::float8[], $13::float8[], $14::float8[], $15::text[])"#,
        &column(|r| r.id.clone()),
        &versions,
        &column(|r| r.reporter.clone()),
        &column(|r| r.domain.clone()),
        &column(|r| r.country.clone()),
        &column(|r| r.occurred_at.clone()),
        &column(|r| r.severity.clone()),
        &ranks,
        &column(|r| r.release_to.clone()),
        &groups as &[Option<String>],
        &side(0),
        &side(1),
        &side(2),
        &side(3),
        &column(|r| r.body.clone()),
    )
    .execute(&mut **tx)
    .await?;
    Ok(())
}

async fn apply(
    tx: &mut Transaction<'_, Postgres>,
    seq: i64,
    row: ReadRow,
) -> Result<(), sqlx::Error> {
    match row {
        ReadRow::Charter { body } => {
            sqlx::query!("INSERT INTO charter (id, body) VALUES (1, $1) ON CONFLICT (id) DO UPDATE SET body = excluded.body", body)
                .execute(&mut **tx)
                .await?;
        }
        ReadRow::Source { file, body } => {
            sqlx::query!(
                "INSERT INTO sources (file, body) VALUES ($1, $2)",
                file,
                body
            )
            .execute(&mut **tx)
            .await?;
        }
        ReadRow::Status {
            member,
            status,
            body,
        } => {
            sqlx::query!(
                "INSERT INTO member_statuses (member, status, body) VALUES ($1, $2, $3)",
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
            sqlx::query!(
                "INSERT INTO sessions (id, year, starts, body) VALUES ($1, $2, $3, $4)",
                id,
                year,
                starts,
                body
            )
            .execute(&mut **tx)
            .await?;
            for code in bodies {
                sqlx::query!(
                    "INSERT INTO session_bodies (session_id, body_code) VALUES ($1, $2)",
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
                "INSERT INTO documents (id, session_id, position, body) VALUES ($1, $2, $3, $4)",
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
                "INSERT INTO appointments (post, body) VALUES ($1, $2)",
                post,
                body
            )
            .execute(&mut **tx)
            .await?;
        }
        ReadRow::Chairmanship { year, body } => {
            sqlx::query!(
                "INSERT INTO chairmanship_statements (year, body) VALUES ($1, $2)",
                year,
                body
            )
            .execute(&mut **tx)
            .await?;
        }
        ReadRow::ExerciseYear { year, body } => {
            sqlx::query!(
                "INSERT INTO exercise_years (year, body) VALUES ($1, $2)",
                year,
                body
            )
            .execute(&mut **tx)
            .await?;
        }
        ReadRow::Exercise { id, year, body } => {
            sqlx::query!(
                "INSERT INTO exercises (id, year, body) VALUES ($1, $2, $3)",
                id,
                year,
                body
            )
            .execute(&mut **tx)
            .await?;
        }
        ReadRow::Programme { id, body } => {
            sqlx::query!(
                "INSERT INTO programmes (id, body) VALUES ($1, $2)",
                id,
                body
            )
            .execute(&mut **tx)
            .await?;
        }
        ReadRow::Key {
            key_id,
            owner,
            body,
        } => {
            sqlx::query!(
                "INSERT INTO keys (key_id, owner, body) VALUES ($1, $2, $3)",
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
                "INSERT INTO nodes (origin, owner, body) VALUES ($1, $2, $3) \
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
                "UPDATE keys SET body = jsonb_set(body::jsonb, '{valid_until}', to_jsonb($1::text))::text WHERE key_id = $2",
                valid_until,
                key_id
            )
            .execute(&mut **tx)
            .await?;
        }
        ReadRow::AgendaItem { session_id, title } => {
            sqlx::query!(
                "UPDATE sessions SET body = jsonb_set(body::jsonb, '{agenda}', COALESCE(body::jsonb -> 'agenda', '[]'::jsonb) || jsonb_build_array($1::text::jsonb))::text WHERE id = $2",
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
                "UPDATE sessions SET body = jsonb_set(body::jsonb, ARRAY['attendance', $1::text], to_jsonb($2::text))::text WHERE id = $3",
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
                "INSERT INTO document_versions (document_id, number, body) VALUES ($1, $2, $3)",
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
                "INSERT INTO circulations (document_id, version, body) VALUES ($1, $2, $3)",
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
        } => {
            sqlx::query!(
                "INSERT INTO positions (document_id, version, member, seq, body) VALUES ($1, $2, $3, $4, $5)",
                document_id,
                version,
                member,
                seq,
                body
            )
            .execute(&mut **tx)
            .await?;
        }
        ReadRow::Incident(row) => insert_incidents(tx, std::slice::from_ref(&row)).await?,
        ReadRow::Token { id, sha256, body } => {
            sqlx::query!(
                "INSERT INTO api_tokens (id, sha256, revoked, body) VALUES ($1, $2, FALSE, $3)",
                id,
                sha256,
                body
            )
            .execute(&mut **tx)
            .await?;
        }
        ReadRow::Account { username, body } => {
            sqlx::query!(
                "INSERT INTO accounts (username, closed, body) VALUES ($1, FALSE, $2)
                 ON CONFLICT (username) DO UPDATE SET body = $2",
                username,
                body
            )
            .execute(&mut **tx)
            .await?;
        }
        ReadRow::Alert(a) => {
            sqlx::query(
                "INSERT INTO alerts (id, issuer, release_to, release_group, received_at, situation, summary) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
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
                "INSERT INTO situations (id, opened_at, title, level, reports) VALUES ($1, $2, $3, $4, $5)",
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
                "UPDATE situations SET reports = (reports::jsonb || to_jsonb($1::text))::text WHERE id = $2",
            )
            .bind(report)
            .bind(id)
            .execute(&mut **tx)
            .await?;
        }
        ReadRow::SituationLevel { id, level } => {
            sqlx::query("UPDATE situations SET level = $1 WHERE id = $2")
                .bind(level)
                .bind(id)
                .execute(&mut **tx)
                .await?;
        }
        ReadRow::AccountClosed { username } => {
            sqlx::query!(
                "UPDATE accounts SET closed = TRUE WHERE username = $1",
                username
            )
            .execute(&mut **tx)
            .await?;
        }
        ReadRow::TokenRevoked { id } => {
            sqlx::query!("UPDATE api_tokens SET revoked = TRUE WHERE id = $1", id)
                .execute(&mut **tx)
                .await?;
        }
        ReadRow::Operation { code, body } => {
            sqlx::query!(
                "INSERT INTO operations (code, body) VALUES ($1, $2)",
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
                "INSERT INTO decisions (document_id, leaf_index, body) VALUES ($1, $2, $3)",
                document_id,
                seq,
                body
            )
            .execute(&mut **tx)
            .await?;
            sqlx::query!(
                "UPDATE documents SET body = jsonb_set(body::jsonb, '{status}', to_jsonb($1::text))::text WHERE id = $2",
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
    executor: impl sqlx::PgExecutor<'e>,
    indexes: &[u64],
) -> Result<Vec<(i64, Vec<u8>)>, StoreError> {
    let indexes: Vec<i64> = indexes.iter().map(|&i| i as i64).collect();
    let rows = sqlx::query!(
        "SELECT idx, hash FROM ledger_hashes WHERE idx = ANY($1)",
        &indexes
    )
    .fetch_all(executor)
    .await
    .map_err(db_error)?;
    Ok(rows.into_iter().map(|r| (r.idx, r.hash)).collect())
}

/// Appends leaf `n` to the ledger: adds the hashes it produces to `known` and `out`,
/// fetching the older hashes it needs from the transaction.
async fn append_leaf(
    tx: &mut Transaction<'_, Postgres>,
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

impl PostgresStore {
    /// Commits `batch` in one transaction under the ledger head's lock ([`write_group`]);
    /// answers each, in order.
    async fn commit_batch(&self, batch: Vec<Write>) -> Vec<Answer> {
        let mut tx = match self.pool.begin().await {
            Ok(tx) => tx,
            Err(e) => return failed_all(batch.len(), &db_error(e)),
        };
        let size = match sqlx::query_scalar!("SELECT size FROM ledger_head WHERE id = 1 FOR UPDATE")
            .fetch_one(&mut *tx)
            .await
        {
            Ok(size) => size,
            Err(e) => return failed_all(batch.len(), &db_error(e)),
        };
        // Taken under the lock, so times never run backwards along the log.
        let now = now();
        let group = Group {
            tx,
            cache: &self.hash_cache,
        };
        let (answers, hashes) = write_group(group, size, now, &batch).await;
        // Commits of other nodes, or racing ones here, leave a gap the mirror will not
        // bridge: proofs beyond it then read the database.
        if let Some((first, _)) = hashes.first() {
            let ordered: Vec<Hash> = hashes.iter().map(|(_, h)| *h).collect();
            self.hash_cache.extend_mirror(*first, &ordered);
        }
        answers
    }
}

/// A group commit's transaction on PostgreSQL.
struct Group<'a> {
    tx: Transaction<'static, Postgres>,
    cache: &'a HashCache,
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
        write(&mut self.tx, self.cache, size, now, w, hashes).await
    }

    async fn savepoint(&mut self, statement: &str) -> Result<(), StoreError> {
        sqlx::query(statement)
            .execute(&mut *self.tx)
            .await
            .map(drop)
            .map_err(db_error)
    }

    /// The new size, and word of it to every listening server once this commits.
    async fn commit(mut self, size: i64) -> Result<(), StoreError> {
        sqlx::query!(
            "WITH moved AS (UPDATE ledger_head SET size = $1 WHERE id = 1 RETURNING size) \
             SELECT pg_notify('concord_ledger', size::text) FROM moved",
            size
        )
        .execute(&mut *self.tx)
        .await
        .map_err(db_error)?;
        self.tx.commit().await.map_err(db_error)
    }
}

/// One write inside the transaction, from leaf `size` on: checks its expectations, appends
/// its leaves and hashes, updates the read tables, records its dataset mark. Returns the
/// leaf index of its last event.
async fn write(
    tx: &mut Transaction<'_, Postgres>,
    cache: &HashCache,
    size: i64,
    now: time::OffsetDateTime,
    w: &Write,
    hashes: &mut Vec<(u64, Hash)>,
) -> Result<i64, StoreError> {
    let (events, dataset, expect) = (&w.events, w.dataset.as_ref(), &w.expect);
    let recorded_at = now;
    if !expect.is_empty() {
        // One statement for every expectation.
        let subjects: Vec<String> = expect.iter().map(|e| e.subject.clone()).collect();
        let lasts: Vec<Option<i64>> = expect.iter().map(|e| e.last).collect();
        let changed = sqlx::query_scalar!(
            r#"SELECT t.s AS "subject!" FROM UNNEST($1::text[], $2::bigint[]) AS t(s, l)
               WHERE (SELECT MAX(leaf_index) FROM events WHERE subject = t.s) IS DISTINCT FROM t.l
               LIMIT 1"#,
            &subjects,
            &lasts as &[Option<i64>]
        )
        .fetch_optional(&mut **tx)
        .await
        .map_err(db_error)?;
        if let Some(subject) = changed {
            return Err(StoreError::Conflict(format!(
                "{subject} changed while the command was decided; try again"
            )));
        }
    }
    let mut known = KnownHashes::new();
    let (mut indexes, mut kinds, mut bodies, mut subjects) = (vec![], vec![], vec![], vec![]);
    for (offset, event) in events.iter().enumerate() {
        let index = size + offset as i64;
        let (body, leaf) = ledger_entry(index as u64, now, event);
        append_leaf(tx, cache, &mut known, hashes, index as u64, leaf).await?;
        indexes.push(index);
        kinds.push(event.kind().to_owned());
        bodies.push(body);
        subjects.push(event.subject());
    }
    // One statement for the events and the seals they carry (one received before fails
    // the write: a unique violation, a conflict, decided again), one for the hashes.
    let seals: Vec<(&str, &str, &str)> = events.iter().filter_map(seal_of).collect();
    let seal_at: Vec<String> = seals.iter().map(|s| s.0.to_owned()).collect();
    let seal_keys: Vec<String> = seals.iter().map(|s| s.1.to_owned()).collect();
    let seal_nonces: Vec<String> = seals.iter().map(|s| s.2.to_owned()).collect();
    sqlx::query!(
        r#"WITH sealed AS (
               INSERT INTO seals (issued_at, key_id, nonce)
               SELECT * FROM UNNEST($6::text[], $7::text[], $8::text[])
           )
           INSERT INTO events (leaf_index, kind, recorded_at, body, subject)
           SELECT i, k, $5, b, s FROM UNNEST($1::bigint[], $2::text[], $3::text[], $4::text[]) AS t(i, k, b, s)"#,
        &indexes,
        &kinds,
        &bodies,
        &subjects as &[Option<String>],
        recorded_at,
        &seal_at,
        &seal_keys,
        &seal_nonces
    )
    .execute(&mut **tx)
    .await
    .map_err(db_error)?;
    let (hash_indexes, hash_bytes): (Vec<i64>, Vec<Vec<u8>>) = hashes
        .iter()
        .map(|(i, h)| (*i as i64, h.0.to_vec()))
        .unzip();
    sqlx::query!(
        "INSERT INTO ledger_hashes (idx, hash) SELECT * FROM UNNEST($1::bigint[], $2::bytea[])",
        &hash_indexes,
        &hash_bytes
    )
    .execute(&mut **tx)
    .await
    .map_err(db_error)?;
    let mut incidents = vec![];
    for (offset, event) in events.iter().enumerate() {
        match read_row(event) {
            ReadRow::Incident(row) => incidents.push(row),
            row => apply(tx, size + offset as i64, row)
                .await
                .map_err(db_error)?,
        }
    }
    insert_incidents(tx, &incidents).await.map_err(db_error)?;
    let last = size + events.len() as i64 - 1;
    if let Some(mark) = dataset {
        sqlx::query!(
            "INSERT INTO datasets (name, sha256, last_event) VALUES ($1, $2, $3)",
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
impl Store for PostgresStore {
    async fn append(
        &self,
        events: &[Event],
        dataset: Option<&DatasetMark>,
        expect: &[Expect],
    ) -> Result<i64, StoreError> {
        // Group commit (`concord_store::group_commit`): the appends this process makes at
        // once share one transaction and one lock of the ledger's head.
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
        let rows = sqlx::query_scalar!(
            "SELECT hash FROM ledger_hashes WHERE idx >= $1 AND idx < $2 ORDER BY idx",
            from,
            to
        )
        .fetch_all(&self.pool)
        .await
        .map_err(db_error)?;
        if rows.len() as u64 != end - start {
            return Err(StoreError::Ledger(format!(
                "stored hashes {start}..{end} are incomplete"
            )));
        }
        rows.into_iter()
            .map(|b| {
                b.try_into()
                    .map(Hash)
                    .map_err(|_| StoreError::Ledger("a stored hash is not 32 bytes".into()))
            })
            .collect()
    }

    async fn ledger_entries(&self, start: u64, end: u64) -> Result<Vec<String>, StoreError> {
        let (start, end) = (start as i64, end as i64);
        sqlx::query_scalar!(
            "SELECT body FROM events WHERE leaf_index >= $1 AND leaf_index < $2 ORDER BY leaf_index",
            start,
            end
        )
        .fetch_all(&self.pool)
        .await
        .map_err(db_error)
    }

    async fn dataset(&self, name: &str) -> Result<Option<DatasetMark>, StoreError> {
        let row = sqlx::query!("SELECT name, sha256 FROM datasets WHERE name = $1", name)
            .fetch_optional(&self.pool)
            .await
            .map_err(db_error)?;
        Ok(row.map(|r| DatasetMark {
            name: r.name,
            sha256: r.sha256,
        }))
    }

    async fn event_count(&self) -> Result<i64, StoreError> {
        sqlx::query_scalar!(r#"SELECT COUNT(*) AS "n!" FROM events"#)
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
               WHERE ($1::INTEGER IS NULL OR s.year = $1)
                 AND ($2::TEXT IS NULL OR EXISTS (SELECT 1 FROM session_bodies b WHERE b.session_id = s.id AND b.body_code = $2))
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
        let body = sqlx::query_scalar!("SELECT body FROM sessions WHERE id = $1", id)
            .fetch_optional(&self.pool)
            .await
            .map_err(db_error)?;
        body.map(|b| StoreError::decode("session", &b)).transpose()
    }

    async fn documents(&self, sessions: Option<&[String]>) -> Result<Vec<Document>, StoreError> {
        let bodies = sqlx::query_scalar!(
            r#"SELECT body FROM documents
               WHERE $1::TEXT[] IS NULL OR session_id = ANY($1)
               ORDER BY position"#,
            sessions
        )
        .fetch_all(&self.pool)
        .await
        .map_err(db_error)?;
        StoreError::decode_all("document", bodies)
    }

    async fn document(&self, id: &str) -> Result<Option<Document>, StoreError> {
        let body = sqlx::query_scalar!("SELECT body FROM documents WHERE id = $1", id)
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

    fn growth(&self) -> Option<tokio::sync::watch::Receiver<u64>> {
        let sender = self.growth.get_or_init(|| {
            let (sender, _) = tokio::sync::watch::channel(0);
            tokio::spawn(listen_for_growth(self.pool.clone(), sender.clone()));
            sender
        });
        Some(sender.subscribe())
    }

    async fn alert_summaries(
        &self,
        scope: &concord_core::access::Scope,
        page: &concord_store::alerts::AlertPage,
    ) -> Result<Vec<String>, StoreError> {
        let mut q = sqlx::QueryBuilder::<sqlx::Postgres>::new(
            "SELECT a.summary FROM alerts a WHERE (FALSE",
        );
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
        let mut q = sqlx::QueryBuilder::<sqlx::Postgres>::new(
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
        let at: Vec<&str> = seals.iter().map(|s| s.0.as_str()).collect();
        let keys: Vec<&str> = seals.iter().map(|s| s.1.as_str()).collect();
        let nonces: Vec<&str> = seals.iter().map(|s| s.2.as_str()).collect();
        let seen: Vec<bool> = sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM seals s \
                 WHERE s.issued_at = t.a AND s.key_id = t.k AND s.nonce = t.n) \
             FROM UNNEST($1::text[], $2::text[], $3::text[]) WITH ORDINALITY AS t(a, k, n, o) \
             ORDER BY t.o",
        )
        .bind(&at)
        .bind(&keys)
        .bind(&nonces)
        .fetch_all(&self.pool)
        .await
        .map_err(db_error)?;
        Ok(seen)
    }

    async fn subjects(&self, kind: &str) -> Result<Vec<String>, StoreError> {
        // `kind/` up to `kind0` (the character after `/`): a range the index serves.
        let (from, to) = (format!("{kind}/"), format!("{kind}0"));
        let rows = sqlx::query_scalar!(
            r#"SELECT DISTINCT subject AS "subject!" FROM events WHERE subject >= $1 AND subject < $2 ORDER BY subject"#,
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
            "SELECT body FROM events WHERE subject = $1 ORDER BY leaf_index",
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
            "SELECT MAX(leaf_index) FROM events WHERE subject = $1",
            subject
        )
        .fetch_one(&self.pool)
        .await
        .map_err(db_error)
    }

    async fn account(&self, username: &str) -> Result<Option<(Account, bool)>, StoreError> {
        let row = sqlx::query!(
            "SELECT body, closed FROM accounts WHERE username = $1",
            username
        )
        .fetch_optional(&self.pool)
        .await
        .map_err(db_error)?;
        row.map(|r| Ok((StoreError::decode("account", &r.body)?, r.closed)))
            .transpose()
    }

    async fn accounts(&self) -> Result<Vec<(Account, bool)>, StoreError> {
        let rows = sqlx::query!("SELECT body, closed FROM accounts ORDER BY username")
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
            "INSERT INTO credentials (username, password_hash, changed_at) VALUES ($1, $2, $3)
             ON CONFLICT (username) DO UPDATE SET password_hash = $2, changed_at = $3",
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
            "SELECT password_hash FROM credentials WHERE username = $1",
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
            "INSERT INTO console_sessions (sha256, username, csrf, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
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
            "SELECT username, csrf, expires_at FROM console_sessions WHERE sha256 = $1",
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
        sqlx::query!("DELETE FROM console_sessions WHERE sha256 = $1", sha256)
            .execute(&self.pool)
            .await
            .map_err(db_error)?;
        Ok(())
    }

    async fn close_console_sessions_of(&self, username: &str) -> Result<(), StoreError> {
        sqlx::query!("DELETE FROM console_sessions WHERE username = $1", username)
            .execute(&self.pool)
            .await
            .map_err(db_error)?;
        Ok(())
    }

    async fn subject_heads(&self, subjects: &[String]) -> Result<Vec<Option<i64>>, StoreError> {
        sqlx::query_scalar!(
            r#"SELECT (SELECT MAX(leaf_index) FROM events WHERE subject = t.s) AS "last"
               FROM UNNEST($1::text[]) WITH ORDINALITY AS t(s, n) ORDER BY t.n"#,
            subjects
        )
        .fetch_all(&self.pool)
        .await
        .map_err(db_error)
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
            "SELECT body FROM document_versions WHERE document_id = $1 ORDER BY number",
            document
        )
        .fetch_all(&self.pool)
        .await
        .map_err(db_error)?;
        StoreError::decode_all("document version", bodies)
    }

    async fn circulations(&self, document: &str) -> Result<Vec<Circulation>, StoreError> {
        let bodies = sqlx::query_scalar!(
            "SELECT body FROM circulations WHERE document_id = $1 ORDER BY version",
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
            "SELECT body FROM positions WHERE document_id = $1 AND version = $2 ORDER BY seq",
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
            "SELECT body FROM incident_reports WHERE id = $1 ORDER BY version",
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
        let mut q = sqlx::QueryBuilder::<sqlx::Postgres>::new(
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
            q.push(" AND strpos(lower((r.body::jsonb #>> '{report,title}') || ' ' || (r.body::jsonb #>> '{report,text}')), ")
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
            "SELECT body FROM api_tokens WHERE sha256 = $1 AND NOT revoked",
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
            "SELECT leaf_index, body FROM decisions WHERE document_id = $1",
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
            "SELECT COALESCE(MAX(idx) + 1, 0) FROM mirror_leaves WHERE origin = $1",
        )
        .bind(origin)
        .fetch_one(&self.pool)
        .await
        .map_err(db_error)?;
        Ok(size as u64)
    }

    async fn mirror_first_unheld(&self, origin: &str) -> Result<Option<u64>, StoreError> {
        let first: Option<i64> = sqlx::query_scalar(
            "SELECT MIN(idx) FROM mirror_leaves WHERE origin = $1 AND entry IS NULL AND unheld",
        )
        .bind(origin)
        .fetch_one(&self.pool)
        .await
        .map_err(db_error)?;
        Ok(first.map(|i| i as u64))
    }

    async fn mirror_hashes(&self, origin: &str, indexes: &[u64]) -> Result<Vec<Hash>, StoreError> {
        let found: Vec<(i64, Vec<u8>)> = sqlx::query_as(
            "SELECT idx, hash FROM mirror_hashes WHERE origin = $1 AND idx = ANY($2)",
        )
        .bind(origin)
        .bind(indexes.iter().map(|&i| i as i64).collect::<Vec<i64>>())
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
            "SELECT idx, leaf_hash, entry, unheld FROM mirror_leaves WHERE origin = $1 AND idx >= $2 AND idx < $3 ORDER BY idx",
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
        let mut tx = self.pool.begin().await.map_err(db_error)?;
        // The leaves and the tree's hashes travel as arrays: one statement each.
        let idx: Vec<i64> = received.leaves.iter().map(|l| l.index as i64).collect();
        let hashes: Vec<Vec<u8>> = received
            .leaves
            .iter()
            .map(|l| l.leaf_hash.0.to_vec())
            .collect();
        let entries: Vec<Option<String>> =
            received.leaves.iter().map(|l| l.entry.clone()).collect();
        let unheld: Vec<bool> = received.leaves.iter().map(|l| l.unheld).collect();
        sqlx::query(
            "INSERT INTO mirror_leaves (origin, idx, leaf_hash, entry, unheld) \
             SELECT $1, * FROM UNNEST($2::bigint[], $3::bytea[], $4::text[], $5::bool[]) \
             ON CONFLICT (origin, idx) DO UPDATE SET entry = excluded.entry, unheld = excluded.unheld \
             WHERE mirror_leaves.entry IS NULL",
        )
        .bind(&received.origin)
        .bind(idx)
        .bind(hashes)
        .bind(entries)
        .bind(unheld)
        .execute(&mut *tx)
        .await
        .map_err(db_error)?;
        let idx: Vec<i64> = received.hashes.iter().map(|(i, _)| *i as i64).collect();
        let hashes: Vec<Vec<u8>> = received.hashes.iter().map(|(_, h)| h.0.to_vec()).collect();
        sqlx::query(
            "INSERT INTO mirror_hashes (origin, idx, hash) \
             SELECT $1, * FROM UNNEST($2::bigint[], $3::bytea[])",
        )
        .bind(&received.origin)
        .bind(idx)
        .bind(hashes)
        .execute(&mut *tx)
        .await
        .map_err(db_error)?;
        if let Some(head) = &received.head {
            sqlx::query(
                "INSERT INTO mirror_checkpoints (origin, size, note, received_at) VALUES ($1, $2, $3, $4) \
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
        sqlx::query(
            "INSERT INTO federation_refusals (at, peer, origin, reason, evidence) VALUES ($1, $2, $3, $4, $5)",
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
            "SELECT at, peer, origin, reason, evidence FROM federation_refusals ORDER BY id DESC LIMIT $1",
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
    tx: &mut Transaction<'_, Postgres>,
    document_id: &str,
    status: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE documents SET body = jsonb_set(body::jsonb, '{status}', to_jsonb($1::text))::text WHERE id = $2",
    )
    .bind(status)
    .bind(document_id)
    .execute(&mut **tx)
    .await?;
    Ok(())
}
