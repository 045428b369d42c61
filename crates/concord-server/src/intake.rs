//! The intake of incident reports: concurrent reports are carried out together. While one
//! batch is being decided and committed, the reports that arrive queue up; the next
//! request to find the intake free takes them all into one batch
//! ([`concord_store::council::execute_many`]: one read of the registry, one transaction).
//! Each report is still decided, refused and answered on its own, and only once its
//! batch is committed.

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
        // The batch runs on a task of its own, so that a client going away cannot cut it
        // short after its commit and before the others hear of it.
        let state = state.clone();
        let work = tokio::spawn(async move {
            let (commands, replies): (Vec<SignedCommand>, Vec<Reply>) = batch.into_iter().unzip();
            let results = concord_store::council::execute_many(
                state.store.as_ref(),
                &state.deployment,
                &commands,
                time::OffsetDateTime::now_utc(),
            )
            .await;
            state.tail.wake();
            tracing::debug!(reports = commands.len(), "intake batch committed");
            for (reply, result) in replies.into_iter().zip(results) {
                let _ = reply.send(result);
            }
        });
        let _ = work.await;
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
