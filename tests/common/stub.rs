//! A minimal HTTP gateway stand-in that records every request. Used only
//! where nothing real can produce the behaviour: an SMS provider's own
//! answers, a gateway that hangs, and counting requests across processes.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

/// One recorded request.
#[derive(Clone, Debug)]
pub struct Request {
    pub method: String,
    pub target: String,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Request {
    /// A query parameter of the target, URL-decoded.
    pub fn param(&self, name: &str) -> Option<String> {
        let q = self.target.split_once('?')?.1;
        q.split('&').find_map(|kv| {
            let (k, v) = kv.split_once('=')?;
            (k == name).then(|| decode(v))
        })
    }
}

/// Decodes application/x-www-form-urlencoded text.
pub fn decode(s: &str) -> String {
    String::from_utf8(decode_bytes(s)).unwrap()
}

/// URL-decodes to bytes (`+` is a space, as in Kannel's encoding).
pub fn decode_bytes(s: &str) -> Vec<u8> {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < b.len() => {
                out.push(u8::from_str_radix(&s[i + 1..i + 3], 16).unwrap());
                i += 2;
            }
            c => out.push(c),
        }
        i += 1;
    }
    out
}

/// How the stub answers.
#[derive(Clone)]
pub enum Behaviour {
    Answer(u16, String),
    /// Answer after a pause, as a real provider's network round trip.
    Slow(Duration, u16, String),
    /// Accept the connection, read the request, never answer.
    Hang,
}

/// The running stub.
pub struct Stub {
    pub url: String,
    pub requests: Arc<Mutex<Vec<Request>>>,
    gauge: Arc<Gauge>,
}

/// Requests being answered right now, and the most there ever were.
#[derive(Default)]
struct Gauge {
    now: AtomicUsize,
    max: AtomicUsize,
}

impl Stub {
    /// Starts a stub on a free loopback port.
    pub fn start(b: Behaviour) -> Stub {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", l.local_addr().unwrap());
        let requests = Arc::new(Mutex::new(Vec::new()));
        let gauge = Arc::new(Gauge::default());
        let (rec, g) = (requests.clone(), gauge.clone());
        thread::spawn(move || {
            for s in l.incoming() {
                let Ok(s) = s else { continue };
                let (rec, b, g) = (rec.clone(), b.clone(), g.clone());
                thread::spawn(move || serve(s, rec, b, g));
            }
        });
        Stub { url, requests, gauge }
    }

    /// The most requests that were ever in progress at the same time.
    pub fn max_in_flight(&self) -> usize {
        self.gauge.max.load(Ordering::SeqCst)
    }

    /// What was received so far.
    pub fn requests(&self) -> Vec<Request> {
        self.requests.lock().unwrap().clone()
    }
}

/// Handles one connection (one request; `Connection: close`).
fn serve(s: TcpStream, rec: Arc<Mutex<Vec<Request>>>, b: Behaviour, g: Arc<Gauge>) {
    let mut r = BufReader::new(s.try_clone().unwrap());
    let mut line = String::new();
    if r.read_line(&mut line).unwrap_or(0) == 0 {
        return;
    }
    let mut parts = line.split_whitespace();
    let method = parts.next().unwrap_or("").to_string();
    let target = parts.next().unwrap_or("").to_string();
    let mut headers = Vec::new();
    let mut len = 0;
    loop {
        let mut h = String::new();
        if r.read_line(&mut h).unwrap_or(0) == 0 || h == "\r\n" {
            break;
        }
        if let Some((k, v)) = h.trim_end().split_once(':') {
            if k.eq_ignore_ascii_case("content-length") {
                len = v.trim().parse().unwrap_or(0);
            }
            headers.push((k.to_string(), v.trim().to_string()));
        }
    }
    let mut body = vec![0; len];
    let _ = r.read_exact(&mut body);
    rec.lock().unwrap().push(Request { method, target, headers, body: String::from_utf8_lossy(&body).into_owned() });
    let n = g.now.fetch_add(1, Ordering::SeqCst) + 1;
    g.max.fetch_max(n, Ordering::SeqCst);
    let answer = match b {
        Behaviour::Hang => {
            thread::sleep(Duration::from_secs(600));
            None
        }
        Behaviour::Answer(status, text) => Some((status, text)),
        Behaviour::Slow(pause, status, text) => {
            thread::sleep(pause);
            Some((status, text))
        }
    };
    g.now.fetch_sub(1, Ordering::SeqCst);
    match answer {
        None => {}
        Some((status, text)) => {
            let mut s = s;
            let _ = write!(
                s,
                "HTTP/1.1 {status} X\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{text}",
                text.len()
            );
        }
    }
}
