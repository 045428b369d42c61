//! `concord check`: a charter and a history checked without touching any database.

use concord_store::init::prepare;

use super::init::DataFiles;

/// Check a charter and a history without touching any database.
#[derive(Debug, clap::Args)]
pub struct Check {
    #[command(flatten)]
    files: DataFiles,
}

impl Check {
    /// Checks the files and says what they hold.
    pub fn run(self) -> anyhow::Result<()> {
        let files = self.files.load()?;
        let (events, mark) = prepare(&files.as_init())?;
        println!(
            "{} and {} are valid: {} events, sha256 {}",
            files.charter_name,
            files.history_name,
            events.len(),
            mark.sha256
        );
        Ok(())
    }
}
