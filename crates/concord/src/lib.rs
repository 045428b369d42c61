//! The `concord` binary's parts, as a library so that its tests can drive them: the command
//! line, opening a database by address, and the built-in demo data.

pub mod bench;
pub mod command;
pub mod database;
pub mod demo;
pub mod federation;
pub mod keys;
pub mod log_key;
pub mod node_key;
mod output;
mod private_file;
pub mod sync;
