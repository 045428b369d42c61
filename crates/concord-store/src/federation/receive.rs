//! Receiving a page of another node's log: nothing is kept before every check passes, in
//! this order — the checkpoint's signature; the checkpoint and the leaves against what is
//! held; each entry against its leaf, its index and its signatures; what this node's own
//! state may read; the tree against the checkpoint; the charter. A failure is refused and
//! recorded with its evidence. On the secretariat's node, a state's positions signed on
//! its own node are then recorded through the council's one write path ([`deliver`]).

use concord_core::access::Guard;
use concord_core::consensus::SignedPosition;
use concord_core::council::{Command, CouncilError, SignedCommand};
use concord_core::event::Event;
use concord_core::federation::{NodeRegistration, Taken, taken_from};
use concord_core::keys::KeyOwner;
use concord_core::releasability::{Reader, SharingGroup};
use concord_core::signatures::{SignatureAudit, SignedItem, verify_items};
use concord_ledger::checkpoint::{self, VerifiedCheckpoint};
use concord_ledger::entry::{Entry, leaf_hash};
use concord_ledger::log::{self, KnownHashes};
use concord_ledger::proof::{B64, ConsistencyProof};

use super::{
    FederationError, LeavesPage, MirrorHead, MirrorLeaf, Received, Refusal, compute_mirror,
    equivocation_evidence, now,
};
use crate::council::{CommandError, Deployment, execute_under};
use crate::{Hash, Store, StoreError};

/// Who receives: this node's reader (its state on the day, or the secretariat), its
/// charter's sharing groups, and the node that owns the log being received.
pub struct Receiver<'a> {
    /// This node, reading.
    pub me: Reader,
    /// The sharing groups in force.
    pub groups: &'a [SharingGroup],
    /// The node whose log it is.
    pub log_of: &'a NodeRegistration,
    /// Where the page came from, for the record.
    pub peer: &'a str,
    /// This node's deployment: its charter, which the secretariat's must equal, and whose
    /// node it is (the secretariat's records the positions states deliver).
    pub deployment: &'a Deployment,
}

/// What a checked page brought.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Brought {
    /// Leaves added.
    pub leaves: u64,
    /// Entries applied to the read tables, by leaf index.
    pub applied: Vec<(u64, Event)>,
    /// Positions a state signed on its own node, recorded here in this node's ledger.
    pub delivered: u64,
    /// The mirrored log's size afterwards.
    pub size: u64,
    /// The checkpoint's size: more to fetch while `size < checkpoint`.
    pub checkpoint: u64,
}

/// Checks `page` and keeps it, or refuses it (recording why, with the evidence).
pub async fn receive(
    store: &dyn Store,
    receiver: &Receiver<'_>,
    page: &LeavesPage,
) -> Result<Brought, FederationError> {
    match check(store, receiver, page).await {
        Ok((received, delivered, checkpoint)) => {
            // Delivered before the mirror keeps the page: should this node stop in
            // between, the page comes again and each position is refused as a replay.
            let delivered = deliver(store, receiver, delivered).await?;
            if !received.leaves.is_empty() {
                store.receive(&received).await?;
            }
            Ok(Brought {
                leaves: received.leaves.len() as u64,
                applied: received.applied,
                delivered,
                size: store.mirror_size(&page.origin).await?,
                checkpoint,
            })
        }
        Err(Check::Failed(error)) => Err(error),
        Err(Check::Refused { reason, evidence }) => {
            let refusal = Refusal {
                at: now(),
                peer: receiver.peer.to_owned(),
                origin: page.origin.clone(),
                reason: reason.clone(),
                evidence,
            };
            store.record_refusal(&refusal).await?;
            tracing::warn!(peer = receiver.peer, origin = %page.origin, %reason, "refused what a peer sent");
            Err(FederationError::Refused {
                peer: receiver.peer.to_owned(),
                reason,
            })
        }
    }
}

/// A check's failure: refused (the peer's fault, recorded), or this node's own.
enum Check {
    Refused { reason: String, evidence: String },
    Failed(FederationError),
}

impl<E: Into<FederationError>> From<E> for Check {
    fn from(e: E) -> Self {
        Check::Failed(e.into())
    }
}

fn refuse<T>(reason: impl Into<String>, evidence: impl Into<String>) -> Result<T, Check> {
    Err(Check::Refused {
        reason: reason.into(),
        evidence: evidence.into(),
    })
}

