//! The ledger's append on SQLite: the SQL behind `concord_store::append` (one write
//! transaction at a time, `BEGIN IMMEDIATE`; a write's rows in one call, [`crate::rows`])
//! and the read row of every event kind.

use async_trait::async_trait;
use concord_store::append::{AppendDatabase, AppendTransaction, PositionRow, Rows};
use concord_store::group_commit::GroupCommit;
use concord_store::hash_cache::HashCache;
use concord_store::projection::ReadRow;
use concord_store::{DatasetMark, Expect, StoreError};
use sqlx::pool::PoolConnection;
use sqlx::{Sqlite, SqliteConnection};

use crate::checkpoint::Checkpoints;
use crate::rows::Statements;
use crate::{SqliteStore, db_error};

#[async_trait]
impl AppendDatabase for SqliteStore {
    type Transaction = Appending;

    async fn begin_append(&self) -> Result<(Appending, i64), StoreError> {
        use sqlx::{Executor, Row};
        let conn = self.writer.acquire().await.map_err(db_error)?;
        let mut tx = Appending {
            conn,
            open: true,
            on_conflict: "ROLLBACK",
            checkpoints: self.checkpoints.clone(),
        };
        // IMMEDIATE: take the write lock now. A deferred transaction that reads the ledger
        // head first would fail, not wait, when another process writes meanwhile. Both in
        // one call: each call is a hand-over to the connection's thread and back.
        let head = tx
            .conn
            .fetch_one(sqlx::raw_sql(
                "BEGIN IMMEDIATE; SELECT size FROM ledger_head WHERE id = 1",
            ))
            .await;
        match head.and_then(|row| row.try_get::<i64, _>(0)) {
            Ok(size) => Ok((tx, size)),
            Err(e) => {
                let _ = tx.roll_back().await;
                Err(db_error(e))
            }
        }
    }

    fn group_commit(&self) -> &GroupCommit {
        &self.group
    }

    fn hashes(&self) -> &HashCache {
        &self.hash_cache
    }
}

/// The append's transaction on SQLite, and whom to tell once it commits.
///
/// Begun and ended by statements of its own rather than by sqlx's transaction manager:
/// its row statements say `OR ROLLBACK` until a savepoint is taken, so that SQLite keeps no
/// statement journal for them (a copy of every page a statement changes, to undo that
/// statement alone: about a tenth of a commit's writes). A write together fails as a whole
/// anyway; `OR ROLLBACK` ends the transaction inside SQLite, which sqlx would not know.
pub struct Appending {
    /// The writer's connection.
    conn: PoolConnection<Sqlite>,
    /// Whether this transaction may still be open in SQLite.
    open: bool,
    /// How a row statement that breaks a constraint ends: `ROLLBACK` (the transaction) until
    /// a savepoint is taken, then `ABORT` (the statement alone, back to the savepoint).
    on_conflict: &'static str,
    /// Told once it commits.
    checkpoints: Checkpoints,
}

impl Appending {
    /// Ends the transaction without its changes, if a statement has not already ended it.
    async fn roll_back(&mut self) -> Result<(), StoreError> {
        if !std::mem::replace(&mut self.open, false) {
            return Ok(());
        }
        match sqlx::query("ROLLBACK").execute(&mut *self.conn).await {
            Ok(_) => Ok(()),
            // A statement `OR ROLLBACK` ended it already.
            Err(e) if e.to_string().contains("no transaction is active") => Ok(()),
            Err(e) => {
                // In a state not known: the connection is closed, which rolls back.
                self.conn.close_on_drop();
                Err(db_error(e))
            }
        }
    }
}

impl Drop for Appending {
    /// Dropped while open (its task cancelled): the connection is closed rather than lent
    /// again in a transaction, and closing it rolls the transaction back.
    fn drop(&mut self) {
        if self.open {
            self.conn.close_on_drop();
        }
    }
}

