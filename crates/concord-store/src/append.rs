//! The ledger's append, written once for every backend: a group of writes in one
//! transaction (the group commit of [`crate::group_commit`]), each write checked against
//! its expectations, its entries hashed into the log, its read rows and seals stored, its
//! dataset marked. A backend supplies only its SQL ([`AppendDatabase`],
//! [`AppendTransaction`]); the order of the steps, the batching of the rows, the hash
//! mirror and the savepoints are here.

use async_trait::async_trait;
use concord_core::event::Event;
use concord_ledger::log::{self, KnownHashes, Step};

use crate::group_commit::{Answer, GroupCommit, Write, failed_all};
use crate::hash_cache::HashCache;
use crate::projection::{IncidentRow, ReadRow, ledger_entry_of, now, prepare, seal_of};
use crate::{DatasetMark, Expect, Hash, StoreError};
use time::format_description::well_known::Rfc3339;

/// One ledger entry as the events table keeps it.
#[derive(Debug)]
pub struct EntryRow {
    /// Its leaf index.
    pub index: i64,
    /// The event's kind.
    pub kind: &'static str,
    /// The canonical entry (what the leaf hashes).
    pub body: String,
    /// The subject it changes, if any.
    pub subject: Option<String>,
}

/// A signed position as the positions table keeps it.
#[derive(Debug)]
pub struct PositionRow {
    /// Document.
    pub document_id: String,
    /// Version agreed on.
    pub version: i64,
    /// Member code.
    pub member: String,
    /// The leaf index of its event.
    pub seq: i64,
    /// JSON.
    pub body: String,
}

/// A seal as the seals table keeps it: the moment it claims, its key and its nonce.
pub type SealRow<'a> = (&'a str, &'a str, &'a str);

/// What a write stores besides the other read rows ([`AppendTransaction::apply`]), in the
/// order it must be stored: the log (entries, seals, hashes), then the high-volume read
/// rows, which may refer to it. Either part may be empty.
#[derive(Debug)]
pub struct Rows<'a> {
    /// The moment the entries are recorded at.
    pub now: time::OffsetDateTime,
    /// The entries.
    pub entries: &'a [EntryRow],
    /// The seals the entries carry.
    pub seals: &'a [SealRow<'a>],
    /// The ledger hashes the entries produced.
    pub hashes: &'a [(u64, Hash)],
    /// Cited sources, (file, JSON).
    pub sources: &'a [(String, String)],
    /// Signed positions.
    pub positions: &'a [PositionRow],
    /// Incident report versions.
    pub incidents: &'a [IncidentRow],
}

impl Rows<'_> {
    /// No row at all, recorded at `now`: what a write's rows are filled into.
    fn none(now: time::OffsetDateTime) -> Self {
        Rows {
            now,
            entries: &[],
            seals: &[],
            hashes: &[],
            sources: &[],
            positions: &[],
            incidents: &[],
        }
    }
}

/// A database's open transaction for the ledger's append, holding the ledger's write lock.
/// Each method is one or a few statements of that database's SQL.
#[async_trait]
pub trait AppendTransaction: Send {
    /// The first subject among `expect` whose latest event is not the one expected.
    async fn changed_subject(&mut self, expect: &[Expect]) -> Result<Option<String>, StoreError>;

    /// The stored ledger hashes at `indexes` that exist, as (index, bytes).
    async fn stored_hashes(&mut self, indexes: &[u64]) -> Result<Vec<(i64, Vec<u8>)>, StoreError>;

    /// Stores `rows`, in the order [`Rows`] lists them (a backend may send them in one
    /// call); a seal received before must fail the write with a unique violation (a
    /// conflict, decided again).
    async fn insert_rows(&mut self, rows: &Rows<'_>) -> Result<(), StoreError>;

    /// Applies any other read row, of the event at leaf `seq`.
    async fn apply(&mut self, seq: i64, row: ReadRow) -> Result<(), StoreError>;

    /// Records that a dataset was loaded, up to leaf `last`.
    async fn insert_dataset(&mut self, mark: &DatasetMark, last: i64) -> Result<(), StoreError>;

    /// Runs a savepoint statement: `SAVEPOINT name`, `RELEASE name`, `ROLLBACK TO name`.
    async fn savepoint(&mut self, statement: &str) -> Result<(), StoreError>;

    /// Records the ledger's new `size` and commits.
    async fn commit(self, size: i64) -> Result<(), StoreError>;

    /// Rolls back, at once (the ledger's write lock is free when this returns).
    async fn rollback(self) -> Result<(), StoreError>;
}

/// A database the ledger is appended to.
#[async_trait]
pub trait AppendDatabase: Sync {
    /// Its transaction.
    type Transaction: AppendTransaction;

