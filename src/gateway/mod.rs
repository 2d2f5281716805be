//! SMS gateways: one driver per file behind the [`Gateway`] trait.

mod console;
mod http;
mod kannel;

use std::time::Duration;

use anyhow::Result;

use crate::config::{Config, GatewayKind, ToFormat};
use crate::domain::phone::Mobile;

/// Why a send did not succeed.
#[derive(Debug)]
pub enum SendError {
    /// The gateway answered, and the answer was no (bad number, bad
    /// credentials, throttled): worth a retry later, but the gateway is up.
    Rejected(String),
    /// The gateway could not be reached or did not answer in time.
    Unreachable(String),
}

impl std::fmt::Display for SendError {
    /// The reason, as recorded in the database and shown in summaries.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SendError::Rejected(s) => write!(f, "rejected: {s}"),
            SendError::Unreachable(s) => write!(f, "unreachable: {s}"),
        }
    }
}

/// Something that can deliver one SMS.
pub trait Gateway {
    /// Sends `text` to `to`. `Ok` carries the gateway's acceptance answer,
    /// which is stored with the message.
    fn send(&self, to: &Mobile, text: &str) -> Result<String, SendError>;
}

/// Builds the configured driver. Reads the password now, so a missing
/// password file is an error before anything is sent.
pub fn from_config(cfg: &Config) -> Result<Box<dyn Gateway>> {
    let g = &cfg.gateway;
    Ok(match g.kind {
        GatewayKind::Console => Box::new(console::Console),
        GatewayKind::Kannel => Box::new(kannel::Kannel::new(g, cfg.gateway_password()?)),
        GatewayKind::Http => Box::new(http::Http::new(g, cfg.gateway_password()?, &cfg.origin())?),
    })
}

/// Writes the number the way the gateway wants it.
pub fn format_to(to: &Mobile, f: ToFormat) -> String {
    match f {
        ToFormat::International => to.international(),
        ToFormat::Plus => format!("+{}", to.international()),
        ToFormat::National => to.national(),
    }
}

/// The HTTP client every HTTP driver shares: a hard overall timeout (a hung
/// gateway must not hold cron), and HTTP error statuses returned as answers
/// rather than errors, so each driver judges them.
pub(crate) fn agent(timeout_secs: u64) -> ureq::Agent {
    ureq::Agent::config_builder()
        .timeout_global(Some(Duration::from_secs(timeout_secs)))
        .http_status_as_error(false)
        .build()
        .into()
}

/// Describes a transport error without the URL (which carries the password
/// for Kannel), and blanks the password should it appear anyway.
pub(crate) fn describe(e: &ureq::Error, secret: &str) -> String {
    let s = match e {
        ureq::Error::Timeout(_) => "no answer within the timeout".to_string(),
        ureq::Error::Io(io) => io.to_string(),
        ureq::Error::ConnectionFailed => "connection failed".to_string(),
        ureq::Error::HostNotFound => "host not found".to_string(),
        other => other.to_string(),
    };
    redact(&s, secret)
}

/// Replaces every occurrence of `secret`, as it is and as it looks inside a
/// URL, by `***`.
pub(crate) fn redact(s: &str, secret: &str) -> String {
    if secret.is_empty() {
        return s.to_string();
    }
    let encoded = http::url_encode(secret);
    s.replace(secret, "***").replace(&encoded, "***").replace(&encoded.replace("%20", "+"), "***")
}

/// The first line of a response body, shortened, for the record.
pub(crate) fn short_body(body: &str) -> String {
    let line = body.lines().next().unwrap_or("").trim();
    line.chars().take(200).collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn redaction_covers_url_forms() {
        assert_eq!(super::redact("GET /?password=p%20w%26x&a=p w&x", "p w&x"), "GET /?password=***&a=***");
        assert_eq!(super::redact("a+b p+w%26x", "p w&x"), "a+b ***");
        assert_eq!(super::redact("nothing", ""), "nothing");
    }
}
