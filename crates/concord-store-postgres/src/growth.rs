//! The ledger's growth as every server on the database announces it (LISTEN/NOTIFY): how a
//! server's live stream hears of another server's commits without polling.

use std::time::Duration;

use sqlx::postgres::PgPool;

/// The channel every commit announces the ledger's new size on (the append's commit
/// names it in its statement, which sqlx checks at build time: a literal there).
const GROWTH_CHANNEL: &str = "concord_ledger";

/// Listens to [`GROWTH_CHANNEL`] for as long as the server runs, reconnecting after a lost
/// connection (and then waking the watchers, who read whatever they missed).
pub(crate) async fn listen_for_growth(pool: PgPool, sender: tokio::sync::watch::Sender<u64>) {
    loop {
        let Err(e) = relay_growth(&pool, &sender).await;
        tracing::warn!(error = %e, "lost the ledger's notifications; listening again");
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

/// Relays each announced size to the watchers until the connection fails.
async fn relay_growth(
    pool: &PgPool,
    sender: &tokio::sync::watch::Sender<u64>,
) -> Result<std::convert::Infallible, sqlx::Error> {
    let mut listener = sqlx::postgres::PgListener::connect_with(pool).await?;
    listener.listen(GROWTH_CHANNEL).await?;
    // Anything committed while nobody listened is found by the watchers' own read.
    sender.send_modify(|_| ());
    loop {
        let note = listener.recv().await?;
        if let Ok(size) = note.payload().parse::<u64>() {
            sender.send_if_modified(|known| {
                let grew = size > *known;
                *known = (*known).max(size);
                grew
            });
        }
    }
}
