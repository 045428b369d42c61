//! A ledger entry: one event with its place and time in the log.

use serde::{Deserialize, Serialize};

use crate::canonical;

/// What one leaf of the log records. Its canonical JSON is the leaf data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entry<E> {
    /// The leaf index, from 0.
    pub index: u64,
    /// When the event was recorded (RFC 3339, UTC).
    pub recorded_at: String,
    /// The event.
    pub event: E,
    /// Random, secret with the entry: whoever may not read the entry learns nothing from
    /// its leaf hash, not even whether a guess of its contents is right.
    pub salt: String,
}

impl<E: Serialize> Entry<E> {
    /// The leaf data: the entry's RFC 8785 canonical JSON.
    pub fn leaf_data(&self) -> Vec<u8> {
        canonical::to_vec(self)
    }
}

/// The leaf data of an entry whose event is already in canonical form: the bytes
/// [`Entry::leaf_data`] makes, without canonicalising the event again. RFC 8785 orders the
/// entry's four keys `event`, `index`, `recorded_at`, `salt`, and a member's value is the
/// canonical form of that value alone, so the entry is the event's canonical bytes spliced
/// in. A store canonicalises each event before it takes the log's lock, and numbers it
/// under the lock with this.
pub fn leaf_data_with(
    index: u64,
    recorded_at: &str,
    canonical_event: &[u8],
    salt: &str,
) -> Vec<u8> {
    let recorded_at = canonical::to_vec(&recorded_at);
    let salt = canonical::to_vec(&salt);
    let mut data = Vec::with_capacity(canonical_event.len() + recorded_at.len() + salt.len() + 64);
    data.extend_from_slice(b"{\"event\":");
    data.extend_from_slice(canonical_event);
    data.extend_from_slice(b",\"index\":");
    // As RFC 8785 writes a number (beyond 2^53, as the nearest double).
    data.extend_from_slice(&canonical::to_vec(&index));
    data.extend_from_slice(b",\"recorded_at\":");
    data.extend_from_slice(&recorded_at);
    data.extend_from_slice(b",\"salt\":");
    data.extend_from_slice(&salt);
    data.push(b'}');
    data
}

/// The RFC 6962 leaf hash of `data`: SHA-256(0x00 ‖ data).
pub fn leaf_hash(data: &[u8]) -> tlog_tiles::Hash {
    tlog_tiles::record_hash(data)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Any JSON value: scalars, strings with escapes and non-ASCII, nested arrays and
    /// objects with keys that sort differently in UTF-16 and UTF-8.
    fn json() -> impl Strategy<Value = serde_json::Value> {
        let leaf = prop_oneof![
            Just(serde_json::Value::Null),
            any::<bool>().prop_map(serde_json::Value::from),
            any::<i64>().prop_map(serde_json::Value::from),
            any::<f64>()
                .prop_filter("finite", |f| f.is_finite())
                .prop_map(serde_json::Value::from),
            "\\PC{0,12}|[\"\\\\\\n\\u{1}é€😀]{0,4}".prop_map(serde_json::Value::from),
        ];
        leaf.prop_recursive(4, 32, 6, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..5).prop_map(serde_json::Value::from),
                prop::collection::btree_map("[a-zé€😀\\u{ff61}]{0,4}", inner, 0..5)
                    .prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
            ]
        })
    }

    proptest! {
        #[test]
        fn spliced_leaf_data_is_the_entrys_canonical_form(
            event in json(),
            index in any::<u64>(),
            recorded_at in "\\PC{0,30}",
            salt in "[0-9a-f]{32}|\\PC{0,8}",
        ) {
            let entry = Entry { index, recorded_at: recorded_at.clone(), event: &event, salt: salt.clone() };
            let spliced = leaf_data_with(index, &recorded_at, &canonical::to_vec(&event), &salt);
            prop_assert_eq!(spliced, entry.leaf_data());
        }
    }
}
