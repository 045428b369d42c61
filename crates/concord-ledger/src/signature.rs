//! Ed25519 keys of member delegations and of the secretariat, and the signatures they make
//! over Concord's commands.
//!
//! A signature always covers a domain-separation prefix and the RFC 8785 canonical form of
//! what is signed, so the same bytes can never be replayed as another kind of statement.
//! Verification is `verify_strict` (no malleable or small-order keys); audits verify in
//! batches.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::{LedgerError, canonical};

/// What every signed command starts with; the version of the signing scheme.
pub const COMMAND_CONTEXT: &[u8] = b"concord-command-v2\n";

/// The first line of a secret key file.
const SECRET_HEADER: &str = "CONCORD ED25519 SECRET KEY";

/// A private signing key. Its secret never appears in `Debug` output or logs.
pub struct SecretKey {
    key: SigningKey,
}

impl std::fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SecretKey")
            .field("key_id", &self.public().key_id())
            .finish_non_exhaustive()
    }
}

impl SecretKey {
    /// A new random key from the operating system's generator.
    pub fn generate() -> SecretKey {
        SecretKey {
            key: SigningKey::generate(&mut rand_core::OsRng),
        }
    }

    /// The public half.
    pub fn public(&self) -> PublicKey {
        PublicKey(self.key.verifying_key())
    }

    /// Signs `value` as a command: the context prefix, then its canonical JSON.
    pub fn sign_command<T: Serialize>(&self, value: &T) -> SignatureB64 {
        SignatureB64(self.key.sign(&command_message(value)))
    }

    /// The 32-byte seed, for a TLS library that takes the key as PKCS #8. Never log it.
    pub fn seed_bytes(&self) -> [u8; 32] {
        self.key.to_bytes()
    }

    /// Signs raw bytes (a message that carries its own context, such as a node's request).
    pub fn sign_message(&self, message: &[u8]) -> SignatureB64 {
        SignatureB64(self.key.sign(message))
    }

    /// The key file text: a header naming the owner, then the 32-byte seed in base64.
    pub fn to_file_text(&self, owner: &str) -> String {
        format!(
            "{SECRET_HEADER}\nowner: {owner}\nkey-id: {}\n{}\n",
            self.public().key_id(),
            STANDARD.encode(self.key.to_bytes())
        )
    }

    /// Reads a key file written by [`SecretKey::to_file_text`]; returns the key and its
    /// owner.
    pub fn from_file_text(text: &str) -> Result<(SecretKey, String), LedgerError> {
        let mut lines = text.lines();
        if lines.next() != Some(SECRET_HEADER) {
            return Err(LedgerError::Key(format!(
                "not a Concord secret key (its first line must be `{SECRET_HEADER}`)"
            )));
        }
        let owner = lines
            .next()
            .and_then(|l| l.strip_prefix("owner: "))
            .ok_or_else(|| LedgerError::Key("the key file has no `owner:` line".into()))?
            .trim()
            .to_owned();
        let key_id = lines
            .next()
            .and_then(|l| l.strip_prefix("key-id: "))
            .ok_or_else(|| LedgerError::Key("the key file has no `key-id:` line".into()))?
            .trim()
            .to_owned();
        let seed = lines
            .next()
            .ok_or_else(|| LedgerError::Key("the key file has no key".into()))?;
        let bytes: [u8; 32] = STANDARD
            .decode(seed.trim())
            .ok()
            .and_then(|b| b.try_into().ok())
            .ok_or_else(|| LedgerError::Key("the key is not 32 bytes of base64".into()))?;
        let key = SecretKey {
            key: SigningKey::from_bytes(&bytes),
        };
        if key.public().key_id() != key_id {
            return Err(LedgerError::Key(format!(
                "the key file says key-id {key_id} but holds key {}",
                key.public().key_id()
            )));
        }
        Ok((key, owner))
    }
}

/// A public Ed25519 key, written as base64.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PublicKey(VerifyingKey);

impl PublicKey {
    /// Parses a base64 public key, refusing weak (small-order) keys.
    pub fn parse(b64: &str) -> Result<PublicKey, LedgerError> {
        let bytes: [u8; 32] = STANDARD
            .decode(b64.trim())
            .ok()
            .and_then(|b| b.try_into().ok())
            .ok_or_else(|| LedgerError::Key("a public key is 32 bytes of base64".into()))?;
        let key = VerifyingKey::from_bytes(&bytes)
            .map_err(|_| LedgerError::Key("not a point on Ed25519".into()))?;
        if key.is_weak() {
            return Err(LedgerError::Key(
                "a weak (small-order) key is refused".into(),
            ));
        }
        Ok(PublicKey(key))
    }

