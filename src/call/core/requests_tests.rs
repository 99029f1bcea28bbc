//! The flow's requests in virtual time: an API answer in time, one past the flow's timeout (the
//! failure branch, then the late answer kept out of the flow), caller speech while a request is
//! out, a hang-up during a request, a ticket, and the journal of such a call replayed.

use std::sync::Arc;
use std::time::{Duration, Instant};

use hotline_flow::{load_flow, Action, CallerInput, Conversation, HttpRequest, KeywordMatcher};

use super::journal::{decisions, JournalEntry, JournalInput};
use super::replay::{render, replay};
use super::requests::*;
use super::turn_taking::{CallState, TurnEnd, TurnOutput, TurnTaker, TurnTakingConfig};
use crate::pools::AsrResult;

const FLOW: &str = "\
flow: requests-test
start: lookup
nodes:
  lookup:
    http: \"https://shop.example/orders/12345\"
    timeout: 4s
    map:
      order_status: status
    say: \"One moment, I'm looking up your order.\"
    next: found
    on_failure: failed
  found:
    hangup: \"Your order has {order_status}.\"
    reason: order told
  failed:
    ticket: \"Callback about order 12345\"
    next: reference
  reference:
    hangup: \"Sorry, I can't reach our order system. Your reference is {ticket_id}.\"
    reason: api down
";

fn conversation() -> Conversation {
    let flow = Arc::new(load_flow(FLOW, "requests-test.yaml").expect("valid test flow"));
    let matcher = Arc::new(KeywordMatcher::new(&flow));
    Conversation::new(flow, matcher)
}

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// The call's greeting: what the caller hears, and the request the flow asks for.
fn start(call: &mut Conversation) -> (Vec<String>, HttpRequest) {
    let actions = call.start(Duration::ZERO);
    let request = actions
        .iter()
        .find_map(|a| match a {
            Action::Http(r) => Some(r.clone()),
            _ => None,
        })
        .expect("the flow asks for its request");
    (said(&actions), request)
}

fn said(actions: &[Action]) -> Vec<String> {
    actions
        .iter()
        .filter_map(|a| match a {
            Action::Say { text } => Some(text.clone()),
            Action::Hangup { .. } => Some("<hang up>".to_string()),
            _ => None,
        })
        .collect()
}

fn sent(out: &[RequestOutput]) -> RequestId {
    out.iter()
        .find_map(|o| match o {
            RequestOutput::SendHttp { id, .. } => Some(*id),
            _ => None,
        })
        .expect("the request is sent")
}

fn to_flow(out: Vec<RequestOutput>) -> Vec<CallerInput> {
    out.into_iter()
        .filter_map(|o| match o {
            RequestOutput::ToFlow(input) => Some(input),
            _ => None,
        })
        .collect()
}

fn traces(out: &[RequestOutput]) -> Vec<String> {
    out.iter()
        .filter_map(|o| match o {
            RequestOutput::Trace(line) => Some(line.clone()),
            _ => None,
        })
        .collect()
}

const SHIPPED: &str = r#"{"status":"shipped"}"#;

#[test]
fn an_answer_in_time_takes_the_flow_on() {
    let t0 = Instant::now();
    let mut call = conversation();
    let (greeting, request) = start(&mut call);
    assert_eq!(greeting, ["One moment, I'm looking up your order."]);
    let mut core = Requests::new();
    let out = core.http(request, t0);
    let id = sent(&out);
    assert_eq!(traces(&out), ["http GET https://shop.example/orders/12345"]);
    assert_eq!(core.poll_timeout(), Some(t0 + ms(4000)));
    assert!(core.handle_timeout(t0 + ms(1500)).is_empty(), "not due yet");

    let out = core.http_answered(id, Some(200), SHIPPED.into(), t0 + ms(1500));
    assert_eq!(traces(&out), ["http answered 200 after 1500 ms"]);
    let inputs = to_flow(out);
    assert_eq!(inputs.len(), 1);
    let actions = call.handle(inputs[0].clone(), ms(1500));
    assert_eq!(said(&actions), ["Your order has shipped.", "<hang up>"]);
    assert_eq!(core.poll_timeout(), None, "nothing left to wait for");
    assert!(!core.waiting());
}

