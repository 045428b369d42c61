//! The bundle of a decided document: everything needed to check, offline, that the text
//! was decided as recorded, signed by the members, and is in the ledger.
//!
//! A bundle is written as RFC 8785 canonical JSON, so every byte of it is meaningful:
//! [`verify`] checks the text's hash, every signature against the keys the verifier holds,
//! the rule applied to the recorded facts, the ledger entry's inclusion proof and the
//! log's signed checkpoint.

use concord_ledger::checkpoint;
use concord_ledger::entry::leaf_hash;
use concord_ledger::proof::InclusionProof;
use concord_ledger::signature::{PublicKey, SignatureB64};
use serde::{Deserialize, Serialize};

use crate::council::{Command, Decision, Version, recheck};
use crate::event::Event;
use crate::keys::{KeyOwner, KeyRegistration};

/// The format name written in every bundle.
pub const FORMAT: &str = "concord-document-bundle/1";

/// A decided document with its proofs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Bundle {
    /// [`FORMAT`].
    pub format: String,
    /// The version decided: type, title, text.
    pub version: Version,
    /// The ledger entry recording the decision, exactly as logged (its canonical JSON is
    /// the leaf data).
    pub entry: serde_json::Value,
    /// Proof that the entry is a leaf of the log at the checkpoint.
    pub proof: InclusionProof,
    /// The log's signed checkpoint (C2SP signed note).
    pub checkpoint: String,
    /// The log's verifier key, as the log published it.
    pub log_key: String,
}

/// What the verifier trusts: the keys it holds, obtained apart from the bundle.
#[derive(Debug, Clone, Default)]
pub struct TrustedKeys {
    /// Registered member and secretariat keys.
    pub keys: Vec<KeyRegistration>,
    /// The log's verifier key.
    pub log_key: Option<String>,
    /// The federation's registered nodes: a member's position signed on its own node
    /// names that node's ledger, which must be the member's.
    pub nodes: Vec<crate::federation::NodeRegistration>,
}

/// One failed check: where in the bundle, and what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// The part of the bundle (`version`, `entry`, `ballots[KGZ].signature`, `proof`...).
    pub at: String,
    /// What is wrong.
    pub what: String,
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.at, self.what)
    }
}

/// What a verified bundle establishes.
#[derive(Debug, Clone, PartialEq)]
pub struct Verified {
    /// The decision.
    pub decision: Decision,
    /// How many member signatures were checked.
    pub signatures: usize,
    /// The leaf index and tree size of the proof.
    pub leaf: (u64, u64),
}

