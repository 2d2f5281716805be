//! `mckh apologize`: at 17:30, apologise to every dossier due tomorrow that
//! has no result yet.

use std::process::ExitCode;

use anyhow::{Context, Result};
use chrono::{Duration, NaiveDate};

use crate::config::ConfigError;
use crate::ctx::Ctx;
use crate::db::NewMessage;
use crate::domain::dates::{day_range, local_date};
use crate::domain::text::match_key;
use crate::gateway;

/// Queue and send the apology to each dossier due tomorrow (in the
/// configured timezone) that is not at the result step, not settled within
/// the day and has a usable phone. Each dossier gets one apology per due
/// date, however often this runs.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Apologise for this due date instead of tomorrow (YYYY-MM-DD).
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub date: Option<String>,
}

/// Queues the apologies in one transaction, then sends them.
pub fn run(args: Args, ctx: &Ctx) -> Result<ExitCode> {
    let templates = ctx.templates()?;
    let tz = ctx.tz();
    let date = match &args.date {
        Some(s) => NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
            .map_err(|_| ConfigError(format!("--date: {s:?} is not a date (YYYY-MM-DD)")))?,
        None => local_date(ctx.now_unix(), tz) + Duration::days(1),
    };
    let gw = gateway::from_config(&ctx.cfg)?;
    let mut db = ctx.db()?;
    let (start, end) = day_range(date, tz);
    let result_key = match_key(&ctx.cfg.workflow.result_step);
    let now = ctx.now_unix();
    let unaccented = ctx.cfg.sms.unaccented;
    let (candidates, queued) = db.write(|s| {
        let due = s.dossiers_due_between(start, end)?;
        let mut queued = 0;
        let mut candidates = 0;
        for d in due.iter().filter(|d| match_key(&d.step) != result_key) {
            let Some(phone) = &d.phone else { continue };
            candidates += 1;
            let body = super::sync::render_notice(&templates, "apology", d, tz, unaccented)
                .with_context(|| format!("dossier {}", d.receipt_code))?;
            let key = format!("apology:{}:{date}", d.receipt_key);
            queued += s.queue_message(&NewMessage::queued(Some(d.id), "apology", key, phone, body, now, now))? as usize;
        }
        Ok((candidates, queued))
    })?;
    let summary = super::notify::send_queue(ctx, &mut db, gw.as_ref(), "apology")?;
    let still = db.read(|s| Ok(s.count_queued()?))?;
    super::out(&format!(
        "apologize {}: {candidates} dossiers due without a result, {queued} apologies queued; {}",
        date.format("%Y-%m-%d"),
        summary.line("sending", still)
    ))?;
    Ok(summary.exit_code())
}
