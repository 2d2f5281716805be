//! Against a real Kannel: bearerbox and smsbox from Debian's `kannel`
//! package, with an `smsc = fake` link on loopback, and this test playing the
//! phone network on the other end of that link.
//!
//! scripts/test sets MCKH_TEST_KANNEL_BIN, and then a missing Kannel fails
//! the suite; without it (a developer's `cargo test` on a machine without
//! Kannel) these tests say so and pass.

mod common;

use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{channel, Receiver};
use std::time::{Duration, Instant};

use common::stub::decode_bytes;
use common::{Project, HEADER};

const NOW: &str = "2017-10-18T10:00:00+07:00";
const SENDSMS_PASSWORD: &str = "kannel-pw-9f3";

/// Where bearerbox and smsbox are, or `None` to skip.
fn kannel_bin() -> Option<PathBuf> {
    match std::env::var("MCKH_TEST_KANNEL_BIN") {
        Ok(dir) => {
            let dir = PathBuf::from(dir);
            assert!(
                dir.join("bearerbox").exists() && dir.join("smsbox").exists(),
                "no bearerbox/smsbox in {}",
                dir.display()
            );
            Some(dir)
        }
        Err(_) if PathBuf::from("/usr/sbin/bearerbox").exists() => Some("/usr/sbin".into()),
        Err(_) => {
            eprintln!("Kannel is not installed: skipping (scripts/test installs it)");
            None
        }
    }
}

/// A free loopback port.
fn port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// One message as the fake SMSC hands it to the phone.
#[derive(Debug, Clone)]
struct Mt {
    from: String,
    to: String,
    udh: Vec<u8>,
    data: Vec<u8>,
    /// `text` lines carry the text as it is; `data`/`udh` lines carry bytes
    /// (UCS-2 for Vietnamese).
    is_text: bool,
}

/// Parses `FROM TO text MSG`, `FROM TO data URLENCODED` and
/// `FROM TO udh UDH data BODY`. Kannel's URL encoding uses `+` for a space.
fn parse_mt(line: &str) -> Mt {
    let mut it = line.splitn(4, ' ');
    let from = it.next().unwrap().to_string();
    let to = it.next().unwrap().to_string();
    let kind = it.next().unwrap();
    let rest = it.next().unwrap_or("");
    let bytes = |s: &str| decode_bytes(s);
    match kind {
        "text" => Mt { from, to, udh: vec![], data: rest.as_bytes().to_vec(), is_text: true },
        "data" => Mt { from, to, udh: vec![], data: bytes(rest), is_text: false },
        "udh" => {
            let (udh, body) = rest.split_once(' ').unwrap();
            let body = body.strip_prefix("data ").unwrap_or(body);
            Mt { from, to, udh: bytes(udh), data: bytes(body), is_text: false }
        }
        other => panic!("unexpected fake SMSC line kind {other:?}: {line}"),
    }
}

/// A complete message the phone received, parts reassembled.
#[derive(Debug)]
struct Received {
    from: String,
    to: String,
    parts: usize,
    text: String,
}

/// A running Kannel and the phone network attached to its fake SMSC.
struct Kannel {
    children: Vec<Child>,
    sendsms: String,
    phone: TcpStream,
    lines: Receiver<String>,
    dir: tempfile::TempDir,
}

