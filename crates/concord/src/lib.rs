//! The `concord` binary's parts, as a library so that its tests can drive them: the command
//! line, opening a database by address, and the built-in demo data.

pub mod alerts;
pub mod bench;
pub mod bench_command;
pub mod bench_federation;
pub mod bench_memory;
pub mod bench_report;
pub mod bench_servers;
pub mod bench_yardstick;
pub mod cli;
pub mod council;
pub mod database;
pub mod demo;
pub mod incidents;
pub mod keys;
pub mod log_key;
pub mod node_key;
pub mod nodes;
mod output;
mod private_file;
pub mod sync;
pub mod users;
pub mod year;
