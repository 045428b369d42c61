//! `concord programmes`: programmes and action plans with their items and progress.

use concord_core::releasability::Reader;
use concord_store::Store;

use crate::database;

/// Programmes and action plans with their items and progress.
#[derive(Debug, clap::Args)]
pub struct Programmes {
    /// The day they stand on (YYYY-MM-DD); today if absent.
    #[arg(long, value_parser = concord_core::date::parse_day)]
    at: Option<time::Date>,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

impl Programmes {
    /// Prints the programmes.
    pub async fn run(self, database: &str) -> anyhow::Result<()> {
        let store = database::open(database).await?;
        let at = self.at.unwrap_or_else(super::today);
        show(store.as_ref(), at, self.json).await
    }
}

/// Programmes standing on `day`.
async fn show(store: &dyn Store, day: time::Date, json: bool) -> anyhow::Result<()> {
    let charter = concord_store::queries::charter(store).await?;
    let all = concord_store::year::programmes(store, &charter, &Reader::Secretariat, day).await?;
    if json {
        println!("{}", serde_json::to_string_pretty(&all)?);
        return Ok(());
    }
    for p in concord_store::year::progress_by_party(&all) {
        println!(
            "{}: {} items, {} done, {} overdue",
            p.party, p.items, p.done, p.overdue
        );
    }
    for p in &all {
        println!(
            "{} ({}, {}): {} items, {} done, {} overdue, {}%",
            p.title.en,
            p.id,
            p.status.as_str(),
            p.items.len(),
            p.done,
            p.overdue,
            p.percent
        );
        for i in &p.items {
            println!(
                "  {}. {} — {} by {}: {} {}%{}",
                i.item.number,
                i.item.title.en,
                i.item.responsible,
                concord_core::PartialDate::Day(i.item.deadline),
                i.status.as_str(),
                i.percent,
                if i.overdue { " OVERDUE" } else { "" }
            );
        }
    }
    Ok(())
}
