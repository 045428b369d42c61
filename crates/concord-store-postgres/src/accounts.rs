//! People's accounts, console sessions and API tokens on PostgreSQL.

use concord_core::accounts::Account;
use concord_core::tokens::ApiToken;
use concord_store::{ConsoleSession, StoreError};

use crate::{PostgresStore, db_error};

pub(crate) async fn account(
    store: &PostgresStore,
    username: &str,
) -> Result<Option<(Account, bool)>, StoreError> {
    let row = sqlx::query!(
        "SELECT body, closed FROM accounts WHERE username = $1",
        username
    )
    .fetch_optional(&store.pool)
    .await
    .map_err(db_error)?;
    row.map(|r| Ok((StoreError::decode("account", &r.body)?, r.closed)))
        .transpose()
}

pub(crate) async fn accounts(store: &PostgresStore) -> Result<Vec<(Account, bool)>, StoreError> {
    let rows = sqlx::query!("SELECT body, closed FROM accounts ORDER BY username")
        .fetch_all(&store.pool)
        .await
        .map_err(db_error)?;
    rows.into_iter()
        .map(|r| Ok((StoreError::decode("account", &r.body)?, r.closed)))
        .collect()
}

pub(crate) async fn set_password(
    store: &PostgresStore,
    username: &str,
    password_hash: &str,
    at: &str,
) -> Result<(), StoreError> {
    sqlx::query!(
        "INSERT INTO credentials (username, password_hash, changed_at) VALUES ($1, $2, $3)
         ON CONFLICT (username) DO UPDATE SET password_hash = $2, changed_at = $3",
        username,
        password_hash,
        at
    )
    .execute(&store.pool)
    .await
    .map_err(db_error)?;
    Ok(())
}

pub(crate) async fn password_hash(
    store: &PostgresStore,
    username: &str,
) -> Result<Option<String>, StoreError> {
    sqlx::query_scalar!(
        "SELECT password_hash FROM credentials WHERE username = $1",
        username
    )
    .fetch_optional(&store.pool)
    .await
    .map_err(db_error)
}

pub(crate) async fn open_console_session(
    store: &PostgresStore,
    sha256: &str,
    session: &ConsoleSession,
    created_at: &str,
) -> Result<(), StoreError> {
    sqlx::query!(
        "INSERT INTO console_sessions (sha256, username, csrf, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
        sha256,
        session.username,
        session.csrf,
        created_at,
        session.expires_at
    )
    .execute(&store.pool)
    .await
    .map_err(db_error)?;
    Ok(())
}

pub(crate) async fn console_session(
    store: &PostgresStore,
    sha256: &str,
) -> Result<Option<ConsoleSession>, StoreError> {
    let row = sqlx::query!(
        "SELECT username, csrf, expires_at FROM console_sessions WHERE sha256 = $1",
        sha256
    )
    .fetch_optional(&store.pool)
    .await
    .map_err(db_error)?;
    Ok(row.map(|r| ConsoleSession {
        username: r.username,
        csrf: r.csrf,
        expires_at: r.expires_at,
    }))
}

pub(crate) async fn close_console_session(
    store: &PostgresStore,
    sha256: &str,
) -> Result<(), StoreError> {
    sqlx::query!("DELETE FROM console_sessions WHERE sha256 = $1", sha256)
        .execute(&store.pool)
        .await
        .map_err(db_error)?;
    Ok(())
}

pub(crate) async fn close_console_sessions_of(
    store: &PostgresStore,
    username: &str,
) -> Result<(), StoreError> {
    sqlx::query!("DELETE FROM console_sessions WHERE username = $1", username)
        .execute(&store.pool)
        .await
        .map_err(db_error)?;
    Ok(())
}

pub(crate) async fn live_token(
    store: &PostgresStore,
    sha256: &str,
) -> Result<Option<ApiToken>, StoreError> {
    let body = sqlx::query_scalar!(
        "SELECT body FROM api_tokens WHERE sha256 = $1 AND NOT revoked",
        sha256
    )
    .fetch_optional(&store.pool)
    .await
    .map_err(db_error)?;
    body.map(|b| StoreError::decode("token", &b)).transpose()
}

pub(crate) async fn tokens(store: &PostgresStore) -> Result<Vec<(ApiToken, bool)>, StoreError> {
    let rows = sqlx::query!("SELECT body, revoked FROM api_tokens ORDER BY id")
        .fetch_all(&store.pool)
        .await
        .map_err(db_error)?;
    rows.into_iter()
        .map(|r| Ok((StoreError::decode("token", &r.body)?, r.revoked)))
        .collect()
}
