//! `mckh lookup`: the citizen's SMS look-up, as Kannel's exec hook runs it.

mod common;

use common::stub::{Behaviour, Stub};
use common::{kannel_gateway, Project, HEADER};

const NOW: &str = "2017-10-18T10:00:00+07:00";
const HELP: &str = "Sai cu phap. Soan tin: MCKH <ma so bien nhan> gui 8083";

/// Dossiers on time, late, finished on time and finished late.
fn project() -> Project {
    let p = Project::new();
    let csv = format!(
        "{HEADER}\
0101701234,0905123456,Lý lịch tư pháp,16/10/2017,20/10/2017,Thụ lý,Đang xử lý,16/10/2017 08:00\n\
0101701235,0905123456,Lý lịch tư pháp,10/10/2017,17/10/2017,Phòng Hành chính tư pháp,Đang xử lý,16/10/2017 08:00\n\
000.00.12.H34-171019-0001,0905123456,Quốc tịch,10/10/2017,17/10/2017 16:00,Trả kết quả,Đã giải quyết,17/10/2017 15:00\n\
0101701237,0905123456,Lý lịch tư pháp,10/10/2017,16/10/2017,Trả kết quả,Đã giải quyết,17/10/2017 09:00\n"
    );
    p.write("a.csv", &csv);
    p.run_at("2017-10-18T08:00:00+07:00", &["sync", "--baseline", "a.csv"]).ok();
    p
}

/// Runs a look-up as Kannel would: `--from "%p" "%a"`.
fn lookup(p: &Project, from: &str, text: &str) -> common::Run {
    let r = p.run_at(NOW, &["lookup", "--from", from, text]);
    r.ok();
    assert!(!r.stdout.is_empty() && !r.stdout.contains('\n'), "exactly one reply, as the SMS reads: {:?}", r.stdout);
    r
}

#[test]
fn found_replies_give_the_step_and_timeliness_unaccented() {
    let p = project();
    let cases = [
        ("MCKH+0101701234", "Ho so cua quy ong/ba (0101701234) hien dang o buoc Thu ly, trang thai ho so: Dung han."),
        ("MCKH+0101701235", "Ho so cua quy ong/ba (0101701235) hien dang o buoc Phong Hanh chinh tu phap, trang thai ho so: Tre han."),
        ("mckh_000.00.12.h34-171019-0001", "Ho so cua quy ong/ba (000.00.12.H34-171019-0001) hien dang o buoc Tra ket qua, trang thai ho so: Dung han."),
        ("Mckh0101701237", "Ho so cua quy ong/ba (0101701237) hien dang o buoc Tra ket qua, trang thai ho so: Tre han."),
        ("++Mckh+++0101701234+", "Ho so cua quy ong/ba (0101701234) hien dang o buoc Thu ly, trang thai ho so: Dung han."),
    ];
    for (text, want) in cases {
        assert_eq!(lookup(&p, "%2B84905123456", text).stdout, want, "{text}");
    }
    assert_eq!(p.texts("SELECT sender || ' ' || outcome AS v FROM lookups ORDER BY id")[0], "0905***456 found");
}

#[test]
fn ucs2_and_plain_messages_are_understood_too() {
    let p = project();
    let ucs2 = "%00M%00C%00K%00H%00+%000%001%000%001%007%000%001%002%003%004";
    assert!(lookup(&p, "0905123456", ucs2).stdout.starts_with("Ho so cua quy ong/ba (0101701234)"));
    let r = p.run_at(NOW, &["lookup", "--from", "0905123456", "MCKH", "0101701234"]);
    assert!(r.ok().stdout.starts_with("Ho so cua quy ong/ba (0101701234)"));
}

#[test]
fn unknown_codes_and_bad_syntax_get_the_syntax() {
    let p = project();
    assert_eq!(
        lookup(&p, "0905123456", "MCKH+0999999999").stdout,
        "Khong tim thay ho so co ma so 0999999999. Soan tin: MCKH <ma so bien nhan> gui 8083"
    );
    for text in ["MCKH", "", "HELLO", "0101701234", "MCKH+0101701234+c%E1%BA%A3m+%C6%A1n"] {
        assert_eq!(lookup(&p, "0905123456", text).stdout, HELP, "{text:?}");
    }
    let outcomes = p.texts("SELECT outcome AS v FROM lookups ORDER BY id");
    assert_eq!(outcomes[0], "not_found");
    assert!(outcomes[1..].iter().all(|o| o == "bad_syntax"));
}

