//! The organisation's year as the API and CLI read it: programmes being carried out,
//! budgets and arrears, quota posts, and who holds each post by the charter's rule. Each is
//! folded from its subject's events; who may read it is the access policy's
//! (a programme follows its document; budgets and quota posts are the members' and the
//! secretariat's).

use concord_core::access::Guard;
use concord_core::charter::Charter;
use concord_core::code::Slug;
use concord_core::posts::{HolderCheck, PostTerm, check_holder};
use concord_core::releasability::Reader;
use concord_core::text::Text;
use concord_core::year::{
    BudgetFile, ItemStanding, MemberAccount, MemberQuota, ProgrammeFile, QuotaFile,
};
use serde::Serialize;
use time::Date;

use crate::Store;
use crate::access::{may_read_document, permits};
use crate::queries::QueryError;

/// A programme or action plan and how its items stand.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Serialize)]
pub struct ProgrammeView {
    /// Its document (the programme is known by it).
    pub id: Slug,
    /// The same: the document that approves it.
    pub document: Slug,
    /// Title (the document's).
    pub title: Text,
    /// `programme` or `action-plan`.
    #[serde(rename = "type")]
    pub doc_type: Slug,
    /// The document's status.
    pub status: concord_core::history::DocumentStatus,
    /// The day the items stand on.
    #[serde(with = "concord_core::date::day")]
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date))]
    pub as_of: Date,
    /// Items, by number.
    pub items: Vec<ItemStanding>,
    /// Items done.
    pub done: usize,
    /// Items overdue.
    pub overdue: usize,
    /// Mean percent done over the items (0 with none).
    pub percent: u32,
    /// Per responsible party: items, done, overdue.
    pub by_party: Vec<PartyProgress>,
    /// What the history's articles say of it, where it is one of theirs.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub history: Option<concord_core::history::Programme>,
}

/// One party's share of a programme.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Serialize)]
pub struct PartyProgress {
    /// The party.
    pub party: concord_core::year::Party,
    /// Items it answers for.
    pub items: usize,
    /// Done.
    pub done: usize,
    /// Overdue.
    pub overdue: usize,
}

/// Each party's items across `programmes`: how many, done, overdue (by party).
pub fn progress_by_party(programmes: &[ProgrammeView]) -> Vec<PartyProgress> {
    let mut out: Vec<PartyProgress> = Vec::new();
    for p in programmes.iter().flat_map(|p| &p.by_party) {
        match out.iter_mut().find(|o| o.party == p.party) {
            Some(o) => {
                o.items += p.items;
                o.done += p.done;
                o.overdue += p.overdue;
            }
            None => out.push(p.clone()),
        }
    }
    out.sort_by(|a, b| a.party.cmp(&b.party));
    out
}

/// Every programme and action plan the reader may read, standing on `day`: adopted
/// documents of those types, with their items, and the history's programmes.
pub async fn programmes(
    store: &dyn Store,
    charter: &Charter,
    reader: &Reader,
    day: Date,
) -> Result<Vec<ProgrammeView>, QueryError> {
    let history = store.programmes().await?;
    let mut out = Vec::new();
    for d in store.documents(None).await? {
        if let Some(view) = view(store, charter, reader, d, &history, day).await? {
            out.push(view);
        }
    }
    Ok(out)
}

/// One programme as `reader` may read it (`None`: unknown or not readable, alike).
pub async fn programme(
    store: &dyn Store,
    charter: &Charter,
    reader: &Reader,
    id: &str,
    day: Date,
) -> Result<Option<ProgrammeView>, QueryError> {
    let Some(doc) = store.document(id).await? else {
        return Ok(None);
    };
    let history = store.programmes().await?;
    view(store, charter, reader, doc, &history, day).await
}

