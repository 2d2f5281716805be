//! Dates and times as the case software exports them, and the local calendar
//! that "today", "tomorrow" and "this month" are computed in.
//!
//! Instants are kept as Unix seconds (UTC) everywhere below this layer; the
//! configured timezone is applied only here, so a server running in UTC (as
//! most do) still apologises for the right day.

use chrono::{DateTime, Datelike, Duration, LocalResult, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;

/// A parsed export value: either a calendar date or a precise instant.
///
/// Why both: an appointment "15/10/2017" means the whole of that day, while
/// "15/10/2017 14:00" is a time; the two differ when judging lateness.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum When {
    Date(NaiveDate),
    Instant(DateTime<Utc>),
}

impl When {
    /// The first second of the value, for "received at" style columns.
    pub fn start(self, tz: Tz) -> i64 {
        match self {
            When::Date(d) => local_midnight(d, tz),
            When::Instant(t) => t.timestamp(),
        }
    }

    /// The last second of the value, for "due at" style columns: a dossier
    /// due on a date is on time until that day is over.
    pub fn end(self, tz: Tz) -> i64 {
        match self {
            When::Date(d) => local_midnight(d + Duration::days(1), tz) - 1,
            When::Instant(t) => t.timestamp(),
        }
    }
}

/// Parses `YYYY-MM-DD`, `YYYY-MM-DD HH:MM[:SS]` (also with `T`), RFC 3339,
/// `DD/MM/YYYY` and `DD/MM/YYYY HH:MM[:SS]`. A time without an offset is
/// local to `tz`. The error says what was expected, for the sync report.
pub fn parse_when(raw: &str, tz: Tz) -> Result<When, String> {
    let s = raw.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Ok(When::Instant(t.with_timezone(&Utc)));
    }
    for fmt in ["%Y-%m-%d", "%d/%m/%Y"] {
        if let Ok(d) = NaiveDate::parse_from_str(s, fmt) {
            return Ok(When::Date(d));
        }
    }
    for fmt in [
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%d %H:%M",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%dT%H:%M",
        "%d/%m/%Y %H:%M:%S",
        "%d/%m/%Y %H:%M",
    ] {
        if let Ok(naive) = NaiveDateTime::parse_from_str(s, fmt) {
            return local_to_utc(naive, tz).map(When::Instant).ok_or_else(|| format!("{s:?} does not exist in {tz}"));
        }
    }
    Err(format!("{s:?} is not a date (expected YYYY-MM-DD, DD/MM/YYYY, either with HH:MM[:SS], or RFC 3339)"))
}

/// Resolves a local wall-clock time; in a DST gap (not in Vietnam, but the
/// timezone is configurable) there is no such time.
fn local_to_utc(naive: NaiveDateTime, tz: Tz) -> Option<DateTime<Utc>> {
    match tz.from_local_datetime(&naive) {
        LocalResult::Single(t) => Some(t.with_timezone(&Utc)),
        LocalResult::Ambiguous(t, _) => Some(t.with_timezone(&Utc)),
        LocalResult::None => None,
    }
}

/// Unix seconds of the first instant of a local date.
pub fn local_midnight(d: NaiveDate, tz: Tz) -> i64 {
    let mut naive = d.and_time(NaiveTime::MIN);
    // Walk forward out of a DST gap at midnight, should a zone have one.
    for _ in 0..4 {
        if let Some(t) = local_to_utc(naive, tz) {
            return t.timestamp();
        }
        naive += Duration::hours(1);
    }
    naive.and_utc().timestamp()
}

/// The local calendar date of an instant.
pub fn local_date(unix: i64, tz: Tz) -> NaiveDate {
    Utc.timestamp_opt(unix, 0).single().unwrap_or_default().with_timezone(&tz).date_naive()
}

/// The `[start, end)` Unix-second range of a local date.
pub fn day_range(d: NaiveDate, tz: Tz) -> (i64, i64) {
    (local_midnight(d, tz), local_midnight(d + Duration::days(1), tz))
}

