//! `mckh`: SMS notices and SMS status look-ups for citizens whose dossiers
//! the Department of Justice of Khánh Hòa handles at its one-stop-shop desk.

mod cli;
mod cmd;
mod config;
mod ctx;
mod db;
mod domain;
mod gateway;
mod templates;

use std::process::ExitCode;

use clap::Parser;

/// Exit status for a configuration error (sysexits EX_CONFIG).
pub const EXIT_CONFIG: u8 = 78;

/// Runs the command and turns its outcome into an exit status; an error is
/// printed as one line with its causes.
fn main() -> ExitCode {
    match run() {
        Ok(code) => code,
        Err(e) if is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("mckh: {}", templates::one_line(&format!("{e:#}")));
            if e.chain().any(|c| c.is::<config::ConfigError>()) {
                ExitCode::from(EXIT_CONFIG)
            } else if e.chain().any(|c| c.is::<cmd::sync::DataError>()) {
                ExitCode::from(cmd::sync::EXIT_DATAERR)
            } else {
                ExitCode::FAILURE
            }
        }
    }
}

/// Parses the command line and dispatches. A look-up whose command line
/// cannot be parsed still answers the citizen.
fn run() -> anyhow::Result<ExitCode> {
    let cli = match cli::Cli::try_parse() {
        Ok(c) => c,
        Err(e)
            if is_lookup_invocation()
                && !matches!(
                    e.kind(),
                    clap::error::ErrorKind::DisplayHelp | clap::error::ErrorKind::DisplayVersion
                ) =>
        {
            eprintln!("mckh lookup: {}", templates::one_line(&e.to_string()));
            return cmd::lookup::fallback_reply();
        }
        Err(e) => e.exit(),
    };
    let ctx = ctx::Ctx::new(&cli);
    match cli.command {
        cli::Command::Lookup(args) => cmd::lookup::run(args, ctx),
        other => {
            let ctx = ctx?;
            match other {
                cli::Command::Sync(args) => cmd::sync::run(args, &ctx),
                cli::Command::Notify(args) => cmd::notify::run(args, &ctx),
                cli::Command::Apologize(args) => cmd::apologize::run(args, &ctx),
                cli::Command::Report(args) => cmd::report::run(args, &ctx),
                cli::Command::Migrate(args) => cmd::migrate::run(args, &ctx),
                cli::Command::Lookup(_) => unreachable!(),
            }
        }
    }
}

/// True when the subcommand (the first argument that is neither a global
/// option nor its value) is `lookup`.
fn is_lookup_invocation() -> bool {
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--config" | "--database" | "--now" => {
                args.next();
            }
            s if s.starts_with('-') => {}
            s => return s == "lookup",
        }
    }
    false
}

/// A closed pipe (`mckh report | head`) is the reader's choice, not an error.
fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}
