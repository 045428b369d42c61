//! Accounts and console sessions: opening an account with its password, changing its
//! rights, closing it, signing in and out. Rights and sign-ins go on the ledger; a
//! password is kept only as an Argon2id hash and a session's cookie only as its SHA-256,
//! both beside the ledger, never in it.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use concord_core::accounts::{Account, AccountChange, AccountError, Role, check_roles};
use concord_core::event::Event;
use concord_ledger::signature::{generate_token, token_sha256};
use time::{Duration, OffsetDateTime};

use crate::incidents::sortable_time;
use crate::{ConsoleSession, Expect, Store, StoreError};

/// The shortest password accepted.
pub const MIN_PASSWORD_CHARS: usize = 12;

/// How long a console session lasts without signing in again.
pub const SESSION_HOURS: i64 = 12;

/// What every session cookie starts with.
pub const SESSION_PREFIX: &str = "ccs_";

/// Why an account operation was refused.
#[derive(Debug, thiserror::Error)]
pub enum AccountOpError {
    /// The account's form or rights.
    #[error(transparent)]
    Account(#[from] AccountError),
    /// The username is taken.
    #[error("an account `{0}` exists already")]
    Exists(String),
    /// No such account (or it is closed).
    #[error("no open account `{0}`")]
    NoSuch(String),
    /// The password is too weak.
    #[error("a password has at least {MIN_PASSWORD_CHARS} characters")]
    WeakPassword,
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A new console session: the cookie (shown to the browser once, kept only as SHA-256),
/// its CSRF token and its account.
#[derive(Debug, Clone)]
pub struct SignedIn {
    /// The cookie's value.
    pub cookie: String,
    /// The token every form of the session carries.
    pub csrf: String,
    /// The account.
    pub account: Account,
}

/// A random password of 20 characters that reads unambiguously (no 0, O, 1, l, I), for
/// an account opened without one chosen.
pub fn generate_password() -> String {
    let (token, _) = generate_token("");
    token
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() && !"0O1lI".contains(*c))
        .take(20)
        .collect()
}

/// Hashes a password with Argon2id (its default parameters), on a blocking thread.
pub async fn hash_password(password: &str) -> Result<String, StoreError> {
    let password = password.to_owned();
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut argon2::password_hash::rand_core::OsRng);
        argon2::Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| StoreError::Database(format!("cannot hash the password: {e}")))
    })
    .await
    .map_err(|e| StoreError::Database(e.to_string()))?
}

/// Whether `password` matches the stored hash, on a blocking thread.
async fn password_matches(password: &str, stored: String) -> bool {
    let password = password.to_owned();
    tokio::task::spawn_blocking(move || {
        PasswordHash::new(&stored).is_ok_and(|hash| {
            argon2::Argon2::default()
                .verify_password(password.as_bytes(), &hash)
                .is_ok()
        })
    })
    .await
    .unwrap_or(false)
}

fn check_password(password: &str) -> Result<(), AccountOpError> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(AccountOpError::WeakPassword);
    }
    Ok(())
}

/// Appends an account's change; a new account's only if its subject has no event yet (the
/// store refuses it, as a conflict, otherwise).
async fn record(store: &dyn Store, change: AccountChange, new: bool) -> Result<(), StoreError> {
    let subject = format!("account/{}", change.username());
    let last = if new {
        None
    } else {
        store.subject_head(&subject).await?
    };
    store
        .append(
            &[Event::AccountChanged(change)],
            None,
            &[Expect { subject, last }],
        )
        .await?;
    Ok(())
}

/// Opens an account with its first password; `by` is the administrator (or `operator`).
pub async fn open(
    store: &dyn Store,
    account: Account,
    password: &str,
    by: &str,
) -> Result<(), AccountOpError> {
    account.check()?;
    check_password(password)?;
    if store.account(&account.username).await?.is_some() {
        return Err(AccountOpError::Exists(account.username));
    }
    let hash = hash_password(password).await?;
    let username = account.username.clone();
    record(
        store,
        AccountChange::Opened {
            account,
            by: by.to_owned(),
        },
        true,
    )
    .await
    .map_err(|e| match e {
        StoreError::Conflict(_) => AccountOpError::Exists(username.clone()),
        e => e.into(),
    })?;
    store
        .set_password(&username, &hash, &sortable_time(OffsetDateTime::now_utc()))
        .await?;
    Ok(())
}

