//! `mckh sync`: the export rules, driven through the real binary.

mod common;

use common::{Project, HEADER};

const NOW: &str = "2017-10-16T16:00:00+07:00";

/// A one-row export.
fn row(code: &str, phone: &str, step: &str, status: &str, updated: &str) -> String {
    format!("{HEADER}{code},{phone},Cấp phiếu lý lịch tư pháp,16/10/2017 08:00,20/10/2017,{step},{status},{updated}\n")
}

#[test]
fn entering_the_result_step_queues_one_result_sms() {
    let p = Project::new();
    p.write("a.csv", &row("0101701234", "0905123456", "Thụ lý", "Đang xử lý", "16/10/2017 08:00"));
    p.run_at(NOW, &["sync", "a.csv"]).ok();
    assert_eq!(p.count("SELECT COUNT(*) AS n FROM messages"), 0);

    p.write("b.csv", &row("0101701234", "0905123456", "Trả kết quả", "Đã giải quyết", "16/10/2017 15:00"));
    let r = p.run_at(NOW, &["sync", "b.csv"]);
    r.ok();
    assert!(r.stdout.contains("1 messages queued"), "{}", r.stdout);
    // Synced again, and again: the dossier stays where it was.
    p.run_at(NOW, &["sync", "b.csv"]).ok();
    p.run_at("2017-10-16T17:00:00+07:00", &["sync", "b.csv"]).ok();
    assert_eq!(p.count("SELECT COUNT(*) AS n FROM messages"), 1);

    let r = p.run_at(NOW, &["notify"]);
    r.ok();
    assert_eq!(
        r.sent(),
        ["console: to 0905***456 (2 parts): TB: Hồ sơ của quý ông/bà (MS: 0101701234) đã được giải quyết xong. Mời ông/ bà đến Bộ phận Một cửa Sở Tư pháp để nhận kết quả"]
    );
    assert!(r.stdout.contains("notify: 1 sent, 0 failed"), "{}", r.stdout);
    assert_eq!(p.run_at(NOW, &["notify"]).ok().sent().len(), 0);
    assert_eq!(p.texts("SELECT state AS v FROM messages"), ["sent"]);
}

#[test]
fn a_dossier_first_seen_at_the_result_step_is_notified() {
    let p = Project::new();
    p.write("a.csv", &row("0101701234", "0905123456", "Trả kết quả", "", "16/10/2017 15:00"));
    p.run_at(NOW, &["sync", "a.csv"]).ok();
    assert_eq!(p.texts("SELECT kind AS v FROM messages"), ["result"]);
}

#[test]
fn baseline_records_state_and_queues_nothing() {
    let p = Project::new();
    let mut csv = HEADER.to_string();
    for i in 0..50 {
        csv.push_str(&format!("01017{i:05},0905123456,X,01/10/2017,10/10/2017,Trả kết quả,,10/10/2017\n"));
    }
    csv.push_str("0101799999,0905123456,X,01/10/2017,20/10/2017,Thụ lý,Chờ bổ sung,10/10/2017\n");
    p.write("history.csv", &csv);
    let r = p.run_at(NOW, &["sync", "--baseline", "history.csv"]);
    r.ok();
    assert!(r.stdout.contains("51 imported (51 new)"), "{}", r.stdout);
    assert_eq!(p.count("SELECT COUNT(*) AS n FROM messages"), 0);
    // The same rows again without --baseline: nothing changed, nothing sent.
    p.run_at(NOW, &["sync", "history.csv"]).ok();
    assert_eq!(p.count("SELECT COUNT(*) AS n FROM messages"), 0);
    // A real change after the baseline is notified.
    p.write("c.csv", &row("0101799999", "0905123456", "Trả kết quả", "", "16/10/2017 15:00"));
    p.run_at(NOW, &["sync", "c.csv"]).ok();
    assert_eq!(p.texts("SELECT kind AS v FROM messages"), ["result"]);
}

#[test]
fn each_entry_into_supplement_queues_one_supplement_sms() {
    let p = Project::new();
    let states = [
        ("Thụ lý", "Đang xử lý"),
        ("Thụ lý", "Chờ bổ sung"),
        ("Thụ lý", " CHỜ  BỔ SUNG "),
        ("Thụ lý", "Đang xử lý"),
        ("Thụ lý", "Chờ bổ sung"),
    ];
    for (i, (step, status)) in states.iter().enumerate() {
        p.write("a.csv", &row("0101701234", "0905123456", step, status, &format!("16/10/2017 0{}:00", i + 1)));
        p.run_at(NOW, &["sync", "a.csv"]).ok();
    }
    assert_eq!(
        p.texts("SELECT dedupe_key AS v FROM messages ORDER BY id"),
        ["supplement:0101701234:1", "supplement:0101701234:2"]
    );
    let r = p.run_at(NOW, &["notify"]);
    assert_eq!(r.sent().len(), 2);
    assert!(r.sent()[0].ends_with(
        "TB: Hồ sơ của quý ông/ bà (MS: 0101701234) cần được bổ sung theo quy định. Mời ông/ bà đến Bộ phận một cửa Sở Tư pháp để nhận thông báo"
    ));
}