/// Every check, in order; what to keep, the positions to deliver, and the checkpoint's
/// size.
async fn check(
    store: &dyn Store,
    receiver: &Receiver<'_>,
    page: &LeavesPage,
) -> Result<(Received, Vec<SignedPosition>, u64), Check> {
    let origin = receiver.log_of.origin.as_str();
    let signed = signed_checkpoint(receiver, page)?;
    let held = store.mirror_size(origin).await?;
    let mut known = KnownHashes::new();
    let held_leaves = against_held(store, page, &signed, held, &mut known).await?;
    let (parsed, signed_items) = read_entries(store, receiver, page).await?;
    let (leaves, events) = to_keep(store, receiver, page, parsed, &held_leaves).await?;
    if let Err(why) = verify_items(&signed_items) {
        return refuse(why, "");
    }
    let hashes = grow_tree(store, page, &signed, held, &leaves, &mut known).await?;
    let (applied, delivered) = applied(receiver, events)?;
    let end = page.start + page.leaves.len() as u64;
    let received = Received {
        origin: origin.to_owned(),
        leaves,
        hashes,
        head: (end == signed.size && end >= held).then(|| MirrorHead {
            origin: origin.to_owned(),
            size: signed.size,
            note: page.checkpoint.clone(),
        }),
        applied,
        received_at: now(),
    };
    Ok((received, delivered, signed.size))
}

/// The page's checkpoint, signed by the registered key of the log asked for.
fn signed_checkpoint(
    receiver: &Receiver<'_>,
    page: &LeavesPage,
) -> Result<VerifiedCheckpoint, Check> {
    let origin = receiver.log_of.origin.as_str();
    if page.origin != origin {
        return refuse(
            format!("asked for the log `{origin}`, sent `{}`", page.origin),
            "",
        );
    }
    match checkpoint::verify(&page.checkpoint, &receiver.log_of.log_key) {
        Ok(c) if c.origin == origin => Ok(c),
        Ok(c) => refuse(format!("a checkpoint of `{}`", c.origin), &page.checkpoint),
        Err(e) => refuse(
            format!("the checkpoint is not signed by the log's registered key: {e}"),
            &page.checkpoint,
        ),
    }
}

/// The page against the `held` leaves: no gap, no leaf past the checkpoint, a checkpoint of
/// a size held with the root held (else two histories), and leaves held coming back
/// unchanged (else a rewritten history). Returns the held leaves the page covers again.
async fn against_held(
    store: &dyn Store,
    page: &LeavesPage,
    signed: &VerifiedCheckpoint,
    held: u64,
    known: &mut KnownHashes,
) -> Result<Vec<MirrorLeaf>, Check> {
    let origin = page.origin.as_str();
    let end = page.start + page.leaves.len() as u64;
    if page.start > held {
        return refuse(
            format!(
                "sent leaves from {} when {held} are held here: a gap",
                page.start
            ),
            "",
        );
    }
    // (A page without leaves only shows a checkpoint, which may be older than what is held.)
    if !page.leaves.is_empty() && end > signed.size {
        return refuse(
            format!(
                "sent leaves {}..{end} with a checkpoint of size {}",
                page.start, signed.size
            ),
            &page.checkpoint,
        );
    }
    if signed.size <= held {
        let root = compute_mirror(store, origin, known, |k| log::root(k, signed.size)).await?;
        if root != signed.root {
            return refuse(
                format!(
                    "two histories: a signed checkpoint of size {} whose root differs from the tree held here",
                    signed.size
                ),
                equivocation_evidence(store, origin, &page.checkpoint, signed.size).await?,
            );
        }
    } else if page.leaves.is_empty() {
        return refuse(
            format!(
                "sent no leaves with a checkpoint of size {} ({held} held here)",
                signed.size
            ),
            &page.checkpoint,
        );
    }
    // Leaves held already may come again (from the log's own node, with entries a
    // forwarding node could not give): each must be the leaf held.
    let overlap_end = end.min(held);
    let held_leaves = if page.start < overlap_end {
        store.mirror_leaves(origin, page.start, overlap_end).await?
    } else {
        vec![]
    };
    for (wire, mine) in page.leaves.iter().zip(&held_leaves) {
        if wire.leaf_hash.0 != mine.leaf_hash {
            return refuse(
                format!(
                    "leaf {} differs from the one held here: a rewritten history",
                    mine.index
                ),
                &page.checkpoint,
            );
        }
    }
    Ok(held_leaves)
}

