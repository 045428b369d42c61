//! Concord's domain: the organisation described by its charter, the registry of its
//! members over time, the rotating chairmanship, and the recorded history of its council
//! work.
//!
//! This crate is pure: it knows nothing of HTTP, SQL or async. Every change to the system
//! is an [`event::Event`]; the edges (store, server, CLI) translate to and from it.

pub mod access;
pub mod accounts;
pub mod bundle;
pub mod chairmanship;
pub mod charter;
pub mod code;
pub mod consensus;
pub mod council;
pub mod date;
pub mod event;
pub mod federation;
pub mod history;
pub mod incident;
pub mod keys;
pub mod location;
pub mod posts;
pub mod registry;
pub mod releasability;
pub mod signatures;
pub mod text;
pub mod tokens;
pub mod year;

pub use chairmanship::{Chairmanship, RotationError};
pub use charter::Charter;
pub use code::{MemberCode, Slug};
pub use date::PartialDate;
pub use event::Event;
pub use history::History;
pub use location::DataError;
pub use registry::{MemberStatus, StatusRecord, StatusTimeline};
pub use text::Text;
