//! `mckh lookup`: answer one inbound `MCKH <receipt code>` SMS. Run by
//! Kannel's exec hook, once per message; whatever happens, the citizen gets
//! exactly one reply and the exit status is 0.

use std::process::ExitCode;

use anyhow::Result;
use serde_json::json;

use crate::config::ReplyVia;
use crate::ctx::Ctx;
use crate::db::{Db, NewMessage};
use crate::domain::dates::{format_vn, local_date};
use crate::domain::lookup_text::{decode_arg, parse, Request};
use crate::domain::phone::{mask, Mobile};
use crate::domain::text::{match_key, unaccent};
use crate::domain::timeliness::{judge, Timeliness};
use crate::gateway;
use crate::templates::{Templates, FALLBACK_ERROR_REPLY};

/// Answer one inbound look-up SMS. Prints the reply (unaccented, for
/// Kannel's exec reply) or, with [lookup] reply_via = "gateway", sends it in
/// full Vietnamese through the gateway and prints nothing. Always exits 0.
///
/// Every word after `--from PHONE` is message text, even one that looks
/// like an option (see `mckh help lookup` for this page).
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The sender's number, as Kannel's %p (URL-encoding is undone).
    #[arg(long, value_name = "PHONE", allow_hyphen_values = true)]
    pub from: Option<String>,

    /// The message, as Kannel's %a (URL-encoded; words are joined by a space).
    #[arg(value_name = "TEXT", trailing_var_arg = true, allow_hyphen_values = true)]
    pub text: Vec<String>,
}

/// The reply and what to record about the look-up.
struct Answer {
    reply: String,
    code: Option<String>,
    outcome: &'static str,
}

/// Prints the built-in "try again later" reply; for when nothing else works.
pub fn fallback_reply() -> Result<ExitCode> {
    print_reply(FALLBACK_ERROR_REPLY);
    Ok(ExitCode::SUCCESS)
}

/// Prints the reply exactly as the SMS should read. Kannel's exec hook sends
/// everything printed, a final newline included, so the newline is only
/// added for a person at a terminal.
fn print_reply(reply: &str) {
    use std::io::{IsTerminal, Write};
    let mut o = std::io::stdout().lock();
    let nl = if o.is_terminal() { "\n" } else { "" };
    let _ = write!(o, "{reply}{nl}").and_then(|_| o.flush());
}

/// Logs a failure on one stderr line (Kannel's log); the citizen is answered
/// regardless.
fn log_error(what: &str, e: &anyhow::Error) {
    eprintln!("mckh lookup: {what}{}", crate::templates::one_line(&format!("{e:#}")));
}

/// Answers; every failure is logged on stderr (Kannel's log) and turned into
/// a reply.
pub fn run(args: Args, ctx: Result<Ctx>) -> Result<ExitCode> {
    let ctx = match ctx {
        Ok(c) => c,
        Err(e) => {
            log_error("", &e);
            return fallback_reply();
        }
    };
    let templates = match ctx.templates() {
        Ok(t) => t,
        Err(e) => {
            log_error("", &e);
            return fallback_reply();
        }
    };
    let text = decode_arg(&args.text.join(" "));
    let from_raw = args.from.as_deref().map(decode_arg).unwrap_or_default();
    let from = Mobile::parse(&from_raw);
    let sender_masked = from.as_ref().map(Mobile::masked).unwrap_or_else(|| mask(&from_raw));
    let vars = json!({"keyword": ctx.cfg.lookup.keyword, "short_code": ctx.cfg.lookup.short_code});

    let mut db = match ctx.db() {
        Ok(db) => Some(db),
        Err(e) => {
            log_error("", &e);
            None
        }
    };
    let answer = match db.as_mut() {
        Some(db) => answer(&ctx, db, &templates, &text).unwrap_or_else(|e| {
            log_error("", &e);
            error_answer(&templates, &vars)
        }),
        None => error_answer(&templates, &vars),
    };
    let now = ctx.now_unix();
    let lookup_id = db.as_mut().and_then(|db| {
        db.write(|s| Ok(s.record_lookup(now, &sender_masked, answer.code.as_deref(), answer.outcome)?))
            .map_err(|e| log_error("recording the look-up: ", &e))
            .ok()
    });
    eprintln!("mckh lookup: from {sender_masked}: {}", answer.outcome);

    if ctx.cfg.lookup.reply_via == ReplyVia::Gateway {
        if let (Some(db), Some(to), Some(id)) = (db.as_mut(), from.as_ref(), lookup_id) {
            match reply_via_gateway(&ctx, db, to, id, &answer.reply) {
                Ok(()) => return Ok(ExitCode::SUCCESS),
                Err(e) => log_error("the gateway did not take the reply, so it goes on stdout: ", &e),
            }
        }
    }
    print_reply(&unaccent(&answer.reply));
    Ok(ExitCode::SUCCESS)
}

