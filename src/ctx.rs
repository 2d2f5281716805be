//! What every subcommand needs: the configuration, the clock and the way to
//! the database.

use std::time::Instant;

use anyhow::{anyhow, Result};
use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use crate::cli::Cli;
use crate::config::{Config, ConfigError};
use crate::db::Db;
use crate::templates::Templates;

/// The shared context of one run.
pub struct Ctx {
    pub cfg: Config,
    database_url: String,
    /// Where the URL came from, for error messages.
    database_origin: String,
    start: DateTime<Utc>,
    started: Instant,
}

impl Ctx {
    /// Reads the configuration and settles the clock and the database URL
    /// (`--database` beats the config file).
    pub fn new(cli: &Cli) -> Result<Ctx> {
        let cfg = Config::load(cli.config.as_deref())?;
        let start = match &cli.now {
            None => Utc::now(),
            Some(s) => DateTime::parse_from_rfc3339(s.trim())
                .map_err(|_| {
                    ConfigError(format!(
                        "--now / MCKH_NOW: {s:?} is not an RFC 3339 time (e.g. 2017-10-16T17:30:00+07:00)"
                    ))
                })?
                .with_timezone(&Utc),
        };
        let (database_url, database_origin) = match &cli.database {
            Some(u) => (u.clone(), "--database / MCKH_DATABASE_URL".to_string()),
            None => {
                let u = &cfg.database_url;
                // A relative SQLite path in the config file is relative to the file.
                let resolved = match crate::db::Backend::for_url(u) {
                    Ok(crate::db::Backend::Sqlite(p)) if cfg.source.is_some() => {
                        format!("sqlite://{}", cfg.resolve(&p).display())
                    }
                    _ => u.clone(),
                };
                (resolved, format!("{}: database_url", cfg.origin()))
            }
        };
        Ok(Ctx { cfg, database_url, database_origin, start, started: Instant::now() })
    }

    /// The current time: `--now` (advancing with the run), or the clock.
    pub fn now(&self) -> DateTime<Utc> {
        self.start + chrono::Duration::from_std(self.started.elapsed()).unwrap_or_default()
    }

    /// The current time in Unix seconds.
    pub fn now_unix(&self) -> i64 {
        self.now().timestamp()
    }

    /// The configured timezone.
    pub fn tz(&self) -> Tz {
        self.cfg.tz()
    }

    /// Opens (and if needed migrates) the database.
    pub fn db(&self) -> Result<Db> {
        self.check_url()?;
        Db::open(&self.database_url)
    }

    /// Connects to the database without migrating it (for `migrate`).
    pub fn connect(&self) -> Result<Db> {
        self.check_url()?;
        Db::connect(&self.database_url)
    }

    /// A URL of an unknown kind is a configuration error naming its source.
    fn check_url(&self) -> Result<()> {
        crate::db::Backend::for_url(&self.database_url)
            .map(|_| ())
            .map_err(|e| anyhow!(ConfigError(format!("{}: {e}", self.database_origin))))
    }

    /// Loads and checks the message templates.
    pub fn templates(&self) -> Result<Templates> {
        let explicit = self.cfg.source.is_some() && self.cfg.templates_dir != "templates";
        Templates::load(&self.cfg.resolve(&self.cfg.templates_dir), explicit)
    }
}
