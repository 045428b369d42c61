//! Sync: this node pulls from its peers, as its state, every log they hold that it can
//! verify, and keeps what passes every check (`concord_store::federation`). `serve`
//! pulls in the background; `concord sync pull` once, showing progress; `sync export`
//! and `sync import` carry the same pages in a file where there is no link.

pub mod file;
pub mod http;

use std::sync::Arc;
use std::time::Duration;

use concord_core::charter::Charter;
use concord_core::federation::{NodeOf, NodeRegistration};
use concord_core::keys::KeyOwner;
use concord_core::registry::MemberStatus;
use concord_core::releasability::Reader;
use concord_ledger::signature::SecretKey;
use concord_server::federation::{PeerBoard, sign_request};
use concord_server::stream::Tail;
use concord_store::Store;
use concord_store::federation::{self, Brought, FederationError, LeavesPage, MirrorHead, Receiver};

/// This node, pulling.
pub struct Syncer {
    /// Its store.
    pub store: Arc<dyn Store>,
    /// Its ledger's origin.
    pub origin: String,
    /// Whose node it is.
    pub owner: KeyOwner,
    /// Its node key (none where it only imports files).
    pub key: Option<Arc<SecretKey>>,
    /// TLS with its node key, to reach its peers.
    pub tls: Option<Arc<rustls::ClientConfig>>,
    /// On a member state's node, the secretariat's log key it trusts.
    pub anchor: Option<NodeOf>,
    /// Its charter.
    pub charter: Arc<Charter>,
    /// The live stream, to show what arrives (none on the command line).
    pub tail: Option<Arc<Tail>>,
    /// The peers' states.
    pub peers: Arc<PeerBoard>,
}

/// What one pull from one peer did, per log: leaves held before and after.
#[derive(Debug, Default)]
pub struct PullReport {
    /// (origin, held before, held after, the peer's size).
    pub logs: Vec<(String, u64, u64, u64)>,
    /// Why logs were refused.
    pub refused: Vec<String>,
    /// Logs the peer holds that this node cannot verify (no registered node).
    pub unknown: Vec<String>,
    /// Proofs of two histories the peer passed on, new here, by log.
    pub equivocations: Vec<String>,
}

impl Syncer {
    /// The node this node reads as: its state on the day (a member until the registry
    /// says otherwise), or the secretariat.
    pub async fn me(&self) -> Result<Reader, FederationError> {
        Ok(match self.owner {
            KeyOwner::Secretariat => Reader::Secretariat,
            KeyOwner::Member(code) => {
                let timeline = self.charter.timeline(self.store.status_records().await?);
                let today = time::OffsetDateTime::now_utc().date();
                let status = timeline
                    .status_on(code, today)
                    .map_or(MemberStatus::Member, |s| s.status);
                Reader::State { code, status }
            }
        })
    }

    /// The registered node whose log `origin` is: the secretariat's from the key this node
    /// trusts at its start, every other from the registry.
    pub async fn registration_of(
        &self,
        origin: &str,
    ) -> Result<Option<NodeRegistration>, FederationError> {
        Ok(self.registration_in(&self.store.nodes().await?, origin))
    }

    /// [`Syncer::registration_of`], among the registry's `nodes` read already.
    fn registration_in(
        &self,
        nodes: &[NodeRegistration],
        origin: &str,
    ) -> Option<NodeRegistration> {
        if let Some(anchor) = &self.anchor {
            let secretariat = anchor
                .secretariat_log_key
                .split('+')
                .next()
                .unwrap_or_default();
            if origin == secretariat {
                return Some(NodeRegistration {
                    owner: KeyOwner::Secretariat,
                    origin: origin.to_owned(),
                    log_key: anchor.secretariat_log_key.clone(),
                    node_key: anchor.secretariat_node_key.clone(),
                    registered_on: time::OffsetDateTime::now_utc().date(),
                });
            }
        }
        nodes
            .iter()
            .find(|n| n.origin == origin && origin != self.origin)
            .cloned()
    }

