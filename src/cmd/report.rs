//! `mckh report`: the monthly CSV for the administrative-reform office.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};

use crate::config::ConfigError;
use crate::ctx::Ctx;
use crate::domain::dates::month_range;

/// Write the month's figures as CSV (UTF-8 with a BOM, so Excel shows the
/// Vietnamese labels): SMS sent, failed and billed per kind, look-ups and
/// their revenue, dossiers received and resolved on time, and dossiers that
/// could get no SMS for want of a usable phone.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The month, in local time (YYYY-MM).
    #[arg(long, value_name = "YYYY-MM")]
    pub month: String,

    /// Write here (atomically: the file appears whole or not at all)
    /// instead of standard output.
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

/// The kinds of SMS, with their labels.
const KINDS: &[(&str, &str)] = &[
    ("result", "Thông báo có kết quả"),
    ("supplement", "Thông báo bổ sung hồ sơ"),
    ("apology", "Tin nhắn xin lỗi"),
    ("lookup_reply", "Trả lời tra cứu"),
];

/// One line of the report.
struct Line {
    key: String,
    label: String,
    value: String,
}

/// Computes the figures and writes them.
pub fn run(args: Args, ctx: &Ctx) -> Result<ExitCode> {
    let tz = ctx.tz();
    let (start, end) = month_range(&args.month, tz)
        .ok_or_else(|| ConfigError(format!("--month: {:?} is not a month (YYYY-MM)", args.month)))?;
    let mut db = ctx.db()?;
    let (messages, outcomes, dossiers) = db.read(|s| {
        Ok((s.messages_for_report(start, end)?, s.lookup_outcomes(start, end)?, s.dossiers_for_report(start, end)?))
    })?;
    let inside = |t: Option<i64>| t.is_some_and(|t| t >= start && t < end);
    let mut lines = Vec::new();
    let mut push = |key: &str, label: &str, value: String| {
        lines.push(Line { key: key.into(), label: label.into(), value });
    };
    let (mut total_sent, mut total_segments) = (0u64, 0u64);
    for (kind, label) in KINDS {
        let of_kind = messages.iter().filter(|m| m.kind == *kind);
        let sent: Vec<_> = of_kind.clone().filter(|m| m.state == "sent" && inside(m.sent_at)).collect();
        let failed = of_kind
            .clone()
            .filter(|m| matches!(m.state.as_str(), "dead" | "interrupted") && inside(m.finished_at))
            .count();
        let expired = of_kind.clone().filter(|m| m.state == "expired" && inside(m.finished_at)).count();
        let segs: u64 = sent.iter().map(|m| m.segments.max(0) as u64).sum();
        total_sent += sent.len() as u64;
        total_segments += segs;
        push(&format!("sms_{kind}_sent"), &format!("{label}: đã gửi"), sent.len().to_string());
        push(&format!("sms_{kind}_failed"), &format!("{label}: gửi không thành công"), failed.to_string());
        push(&format!("sms_{kind}_expired"), &format!("{label}: quá hạn, không gửi"), expired.to_string());
        push(&format!("sms_{kind}_segments"), &format!("{label}: số tin tính cước"), segs.to_string());
    }
    push("sms_total_sent", "Tổng số tin nhắn đã gửi", total_sent.to_string());
    push("sms_total_segments", "Tổng số tin tính cước", total_segments.to_string());

    let count = |o: &str| outcomes.iter().filter(|x| x.as_str() == o).count();
    push("lookups_received", "Tin nhắn tra cứu nhận được", outcomes.len().to_string());
    push("lookups_found", "Tra cứu: tìm thấy hồ sơ", count("found").to_string());
    push("lookups_not_found", "Tra cứu: không tìm thấy hồ sơ", count("not_found").to_string());
    push("lookups_bad_syntax", "Tra cứu: sai cú pháp", count("bad_syntax").to_string());
    push("lookups_error", "Tra cứu: lỗi hệ thống", count("error").to_string());
    push(
        "lookups_revenue_vnd",
        "Doanh thu tra cứu (đồng)",
        (outcomes.len() as u64 * ctx.cfg.lookup.price_vnd).to_string(),
    );

    let received: Vec<_> = dossiers.iter().filter(|d| inside(d.received_at.or(Some(d.first_seen_at)))).collect();
    let resolved: Vec<_> = dossiers.iter().filter(|d| inside(d.resolved_at)).collect();
    let on_time = resolved.iter().filter(|d| match (d.due_at, d.resolved_at) {
        (Some(due), Some(r)) => r <= due,
        _ => true,
    });
    let on_time = on_time.count();
    let late = resolved.len() - on_time;
    push("dossiers_received", "Hồ sơ tiếp nhận", received.len().to_string());
    push("dossiers_resolved", "Hồ sơ đã giải quyết", resolved.len().to_string());
    push("dossiers_resolved_on_time", "Hồ sơ giải quyết đúng hạn", on_time.to_string());
    push("dossiers_resolved_late", "Hồ sơ giải quyết trễ hạn", late.to_string());
    let decimal_comma = ctx.cfg.report.delimiter == ";";
    let rate = if resolved.is_empty() {
        String::new()
    } else {
        let r = format!("{:.1}", on_time as f64 * 100.0 / resolved.len() as f64);
        if decimal_comma {
            r.replace('.', ",")
        } else {
            r
        }
    };
    push("dossiers_on_time_rate_pct", "Tỷ lệ giải quyết đúng hạn (%)", rate);
    push(
        "dossiers_without_phone",
        "Hồ sơ không nhận được tin nhắn (không có số di động hợp lệ)",
        received.iter().filter(|d| d.phone.is_none()).count().to_string(),
    );

    let csv = render(&args.month, &lines, ctx.cfg.report.delimiter.as_bytes()[0])?;
    match &args.output {
        None => {
            let mut o = std::io::stdout().lock();
            o.write_all(&csv)?;
            o.flush()?;
        }
        Some(path) => write_atomically(path, &csv)?,
    }
    Ok(ExitCode::SUCCESS)
}

/// The CSV bytes, BOM first.
fn render(month: &str, lines: &[Line], delimiter: u8) -> Result<Vec<u8>> {
    let mut buf = b"\xEF\xBB\xBF".to_vec();
    {
        let mut w =
            csv::WriterBuilder::new().delimiter(delimiter).terminator(csv::Terminator::CRLF).from_writer(&mut buf);
        w.write_record(["Tháng", "Mã chỉ tiêu", "Chỉ tiêu", "Giá trị"])?;
        for l in lines {
            w.write_record([month, &l.key, &l.label, &l.value])?;
        }
        w.flush()?;
    }
    Ok(buf)
}

/// Writes to a temporary file beside `path` and renames it into place, so a
/// reader (or a full disk) never sees half a report.
fn write_atomically(path: &std::path::Path, bytes: &[u8]) -> Result<()> {
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(std::path::Path::new("."));
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "report.csv".into());
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let result = (|| -> std::io::Result<()> {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result.with_context(|| format!("{}", path.display()))
}
