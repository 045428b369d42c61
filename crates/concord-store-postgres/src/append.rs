//! The ledger's append on PostgreSQL: the SQL behind `concord_store::append` (the ledger
//! head's row lock held by one transaction at a time; a write's rows as arrays, `UNNEST`ed, in
//! one statement: [`crate::rows`]) and the read row of every event kind.

use async_trait::async_trait;
use concord_store::append::{AppendDatabase, AppendTransaction, PositionRow, Rows};
use concord_store::group_commit::GroupCommit;
use concord_store::hash_cache::HashCache;
use concord_store::projection::ReadRow;
use concord_store::{DatasetMark, Expect, StoreError};
use sqlx::{Postgres, Transaction};

use crate::rows::Inserts;
use crate::{PostgresStore, db_error};

#[async_trait]
impl AppendDatabase for PostgresStore {
    type Transaction = Appending;

    async fn begin_append(&self) -> Result<(Appending, i64), StoreError> {
        let mut tx = self.pool.begin().await.map_err(db_error)?;
        let size = sqlx::query_scalar!("SELECT size FROM ledger_head WHERE id = 1 FOR UPDATE")
            .fetch_one(&mut *tx)
            .await
            .map_err(db_error)?;
        Ok((Appending(tx), size))
    }

    fn group_commit(&self) -> &GroupCommit {
        &self.group
    }

    fn hashes(&self) -> &HashCache {
        &self.hash_cache
    }
}

/// The append's transaction on PostgreSQL.
pub struct Appending(Transaction<'static, Postgres>);

#[async_trait]
impl AppendTransaction for Appending {
    async fn changed_subject(&mut self, expect: &[Expect]) -> Result<Option<String>, StoreError> {
        let subjects: Vec<String> = expect.iter().map(|e| e.subject.clone()).collect();
        let lasts: Vec<Option<i64>> = expect.iter().map(|e| e.last).collect();
        sqlx::query_scalar!(
            r#"SELECT t.s AS "subject!" FROM UNNEST($1::text[], $2::bigint[]) AS t(s, l)
               WHERE (SELECT MAX(leaf_index) FROM events WHERE subject = t.s) IS DISTINCT FROM t.l
               LIMIT 1"#,
            &subjects,
            &lasts as &[Option<i64>]
        )
        .fetch_optional(&mut *self.0)
        .await
        .map_err(db_error)
    }

    async fn stored_hashes(&mut self, indexes: &[u64]) -> Result<Vec<(i64, Vec<u8>)>, StoreError> {
        fetch_hashes(&mut *self.0, indexes).await
    }

    async fn insert_rows(&mut self, rows: &Rows<'_>) -> Result<(), StoreError> {
        let inserts = Inserts::of(rows).map_err(db_error)?;
        inserts.execute(&mut self.0).await.map_err(db_error)
    }

    async fn apply(&mut self, seq: i64, row: ReadRow) -> Result<(), StoreError> {
        apply(&mut self.0, seq, row).await.map_err(db_error)
    }

    async fn insert_dataset(&mut self, mark: &DatasetMark, last: i64) -> Result<(), StoreError> {
        sqlx::query!(
            "INSERT INTO datasets (name, sha256, last_event) VALUES ($1, $2, $3)",
            mark.name,
            mark.sha256,
            last
        )
        .execute(&mut *self.0)
        .await
        .map_err(db_error)?;
        Ok(())
    }

    async fn savepoint(&mut self, statement: &str) -> Result<(), StoreError> {
        sqlx::query(statement)
            .execute(&mut *self.0)
            .await
            .map(drop)
            .map_err(db_error)
    }

    async fn rollback(self) -> Result<(), StoreError> {
        self.0.rollback().await.map_err(db_error)
    }

    /// The new size, and word of it to every listening server once this commits.
    async fn commit(mut self, size: i64) -> Result<(), StoreError> {
        sqlx::query!(
            "WITH moved AS (UPDATE ledger_head SET size = $1 WHERE id = 1 RETURNING size) \
             SELECT pg_notify('concord_ledger', size::text) FROM moved",
            size
        )
        .execute(&mut *self.0)
        .await
        .map_err(db_error)?;
        self.0.commit().await.map_err(db_error)
    }
}

/// Inserts one row of a kind an append's rows hold ([`Inserts`]), with the same statement.
async fn alone(
    tx: &mut Transaction<'_, Postgres>,
    fill: impl FnOnce(&mut Inserts) -> Result<(), sqlx::Error>,
) -> Result<(), sqlx::Error> {
    let mut inserts = Inserts::default();
    fill(&mut inserts)?;
    inserts.execute(tx).await
}

/// Applies one read row, of the event at leaf `seq` (a received entry's too).
pub(crate) async fn apply(
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
        // A commit inserts these with its other rows (`concord_store::append`); alone,
        // the same statement takes one row.
        ReadRow::Source { file, body } => alone(tx, |i| i.sources(&[(file, body)])).await?,
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
            let row = PositionRow {
                document_id,
                version,
                member,
                seq,
                body,
            };
            alone(tx, |i| i.positions(&[row])).await?
        }
        ReadRow::Incident(row) => alone(tx, |i| i.incidents(std::slice::from_ref(&row))).await?,
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
pub(crate) async fn fetch_hashes<'e>(
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