#[async_trait]
impl AppendTransaction for Appending {
    async fn changed_subject(&mut self, expect: &[Expect]) -> Result<Option<String>, StoreError> {
        // SQLite has no array parameter: the pairs go as one JSON array.
        let pairs: Vec<(&str, Option<i64>)> = expect
            .iter()
            .map(|e| (e.subject.as_str(), e.last))
            .collect();
        let pairs = StoreError::encode(&pairs);
        sqlx::query_scalar!(
            r#"SELECT json_extract(j.value, '$[0]') AS "subject!: String" FROM json_each(?1) j
               WHERE (SELECT MAX(leaf_index) FROM events WHERE subject = json_extract(j.value, '$[0]'))
                     IS NOT json_extract(j.value, '$[1]')
               LIMIT 1"#,
            pairs
        )
        .fetch_optional(&mut *self.conn)
        .await
        .map_err(db_error)
    }

    async fn stored_hashes(&mut self, indexes: &[u64]) -> Result<Vec<(i64, Vec<u8>)>, StoreError> {
        fetch_hashes(&mut *self.conn, indexes).await
    }

    async fn insert_rows(&mut self, rows: &Rows<'_>) -> Result<(), StoreError> {
        let mut statements = Statements::new();
        statements.rows(rows, self.on_conflict);
        statements.run(&mut self.conn).await.map_err(db_error)
    }

    async fn apply(&mut self, seq: i64, row: ReadRow) -> Result<(), StoreError> {
        apply(&mut self.conn, seq, row).await.map_err(db_error)
    }

    async fn insert_dataset(&mut self, mark: &DatasetMark, last: i64) -> Result<(), StoreError> {
        sqlx::query!(
            "INSERT INTO datasets (name, sha256, last_event) VALUES (?, ?, ?)",
            mark.name,
            mark.sha256,
            last
        )
        .execute(&mut *self.conn)
        .await
        .map_err(db_error)?;
        Ok(())
    }

    async fn savepoint(&mut self, statement: &str) -> Result<(), StoreError> {
        // From the first savepoint on, a failing statement must undo itself alone.
        self.on_conflict = "ABORT";
        sqlx::query(statement)
            .execute(&mut *self.conn)
            .await
            .map(drop)
            .map_err(db_error)
    }

    async fn rollback(mut self) -> Result<(), StoreError> {
        self.roll_back().await
    }

    async fn commit(mut self, size: i64) -> Result<(), StoreError> {
        // One call for both (a size is an integer: no text of anyone's in the statement).
        let statements = format!("UPDATE ledger_head SET size = {size} WHERE id = 1; COMMIT");
        let committed = sqlx::Executor::execute(&mut *self.conn, sqlx::raw_sql(&statements)).await;
        match committed {
            Ok(_) => {
                self.open = false;
                self.checkpoints.committed();
                Ok(())
            }
            Err(e) => {
                let _ = self.roll_back().await;
                Err(db_error(e))
            }
        }
    }
}

