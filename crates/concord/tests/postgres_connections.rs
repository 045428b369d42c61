//! The PostgreSQL store's pooled connections when the server drops them (a restart, an
//! administrator's `pg_terminate_backend`, a firewall's idle timeout): the store does not
//! ping a connection it lends while busy (a round trip before every read and append), but
//! one that sat idle is checked first, so a quiet server is never answered with an error
//! for a connection that died meanwhile.

mod common;

use common::TestDatabase;
use concord_store::Store;

#[test]
fn connections_the_server_dropped_while_idle_are_replaced_not_lent() {
    let Some(db) = TestDatabase::postgres() else {
        return;
    };
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
        .block_on(async {
            let store = std::sync::Arc::new(
                concord_store_postgres::PostgresStore::open(&db.url)
                    .await
                    .unwrap(),
            );
            // Several connections opened and back in the pool.
            for size in sizes_at_once(&store).await {
                assert_eq!(size.unwrap(), 0);
            }
            // The server drops every one of them.
            let mut admin = <sqlx::PgConnection as sqlx::Connection>::connect(&db.url)
                .await
                .unwrap();
            let dropped: Vec<(bool,)> = sqlx::query_as(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
                 WHERE datname = current_database() AND pid <> pg_backend_pid()",
            )
            .fetch_all(&mut admin)
            .await
            .unwrap();
            assert!(!dropped.is_empty(), "the store held connections to drop");
            // A quiet moment, then every read and a write are answered.
            tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
            for size in sizes_at_once(&store).await {
                assert_eq!(size.expect("a dropped connection is not lent"), 0);
            }
            let event = concord_core::event::Event::SourceCited(concord_core::history::Source {
                file: "after-drop.txt".into(),
                title: "After the drop".into(),
                published: None,
            });
            store.commit(&[event], None).await.unwrap();
            assert_eq!(store.ledger_size().await.unwrap(), 1);
        });
}

/// The ledger's size read by eight tasks at once (eight connections from the pool).
async fn sizes_at_once(
    store: &std::sync::Arc<concord_store_postgres::PostgresStore>,
) -> Vec<Result<u64, concord_store::StoreError>> {
    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let store = store.clone();
            tokio::spawn(async move { store.ledger_size().await })
        })
        .collect();
    let mut sizes = Vec::new();
    for task in tasks {
        sizes.push(task.await.unwrap());
    }
    sizes
}
