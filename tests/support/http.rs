//! Plain HTTP/1.1 for the tests, over `std::net` only: requests to the admin API, and a tiny web
//! server playing the CRM's webhook endpoint (failing on purpose first, to check retries).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Sends one request without credentials and returns (status, body). Panics if the server
/// cannot be reached. The admin API answers 401 to `/api` without a token: see `Server::api`.
pub fn http_request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    json: Option<&str>,
) -> (u16, String) {
    http_request_with(addr, method, path, json, None)
}

/// [`http_request`] with `Authorization: Bearer TOKEN` when a token is given.
pub fn http_request_with(
    addr: SocketAddr,
    method: &str,
    path: &str,
    json: Option<&str>,
    token: Option<&str>,
) -> (u16, String) {
    let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(5))
        .unwrap_or_else(|e| panic!("cannot reach the admin API at {addr}: {e}"));
    stream
        .set_read_timeout(Some(Duration::from_secs(15)))
        .expect("read timeout");
    let body = json.unwrap_or("");
    let authorization = token
        .map(|t| format!("Authorization: Bearer {t}\r\n"))
        .unwrap_or_default();
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n{authorization}\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    stream
        .write_all(request.as_bytes())
        .expect("send the request");
    let mut response = Vec::new();
    let _ = stream.read_to_end(&mut response);
    let text = String::from_utf8_lossy(&response).into_owned();
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("not an HTTP response: {text:?}"));
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    let body = if text
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        dechunk(&body)
    } else {
        body
    };
    (status, body)
}

fn dechunk(body: &str) -> String {
    let mut out = String::new();
    let mut rest = body;
    while let Some((size, after)) = rest.split_once("\r\n") {
        let Ok(n) = usize::from_str_radix(size.trim(), 16) else {
            break;
        };
        if n == 0 || after.len() < n {
            break;
        }
        out.push_str(&after[..n]);
        rest = after[n..].trim_start_matches("\r\n");
    }
    out
}

/// A webhook receiver on 127.0.0.1 that answers 500 to the first `failures` POSTs, then 200,
/// and keeps every body it was sent.
pub struct WebhookReceiver {
    pub addr: SocketAddr,
    pub bodies: Arc<Mutex<Vec<String>>>,
    pub attempts: Arc<Mutex<u32>>,
}

impl WebhookReceiver {
    pub fn start(failures: u32) -> WebhookReceiver {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the webhook receiver");
        let addr = listener.local_addr().expect("receiver address");
        let bodies = Arc::new(Mutex::new(Vec::new()));
        let attempts = Arc::new(Mutex::new(0u32));
        let (b, a) = (Arc::clone(&bodies), Arc::clone(&attempts));
        std::thread::spawn(move || {
            for stream in listener.incoming().map_while(Result::ok) {
                let Some(body) = read_request_body(&stream) else {
                    continue;
                };
                let attempt = {
                    let mut n = a.lock().unwrap();
                    *n += 1;
                    *n
                };
                let status = if attempt <= failures {
                    "500 Internal Server Error"
                } else {
                    b.lock().unwrap().push(body);
                    "200 OK"
                };
                let mut stream = stream;
                let _ = stream.write_all(
                    format!("HTTP/1.1 {status}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
                        .as_bytes(),
                );
            }
        });
        WebhookReceiver {
            addr,
            bodies,
            attempts,
        }
    }

    /// The URL to configure as `webhook.url`.
    pub fn url(&self) -> String {
        format!("http://{}/tickets", self.addr)
    }
}

fn read_request_body(stream: &TcpStream) -> Option<String> {
    stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    let mut reader = BufReader::new(stream);
    let mut length = 0usize;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).ok()? == 0 {
            return None;
        }
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some((name, value)) = line.split_once(':') {
            if name.eq_ignore_ascii_case("content-length") {
                length = value.trim().parse().ok()?;
            }
        }
    }
    let mut body = vec![0u8; length];
    reader.read_exact(&mut body).ok()?;
    Some(String::from_utf8_lossy(&body).into_owned())
}
