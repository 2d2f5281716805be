//! `mckh apologize`: the 17:30 apology to dossiers due tomorrow.

mod common;

use common::{Project, HEADER};

/// 17:30 in Khánh Hòa on 19/10/2017 (10:30 UTC; the test server runs in UTC).
const EVENING: &str = "2017-10-19T17:30:00+07:00";

/// Dossiers of every kind, all due on 20/10/2017 unless said otherwise.
fn project() -> Project {
    let p = Project::new();
    let csv = format!(
        "{HEADER}\
0101700001,0905000001,Lý lịch tư pháp,16/10/2017,20/10/2017,Thụ lý,Đang xử lý,16/10/2017 08:00\n\
0101700002,0905000002,Lý lịch tư pháp,16/10/2017,20/10/2017 10:00,Chuyển phòng chuyên môn,Đang xử lý,16/10/2017 08:00\n\
0101700003,0905000003,Lý lịch tư pháp,16/10/2017,20/10/2017,Trả kết quả,Đã giải quyết,19/10/2017 08:00\n\
0101700004,,Lý lịch tư pháp,16/10/2017,20/10/2017,Thụ lý,Đang xử lý,16/10/2017 08:00\n\
0101700005,0905000005,Chứng thực,20/10/2017 08:00,20/10/2017 11:00,Thụ lý,Đang xử lý,16/10/2017 08:00\n\
0101700006,0905000006,Lý lịch tư pháp,16/10/2017,21/10/2017,Thụ lý,Đang xử lý,16/10/2017 08:00\n\
0101700007,0905000007,Lý lịch tư pháp,16/10/2017,19/10/2017,Thụ lý,Đang xử lý,16/10/2017 08:00\n"
    );
    p.write("a.csv", &csv);
    p.run_at("2017-10-19T08:00:00+07:00", &["sync", "--baseline", "a.csv"]).ok();
    p
}

#[test]
fn apologises_once_to_each_dossier_due_tomorrow_without_a_result() {
    let p = project();
    let r = p.run_at(EVENING, &["apologize"]);
    r.ok();
    let sent = r.sent();
    assert_eq!(sent.len(), 2, "{}", r.stdout);
    assert_eq!(
        sent[0],
        "console: to 0905***001 (4 parts): TB: Hồ sơ của quý ông/bà (MS: 0101700001) chưa có kết quả vào ngày 20/10/2017. Ông/bà có thể đến Bộ phận Một cửa Sở Tư pháp để nhận thông báo xin lỗi, hẹn lại thời gian trả kết quả hoặc đến nhận kết quả khi có tin nhắn tiếp theo"
    );
    assert!(sent[1].contains("MS: 0101700002"));
    assert!(
        r.stdout.contains("apologize 2017-10-20: 2 dossiers due without a result, 2 apologies queued"),
        "{}",
        r.stdout
    );

    // Twice (cron retried, or a second host): nothing more.
    let again = p.run_at("2017-10-19T17:31:00+07:00", &["apologize"]);
    again.ok();
    assert!(again.sent().is_empty());
    assert_eq!(p.count("SELECT COUNT(*) AS n FROM messages WHERE kind = 'apology'"), 2);
}

#[test]
fn tomorrow_is_local_whatever_the_server_clock_says() {
    let p = project();
    // 23:30 UTC on the 19th is already 06:30 on the 20th in Vietnam:
    // tomorrow is the 21st.
    let r = p.run_at("2017-10-19T23:30:00Z", &["apologize"]);
    r.ok();
    assert_eq!(r.sent().len(), 1);
    assert!(r.sent()[0].contains("MS: 0101700006") && r.sent()[0].contains("21/10/2017"));
}

#[test]
fn an_explicit_date_and_a_moved_due_date() {
    let p = project();
    let r = p.run_at(EVENING, &["apologize", "--date", "2017-10-21"]);
    assert_eq!(r.ok().sent().len(), 1);
    // The appointment is moved to the 23rd: the new date gets its own apology.
    p.write(
        "b.csv",
        &format!(
            "{HEADER}0101700006,0905000006,Lý lịch tư pháp,16/10/2017,23/10/2017,Thụ lý,Đang xử lý,20/10/2017 08:00\n"
        ),
    );
    p.run_at("2017-10-20T08:00:00+07:00", &["sync", "b.csv"]).ok();
    let r = p.run_at("2017-10-22T17:30:00+07:00", &["apologize"]);
    assert_eq!(r.ok().sent().len(), 1);
    assert!(r.sent()[0].contains("23/10/2017"));
    assert_eq!(p.count("SELECT COUNT(*) AS n FROM messages WHERE kind = 'apology'"), 2);
    let bad = p.run_at(EVENING, &["apologize", "--date", "20/10/2017"]);
    bad.code(78);
    assert!(bad.stderr.contains("--date: \"20/10/2017\" is not a date (YYYY-MM-DD)"), "{}", bad.stderr);
}

#[test]
fn the_result_sms_follows_when_the_dossier_is_ready() {
    let p = project();
    p.run_at(EVENING, &["apologize"]).ok();
    p.write("b.csv", &format!("{HEADER}0101700001,0905000001,Lý lịch tư pháp,16/10/2017,20/10/2017,Trả kết quả,Đã giải quyết,20/10/2017 09:00\n"));
    p.run_at("2017-10-20T09:05:00+07:00", &["sync", "b.csv"]).ok();
    let r = p.run_at("2017-10-20T09:05:00+07:00", &["notify"]);
    assert_eq!(r.ok().sent().len(), 1);
    assert!(r.sent()[0].contains("MS: 0101700001) đã được giải quyết xong"));
}
