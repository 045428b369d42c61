//! The [`Store`] on PostgreSQL: for production and for several server nodes sharing one
//! database. Migrations take an advisory lock, so nodes may start together.

use std::time::Duration;

mod append;
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
use sqlx::postgres::{PgPool, PgPoolOptions};

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

/// How long a pooled connection may sit idle before it is pinged again when lent.
const PING_AFTER_IDLE: Duration = Duration::from_secs(1);

impl PostgresStore {
    /// Connects to the database at `url` (`postgres://user@host/db`) and brings its
    /// schema up to date.
    pub async fn open(url: &str) -> Result<PostgresStore, StoreError> {
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .acquire_timeout(Duration::from_secs(10))
            // sqlx pings a connection before lending it by default: a round trip to the
            // server before every read and every append. Only a connection that sat idle
            // is pinged here (and closed if the server dropped it meanwhile: a restart, an
            // administrator, a firewall's timeout); while busy, a connection the server
            // drops answers one statement with an error and is not lent again.
            .test_before_acquire(false)
            .before_acquire(|conn, meta| {
                Box::pin(async move {
                    use sqlx::Connection;
                    Ok(meta.idle_for < PING_AFTER_IDLE || conn.ping().await.is_ok())
                })
            })
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

#[async_trait]
impl Store for PostgresStore {
    async fn append(
        &self,
        events: &[Event],
        dataset: Option<&DatasetMark>,
        expect: &[Expect],
    ) -> Result<i64, StoreError> {
        // Group commit (`concord_store::append`): the appends this process makes at once
        // share one transaction and one lock of the ledger's head.
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
        // Planned anew each time (an unnamed statement gets a plan for its values): a
        // plan kept from when the table was nearly empty scans it whole for every seal,
        // and took 4.4 ms a batch at 20,000 seals (measured). Planning costs batches of
        // 100-report requests about 15 % of their rate (BENCHMARKS.md, session 9).
        let seen: Vec<bool> = sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM seals s \
                 WHERE s.issued_at = t.a AND s.key_id = t.k AND s.nonce = t.n) \
             FROM UNNEST($1::text[], $2::text[], $3::text[]) WITH ORDINALITY AS t(a, k, n, o) \
             ORDER BY t.o",
        )
        .persistent(false)
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

    async fn subject_heads(&self, subjects: &[String]) -> Result<SubjectHeads, StoreError> {
        // One statement, one snapshot: the version read is the one the heads were read at.
        sqlx::query_as!(
            SubjectHeads,
            r#"SELECT ARRAY(SELECT (SELECT MAX(leaf_index) FROM events WHERE subject = t.s)
                             FROM UNNEST($1::text[]) WITH ORDINALITY AS t(s, n) ORDER BY t.n)
                        AS "heads!: Vec<Option<i64>>",
                      (SELECT version FROM registry_version WHERE id = 1) AS "registry_version!""#,
            subjects
        )
        .fetch_one(&self.pool)
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
