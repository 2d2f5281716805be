//! `mckh notify`: send the queued messages, and the sending engine that
//! `apologize` and `lookup` share.

use std::process::ExitCode;

use anyhow::Result;

use crate::ctx::Ctx;
use crate::db::{Db, Message};
use crate::domain::phone::Mobile;
use crate::gateway::{self, Gateway, SendError};

/// Exit status when some messages could not be sent (sysexits EX_TEMPFAIL).
pub const EXIT_TEMPFAIL: u8 = 75;

/// Longest wait between two tries of one message.
const MAX_BACKOFF_SECS: i64 = 6 * 3600;

/// Send every queued message that is due through the gateway.
///
/// A failed message stays queued and is retried by later runs with growing
/// waits, up to [notify] max_attempts, then marked dead. A message the
/// gateway accepted is never sent again, and concurrent runs never send one
/// twice. Exits 75 when some messages failed.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// List what would be sent; send nothing and change nothing.
    #[arg(long)]
    pub dry_run: bool,
}

/// What one sending pass did.
#[derive(Default, Debug)]
pub struct Summary {
    pub sent: usize,
    pub retry: usize,
    pub dead: usize,
    pub expired: usize,
    pub interrupted: usize,
    /// The pass stopped early because the gateway kept failing.
    pub stopped: bool,
    pub last_error: Option<String>,
}

impl Summary {
    /// The one line cron mails.
    pub fn line(&self, what: &str, still_queued: i64) -> String {
        let mut s = format!(
            "{what}: {} sent, {} failed (will retry), {} dead, {} expired, {} interrupted; {still_queued} queued",
            self.sent, self.retry, self.dead, self.expired, self.interrupted
        );
        if self.stopped {
            s.push_str("; stopped early: the gateway keeps failing");
        }
        if let Some(e) = &self.last_error {
            if self.retry + self.dead > 0 {
                s.push_str(&format!("; last error: {e}"));
            }
        }
        s
    }

    /// 0, or 75 when anything failed.
    pub fn exit_code(&self) -> ExitCode {
        if self.retry + self.dead > 0 || self.stopped {
            ExitCode::from(EXIT_TEMPFAIL)
        } else {
            ExitCode::SUCCESS
        }
    }
}

/// Sends the queue, or lists it with `--dry-run`.
pub fn run(args: Args, ctx: &Ctx) -> Result<ExitCode> {
    // The queued texts are already rendered, but a broken template means a
    // broken deployment: say so before sending anything.
    ctx.templates()?;
    let mut db = ctx.db()?;
    if args.dry_run {
        let due = db.read(|s| Ok(s.queued_due(ctx.now_unix(), "")?))?;
        for m in &due {
            super::out(&format!(
                "would send #{} {} to {} ({} part{}): {}",
                m.id,
                m.kind,
                crate::domain::phone::mask(&m.phone),
                m.segments,
                if m.segments == 1 { "" } else { "s" },
                m.body
            ))?;
        }
        super::out(&format!("notify --dry-run: {} messages due, nothing sent", due.len()))?;
        return Ok(ExitCode::SUCCESS);
    }
    let gw = gateway::from_config(&ctx.cfg)?;
    let summary = send_queue(ctx, &mut db, gw.as_ref(), "")?;
    let queued = db.read(|s| Ok(s.count_queued()?))?;
    super::out(&summary.line("notify", queued))?;
    Ok(summary.exit_code())
}

/// A name for this process in the `claimed_by` column.
pub fn worker_id() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap_or_default();
    format!("{}:{}", host.trim(), std::process::id())
}

/// Expires what is too old, then claims, sends and records one message at a
/// time (of `kind`, or all kinds when empty). No lock is held while the
/// gateway is called: the claim commits first, so another host's run simply
/// takes the next message.
pub fn send_queue(ctx: &Ctx, db: &mut Db, gw: &dyn Gateway, kind: &str) -> Result<Summary> {
    let cfg = &ctx.cfg.notify;
    let mut sum = Summary::default();
    let now = ctx.now_unix();
    let lease = (3 * ctx.cfg.gateway.timeout_secs as i64).max(900);
    let (expired, interrupted) = db.write(|s| {
        Ok((s.expire_queued(now - i64::from(cfg.max_age_hours) * 3600, now)?, s.interrupt_stale(now - lease, now)?))
    })?;
    sum.expired = expired;
    sum.interrupted = interrupted;
    if interrupted > 0 {
        eprintln!("mckh: {interrupted} messages were left in 'sending' by a run that stopped; not resent, as the gateway may have accepted them");
    }
    let worker = worker_id();
    let mut failures_in_a_row = 0;
    loop {
        let now = ctx.now_unix();
        let Some(m) = db.write(|s| Ok(s.claim_next(now, &worker, kind)?))? else {
            break;
        };
        let outcome = deliver(gw, &m);
        let now = ctx.now_unix();
        match outcome {
            Ok(reply) => {
                failures_in_a_row = 0;
                db.write(|s| Ok(s.finish_sent(m.id, &reply, now)?))?;
                sum.sent += 1;
            }
            Err(e) => {
                if matches!(e, SendError::Unreachable(_)) {
                    failures_in_a_row += 1;
                }
                let err = e.to_string();
                let retry_at = if m.attempts as u32 >= cfg.max_attempts {
                    sum.dead += 1;
                    None
                } else {
                    sum.retry += 1;
                    Some(now + backoff(cfg.retry_after_secs, m.attempts))
                };
                db.write(|s| Ok(s.finish_failed(m.id, &err, retry_at, now)?))?;
                eprintln!(
                    "mckh: message #{} ({}) to {}: {err}{}",
                    m.id,
                    m.kind,
                    crate::domain::phone::mask(&m.phone),
                    if retry_at.is_some() { "; will retry" } else { "; giving up" }
                );
                sum.last_error = Some(err);
                if failures_in_a_row >= cfg.stop_after_failures {
                    sum.stopped = true;
                    break;
                }
            }
        }
    }
    Ok(sum)
}

/// Sends one stored message.
pub fn deliver(gw: &dyn Gateway, m: &Message) -> Result<String, SendError> {
    match Mobile::parse(&m.phone) {
        Some(to) => gw.send(&to, &m.body),
        None => Err(SendError::Rejected("stored phone number is not a mobile number".into())),
    }
}

/// The wait before try `attempts + 1`: `base`, then doubling, at most six
/// hours.
pub fn backoff(base_secs: u32, attempts: i32) -> i64 {
    let exp = (attempts.max(1) - 1).min(20) as u32;
    (i64::from(base_secs) * 2_i64.pow(exp)).min(MAX_BACKOFF_SECS)
}

#[cfg(test)]
mod tests {
    use super::backoff;

    #[test]
    fn backoff_doubles_and_is_capped() {
        assert_eq!(backoff(300, 1), 300);
        assert_eq!(backoff(300, 2), 600);
        assert_eq!(backoff(300, 3), 1200);
        assert_eq!(backoff(300, 50), 6 * 3600);
    }
}
