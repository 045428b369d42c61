//! `concord budget`: a year's budget, contributions, payments and arrears.

use anyhow::Context;
use concord_core::releasability::Reader;
use concord_store::Store;

use crate::database;

/// A year's budget: contributions, payments, arrears.
#[derive(Debug, clap::Args)]
pub struct Budget {
    /// The budget year.
    #[arg(long)]
    year: i32,
    /// The day the accounts stand on (YYYY-MM-DD); today if absent.
    #[arg(long, value_parser = concord_core::date::parse_day)]
    at: Option<time::Date>,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

impl Budget {
    /// Prints the budget.
    pub async fn run(self, database: &str) -> anyhow::Result<()> {
        let store = database::open(database).await?;
        let at = self.at.unwrap_or_else(super::today);
        show(store.as_ref(), self.year, at, self.json).await
    }
}

/// A year's budget and arrears on `day`.
async fn show(store: &dyn Store, year: i32, day: time::Date, json: bool) -> anyhow::Result<()> {
    let charter = concord_store::queries::charter(store).await?;
    let view = concord_store::year::budget(store, &charter, &Reader::Secretariat, year, day)
        .await?
        .with_context(|| format!("no budget of {year} is set"))?;
    if json {
        println!("{}", serde_json::to_string_pretty(&view)?);
        return Ok(());
    }
    println!(
        "Budget {year} ({}): total {} {}, paid {}, outstanding {} on {}",
        view.document,
        view.total,
        view.currency,
        view.paid,
        view.outstanding,
        concord_core::PartialDate::Day(day)
    );
    for a in &view.accounts {
        println!(
            "  {}  assessed {:>16}  paid {:>16}  outstanding {:>16}{}{}",
            a.contribution.member,
            a.contribution.assessed.to_string(),
            a.paid.to_string(),
            a.outstanding.to_string(),
            if a.in_arrears { "  IN ARREARS" } else { "" },
            if a.contribution.stayed_out {
                "  (stayed out of the decision)"
            } else {
                ""
            }
        );
    }
    Ok(())
}