/// Works out the reply for a decoded message.
fn answer(ctx: &Ctx, db: &mut Db, t: &Templates, text: &str) -> Result<Answer> {
    let cfg = &ctx.cfg;
    let base = json!({"keyword": cfg.lookup.keyword, "short_code": cfg.lookup.short_code});
    let code = match parse(text, &cfg.lookup.keyword) {
        Request::BadSyntax => {
            return Ok(Answer { reply: t.render("lookup_help", &base)?, code: None, outcome: "bad_syntax" });
        }
        Request::Code(c) => c,
    };
    let Some(d) = db.read(|s| Ok(s.find_dossier(&code.to_uppercase())?))? else {
        let mut vars = base;
        vars["receipt_code"] = json!(code);
        return Ok(Answer { reply: t.render("lookup_not_found", &vars)?, code: Some(code), outcome: "not_found" });
    };
    let tz = ctx.tz();
    let finished = match_key(&d.step) == match_key(&cfg.workflow.result_step);
    let timeliness: Timeliness = judge(d.due_at, if finished { d.resolved_at } else { None }, ctx.now_unix());
    let step = [&d.step, &d.status].into_iter().find(|s| !s.is_empty()).cloned().unwrap_or_else(|| "Tiếp nhận".into());
    let date = |v: Option<i64>| v.map(|x| format_vn(local_date(x, tz))).unwrap_or_default();
    let vars = json!({
        "receipt_code": d.receipt_code,
        "procedure": d.procedure_name,
        "due_date": date(d.due_at),
        "received_date": date(d.received_at),
        "step": step,
        "status": d.status,
        "timeliness": timeliness.label(),
        "keyword": cfg.lookup.keyword,
        "short_code": cfg.lookup.short_code,
    });
    Ok(Answer { reply: t.render("lookup_found", &vars)?, code: Some(d.receipt_code), outcome: "found" })
}

/// The "try again later" reply, from the template when possible.
fn error_answer(t: &Templates, vars: &serde_json::Value) -> Answer {
    let mut v = vars.clone();
    v["receipt_code"] = json!("");
    Answer {
        reply: t.render("lookup_error", &v).unwrap_or_else(|_| FALLBACK_ERROR_REPLY.into()),
        code: None,
        outcome: "error",
    }
}

/// Records the reply as a message and sends it now. If the gateway does not
/// take it, the record is closed (not left for `notify`, which would send a
/// second reply) and the caller replies on stdout instead.
fn reply_via_gateway(ctx: &Ctx, db: &mut Db, to: &Mobile, lookup_id: i64, reply: &str) -> Result<()> {
    let reply = if ctx.cfg.sms.unaccented { unaccent(reply) } else { reply.to_string() };
    let now = ctx.now_unix();
    let m = NewMessage {
        state: "sending".into(),
        attempts: 1,
        claimed_by: Some(super::notify::worker_id()),
        claimed_at: Some(now),
        ..NewMessage::queued(
            None,
            "lookup_reply",
            format!("lookup:{lookup_id}"),
            &to.national(),
            reply.clone(),
            now,
            now,
        )
    };
    let gw = gateway::from_config(&ctx.cfg)?;
    let msg_id = db.write(|s| Ok(s.insert_message(&m)?))?;
    match gw.send(to, &reply) {
        Ok(answer) => {
            db.write(|s| Ok(s.finish_sent(msg_id, &answer, ctx.now_unix())?))?;
            Ok(())
        }
        Err(e) => {
            let err = e.to_string();
            db.write(|s| {
                Ok(s.finish_failed(msg_id, &format!("{err}; replied on stdout instead"), None, ctx.now_unix())?)
            })?;
            Err(anyhow::anyhow!(err))
        }
    }
}
