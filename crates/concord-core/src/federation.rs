//! The federation: each member state's crisis centre runs its own node, with its own
//! ledger, and the secretariat runs the organisation's. This module states, without I/O,
//! who a node is, how a node proves it is asking for itself, and what a node takes from
//! another node's log into its own read tables.
//!
//! - A node is registered in the organisation's registry ([`NodeRegistration`], on the
//!   secretariat's ledger like a member's key): whose it is, its ledger's origin, the key
//!   that signs its checkpoints and the key it signs its requests with.
//! - A national node's ledger names its state and the secretariat's log key at its start
//!   ([`NodeOf`]): the one thing it trusts before it has the registry.
//! - What a node applies from a peer's log is decided by [`taken_from`], an exhaustive
//!   match: the registry and the council's record only from the secretariat's log, a
//!   state's own signed reports and alerts from that state's log, accounts and tokens from
//!   nobody.

use serde::{Deserialize, Serialize};
use time::Date;

use crate::code::MemberCode;
use crate::date;
use crate::event::Event;
use crate::keys::KeyOwner;

/// A node of the federation, as the registry holds it.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NodeRegistration {
    /// Whose node it is: a member state's crisis centre, or the secretariat's.
    pub owner: KeyOwner,
    /// Its ledger's origin: the first line of its checkpoints and what its seals name.
    pub origin: String,
    /// The C2SP verifier key of its checkpoints (`<origin>+<id>+<key>`).
    pub log_key: String,
    /// The Ed25519 public key (base64) it signs its requests to other nodes with.
    pub node_key: String,
    /// The day it was registered.
    #[serde(with = "date::day")]
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date))]
    pub registered_on: Date,
}

impl NodeRegistration {
    /// Whether the registration is well formed for `charter`: its owner is the
    /// secretariat or one of the charter's states, its log key is a verifier key named by
    /// its origin, and its node key an Ed25519 key.
    pub fn check(&self, charter: &crate::charter::Charter) -> Result<(), String> {
        if let KeyOwner::Member(code) = self.owner
            && !charter.members.iter().any(|m| m.code == code)
        {
            return Err(format!("{code} is not a state of the charter"));
        }
        let named = concord_ledger::checkpoint::verifier_origin(&self.log_key)
            .map_err(|e| format!("the log key: {e}"))?;
        if named != self.origin {
            return Err(format!(
                "the log key is named `{named}`, not the origin `{}`",
                self.origin
            ));
        }
        concord_ledger::signature::PublicKey::parse(&self.node_key)
            .map_err(|e| format!("the node key: {e}"))?;
        Ok(())
    }
}

/// What a national node's ledger states at its start, beside its origin: whose node it is,
/// and the secretariat's log key, which it trusts to bring it the registry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NodeOf {
    /// The member state whose crisis centre runs the node.
    pub state: MemberCode,
    /// The C2SP verifier key of the secretariat's log.
    pub secretariat_log_key: String,
    /// The secretariat's node key (base64), which its node presents over TLS.
    pub secretariat_node_key: String,
}

/// What a node does with an entry of a peer's log that it may read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Taken {
    /// Applied to the read tables: it shows in lists, the map and the stream.
    Applied,
    /// Compared with the node's own copy (the charter): a difference stops the sync.
    Compared,
    /// Kept in the mirror of that log only (for proofs and forwarding), never applied.
    Kept,
    /// A state's position, signed on its own node: the secretariat's node records it in its
    /// own ledger through the council (which checks it as it checks any position); any
    /// other node keeps it, and applies the secretariat's record of it instead.
    Delivered,
}

