//! `mckh notify`: sending, failures, retries, and the drivers' requests.

mod common;

use std::time::Instant;

use common::stub::{Behaviour, Stub};
use common::{kannel_gateway, numbered_rows, Project, HEADER};

const NOW: &str = "2017-10-16T16:00:00+07:00";

/// A project with one result SMS queued.
fn queued(config: &str) -> Project {
    let p = Project::new();
    p.config(config);
    p.write("a.csv", &format!("{HEADER}0101701234,0905123456,X,16/10/2017,20/10/2017,Trả kết quả,,16/10/2017 15:00\n"));
    p.run_at(NOW, &["sync", "a.csv"]).ok();
    p
}

/// A loopback port nothing listens on.
fn closed_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

#[test]
fn failures_are_retried_with_backoff_then_marked_dead() {
    let port = closed_port();
    let p = queued(&format!(
        "{}username = \"mckh\"\npassword = \"s3cret-pw\"\n[notify]\nmax_attempts = 3\nretry_after_secs = 300\n",
        kannel_gateway(&format!("http://127.0.0.1:{port}"))
    ));
    let r = p.run_at(NOW, &["notify"]);
    r.code(75);
    assert!(r.stdout.contains("0 sent, 1 failed (will retry)"), "{}", r.stdout);
    assert!(r.stderr.contains("0905***456") && !r.stderr.contains("0905123456"), "{}", r.stderr);
    for out in [&r.stdout, &r.stderr] {
        assert!(!out.contains("s3cret-pw"), "password leaked: {out}");
    }
    assert_eq!(p.texts("SELECT state || '/' || CAST(attempts AS TEXT) AS v FROM messages"), ["queued/1"]);
    // Too soon for the retry: nothing is tried.
    p.run_at("2017-10-16T16:04:00+07:00", &["notify"]).ok();
    assert_eq!(p.texts("SELECT CAST(attempts AS TEXT) AS v FROM messages"), ["1"]);
    // 5 minutes later: second try; the next waits 10 minutes.
    p.run_at("2017-10-16T16:05:01+07:00", &["notify"]).code(75);
    p.run_at("2017-10-16T16:14:00+07:00", &["notify"]).ok();
    assert_eq!(p.texts("SELECT CAST(attempts AS TEXT) AS v FROM messages"), ["2"]);
    let r = p.run_at("2017-10-16T16:16:00+07:00", &["notify"]);
    r.code(75);
    assert!(r.stdout.contains("1 dead"), "{}", r.stdout);
    assert_eq!(p.texts("SELECT state AS v FROM messages"), ["dead"]);
    let errors = p.texts("SELECT last_error AS v FROM messages");
    assert!(errors[0].starts_with("unreachable:") && !errors[0].contains("s3cret-pw"), "{errors:?}");
    // Dead is final.
    p.run_at("2017-10-17T09:00:00+07:00", &["notify"]).ok();
    assert_eq!(p.texts("SELECT CAST(attempts AS TEXT) AS v FROM messages"), ["3"]);
}

#[test]
fn a_hanging_gateway_costs_one_timeout_not_the_whole_run() {
    let stub = Stub::start(Behaviour::Hang);
    let p = Project::new();
    p.config(&format!("{}timeout_secs = 1\n[notify]\nstop_after_failures = 2\n", kannel_gateway(&stub.url)));
    p.write("a.csv", &format!("{HEADER}{}", numbered_rows(0..5, "Trả kết quả", "16/10/2017 15:00")));
    p.run_at(NOW, &["sync", "a.csv"]).ok();
    let t = Instant::now();
    let r = p.run_at(NOW, &["notify"]);
    let took = t.elapsed();
    r.code(75);
    assert!(took.as_secs_f64() < 8.0, "took {took:?}");
    assert!(r.stdout.contains("stopped early"), "{}", r.stdout);
    assert_eq!(stub.requests().len(), 2);
    // Nothing was lost: the untried messages are still queued, untouched.
    assert_eq!(p.count("SELECT COUNT(*) AS n FROM messages WHERE state = 'queued' AND attempts = 0"), 3);
}

#[test]
fn a_gateway_that_says_no_is_a_failure() {
    let stub = Stub::start(Behaviour::Answer(403, "Authorization failed for sendsms".into()));
    let p = queued(&kannel_gateway(&stub.url));
    let r = p.run_at(NOW, &["notify"]);
    r.code(75);
    assert!(r.stdout.contains("rejected: HTTP 403: Authorization failed"), "{}", r.stdout);
}

#[test]
fn kannel_requests_carry_utf8_and_ucs2_coding_for_vietnamese() {
    let stub = Stub::start(Behaviour::Answer(202, "0: Accepted for delivery".into()));
    let p = queued(&format!(
        "{}username = \"mckh\"\npassword_file = \"pw\"\nsender = \"8083\"\n",
        kannel_gateway(&stub.url)
    ));
    p.write("pw", "from-a-file\n");
    let r = p.run_at(NOW, &["notify"]);
    r.ok();
    let reqs = stub.requests();
    assert_eq!(reqs.len(), 1);
    let q = &reqs[0];
    assert_eq!(q.param("text").unwrap(), "TB: Hồ sơ của quý ông/bà (MS: 0101701234) đã được giải quyết xong. Mời ông/ bà đến Bộ phận Một cửa Sở Tư pháp để nhận kết quả");
    assert_eq!(q.param("coding").as_deref(), Some("2"));
    assert_eq!(q.param("charset").as_deref(), Some("UTF-8"));
    assert_eq!(q.param("to").as_deref(), Some("84905123456"));
    assert_eq!(q.param("from").as_deref(), Some("8083"));
    assert_eq!(q.param("password").as_deref(), Some("from-a-file"));
    assert_eq!(p.texts("SELECT gateway_reply AS v FROM messages"), ["0: Accepted for delivery"]);
}

