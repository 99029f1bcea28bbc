//! SIP over a byte stream (TCP, TLS): cutting the stream into messages by Content-Length
//! (RFC 3261 §18.3), with RFC 5626 keep-alive pings tolerated, and the transport names.
//!
//! Pure: the connection driver pushes whatever bytes a read returned and gets whole messages,
//! keep-alive pings, or a refusal that says what to answer before closing the connection.

/// How a message reached us, or how a message we send must leave.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Transport {
    /// Datagrams.
    Udp,
    /// A TCP connection the peer opened.
    Tcp,
    /// A TLS connection the peer opened.
    Tls,
}

impl Transport {
    /// The Via token: `UDP`, `TCP`, `TLS`.
    pub fn via_token(self) -> &'static str {
        match self {
            Transport::Udp => "UDP",
            Transport::Tcp => "TCP",
            Transport::Tls => "TLS",
        }
    }

    /// Over a connection (TCP or TLS) rather than datagrams.
    pub fn is_stream(self) -> bool {
        self != Transport::Udp
    }
}

impl std::fmt::Display for Transport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Transport::Udp => "udp",
            Transport::Tcp => "tcp",
            Transport::Tls => "tls",
        })
    }
}

/// One thing cut out of the stream.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Frame {
    /// A whole SIP message (head and body), to hand to [`crate::Endpoint::handle_datagram`].
    Message(Vec<u8>),
    /// An RFC 5626 keep-alive ping (CRLF CRLF): answer with one CRLF (the pong).
    Ping,
}

/// Why the stream cannot be read on: answer the head with `status` if it is a request, then
/// close the connection (the rest of the stream cannot be framed any more).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StreamRefusal {
    /// 400 (no or unreadable Content-Length) or 413 (larger than the limit).
    pub status: u16,
    /// The message head (start line and headers) when it was complete, to answer from.
    pub head: Option<Vec<u8>>,
    /// What was wrong, for the log.
    pub reason: StreamDefect,
}

/// What was wrong with the stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StreamDefect {
    /// A message without Content-Length: on a stream its end cannot be found (§18.3).
    NoContentLength,
    /// A Content-Length that is not a number.
    BadContentLength,
    /// Head and body together larger than the limit.
    TooLarge,
    /// No end of head (blank line) within the limit.
    HeadTooLong,
}

impl std::fmt::Display for StreamDefect {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            StreamDefect::NoContentLength => "a message without Content-Length",
            StreamDefect::BadContentLength => "a Content-Length that is not a number",
            StreamDefect::TooLarge => "a message larger than sip.tcp.max_message_size",
            StreamDefect::HeadTooLong => "a head longer than sip.tcp.max_message_size",
        })
    }
}

/// Cuts one connection's bytes into messages.
#[derive(Clone, Debug)]
pub struct StreamFramer {
    buffer: Vec<u8>,
    max_message: usize,
    /// How far the buffer is known to hold no end of head, so a message trickled in byte by
    /// byte is scanned once, not once per byte.
    searched: usize,
}

impl StreamFramer {
    /// A framer refusing messages (head and body) larger than `max_message` bytes.
    pub fn new(max_message: usize) -> StreamFramer {
        StreamFramer {
            buffer: Vec::new(),
            max_message,
            searched: 0,
        }
    }

    /// Bytes received but not yet part of a whole message.
    pub fn pending(&self) -> usize {
        self.buffer.len()
    }

    /// Adds received bytes and returns every whole frame they complete, in order; a refusal
    /// ends the stream (frames before it are still returned through `frames`).
    pub fn push(&mut self, bytes: &[u8], frames: &mut Vec<Frame>) -> Result<(), StreamRefusal> {
        self.buffer.extend_from_slice(bytes);
        loop {
            match self.next_frame()? {
                Some(frame) => frames.push(frame),
                None => return Ok(()),
            }
        }
    }

