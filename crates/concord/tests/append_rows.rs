//! A write's rows go to the database in one call (SQLite: every statement in one query;
//! PostgreSQL: one statement, a data-modifying `WITH` for each kind): every row lands in
//! its own table with its own values, the parameters numbered on across the kinds, none
//! shifted. Driven through the append's own trait, on both backends.

mod common;

use common::TestDatabase;
use concord_store::Hash;
use concord_store::append::{AppendDatabase, AppendTransaction, EntryRow, Rows};
use concord_store::projection::IncidentRow;

fn incident(id: &str, bbox: [f64; 4]) -> IncidentRow {
    IncidentRow {
        id: id.to_owned(),
        version: 1,
        reporter: "EST".to_owned(),
        domain: "cyber".to_owned(),
        country: "EST".to_owned(),
        occurred_at: "2024-05-01T10:00:00.000000Z".to_owned(),
        severity: "Severe".to_owned(),
        severity_rank: 3,
        release_to: "members".to_owned(),
        release_group: (id == "b").then(|| "baltic".to_owned()),
        bbox,
        body: format!("{{\"id\":\"{id}\"}}"),
    }
}

/// The incident columns read back: id, rank, time, group, west, south, east, north, body.
type IncidentColumns = (
    String,
    i64,
    String,
    Option<String>,
    f64,
    f64,
    f64,
    f64,
    String,
);

/// Every kind of row but positions (which need a document), to be written in one call.
struct EveryKind {
    entries: Vec<EntryRow>,
    seals: [(&'static str, &'static str, &'static str); 2],
    hashes: [(u64, Hash); 3],
    sources: [(String, String); 1],
    incidents: [IncidentRow; 2],
}

impl EveryKind {
    fn new() -> EveryKind {
        EveryKind {
            entries: (0..2)
                .map(|i| EntryRow {
                    index: i,
                    kind: "incident-reported",
                    body: format!("entry {i}"),
                    subject: Some(format!("incident/{i}")),
                })
                .collect(),
            seals: [
                ("2024-05-01T10:00:00Z", "key-1", "n1"),
                ("2024-05-01T10:00:01Z", "key-2", "n2"),
            ],
            hashes: [(0, Hash([1; 32])), (1, Hash([2; 32])), (2, Hash([3; 32]))],
            sources: [("a.txt".to_owned(), "{\"a\":1}".to_owned())],
            incidents: [
                incident("a", [1.0, 2.0, 3.0, 4.0]),
                incident("b", [5.0, 6.0, 7.0, 8.0]),
            ],
        }
    }

    /// Writes them in one append's transaction, in one call, and commits.
    async fn write<D: AppendDatabase>(&self, db: &D) {
        let rows = Rows {
            now: time::macros::datetime!(2026-12-07 08:00 UTC),
            entries: &self.entries,
            seals: &self.seals,
            hashes: &self.hashes,
            sources: &self.sources,
            positions: &[],
            incidents: &self.incidents,
        };
        let (mut tx, size) = db.begin_append().await.unwrap();
        assert_eq!(size, 0);
        tx.insert_rows(&rows).await.unwrap();
        tx.commit(2).await.unwrap();
    }
}

/// Reads every table back over `$conn` (`$at`: the entries' moment as text) and compares.
macro_rules! assert_stored {
    ($conn:expr, $at:expr, $kinds:expr, $backend:expr) => {{
        let (conn, kinds, backend) = ($conn, $kinds, $backend);
        let events: Vec<(i64, String, String, String, Option<String>)> = sqlx::query_as(&format!(
            "SELECT leaf_index, kind, {}, body, subject FROM events ORDER BY leaf_index",
            $at
        ))
        .fetch_all(&mut *conn)
        .await
        .unwrap();
        let expected: Vec<_> = kinds
            .entries
            .iter()
            .map(|e: &EntryRow| {
                let at = "2026-12-07T08:00:00Z".to_owned();
                (
                    e.index,
                    e.kind.to_owned(),
                    at,
                    e.body.clone(),
                    e.subject.clone(),
                )
            })
            .collect();
        assert_eq!(events, expected, "{backend}");
        let stored: Vec<(String, String, String)> =
            sqlx::query_as("SELECT issued_at, key_id, nonce FROM seals ORDER BY nonce")
                .fetch_all(&mut *conn)
                .await
                .unwrap();
        let expected: Vec<(String, String, String)> = kinds
            .seals
            .iter()
            .map(|(a, k, n)| (a.to_string(), k.to_string(), n.to_string()))
            .collect();
        assert_eq!(stored, expected, "{backend}");
        let stored: Vec<(i64, Vec<u8>)> =
            sqlx::query_as("SELECT idx, hash FROM ledger_hashes ORDER BY idx")
                .fetch_all(&mut *conn)
                .await
                .unwrap();
        let expected: Vec<(i64, Vec<u8>)> = kinds
            .hashes
            .iter()
            .map(|(i, h)| (*i as i64, h.0.to_vec()))
            .collect();
        assert_eq!(stored, expected, "{backend}");
        let stored: Vec<(String, String)> = sqlx::query_as("SELECT file, body FROM sources")
            .fetch_all(&mut *conn)
            .await
            .unwrap();
        assert_eq!(stored, kinds.sources.to_vec(), "{backend}");
        let stored: Vec<IncidentColumns> = sqlx::query_as(
            "SELECT id, severity_rank, occurred_at, release_group, west, south, east, north, \
             body FROM incident_reports ORDER BY id",
        )
        .fetch_all(&mut *conn)
        .await
        .unwrap();
        let expected: Vec<IncidentColumns> = kinds
            .incidents
            .iter()
            .map(|r| {
                let [w, s, e, n] = r.bbox;
                let (id, at) = (r.id.clone(), r.occurred_at.clone());
                (
                    id,
                    3,
                    at,
                    r.release_group.clone(),
                    w,
                    s,
                    e,
                    n,
                    r.body.clone(),
                )
            })
            .collect();
        assert_eq!(stored, expected, "{backend}");
    }};
}

#[test]
fn one_call_stores_every_row_where_it_belongs() {
    for db in TestDatabase::all() {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(async {
                let kinds = EveryKind::new();
                if db.backend == "sqlite" {
                    let store = concord_store_sqlite::SqliteStore::open(&db.url)
                        .await
                        .unwrap();
                    kinds.write(&store).await;
                    let mut conn = <sqlx::SqliteConnection as sqlx::Connection>::connect(&db.url)
                        .await
                        .unwrap();
                    assert_stored!(&mut conn, "recorded_at", &kinds, db.backend);
                } else {
                    let store = concord_store_postgres::PostgresStore::open(&db.url)
                        .await
                        .unwrap();
                    kinds.write(&store).await;
                    let mut conn = <sqlx::PgConnection as sqlx::Connection>::connect(&db.url)
                        .await
                        .unwrap();
                    let at = "to_char(recorded_at AT TIME ZONE 'UTC', \
                              'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')";
                    assert_stored!(&mut conn, at, &kinds, db.backend);
                }
            });
    }
}
