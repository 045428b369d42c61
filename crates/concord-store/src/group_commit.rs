//! Group commit, written once for every backend: the appends a process makes at the same
//! time are committed together. Whoever finds the writer free commits every append queued
//! meanwhile in one transaction (one durable flush), each in a savepoint of its own so that
//! one refused write is rolled back alone; nothing is acknowledged before its transaction
//! commits. A backend supplies only the transaction ([`GroupCommit::append`]'s `commit`).

use concord_core::event::Event;
use tokio::sync::oneshot;

use crate::{DatasetMark, Expect, StoreError};

/// One append waiting for the writer.
#[derive(Debug, Clone)]
pub struct Write {
    /// The events, in order.
    pub events: Vec<Event>,
    /// The dataset they load, if any.
    pub dataset: Option<DatasetMark>,
    /// What must still hold of the subjects they were decided on.
    pub expect: Vec<Expect>,
}

/// What one append is answered: the leaf index of its last event, or why it was refused.
pub type Answer = Result<i64, StoreError>;

/// The queue of appends and the one writer of this process.
#[derive(Default)]
pub struct GroupCommit {
    queue: std::sync::Mutex<Vec<(Write, oneshot::Sender<Answer>)>>,
    writer: tokio::sync::Mutex<()>,
}

impl GroupCommit {
    /// Appends `write`, with whatever else is queued when the writer is free: `commit`
    /// carries out the queued writes in order in one transaction and answers each, in
    /// order.
    pub async fn append<F, Fut>(&self, write: Write, commit: F) -> Answer
    where
        F: FnOnce(Vec<Write>) -> Fut,
        Fut: std::future::Future<Output = Vec<Answer>>,
    {
        let (reply, mut answer) = oneshot::channel();
        self.queue
            .lock()
            .expect("the queue lock is never poisoned")
            .push((write, reply));
        let _writer = self.writer.lock().await;
        if let Ok(result) = answer.try_recv() {
            return result;
        }
        let queued =
            std::mem::take(&mut *self.queue.lock().expect("the queue lock is never poisoned"));
        let (writes, replies): (Vec<Write>, Vec<oneshot::Sender<Answer>>) =
            queued.into_iter().unzip();
        let answers = commit(writes).await;
        for (reply, result) in replies.into_iter().zip(answers) {
            let _ = reply.send(result);
        }
        answer
            .try_recv()
            .unwrap_or_else(|_| Err(StoreError::Database("the write was not carried out".into())))
    }

    /// The writer alone, for a write outside the ledger's appends that must not interleave
    /// with them (what a peer's log brings, a refusal recorded).
    pub async fn exclusive(&self) -> tokio::sync::MutexGuard<'_, ()> {
        self.writer.lock().await
    }
}

/// The answer every write of a batch gets when the batch's transaction fails as a whole.
pub fn failed_all(writes: usize, e: &StoreError) -> Vec<Answer> {
    (0..writes)
        .map(|_| Err(StoreError::Database(e.to_string())))
        .collect()
}

/// A group's open transaction, as a backend supplies it: the writes go through
/// [`write_group`], which is the same for every backend.
#[async_trait::async_trait]
pub trait GroupTransaction: Send {
    /// Writes one append from leaf `size` on, at `now` (its expectations, entries, leaves,
    /// read rows, dataset mark); the hashes it stores go to `hashes`. Returns the leaf
    /// index of its last event.
    async fn write(
        &mut self,
        size: i64,
        now: time::OffsetDateTime,
        write: &Write,
        hashes: &mut Vec<(u64, crate::Hash)>,
    ) -> Result<i64, StoreError>;

    /// Runs `SAVEPOINT write`, `RELEASE write` or `ROLLBACK TO write`.
    async fn savepoint(&mut self, statement: &str) -> Result<(), StoreError>;

    /// Records the ledger's new `size` and commits.
    async fn commit(self, size: i64) -> Result<(), StoreError>;
}

/// Carries out `batch` in `tx`, opened on a ledger of `size` leaves, at `now`: each write
/// in a savepoint of its own (a write refused is rolled back alone; alone in its batch, the
/// transaction is dropped), then the new size and the commit. Returns each write's answer
/// and, once committed, the hashes stored, in order.
pub async fn write_group<T: GroupTransaction>(
    mut tx: T,
    mut size: i64,
    now: time::OffsetDateTime,
    batch: &[Write],
) -> (Vec<Answer>, Vec<(u64, crate::Hash)>) {
    let started = std::time::Instant::now();
    let alone = batch.len() == 1;
    let mut answers = Vec::with_capacity(batch.len());
    let mut hashes = Vec::new();
    for w in batch {
        if !alone && let Err(e) = tx.savepoint("SAVEPOINT write").await {
            return (failed_all(batch.len(), &e), vec![]);
        }
        let mut written = Vec::with_capacity(w.events.len() * 2);
        match tx.write(size, now, w, &mut written).await {
            Ok(last) => {
                if !alone && let Err(e) = tx.savepoint("RELEASE write").await {
                    return (failed_all(batch.len(), &e), vec![]);
                }
                size += w.events.len() as i64;
                hashes.extend(written);
                answers.push(Ok(last));
            }
            Err(e) if !alone => {
                for undo in ["ROLLBACK TO write", "RELEASE write"] {
                    if let Err(undo) = tx.savepoint(undo).await {
                        return (failed_all(batch.len(), &undo), vec![]);
                    }
                }
                answers.push(Err(e));
            }
            // Alone: dropping the transaction rolls it back.
            Err(e) => return (vec![Err(e)], vec![]),
        }
    }
    let written = started.elapsed();
    if let Err(e) = tx.commit(size).await {
        return (failed_all(batch.len(), &e), vec![]);
    }
    tracing::debug!(
        writes = batch.len(),
        size,
        write_us = written.as_micros() as u64,
        commit_us = (started.elapsed() - written).as_micros() as u64,
        "batch written and committed"
    );
    (answers, hashes)
}