#[test]
fn past_the_timeout_the_failure_branch_is_taken_and_the_late_answer_kept_out_of_the_flow() {
    let t0 = Instant::now();
    let mut call = conversation();
    let (_, request) = start(&mut call);
    let mut core = Requests::new();
    let id = sent(&core.http(request, t0));

    // The flow's timeout: the caller hears the failure branch at once, in a turn of its own.
    let out = core.handle_timeout(t0 + ms(4000));
    assert_eq!(traces(&out), ["http timed out after 4000 ms"]);
    let inputs = to_flow(out);
    assert_eq!(
        inputs,
        [CallerInput::HttpResult {
            status: None,
            body: String::new()
        }]
    );
    let actions = call.handle(inputs[0].clone(), ms(4000));
    assert!(actions.iter().any(|a| matches!(a, Action::Ticket { .. })));

    // The answer, a second later: kept for the journal, never given to the flow.
    let out = core.http_answered(id, Some(200), SHIPPED.into(), t0 + ms(5000));
    assert_eq!(
        out,
        [RequestOutput::Late {
            status: Some(200),
            after: ms(5000)
        }]
    );
    // A second copy of it is nothing at all.
    assert!(core
        .http_answered(id, Some(200), SHIPPED.into(), t0 + ms(5100))
        .is_empty());
}

#[test]
fn a_late_answer_is_never_taken_for_the_next_requests_answer() {
    let t0 = Instant::now();
    let mut call = conversation();
    let (_, request) = start(&mut call);
    let mut core = Requests::new();
    let first = sent(&core.http(request.clone(), t0));
    core.handle_timeout(t0 + ms(4000));
    let second = sent(&core.http(request, t0 + ms(4200)));
    assert_ne!(first, second);

    let late = core.http_answered(first, Some(200), SHIPPED.into(), t0 + ms(4500));
    assert!(
        to_flow(late).is_empty(),
        "the first request's answer is late"
    );
    assert!(core.waiting(), "the second request is still out");
    let out = core.http_answered(second, Some(404), String::new(), t0 + ms(4700));
    assert_eq!(
        to_flow(out),
        [CallerInput::HttpResult {
            status: Some(404),
            body: String::new()
        }]
    );
}

#[test]
fn the_caller_speaking_while_a_request_is_out_is_still_a_turn() {
    let t0 = Instant::now();
    let mut call = conversation();
    let (_, request) = start(&mut call);
    let mut core = Requests::new();
    let mut turns = TurnTaker::new(TurnTakingConfig {
        barge_in: true,
        holding_after: None,
    });
    let id = sent(&core.http(request, t0));

    // "It's the blue parcel" while the bot looks the order up (it has finished its `say`).
    let quiet = CallState {
        open: true,
        bot_speaking: false,
    };
    turns.speech_started(quiet);
    let end = TurnEnd {
        decided_at: t0 + ms(900),
        endpoint_wait: ms(500),
    };
    let out = turns.utterance(None, vec![0.0; 800], end, quiet);
    let job = out
        .iter()
        .find_map(|o| match o {
            TurnOutput::Transcribe { job, .. } => Some(*job),
            _ => None,
        })
        .expect("the utterance is transcribed");
    let heard = AsrResult {
        text: "It's the blue parcel.".into(),
        confidence: 0.9,
        no_speech_probability: 0.0,
        elapsed: ms(300),
        queued: Duration::ZERO,
        second_pass: false,
    };
    let out = turns.transcript(job, Ok(heard));
    let turn = out
        .into_iter()
        .find_map(|o| match o {
            TurnOutput::Turn(turn) => Some(turn),
            _ => None,
        })
        .expect("the caller's words become a turn while the request is out");
    assert_eq!(turn.transcript.unwrap().text, "It's the blue parcel.");
    assert!(core.waiting(), "the request is not disturbed");

    // The answer still takes the flow on.
    let inputs = to_flow(core.http_answered(id, Some(200), SHIPPED.into(), t0 + ms(1800)));
    let actions = call.handle(inputs[0].clone(), ms(1800));
    assert_eq!(said(&actions), ["Your order has shipped.", "<hang up>"]);
}

#[test]
fn a_hang_up_during_a_request_abandons_it() {
    let t0 = Instant::now();
    let mut call = conversation();
    let (_, request) = start(&mut call);
    let mut core = Requests::new();
    let id = sent(&core.http(request, t0));
    let out = core.caller_hung_up();
    assert_eq!(traces(&out), ["http abandoned: the caller hung up"]);
    assert_eq!(core.poll_timeout(), None, "no timer is left");
    assert!(core.handle_timeout(t0 + ms(4000)).is_empty());
    assert!(core
        .http_answered(id, Some(200), SHIPPED.into(), t0 + ms(1000))
        .is_empty());
}

