//! Re-verifying every signature the log holds, as an auditor who trusts nothing does: the
//! keys are taken from the log's own registrations, in log order, and every signed
//! position (recorded alone, and again inside each decision) is checked against the key
//! valid for that member on the day it was signed (and, for a position signed on the
//! member's own node, against that node's origin, once the log has registered the node).

use std::collections::HashMap;

use concord_ledger::signature::{PublicKey, SignatureB64, verify_batch};

use crate::consensus::SignedPosition;
use crate::council::{Command, CommandSigned, Seal};
use crate::event::Event;
use crate::federation::NodeRegistration;
use crate::keys::KeyRegistration;

/// The kinds of event that register keys or carry signatures: the audit decodes these
/// (and skips decoding the rest). [`SignatureAudit::observe`] handles exactly these.
pub const SIGNED_KINDS: [&str; 9] = [
    "ledger-named",
    "key-registered",
    "node-registered",
    "key-retired",
    "position-recorded",
    "document-decided",
    "command-signed",
    "incident-reported",
    "alert-issued",
];

/// One signature to check, with where it is in the log.
#[derive(Debug, Clone)]
pub struct SignedItem {
    /// Leaf index of the event carrying it.
    pub leaf: u64,
    /// What it is, for the report.
    pub what: String,
    /// The signed bytes.
    pub message: Vec<u8>,
    /// The signature.
    pub signature: SignatureB64,
    /// The key that must have made it.
    pub key: PublicKey,
    /// Whose key it is.
    pub owner: crate::keys::KeyOwner,
}

/// The keys registered so far in the log, to check signatures as the log goes on.
#[derive(Debug)]
pub struct SignatureAudit {
    keys: HashMap<String, (KeyRegistration, PublicKey)>,
    /// The nodes registered so far: where a member's position may have been signed.
    nodes: Vec<NodeRegistration>,
    /// The ledger's origin, which every seal names, once the log has named it.
    origin: Option<String>,
    /// Whether keys registered in the log itself count (a log that holds the registry);
    /// a member state's node's log registers nothing that others trust.
    log_registers_keys: bool,
}

impl Default for SignatureAudit {
    fn default() -> Self {
        SignatureAudit::new()
    }
}

impl SignatureAudit {
    /// An audit of a whole log that holds its own registry (this node's).
    pub fn new() -> SignatureAudit {
        SignatureAudit {
            keys: HashMap::new(),
            nodes: Vec::new(),
            origin: None,
            log_registers_keys: true,
        }
    }

    /// An audit of another node's log `origin`, with the keys and nodes of the registry
    /// this node holds; `holds_registry` for the secretariat's log, whose own registrations
    /// count.
    pub fn of_peer(
        origin: &str,
        keys: &[KeyRegistration],
        nodes: &[NodeRegistration],
        holds_registry: bool,
    ) -> SignatureAudit {
        SignatureAudit::with_registry(Some(origin.to_owned()), keys, nodes, holds_registry)
    }

    /// An audit of a member state's node's own log: its keys are registered in the
    /// secretariat's log, not in this one, so the registry this node holds (mirrored from
    /// the secretariat's) is the one its entries are checked against.
    pub fn of_member_node(keys: &[KeyRegistration], nodes: &[NodeRegistration]) -> SignatureAudit {
        SignatureAudit::with_registry(None, keys, nodes, false)
    }

    fn with_registry(
        origin: Option<String>,
        keys: &[KeyRegistration],
        nodes: &[NodeRegistration],
        log_registers_keys: bool,
    ) -> SignatureAudit {
        let mut audit = SignatureAudit {
            keys: HashMap::new(),
            nodes: nodes.to_vec(),
            origin,
            log_registers_keys,
        };
        for k in keys {
            if let Ok(public) = PublicKey::parse(&k.public_key) {
                audit.keys.insert(k.key_id.clone(), (k.clone(), public));
            }
        }
        audit
    }

