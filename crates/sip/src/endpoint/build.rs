//! Building the messages the endpoint sends: responses to parsed or half-parsed requests
//! (RFC 3261 §8.2.6) and the requests of a dialog (§12.2.1).

use std::net::SocketAddr;

use crate::fields::Method;
use crate::message::reason_phrase;
use crate::{Headers, NameAddr, RecoveredRequest, Request, Response, Uri, Via};

use super::state::Call;

/// Via values for responses to a request from `source`: all of the request's, the top one
/// stamped with received and rport. Responses go to `source` itself, never to the address the
/// Via names: a forged Via cannot turn us into a reflector (RFC 3581 behaviour for everyone).
pub(crate) fn response_vias(vias: &[String], source: SocketAddr) -> Vec<String> {
    let mut out = vias.to_vec();
    if let Some(top) = out.first_mut() {
        if let Ok(mut via) = Via::parse(top) {
            via.stamp_source(source);
            *top = via.to_string();
        }
    }
    out
}

/// The To value of a response: the request's, with `tag` added when it has none.
fn to_with_tag(to: &str, tag: Option<&str>) -> String {
    match (NameAddr::parse(to), tag) {
        (Ok(mut addr), Some(tag)) if addr.tag().is_none() => {
            addr.set_tag(tag);
            addr.to_string()
        }
        _ => to.to_string(),
    }
}

/// The request values a response echoes.
pub(crate) struct Echo<'a> {
    pub from: Option<&'a str>,
    pub to: Option<&'a str>,
    pub call_id: Option<&'a str>,
    pub cseq: Option<&'a str>,
}

/// A response echoing Via, From, To (tagged), Call-ID and CSeq (RFC 3261 §8.2.6.2).
pub(crate) fn response<'a>(
    vias: &[String],
    echo: Echo<'a>,
    status: u16,
    to_tag: Option<&str>,
    server: &str,
) -> Response {
    // Raw values from a refused request may hold stray line breaks: never echo those.
    let clean = |v: Option<&'a str>| v.filter(|v| !v.contains(['\r', '\n']));
    let echo = Echo {
        from: clean(echo.from),
        to: clean(echo.to),
        call_id: clean(echo.call_id),
        cseq: clean(echo.cseq),
    };
    let mut headers = Headers::new();
    for via in vias.iter().filter(|v| !v.contains(['\r', '\n'])) {
        headers.push("Via", via.clone());
    }
    if let Some(from) = echo.from {
        headers.push("From", from);
    }
    if let Some(to) = echo.to {
        headers.push("To", to_with_tag(to, to_tag));
    }
    if let Some(call_id) = echo.call_id {
        headers.push("Call-ID", call_id);
    }
    if let Some(cseq) = echo.cseq {
        headers.push("CSeq", cseq);
    }
    if !server.is_empty() {
        headers.push("Server", server);
    }
    Response {
        status,
        reason: reason_phrase(status).to_string(),
        headers,
        body: Vec::new(),
    }
}

/// A response to a parsed request.
pub(crate) fn response_to(
    request: &Request,
    vias: &[String],
    status: u16,
    to_tag: Option<&str>,
    server: &str,
) -> Response {
    let h = &request.headers;
    let echo = Echo {
        from: h.get("From"),
        to: h.get("To"),
        call_id: h.call_id(),
        cseq: h.get("CSeq"),
    };
    response(vias, echo, status, to_tag, server)
}

/// A response to a request the parser refused, from the raw values it recovered.
pub(crate) fn response_to_recovered(
    recovered: &RecoveredRequest,
    vias: &[String],
    status: u16,
    to_tag: &str,
    server: &str,
) -> Response {
    let echo = Echo {
        from: recovered.from.as_deref(),
        to: recovered.to.as_deref(),
        call_id: recovered.call_id.as_deref(),
        cseq: recovered.cseq.as_deref(),
    };
    response(vias, echo, status, Some(to_tag), server)
}