    /// The key's 32 bytes.
    pub fn to_bytes(&self) -> [u8; 32] {
        self.0.to_bytes()
    }

    /// The base64 form.
    pub fn to_b64(&self) -> String {
        STANDARD.encode(self.0.as_bytes())
    }

    /// The key's short identifier: the first 8 bytes of SHA-256 of the key, in hex.
    pub fn key_id(&self) -> String {
        let digest = Sha256::digest(self.0.as_bytes());
        digest[..8].iter().map(|b| format!("{b:02x}")).collect()
    }

    /// Checks a command signature (strictly).
    pub fn verify_command<T: Serialize>(
        &self,
        value: &T,
        signature: &SignatureB64,
    ) -> Result<(), LedgerError> {
        self.0
            .verify_strict(&command_message(value), &signature.0)
            .map_err(|_| LedgerError::BadSignature)
    }
}

/// An Ed25519 signature, written as base64.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SignatureB64(pub Signature);

impl SignatureB64 {
    /// Parses base64 signature text.
    pub fn parse(b64: &str) -> Result<SignatureB64, LedgerError> {
        let bytes: [u8; 64] = STANDARD
            .decode(b64.trim())
            .ok()
            .and_then(|b| b.try_into().ok())
            .ok_or(LedgerError::BadSignature)?;
        Ok(SignatureB64(Signature::from_bytes(&bytes)))
    }

    /// The base64 form.
    pub fn to_b64(&self) -> String {
        STANDARD.encode(self.0.to_bytes())
    }
}

impl Serialize for SignatureB64 {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_b64())
    }
}

impl<'de> serde::Deserialize<'de> for SignatureB64 {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        SignatureB64::parse(&s)
            .map_err(|_| serde::de::Error::custom("a signature is 64 bytes of base64"))
    }
}

/// The bytes a command signature covers.
pub fn command_message<T: Serialize>(value: &T) -> Vec<u8> {
    let mut message = COMMAND_CONTEXT.to_vec();
    message.extend_from_slice(&canonical::to_vec(value));
    message
}

/// Verifies many signatures at once (ed25519-dalek's batch verification): `Ok` only if
/// every one verifies. Audits use it; on failure they fall back to one by one to name the
/// bad signature.
pub fn verify_batch(
    messages: &[&[u8]],
    signatures: &[SignatureB64],
    keys: &[PublicKey],
) -> Result<(), LedgerError> {
    let signatures: Vec<Signature> = signatures.iter().map(|s| s.0).collect();
    let keys: Vec<VerifyingKey> = keys.iter().map(|k| k.0).collect();
    ed25519_dalek::verify_batch(messages, &signatures, &keys).map_err(|_| LedgerError::BadSignature)
}

/// Verifies many signatures at once, refusing what [`verify_message`] refuses beyond the
/// equation: an `R` that is not a canonical point encoding or is of small order (keys of
/// small order are refused when parsed). The batch equation itself is the cofactored one,
/// so a signature with a torsion component passes here and not one by one; only the key's
/// holder can make one, and a seal is identified by its moment, key and nonce, never by
/// its signature's bytes, so it gains nothing. What a server's intake uses.
pub fn verify_batch_strict(
    messages: &[&[u8]],
    signatures: &[SignatureB64],
    keys: &[PublicKey],
) -> Result<(), LedgerError> {
    // Told from R's bytes alone: the batch decompresses every R once, and refuses one
    // that is not a point.
    if signatures.iter().any(|s| r_refused(s.0.r_bytes())) {
        return Err(LedgerError::BadSignature);
    }
    verify_batch(messages, signatures, keys)
}

/// Whether `r`, a signature's `R`, is refused before the equation: its y coordinate is
/// not below the field's prime (a non-canonical encoding), or it is an encoding of a
/// point of small order. For an `r` that decompresses at all, the same answer as
/// "decompressed, of small order, or compressed again to other bytes" (property-tested),
/// without the square root and the inversion those take.
fn r_refused(r: &[u8; 32]) -> bool {
    y_not_canonical(r) || SMALL_ORDER_ENCODINGS.contains(r)
}

/// Whether the 255-bit y of an encoded point is p = 2^255 - 19 or more: its low byte
/// 0xed or more, every byte between 0xff, and its high byte 0x7f once the sign bit is
/// set aside.
fn y_not_canonical(encoding: &[u8; 32]) -> bool {
    encoding[0] >= 0xed && encoding[1..31].iter().all(|b| *b == 0xff) && encoding[31] & 0x7f == 0x7f
}

