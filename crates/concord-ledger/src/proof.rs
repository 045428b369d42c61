//! Inclusion and consistency proofs as JSON, and their verification (RFC 9162 §2.1.3–2.1.4).

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use tlog_tiles::Hash;

use crate::LedgerError;

/// A hash written as standard base64, as in C2SP checkpoints.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct B64(pub Hash);

impl Serialize for B64 {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&STANDARD.encode(self.0.0))
    }
}

impl<'de> Deserialize<'de> for B64 {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        parse_hash(&s).map(B64).map_err(serde::de::Error::custom)
    }
}

/// Parses a base64 hash of 32 bytes.
pub fn parse_hash(s: &str) -> Result<Hash, LedgerError> {
    let bytes = STANDARD
        .decode(s)
        .map_err(|_| LedgerError::MalformedHash(s.to_owned()))?;
    let array: [u8; 32] = bytes
        .try_into()
        .map_err(|_| LedgerError::MalformedHash(s.to_owned()))?;
    Ok(Hash(array))
}

/// Proof that leaf `index`, with hash `leaf_hash`, is in the tree of `tree_size` leaves
/// whose root is `root_hash`.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InclusionProof {
    /// Leaf index, from 0.
    pub index: u64,
    /// Tree size.
    pub tree_size: u64,
    /// The leaf's hash: SHA-256(0x00 ‖ leaf data).
    pub leaf_hash: B64,
    /// The tree's root.
    pub root_hash: B64,
    /// The audit path, from the leaf up.
    pub path: Vec<B64>,
}

impl InclusionProof {
    /// Checks the proof; says why it fails.
    pub fn verify(&self) -> Result<(), LedgerError> {
        if self.index >= self.tree_size {
            return Err(LedgerError::ProofInvalid(format!(
                "leaf {} cannot be in a tree of {} leaves",
                self.index, self.tree_size
            )));
        }
        let path: Vec<Hash> = self.path.iter().map(|h| h.0).collect();
        tlog_tiles::check_record(
            &path,
            self.tree_size,
            self.root_hash.0,
            self.index,
            self.leaf_hash.0,
        )
        .map_err(|_| {
            LedgerError::ProofInvalid(format!(
                "the audit path does not lead from leaf {} to the root of the tree of {} leaves",
                self.index, self.tree_size
            ))
        })
    }
}

/// Proof that the tree of `to_size` leaves (root `to_root`) extends the tree of
/// `from_size` leaves (root `from_root`).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConsistencyProof {
    /// The older size.
    pub from_size: u64,
    /// The newer size.
    pub to_size: u64,
    /// The older root.
    pub from_root: B64,
    /// The newer root.
    pub to_root: B64,
    /// The proof hashes.
    pub path: Vec<B64>,
}

impl ConsistencyProof {
    /// Checks the proof; says why it fails.
    pub fn verify(&self) -> Result<(), LedgerError> {
        let fail = |why: &str| Err(LedgerError::ProofInvalid(why.to_owned()));
        if self.from_size > self.to_size {
            return fail("the older tree is larger than the newer");
        }
        if self.from_size == self.to_size {
            return if self.path.is_empty() && self.from_root == self.to_root {
                Ok(())
            } else {
                fail("trees of one size must have one root and an empty proof")
            };
        }
        if self.from_size == 0 {
            return if self.path.is_empty() {
                Ok(())
            } else {
                fail("the proof from an empty tree is empty")
            };
        }
        let path: Vec<Hash> = self.path.iter().map(|h| h.0).collect();
        tlog_tiles::check_tree(
            &path,
            self.to_size,
            self.to_root.0,
            self.from_size,
            self.from_root.0,
        )
        .map_err(|_| {
            LedgerError::ProofInvalid(format!(
                "the tree of {} leaves does not extend the tree of {}",
                self.to_size, self.from_size
            ))
        })
    }
}
#[cfg(feature = "openapi")]
impl utoipa::PartialSchema for B64 {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .content_encoding("base64")
            .description(Some("A SHA-256 hash, standard base64"))
            .into()
    }
}

#[cfg(feature = "openapi")]
impl utoipa::ToSchema for B64 {}