/// The `[start, end)` Unix-second range of a local month given as
/// `YYYY-MM`; `None` if the text is not such a month.
pub fn month_range(month: &str, tz: Tz) -> Option<(i64, i64)> {
    let first = NaiveDate::parse_from_str(&format!("{}-01", month.trim()), "%Y-%m-%d").ok()?;
    if month.trim().len() != 7 {
        return None;
    }
    let next = if first.month() == 12 {
        NaiveDate::from_ymd_opt(first.year() + 1, 1, 1)?
    } else {
        NaiveDate::from_ymd_opt(first.year(), first.month() + 1, 1)?
    };
    Some((local_midnight(first, tz), local_midnight(next, tz)))
}

/// `DD/MM/YYYY`, the form Vietnamese citizens read dates in.
pub fn format_vn(d: NaiveDate) -> String {
    d.format("%d/%m/%Y").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    const HCM: Tz = chrono_tz::Asia::Ho_Chi_Minh;

    fn ymd(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn parses_every_documented_form() {
        assert_eq!(parse_when("2017-10-15", HCM), Ok(When::Date(ymd(2017, 10, 15))));
        assert_eq!(parse_when("15/10/2017", HCM), Ok(When::Date(ymd(2017, 10, 15))));
        let want = Utc.with_ymd_and_hms(2017, 10, 15, 7, 0, 0).unwrap();
        for s in [
            "2017-10-15 14:00",
            "2017-10-15 14:00:00",
            "2017-10-15T14:00:00",
            "15/10/2017 14:00",
            "15/10/2017 14:00:00",
            "2017-10-15T14:00:00+07:00",
            "2017-10-15T07:00:00Z",
            " 2017-10-15 14:00 ",
        ] {
            assert_eq!(parse_when(s, HCM), Ok(When::Instant(want)), "{s}");
        }
    }

    #[test]
    fn rejects_garbage_with_a_useful_message() {
        for s in ["", "31/02/2017", "2017-13-01", "tomorrow", "15-10-2017", "2017-10-15 25:00"] {
            let e = parse_when(s, HCM).unwrap_err();
            assert!(e.contains("expected"), "{s}: {e}");
        }
    }

    #[test]
    fn a_date_spans_the_whole_local_day() {
        let d = When::Date(ymd(2017, 10, 15));
        // 2017-10-15 00:00 +07:00 is 2017-10-14 17:00 UTC.
        assert_eq!(d.start(HCM), Utc.with_ymd_and_hms(2017, 10, 14, 17, 0, 0).unwrap().timestamp());
        assert_eq!(d.end(HCM), Utc.with_ymd_and_hms(2017, 10, 15, 16, 59, 59).unwrap().timestamp());
        assert_eq!(local_date(d.end(HCM), HCM), ymd(2017, 10, 15));
        assert_eq!(local_date(d.start(HCM), HCM), ymd(2017, 10, 15));
    }

    #[test]
    fn local_date_differs_from_utc_date_in_the_evening() {
        // 18:00 UTC on the 14th is 01:00 on the 15th in Vietnam.
        let t = Utc.with_ymd_and_hms(2017, 10, 14, 18, 0, 0).unwrap().timestamp();
        assert_eq!(local_date(t, HCM), ymd(2017, 10, 15));
        assert_eq!(local_date(t, chrono_tz::UTC), ymd(2017, 10, 14));
    }

    #[test]
    fn months() {
        let (a, b) = month_range("2017-12", HCM).unwrap();
        assert_eq!(local_date(a, HCM), ymd(2017, 12, 1));
        assert_eq!(local_date(b, HCM), ymd(2018, 1, 1));
        assert_eq!(b - a, 31 * 86400);
        assert!(month_range("2017-13", HCM).is_none());
        assert!(month_range("2017-1", HCM).is_none());
        assert!(month_range("december", HCM).is_none());
        assert_eq!(day_range(ymd(2017, 10, 15), HCM).1 - day_range(ymd(2017, 10, 15), HCM).0, 86400);
        assert_eq!(format_vn(ymd(2017, 10, 5)), "05/10/2017");
    }
}