/// The encodings of the eight points of small order with a canonical y: each point's own,
/// and with the sign bit flipped (the point's negation, itself of small order, or for the
/// two points with x = 0 a second encoding of the same point).
static SMALL_ORDER_ENCODINGS: std::sync::LazyLock<Vec<[u8; 32]>> = std::sync::LazyLock::new(|| {
    let mut encodings: Vec<[u8; 32]> = curve25519_dalek::constants::EIGHT_TORSION
        .iter()
        .flat_map(|point| {
            let own = point.compress().to_bytes();
            let mut flipped = own;
            flipped[31] ^= 0x80;
            [own, flipped]
        })
        .collect();
    encodings.sort();
    encodings.dedup();
    encodings
});

/// Verifies one signature over raw message bytes (strictly).
pub fn verify_message(
    key: &PublicKey,
    message: &[u8],
    signature: &SignatureB64,
) -> Result<(), LedgerError> {
    key.0
        .verify_strict(message, &signature.0)
        .map_err(|_| LedgerError::BadSignature)
}

/// A new bearer token (`prefix` then 32 random bytes, base64url) and its SHA-256 in hex, the
/// only form in which it is kept.
pub fn generate_token(prefix: &str) -> (String, String) {
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use rand_core::RngCore;
    let mut bytes = [0u8; 32];
    rand_core::OsRng.fill_bytes(&mut bytes);
    let token = format!("{prefix}{}", URL_SAFE_NO_PAD.encode(bytes));
    let hash = token_sha256(&token);
    (token, hash)
}

