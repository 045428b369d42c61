//! Files holding secrets (the ledger's key, delegation keys): created readable by their
//! owner only, and refused when others may read them.

use std::io::Write;
use std::path::Path;

use anyhow::{Context, bail};

/// Creates `path` with mode 0600 and writes `text`; fails if it exists.
pub fn create(path: &Path, text: &str) -> anyhow::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options
        .open(path)
        .with_context(|| format!("cannot create {}", path.display()))?;
    file.write_all(text.as_bytes())?;
    file.sync_all()?;
    Ok(())
}

/// Reads `path`, refusing it if group or others may read it.
pub fn read(path: &Path) -> anyhow::Result<String> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(path)
            .with_context(|| format!("cannot read {}", path.display()))?
            .permissions()
            .mode();
        if mode & 0o077 != 0 {
            bail!(
                "the key {} is readable by others (mode {:o}): run `chmod 600 {}`",
                path.display(),
                mode & 0o777,
                path.display()
            );
        }
    }
    std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))
}
