//! RFC 8785 canonical JSON: the one byte form that is hashed and signed.

use serde::Serialize;

/// The RFC 8785 (JCS) canonical form of `value`.
pub fn to_vec<T: Serialize>(value: &T) -> Vec<u8> {
    serde_json_canonicalizer::to_vec(value).expect("Concord's records serialise to JSON")
}

/// The canonical form as text.
pub fn to_string<T: Serialize>(value: &T) -> String {
    String::from_utf8(to_vec(value)).expect("canonical JSON is UTF-8")
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn keys_are_sorted_and_whitespace_removed() {
        let value = serde_json::json!({"b": 1, "a": [true, null, "é"], "c": {"z": 1.5, "y": 1e21}});
        assert_eq!(
            to_string(&value),
            r#"{"a":[true,null,"é"],"b":1,"c":{"y":1e+21,"z":1.5}}"#
        );
    }

    proptest! {
        /// Canonicalising is idempotent: the canonical form of the parsed canonical form is
        /// itself, whatever the key order.
        #[test]
        fn canonical_form_is_a_fixed_point(keys in prop::collection::btree_map("[a-zé]{1,6}", -1000i64..1000, 0..8)) {
            let value = serde_json::to_value(&keys).unwrap();
            let once = to_vec(&value);
            let reparsed: serde_json::Value = serde_json::from_slice(&once).unwrap();
            prop_assert_eq!(to_vec(&reparsed), once);
        }
    }
}
