//! `concord chair`: who chairs, in one year or in each year of a range.

use concord_store::queries;

use super::{Print, print_json};
use crate::{database, output};

/// Who chairs: in one year, or in each year of a range.
#[derive(Debug, clap::Args)]
pub struct Chair {
    /// One year.
    #[arg(long, conflicts_with_all = ["from", "to"])]
    year: Option<i32>,
    /// First year of a range.
    #[arg(long, requires = "to")]
    from: Option<i32>,
    /// Last year of a range.
    #[arg(long, requires = "from")]
    to: Option<i32>,
    #[command(flatten)]
    print: Print,
}

impl Chair {
    /// Prints the chairmanships (this year's if no year is given).
    pub async fn run(self, database: &str) -> anyhow::Result<()> {
        let store = database::open(database).await?;
        let charter = queries::charter(store.as_ref()).await?;
        let this_year = super::today().year();
        let (from, to) = match (self.year, self.from, self.to) {
            (Some(y), _, _) => (y, y),
            (None, Some(f), Some(t)) => (f, t),
            _ => (this_year, this_year),
        };
        let chairs = queries::chairmanships(store.as_ref(), &charter, from, to).await?;
        match (self.print.json, from == to) {
            (true, true) => print_json(&chairs[0]),
            (true, false) => print_json(&chairs),
            (false, _) => {
                output::chairs(&chairs, self.print.lang);
                Ok(())
            }
        }
    }
}
