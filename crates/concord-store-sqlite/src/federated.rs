//! The federation's records on SQLite: the registry's nodes, the logs mirrored from other
//! nodes (leaves, hashes, checkpoints) and what was refused from them.

use concord_store::federation;
use concord_store::projection::received_row;
use concord_store::{Hash, StoreError};

use crate::append::apply;
use crate::{SqliteStore, db_error};

pub(crate) async fn nodes(
    store: &SqliteStore,
) -> Result<Vec<concord_core::federation::NodeRegistration>, StoreError> {
    let bodies: Vec<String> = sqlx::query_scalar("SELECT body FROM nodes ORDER BY owner, origin")
        .fetch_all(&store.pool)
        .await
        .map_err(db_error)?;
    StoreError::decode_all("node", bodies)
}

pub(crate) async fn mirror_heads(
    store: &SqliteStore,
) -> Result<Vec<federation::MirrorHead>, StoreError> {
    let rows: Vec<(String, i64, String)> =
        sqlx::query_as("SELECT origin, size, note FROM mirror_checkpoints ORDER BY origin")
            .fetch_all(&store.pool)
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

pub(crate) async fn mirror_size(store: &SqliteStore, origin: &str) -> Result<u64, StoreError> {
    let size: i64 =
        sqlx::query_scalar("SELECT COALESCE(MAX(idx) + 1, 0) FROM mirror_leaves WHERE origin = ?")
            .bind(origin)
            .fetch_one(&store.pool)
            .await
            .map_err(db_error)?;
    Ok(size as u64)
}

pub(crate) async fn mirror_first_unheld(
    store: &SqliteStore,
    origin: &str,
) -> Result<Option<u64>, StoreError> {
    let first: Option<i64> = sqlx::query_scalar(
        "SELECT MIN(idx) FROM mirror_leaves WHERE origin = ? AND entry IS NULL AND unheld <> 0",
    )
    .bind(origin)
    .fetch_one(&store.pool)
    .await
    .map_err(db_error)?;
    Ok(first.map(|i| i as u64))
}

pub(crate) async fn mirror_hashes(
    store: &SqliteStore,
    origin: &str,
    indexes: &[u64],
) -> Result<Vec<Hash>, StoreError> {
    let found: Vec<(i64, Vec<u8>)> = sqlx::query_as(
        "SELECT idx, hash FROM mirror_hashes WHERE origin = ? AND idx IN (SELECT value FROM json_each(?))",
    )
    .bind(origin)
    .bind(StoreError::encode(indexes))
    .fetch_all(&store.pool)
    .await
    .map_err(db_error)?;
    StoreError::hashes_in_order(indexes, found)
}

pub(crate) async fn mirror_leaves(
    store: &SqliteStore,
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
    .fetch_all(&store.pool)
    .await
    .map_err(db_error)?;
    federation::MirrorLeaf::from_rows(rows)
}

pub(crate) async fn receive(
    store: &SqliteStore,
    received: &federation::Received,
) -> Result<(), StoreError> {
    let _writer = store.group.exclusive().await;
    let mut tx = store.writer.begin().await.map_err(db_error)?;
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
    store.checkpoints.committed();
    Ok(())
}

pub(crate) async fn record_refusal(
    store: &SqliteStore,
    refusal: &federation::Refusal,
) -> Result<(), StoreError> {
    let _writer = store.group.exclusive().await;
    sqlx::query(
        "INSERT INTO federation_refusals (at, peer, origin, reason, evidence) VALUES (?, ?, ?, ?, ?)",
    )
    .bind(&refusal.at)
    .bind(&refusal.peer)
    .bind(&refusal.origin)
    .bind(&refusal.reason)
    .bind(&refusal.evidence)
    .execute(&store.writer)
    .await
    .map_err(db_error)?;
    Ok(())
}

pub(crate) async fn refusals(
    store: &SqliteStore,
    limit: i64,
) -> Result<Vec<federation::Refusal>, StoreError> {
    let rows: Vec<(String, String, String, String, String)> = sqlx::query_as(
        "SELECT at, peer, origin, reason, evidence FROM federation_refusals ORDER BY id DESC LIMIT ?",
    )
    .bind(limit)
    .fetch_all(&store.pool)
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
