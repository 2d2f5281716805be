//! `mckh sync`: import the case software's CSV export and queue the notices
//! its changes call for.

use std::collections::HashMap;
use std::io::Read;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{anyhow, Context, Result};
use chrono_tz::Tz;
use serde_json::json;

use crate::ctx::Ctx;
use crate::db::{Dossier, NewMessage, Store};
use crate::domain::dates::{format_vn, local_date, parse_when};
use crate::domain::phone::Mobile;
use crate::domain::text::{match_key, nfc, unaccent};
use crate::templates::Templates;

/// Exit status when some rows were skipped (sysexits EX_DATAERR).
pub const EXIT_DATAERR: u8 = 65;

/// Import a CSV export (UTF-8, header row) and queue the notices it calls for.
///
/// Columns, matched by header name in any case and order: receipt_code
/// (required), phone, procedure, received_at, due_at, step, status,
/// updated_at. Bad rows are reported with their line and skipped; the good
/// ones are imported in one transaction. Exits 65 when any row was skipped.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The export file, or - for standard input.
    #[arg(value_name = "FILE|-", default_value = "-")]
    pub file: String,

    /// Record the state of every row without queueing any message (the
    /// first import of years of history must not text thousands of people).
    #[arg(long)]
    pub baseline: bool,
}

/// The columns mckh understands.
const COLUMNS: &[&str] =
    &["receipt_code", "phone", "procedure", "received_at", "due_at", "step", "status", "updated_at"];

/// One parsed row; `None` means the column is not in the file.
#[derive(Debug, Default)]
struct Row {
    code: String,
    phone: Option<String>,
    procedure: Option<String>,
    received_at: Option<Option<i64>>,
    due_at: Option<Option<i64>>,
    step: Option<String>,
    status: Option<String>,
    updated_at: Option<Option<i64>>,
}

/// Counts for the summary line.
#[derive(Default)]
struct Tally {
    rows: usize,
    skipped: usize,
    new: usize,
    stale: usize,
    queued: usize,
}

/// Reads, parses and imports; prints the problems and a summary.
pub fn run(args: Args, ctx: &Ctx) -> Result<ExitCode> {
    let templates = ctx.templates()?;
    let (name, bytes) = read_input(&args.file)?;
    let tz = ctx.tz();
    let mut tally = Tally::default();
    let mut rows = parse_csv(&name, &bytes, tz, &mut tally)?;
    // Rows are applied in receipt-code order, so two overlapping syncs on
    // PostgreSQL lock dossiers in the same order and cannot deadlock; the
    // sort is stable, so a code listed twice keeps its file order.
    rows.sort_by_cached_key(|r| r.code.to_uppercase());
    let mut db = ctx.db()?;
    let now = ctx.now_unix();
    let cfg = &ctx.cfg;
    let result_key = match_key(&cfg.workflow.result_step);
    let supplement_key = match_key(&cfg.workflow.supplement_status);
    (tally.new, tally.stale, tally.queued) = db.write(|s| {
        let mut t = (0, 0, 0);
        let mut stored = std::collections::HashMap::new();
        let keys: Vec<String> = rows.iter().map(|r| r.code.to_uppercase()).collect();
        for chunk in keys.chunks(500) {
            stored.extend(s.find_dossiers(chunk)?.into_iter().map(|d| (d.receipt_key.clone(), d)));
        }
        for (row, key) in rows.iter().zip(&keys) {
            if stored.get(key).is_some_and(|d| unchanged(d, row, tz)) {
                continue;
            }
            let outcome = apply(s, row, now, tz, &result_key, &supplement_key)?;
            match outcome {
                Applied::Stale => t.1 += 1,
                Applied::Done { created, events, dossier } => {
                    t.0 += created as usize;
                    if !args.baseline {
                        t.2 += queue_events(s, &dossier, &events, now, tz, &templates, cfg.sms.unaccented)?;
                    }
                    // A later row of the same code compares with this state.
                    stored.insert(key.clone(), *dossier);
                }
            }
        }
        Ok(t)
    })?;
    super::out(&format!(
        "sync {name}: {} rows, {} imported ({} new), {} skipped, {} stale, {} messages queued{}",
        tally.rows,
        tally.rows - tally.skipped - tally.stale,
        tally.new,
        tally.skipped,
        tally.stale,
        tally.queued,
        if args.baseline { " (baseline: none queued)" } else { "" }
    ))?;
    Ok(if tally.skipped > 0 { ExitCode::from(EXIT_DATAERR) } else { ExitCode::SUCCESS })
}

