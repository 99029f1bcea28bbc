//! Every handoff stage in virtual time: agent answers, agent does not answer within the ring
//! deadline, overflow at once with nobody logged in, REFER accepted, refused and silent for 32 s,
//! the callback key and the caller hanging up, each in microseconds.

use std::time::{Duration, Instant};

use hotline_acd::Overflow;

use super::handoff::HandoffOutput as Out;
use super::handoff::*;

const RING: Duration = Duration::from_secs(15);

fn ms(t0: Instant, ms: u64) -> Instant {
    t0 + Duration::from_millis(ms)
}

/// A bridge-mode handoff to `billing`, already waiting at position 1.
fn queued() -> HandoffCore {
    let (mut core, out) = HandoffCore::start("billing", "refund", Route::Bridge, '1');
    assert_eq!(
        out,
        vec![Out::JoinQueue {
            queue: "billing".into()
        }]
    );
    let out = core.joined(
        '1',
        Joined::Waiting {
            position: 1,
            estimated_wait: None,
            priority: false,
        },
    );
    assert!(out.contains(&Out::Announce {
        position: 1,
        estimated_wait: None
    }));
    assert_eq!(core.stage(), Stage::Queued);
    core
}

fn traces(out: &[Out]) -> Vec<String> {
    out.iter()
        .filter_map(|o| match o {
            Out::Trace(line) => Some(line.clone()),
            _ => None,
        })
        .collect()
}

/// The outputs without their trace lines.
fn acts(out: Vec<Out>) -> Vec<Out> {
    out.into_iter()
        .filter(|o| !matches!(o, Out::Trace(_)))
        .collect()
}

fn ring_ann(core: &mut HandoffCore, now: Instant) {
    let out = core.offered("ann", "Ann", RING, now);
    assert_eq!(
        acts(out),
        vec![Out::RingAgent {
            agent: "ann".into()
        }]
    );
    assert_eq!(core.stage(), Stage::Ringing);
}

#[test]
fn the_agent_answers_hears_the_whisper_then_talks_to_the_caller() {
    let t0 = Instant::now();
    let mut core = queued();
    ring_ann(&mut core, t0);
    assert_eq!(core.poll_timeout(), Some(t0 + RING));

    let out = core.leg_update("ann", LegStatus::Answered);
    assert_eq!(
        acts(out),
        vec![Out::AgentAnswered {
            agent: "ann".into()
        }]
    );
    assert_eq!(core.stage(), Stage::Whisper);
    assert_eq!(core.poll_timeout(), None, "no ring deadline once answered");
    // The deadline's moment passing changes nothing.
    assert!(core.handle_timeout(t0 + RING).is_empty());

    let out = core.leg_update("ann", LegStatus::Bridged);
    assert_eq!(traces(&out), vec!["bridged to agent ann".to_string()]);
    assert_eq!(core.stage(), Stage::Bridged);

    let out = core.leg_update("ann", LegStatus::Ended("bye".into()));
    assert_eq!(
        acts(out),
        vec![
            Out::LeftQueue,
            Out::SaveRecording,
            Out::EndCall {
                cause: "agent-hangup".into()
            }
        ]
    );
    assert_eq!(core.stage(), Stage::Over);
}

#[test]
fn an_agent_who_does_not_answer_is_given_up_at_the_ring_deadline_and_the_next_is_rung() {
    let t0 = Instant::now();
    let mut core = queued();
    ring_ann(&mut core, t0);
    assert!(core.handle_timeout(ms(t0, 14_999)).is_empty());
    assert_eq!(
        core.handle_timeout(t0 + RING),
        vec![Out::CancelRing {
            agent: "ann".into()
        }]
    );
    assert_eq!(core.poll_timeout(), None);
    // The leg reports how it ended; the caller is back in the queue and the center told.
    let out = core.leg_update("ann", LegStatus::NotAnswered("no-answer".into()));
    assert_eq!(
        traces(&out),
        vec!["agent ann did not answer (no-answer)".to_string()]
    );
    assert_eq!(
        acts(out),
        vec![
            Out::StoreTurn,
            Out::AgentNoAnswer {
                agent: "ann".into()
            }
        ]
    );
    assert_eq!(core.stage(), Stage::Queued);

    let out = core.offered("bob", "Bob", RING, ms(t0, 16_000));
    assert_eq!(
        acts(out),
        vec![Out::RingAgent {
            agent: "bob".into()
        }]
    );
    assert_eq!(core.poll_timeout(), Some(ms(t0, 31_000)));
}

