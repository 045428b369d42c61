//! Many signed commands carried out together, as a server's intake receives incident
//! reports: one read of their subjects' heads (with the registry's version: the registry is
//! read again only when it moved), their seals checked as one batch, each decided (and
//! refused) on its own, the accepted ones committed in one append. Deciding and committing
//! are two steps ([`decide_many`], then [`DecidedBatch::commit`]) so that the next batch
//! can be decided while this one commits;
//! a batch decided on a state another write changed meanwhile meets a conflict at its
//! commit and is carried out again command by command, never on stale state.

use std::collections::HashSet;

use concord_core::council::{SignedCommand, State, Subject};
use concord_core::event::Event;

use crate::council::{CommandError, Deployment, Executed, execute_under, head, load, seal_of};
use crate::{Expect, Store, StoreError};

/// The answer to one command, once known.
type Answer = Result<Executed, CommandError>;

/// A batch decided and not yet committed.
pub struct DecidedBatch<'a> {
    signed: &'a [SignedCommand],
    now: time::OffsetDateTime,
    /// Answers known already (refusals), by command.
    results: Vec<Option<Answer>>,
    /// The accepted commands, by index, with their events.
    accepted: Vec<(usize, Vec<Event>)>,
    /// What the append expects of the subjects it was decided on.
    expect: Vec<Expect>,
    /// Commands whose subject or seal came earlier in the batch: carried out one by one,
    /// after the batch.
    later: Vec<usize>,
}

/// Carries out `signed` at `now`: [`decide_many`], then [`DecidedBatch::commit`]. Answers
/// in the commands' order; each is acknowledged only once committed.
pub async fn execute_many(
    store: &dyn Store,
    deployment: &Deployment,
    signed: &[SignedCommand],
    now: time::OffsetDateTime,
) -> Vec<Answer> {
    decide_many(store, deployment, signed, now)
        .await
        .commit(store, deployment)
        .await
}

/// Reads what `signed` need and decides each: nothing is written yet.
pub async fn decide_many<'a>(
    store: &dyn Store,
    deployment: &Deployment,
    signed: &'a [SignedCommand],
    now: time::OffsetDateTime,
) -> DecidedBatch<'a> {
    let mut batch = DecidedBatch {
        signed,
        now,
        results: (0..signed.len()).map(|_| None).collect(),
        accepted: Vec::new(),
        expect: Vec::new(),
        later: Vec::new(),
    };
    let subjects: Vec<Subject> = signed.iter().map(|s| s.command.subject()).collect();
    let names: Vec<String> = subjects.iter().map(Subject::name).collect();
    let seals: Vec<crate::SealId> = signed.iter().map(seal_of).collect();
    // A subject or a seal twice in one batch: the later commands go one by one, after the
    // first is in.
    let (mut named, mut sealed) = (HashSet::new(), HashSet::new());
    let first: Vec<bool> = names
        .iter()
        .zip(&seals)
        .map(|(n, s)| named.insert(n.as_str()) & sealed.insert(s))
        .collect();
    batch.later = (0..signed.len()).filter(|i| !first[*i]).collect();
    let started = std::time::Instant::now();
    let asked = Asked {
        signed,
        subjects: &subjects,
        names: &names,
        seals: &seals,
        first: &first,
    };
    let (heads, seen, registry, nodes) = match read_context(store, deployment, &asked).await {
        Ok(c) => c,
        Err(e) => {
            batch.fail((0..signed.len()).filter(|&i| first[i]), &e);
            return batch;
        }
    };
    let council = deployment.council(&registry.timeline, &registry.keys, &nodes);
    let read = started.elapsed();
    // The seals first, all at once (one batch verification): most of a report's CPU is its
    // signature check. (Splitting the batch over threads was measured slower here: a
    // thread's start costs more than half a batch's check.)
    let to_check: Vec<&SignedCommand> = signed
        .iter()
        .zip(&first)
        .filter_map(|(s, f)| f.then_some(s))
        .collect();
    let mut checked = council.authenticate_all(&to_check, now).into_iter();
    let sealed = started.elapsed();
    for (i, command) in signed.iter().enumerate() {
        if !first[i] {
            continue;
        }
        let authenticated = checked.next().expect("one answer per command checked");
        batch.expect.push(Expect {
            subject: names[i].clone(),
            last: heads[i],
        });
        // A report not yet recorded reads nothing more; anything else reads its state.
        let mut state = if new_report(&subjects[i], heads[i]) {
            State::default()
        } else {
            match read_state(store, command, &subjects[i], &mut batch.expect).await {
                Ok(state) => state,
                Err(e) => {
                    batch.results[i] = Some(Err(e));
                    continue;
                }
            }
        };
        state.sealed_before = seen[i];
        let decided =
            authenticated.and_then(|a| council.decide_authenticated(command, a, &state, now));
        match decided {
            Ok(events) => batch.accepted.push((i, events)),
            Err(e) => batch.results[i] = Some(Err(e.into())),
        }
    }
    tracing::debug!(
        commands = signed.len(),
        read_us = read.as_micros() as u64,
        seals_us = (sealed - read).as_micros() as u64,
        decide_us = (started.elapsed() - read).as_micros() as u64,
        "batch read and decided"
    );
    batch
}

