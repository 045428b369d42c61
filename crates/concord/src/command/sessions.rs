//! `concord sessions`: council sessions with attendance and documents.

use concord_store::{SessionFilter, queries};

use super::{Print, print_json};
use crate::{database, output};

/// Council sessions with attendance and documents.
#[derive(Debug, clap::Args)]
pub struct Sessions {
    /// Only this calendar year.
    #[arg(long)]
    year: Option<i32>,
    /// Only this body (e.g. csc).
    #[arg(long)]
    body: Option<String>,
    #[command(flatten)]
    print: Print,
}

impl Sessions {
    /// Prints the sessions that pass the filter.
    pub async fn run(self, database: &str) -> anyhow::Result<()> {
        let store = database::open(database).await?;
        let filter = SessionFilter {
            year: self.year,
            body: self.body,
        };
        let sessions = queries::sessions(store.as_ref(), &filter).await?;
        if self.print.json {
            print_json(&sessions)
        } else {
            output::sessions(&sessions, self.print.lang);
            Ok(())
        }
    }
}
