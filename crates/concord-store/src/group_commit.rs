//! Group commit, written once for every backend: the appends a process makes at the same
//! time are committed together. Whoever finds the writer free commits every append queued
//! meanwhile in one transaction (one durable flush); nothing is acknowledged before its
//! transaction commits. What the transaction does (writes together, or each in a savepoint
//! so that one refused write is rolled back alone) is [`crate::append`]'s.

use concord_core::event::Event;
use tokio::sync::oneshot;

use crate::projection::Prepared;
use crate::{DatasetMark, Expect, StoreError};

/// One append waiting for the writer.
#[derive(Debug, Clone)]
pub struct Write {
    /// The events, in order.
    pub events: Vec<Event>,
    /// Each event made ready for the log (canonical JSON, salt, read row) before the
    /// writer is taken.
    pub prepared: Vec<Prepared>,
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