    /// Opens a transaction holding the ledger's write lock; answers it and the ledger's size.
    async fn begin_append(&self) -> Result<(Self::Transaction, i64), StoreError>;

    /// This process's queue of appends.
    fn group_commit(&self) -> &GroupCommit;

    /// The in-memory copy of stored hashes, extended by each commit.
    fn hashes(&self) -> &HashCache;
}

/// Appends `events` (loading `dataset`, if any) once every expectation still holds;
/// answers the leaf index of the last event. Nothing is answered before its transaction
/// commits; appends made meanwhile share it.
pub async fn append<D: AppendDatabase>(
    db: &D,
    events: &[Event],
    dataset: Option<&DatasetMark>,
    expect: &[Expect],
) -> Answer {
    // What needs no place in the log is done here, by each caller at once, not by the
    // writer.
    let write = Write {
        events: events.to_vec(),
        prepared: events.iter().map(prepare).collect(),
        dataset: dataset.cloned(),
        expect: expect.to_vec(),
    };
    db.group_commit()
        .append(write, |batch| commit_batch(db, batch))
        .await
}

/// Commits `batch` in one transaction and answers each write, in order; the hashes
/// committed extend the in-memory mirror (commits of other servers on the same database
/// leave a gap it will not bridge: proofs beyond it then read the database).
async fn commit_batch<D: AppendDatabase>(db: &D, batch: Vec<Write>) -> Vec<Answer> {
    let together = batch.len() > 1 && independent(&batch);
    let (answers, hashes) = commit(db, &batch, together).await;
    if let Some((first, _)) = hashes.first() {
        let ordered: Vec<Hash> = hashes.iter().map(|(_, h)| *h).collect();
        db.hashes().extend_mirror(*first, &ordered);
    }
    answers
}

/// Opens a transaction on the ledger, writes `batch` in it and commits. `together`: the
/// writes as one, with no savepoint (they touch no subject in common); if that fails the
/// transaction is rolled back and the batch written again in a new one, each write in a
/// savepoint of its own, so that a write refused is rolled back alone (alone in its batch,
/// the transaction is rolled back). Returns each write's answer and, once committed, the
/// hashes stored, in order.
async fn commit<D: AppendDatabase>(
    db: &D,
    batch: &[Write],
    mut together: bool,
) -> (Vec<Answer>, Vec<(u64, Hash)>) {
    let writes = batch.len();
    loop {
        let (mut tx, size) = match db.begin_append().await {
            Ok(opened) => opened,
            Err(e) => return (failed_all(writes, &e), vec![]),
        };
        // Taken under the write lock, so times never run backwards along the log.
        let now = now();
        let started = std::time::Instant::now();
        let (answers, hashes, size) = if together {
            let mut hashes = Vec::new();
            match write(&mut tx, db.hashes(), size, now, batch, &mut hashes).await {
                Ok(lasts) => {
                    let events: usize = batch.iter().map(|w| w.events.len()).sum();
                    let answers = lasts.into_iter().map(Ok).collect();
                    (answers, hashes, size + events as i64)
                }
                Err(e) => {
                    tracing::debug!(error = %e, "a batch's writes together failed; each alone");
                    let _ = tx.rollback().await;
                    together = false;
                    continue;
                }
            }
        } else {
            match write_each(&mut tx, db.hashes(), size, now, batch).await {
                Ok(done) => done,
                Err(e) => {
                    let _ = tx.rollback().await;
                    return (failed_all(writes, &e), vec![]);
                }
            }
        };
        if writes == 1 && answers.iter().all(Result::is_err) {
            // Alone and refused.
            let _ = tx.rollback().await;
            return (answers, vec![]);
        }
        let written = started.elapsed();
        if let Err(e) = tx.commit(size).await {
            return (failed_all(writes, &e), vec![]);
        }
        tracing::debug!(
            writes,
            together,
            size,
            write_us = written.as_micros() as u64,
            commit_us = (started.elapsed() - written).as_micros() as u64,
            "batch written and committed"
        );
        return (answers, hashes);
    }
}

/// What a group's writes came to: each one's answer, the hashes stored, the new size.
type Written = (Vec<Answer>, Vec<(u64, Hash)>, i64);

/// Whether no two writes of `batch` expect or change the same subject: then checking
/// every expectation first is the same as checking each write's after the ones before.
fn independent(batch: &[Write]) -> bool {
    let mut seen = std::collections::HashSet::new();
    batch.iter().all(|w| {
        let mine: std::collections::HashSet<String> = w
            .expect
            .iter()
            .map(|e| e.subject.clone())
            .chain(w.events.iter().filter_map(Event::subject))
            .collect();
        mine.into_iter().all(|subject| seen.insert(subject))
    })
}

/// Writes each write of `batch` in a savepoint of its own (none when it is alone).
async fn write_each<T: AppendTransaction>(
    tx: &mut T,
    cache: &HashCache,
    mut size: i64,
    now: time::OffsetDateTime,
    batch: &[Write],
) -> Result<Written, StoreError> {
    let alone = batch.len() == 1;
    let mut answers = Vec::with_capacity(batch.len());
    let mut hashes = Vec::new();
    for w in batch {
        if !alone {
            tx.savepoint("SAVEPOINT write").await?;
        }
        let mut written = Vec::with_capacity(w.events.len() * 2);
        match write(tx, cache, size, now, std::slice::from_ref(w), &mut written).await {
            Ok(lasts) => {
                if !alone {
                    tx.savepoint("RELEASE write").await?;
                }
                size += w.events.len() as i64;
                hashes.extend(written);
                answers.extend(lasts.into_iter().map(Ok));
            }
            Err(e) => {
                if !alone {
                    tx.savepoint("ROLLBACK TO write").await?;
                    tx.savepoint("RELEASE write").await?;
                }
                answers.push(Err(e));
            }
        }
    }
    Ok((answers, hashes, size))
}

/// Writes `writes`, one after the other from leaf `size` on, as one: checks their
/// expectations, appends their entries, leaves, hashes and seals, stores their read rows
/// ([`store_rows`]), marks their datasets. Returns the leaf index of each write's last
/// event.
async fn write<T: AppendTransaction>(
    tx: &mut T,
    cache: &HashCache,
    size: i64,
    now: time::OffsetDateTime,
    writes: &[Write],
    hashes: &mut Vec<(u64, Hash)>,
) -> Result<Vec<i64>, StoreError> {
    let started = std::time::Instant::now();
    let expect: Vec<Expect> = writes.iter().flat_map(|w| w.expect.clone()).collect();
    if !expect.is_empty()
        && let Some(subject) = tx.changed_subject(&expect).await?
    {
        return Err(StoreError::Conflict(format!(
            "{subject} changed while the command was decided; try again"
        )));
    }
    let expected = started.elapsed();
    let recorded_at = now.format(&Rfc3339).expect("UTC timestamps format");
    let events: Vec<(&Event, &crate::projection::Prepared)> = writes
        .iter()
        .flat_map(|w| w.events.iter().zip(&w.prepared))
        .collect();
    let mut known = KnownHashes::new();
    let mut entries = Vec::with_capacity(events.len());
    for (offset, (event, prepared)) in events.iter().enumerate() {
        let index = size + offset as i64;
        let (body, leaf) = ledger_entry_of(index as u64, &recorded_at, prepared);
        append_leaf(tx, cache, &mut known, hashes, index as u64, leaf).await?;
        entries.push(EntryRow {
            index,
            kind: event.kind(),
            body,
            subject: event.subject(),
        });
    }
    let leaves = started.elapsed();
    let seals: Vec<SealRow<'_>> = events.iter().filter_map(|(e, _)| seal_of(e)).collect();
    let log = Rows {
        entries: &entries,
        seals: &seals,
        hashes,
        ..Rows::none(now)
    };
    let prepared = events.iter().map(|(_, p)| *p);
    store_rows(tx, &log, size, prepared).await?;
    let stored = started.elapsed();
    let mut lasts = Vec::with_capacity(writes.len());
    let mut last = size - 1;
    for w in writes {
        last += w.events.len() as i64;
        if let Some(mark) = &w.dataset {
            tx.insert_dataset(mark, last).await?;
        }
        lasts.push(last);
    }
    tracing::trace!(
        events = events.len(),
        writes = writes.len(),
        expect_us = expected.as_micros() as u64,
        leaves_us = (leaves - expected).as_micros() as u64,
        rows_us = (stored - leaves).as_micros() as u64,
        datasets_us = (started.elapsed() - stored).as_micros() as u64,
        "write's steps"
    );
    Ok(lasts)
}

/// Stores `log` and the read rows of the events `prepared`, the first at leaf `size`: the
/// high-volume kinds (sources, positions, incident rows) after the rows they may refer to,
/// and with the log in one go when no other read row comes between.
async fn store_rows<'p, T: AppendTransaction>(
    tx: &mut T,
    log: &Rows<'_>,
    size: i64,
    prepared: impl Iterator<Item = &'p crate::projection::Prepared>,
) -> Result<(), StoreError> {
    let (mut sources, mut positions, mut incidents, mut others) = (vec![], vec![], vec![], vec![]);
    for (offset, prepared) in prepared.enumerate() {
        let seq = size + offset as i64;
        match prepared.row.clone() {
            ReadRow::Source { file, body } => sources.push((file, body)),
            ReadRow::Position {
                document_id,
                version,
                member,
                body,
            } => positions.push(PositionRow {
                document_id,
                version,
                member,
                seq,
                body,
            }),
            ReadRow::Incident(row) => incidents.push(row),
            row => others.push((seq, row)),
        }
    }
    let read = Rows {
        sources: &sources,
        positions: &positions,
        incidents: &incidents,
        ..Rows::none(log.now)
    };
    if others.is_empty() {
        // Nothing in between: the log and the read rows in one go.
        let all = Rows {
            entries: log.entries,
            seals: log.seals,
            hashes: log.hashes,
            ..read
        };
        return tx.insert_rows(&all).await;
    }
    tx.insert_rows(log).await?;
    for (seq, row) in others {
        tx.apply(seq, row).await?;
    }
    tx.insert_rows(&read).await
}