#[test]
fn same_day_dossiers_never_get_an_sms() {
    let p = Project::new();
    p.write(
        "a.csv",
        &format!("{HEADER}0101701234,0905123456,Chứng thực,16/10/2017 08:00,16/10/2017 16:30,Trả kết quả,Chờ bổ sung,16/10/2017 10:00\n"),
    );
    p.run_at(NOW, &["sync", "a.csv"]).ok();
    assert_eq!(p.count("SELECT COUNT(*) AS n FROM messages"), 0);
    assert_eq!(p.count("SELECT COUNT(*) AS n FROM dossiers WHERE same_day"), 1);
}

#[test]
fn bad_rows_are_reported_by_line_and_skipped() {
    let p = Project::new();
    let csv = format!(
        "{HEADER}\
0101700001,0905123456,X,16/10/2017,20/10/2017,Trả kết quả,,16/10/2017 10:00\n\
0101700002,0905123456,X,16/10/2017,31/02/2017,Thụ lý,,16/10/2017 10:00\n\
,0905123456,X,16/10/2017,20/10/2017,Thụ lý,,16/10/2017 10:00\n\
0101700004,0905123456,X,16/10/2017\n\
0101700005,0905123456,X,16/10/2017,20/10/2017,Trả kết quả,,16/10/2017 10:00\n"
    );
    p.write("a.csv", &csv);
    let r = p.run_at(NOW, &["sync", "a.csv"]);
    r.code(65);
    assert!(r.stderr.contains("a.csv line 3: due_at: \"31/02/2017\" is not a date"), "{}", r.stderr);
    assert!(r.stderr.contains("a.csv line 4: receipt_code is empty"), "{}", r.stderr);
    assert!(r.stderr.contains("a.csv line 5: 4 fields, the header has 8"), "{}", r.stderr);
    assert!(r.stdout.contains("5 rows, 2 imported (2 new), 3 skipped"), "{}", r.stdout);
    assert_eq!(p.texts("SELECT receipt_code AS v FROM dossiers ORDER BY receipt_code"), ["0101700001", "0101700005"]);
    assert_eq!(p.count("SELECT COUNT(*) AS n FROM messages"), 2);
}

#[test]
fn invalid_utf8_is_a_row_error_not_a_crash() {
    let p = Project::new();
    let mut bytes = HEADER.as_bytes().to_vec();
    bytes.extend_from_slice(b"0101700001,0905123456,\xff\xfe,16/10/2017,20/10/2017,Th\xe1,,\n");
    bytes.extend_from_slice("0101700002,0905123456,X,16/10/2017,20/10/2017,Thụ lý,,\n".as_bytes());
    std::fs::write(p.path().join("a.csv"), bytes).unwrap();
    let r = p.run_at(NOW, &["sync", "a.csv"]);
    r.code(65);
    assert!(r.stderr.contains("a.csv line 2: not valid UTF-8"), "{}", r.stderr);
    assert_eq!(p.texts("SELECT receipt_code AS v FROM dossiers"), ["0101700002"]);
}

#[test]
fn a_file_without_receipt_codes_imports_nothing() {
    let p = Project::new();
    p.write("a.csv", "ma_ho_so,phone\n0101701234,0905123456\n");
    let r = p.run_at(NOW, &["sync", "a.csv"]);
    r.code(65);
    assert!(r.stderr.contains("a.csv line 1: no receipt_code column (columns found: ma_ho_so, phone)"), "{}", r.stderr);
    assert!(!r.stderr.contains('\n') || r.stderr.lines().count() == 1, "{}", r.stderr);
}

#[test]
fn headers_match_in_any_case_and_order_with_a_bom_and_nfd_text() {
    use unicode_normalization::UnicodeNormalization;
    let p = Project::new();
    let step: String = "trả KẾT quả".nfd().collect();
    let csv = format!("\u{feff}Ghi chú,STEP,Receipt_Code,PHONE,Due_At\nxin chào,{step},000.00.12.H34-171019-0001,+84 905 123 456,2017-10-20\n");
    p.write("a.csv", &csv);
    p.run_at(NOW, &["sync", "a.csv"]).ok();
    assert_eq!(p.texts("SELECT phone AS v FROM dossiers"), ["0905123456"]);
    assert_eq!(p.texts("SELECT kind AS v FROM messages"), ["result"]);
}

#[test]
fn standard_input_works() {
    let p = Project::new();
    let mut child = p
        .command(&["sync", "-"])
        .env("MCKH_NOW", NOW)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child.stdin.take().unwrap().write_all(row("0101701234", "0905123456", "Trả kết quả", "", "").as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("sync <stdin>: 1 rows"));
}