/// Reads the file or standard input whole; returns a display name with it.
fn read_input(file: &str) -> Result<(String, Vec<u8>)> {
    if file == "-" {
        let mut buf = Vec::new();
        std::io::stdin().read_to_end(&mut buf).context("<stdin>")?;
        Ok(("<stdin>".into(), buf))
    } else {
        let p = PathBuf::from(file);
        let bytes = crate::config::read_named(&p)?;
        Ok((p.display().to_string(), bytes))
    }
}

/// Parses the CSV; bad rows are reported on stderr and counted, never fatal.
/// A file without a usable header is an error.
fn parse_csv(name: &str, bytes: &[u8], tz: Tz, tally: &mut Tally) -> Result<Vec<Row>> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF".as_slice()).unwrap_or(bytes);
    let mut rdr = csv::ReaderBuilder::new().flexible(true).has_headers(true).from_reader(bytes);
    let headers = rdr
        .headers()
        .map_err(|e| {
            data_error(format!(
                "{name} line 1: cannot read the header row: {}",
                crate::templates::one_line(&e.to_string())
            ))
        })?
        .clone();
    if headers.iter().all(|h| h.trim().is_empty()) {
        return Err(data_error(format!("{name}: the file is empty (expected a header row with receipt_code)")));
    }
    let mut index: HashMap<&str, usize> = HashMap::new();
    for (i, h) in headers.iter().enumerate() {
        let h = h.trim().to_lowercase();
        if let Some(col) = COLUMNS.iter().find(|c| **c == h) {
            if index.insert(col, i).is_some() {
                return Err(data_error(format!("{name} line 1: column {col} appears twice")));
            }
        }
    }
    if !index.contains_key("receipt_code") {
        return Err(data_error(format!(
            "{name} line 1: no receipt_code column (columns found: {})",
            headers.iter().collect::<Vec<_>>().join(", ")
        )));
    }
    let width = headers.len();
    let mut rows = Vec::new();
    let mut record = csv::StringRecord::new();
    loop {
        let line = rdr.position().line() + 1;
        match rdr.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {
                let line = record.position().map(|p| p.line()).unwrap_or(line);
                tally.rows += 1;
                if record.len() == 1 && record.get(0).is_some_and(|f| f.trim().is_empty()) {
                    tally.rows -= 1; // a blank line
                    continue;
                }
                if record.len() != width {
                    skip(name, line, &format!("{} fields, the header has {width}", record.len()), tally);
                    continue;
                }
                match parse_row(&record, &index, tz) {
                    Ok(row) => rows.push(row),
                    Err(why) => skip(name, line, &why, tally),
                }
            }
            Err(e) => {
                tally.rows += 1;
                let line = e.position().map(|p| p.line()).unwrap_or(line);
                let why = match e.kind() {
                    csv::ErrorKind::Utf8 { .. } => "not valid UTF-8 (save the export as CSV UTF-8)".to_string(),
                    _ => crate::templates::one_line(&e.to_string()),
                };
                skip(name, line, &why, tally);
                if !matches!(e.kind(), csv::ErrorKind::Utf8 { .. }) {
                    break;
                }
            }
        }
    }
    Ok(rows)
}

/// A whole-file problem with the export.
fn data_error(msg: String) -> anyhow::Error {
    anyhow!(DataError(msg))
}

/// The export itself is unusable; exits 65 like skipped rows.
#[derive(Debug)]
pub struct DataError(pub String);

