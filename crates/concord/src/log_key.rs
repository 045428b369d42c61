//! The ledger's signing key on disk: created once, readable by its owner only.

use std::path::Path;

use anyhow::{Context, bail};
use concord_ledger::checkpoint::LogKey;

/// Reads the key at `path`, or creates it (mode 0600) if there is none, for the ledger
/// named `origin` (the database's: `concord_store::queries::origin`). Refuses a key file
/// that others may read, and a key for another ledger.
pub fn load_or_create(path: &Path, origin: &str) -> anyhow::Result<(LogKey, bool)> {
    if path.exists() {
        let secret = crate::private_file::read(path)?;
        let key = LogKey::from_secret(&secret)
            .with_context(|| format!("{} is not a ledger key", path.display()))?;
        if key.origin() != origin {
            bail!(
                "the ledger key {} is for `{}`, not for `{origin}`",
                path.display(),
                key.origin()
            );
        }
        return Ok((key, false));
    }
    let (key, secret) = LogKey::generate(origin)?;
    crate::private_file::create(path, &format!("{secret}\n"))?;
    Ok((key, true))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn created_once_owner_only_and_reloaded() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("log.key");
        let (key, created) = load_or_create(&path, "csto.concord/ledger").unwrap();
        assert!(created);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(
                std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
                0o600
            );
        }
        let (again, created) = load_or_create(&path, "csto.concord/ledger").unwrap();
        assert!(!created);
        assert_eq!(again.verifier_key(), key.verifier_key());
        let err = load_or_create(&path, "other.concord/ledger").unwrap_err();
        assert!(
            err.to_string().contains("is for `csto.concord/ledger`"),
            "{err}"
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
            let err = load_or_create(&path, "csto.concord/ledger").unwrap_err();
            assert!(err.to_string().contains("readable by others"), "{err}");
        }
    }
}