#[test]
fn unusable_phones_are_stored_but_never_texted() {
    let p = Project::new();
    let csv = format!(
        "{HEADER}\
0101700001,,X,16/10/2017,20/10/2017,Trả kết quả,,\n\
0101700002,02583822222,X,16/10/2017,20/10/2017,Trả kết quả,,\n\
0101700003,090512,X,16/10/2017,20/10/2017,Trả kết quả,,\n\
0101700004,01651234567,X,16/10/2017,20/10/2017,Trả kết quả,,\n"
    );
    p.write("a.csv", &csv);
    p.run_at(NOW, &["sync", "a.csv"]).ok();
    assert_eq!(
        p.texts("SELECT phone_raw AS v FROM dossiers ORDER BY id"),
        ["", "02583822222", "090512", "01651234567"]
    );
    // Only the converted old number gets the SMS, at its new number.
    assert_eq!(p.texts("SELECT phone AS v FROM messages"), ["0351234567"]);
    let report = p.run_at(NOW, &["report", "--month", "2017-10"]);
    assert!(
        report.stdout.contains("dossiers_without_phone,Hồ sơ không nhận được tin nhắn (không có số di động hợp lệ),3"),
        "{}",
        report.stdout
    );
}

#[test]
fn an_older_export_does_not_overwrite_a_newer_state() {
    let p = Project::new();
    p.write("new.csv", &row("0101701234", "0905123456", "Trả kết quả", "", "16/10/2017 15:00"));
    p.write("old.csv", &row("0101701234", "0905123456", "Thụ lý", "", "16/10/2017 09:00"));
    p.run_at(NOW, &["sync", "new.csv"]).ok();
    let r = p.run_at(NOW, &["sync", "old.csv"]);
    r.ok();
    assert!(r.stdout.contains("1 stale"), "{}", r.stdout);
    assert_eq!(p.texts("SELECT step AS v FROM dossiers"), ["Trả kết quả"]);
    // Replaying the newer export again notifies nobody a second time.
    p.run_at(NOW, &["sync", "new.csv"]).ok();
    assert_eq!(p.count("SELECT COUNT(*) AS n FROM messages"), 1);
}

#[test]
fn messages_older_than_max_age_expire_instead_of_being_sent() {
    let p = Project::new();
    p.write("a.csv", &row("0101701234", "0905123456", "Trả kết quả", "", "12/10/2017 15:00"));
    p.run_at(NOW, &["sync", "a.csv"]).ok();
    let r = p.run_at(NOW, &["notify"]);
    r.ok();
    assert!(r.sent().is_empty());
    assert!(r.stdout.contains("1 expired"), "{}", r.stdout);
    assert_eq!(p.texts("SELECT state AS v FROM messages"), ["expired"]);

    // Within 72 hours of the event, it is sent.
    p.config("[notify]\nmax_age_hours = 200\n");
    p.write("b.csv", &row("0101701235", "0905123456", "Trả kết quả", "", "12/10/2017 15:00"));
    p.run_at(NOW, &["sync", "b.csv"]).ok();
    assert_eq!(p.run_at(NOW, &["notify"]).ok().sent().len(), 1);
}

#[test]
fn a_missing_file_names_the_file() {
    let p = Project::new();
    let r = p.run_at(NOW, &["sync", "nope.csv"]);
    r.code(1);
    assert!(r.stderr.starts_with("mckh: nope.csv: No such file"), "{}", r.stderr);
}

#[test]
fn a_code_listed_twice_applies_in_file_order() {
    let p = Project::new();
    p.write("a.csv", "receipt_code,phone,step\n0101701234,0905123456,Thụ lý\n");
    p.run_at(NOW, &["sync", "a.csv"]).ok();
    p.write("b.csv", "receipt_code,phone,step\n0101701234,0905123456,Trả kết quả\n0101701234,0905123456,Thụ lý\n");
    p.run_at(NOW, &["sync", "b.csv"]).ok();
    assert_eq!(p.texts("SELECT step AS v FROM dossiers"), ["Thụ lý"]);
    assert_eq!(p.texts("SELECT kind AS v FROM messages"), ["result"]);
    // Unchanged rows are skipped without a write, and change nothing.
    let before = p.texts("SELECT CAST(last_synced_at AS TEXT) AS v FROM dossiers");
    p.run_at("2017-10-16T17:00:00+07:00", &["sync", "a.csv"]).ok();
    assert_eq!(p.texts("SELECT CAST(last_synced_at AS TEXT) AS v FROM dossiers"), before);
    assert_eq!(p.count("SELECT COUNT(*) AS n FROM messages"), 1);
}

#[test]
fn an_empty_export_is_a_data_error() {
    let p = Project::new();
    p.write("empty.csv", "");
    let r = p.run_at(NOW, &["sync", "empty.csv"]);
    r.code(65);
    assert_eq!(r.stderr, "mckh: empty.csv: the file is empty (expected a header row with receipt_code)\n");
}
