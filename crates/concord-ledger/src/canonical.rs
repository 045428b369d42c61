//! RFC 8785 canonical JSON: the one byte form that is hashed and signed.
//!
//! Written here rather than taken from `serde_json_canonicalizer`, which gives the same
//! bytes (property-tested below against it) but parses every object key back through JSON
//! and allocates a buffer and a boxed writer for every property and value: a fifth of an
//! ingest server's CPU went to canonicalising each report twice (its seal's message, its
//! ledger entry). Here the value goes through `serde_json`'s own tree, and the tree is
//! written once: members ordered by their names' UTF-16 code units, strings as `serde_json`
//! escapes them (which is RFC 8785's escaping), every number as ECMAScript writes a double.

use serde::Serialize;
use serde_json::Value;

/// The RFC 8785 (JCS) canonical form of `value`.
pub fn to_vec<T: Serialize>(value: &T) -> Vec<u8> {
    let tree = serde_json::to_value(value).expect("Concord's records serialise to JSON");
    let mut out = Vec::with_capacity(256);
    write(&mut out, &tree);
    out
}

/// The canonical form as text.
pub fn to_string<T: Serialize>(value: &T) -> String {
    String::from_utf8(to_vec(value)).expect("canonical JSON is UTF-8")
}

/// Writes `value` canonically at the end of `out`.
fn write(out: &mut Vec<u8>, value: &Value) {
    match value {
        Value::Null => out.extend_from_slice(b"null"),
        Value::Bool(true) => out.extend_from_slice(b"true"),
        Value::Bool(false) => out.extend_from_slice(b"false"),
        Value::Number(n) => write_number(out, n),
        Value::String(s) => write_string(out, s),
        Value::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write(out, item);
            }
            out.push(b']');
        }
        Value::Object(members) => {
            let mut sorted: Vec<(&String, &Value)> = members.iter().collect();
            sorted.sort_unstable_by(|(a, _), (b, _)| a.encode_utf16().cmp(b.encode_utf16()));
            out.push(b'{');
            for (i, (name, member)) in sorted.into_iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_string(out, name);
                out.push(b':');
                write(out, member);
            }
            out.push(b'}');
        }
    }
}

/// A number as ECMAScript's `Number.prototype.toString` writes its double (RFC 8785
/// §3.2.2.3): integers too are taken as doubles.
fn write_number(out: &mut Vec<u8>, n: &serde_json::Number) {
    let double = match (n.as_u64(), n.as_i64()) {
        (Some(u), _) => u as f64,
        (None, Some(i)) => i as f64,
        _ => n
            .as_f64()
            .expect("a JSON number without arbitrary precision is a double"),
    };
    let mut buffer = ryu_js::Buffer::new();
    out.extend_from_slice(buffer.format_finite(double).as_bytes());
}

/// A string, quoted and escaped as `serde_json` does: `"` and `\`, the short escapes of
/// `\b \f \n \r \t`, other controls as `\u00xx`, everything else as it is (RFC 8785 §3.2.2.2).
fn write_string(out: &mut Vec<u8>, s: &str) {
    serde_json::to_writer(&mut *out, s).expect("writing to memory does not fail");
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

    #[test]
    fn names_are_ordered_by_utf16_code_units_not_by_code_points() {
        // U+1F600 is written as the surrogates D83D DE00 in UTF-16: before U+FB01, though
        // after it in code points (and in UTF-8).
        let value = serde_json::json!({"\u{fb01}": 1, "\u{1f600}": 2, "a": 3});
        assert_eq!(
            to_string(&value),
            "{\"a\":3,\"\u{1f600}\":2,\"\u{fb01}\":1}"
        );
    }

    #[test]
    fn strings_are_escaped_as_rfc_8785_says() {
        let value = serde_json::json!("\"\\/\u{8}\u{c}\n\r\t\u{1}\u{1f}\u{7f}é€😀");
        assert_eq!(
            to_string(&value),
            "\"\\\"\\\\/\\b\\f\\n\\r\\t\\u0001\\u001f\u{7f}é€😀\""
        );
    }

    #[test]
    fn numbers_are_written_as_ecmascript_writes_doubles() {
        let value = serde_json::json!([
            0,
            -0.0,
            1.0,
            -1,
            0.1,
            1e-7,
            123456789012345680000.0,
            1e21,
            9007199254740993u64,
            u64::MAX,
            i64::MIN
        ]);
        assert_eq!(
            to_string(&value),
            "[0,0,1,-1,0.1,1e-7,123456789012345680000,1e+21,9007199254740992,18446744073709552000,-9223372036854776000]"
        );
    }

    /// Typed records reach the canonical form through `serde_json`'s tree; whatever shape
    /// serde gives them (tagged enums, flattened members, options, characters, bytes,
    /// integer map keys), the bytes are those of the serializer Concord used before.
    #[test]
    fn typed_records_keep_their_bytes() {
        #[derive(Serialize)]
        #[serde(tag = "type", rename_all = "kebab-case")]
        enum Kind {
            Reported { at: &'static str, count: u32 },
            Withdrawn,
        }
        #[derive(Serialize)]
        struct Inner {
            z: i8,
            a: Option<f32>,
        }
        #[derive(Serialize)]
        struct Record {
            kind: Kind,
            #[serde(flatten)]
            inner: Inner,
            by_number: std::collections::BTreeMap<u32, char>,
            bytes: Vec<u8>,
            missing: Option<String>,
            #[serde(skip_serializing_if = "Option::is_none")]
            skipped: Option<String>,
            tuple: (u64, i64, f64),
        }
        for kind in [
            Kind::Reported {
                at: "2022-01-06T10:00:00Z",
                count: 3,
            },
            Kind::Withdrawn,
        ] {
            let record = Record {
                kind,
                inner: Inner {
                    z: -1,
                    a: Some(0.5),
                },
                by_number: [(10, 'é'), (9, '\u{1}')].into_iter().collect(),
                bytes: vec![0, 255],
                missing: None,
                skipped: None,
                tuple: (u64::MAX, -5, 2.5e-8),
            };
            assert_eq!(
                to_string(&record),
                String::from_utf8(serde_json_canonicalizer::to_vec(&record).unwrap()).unwrap()
            );
        }
    }

    /// Any JSON value: objects and arrays nested a few deep, names and strings of any
    /// character, integers of any size, finite doubles.
    fn any_value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(Value::from),
            any::<u64>().prop_map(Value::from),
            any::<f64>()
                .prop_filter("finite", |f| f.is_finite())
                .prop_map(Value::from),
            "\\PC{0,12}|[\\x00-\\x1f\"\\\\/\u{7f}\u{e000}-\u{ffff}\u{10000}-\u{10ffff}]{0,6}"
                .prop_map(Value::String),
        ];
        leaf.prop_recursive(3, 40, 6, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
                prop::collection::btree_map(
                    "\\PC{0,6}|[a-z\u{e000}-\u{ffff}\u{10000}-\u{10ffff}]{1,3}",
                    inner,
                    0..6
                )
                .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
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

        /// The bytes are `serde_json_canonicalizer`'s, which Concord used before: every
        /// seal and leaf ever made keeps its bytes.
        #[test]
        fn the_same_bytes_as_serde_json_canonicalizer(value in any_value()) {
            prop_assert_eq!(
                to_vec(&value),
                serde_json_canonicalizer::to_vec(&value).unwrap()
            );
        }
    }
}
