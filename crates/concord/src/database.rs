//! Choosing the store from a database address.

use std::sync::Arc;

use anyhow::Context;
use concord_store::Store;
use concord_store_postgres::PostgresStore;
use concord_store_sqlite::SqliteStore;

/// Opens the store at `address`: `postgres://…` or `postgresql://…` for PostgreSQL,
/// `sqlite://FILE` or a bare file path for SQLite.
pub async fn open(address: &str) -> anyhow::Result<Arc<dyn Store>> {
    let shown = redact(address);
    if address.starts_with("postgres://") || address.starts_with("postgresql://") {
        let store = PostgresStore::open(address)
            .await
            .with_context(|| format!("cannot open PostgreSQL database {shown}"))?;
        Ok(Arc::new(store))
    } else {
        let url = if address.starts_with("sqlite:") {
            address.to_owned()
        } else if address.contains("://") {
            anyhow::bail!(
                "unsupported database address {shown}: use sqlite://FILE or postgres://…"
            );
        } else {
            format!("sqlite://{address}")
        };
        let store = SqliteStore::open(&url)
            .await
            .with_context(|| format!("cannot open SQLite database {shown}"))?;
        Ok(Arc::new(store))
    }
}

/// The address with any password replaced, fit to print or log.
pub fn redact(address: &str) -> String {
    match url::Url::parse(address) {
        Ok(mut url) if url.password().is_some() => {
            let _ = url.set_password(Some("***"));
            url.to_string()
        }
        _ => address.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::redact;

    #[test]
    fn passwords_never_print() {
        assert_eq!(
            redact("postgres://concord:s3cret@db.local/concord"),
            "postgres://concord:***@db.local/concord"
        );
        assert_eq!(redact("sqlite://concord.db"), "sqlite://concord.db");
    }
}
