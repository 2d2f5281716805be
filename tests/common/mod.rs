//! The test project builder: a temporary folder with a config file, a fresh
//! database (a real SQLite file, or a fresh database on the PostgreSQL
//! server named by MCKH_TEST_PG_URL when MCKH_TEST_BACKEND=postgres), and
//! the real `mckh` binary run with every MCKH_* variable scrubbed.

#![allow(dead_code)]

pub mod stub;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Nullable, Text};

/// The binary under test.
pub const BIN: &str = env!("CARGO_BIN_EXE_mckh");

/// Which database the suite runs against.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// The backend chosen by MCKH_TEST_BACKEND (default sqlite).
pub fn backend() -> Backend {
    match std::env::var("MCKH_TEST_BACKEND").as_deref() {
        Ok("postgres") => Backend::Postgres,
        Ok("sqlite") | Err(_) => Backend::Sqlite,
        Ok(other) => panic!("MCKH_TEST_BACKEND={other:?}: expected sqlite or postgres"),
    }
}

/// One test's world.
pub struct Project {
    pub dir: tempfile::TempDir,
    pub db_url: String,
    pg_admin: Option<(String, String)>,
}

static SEQ: AtomicU32 = AtomicU32::new(0);

impl Project {
    /// A project with the built-in defaults and an empty database.
    pub fn new() -> Project {
        let dir = tempfile::tempdir().expect("tempdir");
        let (db_url, pg_admin) = match backend() {
            Backend::Sqlite => (format!("sqlite://{}", dir.path().join("mckh.db").display()), None),
            Backend::Postgres => {
                let admin = std::env::var("MCKH_TEST_PG_URL").expect("MCKH_TEST_PG_URL must name the test server");
                let name = format!("mckh_t{}_{}", std::process::id(), SEQ.fetch_add(1, Ordering::SeqCst));
                let mut c = PgConnection::establish(&admin).expect("connect to the test PostgreSQL server");
                c.batch_execute(&format!("CREATE DATABASE {name}")).expect("create test database");
                let url = match admin.rfind('/') {
                    Some(i) => format!("{}/{name}", &admin[..i]),
                    None => panic!("MCKH_TEST_PG_URL needs a database path"),
                };
                (url, Some((admin, name)))
            }
        };
        let p = Project { dir, db_url, pg_admin };
        p.write("mckh.toml", "");
        p
    }

    /// The folder.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Writes a file into the project.
    pub fn write(&self, name: &str, content: &str) -> PathBuf {
        let p = self.path().join(name);
        if let Some(d) = p.parent() {
            std::fs::create_dir_all(d).unwrap();
        }
        std::fs::write(&p, content).unwrap();
        p
    }

    /// Sets the config file's content.
    pub fn config(&self, toml: &str) -> &Self {
        self.write("mckh.toml", toml);
        self
    }

    /// A command for the binary: cwd in the project, the project's config
    /// and database, and no MCKH_* variable from the outside.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut c = Command::new(BIN);
        for (k, _) in std::env::vars() {
            if k.starts_with("MCKH_") {
                c.env_remove(k);
            }
        }
        c.current_dir(self.path())
            .env("MCKH_CONFIG", self.path().join("mckh.toml"))
            .env("MCKH_DATABASE_URL", &self.db_url)
            .env("TZ", "UTC")
            .args(args)
            .stdin(Stdio::null());
        c
    }

    /// Runs the binary at `now` and returns what it did.
    pub fn run_at(&self, now: &str, args: &[&str]) -> Run {
        let out = self.command(args).env("MCKH_NOW", now).output().expect("run mckh");
        Run::from(out)
    }

    /// Runs a query on whichever backend the suite is on.
    fn load<R>(&self, sql: &str) -> Vec<R>
    where
        R: QueryableByName<diesel::sqlite::Sqlite> + QueryableByName<diesel::pg::Pg> + 'static,
    {
        match backend() {
            Backend::Sqlite => {
                let mut c = SqliteConnection::establish(self.db_url.trim_start_matches("sqlite://")).unwrap();
                diesel::sql_query(sql).load(&mut c).unwrap()
            }
            Backend::Postgres => {
                let mut c = PgConnection::establish(&self.db_url).unwrap();
                diesel::sql_query(sql).load(&mut c).unwrap()
            }
        }
    }

    /// Runs a query returning one text column `v` per row.
    pub fn texts(&self, sql: &str) -> Vec<String> {
        #[derive(QueryableByName)]
        struct R {
            #[diesel(sql_type = Nullable<Text>)]
            v: Option<String>,
        }
        self.load::<R>(sql).into_iter().map(|r| r.v.unwrap_or_else(|| "NULL".into())).collect()
    }

    /// Runs a query returning one integer `n`.
    pub fn count(&self, sql: &str) -> i64 {
        #[derive(QueryableByName)]
        struct R {
            #[diesel(sql_type = BigInt)]
            n: i64,
        }
        let rows = self.load::<R>(sql);
        assert_eq!(rows.len(), 1, "{sql}");
        rows[0].n
    }

    /// Executes a statement (to age a message, say).
    pub fn exec(&self, sql: &str) {
        match backend() {
            Backend::Sqlite => SqliteConnection::establish(self.db_url.trim_start_matches("sqlite://"))
                .unwrap()
                .batch_execute(sql)
                .unwrap(),
            Backend::Postgres => PgConnection::establish(&self.db_url).unwrap().batch_execute(sql).unwrap(),
        }
    }
}

impl Drop for Project {
    /// Drops the PostgreSQL test database.
    fn drop(&mut self) {
        if let Some((admin, name)) = &self.pg_admin {
            if let Ok(mut c) = PgConnection::establish(admin) {
                let _ = c.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
            }
        }
    }
}

/// A finished run.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl From<Output> for Run {
    /// Captures status and output as text.
    fn from(o: Output) -> Run {
        Run {
            code: o.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        }
    }
}

impl Run {
    /// Asserts the exit status, showing the output when it differs.
    #[track_caller]
    pub fn code(&self, want: i32) -> &Self {
        assert_eq!(self.code, want, "exit status\nstdout:\n{}\nstderr:\n{}", self.stdout, self.stderr);
        self
    }

    /// Asserts success.
    #[track_caller]
    pub fn ok(&self) -> &Self {
        self.code(0)
    }

    /// The `console:` lines: what the console gateway "sent".
    pub fn sent(&self) -> Vec<String> {
        self.stdout.lines().filter(|l| l.starts_with("console: ")).map(str::to_string).collect()
    }
}

/// The header every export in the tests uses.
pub const HEADER: &str = "receipt_code,phone,procedure,received_at,due_at,step,status,updated_at\n";

/// A `[gateway]` section for the Kannel driver at `base` (a stub or a real
/// smsbox); further `[gateway]` keys may follow it.
pub fn kannel_gateway(base: &str) -> String {
    format!("[gateway]\nkind = \"kannel\"\nurl = \"{base}/cgi-bin/sendsms\"\n")
}

/// Export rows for the receipt codes `0101700000`+`n` for each `n` in
/// `codes`, all with the same phone, dates, `step` and `updated_at`.
pub fn numbered_rows(codes: std::ops::Range<u32>, step: &str, updated_at: &str) -> String {
    codes.map(|i| format!("01017{i:05},0905123456,X,16/10/2017,20/10/2017,{step},,{updated_at}\n")).collect()
}