/// Applies one read row, of the event at leaf `seq` (a received entry's too).
pub(crate) async fn apply(
    tx: &mut SqliteConnection,
    seq: i64,
    row: ReadRow,
) -> Result<(), sqlx::Error> {
    match row {
        ReadRow::Charter { body } => {
            sqlx::query!("INSERT INTO charter (id, body) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET body = excluded.body", body)
                .execute(&mut *tx)
                .await?;
        }
        // A commit inserts these with its other rows (`Statements::rows`); alone, the same
        // statement takes one row.
        ReadRow::Source { file, body } => alone(tx, |s| s.sources(&[(file, body)])).await?,
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
            .execute(&mut *tx)
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
            .execute(&mut *tx)
            .await?;
            for code in bodies {
                sqlx::query!(
                    "INSERT INTO session_bodies (session_id, body_code) VALUES (?, ?)",
                    id,
                    code
                )
                .execute(&mut *tx)
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
            .execute(&mut *tx)
            .await?;
        }
        ReadRow::Appointment { post, body } => {
            sqlx::query!(
                "INSERT INTO appointments (post, body) VALUES (?, ?)",
                post,
                body
            )
            .execute(&mut *tx)
            .await?;
        }
        ReadRow::Chairmanship { year, body } => {
            sqlx::query!(
                "INSERT INTO chairmanship_statements (year, body) VALUES (?, ?)",
                year,
                body
            )
            .execute(&mut *tx)
            .await?;
        }
        ReadRow::ExerciseYear { year, body } => {
            sqlx::query!(
                "INSERT INTO exercise_years (year, body) VALUES (?, ?)",
                year,
                body
            )
            .execute(&mut *tx)
            .await?;
        }
        ReadRow::Exercise { id, year, body } => {
            sqlx::query!(
                "INSERT INTO exercises (id, year, body) VALUES (?, ?, ?)",
                id,
                year,
                body
            )
            .execute(&mut *tx)
            .await?;
        }
        ReadRow::Programme { id, body } => {
            sqlx::query!("INSERT INTO programmes (id, body) VALUES (?, ?)", id, body)
                .execute(&mut *tx)
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
            .execute(&mut *tx)
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
            .execute(&mut *tx)
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
            .execute(&mut *tx)
            .await?;
        }
        ReadRow::AgendaItem { session_id, title } => {
            sqlx::query!(
                "UPDATE sessions SET body = json_insert(body, '$.agenda[#]', json(?)) WHERE id = ?",
                title,
                session_id
            )
            .execute(&mut *tx)
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
            .execute(&mut *tx)
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
            .execute(&mut *tx)
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
            .execute(&mut *tx)
            .await?;
        }
        ReadRow::Position {
            document_id,
            version,
            member,
            body,
        } => {
            let row = PositionRow {
                document_id,
                version,
                member,
                seq,
                body,
            };
            alone(tx, |s| s.positions(&[row])).await?
        }
        ReadRow::Incident(row) => {
            let rows = [row];
            alone(tx, |s| s.incidents(&rows, "ABORT")).await?
        }
        ReadRow::Token { id, sha256, body } => {
            sqlx::query!(
                "INSERT INTO api_tokens (id, sha256, revoked, body) VALUES (?, ?, FALSE, ?)",
                id,
                sha256,
                body
            )
            .execute(&mut *tx)
            .await?;
        }
        ReadRow::TokenRevoked { id } => {
            sqlx::query!("UPDATE api_tokens SET revoked = TRUE WHERE id = ?", id)
                .execute(&mut *tx)
                .await?;
        }
        ReadRow::Account { username, body } => {
            sqlx::query!(
                "INSERT INTO accounts (username, closed, body) VALUES (?1, FALSE, ?2)
                 ON CONFLICT (username) DO UPDATE SET body = ?2",
                username,
                body
            )
            .execute(&mut *tx)
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
            .execute(&mut *tx)
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
            .execute(&mut *tx)
            .await?;
        }
        ReadRow::SituationReport { id, report } => {
            sqlx::query(
                "UPDATE situations SET reports = json_insert(reports, '$[#]', ?) WHERE id = ?",
            )
            .bind(report)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        }
        ReadRow::SituationLevel { id, level } => {
            sqlx::query("UPDATE situations SET level = ? WHERE id = ?")
                .bind(level)
                .bind(id)
                .execute(&mut *tx)
                .await?;
        }
        ReadRow::AccountClosed { username } => {
            sqlx::query!(
                "UPDATE accounts SET closed = TRUE WHERE username = ?",
                username
            )
            .execute(&mut *tx)
            .await?;
        }
        ReadRow::Operation { code, body } => {
            sqlx::query!(
                "INSERT INTO operations (code, body) VALUES (?, ?)",
                code,
                body
            )
            .execute(&mut *tx)
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
            .execute(&mut *tx)
            .await?;
            sqlx::query!(
                "UPDATE documents SET body = json_set(body, '$.status', ?) WHERE id = ?",
                status,
                document_id
            )
            .execute(&mut *tx)
            .await?;
        }
    }
    Ok(())
}

/// The stored hashes at `indexes` that exist, as (index, bytes).
pub(crate) async fn fetch_hashes<'e>(
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

/// Inserts one row of a kind an append's rows hold ([`Statements`]), with the same
/// statement.
async fn alone<'a>(
    tx: &mut SqliteConnection,
    fill: impl FnOnce(&mut Statements<'a>),
) -> Result<(), sqlx::Error> {
    let mut one = Statements::new();
    fill(&mut one);
    one.run(tx).await
}

/// Sets a document's status (a decision's outcome).
async fn set_document_status(
    tx: &mut SqliteConnection,
    document_id: &str,
    status: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE documents SET body = json_set(body, '$.status', ?) WHERE id = ?")
        .bind(status)
        .bind(document_id)
        .execute(&mut *tx)
        .await?;
    Ok(())
}