/// A document as a programme, if it is one and the reader may read it; `history` is the
/// history's programmes, for what the articles say of it.
async fn view(
    store: &dyn Store,
    charter: &Charter,
    reader: &Reader,
    doc: concord_core::history::Document,
    history: &[concord_core::history::Programme],
    day: Date,
) -> Result<Option<ProgrammeView>, QueryError> {
    let id = doc.id.as_str();
    if !concord_core::year::PROGRAMME_TYPES.contains(&doc.doc_type.as_str())
        || !may_read_document(store, reader, &charter.sharing_groups, id).await?
    {
        return Ok(None);
    }
    let file = ProgrammeFile::fold(&store.subject_events(&format!("programme/{id}")).await?);
    let items = file.standing(day);
    let mut by_party: Vec<PartyProgress> = Vec::new();
    for i in &items {
        let entry = match by_party.iter_mut().find(|p| p.party == i.item.responsible) {
            Some(e) => e,
            None => {
                by_party.push(PartyProgress {
                    party: i.item.responsible.clone(),
                    items: 0,
                    done: 0,
                    overdue: 0,
                });
                by_party.last_mut().expect("just pushed")
            }
        };
        entry.items += 1;
        entry.done += usize::from(i.status == concord_core::year::ItemStatus::Done);
        entry.overdue += usize::from(i.overdue);
    }
    by_party.sort_by(|a, b| a.party.cmp(&b.party));
    let percent = if items.is_empty() {
        0
    } else {
        items.iter().map(|i| u32::from(i.percent)).sum::<u32>() / items.len() as u32
    };
    let history = history
        .iter()
        .find(|p| p.document.as_ref().is_some_and(|d| d.as_str() == id))
        .cloned();
    Ok(Some(ProgrammeView {
        id: doc.id.clone(),
        document: doc.id.clone(),
        title: doc.title.clone(),
        doc_type: doc.doc_type.clone(),
        status: doc.status,
        as_of: day,
        done: items
            .iter()
            .filter(|i| i.status == concord_core::year::ItemStatus::Done)
            .count(),
        overdue: items.iter().filter(|i| i.overdue).count(),
        percent,
        by_party,
        items,
        history,
    }))
}

/// A year's budget, its contributions and payments, on a day.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Serialize)]
pub struct BudgetView {
    /// The year.
    pub year: i32,
    /// The adopted document.
    pub document: Slug,
    /// Currency.
    pub currency: concord_core::year::Currency,
    /// Total.
    pub total: concord_core::year::Amount,
    /// Paid by the day.
    pub paid: concord_core::year::Amount,
    /// Still owed.
    pub outstanding: concord_core::year::Amount,
    /// The day the accounts stand on.
    #[serde(with = "concord_core::date::day")]
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date))]
    pub as_of: Date,
    /// Each member's account.
    pub accounts: Vec<MemberAccount>,
    /// Payments, in order.
    pub payments: Vec<concord_core::year::PaymentRecorded>,
}

/// Whether `reader` reads budgets and quota posts.
pub fn reads_finances(reader: &Reader, charter: &Charter) -> bool {
    permits(&Guard::Confidential, reader, &charter.sharing_groups)
}

/// A year's budget as `reader` may read it (`None`: not set, or not readable, alike).
pub async fn budget(
    store: &dyn Store,
    charter: &Charter,
    reader: &Reader,
    year: i32,
    day: Date,
) -> Result<Option<BudgetView>, QueryError> {
    if !reads_finances(reader, charter) {
        return Ok(None);
    }
    let file = BudgetFile::fold(&store.subject_events(&format!("budget/{year}")).await?);
    let Some(set) = &file.budget else {
        return Ok(None);
    };
    let accounts = file.accounts(day);
    let sum = |f: fn(&MemberAccount) -> u64| {
        concord_core::year::Amount::from_cents(accounts.iter().map(f).sum())
            .unwrap_or(concord_core::year::Amount::ZERO)
    };
    Ok(Some(BudgetView {
        year,
        document: set.budget.document.clone(),
        currency: set.budget.currency.clone(),
        total: set.budget.total,
        paid: sum(|a| a.paid.cents()),
        outstanding: sum(|a| a.outstanding.cents()),
        as_of: day,
        accounts,
        payments: file.payments.clone(),
    }))
}

/// A period's quota posts.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Serialize)]
pub struct QuotaView {
    /// First year.
    pub from: i32,
    /// Last year.
    pub until: i32,
    /// How many posts the charter has.
    pub count: u32,
    /// The decision they were apportioned under.
    pub document: Slug,
    /// Each member's posts.
    pub members: Vec<MemberQuota>,
}