    /// Checks and keeps one page from `peer`; shows what it applied on the live stream.
    pub async fn receive(
        &self,
        peer: &str,
        log_of: &NodeRegistration,
        page: &LeavesPage,
    ) -> Result<Brought, FederationError> {
        let me = self.me().await?;
        let deployment = concord_store::council::Deployment {
            charter: self.charter.clone(),
            origin: self.origin.clone(),
            node: self.anchor.clone(),
            registry: Default::default(),
        };
        let receiver = Receiver {
            me,
            groups: &self.charter.sharing_groups,
            log_of,
            peer,
            deployment: &deployment,
        };
        let brought = federation::receive(self.store.as_ref(), &receiver, page).await?;
        if brought.delivered > 0 {
            tracing::info!(peer, origin = %page.origin, positions = brought.delivered, "recorded positions a state signed on its own node");
        }
        if let Some(tail) = &self.tail {
            for (index, event) in &brought.applied {
                let Some(entry) = index
                    .checked_sub(page.start)
                    .and_then(|i| page.leaves.get(i as usize))
                    .and_then(|l| l.entry.clone())
                else {
                    continue;
                };
                let guard = self
                    .store
                    .guards()
                    .of_event(self.store.as_ref(), event)
                    .await?;
                tail.publish_received(&page.origin, *index, event.kind(), entry, guard);
            }
        }
        Ok(brought)
    }

    /// Pulls from the peer at `url` everything new it holds of the logs this node can
    /// verify; `progress` hears (origin, held, the peer's size) after each page.
    pub async fn pull(
        &self,
        url: &str,
        progress: &mut (dyn FnMut(&str, u64, u64) + Send),
    ) -> Result<PullReport, String> {
        let url = url.trim_end_matches('/');
        let tls = self
            .tls
            .clone()
            .ok_or("pulling needs this node's node key")?;
        let mut peer = http::PeerConnection::connect(url, tls).await?;
        let peer_node: serde_json::Value = peer.get("/api/v1/federation/node", None).await?;
        let peer_key = peer.key;
        let peer_origin = peer_node["origin"].as_str().unwrap_or_default().to_owned();
        // The registry, read once for the pull, and again only when a log is not in it (the
        // secretariat's log, pulled first, may have just registered its node).
        let mut nodes = self.store.nodes().await.map_err(|e| e.to_string())?;
        // The peer is the node it says, by the key it made the connection with.
        let peer_public = self
            .registration_in(&nodes, &peer_origin)
            .and_then(|r| concord_ledger::signature::PublicKey::parse(&r.node_key).ok())
            .filter(|k| k.to_bytes() == peer_key)
            .ok_or_else(|| {
                format!(
                    "{url} says it is the node of `{peer_origin}`, but does not hold that node's registered key"
                )
            })?;
        let heads: Vec<MirrorHead> = peer.get("/api/v1/federation/checkpoints", None).await?;
        // The peer witnesses the other logs it serves: its cosignature on each checkpoint.
        let witness = concord_core::federation::cosigner_name(&peer_origin);
        let mut witnessed = 0;
        for head in heads.iter().filter(|h| h.origin != peer_origin) {
            match concord_ledger::cosignature::verify(&head.note, &witness, &peer_public) {
                Ok(Some(_)) => witnessed += 1,
                Ok(None) => {}
                Err(e) => {
                    return Err(format!("{url}: its cosignature of `{}`: {e}", head.origin));
                }
            }
        }
        self.peers.update(url, |p| {
            p.owner = peer_node["owner"].as_str().map(str::to_owned);
            p.witnessed = witnessed;
        });
        let mut report = PullReport::default();
        for head in heads {
            if head.origin == self.origin {
                continue;
            }
            if self.registration_in(&nodes, &head.origin).is_none() {
                nodes = self.store.nodes().await.map_err(|e| e.to_string())?;
            }
            let Some(log_of) = self.registration_in(&nodes, &head.origin) else {
                report.unknown.push(head.origin.clone());
                continue;
            };
            let before = self
                .store
                .mirror_size(&head.origin)
                .await
                .map_err(|e| e.to_string())?;
            let held = match self
                .pull_log(
                    &mut peer,
                    url,
                    &peer_origin,
                    &log_of,
                    &head,
                    before,
                    progress,
                )
                .await
            {
                Ok(after) => {
                    report
                        .logs
                        .push((head.origin.clone(), before, after, head.size));
                    after
                }
                Err(FederationError::Refused { reason, .. }) => {
                    self.peers.update(url, |p| p.refused += 1);
                    report.refused.push(format!("{}: {reason}", head.origin));
                    // Pages before the refused one were kept.
                    self.store
                        .mirror_size(&head.origin)
                        .await
                        .map_err(|e| e.to_string())?
                }
                Err(e) => return Err(format!("{}: {e}", head.origin)),
            };
            self.peers.update(url, |p| {
                p.logs.insert(head.origin.clone(), (held, head.size));
            });
        }
        // Proofs of two histories the peer holds: each checked with the log's key alone.
        let proofs: Vec<federation::Equivocation> =
            peer.get("/api/v1/federation/equivocations", None).await?;
        for proof in proofs {
            let Some(log_of) = self.registration_in(&nodes, &proof.origin) else {
                continue;
            };
            if federation::take_reported(self.store.as_ref(), url, &log_of, &proof)
                .await
                .map_err(|e| e.to_string())?
            {
                report.equivocations.push(proof.origin.clone());
            }
        }
        Ok(report)
    }

