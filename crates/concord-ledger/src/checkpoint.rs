//! Signed checkpoints: the log's size and root as a C2SP tlog-checkpoint, signed as a C2SP
//! signed note with the log's Ed25519 key. Member nodes keep them and compare.

use signed_note::{Note, StandardSigner, StandardVerifier, VerifierList};
use tlog_tiles::{Checkpoint, Hash};

use crate::LedgerError;

/// The log's signing key. Its secret form is written once, to a file only its owner reads.
pub struct LogKey {
    signer: StandardSigner,
    origin: String,
    verifier_key: String,
    /// The last checkpoint signed: a tree asked for again (every public request for the
    /// checkpoint while nothing is appended) is answered without signing again.
    last: std::sync::Mutex<Option<(u64, Hash, String)>>,
}

impl std::fmt::Debug for LogKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print the secret.
        f.debug_struct("LogKey")
            .field("verifier_key", &self.verifier_key)
            .finish_non_exhaustive()
    }
}

impl LogKey {
    /// A new key for the log named `origin`; returns it with its secret text
    /// (`PRIVATE+KEY+…`), to be stored sealed.
    pub fn generate(origin: &str) -> Result<(LogKey, String), LedgerError> {
        if !signed_note::is_key_name_valid(origin) {
            return Err(LedgerError::Key(format!(
                "`{origin}` cannot name a key (no spaces or `+`)"
            )));
        }
        let (secret, verifier_key) = signed_note::generate_key(&mut rand_core::OsRng, origin);
        let key = LogKey::from_secret(&secret)?;
        debug_assert_eq!(key.verifier_key, verifier_key);
        Ok((key, secret))
    }

    /// The key from its secret text.
    pub fn from_secret(secret: &str) -> Result<LogKey, LedgerError> {
        let secret = secret.trim();
        let signer = StandardSigner::new(secret).map_err(|e| LedgerError::Key(e.to_string()))?;
        // PRIVATE+KEY+<name>+<id>+<key>: derive the public half for the verifier key.
        // The base64 field may itself contain `+`: split from the left.
        let b64 = secret.splitn(5, '+').nth(4).unwrap_or_default();
        let bytes = base64::Engine::decode(&base64::engine::general_purpose::STANDARD, b64)
            .map_err(|e| LedgerError::Key(e.to_string()))?;
        let seed: [u8; 32] = bytes
            .get(1..)
            .and_then(|b| b.try_into().ok())
            .ok_or_else(|| LedgerError::Key("not an Ed25519 key".into()))?;
        let public = ed25519_dalek::SigningKey::from_bytes(&seed).verifying_key();
        let origin = signed_note::Signer::name(&signer).to_owned();
        let verifier_key = signed_note::new_ed25519_verifier_key(&origin, &public);
        Ok(LogKey {
            signer,
            origin,
            verifier_key,
            last: std::sync::Mutex::new(None),
        })
    }

    /// The log's name: the checkpoint's first line and the key's name.
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// The public verifier key (`<origin>+<id>+<key>`), to publish.
    pub fn verifier_key(&self) -> &str {
        &self.verifier_key
    }

    /// A signed checkpoint of the tree of `size` leaves with root `root`.
    pub fn sign(&self, size: u64, root: Hash) -> Result<String, LedgerError> {
        let mut last = self
            .last
            .lock()
            .expect("the last note's lock is never poisoned");
        if let Some((s, r, note)) = last.as_ref()
            && *s == size
            && *r == root
        {
            return Ok(note.clone());
        }
        let note = self.sign_anew(size, root)?;
        *last = Some((size, root, note.clone()));
        Ok(note)
    }

    fn sign_anew(&self, size: u64, root: Hash) -> Result<String, LedgerError> {
        let checkpoint = Checkpoint::new(&self.origin, size, root, "")
            .map_err(|e| LedgerError::Checkpoint(e.to_string()))?;
        let mut note = Note::new(&checkpoint.to_bytes(), &[])
            .map_err(|e| LedgerError::Checkpoint(e.to_string()))?;
        note.add_sigs(&[&self.signer])
            .map_err(|e| LedgerError::Checkpoint(e.to_string()))?;
        String::from_utf8(note.to_bytes()).map_err(|e| LedgerError::Checkpoint(e.to_string()))
    }
}

/// The name (the log's origin) of a well-formed Ed25519 verifier key.
pub fn verifier_origin(verifier_key: &str) -> Result<String, LedgerError> {
    let verifier =
        StandardVerifier::new(verifier_key).map_err(|e| LedgerError::Key(e.to_string()))?;
    Ok(signed_note::Verifier::name(&verifier).to_owned())
}

/// A checkpoint whose signature verified.
#[derive(Debug, Clone, PartialEq)]
pub struct VerifiedCheckpoint {
    /// The log's name.
    pub origin: String,
    /// Tree size.
    pub size: u64,
    /// Root hash.
    pub root: Hash,
}

/// Verifies a signed checkpoint against the log's verifier key.
pub fn verify(signed: &str, verifier_key: &str) -> Result<VerifiedCheckpoint, LedgerError> {
    let verifier =
        StandardVerifier::new(verifier_key).map_err(|e| LedgerError::Key(e.to_string()))?;
    let note =
        Note::from_bytes(signed.as_bytes()).map_err(|e| LedgerError::Checkpoint(e.to_string()))?;
    note.verify(&VerifierList::new(vec![Box::new(verifier)]))
        .map_err(|e| LedgerError::Checkpoint(e.to_string()))?;
    let checkpoint =
        Checkpoint::from_bytes(note.text()).map_err(|e| LedgerError::Checkpoint(e.to_string()))?;
    Ok(VerifiedCheckpoint {
        origin: checkpoint.origin().to_owned(),
        size: checkpoint.size(),
        root: *checkpoint.hash(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tree_asked_for_again_gets_the_note_signed_before_and_a_new_tree_a_new_one() {
        let (key, _) = LogKey::generate("example.org/log").unwrap();
        let root = Hash([7; 32]);
        let first = key.sign(10, root).unwrap();
        assert_eq!(key.sign(10, root).unwrap(), first);
        let grown = key.sign(11, Hash([8; 32])).unwrap();
        assert_ne!(grown, first);
        let verified = verify(&grown, key.verifier_key()).unwrap();
        assert_eq!((verified.size, verified.root), (11, Hash([8; 32])));
        // Back to the first tree: signed anew, the same bytes (Ed25519 is deterministic).
        assert_eq!(key.sign(10, root).unwrap(), first);
    }
}
