//! Real headless Chromium for the console tests, driven over the W3C WebDriver protocol through
//! Debian's `chromedriver` (JSON over plain HTTP, sent with `support::http`): open a page, type
//! into fields, click, read text, run a script in the page. Panics with a sentence saying what to
//! install when Chromium or its driver is missing: a browser test never skips silently.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use super::TempDir;

pub const CHROMIUM: &str = "/usr/bin/chromium";
pub const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// W3C WebDriver's key for an element reference in JSON.
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

/// A chromedriver child and one headless Chromium session; both end on drop.
pub struct Browser {
    driver: Child,
    addr: SocketAddr,
    session: String,
}

impl Browser {
    /// Starts chromedriver on a free port and opens a headless Chromium session with its own
    /// profile in `dir`.
    pub fn start(dir: &TempDir) -> Browser {
        for (path, package) in [(CHROMIUM, "chromium"), (CHROMEDRIVER, "chromium-driver")] {
            assert!(
                Path::new(path).exists(),
                "{path} is missing: the console tests drive a real headless Chromium; install it \
                 with `apt-get install -y chromium chromium-driver` (scripts/setup.sh does) [{package}]"
            );
        }
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free TCP port")
            .port();
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        let log = std::fs::File::create(dir.join("chromedriver.log")).expect("driver log");
        let driver = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::from(log))
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {CHROMEDRIVER}: {e}"));
        let mut browser = Browser {
            driver,
            addr,
            session: String::new(),
        };
        let deadline = Instant::now() + Duration::from_secs(20);
        while std::net::TcpStream::connect(addr).is_err() {
            assert!(
                Instant::now() < deadline,
                "chromedriver did not listen on {addr} within 20 s"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        let profile = dir.join("chromium-profile");
        let capabilities = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": CHROMIUM,
                "args": [
                    "--headless", "--no-sandbox", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
                    format!("--user-data-dir={}", profile.display()),
                ],
            },
        }}});
        let value = browser.call("POST", "/session", Some(capabilities));
        browser.session = value["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("chromedriver opened no session: {value}"))
            .to_string();
        browser
    }

    /// One WebDriver command; its `value`. Panics on an error answer.
    fn call(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        let body = body.map(|b| b.to_string());
        let (status, text) = driver_request(self.addr, method, path, body.as_deref());
        let answer: Value = serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("chromedriver {method} {path}: {e}: {text}"));
        assert_eq!(status, 200, "chromedriver {method} {path}: {answer}");
        answer["value"].clone()
    }

    fn session_path(&self, rest: &str) -> String {
        format!("/session/{}{rest}", self.session)
    }

    pub fn open(&self, url: &str) {
        self.call(
            "POST",
            &self.session_path("/url"),
            Some(json!({ "url": url })),
        );
    }

    pub fn url(&self) -> String {
        self.call("GET", &self.session_path("/url"), None)
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    fn element(&self, css: &str) -> String {
        let value = self.call(
            "POST",
            &self.session_path("/element"),
            Some(json!({"using": "css selector", "value": css})),
        );
        value[ELEMENT]
            .as_str()
            .unwrap_or_else(|| panic!("no element {css}: {value}"))
            .to_string()
    }

    /// Clears the field `css` and types `text` into it.
    pub fn type_into(&self, css: &str, text: &str) {
        let id = self.element(css);
        self.call(
            "POST",
            &self.session_path(&format!("/element/{id}/clear")),
            Some(json!({})),
        );
        self.call(
            "POST",
            &self.session_path(&format!("/element/{id}/value")),
            Some(json!({ "text": text })),
        );
    }

    pub fn click(&self, css: &str) {
        let id = self.element(css);
        self.call(
            "POST",
            &self.session_path(&format!("/element/{id}/click")),
            Some(json!({})),
        );
    }

    /// The visible text of the element `css`.
    pub fn text(&self, css: &str) -> String {
        let id = self.element(css);
        self.call(
            "GET",
            &self.session_path(&format!("/element/{id}/text")),
            None,
        )
        .as_str()
        .unwrap_or_default()
        .to_string()
    }

    /// Runs `body` as an async function in the page (it may `await`); what it returns.
    pub fn run_async(&self, body: &str) -> Value {
        let script = format!(
            "const done = arguments[arguments.length - 1]; \
             (async () => {{ {body} }})().then(done, (e) => done('error: ' + e));"
        );
        self.call(
            "POST",
            &self.session_path("/execute/async"),
            Some(json!({ "script": script, "args": [] })),
        )
    }

    /// The HTTP status the page's `fetch(path, options)` gets (with the page's cookies).
    pub fn fetch_status(&self, path: &str, options: &str) -> u64 {
        let value = self.run_async(&format!(
            "const r = await fetch({path:?}, {options}); return r.status;"
        ));
        value
            .as_u64()
            .unwrap_or_else(|| panic!("fetch {path} in the page gave {value}"))
    }

    /// The `textContent` of the element `css` (hidden text included), or "" when there is none.
    pub fn text_content(&self, css: &str) -> String {
        self.run_async(&format!(
            "const e = document.querySelector({css:?}); return e ? e.textContent : '';"
        ))
        .as_str()
        .unwrap_or_default()
        .to_string()
    }

    /// Waits up to `timeout` for the element `css` to contain `needle` (case-insensitive) and
    /// returns its text; panics with the text it last had.
    pub fn wait_for_text(&self, css: &str, needle: &str, timeout: Duration) -> String {
        let deadline = Instant::now() + timeout;
        loop {
            let text = self.text_content(css);
            if text.to_lowercase().contains(&needle.to_lowercase()) {
                return text;
            }
            assert!(
                Instant::now() < deadline,
                "{css} never contained {needle:?} in {timeout:?}; it has:\n{text}"
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// Waits up to 10 s for the page's URL to end with `suffix`.
    pub fn wait_for_url(&self, suffix: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let url = self.url();
            if url.ends_with(suffix) || Instant::now() > deadline {
                return url;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        if !self.session.is_empty() {
            let _ = driver_request(self.addr, "DELETE", &self.session_path(""), None);
        }
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

/// One HTTP request to chromedriver: (status, body). Reads exactly `Content-Length` bytes, as
/// chromedriver keeps the connection open whatever the request says.
fn driver_request(addr: SocketAddr, method: &str, path: &str, json: Option<&str>) -> (u16, String) {
    let mut stream = TcpStream::connect(addr)
        .unwrap_or_else(|e| panic!("cannot reach chromedriver at {addr}: {e}"));
    stream
        .set_read_timeout(Some(Duration::from_secs(60)))
        .expect("read timeout");
    let body = json.unwrap_or("");
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\
         Content-Type: application/json; charset=utf-8\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    stream
        .write_all(request.as_bytes())
        .expect("send to chromedriver");
    let mut reader = BufReader::new(stream);
    let mut status_line = String::new();
    reader
        .read_line(&mut status_line)
        .expect("chromedriver's status line");
    let status = status_line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("not an HTTP answer from chromedriver: {status_line:?}"));
    let mut length = None;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).expect("a header line") == 0 {
            break;
        }
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some((name, value)) = line.split_once(':') {
            if name.eq_ignore_ascii_case("content-length") {
                length = value.trim().parse::<usize>().ok();
            }
        }
    }
    let mut bytes = Vec::new();
    match length {
        Some(n) => {
            bytes.resize(n, 0);
            reader
                .read_exact(&mut bytes)
                .expect("chromedriver's answer");
        }
        None => {
            let _ = reader.read_to_end(&mut bytes);
        }
    }
    (status, String::from_utf8_lossy(&bytes).into_owned())
}
