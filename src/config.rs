//! The configuration file (`mckh.toml`), its defaults, and where it is found.
//!
//! Every key is optional. Unknown keys are errors, so a typo such as
//! `max_attemps` is reported with its line instead of being silently ignored.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use chrono_tz::Tz;
use serde::Deserialize;

/// A configuration problem: the file, key or value is wrong. Exits 78
/// (EX_CONFIG), so monitoring can tell it from a run-time failure.
#[derive(Debug)]
pub struct ConfigError(pub String);

impl std::fmt::Display for ConfigError {
    /// The message alone: it already names the file and key.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ConfigError {}

/// The file's shape, with the defaults of the README.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    pub timezone: String,
    pub database_url: String,
    pub templates_dir: String,
    pub workflow: Workflow,
    pub lookup: Lookup,
    pub sms: Sms,
    pub notify: Notify,
    pub gateway: Gateway,
    pub report: Report,
    /// Where relative paths in this file are resolved from: the file's own
    /// folder, or the working directory when no file was read.
    #[serde(skip)]
    pub base_dir: PathBuf,
    /// The file that was read, for error messages.
    #[serde(skip)]
    pub source: Option<PathBuf>,
    #[serde(skip)]
    pub tz: Option<Tz>,
}

impl Default for Config {
    /// The built-in defaults, used for every key the file leaves out.
    fn default() -> Self {
        Config {
            timezone: "Asia/Ho_Chi_Minh".into(),
            database_url: "sqlite://mckh.db".into(),
            templates_dir: "templates".into(),
            workflow: Workflow::default(),
            lookup: Lookup::default(),
            sms: Sms::default(),
            notify: Notify::default(),
            gateway: Gateway::default(),
            report: Report::default(),
            base_dir: PathBuf::from("."),
            source: None,
            tz: None,
        }
    }
}

/// How the case software names the two states that trigger a notice.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Workflow {
    pub result_step: String,
    pub supplement_status: String,
}

impl Default for Workflow {
    /// The names the announcement uses.
    fn default() -> Self {
        Workflow { result_step: "Trả kết quả".into(), supplement_status: "Chờ bổ sung".into() }
    }
}

/// Where a look-up reply goes.
#[derive(Debug, Deserialize, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum ReplyVia {
    /// Printed for Kannel's exec hook to send back (unaccented).
    Stdout,
    /// Sent by mckh itself through the gateway (full Vietnamese).
    Gateway,
}

/// The look-up service.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Lookup {
    pub keyword: String,
    pub reply_via: ReplyVia,
    /// The short code citizens text, shown in the syntax reply.
    pub short_code: String,
    /// What each look-up costs the citizen, for the report (VND).
    pub price_vnd: u64,
}

impl Default for Lookup {
    /// The announcement's keyword, short code and price.
    fn default() -> Self {
        Lookup { keyword: "MCKH".into(), reply_via: ReplyVia::Stdout, short_code: "8083".into(), price_vnd: 1000 }
    }
}

/// Text options for notices.
#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct Sms {
    pub unaccented: bool,
}

/// The send queue's limits.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Notify {
    pub max_age_hours: u32,
    pub max_attempts: u32,
    /// The first retry waits this long; each further one waits twice as long
    /// (at most six hours).
    pub retry_after_secs: u32,
    /// After this many gateway failures in a row a run stops sending, so a
    /// dead gateway does not hold one cron run for hours.
    pub stop_after_failures: u32,
}

impl Default for Notify {
    /// Three days, five tries, five minutes.
    fn default() -> Self {
        Notify { max_age_hours: 72, max_attempts: 5, retry_after_secs: 300, stop_after_failures: 3 }
    }
}

/// Which gateway driver to use.
#[derive(Debug, Deserialize, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum GatewayKind {
    Console,
    Kannel,
    Http,
}

/// How the recipient's number is written for the gateway.
#[derive(Debug, Deserialize, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum ToFormat {
    /// `84905123456`
    International,
    /// `+84905123456`
    Plus,
    /// `0905123456`
    National,
}

