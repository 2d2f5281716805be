//! One module per subcommand, each with its `Args` and `run`.

pub mod apologize;
pub mod lookup;
pub mod migrate;
pub mod notify;
pub mod report;
pub mod sync;

/// Writes one line to stdout, returning the error (a closed pipe is handled
/// in `main`) instead of panicking like `println!`.
pub fn out(line: &str) -> anyhow::Result<()> {
    use std::io::Write;
    let mut o = std::io::stdout().lock();
    writeln!(o, "{line}")?;
    o.flush()?;
    Ok(())
}