    /// Pulls one log from the peer at `url` (whose own log is `peer_origin`): from what
    /// this node holds, or, from the log's own node, from the first entry a forwarding
    /// node could not give, so that it is filled in.
    #[allow(clippy::too_many_arguments)]
    async fn pull_log(
        &self,
        peer: &mut http::PeerConnection,
        url: &str,
        peer_origin: &str,
        log_of: &NodeRegistration,
        head: &MirrorHead,
        held: u64,
        progress: &mut (dyn FnMut(&str, u64, u64) + Send),
    ) -> Result<u64, FederationError> {
        let from_its_node = head.origin == peer_origin;
        // From the log's own node: again from the first leaf a forwarding node gave without
        // its entry because it did not hold it (this node may read more than that node).
        let mut start = if from_its_node {
            self.store
                .mirror_first_unheld(&head.origin)
                .await?
                .map_or(held, |first| first.min(held))
        } else {
            held
        };
        if head.size <= held && start >= held {
            // Nothing new: the checkpoint must still be of the tree held here.
            let page = LeavesPage {
                origin: head.origin.clone(),
                checkpoint: head.note.clone(),
                start: held,
                leaves: vec![],
                consistency: vec![],
            };
            self.receive(url, log_of, &page).await?;
            return Ok(held);
        }
        let Some(key) = self.key.as_ref() else {
            return Err(FederationError::Unreachable("no node key".into()));
        };
        loop {
            let target = format!(
                "/api/v1/federation/leaves?{}",
                url::form_urlencoded::Serializer::new(String::new())
                    .append_pair("origin", &head.origin)
                    .append_pair("start", &start.to_string())
                    .finish()
            );
            let header = sign_request(key, &self.origin, peer_origin, &target);
            let page: LeavesPage = peer
                .get(&target, Some(header))
                .await
                .map_err(FederationError::Unreachable)?;
            let brought = self.receive(url, log_of, &page).await?;
            progress(&head.origin, brought.size, brought.checkpoint);
            start = page.start + page.leaves.len() as u64;
            if page.leaves.is_empty() || start >= brought.checkpoint {
                return Ok(brought.size);
            }
        }
    }

    /// Pulls from every peer, again and again, every `every`, noting each peer's state.
    /// Says on the log when a peer stops answering, answers again, and how much each pull
    /// brought, so that an operator sees the catch-up.
    pub async fn run(self: Arc<Self>, urls: Vec<String>, every: Duration) {
        let mut failing: std::collections::HashMap<String, String> = Default::default();
        loop {
            for url in &urls {
                let url = url.trim_end_matches('/');
                let result = self.pull(url, &mut |_, _, _| {}).await;
                let now = now();
                self.peers.update(url, |p| match &result {
                    Ok(report) => {
                        p.last_contact = Some(now.clone());
                        p.last_error = report.refused.first().cloned();
                    }
                    Err(e) => p.last_error = Some(e.clone()),
                });
                match result {
                    Err(e) => {
                        if failing.get(url) != Some(&e) {
                            tracing::warn!(peer = url, error = %e, "cannot pull from a peer; trying again");
                            failing.insert(url.to_owned(), e);
                        }
                    }
                    Ok(report) => {
                        if failing.remove(url).is_some() {
                            tracing::info!(peer = url, "the peer answers again");
                        }
                        for (origin, before, after, theirs) in &report.logs {
                            if after > before {
                                tracing::info!(peer = url, log = %origin, new = after - before, held = after, of = theirs, "pulled");
                            }
                        }
                    }
                }
            }
            tokio::time::sleep(every).await;
        }
    }
}

fn now() -> String {
    time::OffsetDateTime::now_utc()
        .replace_nanosecond(0)
        .expect("zero nanoseconds")
        .format(&time::format_description::well_known::Rfc3339)
        .expect("UTC times format")
}