#[test]
fn a_tickets_number_goes_to_the_flow_even_when_the_store_failed() {
    let mut core = Requests::new();
    let out = core.ticket("Callback about order 12345".into(), Vec::new());
    let RequestOutput::CreateTicket { id, summary, .. } = &out[0] else {
        panic!("a ticket is asked for: {out:?}")
    };
    assert_eq!(summary, "Callback about order 12345");
    assert!(core.waiting());
    let out = core.ticket_created(*id, Some("T-7".into()));
    assert_eq!(traces(&out), ["ticket T-7: Callback about order 12345"]);
    assert_eq!(
        to_flow(out),
        [CallerInput::TicketCreated { id: "T-7".into() }]
    );

    let out = core.ticket("Again".into(), Vec::new());
    let RequestOutput::CreateTicket { id, .. } = &out[0] else {
        panic!("a ticket is asked for: {out:?}")
    };
    assert_eq!(
        to_flow(core.ticket_created(*id, None)),
        [CallerInput::TicketCreated { id: String::new() }]
    );
    assert!(!core.waiting());
}

/// One journal entry, as the driver writes it, through the store's JSON and back.
fn journaled(at_ms: u64, input: JournalInput, actions: &[Action]) -> JournalEntry {
    let entry = JournalEntry {
        at_ms,
        input,
        decisions: decisions(actions),
    };
    serde_json::from_str(&serde_json::to_string(&entry).unwrap()).unwrap()
}

#[test]
fn a_call_with_a_late_answer_a_ticket_and_an_agent_replays_the_same() {
    let t0 = Instant::now();
    let mut call = conversation();
    let mut journal = Vec::new();
    let actions = call.start(Duration::ZERO);
    let start = JournalInput::Start {
        caller_memory: Vec::new(),
        today: None,
        variables: Vec::new(),
    };
    journal.push(journaled(0, start, &actions));
    let request = actions
        .iter()
        .find_map(|a| match a {
            Action::Http(r) => Some(r.clone()),
            _ => None,
        })
        .unwrap();
    let mut core = Requests::new();
    let id = sent(&core.http(request, t0));

    // The timeout, then the ticket the failure branch writes, each journaled as the flow got it.
    for input in to_flow(core.handle_timeout(t0 + ms(4000))) {
        let actions = call.handle(input.clone(), ms(4000));
        journal.push(journaled(
            4000,
            JournalInput::from_caller_input(&input),
            &actions,
        ));
        let Some(Action::Ticket { summary, fields }) =
            actions.iter().find(|a| matches!(a, Action::Ticket { .. }))
        else {
            panic!("the failure branch writes a ticket: {actions:?}");
        };
        let out = core.ticket(summary.clone(), fields.clone());
        let RequestOutput::CreateTicket { id, .. } = &out[0] else {
            panic!("{out:?}")
        };
        for input in to_flow(core.ticket_created(*id, Some("T-9".into()))) {
            let actions = call.handle(input.clone(), ms(4010));
            assert_eq!(
                said(&actions),
                [
                    "Sorry, I can't reach our order system. Your reference is T-9.",
                    "<hang up>"
                ]
            );
            journal.push(journaled(
                4010,
                JournalInput::from_caller_input(&input),
                &actions,
            ));
        }
    }
    let late = core.http_answered(id, Some(200), SHIPPED.into(), t0 + ms(4600));
    let [RequestOutput::Late { status, after }] = late.as_slice() else {
        panic!("{late:?}")
    };
    let late = JournalInput::HttpLate {
        status: *status,
        after_ms: after.as_millis() as u64,
    };
    journal.push(journaled(4600, late, &[]));
    // A handoff input is kept with what the handoff did, and shown as it was.
    let leg = JournalInput::AgentLeg {
        agent: "alice".into(),
        status: "no answer: busy".into(),
    };
    let mut entry = journaled(5000, leg, &[]);
    entry.decisions = vec!["agent alice did not answer".into()];
    journal.push(entry);

    let steps = replay(&mut conversation(), &journal);
    assert!(steps.iter().all(|s| s.matches()), "{steps:#?}");
    let text = render(&steps);
    assert!(text.contains("replay matches"), "{text}");
    assert!(text.contains("ticket T-9 was created"), "{text}");
    assert!(
        text.contains("the API answered 200 after 4600 ms, past the flow's timeout"),
        "{text}"
    );
    assert!(
        text.contains("agent alice: no answer: busy\n    as then   agent alice did not answer"),
        "{text}"
    );
}