    fn next_frame(&mut self) -> Result<Option<Frame>, StreamRefusal> {
        // Line breaks between messages: a double CRLF is a ping (RFC 5626 §4.4.1), anything
        // shorter (a pong, a stray CRLF before a message, §7.5) is skipped.
        loop {
            let breaks = self
                .buffer
                .iter()
                .take_while(|b| **b == b'\r' || **b == b'\n')
                .count();
            if breaks == 0 {
                break;
            }
            if self.buffer.starts_with(b"\r\n\r\n") {
                self.buffer.drain(..4);
                return Ok(Some(Frame::Ping));
            }
            if breaks == self.buffer.len() && breaks < 4 && self.buffer.starts_with(b"\r\n") {
                // Perhaps the first half of a ping.
                return Ok(None);
            }
            self.buffer.drain(..breaks.clamp(1, 2));
            self.searched = 0;
        }
        let from = self.searched.saturating_sub(3);
        let Some(head_end) = find(&self.buffer[from..], b"\r\n\r\n").map(|at| at + from) else {
            self.searched = self.buffer.len();
            if self.buffer.len() > self.max_message {
                return Err(StreamRefusal {
                    status: 413,
                    head: None,
                    reason: StreamDefect::HeadTooLong,
                });
            }
            return Ok(None);
        };
        let head = &self.buffer[..head_end + 2];
        let refuse = |status, reason| StreamRefusal {
            status,
            head: Some(head.to_vec()),
            reason,
        };
        let length = match content_length(head) {
            Some(Ok(length)) => length,
            Some(Err(())) => return Err(refuse(400, StreamDefect::BadContentLength)),
            None => return Err(refuse(400, StreamDefect::NoContentLength)),
        };
        let total = (head_end + 4).saturating_add(length);
        if total > self.max_message {
            return Err(refuse(413, StreamDefect::TooLarge));
        }
        if self.buffer.len() < total {
            return Ok(None);
        }
        let message: Vec<u8> = self.buffer.drain(..total).collect();
        self.searched = 0;
        Ok(Some(Frame::Message(message)))
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// The Content-Length (or compact `l`) of a message head: `None` when absent, `Err` when not a
/// number (or given twice with different values).
fn content_length(head: &[u8]) -> Option<Result<usize, ()>> {
    let text = String::from_utf8_lossy(head);
    let mut found: Option<Result<usize, ()>> = None;
    for line in text.split("\r\n").skip(1) {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        let name = name.trim();
        if !(name.eq_ignore_ascii_case("content-length") || name.eq_ignore_ascii_case("l")) {
            continue;
        }
        let value = value.trim();
        let parsed = if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
            value.parse::<usize>().map_err(|_| ())
        } else {
            Err(())
        };
        found = match (found, parsed) {
            (None, parsed) => Some(parsed),
            (Some(Ok(a)), Ok(b)) if a == b => Some(Ok(a)),
            _ => Some(Err(())),
        };
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    const OPTIONS: &[u8] = b"OPTIONS sip:h@192.0.2.1 SIP/2.0\r\nVia: SIP/2.0/TCP 192.0.2.7;branch=z9hG4bK1\r\nCall-ID: a\r\nContent-Length: 0\r\n\r\n";
    const WITH_BODY: &[u8] = b"INFO sip:h@192.0.2.1 SIP/2.0\r\nCall-ID: b\r\nl: 5\r\n\r\nhello";

    fn push_all(framer: &mut StreamFramer, bytes: &[u8]) -> Vec<Frame> {
        let mut frames = Vec::new();
        framer.push(bytes, &mut frames).expect("no refusal");
        frames
    }

    #[test]
    fn a_message_split_anywhere_comes_out_whole_once() {
        for cut in 1..WITH_BODY.len() {
            let mut framer = StreamFramer::new(1000);
            assert!(
                push_all(&mut framer, &WITH_BODY[..cut]).is_empty(),
                "cut {cut}"
            );
            let frames = push_all(&mut framer, &WITH_BODY[cut..]);
            assert_eq!(
                frames,
                vec![Frame::Message(WITH_BODY.to_vec())],
                "cut {cut}"
            );
            assert_eq!(framer.pending(), 0);
        }
    }

    #[test]
    fn byte_by_byte_works_too() {
        let mut framer = StreamFramer::new(1000);
        let mut frames = Vec::new();
        for b in OPTIONS {
            framer.push(&[*b], &mut frames).unwrap();
        }
        assert_eq!(frames, vec![Frame::Message(OPTIONS.to_vec())]);
    }

    #[test]
    fn two_messages_in_one_read_come_out_as_two() {
        let mut framer = StreamFramer::new(1000);
        let mut both = OPTIONS.to_vec();
        both.extend_from_slice(WITH_BODY);
        both.extend_from_slice(&OPTIONS[..10]);
        let frames = push_all(&mut framer, &both);
        assert_eq!(
            frames,
            vec![
                Frame::Message(OPTIONS.to_vec()),
                Frame::Message(WITH_BODY.to_vec())
            ]
        );
        assert_eq!(framer.pending(), 10);
    }

    #[test]
    fn keepalive_pings_are_reported_and_stray_crlf_skipped() {
        let mut framer = StreamFramer::new(1000);
        let mut bytes = b"\r\n\r\n".to_vec();
        bytes.extend_from_slice(b"\r\n");
        bytes.extend_from_slice(OPTIONS);
        let frames = push_all(&mut framer, &bytes);
        assert_eq!(frames, vec![Frame::Ping, Frame::Message(OPTIONS.to_vec())]);
        // Half a ping waits for the other half.
        assert!(push_all(&mut framer, b"\r\n").is_empty());
        assert_eq!(push_all(&mut framer, b"\r\n"), vec![Frame::Ping]);
    }

    #[test]
    fn a_message_without_content_length_is_refused_with_400_and_its_head() {
        let mut framer = StreamFramer::new(1000);
        let head = b"OPTIONS sip:h@192.0.2.1 SIP/2.0\r\nCall-ID: a\r\n\r\n";
        let refusal = framer.push(head, &mut Vec::new()).unwrap_err();
        assert_eq!(refusal.status, 400);
        assert_eq!(refusal.reason, StreamDefect::NoContentLength);
        assert_eq!(refusal.head.as_deref(), Some(&head[..head.len() - 2]));
    }

    #[test]
    fn a_huge_content_length_is_refused_with_413_before_the_body_arrives() {
        let mut framer = StreamFramer::new(1000);
        let head =
            b"INFO sip:h@192.0.2.1 SIP/2.0\r\nContent-Length: 99999999999999999999999\r\n\r\n";
        let refusal = framer.push(head, &mut Vec::new()).unwrap_err();
        assert_eq!(refusal.status, 400, "too big for a number is unreadable");
        let head = b"INFO sip:h@192.0.2.1 SIP/2.0\r\nContent-Length: 5000\r\n\r\n";
        let refusal = StreamFramer::new(1000)
            .push(head, &mut Vec::new())
            .unwrap_err();
        assert_eq!(
            (refusal.status, refusal.reason),
            (413, StreamDefect::TooLarge)
        );
    }

    #[test]
    fn garbage_without_end_of_head_is_refused_once_over_the_limit() {
        let mut framer = StreamFramer::new(100);
        assert!(push_all(&mut framer, &[b'x'; 100]).is_empty());
        let refusal = framer.push(b"y", &mut Vec::new()).unwrap_err();
        assert_eq!(
            (refusal.status, refusal.head, refusal.reason),
            (413, None, StreamDefect::HeadTooLong)
        );
        let refusal = StreamFramer::new(100)
            .push(b"\x00\xff garbage\r\nl: -3\r\n\r\n", &mut Vec::new())
            .unwrap_err();
        assert_eq!(refusal.reason, StreamDefect::BadContentLength);
    }

    #[test]
    fn conflicting_content_lengths_are_refused() {
        let head = b"INFO sip:h SIP/2.0\r\nContent-Length: 1\r\nl: 2\r\n\r\nab";
        let refusal = StreamFramer::new(1000)
            .push(head, &mut Vec::new())
            .unwrap_err();
        assert_eq!(refusal.reason, StreamDefect::BadContentLength);
    }
}