/// Every entry given, read: it hashes to its leaf, says its index, and carries signatures
/// by keys the registry holds for their day (a state's log registers no key that counts).
/// All are read before any is judged: what later ones follow may be in the same page.
async fn read_entries(
    store: &dyn Store,
    receiver: &Receiver<'_>,
    page: &LeavesPage,
) -> Result<(Vec<Option<Event>>, Vec<SignedItem>), Check> {
    let (keys, nodes) = tokio::try_join!(store.keys(), store.nodes())?;
    let mut audit = SignatureAudit::of_peer(
        &page.origin,
        &keys,
        &nodes,
        receiver.log_of.owner == KeyOwner::Secretariat,
    );
    let mut parsed = Vec::with_capacity(page.leaves.len());
    let mut signed_items = Vec::new();
    for (offset, wire) in page.leaves.iter().enumerate() {
        let index = page.start + offset as u64;
        let Some(body) = &wire.entry else {
            parsed.push(None);
            continue;
        };
        let evidence = || sent(body, &page.checkpoint);
        if leaf_hash(body.as_bytes()) != wire.leaf_hash.0 {
            return refuse(
                format!("entry {index} does not hash to its leaf: forged or altered"),
                evidence(),
            );
        }
        let entry: Entry<Event> = match serde_json::from_str(body) {
            Ok(e) => e,
            Err(e) => return refuse(format!("entry {index} is not an event: {e}"), evidence()),
        };
        if entry.index != index {
            return refuse(
                format!("entry {index} says it is entry {}", entry.index),
                evidence(),
            );
        }
        match audit.observe(index, &entry.event) {
            Ok(items) => signed_items.extend(items),
            Err(why) => return refuse(why, evidence()),
        }
        parsed.push(Some(entry.event));
    }
    Ok((parsed, signed_items))
}

/// The leaves to keep, and the events among them this node's state may read. An entry it
/// may not read is kept as its hash only, even if the sender gave it; a leaf held already
/// is kept again only to fill in its entry, or to mark that the log's own node withholds
/// it.
async fn to_keep(
    store: &dyn Store,
    receiver: &Receiver<'_>,
    page: &LeavesPage,
    parsed: Vec<Option<Event>>,
    held_leaves: &[MirrorLeaf],
) -> Result<(Vec<MirrorLeaf>, Vec<(u64, Event)>), Check> {
    let in_page = InPage::of(parsed.iter().flatten());
    let mut leaves = Vec::with_capacity(page.leaves.len());
    let mut events = Vec::new();
    for (offset, (wire, event)) in page.leaves.iter().zip(parsed).enumerate() {
        let index = page.start + offset as u64;
        let held = held_leaves.get(offset);
        if held.is_some_and(|l| l.entry.is_some()) {
            // Held with its entry already, and applied then.
            continue;
        }
        let mut entry = None;
        if let Some(event) = event {
            let guard = in_page.guard(store, &event).await?;
            if crate::access::permits(&guard, &receiver.me, receiver.groups) {
                entry = wire.entry.clone();
                events.push((index, event));
            } else {
                tracing::warn!(origin = %page.origin, index, "a peer sent an entry this node may not read: kept as its hash");
            }
        }
        // Without its entry: to ask again only if the sender did not hold it.
        let unheld = entry.is_none() && wire.entry.is_none() && wire.unheld;
        if let Some(mine) = held
            && entry.is_none()
            && (!mine.unheld || unheld)
        {
            // Held without its entry, and nothing learnt.
            continue;
        }
        leaves.push(MirrorLeaf {
            index,
            leaf_hash: wire.leaf_hash.0,
            entry,
            unheld,
        });
    }
    Ok((leaves, events))
}

/// The stored hashes the new leaves add to the tree held, once the grown tree is shown to
/// be the checkpoint's (its root, or a consistency proof to it).
async fn grow_tree(
    store: &dyn Store,
    page: &LeavesPage,
    signed: &VerifiedCheckpoint,
    held: u64,
    leaves: &[MirrorLeaf],
    known: &mut KnownHashes,
) -> Result<Vec<(u64, Hash)>, Check> {
    let origin = page.origin.as_str();
    let end = page.start + page.leaves.len() as u64;
    let mut hashes = Vec::new();
    for leaf in leaves.iter().filter(|l| l.index >= held) {
        let pairs = compute_mirror(store, origin, known, |k| {
            log::append(k, leaf.index, leaf.leaf_hash)
        })
        .await?;
        known.extend(pairs.iter().copied());
        hashes.extend(pairs);
    }
    if end <= held {
        return Ok(hashes);
    }
    let root = compute_mirror(store, origin, known, |k| log::root(k, end)).await?;
    let reaches = if end == signed.size {
        root == signed.root
    } else {
        ConsistencyProof {
            from_size: end,
            to_size: signed.size,
            from_root: B64(root),
            to_root: B64(signed.root),
            path: page.consistency.clone(),
        }
        .verify()
        .is_ok()
    };
    if !reaches {
        return refuse(
            format!(
                "the leaves {}..{end} do not make the tree of the signed checkpoint (size {}): a rewritten history or a forged entry",
                page.start, signed.size
            ),
            &page.checkpoint,
        );
    }
    Ok(hashes)
}

/// Events to apply to the read tables, by leaf index.
type Applied = Vec<(u64, Event)>;