#[test]
fn hostile_input_gets_the_syntax_reply_and_changes_nothing() {
    let p = project();
    let before = p.texts("SELECT receipt_code || step || status AS v FROM dossiers ORDER BY id");
    let huge = "A".repeat(10_000);
    let hostile = [
        "MCKH+'%3B+DROP+TABLE+dossiers%3B+--",
        "MCKH+0101701234'+OR+'1'%3D'1",
        "MCKH+%22%00%01%02%1B[2J",
        "MCKH+%FF%FE%FD",
        "-rf",
        "--from",
        huge.as_str(),
        "MCKH+%25%25%25",
        "MCKH+0101701234%0Aecho+pwned",
    ];
    for text in hostile {
        let r = lookup(&p, "0905123456", text);
        assert_eq!(r.stdout, HELP, "{:?}", &text[..text.len().min(40)]);
    }
    // A hostile sender is masked and stored harmlessly.
    let r = p.run_at(NOW, &["lookup", "--from", "'; DROP TABLE lookups; --", "MCKH+0101701234"]);
    assert!(r.ok().stdout.starts_with("Ho so cua quy ong/ba (0101701234)"));
    assert_eq!(p.texts("SELECT receipt_code || step || status AS v FROM dossiers ORDER BY id"), before);
    assert_eq!(p.count("SELECT COUNT(*) AS n FROM lookups"), hostile.len() as i64 + 1);
    assert_eq!(p.count("SELECT COUNT(*) AS n FROM messages"), 0);
}

#[test]
fn the_citizen_gets_a_reply_even_when_everything_is_broken() {
    let p = project();
    // The database cannot be opened.
    let r = p
        .command(&["lookup", "--from", "0905123456", "MCKH+0101701234"])
        .env("MCKH_NOW", NOW)
        .env("MCKH_DATABASE_URL", "sqlite:///nonexistent/folder/mckh.db")
        .output()
        .unwrap();
    assert_eq!(r.status.code(), Some(0));
    assert_eq!(String::from_utf8_lossy(&r.stdout), "He thong tra cuu dang ban, xin vui long nhan lai sau it phut.");
    assert!(String::from_utf8_lossy(&r.stderr).contains("/nonexistent/folder/mckh.db"));
    // The configuration is broken.
    p.config("timezone = \"Nowhere/Else\"\n");
    let r = p.run_at(NOW, &["lookup", "--from", "0905123456", "MCKH+0101701234"]);
    r.ok();
    assert_eq!(r.stdout, "He thong tra cuu dang ban, xin vui long nhan lai sau it phut.");
    assert!(r.stderr.contains("timezone"), "{}", r.stderr);
    // The command line itself is wrong.
    p.config("");
    let r = p.run_at(NOW, &["lookup", "--bogus", "MCKH+0101701234"]);
    r.ok();
    assert!(r.stdout.starts_with("Sai cu phap") && !r.stdout.contains('\n'), "{}", r.stdout);
}

#[test]
fn reply_via_gateway_sends_full_vietnamese_and_prints_nothing() {
    let stub = Stub::start(Behaviour::Answer(202, "0: Accepted for delivery".into()));
    let p = project();
    p.config(&format!("[lookup]\nreply_via = \"gateway\"\n{}", kannel_gateway(&stub.url)));
    let r = p.run_at(NOW, &["lookup", "--from", "%2B84905123456", "MCKH+0101701234"]);
    r.ok();
    assert_eq!(r.stdout, "");
    let reqs = stub.requests();
    assert_eq!(reqs.len(), 1);
    assert_eq!(reqs[0].param("to").as_deref(), Some("84905123456"));
    assert_eq!(
        reqs[0].param("text").as_deref(),
        Some("Hồ sơ của quý ông/bà (0101701234) hiện đang ở bước Thụ lý, trạng thái hồ sơ: Đúng hạn.")
    );
    assert_eq!(reqs[0].param("coding").as_deref(), Some("2"));
    assert_eq!(p.texts("SELECT kind || ' ' || state AS v FROM messages"), ["lookup_reply sent"]);
    // notify never sends it again.
    assert!(p.run_at(NOW, &["notify"]).ok().sent().is_empty());
    assert_eq!(stub.requests().len(), 1);
}

#[test]
fn reply_via_gateway_falls_back_to_stdout_when_the_gateway_fails() {
    let stub = Stub::start(Behaviour::Answer(503, "Service unavailable".into()));
    let p = project();
    p.config(&format!("[lookup]\nreply_via = \"gateway\"\n{}", kannel_gateway(&stub.url)));
    let r = p.run_at(NOW, &["lookup", "--from", "0905123456", "MCKH+0101701234"]);
    r.ok();
    assert!(r.stdout.starts_with("Ho so cua quy ong/ba (0101701234)"), "{}", r.stdout);
    assert_eq!(p.texts("SELECT state AS v FROM messages"), ["dead"]);
    p.run_at(NOW, &["notify"]).ok();
    assert_eq!(stub.requests().len(), 1);
}
