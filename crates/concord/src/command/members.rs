//! `concord members`: the member states and their status on a day.

use concord_core::date::parse_day;
use concord_store::queries;

use super::{Print, print_json};
use crate::{database, output};

/// The member states and their status on a day.
#[derive(Debug, clap::Args)]
pub struct Members {
    /// The day (YYYY-MM-DD); today if not given.
    #[arg(long)]
    date: Option<String>,
    #[command(flatten)]
    print: Print,
}

impl Members {
    /// Prints the members on the day.
    pub async fn run(self, database: &str) -> anyhow::Result<()> {
        let day = match self.date {
            Some(d) => parse_day(&d)?,
            None => super::today(),
        };
        let store = database::open(database).await?;
        let charter = queries::charter(store.as_ref()).await?;
        let members = queries::members(store.as_ref(), &charter, day).await?;
        if self.print.json {
            print_json(&members)
        } else {
            output::members(&members, day, self.print.lang);
            Ok(())
        }
    }
}
