//! The command line: global options and the subcommands.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::cmd;

/// SMS notices and SMS status look-ups for the one-stop-shop desk
/// (Bộ phận Một cửa) of the Department of Justice of Khánh Hòa.
///
/// Exit codes: 0 success; 1 run-time failure (database, I/O); 2 bad command
/// line; 65 sync skipped bad rows; 75 notify could not send some messages
/// (they stay queued); 78 configuration error. `lookup` always exits 0.
#[derive(Parser, Debug)]
#[command(name = "mckh", version, about, long_about)]
pub struct Cli {
    /// Configuration file (default: ./mckh.toml, then /etc/mckh/mckh.toml,
    /// then built-in defaults).
    #[arg(long, global = true, env = "MCKH_CONFIG", value_name = "PATH")]
    pub config: Option<PathBuf>,

    /// Database URL, overriding the config: sqlite://PATH, a bare path, or
    /// postgres://… (keep passwords in ~/.pgpass, not here).
    #[arg(long, global = true, env = "MCKH_DATABASE_URL", value_name = "URL", hide_env_values = true)]
    pub database: Option<String>,

    /// Use this RFC 3339 instant as the current time (replays and tests).
    #[arg(long, global = true, env = "MCKH_NOW", value_name = "TIME")]
    pub now: Option<String>,

    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Subcommand, Debug)]
pub enum Command {
    /// Import a CSV export of the case software and queue the notices it calls for.
    Sync(cmd::sync::Args),
    /// Send the queued messages through the gateway.
    Notify(cmd::notify::Args),
    /// Apologise to every dossier due tomorrow that has no result yet.
    Apologize(cmd::apologize::Args),
    /// Answer one inbound look-up SMS (run by Kannel's exec hook).
    Lookup(cmd::lookup::Args),
    /// Write the monthly CSV report for the administrative-reform office.
    Report(cmd::report::Args),
    /// Print the schema version and apply pending migrations.
    Migrate(cmd::migrate::Args),
}
