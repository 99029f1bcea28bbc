//! Just enough SIP text handling for tests that talk raw UDP: find the header block, read a
//! response's status and headers (folded lines and compact names included), pick out Call-IDs.
//! Deliberately independent of `hotline-sip`, so the tests do not trust the parser they test.

/// The offset just past the blank line that ends the header block (CRLF CRLF, or bare LF LF).
pub fn header_block_end(bytes: &[u8]) -> Option<usize> {
    let crlf = bytes
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|i| i + 4);
    let lf = bytes.windows(2).position(|w| w == b"\n\n").map(|i| i + 2);
    match (crlf, lf) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// The header lines of a message's header block (after the start line), unfolded, as
/// `(lower-case full name, value)`.
pub fn headers(bytes: &[u8]) -> Vec<(String, String)> {
    let end = header_block_end(bytes).unwrap_or(bytes.len());
    let text = String::from_utf8_lossy(&bytes[..end]);
    let mut lines: Vec<String> = Vec::new();
    for line in text.split('\n').skip(1) {
        let line = line.trim_end_matches('\r');
        if line.is_empty() {
            break;
        }
        match (line.starts_with([' ', '\t']), lines.last_mut()) {
            (true, Some(last)) => {
                last.push(' ');
                last.push_str(line.trim());
            }
            _ => lines.push(line.to_string()),
        }
    }
    lines
        .iter()
        .filter_map(|line| {
            let (name, value) = line.split_once(':')?;
            Some((full_name(name.trim()), value.trim().to_string()))
        })
        .collect()
}

/// Lower-case full header name for a possibly compact one (RFC 3261 section 7.3.3).
pub fn full_name(name: &str) -> String {
    let lower = name.to_ascii_lowercase();
    let full = match lower.as_str() {
        "i" => "call-id",
        "l" => "content-length",
        "v" => "via",
        "f" => "from",
        "t" => "to",
        "m" => "contact",
        "c" => "content-type",
        "e" => "content-encoding",
        "k" => "supported",
        "s" => "subject",
        "u" => "allow-events",
        other => other,
    };
    full.to_string()
}

/// Every Call-ID header value in the bytes' first header block.
pub fn call_ids(bytes: &[u8]) -> Vec<String> {
    headers(bytes)
        .into_iter()
        .filter(|(name, _)| name == "call-id")
        .map(|(_, value)| value)
        .collect()
}

/// The first Call-ID of a message.
pub fn call_id_of(bytes: &[u8]) -> Option<String> {
    call_ids(bytes).into_iter().next()
}

/// The branch parameter of a message's top Via, if any.
pub fn top_via_branch(bytes: &[u8]) -> Option<String> {
    let via = headers(bytes)
        .into_iter()
        .find(|(name, _)| name == "via")?
        .1;
    let top = via.split(',').next()?;
    top.split(';').skip(1).find_map(|param| {
        let (name, value) = param.split_once('=')?;
        name.trim()
            .eq_ignore_ascii_case("branch")
            .then(|| value.trim().to_string())
    })
}

/// The first Content-Length of a header block, if it is a plain non-negative number.
pub fn content_length(bytes: &[u8]) -> Option<usize> {
    headers(bytes)
        .into_iter()
        .find(|(name, _)| name == "content-length")
        .and_then(|(_, value)| value.parse().ok())
}

/// A SIP response as received.
#[derive(Debug, Clone)]
pub struct Response {
    pub status: u16,
    pub reason: String,
    /// `(lower-case full name, value)` in order.
    pub headers: Vec<(String, String)>,
}

impl Response {
    /// `None` unless the bytes start with `SIP/2.0 NNN`.
    pub fn parse(bytes: &[u8]) -> Option<Response> {
        let text = String::from_utf8_lossy(bytes);
        let first = text.lines().next()?;
        let rest = first.strip_prefix("SIP/2.0 ")?;
        let (code, reason) = rest.split_once(' ').unwrap_or((rest, ""));
        let status: u16 = code.trim().parse().ok()?;
        Some(Response {
            status,
            reason: reason.trim().to_string(),
            headers: headers(bytes),
        })
    }

    /// The first value of a header (any name form, case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        let wanted = full_name(name);
        self.headers
            .iter()
            .find(|(n, _)| *n == wanted)
            .map(|(_, v)| v.as_str())
    }

    /// All values of a header, joined with ", " (headers may repeat).
    pub fn header_values(&self, name: &str) -> String {
        let wanted = full_name(name);
        self.headers
            .iter()
            .filter(|(n, _)| *n == wanted)
            .map(|(_, v)| v.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    }
}