/// What deciding `signed` needs: the subjects' heads, whether each seal was received
/// before, the registry (kept from the batch before while its version holds), the nodes
/// that may deliver.
///
/// A new report (its subject has no event yet) is not looked up among the seals: its seal
/// goes into the seals table with its event, whose primary key refuses a seal received
/// before; the batch then looks its seals up ([`DecidedBatch::commit`]).
/// (The look-up was the slowest of these reads on PostgreSQL: measured in BENCHMARKS.md.)
async fn read_context(
    store: &dyn Store,
    deployment: &Deployment,
    asked: &Asked<'_>,
) -> Result<Context, StoreError> {
    let Asked {
        signed,
        subjects,
        names,
        seals,
        first,
    } = *asked;
    let (heads, nodes) = tokio::try_join!(
        store.subject_heads(names),
        deployment.delivering_nodes(store, signed),
    )?;
    let registry = deployment
        .registry
        .at(store, &deployment.charter, heads.registry_version)
        .await?;
    let heads = heads.heads;
    let recorded: Vec<usize> = (0..signed.len())
        .filter(|&i| first[i] && !new_report(&subjects[i], heads[i]))
        .collect();
    let mut seen = vec![false; signed.len()];
    if !recorded.is_empty() {
        let looked: Vec<crate::SealId> = recorded.iter().map(|&i| seals[i].clone()).collect();
        for (i, was) in recorded.into_iter().zip(store.seals_seen(&looked).await?) {
            seen[i] = was;
        }
    }
    Ok((heads, seen, registry, nodes))
}

/// Whether the command on `subject`, whose latest event is `head`, reports a new incident:
/// it is decided on an empty state, and its seal is not looked up before (no seal of it
/// can have been recorded without an event on its subject; the seals' primary key is the
/// last word at the write).
fn new_report(subject: &Subject, head: Option<i64>) -> bool {
    matches!(subject, Subject::Incident(_)) && head.is_none()
}

/// A batch's commands as [`read_context`] reads for them, each list in the commands' order.
#[derive(Clone, Copy)]
struct Asked<'a> {
    signed: &'a [SignedCommand],
    subjects: &'a [Subject],
    names: &'a [String],
    seals: &'a [crate::SealId],
    /// Whether the command is the first of the batch with its subject and seal (the
    /// others go one by one, after it).
    first: &'a [bool],
}

/// What [`read_context`] answers.
type Context = (
    Vec<Option<i64>>,
    Vec<bool>,
    std::sync::Arc<crate::registry::Registry>,
    Vec<concord_core::federation::NodeRegistration>,
);

/// The state a command that is not a new report is decided on; the heads of the other
/// subjects it reads join `expect`.
async fn read_state(
    store: &dyn Store,
    command: &SignedCommand,
    subject: &Subject,
    expect: &mut Vec<Expect>,
) -> Result<State, CommandError> {
    let (state, also_read) = load(store, &command.command, subject).await?;
    for name in also_read {
        expect.push(head(store, &name).await?);
    }
    Ok(state)
}

