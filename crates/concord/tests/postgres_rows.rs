//! A write's rows on PostgreSQL go to the server as one statement (a data-modifying `WITH`
//! for each kind): every row lands in its own table with its own values, the parameters
//! numbered on across the kinds, none shifted.

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

#[test]
fn one_statement_stores_every_row_where_it_belongs() {
    let Some(db) = TestDatabase::postgres() else {
        return;
    };
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(async {
            let store = concord_store_postgres::PostgresStore::open(&db.url)
                .await
                .unwrap();
            let entries: Vec<EntryRow> = (0..2)
                .map(|i| EntryRow {
                    index: i,
                    kind: "incident-reported",
                    body: format!("entry {i}"),
                    subject: Some(format!("incident/{i}")),
                })
                .collect();
            let seals = [
                ("2024-05-01T10:00:00Z", "key-1", "n1"),
                ("2024-05-01T10:00:01Z", "key-2", "n2"),
            ];
            let hashes = [(0, Hash([1; 32])), (1, Hash([2; 32])), (2, Hash([3; 32]))];
            let sources = [("a.txt".to_owned(), "{\"a\":1}".to_owned())];
            let incidents = [
                incident("a", [1.0, 2.0, 3.0, 4.0]),
                incident("b", [5.0, 6.0, 7.0, 8.0]),
            ];
            let rows = Rows {
                now: time::macros::datetime!(2026-12-07 08:00 UTC),
                entries: &entries,
                seals: &seals,
                hashes: &hashes,
                sources: &sources,
                positions: &[],
                incidents: &incidents,
            };
            let (mut tx, size) = store.begin_append().await.unwrap();
            assert_eq!(size, 0);
            tx.insert_rows(&rows).await.unwrap();
            tx.commit(2).await.unwrap();

            let mut conn = <sqlx::PgConnection as sqlx::Connection>::connect(&db.url)
                .await
                .unwrap();
            let events: Vec<(i64, String, time::OffsetDateTime, String, Option<String>)> =
                sqlx::query_as(
                    "SELECT leaf_index, kind, recorded_at, body, subject FROM events \
                     ORDER BY leaf_index",
                )
                .fetch_all(&mut conn)
                .await
                .unwrap();
            assert_eq!(events.len(), 2);
            assert_eq!(events[1].0, 1);
            assert_eq!(events[1].1, "incident-reported");
            assert_eq!(events[1].2, time::macros::datetime!(2026-12-07 08:00 UTC));
            assert_eq!(events[1].3, "entry 1");
            assert_eq!(events[1].4.as_deref(), Some("incident/1"));
            let stored: Vec<(String, String, String)> =
                sqlx::query_as("SELECT issued_at, key_id, nonce FROM seals ORDER BY nonce")
                    .fetch_all(&mut conn)
                    .await
                    .unwrap();
            let expected: Vec<(String, String, String)> = seals
                .iter()
                .map(|(a, k, n)| (a.to_string(), k.to_string(), n.to_string()))
                .collect();
            assert_eq!(stored, expected);
            let stored: Vec<(i64, Vec<u8>)> =
                sqlx::query_as("SELECT idx, hash FROM ledger_hashes ORDER BY idx")
                    .fetch_all(&mut conn)
                    .await
                    .unwrap();
            let expected: Vec<(i64, Vec<u8>)> = hashes
                .iter()
                .map(|(i, h)| (*i as i64, h.0.to_vec()))
                .collect();
            assert_eq!(stored, expected);
            let stored: Vec<(String, String)> = sqlx::query_as("SELECT file, body FROM sources")
                .fetch_all(&mut conn)
                .await
                .unwrap();
            assert_eq!(stored, sources.to_vec());
            let stored: Vec<IncidentColumns> = sqlx::query_as(
                "SELECT id, severity_rank, occurred_at, release_group, west, south, east, \
                     north, body FROM incident_reports ORDER BY id",
            )
            .fetch_all(&mut conn)
            .await
            .unwrap();
            let expected: Vec<_> = incidents
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
            assert_eq!(stored, expected);
            assert_eq!(concord_store::Store::ledger_size(&store).await.unwrap(), 2);
        });
}
