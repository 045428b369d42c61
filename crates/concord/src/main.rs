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
    no_transparent_huge_pages();
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

/// Turns transparent huge pages off for this process. mimalloc asks the kernel for them
/// on its arena, so the first touch of each 2 MiB there zeroes all of it, and its purges
/// of freed memory break them up to be faulted in again: under ingest, the kernel's
/// zeroing of huge pages took ~6 % of the server's CPU. With 4 KiB pages, 100 reports a
/// request went 11 % faster on the two-core machine, one a request and the audit no
/// slower (BENCHMARKS.md, session 14).
fn no_transparent_huge_pages() {
    #[cfg(target_os = "linux")]
    // SAFETY: PR_SET_THP_DISABLE takes integer arguments only and reads or writes no
    // memory of this process; on a kernel without it the call fails and nothing changes.
    unsafe {
        libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0);
    }
}
