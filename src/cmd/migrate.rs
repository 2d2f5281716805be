//! `mckh migrate`: show the schema version and apply pending migrations.

use std::process::ExitCode;

use anyhow::Result;

use crate::ctx::Ctx;

/// Print the schema version and apply pending migrations. Every other
/// command does this too on first use; this one lets an operator do it
/// deliberately, before an upgrade goes live.
#[derive(clap::Args, Debug)]
pub struct Args {}

/// Connects, migrates, and reports the version.
pub fn run(_args: Args, ctx: &Ctx) -> Result<ExitCode> {
    let mut db = ctx.connect()?;
    let applied = db.migrate()?;
    let version = db.schema_version()?.unwrap_or_else(|| "none".into());
    super::out(&format!(
        "migrate: {} schema version {version}{}",
        db.backend_name(),
        if applied.is_empty() { String::new() } else { format!(" (applied now: {})", applied.join(", ")) }
    ))?;
    Ok(ExitCode::SUCCESS)
}
