//! The demo data shipped inside the binary: the charter and the 2017–2024 history of the
//! organisation of the source articles.

use concord_store::init::InitFiles;

/// The default charter.
pub const CHARTER: &str = include_str!("../../../data/charter.toml");

/// The history dataset.
pub const HISTORY: &str = include_str!("../../../data/history.toml");

/// The embedded files, as `init` takes them.
pub fn files() -> InitFiles<'static> {
    InitFiles {
        charter_name: "charter.toml (built in)",
        charter: CHARTER,
        history_name: "history.toml (built in)",
        history: HISTORY,
    }
}