/// What a node takes from an entry of the log of `origin_owner`'s node. Exhaustive on
/// purpose: a new kind of event does not compile until it says.
///
/// The registry (statuses, keys, nodes) and the council's record are the secretariat's:
/// a national log that carries them is kept, never applied, so that no state can register
/// a key or a node, or record a decision, through its own node. A state's log is applied
/// for what that state signs itself: its incident reports and its alerts, each checked
/// against the state's key before it is kept; its positions on the council's documents are
/// delivered to the secretariat, whose ledger holds the council's record. Accounts and
/// tokens belong to the node that issued them and are applied by no other.
pub fn taken_from(origin_owner: KeyOwner, event: &Event) -> Taken {
    let secretariat = origin_owner == KeyOwner::Secretariat;
    let own = |signer: KeyOwner| signer == origin_owner;
    let applied_if = |yes: bool| if yes { Taken::Applied } else { Taken::Kept };
    match event {
        Event::CharterAdopted(_) => {
            if secretariat {
                Taken::Compared
            } else {
                Taken::Kept
            }
        }
        Event::LedgerNamed(_)
        | Event::AccountChanged(_)
        | Event::TokenIssued(_)
        | Event::TokenRevoked(_)
        | Event::CommandSigned(_) => Taken::Kept,
        Event::IncidentReported(i) => applied_if(own(KeyOwner::Member(i.report.reporter))),
        Event::AlertIssued(a) => applied_if(own(a.issuer)),
        Event::PositionRecorded(p) => {
            if secretariat {
                Taken::Applied
            } else if own(KeyOwner::Member(p.position.member)) {
                Taken::Delivered
            } else {
                Taken::Kept
            }
        }
        Event::SourceCited(_)
        | Event::StatusRecorded(_)
        | Event::SessionRecorded(_)
        | Event::DocumentRecorded(_)
        | Event::AppointmentRecorded(_)
        | Event::ChairmanshipStated(_)
        | Event::ExerciseYearRecorded(_)
        | Event::ExerciseRecorded(_)
        | Event::ProgrammeRecorded(_)
        | Event::OperationRecorded(_)
        | Event::KeyRegistered(_)
        | Event::KeyRetired(_)
        | Event::NodeRegistered(_)
        | Event::AgendaItemAdded(_)
        | Event::AttendanceRecorded(_)
        | Event::VersionRecorded(_)
        | Event::VersionCirculated(_)
        | Event::DocumentDecided(_)
        | Event::AssistanceRequested(_)
        | Event::ForcesPledged(_)
        | Event::DeploymentStepped(_)
        | Event::SituationChanged(_)
        | Event::ProgrammeItemAdded(_)
        | Event::ProgressReported(_)
        | Event::BudgetSet(_)
        | Event::PaymentRecorded(_)
        | Event::QuotaApportioned(_)
        | Event::QuotaPostRenounced(_)
        | Event::QuotaPostFilled(_)
        | Event::PriorityLinked(_)
        | Event::AnnualReportSubmitted(_) => applied_if(secretariat),
    }
}

/// The origin a seal's signature names: the recording ledger's `ledger`, or, for a
/// member's position signed on its own node, that node's origin, once `nodes` (the
/// registry) shows the node is the member's. Nothing else may be signed for another
/// ledger: a seal made for one deployment is good in no other.
pub fn seal_origin<'a>(
    ledger: &'a str,
    seal: &'a crate::council::Seal,
    command: &crate::council::Command,
    nodes: &[NodeRegistration],
) -> Result<&'a str, String> {
    let Some(origin) = seal.node_origin.as_deref() else {
        return Ok(ledger);
    };
    let crate::council::Command::RecordPosition(p) = command else {
        return Err(format!(
            "the seal names the ledger `{origin}`: only a position may be signed on a member state's own node"
        ));
    };
    let member = KeyOwner::Member(p.member);
    if nodes
        .iter()
        .any(|n| n.owner == member && n.origin == origin)
    {
        Ok(origin)
    } else {
        Err(format!(
            "the seal names the ledger `{origin}`, which is no node the registry holds for {}",
            p.member
        ))
    }
}

/// The name a node cosigns other logs' checkpoints under (C2SP tlog-cosignature): its own
/// ledger's origin, as a witness.
pub fn cosigner_name(origin: &str) -> String {
    format!("{origin}/witness")
}

/// The context every node request signature starts with.
pub const REQUEST_CONTEXT: &str = "concord-sync-v1";