#[test]
fn a_new_offer_while_ringing_ends_the_stale_leg_and_its_late_news_is_ignored() {
    let t0 = Instant::now();
    let mut core = queued();
    ring_ann(&mut core, t0);
    let out = core.offered("bob", "Bob", RING, ms(t0, 2_000));
    assert_eq!(
        acts(out),
        vec![
            Out::EndLeg,
            Out::RingAgent {
                agent: "bob".into()
            }
        ]
    );
    assert!(core
        .leg_update("ann", LegStatus::NotAnswered("caller-gone".into()))
        .is_empty());
    assert_eq!(core.agent(), Some("bob"));
}

#[test]
fn an_offer_after_the_caller_is_bridged_is_declined() {
    let mut core = queued();
    ring_ann(&mut core, Instant::now());
    core.leg_update("ann", LegStatus::Answered);
    let out = core.offered("bob", "Bob", RING, Instant::now());
    assert_eq!(
        out,
        vec![Out::AgentNoAnswer {
            agent: "bob".into()
        }]
    );
    assert_eq!(core.agent(), Some("ann"));
}

#[test]
fn with_nobody_logged_in_the_caller_overflows_at_once() {
    let (mut core, _) = HandoffCore::start("billing", "refund", Route::Bridge, '1');
    let out = core.joined('1', Joined::Overflow(Overflow::Hangup));
    assert_eq!(
        traces(&out),
        vec![
            "queue billing: no agent logged in, overflow".to_string(),
            "overflow: hang up".to_string()
        ]
    );
    assert_eq!(
        acts(out),
        vec![Out::NoAgent {
            cause: "overflow:refund".into()
        }]
    );
    assert_eq!(core.stage(), Stage::Over);
    assert_eq!(core.poll_timeout(), None);
}

#[test]
fn overflow_to_voicemail_another_queue_or_a_callback() {
    let (mut core, _) = HandoffCore::start("billing", "refund", Route::Bridge, '1');
    let out = core.joined('1', Joined::Overflow(Overflow::Voicemail));
    assert_eq!(acts(out), vec![Out::Voicemail]);

    let (mut core, _) = HandoffCore::start("billing", "refund", Route::Bridge, '1');
    let out = core.joined('1', Joined::Overflow(Overflow::Queue("sales".into())));
    assert_eq!(
        acts(out),
        vec![Out::JoinQueue {
            queue: "sales".into()
        }]
    );
    assert_eq!(core.queue(), "sales");

    // Waiting too long while an agent rings: that leg ends, a callback is stored.
    let mut core = queued();
    ring_ann(&mut core, Instant::now());
    let out = core.queue_overflow(Overflow::Callback);
    assert_eq!(
        acts(out),
        vec![
            Out::EndLeg,
            Out::Callback {
                queue: "billing".into(),
                why: "overflow".into()
            }
        ]
    );
    assert_eq!(core.poll_timeout(), None);
}

#[test]
fn the_callback_key_counts_only_while_waiting() {
    let mut core = queued();
    assert!(core.digit('5').is_empty());
    assert_eq!(
        acts(core.digit('1')),
        vec![Out::Callback {
            queue: "billing".into(),
            why: "caller pressed a key".into()
        }]
    );
    let mut core = queued();
    ring_ann(&mut core, Instant::now());
    core.leg_update("ann", LegStatus::Answered);
    core.leg_update("ann", LegStatus::Bridged);
    assert!(core.digit('1').is_empty());
}

#[test]
fn position_announcements_only_while_queued_and_the_bot_is_quiet() {
    let mut core = queued();
    assert!(core.announce(2, None, false).is_empty());
    assert_eq!(
        core.announce(2, None, true),
        vec![Out::Announce {
            position: 2,
            estimated_wait: None
        }]
    );
    ring_ann(&mut core, Instant::now());
    assert!(core.announce(1, None, true).is_empty());
}

