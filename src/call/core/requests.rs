//! The flow's requests to the world (its `http` and `ticket` nodes) as a pure state machine: the
//! request goes out as an output, the answer comes back as a time-stamped input, and the core
//! decides what the flow is given. The flow's timeout is the core's own timer (`poll_timeout()`),
//! so an answer after it is journaled and never reaches the flow, which took its failure branch.
//! The driver (`call/flow_actions.rs`) sends the request, writes the ticket and feeds the results.

use std::time::{Duration, Instant};

use hotline_flow::{CallerInput, HttpRequest};

/// A request the core asked the driver to make.
pub type RequestId = u64;

/// What the core asks the driver to do, in order.
#[derive(Debug, Clone, PartialEq)]
pub enum RequestOutput {
    /// Send this request and feed its answer to [`Requests::http_answered`] with `id`.
    SendHttp { id: RequestId, request: HttpRequest },
    /// Store this ticket and feed its id to [`Requests::ticket_created`] with `id`.
    CreateTicket {
        id: RequestId,
        summary: String,
        fields: Vec<(String, String)>,
    },
    /// Give this input to the flow (an answer in time, or "no answer" at the timeout).
    ToFlow(CallerInput),
    /// An answer came after its timeout: the flow already took its failure branch. For the
    /// journal and the log, not for the flow.
    Late {
        status: Option<u16>,
        after: Duration,
    },
    /// A line for the turn's trace and the log.
    Trace(String),
}

/// The one `http` request the flow waits for.
#[derive(Debug)]
struct InFlight {
    id: RequestId,
    sent_at: Instant,
    deadline: Instant,
}

/// A request whose flow timeout passed: its answer, if it comes, is late.
#[derive(Debug)]
struct TimedOut {
    id: RequestId,
    sent_at: Instant,
}

/// One call's requests to the world.
#[derive(Debug, Default)]
pub struct Requests {
    next_id: RequestId,
    http: Option<InFlight>,
    timed_out: Vec<TimedOut>,
    /// The ticket being written, with its summary for the trace.
    ticket: Option<(RequestId, String)>,
    /// The caller hung up: nothing more goes to the flow.
    over: bool,
}

impl Requests {
    pub fn new() -> Requests {
        Requests::default()
    }

    /// The flow's `http` node asks for this request (its `say`, if any, is already said).
    pub fn http(&mut self, request: HttpRequest, now: Instant) -> Vec<RequestOutput> {
        let mut out = Vec::new();
        if self.over {
            return out;
        }
        // The flow waits for one answer at a time: one still out is superseded, its answer late.
        if let Some(old) = self.http.take() {
            self.timed_out.push(TimedOut {
                id: old.id,
                sent_at: old.sent_at,
            });
        }
        let id = self.new_id();
        out.push(RequestOutput::Trace(format!(
            "http {} {}",
            request.method.as_str(),
            request.url
        )));
        self.http = Some(InFlight {
            id,
            sent_at: now,
            deadline: now + request.timeout,
        });
        out.push(RequestOutput::SendHttp { id, request });
        out
    }

    /// The answer to request `id` (`status: None`: no answer, the connection failed).
    pub fn http_answered(
        &mut self,
        id: RequestId,
        status: Option<u16>,
        body: String,
        now: Instant,
    ) -> Vec<RequestOutput> {
        let mut out = Vec::new();
        if self.over {
            return out;
        }
        match self.http.take() {
            Some(flight) if flight.id == id => {
                let took = now.saturating_duration_since(flight.sent_at);
                let outcome = match status {
                    Some(code) => format!("answered {code}"),
                    None => "failed".to_string(),
                };
                out.push(RequestOutput::Trace(format!(
                    "http {outcome} after {} ms",
                    took.as_millis()
                )));
                out.push(RequestOutput::ToFlow(CallerInput::HttpResult {
                    status,
                    body,
                }));
            }
            other => {
                self.http = other;
                if let Some(pos) = self.timed_out.iter().position(|t| t.id == id) {
                    let late = self.timed_out.remove(pos);
                    out.push(RequestOutput::Late {
                        status,
                        after: now.saturating_duration_since(late.sent_at),
                    });
                }
            }
        }
        out
    }

    /// The flow's `ticket` node: the summary and fields are already masked where sensitive.
    pub fn ticket(&mut self, summary: String, fields: Vec<(String, String)>) -> Vec<RequestOutput> {
        if self.over {
            return Vec::new();
        }
        let id = self.new_id();
        self.ticket = Some((id, summary.clone()));
        vec![RequestOutput::CreateTicket {
            id,
            summary,
            fields,
        }]
    }

    /// The store's answer to ticket `id`: its ticket number, or `None` when it could not be
    /// written (the flow still goes on, with an empty `{ticket_id}`).
    pub fn ticket_created(&mut self, id: RequestId, ticket: Option<String>) -> Vec<RequestOutput> {
        match self.ticket.take() {
            Some((asked, summary)) if asked == id && !self.over => {
                let ticket = ticket.unwrap_or_default();
                vec![
                    RequestOutput::Trace(format!("ticket {ticket}: {summary}")),
                    RequestOutput::ToFlow(CallerInput::TicketCreated { id: ticket }),
                ]
            }
            other => {
                self.ticket = other.filter(|(asked, _)| *asked != id);
                Vec::new()
            }
        }
    }

    /// A request is out that the flow waits for.
    #[cfg(test)]
    pub fn waiting(&self) -> bool {
        self.http.is_some() || self.ticket.is_some()
    }

    /// The next moment the core must be woken at: the `http` request's timeout.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.http.as_ref().map(|f| f.deadline)
    }

    /// Time has reached `now`: a request past its timeout gives the flow "no answer".
    pub fn handle_timeout(&mut self, now: Instant) -> Vec<RequestOutput> {
        let mut out = Vec::new();
        let Some(flight) = self.http.take_if(|f| now >= f.deadline) else {
            return out;
        };
        out.push(RequestOutput::Trace(format!(
            "http timed out after {} ms",
            now.saturating_duration_since(flight.sent_at).as_millis()
        )));
        self.timed_out.push(TimedOut {
            id: flight.id,
            sent_at: flight.sent_at,
        });
        out.push(RequestOutput::ToFlow(CallerInput::HttpResult {
            status: None,
            body: String::new(),
        }));
        out
    }

    /// The caller hung up: a request still out is abandoned; its answer goes nowhere.
    pub fn caller_hung_up(&mut self) -> Vec<RequestOutput> {
        self.over = true;
        let mut out = Vec::new();
        if self.http.take().is_some() {
            out.push(RequestOutput::Trace(
                "http abandoned: the caller hung up".to_string(),
            ));
        }
        self.ticket = None;
        self.timed_out.clear();
        out
    }

    fn new_id(&mut self) -> RequestId {
        self.next_id += 1;
        self.next_id
    }
}