/// The events to apply to the read tables, and the positions to deliver: what the log's
/// owner may state ([`taken_from`]); the secretariat's charter must be this node's.
fn applied(
    receiver: &Receiver<'_>,
    events: Vec<(u64, Event)>,
) -> Result<(Applied, Vec<SignedPosition>), Check> {
    let deployment = receiver.deployment;
    let mut applied = Vec::new();
    let mut delivered = Vec::new();
    for (index, event) in events {
        match taken_from(receiver.log_of.owner, &event) {
            // The secretariat's record of a position signed on this very node: applied
            // here already, from this node's own ledger.
            Taken::Applied
                if matches!(&event, Event::PositionRecorded(p)
                    if p.seal.node_origin.as_deref() == Some(deployment.origin.as_str())) => {}
            Taken::Applied => applied.push((index, event)),
            Taken::Delivered => {
                if let (None, Event::PositionRecorded(p)) = (&deployment.node, event) {
                    delivered.push(p);
                }
            }
            Taken::Compared => {
                if let Event::CharterAdopted(charter) = &event
                    && **charter != *deployment.charter
                {
                    return refuse(
                        "the secretariat's charter differs from this node's: initialise the node with the organisation's charter",
                        "",
                    );
                }
            }
            Taken::Kept => {}
        }
    }
    Ok((applied, delivered))
}

/// Records each position a state signed on its own node (the log received) in this node's
/// ledger, through the council's write path, as if it had been submitted here: the seal
/// now names the node it was signed on. A position the council refuses (the version was
/// superseded, the document decided meanwhile...) is recorded as a refusal; one recorded
/// already is a replay and passes in silence. Returns how many were recorded.
async fn deliver(
    store: &dyn Store,
    receiver: &Receiver<'_>,
    positions: Vec<SignedPosition>,
) -> Result<u64, FederationError> {
    let mut recorded = 0;
    for SignedPosition { position, mut seal } in positions {
        seal.node_origin = Some(receiver.log_of.origin.clone());
        let what = format!(
            "{}'s position on {} version {}",
            position.member, position.document, position.version
        );
        let signed = SignedCommand {
            command: Command::RecordPosition(position),
            seal,
        };
        match execute_under(
            store,
            receiver.deployment,
            &signed,
            crate::projection::now(),
        )
        .await
        {
            Ok(_) => recorded += 1,
            Err(CommandError::Council(CouncilError::Replayed)) => {}
            Err(CommandError::Council(refused)) => {
                let refusal = Refusal {
                    at: now(),
                    peer: receiver.peer.to_owned(),
                    origin: receiver.log_of.origin.clone(),
                    reason: format!("{what} was not recorded: {refused}"),
                    evidence: String::new(),
                };
                tracing::warn!(peer = receiver.peer, reason = %refusal.reason, "a delivered position refused");
                store.record_refusal(&refusal).await?;
            }
            Err(e) => return Err(Box::new(e).into()),
        }
    }
    Ok(recorded)
}

/// The evidence of a refused entry: the checkpoint it came under and the entry's SHA-256,
/// never its text (a peer that sends what it should not must not put it on this disk).
fn sent(body: &str, checkpoint: &str) -> String {
    use sha2::Digest;
    format!(
        "entry sha256 {}\nunder checkpoint:\n{checkpoint}",
        hex::encode(sha2::Sha256::digest(body.as_bytes()))
    )
}

/// The sessions and documents a page brings, so that the entries after them in the page
/// resolve their guards before anything is stored.
struct InPage {
    sessions: std::collections::HashMap<String, Guard>,
    documents: std::collections::HashMap<String, String>,
}

impl InPage {
    fn of<'a>(events: impl Iterator<Item = &'a Event>) -> InPage {
        let mut in_page = InPage {
            sessions: Default::default(),
            documents: Default::default(),
        };
        for event in events {
            match event {
                Event::SessionRecorded(s) => {
                    in_page
                        .sessions
                        .insert(s.id.to_string(), concord_core::access::of_session(s));
                }
                Event::DocumentRecorded(d) => {
                    in_page
                        .documents
                        .insert(d.id.to_string(), d.session.to_string());
                }
                _ => {}
            }
        }
        in_page
    }

    async fn of_session(&self, store: &dyn Store, id: &str) -> Result<Guard, StoreError> {
        match self.sessions.get(id) {
            Some(g) => Ok(g.clone()),
            None => store.guards().of_session(store, id).await,
        }
    }

    /// The guard of `event`, from this page where it says, else from the store.
    async fn guard(&self, store: &dyn Store, event: &Event) -> Result<Guard, StoreError> {
        use concord_core::access::{Rule, rule};
        match rule(event) {
            Rule::Is(g) => Ok(g),
            Rule::OfSession(id) => self.of_session(store, id.as_str()).await,
            Rule::OfDocument(id) => match self.documents.get(id.as_str()) {
                Some(session) => self.of_session(store, session).await,
                None => store.guards().of_document(store, id.as_str()).await,
            },
        }
    }
}
