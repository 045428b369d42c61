//! Sync where there is no link: `concord sync export` writes what a named state may
//! receive of every log this node holds, one page (JSON) a line, to a file carried by
//! hand; `concord sync import` checks each page exactly as a pull does, and keeps it.

use std::io::{BufRead, Write};
use std::path::Path;

use anyhow::Context;
use concord_core::keys::KeyOwner;
use concord_core::registry::MemberStatus;
use concord_core::releasability::Reader;
use concord_ledger::checkpoint::LogKey;
use concord_store::Store;
use concord_store::federation::{self, LeavesPage};

use super::Syncer;

/// Writes to `out` every log this node holds, as `to` may receive it; returns the pages
/// and leaves written.
pub async fn export(
    store: &dyn Store,
    key: &LogKey,
    charter: &concord_core::charter::Charter,
    to: KeyOwner,
    out: &Path,
) -> anyhow::Result<(u64, u64)> {
    let reader = match to {
        KeyOwner::Secretariat => Reader::Secretariat,
        KeyOwner::Member(code) => {
            let timeline = charter.timeline(store.status_records().await?);
            let today = time::OffsetDateTime::now_utc().date();
            match timeline.status_on(code, today).map(|s| s.status) {
                Some(status @ (MemberStatus::Member | MemberStatus::Partner)) => {
                    Reader::State { code, status }
                }
                _ => anyhow::bail!("{code} is not a member or partner today: it receives nothing"),
            }
        }
    };
    let mut file = std::io::BufWriter::new(
        std::fs::File::create(out).with_context(|| format!("cannot create {}", out.display()))?,
    );
    let (mut pages, mut leaves) = (0, 0);
    for head in federation::heads(store, key, None).await? {
        let mut start = 0;
        loop {
            let page = federation::page_for(
                store,
                key,
                &reader,
                &charter.sharing_groups,
                &head.origin,
                start,
            )
            .await?;
            let n = page.leaves.len() as u64;
            serde_json::to_writer(&mut file, &page)?;
            file.write_all(b"\n")?;
            pages += 1;
            leaves += n;
            start += n;
            if n == 0 || start >= head.size {
                break;
            }
        }
    }
    file.flush()?;
    file.into_inner()?.sync_all()?;
    Ok((pages, leaves))
}

/// What an import did.
#[derive(Debug, Default)]
pub struct Imported {
    /// Leaves kept.
    pub leaves: u64,
    /// Refusals, each with the log and why.
    pub refused: Vec<String>,
    /// Logs this node cannot verify (no registered node).
    pub unknown: Vec<String>,
}

/// Checks and keeps the pages in `path`, as a pull would.
pub async fn import(syncer: &Syncer, path: &Path) -> anyhow::Result<Imported> {
    let peer = format!("file:{}", path.display());
    let file =
        std::fs::File::open(path).with_context(|| format!("cannot read {}", path.display()))?;
    let mut done = Imported::default();
    for (n, line) in std::io::BufReader::new(file).lines().enumerate() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        let page: LeavesPage = serde_json::from_str(&line).with_context(|| {
            format!("{}: line {} is not a page of a log", path.display(), n + 1)
        })?;
        if page.origin == syncer.origin {
            continue;
        }
        let Some(log_of) = syncer.registration_of(&page.origin).await? else {
            if !done.unknown.contains(&page.origin) {
                done.unknown.push(page.origin.clone());
            }
            continue;
        };
        let held = syncer.store.mirror_size(&page.origin).await?;
        let Some(page) = from(page, held) else {
            continue;
        };
        match syncer.receive(&peer, &log_of, &page).await {
            Ok(brought) => done.leaves += brought.leaves,
            Err(federation::FederationError::Refused { reason, .. }) => {
                done.refused.push(format!("{}: {reason}", page.origin));
            }
            Err(e) => return Err(e.into()),
        }
    }
    Ok(done)
}

/// The page from leaf `held` on (what this node lacks); `None` if all its leaves are held
/// already (a later page of the file carries the checkpoint further).
fn from(mut page: LeavesPage, held: u64) -> Option<LeavesPage> {
    let end = page.start + page.leaves.len() as u64;
    if page.start >= held || page.leaves.is_empty() {
        return Some(page);
    }
    if end <= held {
        return None;
    }
    page.leaves.drain(..(held - page.start) as usize);
    page.start = held;
    Some(page)
}