#[test]
fn unaccented_notices_go_as_gsm_text_without_ucs2() {
    let stub = Stub::start(Behaviour::Answer(202, "3: Queued for later delivery".into()));
    let p = queued(&format!("[sms]\nunaccented = true\n{}", kannel_gateway(&stub.url)));
    p.run_at(NOW, &["notify"]).ok();
    let q = &stub.requests()[0];
    assert_eq!(q.param("text").unwrap(), "TB: Ho so cua quy ong/ba (MS: 0101701234) da duoc giai quyet xong. Moi ong/ ba den Bo phan Mot cua So Tu phap de nhan ket qua");
    assert_eq!(q.param("coding"), None);
    assert_eq!(p.texts("SELECT CAST(segments AS TEXT) AS v FROM messages"), ["1"]);
}

#[test]
fn the_http_driver_follows_its_templates_and_success_test() {
    // eSMS answers 200 either way; only CodeResult 100 means accepted.
    for (body, want_code, want_state) in [
        (r#"{"CodeResult":"100","SMSID":"abc"}"#, 0, "sent"),
        (r#"{"CodeResult":"99","ErrorMessage":"Phone not valid"}"#, 75, "queued"),
    ] {
        let stub = Stub::start(Behaviour::Answer(200, body.into()));
        let p = queued(&format!(
            r#"[gateway]
kind = "http"
method = "POST"
url = "{}/MainService.svc/json/SendMultipleMessage_V4_post_json/"
username = "KEY"
body = '{{"ApiKey":{{{{json username}}}},"SecretKey":{{{{json password}}}},"Phone":"{{{{to_national}}}}","Content":{{{{json text}}}},"IsUnicode":"{{{{#if unicode}}}}1{{{{else}}}}0{{{{/if}}}}"}}'
success_contains = '"CodeResult":"100"'
[gateway.headers]
Content-Type = "application/json"
"#,
            stub.url
        ));
        let r = p.command(&["notify"]).env("MCKH_NOW", NOW).env("MCKH_GATEWAY_PASSWORD", "SECRET\"x").output().unwrap();
        assert_eq!(r.status.code(), Some(want_code), "{}", String::from_utf8_lossy(&r.stderr));
        let q = &stub.requests()[0];
        assert_eq!(q.method, "POST");
        assert!(q.headers.iter().any(|(k, v)| k.eq_ignore_ascii_case("content-type") && v == "application/json"));
        let json: serde_json::Value = serde_json::from_str(&q.body).expect("body is JSON");
        assert_eq!(json["Phone"], "0905123456");
        assert_eq!(json["SecretKey"], "SECRET\"x");
        assert_eq!(json["IsUnicode"], "1");
        assert!(json["Content"].as_str().unwrap().starts_with("TB: Hồ sơ của quý ông/bà"));
        assert_eq!(p.texts("SELECT state AS v FROM messages"), [want_state]);
        assert!(!String::from_utf8_lossy(&r.stderr).contains("SECRET"));
    }
}

#[test]
fn dry_run_lists_and_changes_nothing() {
    let p = queued("");
    let r = p.run_at(NOW, &["notify", "--dry-run"]);
    r.ok();
    assert!(r.stdout.contains("would send #1 result to 0905***456 (2 parts): TB: Hồ sơ"), "{}", r.stdout);
    assert!(r.sent().is_empty());
    assert_eq!(p.texts("SELECT state || CAST(attempts AS TEXT) AS v FROM messages"), ["queued0"]);
}

#[test]
fn a_message_left_sending_by_a_dead_run_is_never_resent() {
    let p = queued("");
    // A run that claimed the message and died before recording the answer.
    p.exec("UPDATE messages SET state = 'sending', attempts = 1, claimed_at = 1508140000");
    let r = p.run_at(NOW, &["notify"]);
    r.ok();
    assert!(r.sent().is_empty());
    assert!(r.stdout.contains("1 interrupted"), "{}", r.stdout);
    assert_eq!(p.texts("SELECT state AS v FROM messages"), ["interrupted"]);
}

#[test]
fn a_bad_template_stops_the_run_before_anything_is_sent() {
    let p = queued("");
    p.write("templates/apology.hbs", "Hồ sơ {{ma_so}} chưa xong");
    for cmd in ["notify", "apologize", "sync"] {
        let r = p.run_at(NOW, &[cmd, "a.csv"][..if cmd == "sync" { 2 } else { 1 }]);
        r.code(78);
        let want = format!(
            "mckh: template {}: unknown variable \"ma_so\" (line 1, column 7)",
            p.path().join("templates/apology.hbs").display()
        );
        assert_eq!(r.stderr.trim(), want);
        assert!(r.stdout.is_empty(), "{}", r.stdout);
    }
    assert_eq!(p.texts("SELECT state AS v FROM messages"), ["queued"]);
}
