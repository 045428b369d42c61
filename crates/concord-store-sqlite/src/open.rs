//! Opening the SQLite file: its journal, flushes and caches, the readers' pool and the one
//! writer's connection, and the schema brought up to date.

use std::str::FromStr;
use std::time::Duration;

use concord_store::StoreError;
use concord_store::group_commit::GroupCommit;
use concord_store::hash_cache::HashCache;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

use crate::{SqliteStore, checkpoint, db_error};

/// Rows a statement may read ahead of its reader: a chunk of the ledger's entries
/// ([`concord_store::ledger::MAX_ENTRIES`]), with room to spare.
const ROW_BUFFER: usize = 1024;

/// The writer's page cache, in KiB as SQLite's `cache_size` takes it (negative).
const WRITER_CACHE: &str = "-2048";

impl SqliteStore {
    /// Opens (creating if missing) the database at `url` (`sqlite://concord.db`,
    /// `sqlite::memory:`) and brings its schema up to date.
    pub async fn open(url: &str) -> Result<SqliteStore, StoreError> {
        let in_memory = url.contains(":memory:");
        let options = SqliteConnectOptions::from_str(url)
            .map_err(|e| StoreError::Database(format!("bad SQLite address `{url}`: {e}")))?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            // Checkpoints are the store's own task's (`checkpoint`), not a commit's; a
            // commit checkpoints only past 40 MiB of journal (writes the task is not
            // told of, or a task that cannot keep up).
            .pragma("wal_autocheckpoint", checkpoint::BACKSTOP_PAGES)
            .foreign_keys(true)
            // Ledger proofs read scattered pages of a large table: map the file rather
            // than copy pages through read().
            .pragma("mmap_size", "1073741824")
            .pragma("cache_size", "-65536")
            // A multi-row statement that may fail alone (an append's in a savepoint, its
            // hashes, every other write) keeps a statement journal (the pages it changes,
            // to undo it alone): in memory, not a temporary file.
            .pragma("temp_store", "memory")
            // A statement's rows come back from the connection's thread through a bounded
            // channel (sqlx's default: 50 rows); a reader that works on what it read before
            // asking again (the audit checks a chunk while the next is read) stalled that
            // thread at the 50th row. A chunk is read whole instead.
            .row_buffer_size(ROW_BUFFER)
            .busy_timeout(Duration::from_secs(10));
        // A new database file holds restricted reports and token hashes: create it readable
        // by its owner only (SQLite gives its journal files the same mode). An existing
        // file keeps the mode its operator gave it.
        let file = options.get_filename().to_path_buf();
        #[cfg(unix)]
        if !in_memory && !file.exists() {
            use std::os::unix::fs::OpenOptionsExt;
            std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(&file)
                .map_err(|e| {
                    StoreError::Database(format!("cannot create {}: {e}", file.display()))
                })?;
        }
        // An in-memory database exists once per connection: keep exactly one.
        let max = if in_memory { 1 } else { 8 };
        // A file on this machine cannot go stale: skip the ping sqlx sends before lending
        // each connection.
        let pool = SqlitePoolOptions::new()
            .test_before_acquire(false)
            .max_connections(max)
            .connect_with(options.clone())
            .await
            .map_err(db_error)?;
        migrate(&pool).await?;
        // The writer's connection is kept for the store's life (no idle or age limit: a
        // new connection would start with a cold cache). In memory, the one connection
        // is both. Its page cache is small (`WRITER_CACHE`): what an append touches is
        // the right edges and upper pages of a few B-trees, and every commit walks the
        // cache's whole hash table whenever a split renumbered pages (SQLite parks a page
        // at the locking page's number meanwhile): at 64 MiB that walk alone was ~3.6 %
        // of the server's CPU, and a group's writes ran ~15 % slower than with 2 MiB.
        let writer = if in_memory {
            pool.clone()
        } else {
            SqlitePoolOptions::new()
                .test_before_acquire(false)
                .max_connections(1)
                .min_connections(1)
                .idle_timeout(None)
                .max_lifetime(None)
                .connect_with(options.pragma("cache_size", WRITER_CACHE))
                .await
                .map_err(db_error)?
        };
        Ok(SqliteStore {
            checkpoints: checkpoint::Checkpoints::start((!in_memory).then(|| pool.clone())),
            pool,
            writer,
            group: GroupCommit::default(),
            hash_cache: HashCache::default(),
            guards: Default::default(),
        })
    }

    /// Closes every connection, checkpointing the journal.
    pub async fn close(&self) {
        self.writer.close().await;
        self.pool.close().await;
    }
}

/// Brings the schema up to date on one connection with foreign keys off, as SQLite's manual
/// asks for rebuilding a table that others refer to (the migration's own transaction cannot
/// turn them off), then checks every foreign key before the connection is lent again.
async fn migrate(pool: &SqlitePool) -> Result<(), StoreError> {
    let failed = |e: &dyn std::fmt::Display| StoreError::Migration(e.to_string());
    let mut conn = pool.acquire().await.map_err(|e| failed(&e))?;
    sqlx::query("PRAGMA foreign_keys = OFF")
        .execute(&mut *conn)
        .await
        .map_err(|e| failed(&e))?;
    let migrated = sqlx::migrate!("./migrations").run(&mut *conn).await;
    sqlx::query("PRAGMA foreign_keys = ON")
        .execute(&mut *conn)
        .await
        .map_err(|e| failed(&e))?;
    migrated.map_err(|e| failed(&e))?;
    let broken: Vec<(String,)> = sqlx::query_as("SELECT \"table\" FROM pragma_foreign_key_check")
        .fetch_all(&mut *conn)
        .await
        .map_err(|e| failed(&e))?;
    match broken.first() {
        None => Ok(()),
        Some((table,)) => Err(StoreError::Migration(format!(
            "after migrating, {} rows refer to records that are missing (first in table {table})",
            broken.len()
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tests::scratch;

    /// Every connection, the writer's and the readers', keeps its temporary data (an
    /// append's statement journals, large sorts) in memory.
    #[tokio::test]
    async fn connections_keep_temporary_data_in_memory() {
        let (_dir, store) = scratch().await;
        for pool in [&store.writer, &store.pool] {
            let mode: i64 = sqlx::query_scalar("PRAGMA temp_store")
                .fetch_one(pool)
                .await
                .unwrap();
            assert_eq!(mode, 2, "2 is MEMORY");
        }
        store.close().await;
    }

    /// The writer's page cache is the small one; readers keep the large one (searches
    /// and proofs read scattered pages).
    #[tokio::test]
    async fn the_writer_has_a_small_cache_and_readers_a_large_one() {
        let (_dir, store) = scratch().await;
        let cache = |pool| async move {
            sqlx::query_scalar::<_, i64>("PRAGMA cache_size")
                .fetch_one(pool)
                .await
                .unwrap()
        };
        assert_eq!(cache(&store.writer).await.to_string(), WRITER_CACHE);
        assert_eq!(cache(&store.pool).await, -65536);
        store.close().await;
    }
}