impl Kannel {
    /// Starts bearerbox and smsbox; smsbox's exec hook runs `mckh lookup`
    /// against the project's config and database.
    fn start(bin: &std::path::Path, project: &Project) -> Kannel {
        let dir = tempfile::tempdir().unwrap();
        let (admin, boxp, fake, send) = (port(), port(), port(), port());
        let exe = common::BIN;
        let conf = format!(
            r#"group = core
admin-port = {admin}
admin-password = adminpw
admin-interface = 127.0.0.1
smsbox-port = {boxp}
smsbox-interface = 127.0.0.1
box-allow-ip = 127.0.0.1
log-file = "{d}/bearerbox.log"
log-level = 1
dlr-storage = internal

group = smsc
smsc = fake
smsc-id = fake
port = {fake}
our-host = 127.0.0.1
connect-allow-ip = 127.0.0.1

group = smsbox
bearerbox-host = 127.0.0.1
bearerbox-port = {boxp}
sendsms-port = {send}
sendsms-interface = 127.0.0.1
log-file = "{d}/smsbox.log"
log-level = 1
mo-recode = true

group = sendsms-user
username = mckh
password = {SENDSMS_PASSWORD}
concatenation = true
max-messages = 5

group = sms-service
keyword = mckh
exec = "{exe} lookup --from \"%p\" \"%a\""
concatenation = true
max-messages = 3
omit-empty = true

group = sms-service
keyword = default
exec = "{exe} lookup --from \"%p\" \"%a\""
max-messages = 3
omit-empty = true
"#,
            d = dir.path().display()
        );
        let conf_path = dir.path().join("kannel.conf");
        std::fs::write(&conf_path, conf).unwrap();
        let spawn = |name: &str| {
            let mut c = Command::new(bin.join(name));
            for (k, _) in std::env::vars() {
                if k.starts_with("MCKH_") {
                    c.env_remove(k);
                }
            }
            c.arg(&conf_path)
                .env("MCKH_CONFIG", project.path().join("mckh.toml"))
                .env("MCKH_DATABASE_URL", &project.db_url)
                .env("MCKH_NOW", NOW)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(std::fs::File::create(dir.path().join(format!("{name}.stderr"))).unwrap())
                .spawn()
                .unwrap_or_else(|e| panic!("start {name}: {e}"))
        };
        let mut children = vec![spawn("bearerbox")];
        wait_for_port(boxp);
        children.push(spawn("smsbox"));
        wait_for_port(send);
        let phone = connect_retry(fake);
        let reader = phone.try_clone().unwrap();
        let (tx, lines) = channel();
        std::thread::spawn(move || {
            for line in BufReader::new(reader).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let k = Kannel { children, sendsms: format!("http://127.0.0.1:{send}/cgi-bin/sendsms"), phone, lines, dir };
        k.wait_online(admin);
        k
    }

    /// Waits until bearerbox shows the fake link and smsbox connected.
    fn wait_online(&self, admin: u16) {
        let deadline = Instant::now() + Duration::from_secs(20);
        let agent = ureq::Agent::new_with_defaults();
        loop {
            let status = agent
                .get(&format!("http://127.0.0.1:{admin}/status.txt?password=adminpw"))
                .call()
                .ok()
                .and_then(|mut r| r.body_mut().read_to_string().ok())
                .unwrap_or_default();
            let link_up = status.lines().any(|l| l.contains("fake[fake]") && l.contains("online"));
            let box_up = status.contains("smsbox:");
            if link_up && box_up {
                return;
            }
            assert!(Instant::now() < deadline, "Kannel did not come up:\n{status}\n{}", self.logs());
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// The phone network delivers an inbound SMS (`FROM TO text MSG` or
    /// `FROM TO data URLENCODED`).
    fn mo(&mut self, line: &str) {
        writeln!(self.phone, "{line}").unwrap();
        self.phone.flush().unwrap();
    }

    /// The next complete message to reach the phone, parts reassembled.
    fn receive(&self) -> Received {
        let deadline = Instant::now() + Duration::from_secs(20);
        let mut parts: Vec<Mt> = Vec::new();
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let line =
                self.lines.recv_timeout(left).unwrap_or_else(|_| panic!("no SMS reached the phone\n{}", self.logs()));
            let mt = parse_mt(&line);
            let concat = concat_info(&mt.udh);
            parts.push(mt);
            match concat {
                None => break,
                Some((_, total, _)) if parts.len() == total as usize => break,
                Some(_) => {}
            }
        }
        parts.sort_by_key(|p| concat_info(&p.udh).map(|c| c.2).unwrap_or(0));
        let text = if parts[0].is_text {
            String::from_utf8(parts.iter().flat_map(|p| p.data.clone()).collect()).unwrap()
        } else {
            let units: Vec<u16> = parts
                .iter()
                .flat_map(|p| p.data.chunks_exact(2).map(|c| u16::from_be_bytes([c[0], c[1]])).collect::<Vec<_>>())
                .collect();
            String::from_utf16(&units).unwrap()
        };
        Received { from: parts[0].from.clone(), to: parts[0].to.clone(), parts: parts.len(), text }
    }

    /// Asserts that nothing more reaches the phone for a while.
    fn assert_quiet(&self, d: Duration) {
        if let Ok(line) = self.lines.recv_timeout(d) {
            panic!("unexpected SMS: {line}");
        }
    }

    /// The Kannel logs, for a failing assertion.
    fn logs(&self) -> String {
        ["bearerbox.log", "smsbox.log", "bearerbox.stderr", "smsbox.stderr"]
            .iter()
            .map(|f| {
                let t = std::fs::read_to_string(self.dir.path().join(f)).unwrap_or_default();
                let tail: Vec<&str> = t.lines().rev().take(30).collect();
                format!("--- {f}\n{}", tail.into_iter().rev().collect::<Vec<_>>().join("\n"))
            })
            .collect::<Vec<_>>()
            .join("\n")
    }
}

impl Drop for Kannel {
    /// Stops both boxes.
    fn drop(&mut self) {
        for c in self.children.iter_mut().rev() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// `(reference, total, sequence)` from a concatenation UDH.
fn concat_info(udh: &[u8]) -> Option<(u16, u8, u8)> {
    if udh.is_empty() {
        return None;
    }
    let mut i = 1;
    while i + 1 < udh.len() {
        let (iei, len) = (udh[i], udh[i + 1] as usize);
        let v = &udh[i + 2..i + 2 + len];
        match iei {
            0x00 => return Some((v[0] as u16, v[1], v[2])),
            0x08 => return Some((u16::from_be_bytes([v[0], v[1]]), v[2], v[3])),
            _ => i += 2 + len,
        }
    }
    None
}

/// Waits until something listens on a loopback port.
fn wait_for_port(p: u16) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while TcpStream::connect(("127.0.0.1", p)).is_err() {
        assert!(Instant::now() < deadline, "nothing listens on {p}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Connects to a port, retrying while the listener comes up.
fn connect_retry(p: u16) -> TcpStream {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        match TcpStream::connect(("127.0.0.1", p)) {
            Ok(s) => return s,
            Err(e) => {
                assert!(Instant::now() < deadline, "cannot connect to the fake SMSC on {p}: {e}");
                std::thread::sleep(Duration::from_millis(50));
            }
        }
    }
}

/// A project with one open dossier and one at the result step, whose result
/// SMS is queued.
fn project(config: &str) -> Project {
    let p = Project::new();
    p.config(config);
    p.write(
        "a.csv",
        &format!(
            "{HEADER}0101701234,0905123456,Lý lịch tư pháp,16/10/2017,20/10/2017,Thụ lý,Đang xử lý,16/10/2017 08:00\n\
             0101701299,0905123456,Lý lịch tư pháp,16/10/2017,20/10/2017,Trả kết quả,Đã giải quyết,18/10/2017 09:00\n"
        ),
    );
    p.run_at(NOW, &["sync", "a.csv"]).ok();
    p
}

/// The `[gateway]` section pointing at this Kannel.
fn gateway(k: &Kannel) -> String {
    format!("[gateway]\nkind = \"kannel\"\nurl = \"{}\"\nusername = \"mckh\"\npassword_file = \"sendsms.pw\"\nsender = \"8083\"\n", k.sendsms)
}

#[test]
fn notify_delivers_the_exact_vietnamese_text_in_two_ucs2_parts() {
    let Some(bin) = kannel_bin() else { return };
    let p = project("");
    let k = Kannel::start(&bin, &p);
    p.config(&gateway(&k));
    p.write("sendsms.pw", &format!("{SENDSMS_PASSWORD}\n"));
    let r = p.run_at(NOW, &["notify"]);
    r.ok();
    assert!(r.stdout.contains("1 sent"), "{}", r.stdout);
    let got = k.receive();
    assert_eq!(got.to, "84905123456");
    assert_eq!(got.from, "8083");
    assert_eq!(
        got.text,
        "TB: Hồ sơ của quý ông/bà (MS: 0101701299) đã được giải quyết xong. Mời ông/ bà đến Bộ phận Một cửa Sở Tư pháp để nhận kết quả"
    );
    assert_eq!(got.parts, 2);
    assert_eq!(
        p.texts("SELECT CAST(segments AS TEXT) || ' ' || gateway_reply AS v FROM messages"),
        ["2 0: Accepted for delivery"]
    );
    // Accepted once, sent once.
    p.run_at("2017-10-18T11:00:00+07:00", &["notify"]).ok();
    k.assert_quiet(Duration::from_millis(1500));
}

#[test]
fn without_ucs2_coding_kannel_turns_vietnamese_into_question_marks() {
    // Why the driver sends coding=2: the same request without it, straight
    // to Kannel, garbles the text.
    let Some(bin) = kannel_bin() else { return };
    let p = project("");
    let k = Kannel::start(&bin, &p);
    let text = "Hồ sơ đã xong";
    let agent = ureq::Agent::new_with_defaults();
    let mut resp = agent
        .get(&k.sendsms)
        .query("username", "mckh")
        .query("password", SENDSMS_PASSWORD)
        .query("from", "8083")
        .query("to", "84905123456")
        .query("text", text)
        .query("charset", "UTF-8")
        .call()
        .unwrap();
    assert_eq!(resp.status().as_u16(), 202);
    assert_eq!(resp.body_mut().read_to_string().unwrap(), "0: Accepted for delivery");
    let got = k.receive();
    assert_ne!(got.text, text);
    assert!(got.text.contains('?'), "{:?}", got.text);
}

#[test]
fn a_wrong_sendsms_password_is_a_recorded_failure() {
    let Some(bin) = kannel_bin() else { return };
    let p = project("");
    let k = Kannel::start(&bin, &p);
    p.config(&gateway(&k));
    p.write("sendsms.pw", "not-the-password\n");
    let r = p.run_at(NOW, &["notify"]);
    r.code(75);
    assert!(r.stdout.contains("rejected: HTTP 403: Authorization failed for sendsms"), "{}", r.stdout);
    assert!(!r.stdout.contains("not-the-password") && !r.stderr.contains("not-the-password"));
    assert_eq!(p.texts("SELECT state AS v FROM messages"), ["queued"]);
    k.assert_quiet(Duration::from_millis(1000));
}

#[test]
fn an_inbound_lookup_reaches_mckh_through_exec_and_the_phone_gets_the_reply() {
    let Some(bin) = kannel_bin() else { return };
    let p = project("");
    let mut k = Kannel::start(&bin, &p);
    let found = "Ho so cua quy ong/ba (0101701234) hien dang o buoc Thu ly, trang thai ho so: Dung han.";
    let help = "Sai cu phap. Soan tin: MCKH <ma so bien nhan> gui 8083";
    let cases: &[(&str, &str)] = &[
        ("0905123456 8083 text MCKH 0101701234", found),
        ("0905123456 8083 text mckh_0101701234", found),
        ("+84905123456 8083 text MCKH0101701234", found),
        // Sent in UCS-2 (as a phone does once any accented letter was typed),
        // which reaches exec as URL-encoded UTF-16 bytes.
        ("0905123456 8083 data %00M%00C%00K%00H%00+%000%001%000%001%007%000%001%002%003%004", found),
        ("0905123456 8083 text MCKH 0101'701234", help),
        ("0905123456 8083 text MCKH \"$(touch /tmp/pwned)\" `id`; echo", help),
        (
            "0905123456 8083 text MCKH 0999999999",
            "Khong tim thay ho so co ma so 0999999999. Soan tin: MCKH <ma so bien nhan> gui 8083",
        ),
    ];
    for (mo, want) in cases {
        k.mo(mo);
        let got = k.receive();
        assert_eq!(got.text, *want, "for {mo:?}");
        assert_eq!(got.from, "8083");
        assert!(got.to.ends_with("905123456"), "{}", got.to);
    }
    assert!(!std::path::Path::new("/tmp/pwned").exists());
    assert_eq!(p.count("SELECT COUNT(*) AS n FROM lookups"), cases.len() as i64);
    assert_eq!(p.texts("SELECT sender AS v FROM lookups ORDER BY id")[0], "0905***456");
}

#[test]
fn reply_via_gateway_sends_the_full_vietnamese_reply_and_exec_stays_silent() {
    let Some(bin) = kannel_bin() else { return };
    let p = project("");
    let mut k = Kannel::start(&bin, &p);
    p.config(&format!("[lookup]\nreply_via = \"gateway\"\n{}", gateway(&k)));
    p.write("sendsms.pw", &format!("{SENDSMS_PASSWORD}\n"));
    k.mo("0905123456 8083 text MCKH 0101701234");
    let got = k.receive();
    assert_eq!(got.text, "Hồ sơ của quý ông/bà (0101701234) hiện đang ở bước Thụ lý, trạng thái hồ sơ: Đúng hạn.");
    assert_eq!(got.parts, 2);
    // omit-empty: the silent exec sends no second, empty message.
    k.assert_quiet(Duration::from_millis(1500));
    assert_eq!(
        p.texts("SELECT kind || ' ' || state AS v FROM messages WHERE kind = 'lookup_reply'"),
        ["lookup_reply sent"]
    );
}
