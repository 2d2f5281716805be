//! `mckh report`: the monthly CSV, checked against a reviewed snapshot.

mod common;

use common::{Project, HEADER};

/// A month with something of everything: notices of each kind sent, one
/// failed for good, one expired, look-ups of each outcome, dossiers on time
/// and late, one without a usable phone, and activity in the next month
/// that must not be counted.
fn busy_month() -> Project {
    let p = Project::new();
    let csv = format!(
        "{HEADER}\
0101700001,0905000001,Lý lịch tư pháp,02/10/2017,09/10/2017,Trả kết quả,Đã giải quyết,06/10/2017 10:00\n\
0101700002,0905000002,Lý lịch tư pháp,02/10/2017,06/10/2017,Trả kết quả,Đã giải quyết,09/10/2017 10:00\n\
0101700003,0905000003,Quốc tịch,03/10/2017,20/10/2017,Thụ lý,Chờ bổ sung,09/10/2017 10:00\n\
0101700004,,Lý lịch tư pháp,03/10/2017,10/10/2017,Thụ lý,Đang xử lý,03/10/2017 10:00\n\
0101700005,0905000005,Lý lịch tư pháp,04/10/2017,10/10/2017,Thụ lý,Đang xử lý,04/10/2017 10:00\n\
0101700006,0905000006,Lý lịch tư pháp,30/09/2017,31/10/2017,Thụ lý,Đang xử lý,30/09/2017 10:00\n"
    );
    p.write("a.csv", &csv);
    p.run_at("2017-10-09T11:00:00+07:00", &["sync", "a.csv"]).ok();
    p.run_at("2017-10-09T11:00:00+07:00", &["notify"]).ok();
    p.run_at("2017-10-09T17:30:00+07:00", &["apologize"]).ok();
    // A result whose SMS fails for good (max_attempts = 1).
    p.config(&format!(
        "{}timeout_secs = 2\n[notify]\nmax_attempts = 1\n",
        common::kannel_gateway("http://127.0.0.1:9")
    ));
    p.write("b.csv", &format!("{HEADER}0101700005,0905000005,Lý lịch tư pháp,04/10/2017,10/10/2017,Trả kết quả,Đã giải quyết,11/10/2017 10:00\n"));
    p.run_at("2017-10-11T10:05:00+07:00", &["sync", "b.csv"]).ok();
    p.run_at("2017-10-11T10:05:00+07:00", &["notify"]).code(75);
    p.config("");
    // An SMS that waited too long.
    p.write("c.csv", &format!("{HEADER}0101700006,0905000006,Lý lịch tư pháp,30/09/2017,31/10/2017,Trả kết quả,Đã giải quyết,20/10/2017 10:00\n"));
    p.run_at("2017-10-20T10:05:00+07:00", &["sync", "c.csv"]).ok();
    p.run_at("2017-10-25T10:05:00+07:00", &["notify"]).ok();
    for (at, text) in [
        ("2017-10-12T09:00:00+07:00", "MCKH+0101700003"),
        ("2017-10-12T09:01:00+07:00", "MCKH+0101700003"),
        ("2017-10-12T09:02:00+07:00", "MCKH+9999"),
        ("2017-10-12T09:03:00+07:00", "hello"),
        // 31/10 23:30 local is still October; 01/11 00:30 local is not.
        ("2017-10-31T16:30:00Z", "MCKH+0101700001"),
        ("2017-10-31T17:30:00Z", "MCKH+0101700001"),
    ] {
        p.run_at(at, &["lookup", "--from", "0905000009", text]).ok();
    }
    p
}

#[test]
fn the_monthly_report() {
    let p = busy_month();
    let r = p.run_at("2017-11-01T08:00:00+07:00", &["report", "--month", "2017-10"]);
    r.ok();
    assert!(r.stdout.starts_with('\u{feff}'), "UTF-8 BOM for Excel");
    insta::assert_snapshot!("report_2017_10", r.stdout.trim_start_matches('\u{feff}'));

    // --output writes the same bytes, and leaves no temporary file behind.
    p.run_at("2017-11-01T08:00:00+07:00", &["report", "--month", "2017-10", "--output", "out/bao-cao.csv"]).code(1);
    std::fs::create_dir(p.path().join("out")).unwrap();
    p.run_at("2017-11-01T08:00:00+07:00", &["report", "--month", "2017-10", "--output", "out/bao-cao.csv"]).ok();
    assert_eq!(std::fs::read_to_string(p.path().join("out/bao-cao.csv")).unwrap(), r.stdout);
    assert_eq!(std::fs::read_dir(p.path().join("out")).unwrap().count(), 1);
}

#[test]
fn semicolons_and_decimal_commas_for_excel_in_vietnamese_locale() {
    let p = busy_month();
    p.config("[report]\ndelimiter = \";\"\n");
    let r = p.run_at("2017-11-01T08:00:00+07:00", &["report", "--month", "2017-10"]);
    assert!(
        r.ok().stdout.contains("2017-10;dossiers_on_time_rate_pct;Tỷ lệ giải quyết đúng hạn (%);50,0\r\n"),
        "{}",
        r.stdout
    );
}

#[test]
fn an_empty_month_and_a_bad_month() {
    let p = Project::new();
    let r = p.run_at("2017-11-01T08:00:00+07:00", &["report", "--month", "2017-09"]);
    assert!(r.ok().stdout.contains("2017-09,dossiers_received,Hồ sơ tiếp nhận,0\r\n"));
    let r = p.run_at("2017-11-01T08:00:00+07:00", &["report", "--month", "10/2017"]);
    r.code(78);
    assert_eq!(r.stderr, "mckh: --month: \"10/2017\" is not a month (YYYY-MM)\n");
}
