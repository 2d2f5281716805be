//! The database: the only code that knows whether it is SQLite or
//! PostgreSQL. Commands see a [`Store`] and nothing else.

mod models;
mod schema;
mod store;

use std::time::Duration;

use anyhow::{anyhow, bail, Context, Result};
use diesel::connection::SimpleConnection;
use diesel::pg::PgConnection;
use diesel::sqlite::SqliteConnection;
use diesel::{Connection, RunQueryDsl};
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

pub use models::{Dossier, Message, NewMessage};
pub use store::Store;

/// The SQLite schema, embedded in the binary.
const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
/// The PostgreSQL schema, embedded in the binary.
const PG_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

/// How long SQLite waits for another process's write to finish before it
/// gives up (and we retry): cron overlap must never surface as "database is
/// locked".
const SQLITE_BUSY_MS: u32 = 30_000;
/// Whole-transaction retries on SQLite contention, after the busy timeout.
const SQLITE_RETRIES: u32 = 5;

/// Which database a URL names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite(String),
    Postgres(String),
}

impl Backend {
    /// `postgres://…` and `postgresql://…` are PostgreSQL; `sqlite://PATH`
    /// or a bare path is SQLite.
    pub fn for_url(url: &str) -> Result<Backend> {
        let url = url.trim();
        if url.is_empty() {
            bail!("database URL is empty");
        }
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return Ok(Backend::Postgres(url.to_string()));
        }
        if let Some(path) = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:")) {
            if path.is_empty() {
                bail!("database URL {url:?} has no file path");
            }
            return Ok(Backend::Sqlite(path.to_string()));
        }
        if url.contains("://") {
            bail!("database URL {:?}: unknown scheme (use sqlite://PATH or postgres://…)", redact_url(url));
        }
        Ok(Backend::Sqlite(url.to_string()))
    }
}

/// Seconds libpq may take to connect before giving up, unless the URL says
/// otherwise: a look-up must answer the citizen, not hang on a dead server.
const PG_CONNECT_TIMEOUT_SECS: u32 = 10;

/// Adds `connect_timeout` to a PostgreSQL URL that has none.
fn with_connect_timeout(url: &str) -> String {
    if url.contains("connect_timeout=") {
        url.to_string()
    } else {
        let sep = if url.contains('?') { '&' } else { '?' };
        format!("{url}{sep}connect_timeout={PG_CONNECT_TIMEOUT_SECS}")
    }
}

/// Hides the password in a database URL, for every message that shows one.
pub fn redact_url(url: &str) -> String {
    if let Some((scheme, rest)) = url.split_once("://") {
        if let Some((auth, host)) = rest.rsplit_once('@') {
            if let Some((user, _)) = auth.split_once(':') {
                return format!("{scheme}://{user}:***@{host}");
            }
        }
    }
    url.to_string()
}

/// An open database connection.
pub enum Db {
    Sqlite(SqliteConnection),
    Pg(PgConnection),
}

impl Db {
    /// Opens the database and brings its schema up to date, so that a fresh
    /// install needs no separate set-up step.
    pub fn open(url: &str) -> Result<Db> {
        let mut db = Db::connect(url)?;
        db.migrate().with_context(|| format!("database {}: migrating the schema", redact_url(url)))?;
        Ok(db)
    }

    /// Connects without migrating.
    pub fn connect(url: &str) -> Result<Db> {
        let shown = redact_url(url);
        match Backend::for_url(url)? {
            Backend::Sqlite(path) => {
                let mut c = SqliteConnection::establish(&path).map_err(|e| anyhow!("database {shown}: {e}"))?;
                c.batch_execute(&format!(
                    "PRAGMA busy_timeout = {SQLITE_BUSY_MS}; PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL;"
                ))
                .map_err(|e| anyhow!("database {shown}: {e}"))?;
                // Switching a new file to WAL needs a moment alone with it and
                // does not wait on the busy timeout: retry while another
                // process (the first runs on a fresh install) holds it.
                let mut tries = 0;
                loop {
                    match c.batch_execute("PRAGMA journal_mode = WAL;") {
                        Ok(()) => break,
                        Err(e) if is_busy_message(&e.to_string()) && tries < 200 => {
                            tries += 1;
                            std::thread::sleep(Duration::from_millis(50));
                        }
                        Err(e) => return Err(anyhow!("database {shown}: {e}")),
                    }
                }
                Ok(Db::Sqlite(c))
            }
            Backend::Postgres(u) => {
                let c = PgConnection::establish(&with_connect_timeout(&u))
                    .map_err(|e| anyhow!("database {shown}: {}", crate::templates::one_line(&e.to_string())))?;
                Ok(Db::Pg(c))
            }
        }
    }