/// A fresh random nonce for a signed command: 16 bytes as unpadded base64url (22
/// characters).
pub fn nonce() -> String {
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use rand_core::RngCore;
    let mut bytes = [0u8; 16];
    rand_core::OsRng.fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// A fresh random salt for a ledger entry: 16 bytes, hex. It makes a withheld entry's leaf
/// hash useless for confirming a guess of its contents.
pub fn salt() -> String {
    use rand_core::RngCore;
    let mut bytes = [0u8; 16];
    rand_core::OsRng.fill_bytes(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// SHA-256 of a bearer token, hex.
pub fn token_sha256(token: &str) -> String {
    Sha256::digest(token.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// SHA-256 of the canonical form of `value`, in hex: how a document version is hashed.
pub fn canonical_sha256<T: Serialize>(value: &T) -> String {
    let digest = Sha256::digest(canonical::to_vec(value));
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn key_file_round_trips_and_checks_its_id() {
        let key = SecretKey::generate();
        let text = key.to_file_text("KAZ");
        let (back, owner) = SecretKey::from_file_text(&text).unwrap();
        assert_eq!(owner, "KAZ");
        assert_eq!(back.public(), key.public());
        let other = SecretKey::generate().public().key_id();
        let forged = text.replace(&key.public().key_id(), &other);
        assert!(SecretKey::from_file_text(&forged).is_err());
        assert!(!format!("{key:?}").contains(&text.lines().nth(3).unwrap()[..20]));
    }

    #[test]
    fn batch_and_single_verification_agree() {
        let keys: Vec<SecretKey> = (0..4).map(|_| SecretKey::generate()).collect();
        let values: Vec<String> = (0..4).map(|i| format!("command {i}")).collect();
        let sigs: Vec<SignatureB64> = keys
            .iter()
            .zip(&values)
            .map(|(k, v)| k.sign_command(v))
            .collect();
        let messages: Vec<Vec<u8>> = values.iter().map(command_message).collect();
        let refs: Vec<&[u8]> = messages.iter().map(Vec::as_slice).collect();
        let publics: Vec<PublicKey> = keys.iter().map(SecretKey::public).collect();
        verify_batch(&refs, &sigs, &publics).unwrap();
        let mut swapped = sigs.clone();
        swapped.swap(0, 1);
        assert!(verify_batch(&refs, &swapped, &publics).is_err());
    }

    #[test]
    fn a_strict_batch_refuses_small_order_and_non_canonical_r() {
        let key = SecretKey::generate();
        let message = command_message(&"agree");
        let good = key.sign_command(&"agree");
        let check = |sig: SignatureB64| {
            verify_batch_strict(&[message.as_slice()], &[sig], &[key.public()]).is_ok()
        };
        assert!(check(good));
        let with_r = |r: [u8; 32]| {
            let mut bytes = good.0.to_bytes();
            bytes[..32].copy_from_slice(&r);
            SignatureB64(Signature::from_bytes(&bytes))
        };
        // The identity point (small order), and the same point written non-canonically
        // (y = p + 1, which reduces to 1).
        let mut identity = [0u8; 32];
        identity[0] = 1;
        assert!(!check(with_r(identity)));
        let mut p_plus_one = [0xffu8; 32];
        p_plus_one[0] = 0xee;
        p_plus_one[31] = 0x7f;
        assert!(!check(with_r(p_plus_one)));
    }

    /// What the strict batch refused `r` for before it told it from the bytes alone:
    /// decompressed, of small order, or compressed again to other bytes.
    fn r_refused_by_decompressing(r: &[u8; 32]) -> Option<bool> {
        use curve25519_dalek::edwards::CompressedEdwardsY;
        let point = CompressedEdwardsY(*r).decompress()?;
        Some(point.is_small_order() || point.compress().to_bytes() != *r)
    }

    #[test]
    fn r_is_refused_from_its_bytes_as_by_decompressing_it() {
        // Every encoding of small order (each torsion point, either sign), and every
        // non-canonical y (p to 2^255 - 1, either sign): none of them random bytes reach.
        let mut edges: Vec<[u8; 32]> = SMALL_ORDER_ENCODINGS.clone();
        for low in 0xedu8..=0xff {
            for high in [0x7fu8, 0xff] {
                let mut r = [0xffu8; 32];
                r[0] = low;
                r[31] = high;
                edges.push(r);
            }
        }
        assert_eq!(
            SMALL_ORDER_ENCODINGS.len(),
            10,
            "8 points, 2 of them with x = 0"
        );
        let mut decompressed = 0;
        for r in &edges {
            if let Some(refused) = r_refused_by_decompressing(r) {
                decompressed += 1;
                assert_eq!(r_refused(r), refused, "{r:02x?}");
            }
        }
        assert!(
            decompressed >= 10,
            "the small-order encodings all decompress"
        );
    }

    proptest! {
        /// For any R that is a point, telling it from its bytes and decompressing it agree
        /// (an R that is not a point is refused by the batch itself).
        #[test]
        fn r_refused_agrees_with_decompressing(r in prop::array::uniform32(any::<u8>())) {
            if let Some(refused) = r_refused_by_decompressing(&r) {
                prop_assert_eq!(r_refused(&r), refused);
            }
        }

        /// The strict batch and the one-by-one check agree on honest and altered
        /// signatures.
        #[test]
        fn strict_batch_agrees_with_single_checks(bit in 0usize..600, n in 1usize..5) {
            let keys: Vec<SecretKey> = (0..n).map(|_| SecretKey::generate()).collect();
            let messages: Vec<Vec<u8>> = (0..n).map(|i| command_message(&i)).collect();
            let mut sigs: Vec<SignatureB64> =
                keys.iter().enumerate().map(|(i, k)| k.sign_command(&i)).collect();
            if bit < 512 {
                let mut bytes = sigs[0].0.to_bytes();
                bytes[bit / 8] ^= 1 << (bit % 8);
                sigs[0] = SignatureB64(Signature::from_bytes(&bytes));
            }
            let publics: Vec<PublicKey> = keys.iter().map(SecretKey::public).collect();
            let refs: Vec<&[u8]> = messages.iter().map(Vec::as_slice).collect();
            let single = (0..n).all(|i| verify_message(&publics[i], refs[i], &sigs[i]).is_ok());
            prop_assert_eq!(verify_batch_strict(&refs, &sigs, &publics).is_ok(), single);
        }

        /// A signature verifies for exactly the value signed: any other value fails.
        #[test]
        fn signature_covers_exactly_the_value(a in ".{0,40}", b in ".{0,40}") {
            let key = SecretKey::generate();
            let sig = key.sign_command(&a);
            prop_assert!(key.public().verify_command(&a, &sig).is_ok());
            if a != b {
                prop_assert!(key.public().verify_command(&b, &sig).is_err());
            }
        }

        /// Key files, public keys and signatures are parsed from text anyone may hand in:
        /// whatever the text, an answer and never a panic.
        #[test]
        fn parsers_never_panic(text in "\\PC{0,200}", lines in prop::collection::vec("\\PC{0,60}", 0..6)) {
            let _ = SecretKey::from_file_text(&text);
            let _ = SecretKey::from_file_text(&format!("{SECRET_HEADER}\n{}", lines.join("\n")));
            let _ = PublicKey::parse(&text);
            let _ = SignatureB64::parse(&text);
        }

        /// Flipping any bit of a signature makes it fail.
        #[test]
        fn altered_signature_fails(bit in 0usize..512) {
            let key = SecretKey::generate();
            let sig = key.sign_command(&"agree");
            let mut bytes = sig.0.to_bytes();
            bytes[bit / 8] ^= 1 << (bit % 8);
            let altered = SignatureB64(Signature::from_bytes(&bytes));
            prop_assert!(key.public().verify_command(&"agree", &altered).is_err());
        }
    }
}