/// The quota posts of the period covering `year`, as `reader` may read them.
pub async fn quota(
    store: &dyn Store,
    charter: &Charter,
    reader: &Reader,
    year: i32,
) -> Result<Option<QuotaView>, QueryError> {
    let Some(rule) = &charter.quota_posts else {
        return Ok(None);
    };
    if !reads_finances(reader, charter) {
        return Ok(None);
    }
    let (from, until) = rule.period_of(year);
    let file = QuotaFile::fold(&store.subject_events(&format!("quota/{from}")).await?);
    let Some(a) = &file.apportioned else {
        return Ok(None);
    };
    Ok(Some(QuotaView {
        from,
        until,
        count: rule.count,
        document: a.apportion.document.clone(),
        members: file.members(),
    }))
}

/// A recorded holder of a post, checked against the rule.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Serialize)]
pub struct HolderView {
    /// The appointment as recorded.
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub appointment: concord_core::history::Appointment,
    /// The day it is known from (attested, or the deciding session's).
    #[serde(with = "concord_core::date::day::option")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = Date))]
    pub known_from: Option<Date>,
    /// The member the rule gives on that day.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub rule_gives: Option<concord_core::code::MemberCode>,
    /// How the holder stands towards the rule.
    pub check: HolderCheck,
}

/// A post on a day: the rule's term and the recorded holders up to that day.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Serialize)]
pub struct PostView {
    /// The post.
    pub code: Slug,
    /// Its name.
    pub name: Text,
    /// The day asked.
    #[serde(with = "concord_core::date::day")]
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date))]
    pub at: Date,
    /// The rule's term that day (rotating posts).
    pub term: Option<PostTerm>,
    /// The state whose nationals hold it, where the charter fixes it.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub held_by_nationals_of: Option<concord_core::code::MemberCode>,
    /// The latest holder known on or before the day.
    pub holder: Option<HolderView>,
    /// Every recorded holder known on or before the day, latest first.
    pub holders: Vec<HolderView>,
}

/// Each post of the charter on `at` (or only `code`): who the rule gives it to, and who is
/// recorded holding it. Appointments are public.
pub async fn posts(
    store: &dyn Store,
    charter: &Charter,
    at: Date,
    code: Option<&str>,
) -> Result<Vec<PostView>, QueryError> {
    let timeline = charter.timeline(store.status_records().await?);
    let appointments = store.appointments().await?;
    let mut sessions = std::collections::BTreeMap::new();
    for a in &appointments {
        if let Some(s) = &a.decided_at
            && let Some(session) = store.session(s.as_str()).await?
        {
            sessions.insert(s.clone(), session.date.day_or_bound());
        }
    }
    let mut out = Vec::new();
    for post in charter
        .posts
        .iter()
        .filter(|p| code.is_none_or(|c| p.code.as_str() == c))
    {
        let term = post
            .rotation
            .as_ref()
            .and_then(|r| r.term_on(&timeline, at));
        let mut holders: Vec<HolderView> = appointments
            .iter()
            .filter(|a| a.post == post.code)
            .filter_map(|a| {
                let known_from = a.attested.or_else(|| {
                    a.decided_at
                        .as_ref()
                        .and_then(|s| sessions.get(s).copied().flatten())
                });
                if known_from.is_some_and(|d| d > at) {
                    return None;
                }
                let rule_gives = match &post.rotation {
                    Some(r) => known_from
                        .and_then(|d| r.term_on(&timeline, d))
                        .map(|t| t.member),
                    None => post.held_by_nationals_of,
                };
                Some(HolderView {
                    appointment: a.clone(),
                    known_from,
                    rule_gives,
                    check: check_holder(rule_gives, a),
                })
            })
            .collect();
        holders.sort_by_key(|h| std::cmp::Reverse(h.known_from));
        out.push(PostView {
            code: post.code.clone(),
            name: post.name.clone(),
            at,
            term,
            held_by_nationals_of: post.held_by_nationals_of,
            holder: holders.first().cloned(),
            holders,
        });
    }
    Ok(out)
}
