//! Concord's tamper-evident ledger.
//!
//! Every event becomes one [`Entry`], canonicalised with RFC 8785 and appended as a leaf of
//! one Merkle log hashed as RFC 6962 / RFC 9162 specify (leaf = SHA-256(0x00‖data), node =
//! SHA-256(0x01‖left‖right)). The log keeps its interior hashes stored (the Go sumdb `tlog`
//! layout, via `tlog_tiles`), so proofs at any size read O(log n) hashes and never rebuild
//! the tree. Checkpoints are C2SP tlog-checkpoint texts signed as C2SP signed notes with
//! Ed25519.
//!
//! This crate does no I/O: the store fetches the hashes a computation asks for (see
//! [`log::KnownHashes`]) and writes the ones an append produces.

pub mod canonical;
pub mod checkpoint;
pub mod cosignature;
pub mod entry;
pub mod log;
pub mod proof;
pub mod signature;

pub use tlog_tiles::Hash;

/// Why a ledger operation failed.
#[derive(Debug, thiserror::Error)]
pub enum LedgerError {
    /// A proof does not prove what it claims.
    #[error("proof does not verify: {0}")]
    ProofInvalid(String),
    /// An index or size is outside the log.
    #[error("{0}")]
    OutOfRange(String),
    /// A checkpoint or note is malformed or badly signed.
    #[error("checkpoint rejected: {0}")]
    Checkpoint(String),
    /// A key is malformed.
    #[error("bad key: {0}")]
    Key(String),
    /// A signature does not verify, or is not a signature at all.
    #[error("signature does not verify")]
    BadSignature,
    /// A hash in text form is malformed.
    #[error("malformed hash `{0}`")]
    MalformedHash(String),
    /// The Merkle algorithms failed.
    #[error("merkle log: {0}")]
    Tlog(String),
}