/// Our Contact URI over `transport` (RFC 3261 §19.1.1 `transport` parameter for TCP and TLS).
pub(crate) fn contact(transport: crate::Transport, local: SocketAddr) -> String {
    match transport {
        crate::Transport::Udp => format!("<sip:hotline@{local}>"),
        stream => format!("<sip:hotline@{local};transport={stream}>"),
    }
}

/// A request inside a dialog (RFC 3261 §12.2.1.1), without body.
pub(crate) fn dialog_request(
    call: &Call,
    call_id: &str,
    method: Method,
    cseq: u32,
    via: Via,
    user_agent: &str,
) -> Request {
    let mut headers = Headers::new();
    headers.push("Via", via.to_string());
    headers.push("Max-Forwards", "70");
    headers.push("From", call.local.to_string());
    headers.push("To", call.remote.to_string());
    headers.push("Call-ID", call_id);
    headers.push("CSeq", format!("{cseq} {method}"));
    if !user_agent.is_empty() {
        headers.push("User-Agent", user_agent);
    }
    Request {
        method,
        uri: call.remote_target.clone(),
        headers,
        body: Vec::new(),
    }
}

/// The ACK for a non-2xx final response, inside the INVITE client transaction (§17.1.1.3).
pub(crate) fn ack_for_failure(invite: &Request, response: &Response) -> Request {
    let mut headers = Headers::new();
    if let Some(via) = invite.headers.get("Via") {
        headers.push("Via", via);
    }
    headers.push("Max-Forwards", "70");
    for name in ["From", "Call-ID"] {
        if let Some(v) = invite.headers.get(name) {
            headers.push(name, v);
        }
    }
    if let Some(to) = response.headers.get("To") {
        headers.push("To", to);
    }
    let number = invite.headers.cseq().map(|c| c.number).unwrap_or(1);
    headers.push("CSeq", format!("{number} ACK"));
    Request {
        method: Method::Ack,
        uri: invite.uri.clone(),
        headers,
        body: Vec::new(),
    }
}

/// The CANCEL for an INVITE we sent (§9.1): same Request-URI, top Via, From, To, Call-ID.
pub(crate) fn cancel_for(invite: &Request) -> Request {
    let mut headers = Headers::new();
    if let Some(via) = invite.headers.get("Via") {
        headers.push("Via", via);
    }
    headers.push("Max-Forwards", "70");
    for name in ["From", "To", "Call-ID"] {
        if let Some(v) = invite.headers.get(name) {
            headers.push(name, v);
        }
    }
    let number = invite.headers.cseq().map(|c| c.number).unwrap_or(1);
    headers.push("CSeq", format!("{number} CANCEL"));
    Request {
        method: Method::Cancel,
        uri: invite.uri.clone(),
        headers,
        body: Vec::new(),
    }
}

/// The URI of the first Contact, if any.
pub(crate) fn first_contact_uri(headers: &Headers) -> Option<Uri> {
    headers
        .contacts()
        .ok()?
        .into_iter()
        .find_map(|c| c.address().map(|a| a.uri.clone()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn response_tags_to_and_stamps_via() {
        let vias = response_vias(
            &["SIP/2.0/UDP pc.example.com;branch=z9hG4bKa".to_string()],
            "198.51.100.1:7000".parse().unwrap(),
        );
        assert_eq!(
            vias[0],
            "SIP/2.0/UDP pc.example.com;branch=z9hG4bKa;received=198.51.100.1;rport=7000"
        );
        let echo = Echo {
            from: Some("<sip:a@x>;tag=1"),
            to: Some("<sip:b@y>"),
            call_id: Some("c"),
            cseq: Some("1 INVITE"),
        };
        let r = response(&vias, echo, 486, Some("t9"), "ua");
        assert_eq!(r.headers.get("To"), Some("<sip:b@y>;tag=t9"));
        assert_eq!(r.reason, "Busy Here");
        assert_eq!(r.headers.get("Server"), Some("ua"));
    }
}
