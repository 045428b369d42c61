//! People's accounts, console sessions and API tokens on SQLite.

use concord_core::accounts::Account;
use concord_core::tokens::ApiToken;
use concord_store::{ConsoleSession, StoreError};

use crate::{SqliteStore, db_error};

pub(crate) async fn account(
    store: &SqliteStore,
    username: &str,
) -> Result<Option<(Account, bool)>, StoreError> {
    let row = sqlx::query!(
        r#"SELECT body, closed AS "closed: bool" FROM accounts WHERE username = ?"#,
        username
    )
    .fetch_optional(&store.pool)
    .await
    .map_err(db_error)?;
    row.map(|r| Ok((StoreError::decode("account", &r.body)?, r.closed)))
        .transpose()
}

pub(crate) async fn accounts(store: &SqliteStore) -> Result<Vec<(Account, bool)>, StoreError> {
    let rows =
        sqlx::query!(r#"SELECT body, closed AS "closed: bool" FROM accounts ORDER BY username"#)
            .fetch_all(&store.pool)
            .await
            .map_err(db_error)?;
    rows.into_iter()
        .map(|r| Ok((StoreError::decode("account", &r.body)?, r.closed)))
        .collect()
}

pub(crate) async fn set_password(
    store: &SqliteStore,
    username: &str,
    password_hash: &str,
    at: &str,
) -> Result<(), StoreError> {
    sqlx::query!(
        "INSERT INTO credentials (username, password_hash, changed_at) VALUES (?1, ?2, ?3)
         ON CONFLICT (username) DO UPDATE SET password_hash = ?2, changed_at = ?3",
        username,
        password_hash,
        at
    )
    .execute(&store.writer)
    .await
    .map_err(db_error)?;
    Ok(())
}

pub(crate) async fn password_hash(
    store: &SqliteStore,
    username: &str,
) -> Result<Option<String>, StoreError> {
    sqlx::query_scalar!(
        "SELECT password_hash FROM credentials WHERE username = ?",
        username
    )
    .fetch_optional(&store.pool)
    .await
    .map_err(db_error)
}

pub(crate) async fn open_console_session(
    store: &SqliteStore,
    sha256: &str,
    session: &ConsoleSession,
    created_at: &str,
) -> Result<(), StoreError> {
    sqlx::query!(
        "INSERT INTO console_sessions (sha256, username, csrf, created_at, expires_at) VALUES (?, ?, ?, ?, ?)",
        sha256,
        session.username,
        session.csrf,
        created_at,
        session.expires_at
    )
    .execute(&store.writer)
    .await
    .map_err(db_error)?;
    Ok(())
}

pub(crate) async fn console_session(
    store: &SqliteStore,
    sha256: &str,
) -> Result<Option<ConsoleSession>, StoreError> {
    let row = sqlx::query!(
        "SELECT username, csrf, expires_at FROM console_sessions WHERE sha256 = ?",
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
    store: &SqliteStore,
    sha256: &str,
) -> Result<(), StoreError> {
    sqlx::query!("DELETE FROM console_sessions WHERE sha256 = ?", sha256)
        .execute(&store.writer)
        .await
        .map_err(db_error)?;
    Ok(())
}

pub(crate) async fn close_console_sessions_of(
    store: &SqliteStore,
    username: &str,
) -> Result<(), StoreError> {
    sqlx::query!("DELETE FROM console_sessions WHERE username = ?", username)
        .execute(&store.writer)
        .await
        .map_err(db_error)?;
    Ok(())
}

pub(crate) async fn live_token(
    store: &SqliteStore,
    sha256: &str,
) -> Result<Option<ApiToken>, StoreError> {
    let body = sqlx::query_scalar!(
        "SELECT body FROM api_tokens WHERE sha256 = ? AND NOT revoked",
        sha256
    )
    .fetch_optional(&store.pool)
    .await
    .map_err(db_error)?;
    body.map(|b| StoreError::decode("token", &b)).transpose()
}

pub(crate) async fn tokens(store: &SqliteStore) -> Result<Vec<(ApiToken, bool)>, StoreError> {
    let rows = sqlx::query!("SELECT body, revoked FROM api_tokens ORDER BY id")
        .fetch_all(&store.pool)
        .await
        .map_err(db_error)?;
    rows.into_iter()
        .map(|r| Ok((StoreError::decode("token", &r.body)?, r.revoked)))
        .collect()
}
