//! `concord posts`: who holds each post on a day, by the charter's rule and by the record,
//! and the quota posts of the period.

use concord_core::releasability::Reader;
use concord_store::Store;

use crate::database;

/// Who holds each post on a day: the charter's rule and the recorded holders, and the
/// quota posts of the period.
#[derive(Debug, clap::Args)]
pub struct Posts {
    /// The day (YYYY-MM-DD); today if absent.
    #[arg(long, value_parser = concord_core::date::parse_day)]
    at: Option<time::Date>,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

impl Posts {
    /// Prints the posts.
    pub async fn run(self, database: &str) -> anyhow::Result<()> {
        let store = database::open(database).await?;
        let at = self.at.unwrap_or_else(super::today);
        show(store.as_ref(), at, self.json).await
    }
}

/// Who holds each post on `at`, by the rule and by the record.
async fn show(store: &dyn Store, at: time::Date, json: bool) -> anyhow::Result<()> {
    let charter = concord_store::queries::charter(store).await?;
    let posts = concord_store::year::posts(store, &charter, at, None).await?;
    let quota =
        concord_store::year::quota(store, &charter, &Reader::Secretariat, at.year()).await?;
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(
                &serde_json::json!({ "posts": posts, "quota_posts": quota })
            )?
        );
        return Ok(());
    }
    println!("Posts on {}", concord_core::PartialDate::Day(at));
    for p in &posts {
        println!("  {} ({})", p.name.en, p.code);
        match (&p.term, p.held_by_nationals_of) {
            (Some(t), _) => println!(
                "    by the rule: a national of {} from {} to {}",
                t.member,
                concord_core::PartialDate::Day(t.from),
                concord_core::PartialDate::Day(t.until)
            ),
            (None, Some(m)) => println!("    by the charter: a national of {m}"),
            (None, None) => println!("    no rule for this day"),
        }
        match &p.holder {
            Some(h) => println!(
                "    recorded: {} ({}), known from {} — {}",
                h.appointment.person.name.en,
                h.appointment
                    .nationality
                    .map_or("nationality not recorded".to_owned(), |n| n.to_string()),
                h.known_from
                    .map_or("?".to_owned(), |d| concord_core::PartialDate::Day(d)
                        .to_string()),
                serde_json::to_value(h.check)?.as_str().unwrap_or_default()
            ),
            None => println!("    recorded: nobody known on this day"),
        }
    }
    if let Some(q) = quota {
        println!(
            "  Quota posts {}–{} ({} in all, under {})",
            q.from, q.until, q.count, q.document
        );
        for m in &q.members {
            println!(
                "    {}: {} allotted, {} renounced, {} vacant",
                m.member, m.allotted, m.renounced, m.vacant
            );
            for h in &m.holders {
                println!(
                    "      {} — {}, until {}",
                    h.post.en,
                    h.holder.en,
                    concord_core::PartialDate::Day(h.until)
                );
            }
        }
    }
    Ok(())
}
