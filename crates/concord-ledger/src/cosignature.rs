//! C2SP tlog-cosignature/v1 (Ed25519): a node's signed statement that, as of a time, the
//! largest consistent tree it has seen of another node's log has the checkpoint's root.
//! Nodes cosign the checkpoints they serve of the logs they mirror, so a log that shows two
//! histories must show them to witnesses that say what they saw.
//!
//! Written here: `signed_note` 0.2 verifies and writes notes but has no cosignature type.
//! The format is the specification's: a note signature line `— <name> base64(key ID ‖
//! timestamp ‖ signature)`, key ID = SHA-256(name ‖ "\n" ‖ 0x04 ‖ public key)[:4], over
//! `cosignature/v1\ntime <timestamp>\n` and the checkpoint's body.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use sha2::{Digest, Sha256};

use crate::LedgerError;
use crate::signature::{PublicKey, SecretKey, SignatureB64, verify_message};

/// The signature type byte of an Ed25519 cosignature/v1.
const ALGORITHM: u8 = 0x04;

/// The cosigner's key ID: the first 4 bytes of SHA-256(name ‖ "\n" ‖ 0x04 ‖ key).
pub fn key_id(name: &str, public: &PublicKey) -> [u8; 4] {
    let mut h = Sha256::new();
    h.update(name.as_bytes());
    h.update(b"\n");
    h.update([ALGORITHM]);
    h.update(public.to_bytes());
    let digest = h.finalize();
    [digest[0], digest[1], digest[2], digest[3]]
}

/// The body of a signed note: its text up to and including the line before the blank line
/// that starts the signatures.
pub fn body(note: &str) -> Result<&str, LedgerError> {
    note.find("\n\n").map(|i| &note[..=i]).ok_or_else(|| {
        LedgerError::Checkpoint("a signed note has a blank line before its signatures".into())
    })
}

fn message(timestamp: u64, body: &str) -> Vec<u8> {
    format!("cosignature/v1\ntime {timestamp}\n{body}").into_bytes()
}

/// The cosignature line of `name` (with `secret`) on the note `note` at `timestamp`
/// (seconds since the epoch), ending with a newline: append it to the note.
pub fn cosign(
    secret: &SecretKey,
    name: &str,
    note: &str,
    timestamp: u64,
) -> Result<String, LedgerError> {
    let body = body(note)?;
    let signature = secret.sign_message(&message(timestamp, body));
    let mut blob = key_id(name, &secret.public()).to_vec();
    blob.extend_from_slice(&timestamp.to_be_bytes());
    blob.extend_from_slice(&signature.0.to_bytes());
    Ok(format!("— {name} {}\n", STANDARD.encode(blob)))
}

/// The cosignature of `name` with `public` on `note`, if the note carries one: its
/// timestamp once it verifies. `Ok(None)` if the note has no line of that name and key.
pub fn verify(note: &str, name: &str, public: &PublicKey) -> Result<Option<u64>, LedgerError> {
    let body = body(note)?;
    let id = key_id(name, public);
    let prefix = format!("— {name} ");
    for line in note[body.len()..].lines() {
        let Some(b64) = line.strip_prefix(&prefix) else {
            continue;
        };
        let Ok(blob) = STANDARD.decode(b64.trim()) else {
            continue;
        };
        if blob.len() != 4 + 8 + 64 || blob[..4] != id {
            continue;
        }
        let timestamp = u64::from_be_bytes(blob[4..12].try_into().expect("8 bytes"));
        let signature = SignatureB64::parse(&STANDARD.encode(&blob[12..]))?;
        verify_message(public, &message(timestamp, body), &signature).map_err(|_| {
            LedgerError::Checkpoint(format!("the cosignature of {name} does not verify"))
        })?;
        return Ok(Some(timestamp));
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checkpoint::{self, LogKey};

    fn note() -> (LogKey, String) {
        let (key, _) = LogKey::generate("example.org/log").unwrap();
        let note = key.sign(5, tlog_tiles::Hash([3; 32])).unwrap();
        (key, note)
    }

    #[test]
    fn a_cosigned_checkpoint_still_verifies_and_its_cosignature_too() {
        let (key, note) = note();
        let witness = SecretKey::generate();
        let line = cosign(&witness, "example.org/witness", &note, 1_700_000_000).unwrap();
        let cosigned = format!("{note}{line}");
        checkpoint::verify(&cosigned, key.verifier_key()).unwrap();
        assert_eq!(
            verify(&cosigned, "example.org/witness", &witness.public()).unwrap(),
            Some(1_700_000_000)
        );
        // Another witness's key: no line of it.
        let other = SecretKey::generate();
        assert_eq!(
            verify(&cosigned, "example.org/witness", &other.public()).unwrap(),
            None
        );
    }

    #[test]
    fn a_cosignature_moved_to_another_checkpoint_fails() {
        let (key, first) = note();
        let other = key.sign(6, tlog_tiles::Hash([3; 32])).unwrap();
        let witness = SecretKey::generate();
        let line = cosign(&witness, "w", &first, 7).unwrap();
        let moved = format!("{other}{line}");
        assert!(verify(&moved, "w", &witness.public()).is_err());
    }

    #[test]
    fn the_key_id_is_the_specifications() {
        // SHA-256("w\n" ‖ 0x04 ‖ key)[:4], computed apart.
        let witness = SecretKey::generate();
        let mut input = b"w\n".to_vec();
        input.push(4);
        input.extend_from_slice(&witness.public().to_bytes());
        let digest = Sha256::digest(&input);
        assert_eq!(key_id("w", &witness.public()), digest[..4]);
    }
}
