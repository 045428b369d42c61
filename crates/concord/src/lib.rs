//! The `concord` binary's parts, as a library so that its tests can drive them: the command
//! line, opening a database by address, and the built-in demo data.

pub mod alerts;
pub mod bench;
pub mod bench_command;
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