impl DecidedBatch<'_> {
    /// Answers each of the commands at `indexes` with the failure `e`.
    fn fail(&mut self, indexes: impl IntoIterator<Item = usize>, e: &StoreError) {
        let why = e.to_string();
        for i in indexes {
            self.results[i] = Some(Err(StoreError::Database(why.clone()).into()));
        }
    }

    /// Commits the accepted commands in one append, then carries out the later ones one by
    /// one. Should the append be refused, a command whose seal was used before is refused
    /// alone and the others appended together again; should another write have changed a
    /// subject since the batch was decided, each is carried out again on its own.
    pub async fn commit(mut self, store: &dyn Store, deployment: &Deployment) -> Vec<Answer> {
        let (signed, now) = (self.signed, self.now);
        let accepted = std::mem::take(&mut self.accepted);
        let again = match self.append(store, accepted).await {
            Ok(()) => vec![],
            Err((StoreError::Conflict(why), accepted)) => {
                tracing::debug!(why, "a batch met another write or a seal used before");
                // A new report's seal was not looked up before deciding (`new_report`): if
                // the conflict is a seal used before, refuse that report at once and write
                // the others together again, rather than carry out every command alone.
                let (rest, replayed) = self.refuse_replays(store, accepted).await;
                if replayed {
                    match self.append(store, rest).await {
                        Ok(()) => vec![],
                        Err((_, rest)) => rest,
                    }
                } else {
                    rest
                }
            }
            Err((e, accepted)) => {
                self.fail(accepted.into_iter().map(|(i, _)| i), &e);
                vec![]
            }
        };
        for (i, _) in again {
            self.results[i] = Some(execute_under(store, deployment, &signed[i], now).await);
        }
        for i in self.later {
            self.results[i] = Some(execute_under(store, deployment, &signed[i], now).await);
        }
        self.results
            .into_iter()
            .map(|r| r.expect("every command is answered"))
            .collect()
    }

    /// Appends the events of `accepted` as one write, on the expectations they were
    /// decided on, and answers each; on failure, gives them back with the error.
    async fn append(
        &mut self,
        store: &dyn Store,
        accepted: Vec<(usize, Vec<Event>)>,
    ) -> Result<(), (StoreError, Vec<(usize, Vec<Event>)>)> {
        let all: Vec<Event> = accepted
            .iter()
            .flat_map(|(_, e)| e.iter().cloned())
            .collect();
        if all.is_empty() {
            return Ok(());
        }
        let last = match store.append(&all, None, &self.expect).await {
            Ok(last) => last,
            Err(e) => return Err((e, accepted)),
        };
        let mut leaf = last - all.len() as i64;
        for (i, events) in accepted {
            leaf += events.len() as i64;
            self.results[i] = Some(Ok(Executed {
                events,
                last_leaf: leaf,
            }));
        }
        Ok(())
    }

    /// Looks up the seals of `accepted`: one used before is refused as a replay (what
    /// deciding it again would answer first: its seal was checked in the batch). Returns
    /// the others, and whether any was refused. A look-up that fails refuses nothing.
    async fn refuse_replays(
        &mut self,
        store: &dyn Store,
        accepted: Vec<(usize, Vec<Event>)>,
    ) -> (Vec<(usize, Vec<Event>)>, bool) {
        let seals: Vec<crate::SealId> = accepted
            .iter()
            .map(|(i, _)| seal_of(&self.signed[*i]))
            .collect();
        let Ok(seen) = store.seals_seen(&seals).await else {
            return (accepted, false);
        };
        let mut rest = Vec::with_capacity(accepted.len());
        let mut replayed = false;
        for ((i, events), seen) in accepted.into_iter().zip(seen) {
            if seen {
                self.results[i] = Some(Err(concord_core::council::CouncilError::Replayed.into()));
                replayed = true;
            } else {
                rest.push((i, events));
            }
        }
        (rest, replayed)
    }
}
