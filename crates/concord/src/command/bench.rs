//! `concord bench …`: the benchmarks' subcommands and how each prints its figures (the
//! measurements themselves are in `bench*.rs`).

use anyhow::Context;
use clap::Subcommand;

use super::print_json;

/// What to measure.
#[derive(Debug, Subcommand)]
pub enum BenchTarget {
    /// Signed incident reports posted over HTTP by one client process with concurrent
    /// connections, against a bare batched INSERT of the same rows. Uses a fresh SQLite
    /// file unless --database is given explicitly.
    Ingest {
        /// Reports to post.
        #[arg(long, default_value_t = 20_000)]
        reports: usize,
        /// Concurrent connections.
        #[arg(long, default_value_t = 64)]
        connections: usize,
        /// Reports per request: 1 posts each alone; more posts arrays to
        /// /api/v1/incidents/batch (at most 1000).
        #[arg(long, default_value_t = 1)]
        batch: usize,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// What one signed incident report costs, piece by piece, on one core without the
    /// database: JSON, key, canonical message, signature check, decision, ledger entry,
    /// read row.
    Report {
        /// Reports to time.
        #[arg(long, default_value_t = 5000)]
        reports: usize,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// The bare server `bench stream` measures its readers against: writes a frame of
    /// `frame_len` bytes to every connected reader for each number read from standard
    /// input.
    #[command(hide = true)]
    FanOutYardstick {
        /// Bytes a frame.
        #[arg(long, default_value_t = 1000)]
        frame_len: usize,
    },
    /// Several `concord serve` processes on one PostgreSQL database (give a fresh one with
    /// --database): a report acknowledged by the first, to its arrival on the others' live
    /// streams; ingest on one server against all of them.
    Servers {
        /// Servers to start.
        #[arg(long, default_value_t = 3)]
        servers: usize,
        /// Reports timed for delivery.
        #[arg(long, default_value_t = 200)]
        reports: usize,
        /// Live-stream readers on each server but the first.
        #[arg(long, default_value_t = 10)]
        subscribers: usize,
        /// Reports posted in each ingest round (one server, then all).
        #[arg(long, default_value_t = 20_000)]
        ingest_reports: usize,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// The federation: four nodes as processes (fresh SQLite files); propagation from one
    /// node to another's live stream, a new node's catch-up over a long log, and a pull
    /// with nothing new.
    Federation {
        /// Reports timed for propagation.
        #[arg(long, default_value_t = 200)]
        reports: usize,
        /// Entries in the log the late node catches up on.
        #[arg(long, default_value_t = 100_000)]
        entries: u64,
        /// How often each node pulls from each peer, in ms.
        #[arg(long, default_value_t = 100)]
        pull_every_ms: u64,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// The resident memory of `concord serve` over a large ledger (a fresh SQLite file
    /// filled first), and inclusion proofs spread over it through the HTTP API.
    Memory {
        /// Ledger entries to serve.
        #[arg(long, default_value_t = 1_000_000)]
        entries: u64,
        /// Inclusion proofs to ask.
        #[arg(long, default_value_t = 2000)]
        proofs: usize,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Incident search over many reports: domain + country + 30-day window + bounding box.
    Search {
        /// Reports to store.
        #[arg(long, default_value_t = 1_000_000)]
        reports: u64,
        /// Searches to time.
        #[arg(long, default_value_t = 500)]
        searches: usize,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Live-stream fan-out: SSE subscribers on a local server, signed reports posted over
    /// HTTP, time from acknowledgement to delivery.
    Stream {
        /// Connected subscribers.
        #[arg(long, default_value_t = 1000)]
        subscribers: usize,
        /// Reports to post.
        #[arg(long, default_value_t = 200)]
        reports: usize,
        /// Milliseconds between one report's acknowledgement and the next post (0: back
        /// to back, the stream's throughput; more: its latency at that pace).
        #[arg(long, default_value_t = 0)]
        every_ms: u64,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// The council and ledger figures together, each beside its target: append rate,
    /// inclusion proof latency, audit ratio (fresh SQLite files).
    Council {
        /// Events to append before timing proofs (the target is set at 10,000,000).
        #[arg(long, default_value_t = 10_000_000)]
        events: u64,
        /// Inclusion proofs to time.
        #[arg(long, default_value_t = 5000)]
        proofs: usize,
        /// Signed events to audit (the target is set at 1,000,000).
        #[arg(long, default_value_t = 1_000_000)]
        audit_events: u64,
    },
    /// `concord audit` over a fresh SQLite log of signed positions, against
    /// ed25519-dalek's own batch verification of the same signatures.
    Audit {
        /// Signed events to audit.
        #[arg(long, default_value_t = 100_000)]
        events: u64,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Ledger append rate (batched commits) and inclusion-proof latency. Uses a fresh
    /// SQLite file unless --database is given explicitly.
    Ledger {
        /// Events to append.
        #[arg(long, default_value_t = 100_000)]
        events: u64,
        /// Events per commit.
        #[arg(long, default_value_t = 1000)]
        batch: usize,
        /// Inclusion proofs to time.
        #[arg(long, default_value_t = 2000)]
        proofs: usize,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

/// Runs the bench `what` (on `database` only if it was given explicitly) and prints its
/// figures.
pub(crate) async fn run(what: BenchTarget, database: &str) -> anyhow::Result<()> {
    match what {
        BenchTarget::Ledger {
            events,
            batch,
            proofs,
            json,
        } => {
            let database = explicit_database(database);
            let f = crate::bench::ledger(database, events, batch.max(1), proofs).await?;
            if json {
                print_json(&f)
            } else {
                println!("backend: {}", f.backend);
                println!(
                    "append: {:.0} events/s ({} events, {} per commit)",
                    f.append_events_per_second, f.events, f.batch
                );
                println!(
                    "inclusion proof at {} leaves: median {:.1} µs, p99 {:.1} µs ({} proofs)",
                    f.ledger_size, f.inclusion_median_us, f.inclusion_p99_us, f.proofs
                );
                Ok(())
            }
        }
        BenchTarget::Council {
            events,
            proofs,
            audit_events,
        } => {
            let ledger = crate::bench::ledger(None, events, 5000, proofs).await?;
            let audit = crate::bench::audit(audit_events).await?;
            let verdict = |ok: bool| if ok { "met" } else { "NOT met" };
            println!(
                "append through the store (SQLite, 5000 per commit): {:.0} events/s  [target ≥ 50,000: {}]",
                ledger.append_events_per_second,
                verdict(ledger.append_events_per_second >= 50_000.0)
            );
            println!(
                "inclusion proof at {} leaves: median {:.1} µs, p99 {:.1} µs  [target ≤ 100 µs median at 10 M: {}]",
                ledger.ledger_size,
                ledger.inclusion_median_us,
                ledger.inclusion_p99_us,
                if ledger.ledger_size < 10_000_000 {
                    "not measured at 10 M"
                } else {
                    verdict(ledger.inclusion_median_us <= 100.0)
                }
            );
            println!(
                "audit of {} signed events: {:.0}/s vs ed25519-dalek batch {:.0}/s: ratio {:.0} %  [target ≥ 70 %: {}]",
                audit.signed_events,
                audit.audit_signed_events_per_second,
                audit.batch_verify_per_second,
                audit.ratio * 100.0,
                verdict(audit.ratio >= 0.7)
            );
            Ok(())
        }
        BenchTarget::Servers {
            servers,
            reports,
            subscribers,
            ingest_reports,
            json,
        } => {
            let database = explicit_database(database).context(
                "give the PostgreSQL database the servers share: --database postgres://…",
            )?;
            let f = crate::bench::servers::servers(
                database,
                servers,
                reports.max(1),
                subscribers.max(1),
                ingest_reports.max(1),
            )
            .await?;
            if json {
                print_json(&f)
            } else {
                println!(
                    "servers on one PostgreSQL: {} servers; a report acknowledged by the first reaches the others' streams in p50 {:.1} ms, p99 {:.1} ms ({} deliveries; goal p99 ≤ 50 ms{}); ingest on one server {:.0} reports/s, on all {} {:.0} reports/s",
                    f.servers,
                    f.p50_ms,
                    f.p99_ms,
                    f.deliveries,
                    if f.p99_ms <= 50.0 { "" } else { " ✘" },
                    f.ingest_one_server,
                    f.servers,
                    f.ingest_all_servers
                );
                Ok(())
            }
        }
        BenchTarget::Federation {
            reports,
            entries,
            pull_every_ms,
            json,
        } => {
            let f = crate::bench::federation::federation(reports.max(1), entries, pull_every_ms)
                .await?;
            if json {
                print_json(&f)
            } else {
                println!(
                    "federation (4 nodes, SQLite, pulling every {} ms): propagation p50 {:.1} ms, p99 {:.1} ms ({} reports); catch-up of {} entries in {:.1} s ({:.0} entries/s); pull with nothing new {:.1} ms (slowest of 5: {:.1} ms; goal < 1000 ms)",
                    f.pull_every_ms,
                    f.propagation_p50_ms,
                    f.propagation_p99_ms,
                    f.reports,
                    f.log_entries,
                    f.catch_up_seconds,
                    f.catch_up_per_second,
                    f.no_change_pull_ms,
                    f.no_change_pull_max_ms
                );
                Ok(())
            }
        }
        BenchTarget::Ingest {
            reports,
            connections,
            batch,
            json,
        } => {
            let database = explicit_database(database);
            let batch = batch.clamp(1, concord_server::incidents::BATCH_LIMIT);
            let f = crate::bench::ingest(database, reports, connections.max(1), batch).await?;
            if json {
                print_json(&f)
            } else {
                println!(
                    "ingest ({}): {:.0} signed reports/s over HTTP ({} reports, {} connections, {} per request); bare batched INSERT {:.0} rows/s; ratio {:.1} %",
                    f.backend,
                    f.reports_per_second,
                    f.reports,
                    f.connections,
                    f.batch,
                    f.bare_rows_per_second,
                    f.ratio * 100.0
                );
                let share = f.reports_per_second / f.batch_verify_per_second * 100.0;
                println!(
                    "  Ed25519 batch verification of the same signatures, one core: {:.0}/s; ingest is {share:.1} % of it (goal ≥ 30 %){}",
                    f.batch_verify_per_second,
                    if share >= 30.0 { "" } else { " ✘" }
                );
                println!(
                    "  the same requests answered by a handler that only reads them (this machine's HTTP alone): {:.0} reports/s; ingest is {:.1} % of it",
                    f.bare_http_per_second,
                    f.reports_per_second / f.bare_http_per_second * 100.0
                );
                Ok(())
            }
        }
        BenchTarget::Report { reports, json } => {
            let f = crate::bench::report::run(reports)?;
            if json {
                print_json(&f)
            } else {
                println!(
                    "one signed incident report, piece by piece ({} reports, one core, µs each):",
                    f.reports
                );
                for (what, us) in [
                    ("read the posted JSON", f.parse_json_us),
                    ("read the registered key", f.parse_key_us),
                    ("canonical message", f.canonical_message_us),
                    ("message + strict Ed25519 check", f.verify_us),
                    ("Ed25519 batch verification (64)", f.batch_verify_us),
                    ("seals of 64 checked together", f.batch_seals_us),
                    ("whole decision (Council::decide_at)", f.decide_us),
                    ("ledger entry (JSON, salt, hash)", f.ledger_entry_us),
                    ("read row", f.read_row_us),
                ] {
                    println!("  {what:<40} {us:>8.1}");
                }
                Ok(())
            }
        }
        BenchTarget::Memory {
            entries,
            proofs,
            json,
        } => {
            let f = crate::bench::memory::memory(entries, proofs.max(1)).await?;
            if json {
                print_json(&f)
            } else {
                println!(
                    "concord serve over {} ledger entries ({:.0} MiB of SQLite): serving after {:.1} s, hash mirror loaded after {:.1} s: resident {:.0} MiB (its own {:.0} MiB, the rest mapped pages of the database file)",
                    f.entries,
                    f.database_mib,
                    f.serving_seconds,
                    f.warm_seconds,
                    f.rss_warm_mib,
                    f.anon_warm_mib
                );
                println!(
                    "  after {} inclusion proofs over HTTP (p50 {:.2} ms, p99 {:.2} ms): resident {:.0} MiB (its own {:.0} MiB), highest {:.0} MiB",
                    f.proofs,
                    f.proof_p50_ms,
                    f.proof_p99_ms,
                    f.rss_after_proofs_mib,
                    f.anon_after_proofs_mib,
                    f.rss_peak_mib
                );
                Ok(())
            }
        }
        BenchTarget::Search {
            reports,
            searches,
            json,
        } => {
            let f = crate::bench::search(reports, searches).await?;
            if json {
                print_json(&f)
            } else {
                println!(
                    "search over {} reports (domain + country + 30 days + box), as the secretariat: p50 {:.2} ms, p99 {:.2} ms ({} searches, {:.1} found on average)",
                    f.reports, f.p50_ms, f.p99_ms, f.searches, f.mean_found
                );
                println!(
                    "  as a member state (releasability in the query): p50 {:.2} ms, p99 {:.2} ms ({:.1} found on average)",
                    f.member_p50_ms, f.member_p99_ms, f.member_mean_found
                );
                Ok(())
            }
        }
        BenchTarget::FanOutYardstick { frame_len } => {
            crate::bench::yardstick::serve_frames(frame_len).await
        }
        BenchTarget::Stream {
            subscribers,
            reports,
            every_ms,
            json,
        } => {
            let f = crate::bench::stream(subscribers, reports, every_ms).await?;
            if json {
                print_json(&f)
            } else {
                println!(
                    "live stream: {} subscribers, {} reports {}, {} deliveries (of {}): p50 {:.1} ms, p99 {:.1} ms from acknowledgement to delivery; server resident memory {:.0} MiB with every stream open, {:.0} MiB at its highest",
                    f.subscribers,
                    f.reports,
                    if f.every_ms == 0 {
                        "back to back".to_owned()
                    } else {
                        format!("{} ms apart", f.every_ms)
                    },
                    f.deliveries,
                    f.subscribers * f.reports,
                    f.p50_us / 1000.0,
                    f.p99_us / 1000.0,
                    f.server_rss_subscribed_mib,
                    f.server_rss_peak_mib
                );
                println!(
                    "  the same readers on a server that only writes each frame to every connection (this machine's fan-out alone): p50 {:.1} ms, p99 {:.1} ms",
                    f.bare_p50_us / 1000.0,
                    f.bare_p99_us / 1000.0
                );
                Ok(())
            }
        }
        BenchTarget::Audit { events, json } => {
            let f = crate::bench::audit(events).await?;
            if json {
                print_json(&f)
            } else {
                println!(
                    "audit of {} signed events: {:.0} signed events/s",
                    f.signed_events, f.audit_signed_events_per_second
                );
                println!(
                    "ed25519-dalek batch verification, same signatures: {:.0} signatures/s",
                    f.batch_verify_per_second
                );
                println!("ratio: {:.0} %", f.ratio * 100.0);
                Ok(())
            }
        }
    }
}

/// The database a bench was given explicitly (`--database` or `CONCORD_DATABASE`), or
/// `None` for a fresh temporary SQLite file: the global option's default must not send
/// benchmark data into the working `concord.db`.
fn explicit_database(database: &str) -> Option<&str> {
    let explicit = std::env::args().any(|a| a == "--database" || a.starts_with("--database="))
        || std::env::var_os("CONCORD_DATABASE").is_some();
    explicit.then_some(database)
}