/// The SMS gateway.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Gateway {
    pub kind: GatewayKind,
    pub url: String,
    pub username: String,
    pub password: String,
    pub password_file: String,
    pub sender: String,
    pub timeout_secs: u64,
    pub to_format: ToFormat,
    /// kannel: route through this smsc-id (optional).
    pub smsc: String,
    /// http: the request method.
    pub method: String,
    /// http: header templates.
    pub headers: BTreeMap<String, String>,
    /// http: the body template (empty: no body).
    pub body: String,
    /// http: the status codes that mean "accepted".
    pub accept_status: Vec<u16>,
    /// http: when set, the response body must contain this to count as
    /// accepted (eSMS answers 200 either way).
    pub success_contains: String,
}

impl Default for Gateway {
    /// A console gateway, and Kannel's usual sendsms address for when the
    /// kind is switched.
    fn default() -> Self {
        Gateway {
            kind: GatewayKind::Console,
            url: "http://127.0.0.1:13013/cgi-bin/sendsms".into(),
            username: String::new(),
            password: String::new(),
            password_file: String::new(),
            sender: "8083".into(),
            timeout_secs: 10,
            to_format: ToFormat::International,
            smsc: String::new(),
            method: "GET".into(),
            headers: BTreeMap::new(),
            body: String::new(),
            accept_status: vec![200, 201, 202],
            success_contains: String::new(),
        }
    }
}

/// The monthly report.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Report {
    /// `,` (default) or `;` for Excel set to a locale whose list separator
    /// is a semicolon; with `;` decimals are written with a comma.
    pub delimiter: String,
}

impl Default for Report {
    /// Plain comma-separated values.
    fn default() -> Self {
        Report { delimiter: ",".into() }
    }
}

impl Config {
    /// Finds and reads the configuration: `--config`/`MCKH_CONFIG` (which
    /// must exist), else `./mckh.toml`, else `/etc/mckh/mckh.toml`, else the
    /// built-in defaults.
    pub fn load(explicit: Option<&Path>) -> Result<Config> {
        let path = match explicit {
            Some(p) => Some(p.to_path_buf()),
            None => ["mckh.toml", "/etc/mckh/mckh.toml"].iter().map(PathBuf::from).find(|p| p.is_file()),
        };
        let mut cfg = match &path {
            None => Config::default(),
            Some(p) => {
                let text =
                    std::fs::read_to_string(p).map_err(|e| ConfigError(format!("config {}: {e}", p.display())))?;
                Self::parse(&text, p)?
            }
        };
        cfg.base_dir = match &path {
            Some(p) => p.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new(".")).to_path_buf(),
            None => PathBuf::from("."),
        };
        cfg.source = path;
        cfg.validate()?;
        Ok(cfg)
    }

    /// Parses the TOML text; errors name the file, line and column.
    fn parse(text: &str, path: &Path) -> Result<Config> {
        toml::from_str::<Config>(text).map_err(|e| {
            let place = e
                .span()
                .map(|s| {
                    let line = text[..s.start.min(text.len())].matches('\n').count() + 1;
                    format!(" line {line}")
                })
                .unwrap_or_default();
            ConfigError(format!("config {}{place}: {}", path.display(), e.message())).into()
        })
    }

    /// Names this configuration's source in errors.
    pub fn origin(&self) -> String {
        match &self.source {
            Some(p) => format!("config {}", p.display()),
            None => "built-in config".into(),
        }
    }

    /// Checks the values serde cannot: the timezone name, numbers that must
    /// be positive, and the report delimiter.
    fn validate(&mut self) -> Result<()> {
        let origin = self.origin();
        let bad = |key: &str, why: String| -> anyhow::Error { ConfigError(format!("{origin}: {key}: {why}")).into() };
        let tz: Tz = self.timezone.parse().map_err(|_| {
            bad("timezone", format!("unknown timezone {:?} (for example \"Asia/Ho_Chi_Minh\")", self.timezone))
        })?;
        self.tz = Some(tz);
        if self.notify.max_attempts == 0 {
            return Err(bad("notify.max_attempts", "must be at least 1".into()));
        }
        if self.notify.stop_after_failures == 0 {
            return Err(bad("notify.stop_after_failures", "must be at least 1".into()));
        }
        if self.gateway.timeout_secs == 0 {
            return Err(bad("gateway.timeout_secs", "must be at least 1".into()));
        }
        if self.lookup.keyword.trim().is_empty() || self.lookup.keyword.contains(char::is_whitespace) {
            return Err(bad("lookup.keyword", "must be one word".into()));
        }
        if !matches!(self.report.delimiter.as_str(), "," | ";" | "\t") {
            return Err(bad(
                "report.delimiter",
                format!("{:?} is not one of \",\", \";\", \"\\t\"", self.report.delimiter),
            ));
        }
        if self.gateway.kind != GatewayKind::Console && self.gateway.url.trim().is_empty() {
            return Err(bad("gateway.url", "is empty".into()));
        }
        Ok(())
    }

    /// The configured timezone (validated at load).
    pub fn tz(&self) -> Tz {
        self.tz.unwrap_or(chrono_tz::Asia::Ho_Chi_Minh)
    }

    /// Resolves a path from this file against the file's folder.
    pub fn resolve(&self, p: &str) -> PathBuf {
        let p = Path::new(p);
        if p.is_absolute() {
            p.to_path_buf()
        } else {
            self.base_dir.join(p)
        }
    }

    /// The gateway password: `MCKH_GATEWAY_PASSWORD`, else the first line of
    /// `password_file`, else `password`. Kept out of every message.
    pub fn gateway_password(&self) -> Result<String> {
        if let Ok(p) = std::env::var("MCKH_GATEWAY_PASSWORD") {
            return Ok(p);
        }
        if !self.gateway.password_file.is_empty() {
            let path = self.resolve(&self.gateway.password_file);
            let text = std::fs::read_to_string(&path).map_err(|e| {
                ConfigError(format!("{}: gateway.password_file {}: {e}", self.origin(), path.display()))
            })?;
            let line = text.lines().next().unwrap_or("").trim_end_matches('\r').to_string();
            if line.is_empty() {
                bail!(ConfigError(format!("{}: gateway.password_file {} is empty", self.origin(), path.display())));
            }
            return Ok(line);
        }
        Ok(self.gateway.password.clone())
    }
}

