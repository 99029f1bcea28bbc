//! Finding the SDP in a message body, including inside `multipart/*` bodies (RFC 2046 §5.1,
//! RFC 5621; RFC 4475 §3.1.1.11).

use crate::fields::MediaType;

const MAX_DEPTH: usize = 4;

/// Returns the `application/sdp` octets of a body: the body itself when `content_type` is
/// `application/sdp`, the first SDP part (searched depth-first) of a multipart body, else `None`.
pub fn sdp_body<'a>(content_type: &MediaType, body: &'a [u8]) -> Option<&'a [u8]> {
    find_sdp(content_type, body, 0)
}

fn find_sdp<'a>(content_type: &MediaType, body: &'a [u8], depth: usize) -> Option<&'a [u8]> {
    if content_type.is("application", "sdp") {
        return Some(body);
    }
    if !content_type.kind.eq_ignore_ascii_case("multipart") || depth >= MAX_DEPTH {
        return None;
    }
    let boundary = content_type.param("boundary")?;
    parts(body, &boundary)
        .into_iter()
        .find_map(|(ct, content)| find_sdp(&ct, content, depth + 1))
}

/// Splits a multipart body into `(Content-Type, content)` pairs. A part without Content-Type
/// is `text/plain` (RFC 2046 §5.1).
pub fn parts<'a>(body: &'a [u8], boundary: &str) -> Vec<(MediaType, &'a [u8])> {
    let delimiter = format!("--{boundary}");
    let delimiter = delimiter.as_bytes();
    if boundary.is_empty() {
        return Vec::new();
    }
    // Delimiters are at the very start or right after a CRLF.
    let mut marks = Vec::new();
    let mut i = 0;
    while i + delimiter.len() <= body.len() {
        let at_line_start = i == 0 || (i >= 2 && &body[i - 2..i] == b"\r\n");
        if at_line_start && &body[i..i + delimiter.len()] == delimiter {
            marks.push(i);
            i += delimiter.len();
        } else {
            i += 1;
        }
    }
    let mut out = Vec::new();
    for pair in marks.windows(2) {
        let (start, next) = (pair[0] + delimiter.len(), pair[1]);
        let end = next.saturating_sub(2).max(start);
        let part = &body[start..end];
        if part.starts_with(b"--") {
            break;
        }
        // Skip transport padding up to the end of the delimiter line.
        let Some(line_end) = part.windows(2).position(|w| w == b"\r\n") else {
            continue;
        };
        let part = &part[line_end + 2..];
        let (head, content) = match part.windows(4).position(|w| w == b"\r\n\r\n") {
            _ if part.starts_with(b"\r\n") => (&part[..0], &part[2..]),
            Some(h) => (&part[..h], &part[h + 4..]),
            None => continue,
        };
        let head = String::from_utf8_lossy(head);
        let content_type = head
            .split("\r\n")
            .filter_map(|line| line.split_once(':'))
            .find(|(name, _)| {
                let name = name.trim();
                name.eq_ignore_ascii_case("Content-Type") || name.eq_ignore_ascii_case("c")
            })
            .and_then(|(_, value)| MediaType::parse(value).ok())
            .unwrap_or_else(|| MediaType {
                kind: "text".into(),
                subtype: "plain".into(),
                params: Vec::new(),
            });
        out.push((content_type, content));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn multipart(boundary: &str) -> MediaType {
        MediaType::parse(&format!("multipart/mixed;boundary={boundary}")).unwrap()
    }

    #[test]
    fn finds_sdp_part() {
        let body = b"--b1\r\nContent-Type: text/plain\r\n\r\nHello\r\n--b1\r\nContent-Type: application/sdp\r\n\r\nv=0\r\ns=-\r\n\r\n--b1--\r\n";
        assert_eq!(
            sdp_body(&multipart("b1"), body),
            Some(&b"v=0\r\ns=-\r\n"[..])
        );
        let parts = parts(body, "b1");
        assert_eq!(parts.len(), 2);
        assert_eq!(parts[0].1, b"Hello");
    }

    #[test]
    fn no_sdp_part_means_none() {
        let body = b"--x\r\nContent-Type: text/plain\r\n\r\nHello\r\n--x--\r\n";
        assert_eq!(sdp_body(&multipart("x"), body), None);
        assert_eq!(sdp_body(&multipart("other"), body), None);
    }

    #[test]
    fn plain_sdp_is_returned_as_is() {
        let ct = MediaType::parse("application/SDP").unwrap();
        assert_eq!(sdp_body(&ct, b"v=0"), Some(&b"v=0"[..]));
    }
}
