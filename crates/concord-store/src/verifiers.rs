//! The audit's signature checks, on threads of their own while the audit reads and hashes:
//! batches of signatures go to as many verifying threads as the machine has cores (one
//! thread kept up with the reading only on a quiet machine: verifying is most of an
//! audit's work). Whichever thread checks a batch, the audit answers the first bad
//! signature in log order, as a single thread would.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::thread::JoinHandle;

use concord_core::signatures::{SignedItem, verify_items};

/// Signatures handed to a verifying thread at a time.
const SIGNATURE_BATCH: usize = 256;

/// The most verifying threads, whatever the machine.
const MAX_THREADS: usize = 4;

/// A batch with its place in log order.
type Numbered = (usize, Vec<SignedItem>);

/// What a thread found: how many it verified, or the first failing batch's number and why.
type Found = Result<u64, (usize, String)>;

/// Verifying threads fed with batches of signatures in log order.
pub(crate) struct Verifiers {
    batch: Vec<SignedItem>,
    sent: usize,
    to_threads: Option<mpsc::SyncSender<Numbered>>,
    /// The number of the first batch found failing (`usize::MAX` while none has).
    first_failed: Arc<AtomicUsize>,
    threads: Vec<JoinHandle<Found>>,
}

impl Verifiers {
    /// Starts one verifying thread a core (at most [`MAX_THREADS`]).
    pub(crate) fn start() -> Verifiers {
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        Verifiers::with_threads(cores.clamp(1, MAX_THREADS))
    }

    fn with_threads(count: usize) -> Verifiers {
        let (tx, rx) = mpsc::sync_channel::<Numbered>(4 * count);
        let rx = Arc::new(Mutex::new(rx));
        let first_failed = Arc::new(AtomicUsize::new(usize::MAX));
        let threads = (0..count)
            .map(|_| {
                let rx = rx.clone();
                let first_failed = first_failed.clone();
                std::thread::Builder::new()
                    .name("concord-verify".into())
                    .spawn(move || verify_until_closed(&rx, &first_failed))
                    .expect("a thread can be started")
            })
            .collect();
        Verifiers {
            batch: Vec::with_capacity(SIGNATURE_BATCH),
            sent: 0,
            to_threads: Some(tx),
            first_failed,
            threads,
        }
    }

    /// Queues items; false once a signature was found failing (the audit may stop
    /// reading: [`Verifiers::finish`] says which).
    pub(crate) fn push(&mut self, items: Vec<SignedItem>) -> bool {
        self.batch.extend(items);
        if self.batch.len() >= SIGNATURE_BATCH {
            let full = std::mem::replace(&mut self.batch, Vec::with_capacity(SIGNATURE_BATCH));
            self.send(full);
        }
        self.first_failed.load(Ordering::Acquire) == usize::MAX
    }

    fn send(&mut self, batch: Vec<SignedItem>) {
        if let Some(tx) = &self.to_threads {
            // The threads stop only when the channel closes or one crashed: `finish` tells.
            let _ = tx.send((self.sent, batch));
            self.sent += 1;
        }
    }

    /// Checks what is left and waits for every thread: how many signatures were verified,
    /// or why the first bad one (in log order) fails.
    pub(crate) fn finish(mut self) -> Result<u64, String> {
        let rest = std::mem::take(&mut self.batch);
        if !rest.is_empty() {
            self.send(rest);
        }
        self.to_threads = None;
        let mut verified = 0;
        let mut first: Option<(usize, String)> = None;
        for thread in self.threads.drain(..) {
            match thread.join() {
                Ok(Ok(count)) => verified += count,
                Ok(Err((number, why))) => {
                    if first.as_ref().is_none_or(|(n, _)| number < *n) {
                        first = Some((number, why));
                    }
                }
                Err(_) => return Err("a signature verifier crashed".into()),
            }
        }
        match first {
            Some((_, why)) => Err(why),
            None => Ok(verified),
        }
    }
}

/// One verifying thread: takes batches until the channel closes. A batch after one found
/// failing is skipped; one before it is still checked, so that the first failure in log
/// order is the one answered.
fn verify_until_closed(rx: &Mutex<mpsc::Receiver<Numbered>>, first_failed: &AtomicUsize) -> Found {
    let mut verified = 0;
    let mut failed: Option<(usize, String)> = None;
    loop {
        let next = rx
            .lock()
            .map_err(|_| (0, "a verifier crashed".to_owned()))?
            .recv();
        let Ok((number, batch)) = next else { break };
        if number > first_failed.load(Ordering::Acquire) {
            continue;
        }
        match verify_items(&batch) {
            Ok(()) => verified += batch.len() as u64,
            Err(why) => {
                first_failed.fetch_min(number, Ordering::AcqRel);
                if failed.as_ref().is_none_or(|(n, _)| number < *n) {
                    failed = Some((number, why));
                }
            }
        }
    }
    match failed {
        Some(f) => Err(f),
        None => Ok(verified),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use concord_core::keys::KeyOwner;
    use concord_ledger::signature::SecretKey;

    /// `count` signed items, those at `forged` signed with another key.
    fn items(count: usize, forged: &[usize]) -> Vec<SignedItem> {
        let (key, other) = (SecretKey::generate(), SecretKey::generate());
        (0..count)
            .map(|i| {
                let message = format!("item {i}").into_bytes();
                let signer = if forged.contains(&i) { &other } else { &key };
                SignedItem {
                    leaf: i as u64,
                    what: format!("item {i}"),
                    signature: signer.sign_message(&message),
                    message,
                    key: key.public(),
                    owner: KeyOwner::Secretariat,
                }
            })
            .collect()
    }

    fn verify(threads: usize, items: Vec<SignedItem>, chunk: usize) -> Result<u64, String> {
        let mut verifiers = Verifiers::with_threads(threads);
        let mut items = items.into_iter().peekable();
        while items.peek().is_some() {
            let part: Vec<SignedItem> = items.by_ref().take(chunk).collect();
            if !verifiers.push(part) {
                break;
            }
        }
        verifiers.finish()
    }

    #[test]
    fn every_signature_is_counted_once_whatever_the_threads() {
        for threads in [1, 2, 3] {
            assert_eq!(verify(threads, items(2_000, &[]), 7), Ok(2_000));
        }
    }

    #[test]
    fn the_first_forged_signature_in_log_order_is_answered() {
        // Forged signatures in many batches: the first, in batch 3, is named, whichever
        // thread checks which batch first.
        let forged = [900, 1_300, 1_301, 1_799];
        for threads in [1, 2, 4] {
            for _ in 0..5 {
                assert_eq!(
                    verify(threads, items(2_000, &forged), 13),
                    Err("item 900: the signature does not verify".into()),
                    "{threads} threads"
                );
            }
        }
    }

    #[test]
    fn a_forged_signature_in_the_last_partial_batch_is_found() {
        assert_eq!(
            verify(2, items(300, &[299]), 300),
            Err("item 299: the signature does not verify".into())
        );
    }
}