    /// Takes in the event at `leaf`: registers keys, and returns the signatures it carries
    /// once their key, owner and date are checked. An error names what is wrong.
    pub fn observe(&mut self, leaf: u64, event: &Event) -> Result<Vec<SignedItem>, String> {
        match event {
            Event::LedgerNamed(name) => {
                match &self.origin {
                    Some(origin) if leaf == 1 && *origin == name.origin => {}
                    Some(origin) if leaf == 1 => {
                        return Err(format!(
                            "entry {leaf}: the log names itself `{}`, not `{origin}`",
                            name.origin
                        ));
                    }
                    Some(_) => {
                        return Err(format!("entry {leaf}: the ledger is named a second time"));
                    }
                    None => self.origin = Some(name.origin.clone()),
                }
                Ok(vec![])
            }
            Event::KeyRegistered(_) | Event::KeyRetired(_) | Event::NodeRegistered(_)
                if !self.log_registers_keys =>
            {
                Ok(vec![])
            }
            Event::NodeRegistered(n) => {
                self.nodes.retain(|held| held.origin != n.origin);
                self.nodes.push(n.clone());
                Ok(vec![])
            }
            Event::KeyRegistered(k) => {
                let public = PublicKey::parse(&k.public_key)
                    .map_err(|e| format!("entry {leaf}: key {}: {e}", k.key_id))?;
                if public.key_id() != k.key_id {
                    return Err(format!("entry {leaf}: key {} has another id", k.key_id));
                }
                self.keys.insert(k.key_id.clone(), (k.clone(), public));
                Ok(vec![])
            }
            Event::KeyRetired(r) => {
                let (k, _) = self
                    .keys
                    .get_mut(&r.key_id)
                    .ok_or_else(|| format!("entry {leaf}: retires unknown key {}", r.key_id))?;
                k.valid_until = Some(r.valid_until);
                Ok(vec![])
            }
            Event::PositionRecorded(p) => Ok(vec![self.item(leaf, p)?]),
            Event::CommandSigned(c) => Ok(vec![self.command(leaf, c)?]),
            Event::IncidentReported(i) => {
                let what = format!(
                    "entry {leaf}: incident report {} version {}",
                    i.report.id, i.report.version
                );
                let command = Command::ReportIncident(Box::new(i.report.clone()));
                Ok(vec![self.check(leaf, what, &command, &i.seal, i.on)?])
            }
            Event::AlertIssued(a) => {
                let what = format!("entry {leaf}: alert {}", a.alert.id);
                let command = Command::IssueAlert(a.alert.clone());
                let item = self.check(leaf, what.clone(), &command, &a.seal, a.at.date())?;
                let (key, _) = &self.keys[&a.seal.key];
                if key.owner != a.issuer {
                    return Err(format!(
                        "{what}: issued as {} with a key of {}",
                        a.issuer, key.owner
                    ));
                }
                Ok(vec![item])
            }
            Event::DocumentDecided(d) => d
                .ballots
                .iter()
                .filter_map(|b| b.position.as_ref())
                .map(|p| self.item(leaf, p))
                .collect(),
            _ => Ok(vec![]),
        }
    }

    fn item(&self, leaf: u64, signed: &SignedPosition) -> Result<SignedItem, String> {
        let p = &signed.position;
        let what = format!(
            "entry {leaf}: {}'s position on {} version {}",
            p.member, p.document, p.version
        );
        let command = Command::RecordPosition(p.clone());
        self.check(leaf, what, &command, &signed.seal, p.signed_on)
    }

    fn command(&self, leaf: u64, logged: &CommandSigned) -> Result<SignedItem, String> {
        let signed = &logged.command;
        let what = format!("entry {leaf}: the {} command", signed.command.action());
        self.check(leaf, what, &signed.command, &signed.seal, logged.on)
    }

    /// The signature of `command` under `seal`, received on `day`, once the key is known
    /// to be registered, to belong to someone who may sign the command, and to be valid on
    /// the day received and on the day the seal claims.
    fn check(
        &self,
        leaf: u64,
        what: String,
        command: &Command,
        seal: &Seal,
        day: time::Date,
    ) -> Result<SignedItem, String> {
        let origin = self
            .origin
            .as_deref()
            .ok_or_else(|| format!("{what}: signed before the ledger was named"))?;
        let (key, public) = self
            .keys
            .get(&seal.key)
            .ok_or_else(|| format!("{what}: key {} was never registered", seal.key))?;
        if !command.signer().allows(key.owner) {
            return Err(format!(
                "{what}: key {} belongs to {}",
                key.key_id, key.owner
            ));
        }
        let claimed = seal.moment().map_err(|e| format!("{what}: {e}"))?.date();
        for day in [day, claimed] {
            if !key.valid_on(day) {
                return Err(format!(
                    "{what}: key {} is valid {}, not on {day}",
                    key.key_id,
                    key.period()
                ));
            }
        }
        let signature = SignatureB64::parse(&seal.signature)
            .map_err(|_| format!("{what}: the signature is malformed"))?;
        let origin = crate::federation::seal_origin(origin, seal, command, &self.nodes)
            .map_err(|e| format!("{what}: {e}"))?;
        Ok(SignedItem {
            leaf,
            what,
            message: seal.message(origin, command),
            signature,
            key: *public,
            owner: key.owner,
        })
    }
}

/// Verifies `items` as one batch; if the batch fails, finds and names the first bad one.
pub fn verify_items(items: &[SignedItem]) -> Result<(), String> {
    let messages: Vec<&[u8]> = items.iter().map(|i| i.message.as_slice()).collect();
    let signatures: Vec<SignatureB64> = items.iter().map(|i| i.signature).collect();
    let keys: Vec<PublicKey> = items.iter().map(|i| i.key).collect();
    if verify_batch(&messages, &signatures, &keys).is_ok() {
        return Ok(());
    }
    for item in items {
        if concord_ledger::signature::verify_message(&item.key, &item.message, &item.signature)
            .is_err()
        {
            return Err(format!("{}: the signature does not verify", item.what));
        }
    }
    // Batch verification is stricter about edge cases than strict single verification.
    Err("a batch of signatures fails to verify".into())
}