/// Checks every part of `bundle` against `trusted`; on failure, lists every failed check.
pub fn verify(bundle: &Bundle, trusted: &TrustedKeys) -> Result<Verified, Vec<Failure>> {
    let mut failures = Vec::new();
    let fail = |failures: &mut Vec<Failure>, at: &str, what: String| {
        failures.push(Failure {
            at: at.to_owned(),
            what,
        })
    };
    if bundle.format != FORMAT {
        fail(
            &mut failures,
            "format",
            format!("expected `{FORMAT}`, found `{}`", bundle.format),
        );
    }
    // The ledger: entry → leaf hash → inclusion proof → signed checkpoint.
    let data = concord_ledger::canonical::to_vec(&bundle.entry);
    if leaf_hash(&data) != bundle.proof.leaf_hash.0 {
        fail(
            &mut failures,
            "entry",
            "its hash is not the leaf hash the proof proves: the entry was altered".into(),
        );
    }
    if bundle.entry.get("index").and_then(|i| i.as_u64()) != Some(bundle.proof.index) {
        fail(
            &mut failures,
            "proof.index",
            "does not match the entry's index".into(),
        );
    }
    if let Err(e) = bundle.proof.verify() {
        fail(&mut failures, "proof", e.to_string());
    }
    // The deployment every seal must name: the origin of the checkpoint, once verified.
    let mut origin: Option<String> = None;
    match &trusted.log_key {
        None => fail(
            &mut failures,
            "checkpoint",
            "no log key is trusted: give the log's verifier key".into(),
        ),
        Some(key) => {
            if key != &bundle.log_key {
                fail(
                    &mut failures,
                    "log_key",
                    "differs from the log key the verifier holds".into(),
                );
            }
            match checkpoint::verify(&bundle.checkpoint, key) {
                Err(e) => fail(&mut failures, "checkpoint", e.to_string()),
                Ok(c) => {
                    origin = Some(c.origin.clone());
                    if c.size != bundle.proof.tree_size || c.root != bundle.proof.root_hash.0 {
                        fail(
                            &mut failures,
                            "checkpoint",
                            format!(
                                "signed for {} leaves with another root than the proof's",
                                c.size
                            ),
                        );
                    }
                }
            }
        }
    }
    // The decision inside the entry.
    let decision = match bundle
        .entry
        .get("event")
        .cloned()
        .map(serde_json::from_value::<Event>)
    {
        Some(Ok(Event::DocumentDecided(d))) => *d,
        Some(Ok(other)) => {
            fail(
                &mut failures,
                "entry.event",
                format!("is `{}`, not a decision", other.kind()),
            );
            return Err(failures);
        }
        Some(Err(e)) => {
            fail(&mut failures, "entry.event", format!("unreadable: {e}"));
            return Err(failures);
        }
        None => {
            fail(&mut failures, "entry.event", "missing".into());
            return Err(failures);
        }
    };
    // The text.
    let hash = bundle.version.hash();
    if hash != decision.hash
        || bundle.version.document != decision.document
        || bundle.version.number != decision.version
    {
        fail(
            &mut failures,
            "version",
            format!(
                "the text hashes to {hash}, but the decision is on {} version {} with hash {}",
                decision.document, decision.version, decision.hash
            ),
        );
    }
    // Each signature, with the keys the verifier holds.
    let mut signatures = 0;
    for ballot in &decision.ballots {
        let Some(signed) = &ballot.position else {
            continue;
        };
        let at = format!("entry.event.ballots[{}]", ballot.member);
        let p = &signed.position;
        if p.member != ballot.member
            || p.document != decision.document
            || p.version != decision.version
            || p.hash != decision.hash
        {
            fail(
                &mut failures,
                &at,
                "the position is for another member, document or version".into(),
            );
            continue;
        }
        let Some(key) = trusted.keys.iter().find(|k| k.key_id == signed.seal.key) else {
            fail(
                &mut failures,
                &at,
                format!("key {} is not among the trusted keys", signed.seal.key),
            );
            continue;
        };
        if key.owner != KeyOwner::Member(ballot.member) {
            fail(
                &mut failures,
                &at,
                format!("key {} belongs to {}", key.key_id, key.owner),
            );
            continue;
        }
        if !key.valid_on(p.signed_on) {
            fail(
                &mut failures,
                &at,
                format!(
                    "key {} is valid {}, not on {}",
                    key.key_id,
                    key.period(),
                    p.signed_on
                ),
            );
            continue;
        }
        let Some(origin) = &origin else {
            fail(
                &mut failures,
                &format!("{at}.seal"),
                "cannot be checked without a verified checkpoint naming the ledger".into(),
            );
            continue;
        };
        let claimed = signed.seal.moment().map(|m| m.date());
        if claimed != Ok(p.signed_on) {
            fail(
                &mut failures,
                &format!("{at}.seal.issued_at"),
                format!("is not on the day the position says ({})", p.signed_on),
            );
            continue;
        }
        let command = Command::RecordPosition(p.clone());
        let origin =
            match crate::federation::seal_origin(origin, &signed.seal, &command, &trusted.nodes) {
                Ok(o) => o,
                Err(e) => {
                    fail(&mut failures, &format!("{at}.seal.node_origin"), e);
                    continue;
                }
            };
        let checked = PublicKey::parse(&key.public_key).and_then(|public| {
            let sig = SignatureB64::parse(&signed.seal.signature)?;
            public.verify_command(&signed.seal.signable(origin, &command), &sig)
        });
        match checked {
            Ok(()) => signatures += 1,
            Err(e) => fail(
                &mut failures,
                &format!("{at}.seal.signature"),
                e.to_string(),
            ),
        }
    }
    // The rule, applied again to the recorded facts.
    if let Err(e) = recheck(&decision) {
        fail(&mut failures, "entry.event.outcome", e);
    }
    if failures.is_empty() {
        Ok(Verified {
            decision,
            signatures,
            leaf: (bundle.proof.index, bundle.proof.tree_size),
        })
    } else {
        Err(failures)
    }
}
