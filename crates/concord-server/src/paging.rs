//! Keyset pagination, one way for every list: `limit` (1 to 1000, 100 by default), `after`
//! (an opaque cursor the list gave), and a full page answered with
//! `Link: <…&after=CURSOR>; rel="next"` (RFC 8288).

use axum::http::{HeaderMap, Uri, header};

use crate::problem::Problem;

/// The most one page holds.
pub const MAX_LIMIT: i64 = 1000;
/// A page's size when none is asked.
pub const DEFAULT_LIMIT: i64 = 100;

/// The `limit` parameter, checked.
pub fn limit(value: Option<&str>) -> Result<i64, Problem> {
    match value {
        None => Ok(DEFAULT_LIMIT),
        Some(l) => l
            .parse::<i64>()
            .ok()
            .filter(|l| (1..=MAX_LIMIT).contains(l))
            .ok_or_else(|| Problem::bad_parameter(format!("limit: `{l}` is not 1 to {MAX_LIMIT}"))),
    }
}

/// The `after` parameter: the (time, id) its cursor stands for.
pub fn cursor(value: Option<&str>) -> Result<Option<(String, String)>, Problem> {
    value
        .map(|c| {
            concord_store::incidents::decode_cursor(c).ok_or_else(|| {
                Problem::bad_parameter(format!("after: `{c}` is not a cursor this list gave"))
            })
        })
        .transpose()
}

/// The last item of a page, if the page is full (so another may follow).
pub fn full<T>(page: &[T], limit: i64) -> Option<&T> {
    (page.len() as i64 == limit).then(|| page.last()).flatten()
}

/// The `Link` header to the page after `cursor`: the same query with `after` replaced.
pub fn next_link(uri: &Uri, cursor: Option<String>) -> HeaderMap {
    let mut headers = HeaderMap::new();
    let Some(cursor) = cursor else {
        return headers;
    };
    let kept: Vec<&str> = uri
        .query()
        .unwrap_or_default()
        .split('&')
        .filter(|p| !p.is_empty() && !p.starts_with("after="))
        .collect();
    let mut query = kept.join("&");
    if !query.is_empty() {
        query.push('&');
    }
    let link = format!("<{}?{query}after={cursor}>; rel=\"next\"", uri.path());
    if let Ok(value) = link.parse() {
        headers.insert(header::LINK, value);
    }
    headers
}

/// One page of a short list, already filtered for its reader and in its order (sessions,
/// documents, requests: a few hundred at most, read whole): the items after the one whose
/// key the cursor names, at most `limit`, and the next page's cursor when this one is full.
pub fn page<T>(
    items: Vec<T>,
    key: impl Fn(&T) -> String,
    after: Option<&str>,
    limit: i64,
) -> Result<(Vec<T>, Option<String>), Problem> {
    let start = match after {
        None => 0,
        Some(cursor) => {
            let wanted = hex::decode(cursor)
                .ok()
                .and_then(|b| String::from_utf8(b).ok());
            match wanted.and_then(|w| items.iter().position(|i| key(i) == w)) {
                Some(at) => at + 1,
                None => {
                    return Err(Problem::bad_parameter(format!(
                        "after: `{cursor}` is not a cursor this list gave"
                    )));
                }
            }
        }
    };
    let page: Vec<T> = items.into_iter().skip(start).take(limit as usize).collect();
    let next = full(&page, limit).map(|last| hex::encode(key(last)));
    Ok((page, next))
}
