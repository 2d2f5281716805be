//! Kannel's sendsms HTTP interface.

use super::{agent, describe, format_to, redact, short_body, Gateway, SendError};
use crate::config::{self, ToFormat};
use crate::domain::phone::Mobile;
use crate::domain::sms::Coding;

/// A Kannel smsbox `sendsms-user`.
pub struct Kannel {
    url: String,
    username: String,
    password: String,
    sender: String,
    smsc: String,
    to_format: ToFormat,
    agent: ureq::Agent,
}

impl Kannel {
    /// Takes the settings it needs from `[gateway]`.
    pub fn new(g: &config::Gateway, password: String) -> Kannel {
        Kannel {
            url: g.url.clone(),
            username: g.username.clone(),
            password,
            sender: g.sender.clone(),
            smsc: g.smsc.clone(),
            to_format: g.to_format,
            agent: agent(g.timeout_secs),
        }
    }
}

impl Gateway for Kannel {
    /// GETs sendsms with the text in UTF-8. Vietnamese needs `coding=2`
    /// (UCS-2), or Kannel turns every accented letter into '?'. Kannel
    /// answers 202 with `0: Accepted for delivery` or `3: Queued for later
    /// delivery` when it has taken the message.
    fn send(&self, to: &Mobile, text: &str) -> Result<String, SendError> {
        let mut req = self
            .agent
            .get(&self.url)
            .query("username", &self.username)
            .query("password", &self.password)
            .query("from", &self.sender)
            .query("to", format_to(to, self.to_format))
            .query("text", text)
            .query("charset", "UTF-8");
        if Coding::for_text(text) == Coding::Ucs2 {
            req = req.query("coding", "2");
        }
        if !self.smsc.is_empty() {
            req = req.query("smsc", &self.smsc);
        }
        let mut resp = req.call().map_err(|e| SendError::Unreachable(describe(&e, &self.password)))?;
        let status = resp.status().as_u16();
        let body =
            resp.body_mut().read_to_string().map_err(|e| SendError::Unreachable(describe(&e, &self.password)))?;
        let answer = redact(&short_body(&body), &self.password);
        if status == 202 && (answer.starts_with("0:") || answer.starts_with("3:")) {
            Ok(answer)
        } else {
            Err(SendError::Rejected(format!("HTTP {status}: {answer}")))
        }
    }
}