fn referring() -> HandoffCore {
    let route = Route::Refer {
        target: "sip:desk@example.net".into(),
    };
    let (core, out) = HandoffCore::start("billing", "refund", route, '1');
    assert_eq!(
        acts(out),
        vec![Out::SendRefer {
            target: "sip:desk@example.net".into()
        }]
    );
    assert_eq!(core.stage(), Stage::Referring);
    assert_eq!(
        core.poll_timeout(),
        None,
        "no wait before the REFER is accepted"
    );
    core
}

#[test]
fn an_accepted_refer_whose_target_answers_ends_the_call_as_referred() {
    let t0 = Instant::now();
    let mut core = referring();
    let out = core.refer_answered(202, t0);
    assert_eq!(traces(&out), vec!["REFER accepted (202)".to_string()]);
    assert_eq!(core.poll_timeout(), Some(t0 + REFER_NOTIFY_WAIT));
    // Progress without a final answer keeps waiting.
    assert!(core.refer_progress(Some(180), false).is_empty());
    let out = core.refer_progress(Some(200), true);
    assert_eq!(
        acts(out),
        vec![Out::EndCall {
            cause: "referred:refund".into()
        }]
    );
    assert_eq!(core.stage(), Stage::Over);
    assert_eq!(core.poll_timeout(), None);
    assert!(core.handle_timeout(t0 + REFER_NOTIFY_WAIT).is_empty());
}

#[test]
fn a_refused_refer_falls_back_to_the_queue() {
    let t0 = Instant::now();
    let mut core = referring();
    let out = core.refer_answered(403, t0);
    assert_eq!(
        traces(&out),
        vec!["REFER refused (403); falling back to queue billing's agents".to_string()]
    );
    assert_eq!(
        acts(out),
        vec![Out::JoinQueue {
            queue: "billing".into()
        }]
    );
    assert_eq!(core.stage(), Stage::Queued);

    // Accepted, then the target refuses in a NOTIFY.
    let mut core = referring();
    core.refer_answered(202, t0);
    let out = core.refer_progress(Some(486), true);
    assert_eq!(
        traces(&out),
        vec!["transfer target refused (486); falling back to queue billing's agents".to_string()]
    );
    assert_eq!(core.poll_timeout(), None);
}

#[test]
fn a_refer_left_silent_for_32_seconds_falls_back_to_the_queue() {
    let t0 = Instant::now();
    let mut core = referring();
    core.refer_answered(202, ms(t0, 100));
    assert!(core.handle_timeout(ms(t0, 32_099)).is_empty());
    assert_eq!(core.stage(), Stage::Referring);
    let out = core.handle_timeout(ms(t0, 32_100));
    assert_eq!(
        traces(&out),
        vec![
            "no final NOTIFY within 32 s of the REFER's acceptance; falling back to queue billing's agents"
                .to_string()
        ]
    );
    assert_eq!(
        acts(out),
        vec![Out::JoinQueue {
            queue: "billing".into()
        }]
    );
    assert_eq!(core.poll_timeout(), None);
    // A NOTIFY arriving after the fallback changes nothing.
    assert!(core.refer_progress(Some(200), true).is_empty());
}

#[test]
fn the_caller_hanging_up_while_an_agent_rings_ends_the_leg_and_the_deadline() {
    let t0 = Instant::now();
    let mut core = queued();
    ring_ann(&mut core, t0);
    let out = core.caller_hung_up();
    assert_eq!(out, vec![Out::EndLeg, Out::LeftQueue]);
    assert_eq!(core.poll_timeout(), None);
    assert!(core.handle_timeout(t0 + RING).is_empty());
}

#[test]
fn the_caller_hanging_up_while_bridged_saves_the_recording() {
    let mut core = queued();
    ring_ann(&mut core, Instant::now());
    core.leg_update("ann", LegStatus::Answered);
    core.leg_update("ann", LegStatus::Bridged);
    assert_eq!(
        core.caller_hung_up(),
        vec![Out::EndLeg, Out::LeftQueue, Out::SaveRecording]
    );
    assert_eq!(core.stage(), Stage::Over);
}
