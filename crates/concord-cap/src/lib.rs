//! OASIS Common Alerting Protocol 1.2: the alert messages the organisation's crisis centres
//! exchange with national warning services.
//!
//! [`parse`] reads a CAP 1.2 message from XML and refuses anything else (another CAP
//! version, a message missing what the standard requires, an unknown value) with an
//! error that names the element; [`to_xml`] writes an [`Alert`] back in the order the
//! official schema requires, so what Concord exports validates against `CAP-v1.2.xsd`.
//!
//! Written on quick-xml rather than taken from a CAP crate: the one on crates.io
//! (`oasiscap` 0.2) writes documents without their `<alert>` root.
//!
//! Elements of other namespaces (an XML signature, say) are skipped on reading and are not
//! kept. Elements are accepted in any order and written in the schema's.

mod model;
mod read;
mod write;

pub use model::*;
pub use read::{CapError, MAX_BYTES, parse};
pub use write::to_xml;

/// The CAP 1.2 XML namespace.
pub const NAMESPACE: &str = "urn:oasis:names:tc:emergency:cap:1.2";

/// The media type of a CAP message.
pub const MEDIA_TYPE: &str = "application/cap+xml";
