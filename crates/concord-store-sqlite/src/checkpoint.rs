//! The journal's checkpoints, taken off the writer's path. SQLite copies the write-ahead
//! journal back into the database file when a commit finds the journal past 1,000 pages,
//! and the commit that happens to cross the line waits for the copy and its flushes (up
//! to 15 ms, measured, where a commit takes about one). Here, after commits, a task of the
//! store runs a passive checkpoint on another connection, which writers do not wait for;
//! a connection checkpoints on its own only past [`BACKSTOP_PAGES`].

use std::time::Duration;

use sqlx::SqlitePool;
use tokio::sync::mpsc;

/// The journal's size, in pages, past which a commit checkpoints after all (SQLite's
/// `wal_autocheckpoint`; its default is 1,000): a backstop for writes this task is not
/// told of, and for a journal growing faster than the task copies it.
pub(crate) const BACKSTOP_PAGES: &str = "10000";

/// The least time between two checkpoints: commits made meanwhile are copied together
/// (a page written by several commits is copied once).
const SPACING: Duration = Duration::from_millis(100);

/// Tells the store's checkpointing task that the journal grew.
#[derive(Clone, Debug)]
pub(crate) struct Checkpoints(Option<mpsc::Sender<()>>);

impl Checkpoints {
    /// Starts checkpointing `pool`'s database after commits; ends when every
    /// [`Checkpoints`] is dropped (the store is). `None` (an in-memory database, which
    /// has no journal file) takes none.
    pub(crate) fn start(pool: Option<SqlitePool>) -> Checkpoints {
        let Some(pool) = pool else {
            return Checkpoints(None);
        };
        let (due, mut committed) = mpsc::channel(1);
        tokio::spawn(async move {
            while committed.recv().await.is_some() {
                if pool.is_closed() {
                    return;
                }
                let started = std::time::Instant::now();
                match sqlx::query_as::<_, (i64, i64, i64)>("PRAGMA wal_checkpoint(PASSIVE)")
                    .fetch_one(&pool)
                    .await
                {
                    Ok((_, journal, copied)) => tracing::trace!(
                        journal,
                        copied,
                        us = started.elapsed().as_micros() as u64,
                        "journal checkpointed"
                    ),
                    // The next commit tries again; the journal only grows meanwhile.
                    Err(e) => tracing::warn!(error = %e, "the journal could not be checkpointed"),
                }
                tokio::time::sleep(SPACING).await;
            }
        });
        Checkpoints(Some(due))
    }

    /// Says a transaction committed: a checkpoint follows, unless one is already due.
    pub(crate) fn committed(&self) {
        if let Some(due) = &self.0 {
            // Full: a checkpoint is already due, and will copy this commit too.
            let _ = due.try_send(());
        }
    }
}
