//! Connecting to PostgreSQL: the pool, how an idle connection is checked before it is lent,
//! and the schema brought up to date.

use std::time::Duration;

use concord_store::StoreError;
use concord_store::group_commit::GroupCommit;
use concord_store::hash_cache::HashCache;
use sqlx::postgres::PgPoolOptions;

use crate::{PostgresStore, db_error};

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
