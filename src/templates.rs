//! The message texts: handlebars templates from `templates_dir`, falling back
//! to built-in copies of the announcement's texts.

use std::path::{Path, PathBuf};

use anyhow::Result;
use handlebars::Handlebars;
use serde_json::{json, Value};

use crate::config::ConfigError;

/// One message text: its name, the built-in default, and the variables it
/// may use (filled with sample values to check the template at start-up).
struct Spec {
    name: &'static str,
    default: &'static str,
    sample: fn() -> Value,
}

/// Every template mckh renders.
const SPECS: &[Spec] = &[
    Spec { name: "result", default: include_str!("../templates/result.hbs"), sample: notice_sample },
    Spec { name: "supplement", default: include_str!("../templates/supplement.hbs"), sample: notice_sample },
    Spec { name: "apology", default: include_str!("../templates/apology.hbs"), sample: notice_sample },
    Spec { name: "lookup_found", default: include_str!("../templates/lookup_found.hbs"), sample: found_sample },
    Spec {
        name: "lookup_not_found",
        default: include_str!("../templates/lookup_not_found.hbs"),
        sample: syntax_sample,
    },
    Spec { name: "lookup_help", default: include_str!("../templates/lookup_help.hbs"), sample: syntax_sample },
    Spec { name: "lookup_error", default: include_str!("../templates/lookup_error.hbs"), sample: syntax_sample },
];

/// The built-in reply used when even the templates cannot be loaded: the
/// citizen always gets an answer.
pub const FALLBACK_ERROR_REPLY: &str = "He thong tra cuu dang ban, xin vui long nhan lai sau it phut.";

/// Variables of the three notices.
fn notice_sample() -> Value {
    json!({"receipt_code": "0101701234", "procedure": "Cấp phiếu lý lịch tư pháp", "due_date": "20/10/2017", "received_date": "16/10/2017"})
}

/// Variables of the found reply.
fn found_sample() -> Value {
    json!({"receipt_code": "0101701234", "procedure": "Cấp phiếu lý lịch tư pháp", "due_date": "20/10/2017", "received_date": "16/10/2017",
           "step": "Trả kết quả", "status": "Đang xử lý", "timeliness": "Đúng hạn", "keyword": "MCKH", "short_code": "8083"})
}

/// Variables of the syntax, not-found and error replies.
fn syntax_sample() -> Value {
    json!({"receipt_code": "0101701234", "keyword": "MCKH", "short_code": "8083"})
}

/// The compiled templates.
pub struct Templates {
    hb: Handlebars<'static>,
}

impl Templates {
    /// Loads and checks every template: a file in `dir` wins over the
    /// built-in copy. A syntax error or an unknown variable is reported now,
    /// naming the file, before anything is sent.
    pub fn load(dir: &Path, dir_is_explicit: bool) -> Result<Templates> {
        if dir_is_explicit && !dir.is_dir() {
            return Err(ConfigError(format!("templates_dir {}: not a folder", dir.display())).into());
        }
        let mut hb = Handlebars::new();
        hb.set_strict_mode(true);
        hb.register_escape_fn(handlebars::no_escape);
        for spec in SPECS {
            let path: PathBuf = dir.join(format!("{}.hbs", spec.name));
            let (source, origin) = match std::fs::read_to_string(&path) {
                Ok(text) => (text, path.display().to_string()),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                    (spec.default.to_string(), format!("built-in {}.hbs", spec.name))
                }
                Err(e) => return Err(ConfigError(format!("template {}: {e}", path.display())).into()),
            };
            hb.register_template_string(spec.name, source.trim_end_matches(['\n', '\r']))
                .map_err(|e| ConfigError(format!("template {origin}: {}", one_line(&e.to_string()))))?;
            hb.render(spec.name, &(spec.sample)())
                .map_err(|e| ConfigError(format!("template {origin}: {}", describe_render(&e))))?;
        }
        Ok(Templates { hb })
    }

    /// Renders a template with the given variables, NFC-normalised.
    pub fn render(&self, name: &str, vars: &Value) -> Result<String> {
        let s = self.hb.render(name, vars).map_err(|e| anyhow::anyhow!("template {name}: {}", describe_render(&e)))?;
        Ok(crate::domain::text::nfc(s.trim()))
    }
}

/// Says what went wrong in a render, in words an operator can act on.
pub fn describe_render(e: &handlebars::RenderError) -> String {
    let place = match (e.line_no, e.column_no) {
        (Some(l), Some(c)) => format!(" (line {l}, column {c})"),
        _ => String::new(),
    };
    match e.reason() {
        handlebars::RenderErrorReason::MissingVariable(Some(v)) => format!("unknown variable {v:?}{place}"),
        _ => format!("{}{place}", one_line(&e.to_string())),
    }
}

/// Folds a multi-line library message into one line for cron mail.
pub fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn built_in_defaults_render() {
        let t = Templates::load(Path::new("/nonexistent"), false).unwrap();
        let s = t.render("result", &notice_sample()).unwrap();
        assert_eq!(s, "TB: Hồ sơ của quý ông/bà (MS: 0101701234) đã được giải quyết xong. Mời ông/ bà đến Bộ phận Một cửa Sở Tư pháp để nhận kết quả");
    }

    #[test]
    fn unknown_variable_names_the_file() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("apology.hbs"), "Hẹn {{ngay_hen}}").unwrap();
        let e = format!("{:#}", Templates::load(dir.path(), true).err().unwrap());
        assert!(e.contains("apology.hbs"), "{e}");
        assert!(e.contains("ngay_hen"), "{e}");
    }

    #[test]
    fn syntax_error_names_the_file() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("result.hbs"), "{{#if receipt_code}}oops").unwrap();
        let e = format!("{:#}", Templates::load(dir.path(), true).err().unwrap());
        assert!(e.contains("result.hbs") && !e.contains('\n'), "{e}");
    }
}
