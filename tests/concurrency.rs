//! Several hosts (here: processes) at once against one database: the queue
//! is split, nothing is sent twice, nothing is lost. Runs on SQLite and on
//! PostgreSQL like the rest of the suite; `scripts/soak` repeats it.

mod common;

use std::collections::HashMap;
use std::process::Child;
use std::time::Duration;

use common::stub::{Behaviour, Stub};
use common::{kannel_gateway, numbered_rows, Project, HEADER};

const NOW: &str = "2017-10-16T16:00:00+07:00";
const PROCESSES: usize = 4;

/// Starts `PROCESSES` copies of a command at the same moment.
fn spawn_all(p: &Project, now: &str, args: &[&str]) -> Vec<Child> {
    (0..PROCESSES)
        .map(|_| {
            p.command(args)
                .env("MCKH_NOW", now)
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect()
}

/// Waits for every process; returns their exit statuses and stderr.
fn wait_all(children: Vec<Child>) -> Vec<(i32, String)> {
    children
        .into_iter()
        .map(|c| {
            let o = c.wait_with_output().unwrap();
            (o.status.code().unwrap_or(-1), String::from_utf8_lossy(&o.stderr).into_owned())
        })
        .collect()
}

/// How often the stub saw each receipt code in a text.
fn per_code(stub: &Stub) -> HashMap<String, usize> {
    let mut m = HashMap::new();
    for r in stub.requests() {
        let text = r.param("text").unwrap();
        let code = text.split("MS: ").nth(1).unwrap().split(')').next().unwrap().to_string();
        *m.entry(code).or_insert(0) += 1;
    }
    m
}

/// A project whose gateway is a slow recording stub.
fn project(stub: &Stub) -> Project {
    let p = Project::new();
    p.config(&kannel_gateway(&stub.url));
    p
}

#[test]
fn four_notify_runs_split_the_queue_and_send_each_message_once() {
    let stub = Stub::start(Behaviour::Slow(Duration::from_millis(40), 202, "0: Accepted for delivery".into()));
    let p = project(&stub);
    p.write("a.csv", &format!("{HEADER}{}", numbered_rows(0..60, "Trả kết quả", "16/10/2017 15:00")));
    p.run_at(NOW, &["sync", "a.csv"]).ok();

    let results = wait_all(spawn_all(&p, NOW, &["notify"]));
    for (code, err) in &results {
        assert_eq!(*code, 0, "{err}");
        assert!(!err.contains("locked"), "{err}");
    }
    let counts = per_code(&stub);
    assert_eq!(counts.len(), 60);
    assert!(counts.values().all(|&n| n == 1), "{counts:?}");
    assert_eq!(p.count("SELECT COUNT(*) AS n FROM messages WHERE state = 'sent' AND attempts = 1"), 60);
    // The runs sent side by side: no run held a lock across a network call.
    assert!(stub.max_in_flight() > 1, "the runs took turns instead of sharing the queue");
    assert!(p.count("SELECT COUNT(DISTINCT claimed_by) AS n FROM messages") > 1);
}

#[test]
fn four_apologize_runs_at_1730_send_one_apology_each() {
    let stub = Stub::start(Behaviour::Slow(Duration::from_millis(20), 202, "0: Accepted for delivery".into()));
    let p = project(&stub);
    p.write("a.csv", &format!("{HEADER}{}", numbered_rows(0..30, "Thụ lý", "16/10/2017 15:00")));
    p.run_at(NOW, &["sync", "a.csv"]).ok();
    let results = wait_all(spawn_all(&p, "2017-10-19T17:30:00+07:00", &["apologize"]));
    for (code, err) in &results {
        assert_eq!(*code, 0, "{err}");
    }
    let counts = per_code(&stub);
    assert_eq!(counts.len(), 30);
    assert!(counts.values().all(|&n| n == 1), "{counts:?}");
    assert_eq!(p.count("SELECT COUNT(*) AS n FROM messages WHERE kind = 'apology'"), 30);
}

#[test]
fn overlapping_syncs_lose_no_update_and_queue_no_duplicate() {
    let stub = Stub::start(Behaviour::Answer(202, "0: Accepted for delivery".into()));
    let p = project(&stub);
    // Older export: codes 0..200 being processed at 08:00.
    // Newer export: codes 100..300 at the result step at 09:00.
    p.write("old.csv", &format!("{HEADER}{}", numbered_rows(0..200, "Thụ lý", "16/10/2017 08:00")));
    p.write("new.csv", &format!("{HEADER}{}", numbered_rows(100..300, "Trả kết quả", "16/10/2017 09:00")));
    let children: Vec<Child> = ["old.csv", "new.csv", "new.csv", "old.csv"]
        .iter()
        .map(|f| {
            p.command(&["sync", f])
                .env("MCKH_NOW", NOW)
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for (code, err) in wait_all(children) {
        assert_eq!(code, 0, "{err}");
    }
    assert_eq!(p.count("SELECT COUNT(*) AS n FROM dossiers"), 300);
    // The newer state won everywhere it applies.
    assert_eq!(p.count("SELECT COUNT(*) AS n FROM dossiers WHERE step = 'Trả kết quả'"), 200);
    assert_eq!(p.count("SELECT COUNT(*) AS n FROM dossiers WHERE step = 'Thụ lý'"), 100);
    // One result SMS per dossier that reached the result step.
    assert_eq!(p.count("SELECT COUNT(*) AS n FROM messages"), 200);
    assert_eq!(p.count("SELECT COUNT(DISTINCT dossier_id) AS n FROM messages"), 200);
    wait_all(spawn_all(&p, NOW, &["notify"]));
    let counts = per_code(&stub);
    assert_eq!(counts.len(), 200);
    assert!(counts.values().all(|&n| n == 1));
}
