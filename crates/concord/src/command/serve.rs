//! `concord serve`: the HTTP API, the console and, with a federation's flags, this node's
//! part in the federation; stops gracefully on Ctrl-C or SIGTERM.

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::Context;
use concord_store::init::{InitOutcome, init};

use super::announce;
use crate::{database, demo};

/// The trace target of the line saying the ledger's hash mirror is loaded, which `bench
/// memory` waits for: named here, not by the module, so that it stays where it is.
pub const WARMED: &str = "concord::ledger_cache";

/// Serve the HTTP API. On an empty database, first load the built-in demo charter and
/// history (unless --no-demo).
#[derive(Debug, clap::Args)]
pub struct Serve {
    /// Address to listen on (port 0 picks a free port).
    #[arg(long, env = "CONCORD_LISTEN", default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// Do not load the demo data into an empty database.
    #[arg(long)]
    no_demo: bool,
    /// The ledger's signing key (created, owner-only, if missing).
    #[arg(long, env = "CONCORD_LOG_KEY", default_value = "concord-log.key")]
    log_key: PathBuf,
    /// Memory for the in-memory copy of the ledger's hashes that serves proofs
    /// (about 64 bytes a ledger entry; 0 turns it off).
    #[arg(long, env = "CONCORD_LEDGER_CACHE_MB", default_value_t = 1024)]
    ledger_cache_mb: usize,
    #[command(flatten)]
    federation: crate::federation::FederationArgs,
}

impl Serve {
    /// Serves until a shutdown signal.
    pub async fn run(self, database: &str) -> anyhow::Result<()> {
        serve(
            database,
            self.listen,
            self.no_demo,
            &self.log_key,
            self.ledger_cache_mb,
            self.federation,
        )
        .await
    }
}

async fn serve(
    address: &str,
    listen: SocketAddr,
    no_demo: bool,
    key_path: &std::path::Path,
    ledger_cache_mb: usize,
    federation: crate::federation::FederationArgs,
) -> anyhow::Result<()> {
    let store = database::open(address).await?;
    store
        .hash_cache()
        .set_mirror_budget(ledger_cache_mb.saturating_mul(1 << 20));
    let shown = database::redact(address);
    if store.charter().await?.is_none() {
        if no_demo {
            anyhow::bail!(
                "{shown} has no charter: run `concord init` first, or serve without --no-demo"
            );
        }
        if let InitOutcome::Created { events } = init(store.as_ref(), &demo::files()).await? {
            tracing::info!(events, "loaded the built-in demo charter and history");
        }
    }
    let deployment = concord_store::council::Deployment::read(store.as_ref()).await?;
    let (log_key, created) = crate::log_key::load_or_create(key_path, &deployment.origin)?;
    if created {
        announce(&format!(
            "Generated the ledger's signing key at {} (readable by you only). Verifier key: {}",
            key_path.display(),
            log_key.verifier_key()
        ));
    }
    // Proofs then read only the tree's lowest levels from the database.
    let warming = store.clone();
    tokio::spawn(async move {
        match concord_store::ledger::warm(warming.as_ref()).await {
            Ok(n) => tracing::debug!(target: WARMED, hashes = n, "ledger hash cache warmed"),
            Err(e) => tracing::warn!(error = %e, "could not warm the ledger hash cache"),
        }
    });
    // Listen before opening any account: a server that cannot start must not open the
    // administrator's account and lose its password.
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| format!("cannot listen on {listen}"))?;
    let bound = listener.local_addr()?;
    // Whoever reads our output may go away (`concord serve | head -1`): the server keeps
    // running, so these lines must not fail.
    announce(&format!(
        "Concord is serving {} at http://{bound}/ (database: {shown})\n  try: curl http://{bound}/api/v1/chairmanships?from=2017&to=2025",
        deployment.charter.organisation.abbreviation.en
    ));
    // The first start of a database with no account opens the administrator's, and says
    // its password this once.
    if store.accounts().await?.is_empty() {
        let password = concord_store::accounts::generate_password();
        let account = concord_core::accounts::Account {
            username: "admin".into(),
            name: "Administrator".into(),
            affiliation: concord_core::accounts::Affiliation::Secretariat,
            roles: vec![
                concord_core::accounts::Role::Administrator,
                concord_core::accounts::Role::SecretariatOfficer,
            ],
            language: concord_core::accounts::Language::Ru,
            opened_on: time::OffsetDateTime::now_utc().date(),
        };
        match concord_store::accounts::open(store.as_ref(), account, &password, "operator").await {
            Ok(()) => announce(&format!(
                "The console's administrator: sign in at http://{bound}/login as `admin` with password {password}\n  (shown this once; change it with `concord users password admin`)"
            )),
            // Another node opened it first.
            Err(concord_store::accounts::AccountOpError::Exists(_)) => {}
            Err(e) => return Err(e.into()),
        }
    }
    // A server takes part in a federation when it serves other nodes or pulls from them;
    // alone, it makes no node key and records nothing more.
    let federated = federation.federation_listen.is_some() || !federation.peers.is_empty();
    let state = if federated {
        crate::federation::federate(store, deployment, log_key, federation).await?
    } else {
        concord_server::AppState::new(store, deployment, log_key)
    };
    // On Ctrl-C or SIGTERM: stop accepting, end the live streams, let requests in flight
    // finish, but no longer than SHUTDOWN_GRACE.
    let (signalled_tx, signalled_rx) = tokio::sync::oneshot::channel::<()>();
    let server = concord_server::serve(listener, state, async move {
        shutdown_signal().await;
        let _ = signalled_tx.send(());
    });
    tokio::pin!(server);
    tokio::select! {
        result = &mut server => result?,
        _ = async {
            let _ = signalled_rx.await;
            tokio::time::sleep(SHUTDOWN_GRACE).await;
        } => announce("Requests were still running after the grace period: stopping anyway."),
    }
    announce("Concord stopped.");
    Ok(())
}

/// How long requests in flight may run on after a shutdown signal.
const SHUTDOWN_GRACE: std::time::Duration = std::time::Duration::from_secs(10);

/// Completes on Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}
