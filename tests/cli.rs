//! The command line, the configuration file, exit codes and the default texts.

mod common;

use common::{backend, Backend, Project, HEADER};

const NOW: &str = "2017-10-16T16:00:00+07:00";

#[test]
fn help_and_version() {
    let p = Project::new();
    let r = p.run_at(NOW, &["--help"]);
    r.ok();
    for sub in ["sync", "notify", "apologize", "lookup", "report", "migrate", "Exit codes"] {
        assert!(r.stdout.contains(sub), "{sub}: {}", r.stdout);
    }
    let r = p.run_at(NOW, &["help", "lookup"]);
    assert!(r.ok().stdout.contains("--from <PHONE>"), "{}", r.stdout);
    assert!(p.run_at(NOW, &["--version"]).ok().stdout.starts_with("mckh 1."));
    p.run_at(NOW, &["frobnicate"]).code(2);
}

#[test]
fn config_errors_name_the_file_and_line_and_exit_78() {
    let p = Project::new();
    p.config("timezone = \"Asia/Ho_Chi_Minh\"\n\n[gateway]\nkind = \"kannel\"\ntimeout = 5\n");
    let r = p.run_at(NOW, &["notify"]);
    r.code(78);
    let cfg = p.path().join("mckh.toml");
    assert!(
        r.stderr.starts_with(&format!("mckh: config {} line 5: unknown field `timeout`", cfg.display())),
        "{}",
        r.stderr
    );
    assert_eq!(r.stderr.lines().count(), 1);

    p.config("[notify]\nmax_attempts = \"five\"\n");
    let r = p.run_at(NOW, &["notify"]);
    r.code(78);
    assert!(r.stderr.contains("line 2"), "{}", r.stderr);

    p.config("");
    let r = p.command(&["notify"]).env("MCKH_NOW", "yesterday").output().unwrap();
    assert_eq!(r.status.code(), Some(78));
    assert!(String::from_utf8_lossy(&r.stderr).contains("--now / MCKH_NOW: \"yesterday\" is not an RFC 3339 time"));

    let r = p.command(&["notify"]).env("MCKH_DATABASE_URL", "mysql://root:hunter2@db/mckh").output().unwrap();
    assert_eq!(r.status.code(), Some(78));
    let err = String::from_utf8_lossy(&r.stderr);
    assert!(err.contains("--database / MCKH_DATABASE_URL") && err.contains("unknown scheme"), "{err}");
    assert!(!err.contains("hunter2"), "{err}");

    let r = p.command(&["notify", "--config", "missing.toml"]).output().unwrap();
    assert_eq!(r.status.code(), Some(78));
    assert!(String::from_utf8_lossy(&r.stderr).contains("config missing.toml: No such file"));
}

