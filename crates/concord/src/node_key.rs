//! The node key on disk: the Ed25519 key a node signs its requests to other nodes with,
//! created once, readable by its owner only.

use std::path::Path;

use anyhow::Context;
use concord_ledger::signature::SecretKey;

/// Reads the node key at `path`, or creates it (mode 0600) if there is none; says whether
/// it was created.
pub fn load_or_create(path: &Path) -> anyhow::Result<(SecretKey, bool)> {
    if path.exists() {
        let text = crate::private_file::read(path)?;
        let (key, _) = SecretKey::from_file_text(&text)
            .with_context(|| format!("{} is not a node key", path.display()))?;
        return Ok((key, false));
    }
    let key = SecretKey::generate();
    crate::private_file::create(path, &key.to_file_text("node"))?;
    Ok((key, true))
}
