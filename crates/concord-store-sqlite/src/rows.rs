//! The append's rows as SQLite statements, all of a write's sent in one call to the
//! connection's thread (sqlx runs each call there and back; a call a kind of row cost a
//! hand-over each). Entries, seals and incident rows go as multi-row statements of bound
//! values; hashes, sources and positions each as one JSON array. Anonymous parameters
//! (`?`) are numbered on across the statements of one call.

use concord_store::Hash;
use concord_store::StoreError;
use concord_store::append::{EntryRow, PositionRow, Rows, SealRow};
use concord_store::projection::IncidentRow;
use sqlx::{QueryBuilder, Sqlite, SqliteConnection};
use time::format_description::well_known::Rfc3339;

/// Statements to be run in one call, in the order they were added.
pub(crate) struct Statements<'a> {
    query: QueryBuilder<'a, Sqlite>,
    any: bool,
}

impl<'a> Statements<'a> {
    /// No statement yet.
    pub(crate) fn new() -> Statements<'a> {
        Statements {
            query: QueryBuilder::new(""),
            any: false,
        }
    }

    /// The query to write the next statement into.
    fn next(&mut self) -> &mut QueryBuilder<'a, Sqlite> {
        if self.any {
            self.query.push("; ");
        }
        self.any = true;
        &mut self.query
    }

    /// Runs them, if there are any; the first to fail stops the rest.
    pub(crate) async fn run(mut self, conn: &mut SqliteConnection) -> Result<(), sqlx::Error> {
        if self.any {
            self.query.build().execute(conn).await?;
        }
        Ok(())
    }

    /// Adds every row of `rows`, in [`Rows`]'s order; entries, seals and incident rows
    /// with `OR on_conflict`.
    pub(crate) fn rows(&mut self, rows: &Rows<'a>, on_conflict: &str) {
        if !rows.entries.is_empty() {
            let recorded_at = rows.now.format(&Rfc3339).expect("UTC timestamps format");
            self.entries(recorded_at, rows.entries, on_conflict);
        }
        self.seals(rows.seals, on_conflict);
        self.hashes(rows.hashes);
        self.sources(rows.sources);
        self.positions(rows.positions);
        self.incidents(rows.incidents, on_conflict);
    }

    fn entries(&mut self, recorded_at: String, entries: &'a [EntryRow], on_conflict: &str) {
        for rows in entries.chunks(rows_per_statement(5)) {
            let q = self.next();
            q.push(format_args!(
                "INSERT OR {on_conflict} INTO events (leaf_index, kind, recorded_at, body, subject) "
            ));
            q.push_values(rows, |mut row, e| {
                row.push_bind(e.index)
                    .push_bind(e.kind)
                    .push_bind(recorded_at.clone())
                    .push_bind(e.body.as_str())
                    .push_bind(e.subject.as_deref());
            });
        }
    }

    /// A seal received before fails the statement (a unique violation).
    fn seals(&mut self, seals: &'a [SealRow<'a>], on_conflict: &str) {
        for rows in seals.chunks(rows_per_statement(3)) {
            let q = self.next();
            q.push(format_args!(
                "INSERT OR {on_conflict} INTO seals (issued_at, key_id, nonce) "
            ));
            q.push_values(rows, |mut row, (issued_at, key, nonce)| {
                row.push_bind(*issued_at).push_bind(*key).push_bind(*nonce);
            });
        }
    }

    /// The indexes as one JSON array, the hashes as one blob.
    fn hashes(&mut self, hashes: &[(u64, Hash)]) {
        if hashes.is_empty() {
            return;
        }
        let indexes = StoreError::encode(&hashes.iter().map(|(i, _)| *i).collect::<Vec<u64>>());
        let blob: Vec<u8> = hashes.iter().flat_map(|(_, h)| h.0).collect();
        self.next()
            .push("INSERT INTO ledger_hashes (idx, hash) SELECT j.value, substr(")
            .push_bind(blob)
            .push(", j.key * 32 + 1, 32) FROM json_each(")
            .push_bind(indexes)
            .push(") j");
    }

    /// Cited sources, (file, JSON).
    pub(crate) fn sources(&mut self, rows: &[(String, String)]) {
        if rows.is_empty() {
            return;
        }
        self.next()
            .push(
                "INSERT INTO sources (file, body) \
                 SELECT json_extract(j.value, '$[0]'), json_extract(j.value, '$[1]') \
                 FROM json_each(",
            )
            .push_bind(StoreError::encode(rows))
            .push(") j");
    }

    /// Signed positions.
    pub(crate) fn positions(&mut self, rows: &[PositionRow]) {
        if rows.is_empty() {
            return;
        }
        let rows: Vec<(&str, i64, &str, i64, &str)> = rows
            .iter()
            .map(|r| {
                let (document, member) = (r.document_id.as_str(), r.member.as_str());
                (document, r.version, member, r.seq, r.body.as_str())
            })
            .collect();
        self.next()
            .push(
                "INSERT INTO positions (document_id, version, member, seq, body) \
                 SELECT json_extract(j.value, '$[0]'), json_extract(j.value, '$[1]'), \
                        json_extract(j.value, '$[2]'), json_extract(j.value, '$[3]'), \
                        json_extract(j.value, '$[4]') \
                 FROM json_each(",
            )
            .push_bind(StoreError::encode(&rows))
            .push(") j");
    }

    /// Incident report versions.
    pub(crate) fn incidents(&mut self, rows: &'a [IncidentRow], on_conflict: &str) {
        for rows in rows.chunks(rows_per_statement(15)) {
            let q = self.next();
            q.push(format_args!(
                "INSERT OR {on_conflict} INTO incident_reports (id, version, reporter, domain, \
                 country, occurred_at, severity, severity_rank, release_to, release_group, west, \
                 south, east, north, body) "
            ));
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
        }
    }
}