#[test]
fn a_postgres_password_never_reaches_the_error_message() {
    let p = Project::new();
    let r =
        p.command(&["notify"]).env("MCKH_DATABASE_URL", "postgres://mckh:hunter2@127.0.0.1:9/mckh").output().unwrap();
    assert_eq!(r.status.code(), Some(1));
    let err = String::from_utf8_lossy(&r.stderr);
    assert!(err.starts_with("mckh: database postgres://mckh:***@127.0.0.1:9/mckh: "), "{err}");
    assert!(!err.contains("hunter2"), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
}

#[test]
fn migrate_reports_the_backend_and_version_and_is_idempotent() {
    let p = Project::new();
    let want = match backend() {
        Backend::Sqlite => "migrate: sqlite schema version 20261203000001 (applied now: 20261203000001)\n",
        Backend::Postgres => "migrate: postgres schema version 20261203000001 (applied now: 20261203000001)\n",
    };
    assert_eq!(p.run_at(NOW, &["migrate"]).ok().stdout, want);
    let again = p.run_at(NOW, &["migrate"]);
    assert!(again.ok().stdout.ends_with("schema version 20261203000001\n"), "{}", again.stdout);
}

#[test]
fn global_options_work_after_the_subcommand_and_config_paths_are_relative_to_the_file() {
    let p = Project::new();
    p.write("etc/mckh.toml", "database_url = \"sqlite://data/mckh.db\"\ntemplates_dir = \"tpl\"\n");
    std::fs::create_dir_all(p.path().join("etc/data")).unwrap();
    p.write("etc/tpl/result.hbs", "Xong: {{receipt_code}}\n");
    p.write("a.csv", &format!("{HEADER}0101701234,0905123456,X,16/10/2017,20/10/2017,Trả kết quả,,\n"));
    let run = |args: &[&str]| {
        let mut c = p.command(args);
        c.env_remove("MCKH_CONFIG").env_remove("MCKH_DATABASE_URL");
        common::Run::from(c.output().unwrap())
    };
    run(&["sync", "a.csv", "--config", "etc/mckh.toml", "--now", NOW]).ok();
    assert!(p.path().join("etc/data/mckh.db").exists());
    let r = run(&["notify", "--config", "etc/mckh.toml", "--now", NOW]);
    assert_eq!(r.ok().sent(), ["console: to 0905***456 (1 part): Xong: 0101701234"]);
}

#[test]
fn mckh_toml_in_the_working_directory_is_found() {
    let p = Project::new();
    p.config("[lookup]\nkeyword = \"TRACUU\"\n");
    let mut c = p.command(&["lookup", "--from", "0905123456", "MCKH+1"]);
    c.env_remove("MCKH_CONFIG").env("MCKH_NOW", NOW);
    let r = common::Run::from(c.output().unwrap());
    assert_eq!(r.ok().stdout, "Sai cu phap. Soan tin: TRACUU <ma so bien nhan> gui 8083");
}

#[test]
fn the_default_texts_are_the_announcement_to_the_letter() {
    let p = Project::new();
    p.write(
        "a.csv",
        &format!(
            "{HEADER}0101701234,0905123456,X,16/10/2017,17/10/2017,Trả kết quả,,16/10/2017 15:00\n\
             0101701235,0905123456,X,16/10/2017,17/10/2017,Thụ lý,Chờ bổ sung,16/10/2017 15:00\n\
             0101701236,0905123456,X,16/10/2017,17/10/2017,Thụ lý,,16/10/2017 15:00\n"
        ),
    );
    p.run_at(NOW, &["sync", "a.csv"]).ok();
    let mut texts: Vec<String> = p.run_at(NOW, &["notify"]).ok().sent();
    texts.extend(p.run_at("2017-10-16T17:30:00+07:00", &["apologize"]).ok().sent());
    for text in ["MCKH+0101701234", "MCKH+0101701236", "MCKH+0000000000", "MCKH"] {
        texts.push(
            p.run_at("2017-10-18T09:00:00+07:00", &["lookup", "--from", "0905123456", text])
                .ok()
                .stdout
                .trim_end()
                .to_string(),
        );
    }
    insta::assert_snapshot!("default_texts", texts.join("\n"));
}

#[test]
fn the_example_export_imports_cleanly() {
    let p = Project::new();
    let example = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/export.csv");
    let r = p.run_at(NOW, &["sync", example]);
    r.ok();
    assert!(r.stdout.contains(" 0 skipped"), "{}", r.stdout);
    assert!(!p.run_at(NOW, &["notify"]).ok().sent().is_empty());
}

#[test]
fn a_closed_pipe_is_not_an_error() {
    let p = Project::new();
    let mut child = p
        .command(&["report", "--month", "2017-10"])
        .env("MCKH_NOW", NOW)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(out.stderr.is_empty(), "{}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn every_spelling_of_a_database_url_selects_its_backend() {
    let p = Project::new();
    let urls: Vec<(String, &str)> = match backend() {
        Backend::Postgres => {
            vec![(p.db_url.clone(), "postgres"), (p.db_url.replacen("postgres://", "postgresql://", 1), "postgres")]
        }
        Backend::Sqlite => vec![
            ("bare.db".to_string(), "sqlite"),
            ("sqlite://prefixed.db".to_string(), "sqlite"),
            (format!("sqlite:{}", p.path().join("short.db").display()), "sqlite"),
        ],
    };
    for (url, want) in urls {
        let r = p.command(&["migrate", "--database", &url]).output().unwrap();
        let out = String::from_utf8_lossy(&r.stdout);
        assert!(r.status.success() && out.starts_with(&format!("migrate: {want} schema version")), "{url}: {out}");
    }
    if backend() == Backend::Sqlite {
        for f in ["bare.db", "prefixed.db", "short.db"] {
            assert!(p.path().join(f).exists(), "{f}");
        }
    }
}
