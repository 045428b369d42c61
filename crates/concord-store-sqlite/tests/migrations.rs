//! Upgrading a database written by an earlier Concord: the rebuild of `events` (migration
//! 11) keeps every row, and the foreign keys that refer to it still hold and still bite.

use std::path::Path;

use concord_store_sqlite::SqliteStore;
use sqlx::migrate::Migrator;
use sqlx::{Connection, SqliteConnection};

/// A database brought up to migration `last` only, the way an earlier release left it.
async fn database_at(dir: &Path, last: i64) -> String {
    let earlier = dir.join("migrations");
    std::fs::create_dir(&earlier).unwrap();
    let all = Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations");
    for file in std::fs::read_dir(&all).unwrap() {
        let file = file.unwrap();
        let name = file.file_name().into_string().unwrap();
        let version: i64 = name[..4].parse().unwrap();
        if version <= last {
            std::fs::copy(file.path(), earlier.join(&name)).unwrap();
        }
    }
    let url = format!("sqlite://{}?mode=rwc", dir.join("old.db").display());
    let mut conn = SqliteConnection::connect(&url).await.unwrap();
    Migrator::new(earlier.as_path())
        .await
        .unwrap()
        .run(&mut conn)
        .await
        .unwrap();
    for statement in [
        "INSERT INTO events (leaf_index, kind, recorded_at, body, subject) VALUES \
         (0, 'charter-adopted', '2026-01-01T00:00:00Z', '{\"a\":0}', NULL), \
         (1, 'source-recorded', '2026-01-01T00:00:00Z', '{\"a\":1}', 'source:x'), \
         (2, 'source-recorded', '2026-01-01T00:00:00Z', '{\"a\":2}', 'source:x')",
        "INSERT INTO datasets (name, sha256, last_event) VALUES ('demo', 'ff', 2)",
        "INSERT INTO seals (issued_at, key_id, nonce) VALUES ('2026-01-01T00:00:00Z', 'k', 'n')",
    ] {
        sqlx::query(statement).execute(&mut conn).await.unwrap();
    }
    conn.close().await.unwrap();
    url
}

#[tokio::test]
async fn events_rebuilt_by_row_id_keep_their_rows_and_their_references() {
    let dir = tempfile::tempdir().unwrap();
    let url = database_at(dir.path(), 10).await;
    let store = SqliteStore::open(&url).await.unwrap();
    store.close().await;

    let mut conn = SqliteConnection::connect(&url).await.unwrap();
    let rows: Vec<(i64, String, Option<String>)> =
        sqlx::query_as("SELECT leaf_index, body, subject FROM events ORDER BY leaf_index")
            .fetch_all(&mut conn)
            .await
            .unwrap();
    assert_eq!(
        rows,
        vec![
            (0, "{\"a\":0}".into(), None),
            (1, "{\"a\":1}".into(), Some("source:x".into())),
            (2, "{\"a\":2}".into(), Some("source:x".into())),
        ]
    );
    let (events, seals): (String, String) = sqlx::query_as(
        "SELECT (SELECT sql FROM sqlite_schema WHERE name = 'events'), \
                (SELECT sql FROM sqlite_schema WHERE name = 'seals')",
    )
    .fetch_one(&mut conn)
    .await
    .unwrap();
    assert!(events.contains("INTEGER PRIMARY KEY"), "{events}");
    assert!(seals.ends_with("WITHOUT ROWID"), "{seals}");
    let seal: i64 = sqlx::query_scalar("SELECT count(*) FROM seals WHERE nonce = 'n'")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert_eq!(seal, 1);

    // The dataset still points at its event, and a row pointing nowhere is still refused.
    sqlx::query("PRAGMA foreign_keys = ON")
        .execute(&mut conn)
        .await
        .unwrap();
    let broken: Vec<(String,)> = sqlx::query_as("SELECT \"table\" FROM pragma_foreign_key_check")
        .fetch_all(&mut conn)
        .await
        .unwrap();
    assert!(broken.is_empty(), "{broken:?}");
    let dangling =
        sqlx::query("INSERT INTO datasets (name, sha256, last_event) VALUES ('other', 'ee', 9)")
            .execute(&mut conn)
            .await;
    assert!(
        dangling.is_err(),
        "a dataset mark for a missing event was stored"
    );
}

#[tokio::test]
async fn a_database_whose_references_are_broken_is_not_opened() {
    let dir = tempfile::tempdir().unwrap();
    let url = database_at(dir.path(), 10).await;
    let mut conn = SqliteConnection::connect(&url).await.unwrap();
    for statement in [
        "PRAGMA foreign_keys = OFF",
        "DELETE FROM events WHERE leaf_index = 2",
    ] {
        sqlx::query(statement).execute(&mut conn).await.unwrap();
    }
    conn.close().await.unwrap();
    let refused = SqliteStore::open(&url).await.err().expect("opened");
    assert!(
        refused
            .to_string()
            .contains("refer to records that are missing"),
        "{refused}"
    );
}