/// How many rows of `columns` bound values one statement may carry (SQLite allows 32,766
/// variables a statement).
fn rows_per_statement(columns: usize) -> usize {
    30_000 / columns
}

#[cfg(test)]
mod tests {
    use super::*;

    fn incident(id: &str, bbox: [f64; 4]) -> IncidentRow {
        IncidentRow {
            id: id.to_owned(),
            version: 1,
            reporter: "EE".to_owned(),
            domain: "cyber".to_owned(),
            country: "EE".to_owned(),
            occurred_at: "2024-05-01T10:00:00.000000Z".to_owned(),
            severity: "Severe".to_owned(),
            severity_rank: 3,
            release_to: "members".to_owned(),
            release_group: (id == "b").then(|| "baltic".to_owned()),
            bbox,
            body: format!("{{\"id\":\"{id}\"}}"),
        }
    }

    /// A seal used before fails the call, and the statements after it in that call store
    /// nothing.
    #[tokio::test]
    async fn a_used_seal_stops_the_statements_after_it() {
        let (_dir, store) = crate::tests::scratch().await;
        let mut conn = store.writer.acquire().await.unwrap();
        let seals = [("2024-05-01T10:00:00Z", "key-1", "n1")];
        let none = Rows {
            now: time::OffsetDateTime::UNIX_EPOCH,
            entries: &[],
            seals: &seals,
            hashes: &[],
            sources: &[],
            positions: &[],
            incidents: &[],
        };
        let mut first = Statements::new();
        first.rows(&none, "ABORT");
        first.run(&mut conn).await.unwrap();
        let incidents = [incident("a", [0.0; 4])];
        let mut again = Statements::new();
        again.rows(
            &Rows {
                incidents: &incidents,
                ..none
            },
            "ABORT",
        );
        let refused = again.run(&mut conn).await.unwrap_err();
        assert!(
            refused
                .as_database_error()
                .is_some_and(|e| e.is_unique_violation()),
            "{refused}"
        );
        let reports: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM incident_reports")
            .fetch_one(&mut *conn)
            .await
            .unwrap();
        assert_eq!(reports, 0);
        drop(conn);
        store.close().await;
    }
}
