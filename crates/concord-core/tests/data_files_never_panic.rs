//! Property tests of the charter and history readers: whatever the bytes, they answer with
//! a value or an error naming a place in the file, and never panic.

use concord_core::{Charter, History};
use proptest::prelude::*;

const CHARTER: &str = include_str!("../../../data/charter.toml");
const HISTORY: &str = include_str!("../../../data/history.toml");

/// An edit of a text: delete a span, or insert a snippet, at a char boundary.
#[derive(Debug, Clone)]
enum Edit {
    Delete { at: usize, len: usize },
    Insert { at: usize, text: String },
}

fn edit_strategy() -> impl Strategy<Value = Edit> {
    let snippet = prop_oneof![
        Just("\"".to_owned()),
        Just("[[".to_owned()),
        Just("]".to_owned()),
        Just("=".to_owned()),
        Just("\n".to_owned()),
        Just("XYZ".to_owned()),
        Just("{ en = \"\", ru = \"\" }".to_owned()),
        Just("2024-02-30".to_owned()),
        "\\PC{0,8}",
    ];
    prop_oneof![
        (any::<prop::sample::Index>(), 1usize..40).prop_map(|(i, len)| Edit::Delete {
            at: i.index(usize::MAX),
            len
        }),
        (any::<prop::sample::Index>(), snippet).prop_map(|(i, text)| Edit::Insert {
            at: i.index(usize::MAX),
            text
        }),
    ]
}

fn apply(text: &str, edits: &[Edit]) -> String {
    let mut s = text.to_owned();
    for edit in edits {
        let boundary = |at: usize, s: &str| {
            let mut at = at % (s.len() + 1);
            while !s.is_char_boundary(at) {
                at -= 1;
            }
            at
        };
        match edit {
            Edit::Delete { at, len } => {
                let start = boundary(*at, &s);
                let end = boundary((start + len).min(s.len()), &s);
                s.replace_range(start..end.max(start), "");
            }
            Edit::Insert { at, text } => {
                let at = boundary(*at, &s);
                s.insert_str(at, text);
            }
        }
    }
    s
}

fn assert_located(text: &str, err: &concord_core::DataError) -> Result<(), TestCaseError> {
    prop_assert!(!err.message.is_empty());
    if let Some(line) = err.line {
        prop_assert!(
            line >= 1 && line <= text.lines().count() + 1,
            "line {} of {}",
            line,
            text.lines().count()
        );
        prop_assert!(err.column.is_some_and(|c| c >= 1));
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn any_edited_charter_is_read_or_refused_with_a_place(edits in prop::collection::vec(edit_strategy(), 1..4)) {
        let text = apply(CHARTER, &edits);
        if let Err(err) = Charter::from_toml("charter.toml", &text) {
            assert_located(&text, &err)?;
        }
    }

    #[test]
    fn any_edited_history_is_read_or_refused_with_a_place(edits in prop::collection::vec(edit_strategy(), 1..4)) {
        let charter = Charter::from_toml("charter.toml", CHARTER).unwrap();
        let text = apply(HISTORY, &edits);
        if let Err(err) = History::from_toml("history.toml", &text, &charter) {
            assert_located(&text, &err)?;
        }
    }

    #[test]
    fn arbitrary_text_never_panics(text in "\\PC{0,200}") {
        let charter = Charter::from_toml("charter.toml", CHARTER).unwrap();
        let _ = Charter::from_toml("x.toml", &text);
        let _ = History::from_toml("x.toml", &text, &charter);
    }
}

/// Found by the property above: a file cut off after `ru =` made the TOML reader report
/// an error with no message.
#[test]
fn a_value_missing_at_the_end_is_said() {
    let cut = &CHARTER[..CHARTER.rfind("ru =").unwrap() + 4];
    let err = Charter::from_toml("charter.toml", cut).unwrap_err();
    assert!(err.to_string().contains("incomplete TOML"), "{err}");
    assert!(err.line.is_some());
}