/// The bytes a node signs to ask another node for `target` (path and query) at `issued_at`
/// (RFC 3339, UTC): its own origin and the receiving node's, so a request made of one node
/// cannot be replayed to another.
pub fn request_message(from: &str, to: &str, target: &str, issued_at: &str) -> Vec<u8> {
    format!("{REQUEST_CONTEXT}\n{from}\n{to}\n{target}\n{issued_at}\n").into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::KeyRegistration;

    fn key_event() -> Event {
        Event::KeyRegistered(KeyRegistration {
            key_id: "00".into(),
            owner: KeyOwner::Member("KAZ".parse().unwrap()),
            public_key: String::new(),
            valid_from: time::macros::date!(2024 - 01 - 01),
            valid_until: None,
            demo: false,
        })
    }

    #[test]
    fn the_registry_is_taken_from_the_secretariat_only() {
        let kaz = KeyOwner::Member("KAZ".parse().unwrap());
        assert_eq!(
            taken_from(KeyOwner::Secretariat, &key_event()),
            Taken::Applied
        );
        assert_eq!(taken_from(kaz, &key_event()), Taken::Kept);
    }

    #[test]
    fn accounts_are_taken_from_nobody() {
        let account = Event::TokenRevoked(crate::tokens::TokenRevocation {
            id: "t".into(),
            on: time::macros::date!(2026 - 01 - 01),
        });
        assert_eq!(taken_from(KeyOwner::Secretariat, &account), Taken::Kept);
    }

    fn position_seal(
        member: &str,
        node_origin: Option<&str>,
    ) -> (crate::council::Seal, crate::council::Command) {
        let command = crate::council::Command::RecordPosition(crate::consensus::Position {
            document: "d-1".parse().unwrap(),
            version: 1,
            hash: "00".into(),
            member: member.parse().unwrap(),
            stance: crate::consensus::Stance::Agree,
            reason: None,
            signatory: None,
            signed_on: time::macros::date!(2026 - 01 - 01),
        });
        let seal = crate::council::Seal {
            key: "k".into(),
            issued_at: "2026-01-01T00:00:00Z".into(),
            nonce: "n".repeat(22),
            signature: String::new(),
            node_origin: node_origin.map(str::to_owned),
        };
        (seal, command)
    }

    fn node(owner: &str, origin: &str) -> NodeRegistration {
        NodeRegistration {
            owner: owner.parse().unwrap(),
            origin: origin.into(),
            log_key: String::new(),
            node_key: String::new(),
            registered_on: time::macros::date!(2026 - 01 - 01),
        }
    }

    #[test]
    fn a_seal_names_another_ledger_only_for_a_position_on_the_members_own_node() {
        let nodes = [node("KAZ", "kaz/ledger"), node("KGZ", "kgz/ledger")];
        let (seal, command) = position_seal("KAZ", None);
        assert_eq!(
            seal_origin("org/ledger", &seal, &command, &nodes),
            Ok("org/ledger")
        );
        let (seal, command) = position_seal("KAZ", Some("kaz/ledger"));
        assert_eq!(
            seal_origin("org/ledger", &seal, &command, &nodes),
            Ok("kaz/ledger")
        );
        // Another state's node, an unregistered one, or no registry at all: refused.
        let (seal, command) = position_seal("KAZ", Some("kgz/ledger"));
        assert!(seal_origin("org/ledger", &seal, &command, &nodes).is_err());
        let (seal, command) = position_seal("KAZ", Some("elsewhere/ledger"));
        assert!(seal_origin("org/ledger", &seal, &command, &nodes).is_err());
        let (seal, command) = position_seal("KAZ", Some("kaz/ledger"));
        assert!(seal_origin("org/ledger", &seal, &command, &[]).is_err());
        // Any other command: refused, even on the signer's node.
        let mut seal = seal;
        seal.node_origin = Some("kaz/ledger".into());
        let circulate = crate::council::Command::Circulate(crate::council::Circulate {
            document: "d-1".parse().unwrap(),
            version: 1,
        });
        assert!(seal_origin("org/ledger", &seal, &circulate, &nodes).is_err());
    }

    #[test]
    fn a_states_positions_are_delivered_from_its_own_log_only() {
        let kaz = KeyOwner::Member("KAZ".parse().unwrap());
        let kgz = KeyOwner::Member("KGZ".parse().unwrap());
        let (seal, command) = position_seal("KAZ", None);
        let crate::council::Command::RecordPosition(position) = command else {
            unreachable!()
        };
        let event = Event::PositionRecorded(crate::consensus::SignedPosition { position, seal });
        assert_eq!(taken_from(kaz, &event), Taken::Delivered);
        assert_eq!(taken_from(kgz, &event), Taken::Kept);
        assert_eq!(taken_from(KeyOwner::Secretariat, &event), Taken::Applied);
    }

    #[test]
    fn request_messages_name_both_nodes() {
        let a = request_message("a/ledger", "b/ledger", "/x", "2026-01-01T00:00:00Z");
        let b = request_message("a/ledger", "c/ledger", "/x", "2026-01-01T00:00:00Z");
        assert_ne!(a, b);
        assert!(a.starts_with(b"concord-sync-v1\n"));
    }
}