/// Reads the whole of a file the user named, with the file in the error.
pub fn read_named(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).with_context(|| format!("{}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Config> {
        let mut c = Config::parse(text, Path::new("/etc/mckh/mckh.toml"))?;
        c.source = Some("/etc/mckh/mckh.toml".into());
        c.validate()?;
        Ok(c)
    }

    #[test]
    fn empty_file_is_all_defaults() {
        let c = parse("").unwrap();
        assert_eq!(c.timezone, "Asia/Ho_Chi_Minh");
        assert_eq!(c.workflow.result_step, "Trả kết quả");
        assert_eq!(c.lookup.reply_via, ReplyVia::Stdout);
        assert_eq!(c.gateway.kind, GatewayKind::Console);
        assert_eq!(c.notify.max_attempts, 5);
    }

    #[test]
    fn unknown_keys_name_the_line() {
        let e = parse("timezone = \"Asia/Ho_Chi_Minh\"\n[notify]\nmax_attemps = 3\n").unwrap_err();
        let msg = format!("{e:#}");
        assert!(msg.contains("/etc/mckh/mckh.toml line 3"), "{msg}");
        assert!(msg.contains("max_attemps"), "{msg}");
    }

    #[test]
    fn bad_values_name_the_key() {
        let e = format!("{:#}", parse("timezone = \"Mars/Olympus\"").unwrap_err());
        assert!(e.contains("timezone") && e.contains("Mars/Olympus"), "{e}");
        let e = format!("{:#}", parse("[gateway]\nkind = \"smpp\"").unwrap_err());
        assert!(e.contains("line 2"), "{e}");
        let e = format!("{:#}", parse("[report]\ndelimiter = \"|\"").unwrap_err());
        assert!(e.contains("report.delimiter"), "{e}");
    }
}
