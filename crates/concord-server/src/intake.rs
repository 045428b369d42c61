//! The intake of incident reports: concurrent reports are carried out together. While one
//! batch is being decided, the reports that arrive queue up; the next request to find the
//! intake free takes them all into one batch ([`concord_store::council::decide_many`]: one
//! read of the subjects' heads, the registry kept from the batch before unless it changed,
//! one batch of signature checks), decided while the batch before
//! commits (one transaction each; a batch decided on a subject the one before changed
//! meets a conflict and is carried out again command by command). Each report is still
//! decided, refused and answered on its own, and only once its batch is committed.

use std::sync::Arc;

use concord_core::council::SignedCommand;
use concord_store::council::{CommandError, Executed};
use tokio::sync::oneshot;

use crate::AppState;

type Reply = oneshot::Sender<Result<Executed, CommandError>>;

/// Reports waiting for the next batch, and the turn to run one.
#[derive(Default)]
pub struct Intake {
    queue: std::sync::Mutex<Vec<(SignedCommand, Reply)>>,
    turn: tokio::sync::Mutex<()>,
}

impl Intake {
    /// Carries out `signed` in the next batch; answers once that batch is committed.
    pub async fn submit(
        &self,
        state: &AppState,
        signed: SignedCommand,
    ) -> Result<Executed, CommandError> {
        let (reply, mut answer) = oneshot::channel();
        self.queue
            .lock()
            .expect("the intake queue is never poisoned")
            .push((signed, reply));
        // Either another batch answers this report, or this request takes the turn and
        // runs the next batch itself.
        let turn = tokio::select! {
            done = &mut answer => return done.unwrap_or_else(|_| Err(stopped())),
            turn = self.turn.lock() => turn,
        };
        if let Ok(done) = answer.try_recv() {
            return done;
        }
        let batch = std::mem::take(&mut *self.queue.lock().expect("never poisoned"));
        if batch.is_empty() {
            // This report went with a batch still committing: nothing to decide.
            drop(turn);
            return answer.await.unwrap_or_else(|_| Err(stopped()));
        }
        // The batch runs on a task of its own, so that a client going away cannot cut it
        // short after its commit and before the others hear of it. The turn passes on once
        // the batch is decided: the next batch is decided while this one commits.
        let state = state.clone();
        let (decided, turn_free) = oneshot::channel::<()>();
        tokio::spawn(async move {
            let (commands, replies): (Vec<SignedCommand>, Vec<Reply>) = batch.into_iter().unzip();
            let store = state.store.as_ref();
            let started = std::time::Instant::now();
            let batch = concord_store::council::decide_many(
                store,
                &state.deployment,
                &commands,
                time::OffsetDateTime::now_utc(),
            )
            .await;
            let _ = decided.send(());
            let decided_in = started.elapsed();
            let results = batch.commit(store, &state.deployment).await;
            state.tail.wake();
            tracing::debug!(
                reports = commands.len(),
                decide_us = decided_in.as_micros() as u64,
                commit_us = (started.elapsed() - decided_in).as_micros() as u64,
                "intake batch committed"
            );
            for (reply, result) in replies.into_iter().zip(results) {
                let _ = reply.send(result);
            }
        });
        let _ = turn_free.await;
        drop(turn);
        answer.await.unwrap_or_else(|_| Err(stopped()))
    }
}

fn stopped() -> CommandError {
    CommandError::Store(concord_store::StoreError::Database(
        "the intake stopped before answering".into(),
    ))
}

/// The intake shared by the server's handlers.
pub type SharedIntake = Arc<Intake>;
