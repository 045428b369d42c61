//! `concord`: the one binary. Serves the API, initialises a database from a charter and a
//! history, checks data files, and answers the registry's questions on the command line.

use std::process::ExitCode;

use clap::Parser;

/// mimalloc: the server and the audit allocate many small JSON values; glibc's allocator
/// spent an eighth of an audit's time in malloc and free.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
use concord::command;

fn main() -> ExitCode {
    let args = command::Cli::parse();
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("CONCORD_LOG")
                .unwrap_or_else(|_| "warn,concord=info,concord_server=info".into()),
        )
        .init();
    let runtime = tokio::runtime::Runtime::new().expect("the async runtime starts");
    match runtime.block_on(command::run(args)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
