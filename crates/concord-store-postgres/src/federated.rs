//! The federation's records on PostgreSQL: the registry's nodes, the logs mirrored from
//! other nodes (leaves, hashes, checkpoints) and what was refused from them.

use concord_store::federation;
use concord_store::projection::received_row;
use concord_store::{Hash, StoreError};

use crate::append::apply;
use crate::{PostgresStore, db_error};

pub(crate) async fn nodes(
    store: &PostgresStore,
) -> Result<Vec<concord_core::federation::NodeRegistration>, StoreError> {
    let bodies: Vec<String> = sqlx::query_scalar("SELECT body FROM nodes ORDER BY owner, origin")
        .fetch_all(&store.pool)
        .await
        .map_err(db_error)?;
    StoreError::decode_all("node", bodies)
}

pub(crate) async fn mirror_heads(
    store: &PostgresStore,
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

pub(crate) async fn mirror_size(store: &PostgresStore, origin: &str) -> Result<u64, StoreError> {
    let size: i64 =
        sqlx::query_scalar("SELECT COALESCE(MAX(idx) + 1, 0) FROM mirror_leaves WHERE origin = $1")
            .bind(origin)
            .fetch_one(&store.pool)
            .await
            .map_err(db_error)?;
    Ok(size as u64)
}

pub(crate) async fn mirror_first_unheld(
    store: &PostgresStore,
    origin: &str,
) -> Result<Option<u64>, StoreError> {
    let first: Option<i64> = sqlx::query_scalar(
        "SELECT MIN(idx) FROM mirror_leaves WHERE origin = $1 AND entry IS NULL AND unheld",
    )
    .bind(origin)
    .fetch_one(&store.pool)
    .await
    .map_err(db_error)?;
    Ok(first.map(|i| i as u64))
}

pub(crate) async fn mirror_hashes(
    store: &PostgresStore,
    origin: &str,
    indexes: &[u64],
) -> Result<Vec<Hash>, StoreError> {
    let found: Vec<(i64, Vec<u8>)> =
        sqlx::query_as("SELECT idx, hash FROM mirror_hashes WHERE origin = $1 AND idx = ANY($2)")
            .bind(origin)
            .bind(indexes.iter().map(|&i| i as i64).collect::<Vec<i64>>())
            .fetch_all(&store.pool)
            .await
            .map_err(db_error)?;
    StoreError::hashes_in_order(indexes, found)
}

pub(crate) async fn mirror_leaves(
    store: &PostgresStore,
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
    .fetch_all(&store.pool)
    .await
    .map_err(db_error)?;
    federation::MirrorLeaf::from_rows(rows)
}

pub(crate) async fn receive(
    store: &PostgresStore,
    received: &federation::Received,
) -> Result<(), StoreError> {
    let mut tx = store.pool.begin().await.map_err(db_error)?;
    // The leaves and the tree's hashes travel as arrays: one statement each.
    let idx: Vec<i64> = received.leaves.iter().map(|l| l.index as i64).collect();
    let hashes: Vec<Vec<u8>> = received
        .leaves
        .iter()
        .map(|l| l.leaf_hash.0.to_vec())
        .collect();
    let entries: Vec<Option<String>> = received.leaves.iter().map(|l| l.entry.clone()).collect();
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

pub(crate) async fn record_refusal(
    store: &PostgresStore,
    refusal: &federation::Refusal,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO federation_refusals (at, peer, origin, reason, evidence) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(&refusal.at)
    .bind(&refusal.peer)
    .bind(&refusal.origin)
    .bind(&refusal.reason)
    .bind(&refusal.evidence)
    .execute(&store.pool)
    .await
    .map_err(db_error)?;
    Ok(())
}

pub(crate) async fn refusals(
    store: &PostgresStore,
    limit: i64,
) -> Result<Vec<federation::Refusal>, StoreError> {
    let rows: Vec<(String, String, String, String, String)> = sqlx::query_as(
        "SELECT at, peer, origin, reason, evidence FROM federation_refusals ORDER BY id DESC LIMIT $1",
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