async fn open_account(store: &dyn Store, username: &str) -> Result<Account, AccountOpError> {
    match store.account(username).await? {
        Some((account, false)) => Ok(account),
        _ => Err(AccountOpError::NoSuch(username.to_owned())),
    }
}

/// Gives an account new roles.
pub async fn change_roles(
    store: &dyn Store,
    username: &str,
    roles: Vec<Role>,
    by: &str,
    at: OffsetDateTime,
) -> Result<Account, AccountOpError> {
    let mut account = open_account(store, username).await?;
    check_roles(&roles, account.affiliation)?;
    account.roles = roles;
    record(
        store,
        AccountChange::RolesChanged {
            account: account.clone(),
            by: by.to_owned(),
            at,
        },
        false,
    )
    .await?;
    Ok(account)
}

/// Records the language an account's holder chose for the console (nothing if it is the
/// one already recorded).
pub async fn choose_language(
    store: &dyn Store,
    username: &str,
    language: concord_core::accounts::Language,
    at: OffsetDateTime,
) -> Result<(), AccountOpError> {
    let mut account = open_account(store, username).await?;
    if account.language == language {
        return Ok(());
    }
    account.language = language;
    record(store, AccountChange::LanguageChosen { account, at }, false).await?;
    Ok(())
}

/// Closes an account and ends its sessions.
pub async fn close(
    store: &dyn Store,
    username: &str,
    by: &str,
    at: OffsetDateTime,
) -> Result<(), AccountOpError> {
    open_account(store, username).await?;
    record(
        store,
        AccountChange::Closed {
            username: username.to_owned(),
            by: by.to_owned(),
            at,
        },
        false,
    )
    .await?;
    store.close_console_sessions_of(username).await?;
    Ok(())
}

/// Sets a new password and ends the account's sessions.
pub async fn set_password(
    store: &dyn Store,
    username: &str,
    password: &str,
) -> Result<(), AccountOpError> {
    open_account(store, username).await?;
    check_password(password)?;
    let hash = hash_password(password).await?;
    store
        .set_password(username, &hash, &sortable_time(OffsetDateTime::now_utc()))
        .await?;
    store.close_console_sessions_of(username).await?;
    Ok(())
}

/// Signs in: `None` when the account is unknown, closed, or the password wrong (the
/// caller cannot tell which, nor can whoever is guessing). A sign-in is recorded on the
/// ledger.
pub async fn sign_in(
    store: &dyn Store,
    username: &str,
    password: &str,
    now: OffsetDateTime,
) -> Result<Option<SignedIn>, StoreError> {
    let account = match store.account(username).await? {
        Some((account, false)) => Some(account),
        _ => None,
    };
    let stored = match &account {
        Some(_) => store.password_hash(username).await?,
        None => None,
    };
    // Hash even for an unknown account, so that the answer takes as long.
    let matches = match stored {
        Some(stored) => password_matches(password, stored).await,
        None => {
            let _ = hash_password(password).await;
            false
        }
    };
    let Some(account) = account.filter(|_| matches) else {
        return Ok(None);
    };
    record(
        store,
        AccountChange::SignedIn {
            username: username.to_owned(),
            at: now,
        },
        false,
    )
    .await?;
    let (cookie, sha256) = generate_token(SESSION_PREFIX);
    let (csrf, _) = generate_token("");
    store
        .open_console_session(
            &sha256,
            &ConsoleSession {
                username: username.to_owned(),
                csrf: csrf.clone(),
                expires_at: sortable_time(now + Duration::hours(SESSION_HOURS)),
            },
            &sortable_time(now),
        )
        .await?;
    Ok(Some(SignedIn {
        cookie,
        csrf,
        account,
    }))
}

/// The live session of a cookie and its open account, if any.
pub async fn session(
    store: &dyn Store,
    cookie: &str,
    now: OffsetDateTime,
) -> Result<Option<(ConsoleSession, Account)>, StoreError> {
    if !cookie.starts_with(SESSION_PREFIX) {
        return Ok(None);
    }
    let sha256 = token_sha256(cookie);
    let Some(session) = store.console_session(&sha256).await? else {
        return Ok(None);
    };
    if session.expires_at <= sortable_time(now) {
        store.close_console_session(&sha256).await?;
        return Ok(None);
    }
    match store.account(&session.username).await? {
        Some((account, false)) => Ok(Some((session, account))),
        _ => Ok(None),
    }
}

/// Ends the session of a cookie.
pub async fn sign_out(store: &dyn Store, cookie: &str) -> Result<(), StoreError> {
    store.close_console_session(&token_sha256(cookie)).await
}
