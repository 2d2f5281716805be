//! A generic HTTP(S) SMS provider (eSMS, SpeedSMS, VNPT brandname, …): the
//! URL, method, headers and body are handlebars templates from the config,
//! so a new provider needs no code.

use std::collections::BTreeMap;

use anyhow::Result;
use handlebars::{handlebars_helper, Handlebars};
use serde_json::json;

use super::{agent, describe, format_to, redact, short_body, Gateway, SendError};
use crate::config::{self, ConfigError, ToFormat};
use crate::domain::phone::Mobile;
use crate::domain::sms::Coding;
use crate::templates::one_line;

/// One request, rendered.
struct Rendered {
    url: String,
    headers: Vec<(String, String)>,
    body: String,
}

/// A provider described entirely by `[gateway]`.
pub struct Http {
    hb: Handlebars<'static>,
    method: String,
    header_names: Vec<String>,
    has_body: bool,
    username: String,
    password: String,
    sender: String,
    to_format: ToFormat,
    accept_status: Vec<u16>,
    success_contains: String,
    agent: ureq::Agent,
}

/// Percent-encodes everything but RFC 3986's unreserved characters.
pub fn url_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 3);
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => out.push(b as char),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

handlebars_helper!(urlencode_helper: |s: str| url_encode(s));
handlebars_helper!(json_helper: |s: str| serde_json::to_string(s).unwrap_or_default());

impl Http {
    /// Compiles the request templates, checking them with sample values so a
    /// typo is a start-up error naming the key.
    pub fn new(g: &config::Gateway, password: String, origin: &str) -> Result<Http> {
        let mut hb = Handlebars::new();
        hb.set_strict_mode(true);
        hb.register_escape_fn(handlebars::no_escape);
        hb.register_helper("urlencode", Box::new(urlencode_helper));
        hb.register_helper("json", Box::new(json_helper));
        let mut add = |name: &str, src: &str| -> Result<()> {
            hb.register_template_string(name, src)
                .map_err(|e| ConfigError(format!("{origin}: gateway.{name}: {}", one_line(&e.to_string()))))?;
            Ok(())
        };
        add("url", &g.url)?;
        add("body", &g.body)?;
        let mut header_names = Vec::new();
        for (k, v) in &g.headers {
            add(&format!("headers.{k}"), v)?;
            header_names.push(k.clone());
        }
        let method = g.method.to_ascii_uppercase();
        if !matches!(method.as_str(), "GET" | "POST" | "PUT") {
            return Err(ConfigError(format!("{origin}: gateway.method: {:?} is not GET, POST or PUT", g.method)).into());
        }
        let http = Http {
            hb,
            method,
            header_names,
            has_body: !g.body.is_empty(),
            username: g.username.clone(),
            password,
            sender: g.sender.clone(),
            to_format: g.to_format,
            accept_status: g.accept_status.clone(),
            success_contains: g.success_contains.clone(),
            agent: agent(g.timeout_secs),
        };
        let sample = Mobile::parse("0905123456").expect("sample number");
        http.render_all(&sample, "Hồ sơ")
            .map_err(|(name, e)| ConfigError(format!("{origin}: gateway.{name}: {}", redact(&e, &http.password))))?;
        Ok(http)
    }

    /// Renders the URL, headers and body for one message; on error names the
    /// template that failed.
    fn render_all(&self, to: &Mobile, text: &str) -> Result<Rendered, (String, String)> {
        let ucs2 = Coding::for_text(text) == Coding::Ucs2;
        let vars = json!({
            "to": format_to(to, self.to_format),
            "to_national": to.national(),
            "to_international": to.international(),
            "text": text,
            "sender": self.sender,
            "username": self.username,
            "password": self.password,
            "unicode": ucs2,
            "coding": if ucs2 { "ucs2" } else { "gsm7" },
        });
        let render = |name: &str| self.hb.render(name, &vars).map_err(|e| (name.to_string(), one_line(&e.to_string())));
        let url = render("url")?;
        let mut headers = Vec::new();
        for k in &self.header_names {
            headers.push((k.clone(), render(&format!("headers.{k}"))?));
        }
        let body = render("body")?;
        Ok(Rendered { url, headers, body })
    }
}

impl Gateway for Http {
    /// Sends one request; accepted when the status is in `accept_status` and,
    /// if `success_contains` is set, the body contains it.
    fn send(&self, to: &Mobile, text: &str) -> Result<String, SendError> {
        let Rendered { url, headers, body } = self
            .render_all(to, text)
            .map_err(|(n, e)| SendError::Rejected(format!("gateway.{n}: {}", redact(&e, &self.password))))?;
        let headers: BTreeMap<String, String> = headers.into_iter().collect();
        let result = match self.method.as_str() {
            "GET" => {
                let mut r = self.agent.get(&url);
                for (k, v) in &headers {
                    r = r.header(k, v);
                }
                r.call()
            }
            m => {
                let mut r = if m == "PUT" { self.agent.put(&url) } else { self.agent.post(&url) };
                for (k, v) in &headers {
                    r = r.header(k, v);
                }
                if self.has_body {
                    r.send(body.as_bytes())
                } else {
                    r.send_empty()
                }
            }
        };
        let mut resp = result.map_err(|e| SendError::Unreachable(describe(&e, &self.password)))?;
        let status = resp.status().as_u16();
        let text =
            resp.body_mut().read_to_string().map_err(|e| SendError::Unreachable(describe(&e, &self.password)))?;
        let answer = redact(&short_body(&text), &self.password);
        let status_ok = self.accept_status.contains(&status);
        let body_ok = self.success_contains.is_empty() || text.contains(&self.success_contains);
        if status_ok && body_ok {
            Ok(format!("HTTP {status}: {answer}"))
        } else {
            Err(SendError::Rejected(format!("HTTP {status}: {answer}")))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_encoding_is_rfc3986() {
        assert_eq!(url_encode("Hồ sơ 1+1=2&x"), "H%E1%BB%93%20s%C6%A1%201%2B1%3D2%26x");
        assert_eq!(url_encode("a-b_c.d~"), "a-b_c.d~");
    }
}
