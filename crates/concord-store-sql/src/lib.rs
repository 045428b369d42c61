//! The SQL both of Concord's stores write alike: how a database error becomes the store's,
//! and the paged lists a reader sees (incident
//! reports, alerts, situations), with the reader's scope and the page's cursor written into
//! the query, so that rows are chosen by the access policy before they are ordered, limited
//! or searched. Built once over sqlx's [`QueryBuilder`], generic over the database; each
//! store runs the query on its own pool and supplies a [`Dialect`] for the little its SQL
//! writes differently.

use concord_core::access::Scope;
use concord_store::alerts::AlertPage;
use concord_store::{IncidentFilter, StoreError};
use sqlx::{Database, Encode, QueryBuilder, Type};

/// A database's error as the store reports it: a unique key refused is a conflict (a
/// seal or a record used before), anything else the database's own message.
pub fn db_error(e: sqlx::Error) -> StoreError {
    match &e {
        sqlx::Error::Database(d) if d.is_unique_violation() => {
            StoreError::Conflict(d.message().to_owned())
        }
        _ => StoreError::Database(e.to_string()),
    }
}

/// What a database writes differently in these queries.
pub struct Dialect {
    /// Opens a test that the lowercased title and text of the incident report `r` contain
    /// the value bound next; the query closes it with `) > 0`.
    pub text_contains: &'static str,
}

/// The latest version of each incident report the reader's `scope` may read that passes
/// `filter`, newest first: one column, the signed report's body. Built per search, with
/// only the conditions asked: `(? IS NULL OR col = ?)` would keep the planner from the
/// (domain, country, occurred_at) index.
pub fn incident_reports<'a, DB>(
    scope: &Scope,
    filter: &IncidentFilter,
    dialect: &Dialect,
) -> QueryBuilder<'a, DB>
where
    DB: Database,
    String: Encode<'a, DB> + Type<DB>,
    &'static str: Encode<'a, DB> + Type<DB>,
    i64: Encode<'a, DB> + Type<DB>,
    f64: Encode<'a, DB> + Type<DB>,
    <DB as Database>::Arguments<'a>: Default,
{
    let mut q = QueryBuilder::new(
        "SELECT r.body FROM incident_reports r \
         WHERE r.version = (SELECT MAX(v.version) FROM incident_reports v WHERE v.id = r.id)",
    );
    // The reader's scope first: nothing outside it is searched, ordered or counted.
    q.push(" AND (FALSE");
    push_scope(&mut q, scope, "r.reporter", "r");
    q.push(")");
    if let Some(ids) = &filter.ids {
        q.push(" AND r.id IN (NULL");
        for id in ids {
            q.push(", ").push_bind(id.clone());
        }
        q.push(")");
    }
    push_after(&mut q, "r.occurred_at", "r.id", filter.after.as_ref());
    if let Some(domain) = &filter.domain {
        q.push(" AND r.domain = ").push_bind(domain.clone());
    }
    if let Some(country) = &filter.country {
        q.push(" AND r.country = ").push_bind(country.clone());
    }
    if let Some(from) = &filter.from {
        q.push(" AND r.occurred_at >= ").push_bind(from.clone());
    }
    if let Some(to) = &filter.to {
        q.push(" AND r.occurred_at < ").push_bind(to.clone());
    }
    if let Some(rank) = filter.min_severity {
        q.push(" AND r.severity_rank >= ").push_bind(rank);
    }
    if let Some(text) = &filter.text {
        q.push(" AND ")
            .push(dialect.text_contains)
            .push_bind(text.to_lowercase())
            .push(") > 0");
    }
    if let Some([west, south, east, north]) = filter.bbox {
        q.push(" AND r.west <= ").push_bind(east);
        q.push(" AND r.east >= ").push_bind(west);
        q.push(" AND r.south <= ").push_bind(north);
        q.push(" AND r.north >= ").push_bind(south);
    }
    q.push(" ORDER BY r.occurred_at DESC, r.id LIMIT ")
        .push_bind(filter.limit);
    q
}

/// The summaries of the alerts the reader's `scope` may read on `page`, newest first.
pub fn alert_summaries<'a, DB>(scope: &Scope, page: &AlertPage) -> QueryBuilder<'a, DB>
where
    DB: Database,
    String: Encode<'a, DB> + Type<DB>,
    &'static str: Encode<'a, DB> + Type<DB>,
    i64: Encode<'a, DB> + Type<DB>,
    <DB as Database>::Arguments<'a>: Default,
{
    let mut q = QueryBuilder::new("SELECT a.summary FROM alerts a WHERE (FALSE");
    push_scope(&mut q, scope, "a.issuer", "a");
    q.push(")");
    if let Some(situation) = &page.situation {
        q.push(" AND a.situation = ").push_bind(situation.clone());
    }
    push_after(&mut q, "a.received_at", "a.id", page.after.as_ref());
    q.push(" ORDER BY a.received_at DESC, a.id LIMIT ")
        .push_bind(page.limit);
    q
}

/// A page of situations, newest first: id, opened at, title, level, reports.
pub fn situation_summaries<'a, DB>(
    after: Option<&(String, String)>,
    limit: i64,
) -> QueryBuilder<'a, DB>
where
    DB: Database,
    String: Encode<'a, DB> + Type<DB>,
    i64: Encode<'a, DB> + Type<DB>,
    <DB as Database>::Arguments<'a>: Default,
{
    let mut q =
        QueryBuilder::new("SELECT id, opened_at, title, level, reports FROM situations WHERE TRUE");
    push_after(&mut q, "opened_at", "id", after);
    q.push(" ORDER BY opened_at DESC, id LIMIT ")
        .push_bind(limit);
    q
}

/// Adds to an open `(FALSE` the reader's scope as conditions on the table aliased `table`
/// (releasability in `release_to`, `release_group`), whose originator is in `originator`:
/// the one form of the access policy that incident and alert lists choose rows by.
fn push_scope<'a, DB>(q: &mut QueryBuilder<'a, DB>, scope: &Scope, originator: &str, table: &str)
where
    DB: Database,
    String: Encode<'a, DB> + Type<DB>,
    &'static str: Encode<'a, DB> + Type<DB>,
{
    if let Some(own) = concord_store::incidents::scope_owner(scope) {
        q.push(format!(" OR {originator} = ")).push_bind(own);
    }
    for release in &scope.releases {
        q.push(format!(" OR {table}.release_to = "))
            .push_bind(*release);
    }
    for group in &scope.groups {
        q.push(format!(
            " OR ({table}.release_to = 'group' AND {table}.release_group = "
        ))
        .push_bind(group.to_string())
        .push(")");
    }
}

/// Keeps the rows after a page's cursor, in a list ordered by `time` descending then `id`:
/// the keyset condition every paged list uses.
fn push_after<'a, DB>(
    q: &mut QueryBuilder<'a, DB>,
    time: &str,
    id: &str,
    after: Option<&(String, String)>,
) where
    DB: Database,
    String: Encode<'a, DB> + Type<DB>,
{
    if let Some((at, last)) = after {
        q.push(format!(" AND ({time} < "))
            .push_bind(at.clone())
            .push(format!(" OR ({time} = "))
            .push_bind(at.clone())
            .push(format!(" AND {id} > "))
            .push_bind(last.clone())
            .push("))");
    }
}