impl std::fmt::Display for DataError {
    /// The message, which names the file and line.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for DataError {}

/// Reports a skipped row.
fn skip(name: &str, line: u64, why: &str, tally: &mut Tally) {
    eprintln!("mckh sync: {name} line {line}: {why}; row skipped");
    tally.skipped += 1;
}

/// Turns one record into a [`Row`], or says which column is wrong.
fn parse_row(rec: &csv::StringRecord, index: &HashMap<&str, usize>, tz: Tz) -> Result<Row, String> {
    let get = |col: &str| index.get(col).map(|&i| nfc(rec.get(i).unwrap_or("").trim()));
    let when = |col: &str, end: bool| -> Result<Option<Option<i64>>, String> {
        match get(col) {
            None => Ok(None),
            Some(v) if v.is_empty() => Ok(Some(None)),
            Some(v) => parse_when(&v, tz)
                .map(|w| Some(Some(if end { w.end(tz) } else { w.start(tz) })))
                .map_err(|e| format!("{col}: {e}")),
        }
    };
    let code = get("receipt_code").unwrap_or_default();
    if code.is_empty() {
        return Err("receipt_code is empty".into());
    }
    if code.chars().any(char::is_control) || code.chars().count() > 64 {
        return Err(format!("receipt_code {:?} is not a receipt code", code.chars().take(64).collect::<String>()));
    }
    Ok(Row {
        code,
        phone: get("phone"),
        procedure: get("procedure"),
        received_at: when("received_at", false)?,
        due_at: when("due_at", true)?,
        step: get("step"),
        status: get("status"),
        updated_at: when("updated_at", false)?,
    })
}

/// A notice the row's change calls for.
#[derive(Debug, Clone, Copy)]
enum Event {
    Result(i32),
    Supplement(i32),
}

/// What applying a row did.
enum Applied {
    /// The database already has a newer state of this dossier.
    Stale,
    Done {
        created: bool,
        events: Vec<Event>,
        dossier: Box<Dossier>,
    },
}

/// Writes a row's present columns onto a dossier; absent columns keep their
/// stored value.
fn merge(d: &mut Dossier, row: &Row, tz: Tz) {
    d.receipt_code = row.code.clone();
    if let Some(p) = &row.phone {
        d.phone_raw = p.clone();
        d.phone = Mobile::parse(p).map(|m| m.national());
    }
    if let Some(p) = &row.procedure {
        d.procedure_name = p.clone();
    }
    if let Some(v) = row.received_at {
        d.received_at = v;
    }
    if let Some(v) = row.due_at {
        d.due_at = v;
    }
    if let Some(v) = &row.step {
        d.step = v.clone();
    }
    if let Some(v) = &row.status {
        d.status = v.clone();
    }
    if let Some(v) = row.updated_at {
        d.updated_at = v;
    }
    d.same_day = match (d.received_at, d.due_at) {
        (Some(r), Some(due)) => local_date(r, tz) == local_date(due, tz),
        _ => false,
    };
}

/// True when the row would change nothing in the stored dossier, so it needs
/// neither a lock nor a write: the common case of a full export every few
/// minutes.
fn unchanged(stored: &Dossier, row: &Row, tz: Tz) -> bool {
    let mut d = stored.clone();
    merge(&mut d, row, tz);
    d == *stored
}

/// Upserts one row and works out which notices its change calls for.
fn apply(s: &mut dyn Store, row: &Row, now: i64, tz: Tz, result_key: &str, supplement_key: &str) -> Result<Applied> {
    let key = row.code.to_uppercase();
    let (mut d, created) = s.lock_or_create_dossier(&key, &row.code, now)?;
    if let (Some(Some(incoming)), Some(stored)) = (row.updated_at, d.updated_at) {
        if incoming < stored {
            return Ok(Applied::Stale);
        }
    }
    let is_result = |d: &Dossier| match_key(&d.step) == result_key;
    let is_supplement = |d: &Dossier| match_key(&d.status) == supplement_key || match_key(&d.step) == supplement_key;
    let was_result = !created && is_result(&d);
    let was_supplement = !created && is_supplement(&d);

    merge(&mut d, row, tz);
    let mut events = Vec::new();
    let now_result = is_result(&d);
    if now_result && !was_result {
        d.result_entries += 1;
        d.resolved_at = Some(d.updated_at.unwrap_or(now));
        events.push(Event::Result(d.result_entries));
    } else if !now_result && was_result {
        d.resolved_at = None; // reopened
    }
    if is_supplement(&d) && !was_supplement {
        d.supplement_entries += 1;
        events.push(Event::Supplement(d.supplement_entries));
    }
    d.last_synced_at = now;
    s.save_dossier(&d)?;
    Ok(Applied::Done { created, events, dossier: Box::new(d) })
}

/// Queues the notices for a dossier's events, unless it has no usable phone
/// or is settled within the day. Returns how many were newly queued.
fn queue_events(
    s: &mut dyn Store,
    d: &Dossier,
    events: &[Event],
    now: i64,
    tz: Tz,
    t: &Templates,
    unaccented: bool,
) -> Result<usize> {
    let Some(phone) = &d.phone else { return Ok(0) };
    if d.same_day || events.is_empty() {
        return Ok(0);
    }
    let mut n = 0;
    for e in events {
        let (kind, seq) = match e {
            Event::Result(n) => ("result", n),
            Event::Supplement(n) => ("supplement", n),
        };
        let body = render_notice(t, kind, d, tz, unaccented)?;
        let key = format!("{kind}:{}:{seq}", d.receipt_key);
        let event_at = d.updated_at.unwrap_or(now).min(now);
        n += s.queue_message(&NewMessage::queued(Some(d.id), kind, key, phone, body, event_at, now))? as usize;
    }
    Ok(n)
}

/// Renders a notice for a dossier (shared with `apologize`).
pub fn render_notice(t: &Templates, kind: &str, d: &Dossier, tz: Tz, unaccented: bool) -> Result<String> {
    let date = |v: Option<i64>| v.map(|x| format_vn(local_date(x, tz))).unwrap_or_default();
    let body = t.render(
        kind,
        &json!({
            "receipt_code": d.receipt_code,
            "procedure": d.procedure_name,
            "due_date": date(d.due_at),
            "received_date": date(d.received_at),
        }),
    )?;
    Ok(if unaccented { unaccent(&body) } else { body })
}

#[cfg(test)]
mod tests {
    use super::*;

