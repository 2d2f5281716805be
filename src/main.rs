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

/// Parses the command line and dispatches.
fn run() -> anyhow::Result<ExitCode> {
    let argv: Vec<String> = std::env::args_os().map(|a| a.to_string_lossy().into_owned()).collect();
    if let Some((head, args)) = split_lookup(&argv) {
        // A look-up whose command line cannot be parsed still answers.
        return match cli::Cli::try_parse_from(&head) {
            Ok(cli) => cmd::lookup::run(args, ctx::Ctx::new(&cli)),
            Err(e) => {
                eprintln!("mckh lookup: {}", templates::one_line(&e.to_string()));
                cmd::lookup::fallback_reply()
            }
        };
    }
    let cli = cli::Cli::parse_from(&argv);
    let ctx = ctx::Ctx::new(&cli)?;
    match cli.command {
        cli::Command::Sync(args) => cmd::sync::run(args, &ctx),
        cli::Command::Notify(args) => cmd::notify::run(args, &ctx),
        cli::Command::Apologize(args) => cmd::apologize::run(args, &ctx),
        cli::Command::Report(args) => cmd::report::run(args, &ctx),
        cli::Command::Migrate(args) => cmd::migrate::run(args, &ctx),
        cli::Command::Lookup(args) => cmd::lookup::run(args, Ok(ctx)),
    }
}

/// The global options that take a value.
const GLOBAL_WITH_VALUE: &[&str] = &["--config", "--database", "--now"];

/// Splits a `lookup` command line by hand. The message text comes from a
/// stranger's phone, so no word of it may be taken for an option: "--help"
/// or "--from" texted to 8083 must get the syntax reply, not clap's help or
/// a usage error. Returns the part for clap (program, global options,
/// `lookup`) and the look-up's own arguments; `None` for other subcommands.
fn split_lookup(argv: &[String]) -> Option<(Vec<String>, cmd::lookup::Args)> {
    let mut i = 1;
    while i < argv.len() {
        let a = argv[i].as_str();
        if GLOBAL_WITH_VALUE.contains(&a) {
            i += 2;
        } else if a.starts_with('-') {
            i += 1;
        } else {
            break;
        }
    }
    if argv.get(i).map(String::as_str) != Some("lookup") {
        return None;
    }
    let mut head: Vec<String> = argv[..=i].to_vec();
    let mut from = None;
    let mut rest = &argv[i + 1..];
    loop {
        match rest.first().map(String::as_str) {
            Some("--from") if rest.len() >= 2 => {
                from = Some(rest[1].clone());
                rest = &rest[2..];
            }
            Some(a) if a.starts_with("--from=") => {
                from = Some(a["--from=".len()..].to_string());
                rest = &rest[1..];
            }
            Some(a) if GLOBAL_WITH_VALUE.contains(&a) && rest.len() >= 2 => {
                head.extend_from_slice(&rest[..2]);
                rest = &rest[2..];
            }
            Some("--") => {
                rest = &rest[1..];
                break;
            }
            _ => break,
        }
    }
    Some((head, cmd::lookup::Args { from, text: rest.to_vec() }))
}

/// A closed pipe (`mckh report | head`) is the reader's choice, not an error.
fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| c.downcast_ref::<std::io::Error>().is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe))
}
