//! `concord keys`: make delegation and secretariat keys, register them, and export the
//! public keys a verifier needs.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use concord_core::federation::NodeRegistration;
use concord_core::keys::{KeyOwner, KeyRegistration};
use concord_ledger::signature::{PublicKey, SecretKey};
use serde::{Deserialize, Serialize};

/// The public half of a generated key, as written beside its secret (`OWNER-ID.pub`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PublicKeyFile {
    /// Who signs with it.
    pub owner: KeyOwner,
    /// Its identifier.
    pub key_id: String,
    /// The key, base64.
    pub public_key: String,
}

/// The file a verifier trusts for the log's checkpoints, in an exported key folder.
pub const LOG_KEY_FILE: &str = "log.pub";

/// The federation's registered nodes, in an exported key folder.
pub const NODES_FILE: &str = "nodes.json";

/// Generates a key for `owner` in `dir`: `OWNER-ID.key` (secret, mode 0600) and
/// `OWNER-ID.pub`. Returns both paths.
pub fn generate(owner: KeyOwner, dir: &Path) -> anyhow::Result<(PathBuf, PathBuf)> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let secret = SecretKey::generate();
    let public = secret.public();
    let stem = format!("{owner}-{}", public.key_id());
    let secret_path = dir.join(format!("{stem}.key"));
    let public_path = dir.join(format!("{stem}.pub"));
    crate::private_file::create(&secret_path, &secret.to_file_text(&owner.to_string()))?;
    let file = PublicKeyFile {
        owner,
        key_id: public.key_id(),
        public_key: public.to_b64(),
    };
    std::fs::write(&public_path, serde_json::to_string_pretty(&file)? + "\n")
        .with_context(|| format!("cannot write {}", public_path.display()))?;
    Ok((secret_path, public_path))
}

/// Reads a secret key file; refuses one that others may read.
pub fn read_secret(path: &Path) -> anyhow::Result<(SecretKey, KeyOwner)> {
    let text = crate::private_file::read(path)?;
    let (key, owner) = SecretKey::from_file_text(&text)
        .with_context(|| format!("{} is not a Concord key", path.display()))?;
    let owner = owner.parse::<KeyOwner>().map_err(anyhow::Error::msg)?;
    Ok((key, owner))
}

/// Reads a `.pub` file and checks that its id is its key's.
pub fn read_public(path: &Path) -> anyhow::Result<PublicKeyFile> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let file: PublicKeyFile = serde_json::from_str(&text)
        .with_context(|| format!("{} is not a public key file", path.display()))?;
    let key = PublicKey::parse(&file.public_key)?;
    if key.key_id() != file.key_id {
        bail!(
            "{}: key_id {} is not the id of its key ({})",
            path.display(),
            file.key_id,
            key.key_id()
        );
    }
    Ok(file)
}

/// Writes every registered key (`ID.json`), the federation's nodes (`nodes.json`: a
/// position signed on a member's own node names that node's ledger) and the log's
/// verifier key (`log.pub`) to `dir`: what anyone needs to verify bundles offline.
pub fn export(
    keys: &[KeyRegistration],
    nodes: &[NodeRegistration],
    log_verifier_key: &str,
    dir: &Path,
) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    for key in keys {
        let path = dir.join(format!("{}.json", key.key_id));
        std::fs::write(&path, serde_json::to_string_pretty(key)? + "\n")
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    let path = dir.join(NODES_FILE);
    std::fs::write(&path, serde_json::to_string_pretty(nodes)? + "\n")
        .with_context(|| format!("cannot write {}", path.display()))?;
    std::fs::write(dir.join(LOG_KEY_FILE), format!("{log_verifier_key}\n"))?;
    Ok(())
}

/// Reads an exported key folder: the registered keys and the log's key.
pub fn import(dir: &Path) -> anyhow::Result<concord_core::bundle::TrustedKeys> {
    let mut trusted = concord_core::bundle::TrustedKeys::default();
    let entries = std::fs::read_dir(dir)
        .with_context(|| format!("cannot read key folder {}", dir.display()))?;
    for entry in entries {
        let path = entry?.path();
        let name = path.file_name().and_then(|n| n.to_str());
        if name == Some(LOG_KEY_FILE) {
            trusted.log_key = Some(std::fs::read_to_string(&path)?.trim().to_owned());
        } else if name == Some(NODES_FILE) {
            let text = std::fs::read_to_string(&path)?;
            trusted.nodes = serde_json::from_str(&text)
                .with_context(|| format!("{} is not a list of nodes", path.display()))?;
        } else if path.extension().and_then(|e| e.to_str()) == Some("json") {
            let text = std::fs::read_to_string(&path)?;
            let key: KeyRegistration = serde_json::from_str(&text)
                .with_context(|| format!("{} is not a registered key", path.display()))?;
            trusted.keys.push(key);
        }
    }
    if trusted.log_key.is_none() {
        bail!(
            "{} holds no {LOG_KEY_FILE}: export the keys with `concord keys export`",
            dir.display()
        );
    }
    Ok(trusted)
}