    const HCM: Tz = chrono_tz::Asia::Ho_Chi_Minh;

    fn parse(text: &str) -> (Result<Vec<Row>>, Tally) {
        let mut t = Tally::default();
        let r = parse_csv("x.csv", text.as_bytes(), HCM, &mut t);
        (r, t)
    }

    #[test]
    fn quoted_fields_bom_and_blank_lines() {
        let (rows, t) = parse(
            "\u{feff}RECEIPT_CODE,Procedure,due_at\n\n\"0101701234\",\"Chứng thực, sao y\",20/10/2017\n\"0101701235\",\"hai\ndòng\",\n",
        );
        let rows = rows.unwrap();
        assert_eq!((t.rows, t.skipped), (2, 0));
        assert_eq!(rows[0].procedure.as_deref(), Some("Chứng thực, sao y"));
        assert_eq!(rows[1].procedure.as_deref(), Some("hai\ndòng"));
        assert_eq!(rows[1].due_at, Some(None), "an empty cell clears the value");
        assert_eq!(rows[0].phone, None, "an absent column leaves the value alone");
        assert_eq!(rows[0].due_at.unwrap().map(|t| local_date(t, HCM).to_string()).as_deref(), Some("2017-10-20"));
    }

    #[test]
    fn header_problems_are_whole_file_errors() {
        let e = parse("receipt_code,phone,Receipt_Code\n1,2,3\n").0.err().unwrap();
        assert!(e.is::<DataError>());
        assert_eq!(e.to_string(), "x.csv line 1: column receipt_code appears twice");
        assert!(parse("").0.is_err());
    }

    #[test]
    fn row_errors_are_counted_not_fatal() {
        let (rows, t) = parse("receipt_code,updated_at\n1,yesterday\n2\n3,2017-10-16 08:00\n\u{1}bad,\n");
        assert_eq!(rows.unwrap().len(), 1);
        assert_eq!((t.rows, t.skipped), (4, 3));
    }
}