    /// "sqlite" or "postgres", for messages.
    pub fn backend_name(&self) -> &'static str {
        match self {
            Db::Sqlite(_) => "sqlite",
            Db::Pg(_) => "postgres",
        }
    }

    /// Applies pending migrations, one process at a time (an exclusive
    /// SQLite transaction, or a PostgreSQL advisory lock), and returns the
    /// versions applied.
    pub fn migrate(&mut self) -> Result<Vec<String>> {
        fn applied(v: Vec<diesel::migration::MigrationVersion<'_>>) -> Vec<String> {
            v.into_iter().map(|m| m.to_string()).collect()
        }
        match self {
            Db::Sqlite(c) => {
                if !c.has_pending_migration(SQLITE_MIGRATIONS).map_err(|e| anyhow!("{e}"))? {
                    return Ok(vec![]);
                }
                c.immediate_transaction(|c| {
                    c.run_pending_migrations(SQLITE_MIGRATIONS).map(applied).map_err(|e| anyhow!("{e}"))
                })
            }
            // Even the check creates diesel's bookkeeping table, which two
            // hosts must not do at once: take the lock first.
            Db::Pg(c) => c.transaction(|c| {
                diesel::sql_query("SELECT pg_advisory_xact_lock(8083)").execute(c)?;
                if !c.has_pending_migration(PG_MIGRATIONS).map_err(|e| anyhow!("{e}"))? {
                    return Ok(vec![]);
                }
                c.run_pending_migrations(PG_MIGRATIONS).map(applied).map_err(|e| anyhow!("{e}"))
            }),
        }
    }

    /// The newest applied schema version.
    pub fn schema_version(&mut self) -> Result<Option<String>> {
        let versions = match self {
            Db::Sqlite(c) => c.applied_migrations(),
            Db::Pg(c) => c.applied_migrations(),
        }
        .map_err(|e| anyhow!("{e}"))?;
        Ok(versions.into_iter().map(|v| v.to_string()).max())
    }

    /// Runs `f` in one write transaction: all of it lands or none of it.
    /// On SQLite the transaction takes the write lock up front (`BEGIN
    /// IMMEDIATE`), which is what makes its busy timeout work, and is retried
    /// whole if another process held the lock for too long.
    pub fn write<T>(&mut self, mut f: impl FnMut(&mut dyn Store) -> Result<T>) -> Result<T> {
        match self {
            Db::Sqlite(c) => {
                let mut tries = 0;
                loop {
                    match c.immediate_transaction(|c| f(c)) {
                        Err(e) if is_sqlite_busy(&e) && tries < SQLITE_RETRIES => {
                            tries += 1;
                            std::thread::sleep(Duration::from_millis(200 * u64::from(tries)));
                        }
                        other => return other,
                    }
                }
            }
            Db::Pg(c) => c.transaction(|c| f(c)),
        }
    }

    /// Runs read-only queries.
    pub fn read<T>(&mut self, f: impl FnOnce(&mut dyn Store) -> Result<T>) -> Result<T> {
        match self {
            Db::Sqlite(c) => f(c),
            Db::Pg(c) => f(c),
        }
    }
}

/// True for SQLite's "database is locked" / "busy" errors.
fn is_sqlite_busy(e: &anyhow::Error) -> bool {
    is_busy_message(&e.to_string())
}

/// True for the text of SQLite's "database is locked" / "busy" errors.
fn is_busy_message(s: &str) -> bool {
    s.contains("database is locked") || s.contains("database is busy")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        assert_eq!(Backend::for_url("mckh.db").unwrap(), Backend::Sqlite("mckh.db".into()));
        assert_eq!(
            Backend::for_url("sqlite:///var/lib/mckh/mckh.db").unwrap(),
            Backend::Sqlite("/var/lib/mckh/mckh.db".into())
        );
        assert!(matches!(Backend::for_url("postgresql://h/db").unwrap(), Backend::Postgres(_)));
        assert!(Backend::for_url("sqlite://").is_err());
        assert!(Backend::for_url("mysql://u:pw@h/db").unwrap_err().to_string().contains("mysql://u:***@h/db"));
        assert_eq!(with_connect_timeout("postgres://h/db"), "postgres://h/db?connect_timeout=10");
        assert_eq!(
            with_connect_timeout("postgres://h/db?sslmode=disable"),
            "postgres://h/db?sslmode=disable&connect_timeout=10"
        );
        assert_eq!(with_connect_timeout("postgres://h/db?connect_timeout=3"), "postgres://h/db?connect_timeout=3");
        assert_eq!(redact_url("postgres://mckh:s3cret@db/mckh"), "postgres://mckh:***@db/mckh");
        assert_eq!(redact_url("postgres://mckh@db/mckh"), "postgres://mckh@db/mckh");
        assert_eq!(redact_url("postgres://mckh:p@ss@db/mckh"), "postgres://mckh:***@db/mckh");
    }
}