/// Appends leaf `n` to the ledger: adds the hashes it produces to `known` and `out`,
/// taking the older hashes it needs from the in-memory copy of committed hashes, else
/// from the transaction.
async fn append_leaf<T: AppendTransaction>(
    tx: &mut T,
    cache: &HashCache,
    known: &mut KnownHashes,
    out: &mut Vec<(u64, Hash)>,
    n: u64,
    leaf: Hash,
) -> Result<(), StoreError> {
    loop {
        match log::append(known, n, leaf).map_err(|e| StoreError::Ledger(e.to_string()))? {
            Step::Done(pairs) => {
                known.extend(pairs.iter().copied());
                out.extend(pairs);
                return Ok(());
            }
            Step::Fetch(indexes) => {
                let (cached, missing) = cache.lookup(&indexes);
                known.extend(cached);
                if !missing.is_empty() {
                    let found = tx.stored_hashes(&missing).await?;
                    let hashes = StoreError::hashes_in_order(&missing, found)?;
                    known.extend(missing.into_iter().zip(hashes));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use concord_core::history::Source;

    fn write(events: Vec<Event>, expect: &[&str]) -> Write {
        Write {
            prepared: events.iter().map(prepare).collect(),
            events,
            dataset: None,
            expect: expect
                .iter()
                .map(|s| Expect {
                    subject: (*s).to_owned(),
                    last: None,
                })
                .collect(),
        }
    }

    fn source(file: &str) -> Event {
        Event::SourceCited(Source {
            file: file.to_owned(),
            title: file.to_owned(),
            published: None,
        })
    }

    #[test]
    fn writes_go_together_only_when_no_subject_is_shared() {
        let a = write(vec![source("a.txt")], &["incident/a"]);
        let b = write(vec![source("b.txt")], &["incident/b"]);
        assert!(independent(&[a.clone(), b.clone()]));
        // The same subject expected twice: the second is judged after the first.
        let a_again = write(vec![source("c.txt")], &["incident/a"]);
        assert!(!independent(&[a.clone(), b.clone(), a_again]));
        // One expects what another changes.
        let keys = write(vec![], &["keys"]);
        let registers = write(
            vec![Event::KeyRetired(
                serde_json::from_value(
                    serde_json::json!({"key_id": "k", "valid_until": "2026-01-01"}),
                )
                .unwrap(),
            )],
            &[],
        );
        assert!(!independent(&[keys, registers]));
        // Events without a subject never meet.
        assert!(independent(&[
            write(vec![source("x.txt")], &[]),
            write(vec![source("x.txt")], &[])
        ]));
    }
}
