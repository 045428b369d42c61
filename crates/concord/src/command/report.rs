//! `concord report`: the chair's annual report of a year, generated from the record, as
//! JSON or PDF.

use std::path::PathBuf;

use anyhow::Context;
use concord_store::Store;

use crate::database;

/// The chair's annual report of a year, generated from the record.
#[derive(Debug, clap::Args)]
pub struct Report {
    /// The year.
    #[arg(long)]
    year: i32,
    /// Only the public part.
    #[arg(long)]
    public: bool,
    /// The PDF's language: en or ru.
    #[arg(long, default_value = "en", value_parser = ["en", "ru"])]
    lang: String,
    /// Write the PDF here.
    #[arg(long)]
    pdf: Option<PathBuf>,
    /// Print the report as JSON.
    #[arg(long)]
    json: bool,
}

impl Report {
    /// Writes the report.
    pub async fn run(self, database: &str) -> anyhow::Result<()> {
        let store = database::open(database).await?;
        write(
            store.as_ref(),
            self.year,
            self.public,
            &self.lang,
            self.pdf,
            self.json,
        )
        .await
    }
}

/// Writes the annual report of `year` (JSON and/or PDF).
async fn write(
    store: &dyn Store,
    year: i32,
    public: bool,
    lang: &str,
    pdf: Option<PathBuf>,
    json: bool,
) -> anyhow::Result<()> {
    let deployment = concord_store::council::Deployment::read(store).await?;
    let part = if public {
        concord_store::annual::Part::Public
    } else {
        concord_store::annual::Part::Full
    };
    let report =
        concord_store::annual::report(store, &deployment.charter, &deployment.origin, year, part)
            .await?;
    if let Some(path) = &pdf {
        let bytes = concord_server::annual_pdf::render(&report, &deployment.charter, lang)?;
        std::fs::write(path, bytes).with_context(|| format!("cannot write {}", path.display()))?;
    }
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(
                &serde_json::json!({ "sha256": report.digest(), "report": report })
            )?
        );
    } else {
        println!(
            "annual report {year} of {} (chair), SHA-256 {}",
            report.chair,
            report.digest()
        );
        if let Some(path) = pdf {
            println!("wrote {}", path.display());
        }
    }
    Ok(())
}
