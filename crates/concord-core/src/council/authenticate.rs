//! Checking seals: the signature over the command and this deployment's origin (or, for a
//! position, its member's registered node), the moment and the nonce, by a registered key
//! valid both on the day received and on the day claimed, of a signer whose status lets it
//! act on both days.
//!
//! Many seals are checked together, as a server's intake receives them: each key is read
//! once, and the signatures are verified as one batch (one by one only when the batch
//! fails, to find which). A refusal names the same rule, in the same order of checks, as
//! when a seal is checked alone.

use std::collections::HashMap;

use concord_ledger::signature::{PublicKey, SignatureB64, verify_batch_strict, verify_message};
use time::Date;

use super::{CLOCK_SKEW, Command, Council, CouncilError, SignedCommand};
use crate::keys::{KeyOwner, KeyRegistration};
use crate::registry::MemberStatus;

/// A command whose seal the council has checked: who signed it, and the signature checked
/// (so that it is good for that command only). Only [`Council::authenticate_all`] makes
/// one, so a command cannot be decided unchecked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authenticated {
    owner: KeyOwner,
    signature: String,
}

impl Authenticated {
    /// The owner of the key that signed `signed`, if this is the check of its seal.
    pub fn owner_of(&self, signed: &SignedCommand) -> Option<KeyOwner> {
        (signed.seal.signature == self.signature).then_some(self.owner)
    }
}

/// A seal read and found registered, its signature still to verify.
struct Pending<'k> {
    key: &'k KeyRegistration,
    public: PublicKey,
    signature: SignatureB64,
    message: Vec<u8>,
}

impl Council<'_> {
    /// Checks the seal of each of `signed` at `now`; answers in their order.
    pub fn authenticate_all(
        &self,
        signed: &[&SignedCommand],
        now: time::OffsetDateTime,
    ) -> Vec<Result<Authenticated, CouncilError>> {
        let mut parsed: HashMap<&str, PublicKey> = HashMap::new();
        let read: Vec<Result<Pending<'_>, CouncilError>> = signed
            .iter()
            .map(|s| self.read_seal(s, &mut parsed))
            .collect();
        let verified = verify_all(&read);
        signed
            .iter()
            .zip(read)
            .zip(verified)
            .map(|((s, pending), good)| {
                let pending = pending?;
                if !good {
                    return Err(CouncilError::BadSignature(s.seal.key.clone()));
                }
                self.check_moment(s, pending.key, now)
            })
            .collect()
    }

    /// The registered key, the signature, and the bytes it must cover (with the origin the
    /// seal may name).
    fn read_seal<'k>(
        &'k self,
        signed: &SignedCommand,
        parsed: &mut HashMap<&'k str, PublicKey>,
    ) -> Result<Pending<'k>, CouncilError> {
        let seal = &signed.seal;
        let key = self
            .keys
            .iter()
            .find(|k| k.key_id == seal.key)
            .ok_or_else(|| CouncilError::UnknownKey(seal.key.clone()))?;
        let public = match parsed.get(key.key_id.as_str()) {
            Some(public) => *public,
            None => {
                let public = PublicKey::parse(&key.public_key)
                    .map_err(|_| CouncilError::UnknownKey(seal.key.clone()))?;
                parsed.insert(&key.key_id, public);
                public
            }
        };
        let signature = SignatureB64::parse(&seal.signature)
            .map_err(|_| CouncilError::BadSignature(seal.key.clone()))?;
        let origin = crate::federation::seal_origin(self.origin, seal, &signed.command, self.nodes)
            .map_err(CouncilError::OtherLedger)?;
        Ok(Pending {
            key,
            public,
            signature,
            message: seal.message(origin, &signed.command),
        })
    }

    /// Everything after the signature: the nonce's shape, a moment no later than now (give
    /// or take [`CLOCK_SKEW`]), a position's day, the key and the signer on both days.
    fn check_moment(
        &self,
        signed: &SignedCommand,
        key: &KeyRegistration,
        now: time::OffsetDateTime,
    ) -> Result<Authenticated, CouncilError> {
        let seal = &signed.seal;
        seal.check_nonce()?;
        let issued_at = seal.moment()?;
        if issued_at > now + CLOCK_SKEW {
            return Err(CouncilError::FutureDate {
                issued_at: seal.issued_at.clone(),
                now: now
                    .format(&time::format_description::well_known::Rfc3339)
                    .unwrap_or_default(),
                skew: CLOCK_SKEW.whole_seconds(),
            });
        }
        let claimed = issued_at.date();
        if let Command::RecordPosition(p) = &signed.command
            && p.signed_on != claimed
        {
            return Err(CouncilError::DayMismatch {
                signed_on: p.signed_on,
                issued_on: claimed,
            });
        }
        for day in [now.date(), claimed] {
            if !key.valid_on(day) {
                return Err(CouncilError::KeyNotValid {
                    key: key.key_id.clone(),
                    owner: key.owner,
                    period: key.period(),
                    day,
                });
            }
            if let KeyOwner::Member(member) = key.owner {
                self.may_act(member, day)?;
            }
        }
        Ok(Authenticated {
            owner: key.owner,
            signature: seal.signature.clone(),
        })
    }

    /// Whether `member` may sign anything on `day`: only a member state acts (a frozen or
    /// suspended member files, requests, pledges and agrees nothing).
    fn may_act(&self, member: crate::code::MemberCode, day: Date) -> Result<(), CouncilError> {
        let status = self
            .timeline
            .status_on(member, day)
            .ok_or(CouncilError::UnknownState(member, day))?
            .status;
        match status {
            MemberStatus::Member => Ok(()),
            MemberStatus::Frozen => Err(CouncilError::FrozenMember { member, day }),
            other => Err(CouncilError::NotActing {
                member,
                status: other.as_str(),
                day,
            }),
        }
    }
}

/// Whether each read seal's signature verifies (false for those not read): one batch, then
/// one by one only if the batch fails.
fn verify_all(read: &[Result<Pending<'_>, CouncilError>]) -> Vec<bool> {
    let pending: Vec<&Pending<'_>> = read.iter().filter_map(|r| r.as_ref().ok()).collect();
    let batch_holds = pending.len() > 1 && {
        let messages: Vec<&[u8]> = pending.iter().map(|p| p.message.as_slice()).collect();
        let signatures: Vec<SignatureB64> = pending.iter().map(|p| p.signature).collect();
        let keys: Vec<PublicKey> = pending.iter().map(|p| p.public).collect();
        verify_batch_strict(&messages, &signatures, &keys).is_ok()
    };
    read.iter()
        .map(|r| match r {
            Ok(p) => batch_holds || verify_message(&p.public, &p.message, &p.signature).is_ok(),
            Err(_) => false,
        })
        .collect()
}
