//! Tests for the distributor: routing, misses, overflow, announcements, wrap-up, abandonment,
//! agent commands and the figures it reports.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use crate::{
    AcdError, AgentSpec, AgentState, Decision, Distributor, Ended, Enqueued, Overflow, QueueSpec,
    TransferMode,
};

fn phone(id: &str, skills: &[&str]) -> AgentSpec {
    AgentSpec {
        id: id.into(),
        name: id.to_uppercase(),
        password: Some(format!("{id}-secret")),
        ha1: None,
        uri: None,
        skills: skills.iter().map(|s| s.to_string()).collect(),
    }
}

fn queue(name: &str, skills: &[&str]) -> QueueSpec {
    QueueSpec {
        name: name.into(),
        skills: skills.iter().map(|s| s.to_string()).collect(),
        priority: 0,
        max_wait: Duration::from_secs(300),
        overflow: Overflow::Voicemail,
        mode: TransferMode::Bridge,
        ring_timeout: Duration::from_secs(15),
        wrap_up: Duration::from_secs(10),
        announce_every: Duration::from_secs(30),
        service_level: Duration::from_secs(20),
        hold_music: None::<PathBuf>,
        callback_digit: '1',
        callback_trunk: None,
        callback_policy: crate::CallbackPolicy {
            max_attempts: 3,
            retry_delay: Duration::from_secs(600),
        },
        priority_callers: Vec::new(),
        priority_variable: None,
        messages: crate::QueueMessages::default(),
    }
}

/// A fixed origin and `at(s)` = origin + s seconds.
struct Clock(Instant);

impl Clock {
    fn new() -> Self {
        Clock(Instant::now())
    }
    fn at(&self, secs: u64) -> Instant {
        self.0 + Duration::from_secs(secs)
    }
}

fn offers(decisions: &[Decision]) -> Vec<(String, String)> {
    decisions
        .iter()
        .filter_map(|d| match d {
            Decision::Offer { call, agent, .. } => Some((call.clone(), agent.clone())),
            _ => None,
        })
        .collect()
}

fn pair(call: &str, agent: &str) -> (String, String) {
    (call.to_string(), agent.to_string())
}

fn waiting(d: &mut Distributor, call: &str, queue: &str, priority: bool, now: Instant) {
    match d.enqueue(call, queue, priority, now).expect("known queue") {
        Enqueued::Waiting { .. } => {}
        other => panic!("{call} should wait, got {other:?}"),
    }
}

fn state(d: &Distributor, agent: &str) -> AgentState {
    d.agent(agent).expect("known agent").state
}

#[test]
fn phone_agents_start_logged_out_and_external_agents_available() {
    let clock = Clock::new();
    let mut carol = phone("carol", &["support"]);
    carol.password = None;
    carol.uri = Some("sip:+15551234@trunk.example.com".into());
    let d = Distributor::new(
        vec![phone("bob", &["support"]), carol, phone("alice", &[])],
        vec![queue("support", &["support"])],
        clock.at(0),
    );
    let ids: Vec<String> = d.agents().into_iter().map(|a| a.id).collect();
    assert_eq!(ids, ["alice", "bob", "carol"]);
    assert_eq!(state(&d, "bob"), AgentState::LoggedOut);
    let carol = d.agent("carol").expect("carol");
    assert_eq!(carol.state, AgentState::Available);
    assert!(carol.external);
    assert_eq!(carol.idle_since, Some(clock.at(0)));
    assert_eq!(d.queue("support").map(|q| q.priority), Some(0));
    assert!(d.queue("sales").is_none());
}

#[test]
fn the_longest_idle_agent_is_offered_first() {
    let clock = Clock::new();
    let mut d = Distributor::new(
        vec![
            phone("a", &["support"]),
            phone("b", &["support"]),
            phone("c", &["support"]),
        ],
        vec![queue("support", &["support"])],
        clock.at(0),
    );
    d.login("c", clock.at(1)).unwrap();
    d.login("a", clock.at(2)).unwrap();
    d.login("b", clock.at(3)).unwrap();
    waiting(&mut d, "call1", "support", false, clock.at(10));
    assert_eq!(offers(&d.poll(clock.at(10))), [pair("call1", "c")]);
    assert_eq!(
        state(&d, "c"),
        AgentState::Ringing {
            call: "call1".into()
        }
    );
    // Being offered is not waiting.
    assert_eq!(d.position("call1"), None);
    waiting(&mut d, "call2", "support", false, clock.at(11));
    waiting(&mut d, "call3", "support", false, clock.at(12));
    assert_eq!(
        offers(&d.poll(clock.at(12))),
        [pair("call2", "a"), pair("call3", "b")]
    );
}

#[test]
fn only_agents_with_every_skill_of_the_queue_are_offered() {
    let clock = Clock::new();
    let mut d = Distributor::new(
        vec![
            phone("a", &["support"]),
            phone("b", &["support", "english"]),
        ],
        vec![queue("english", &["support", "english"])],
        clock.at(0),
    );
    d.login("a", clock.at(0)).unwrap();
    // Only `a` is logged in and lacks `english`: nobody can serve the queue.
    assert_eq!(
        d.enqueue("call1", "english", false, clock.at(1)).unwrap(),
        Enqueued::Overflow(Overflow::Voicemail)
    );
    d.login("b", clock.at(5)).unwrap();
    waiting(&mut d, "call1", "english", false, clock.at(6));
    // `a` has been idle longer but lacks a skill.
    assert_eq!(offers(&d.poll(clock.at(6))), [pair("call1", "b")]);
    assert_eq!(state(&d, "a"), AgentState::Available);
}

#[test]
fn priority_callers_go_ahead() {
    let clock = Clock::new();
    let mut d = Distributor::new(
        vec![phone("a", &["support"])],
        vec![queue("support", &["support"])],
        clock.at(0),
    );
    d.login("a", clock.at(0)).unwrap();
    d.pause("a", "lunch", clock.at(0)).unwrap();
    waiting(&mut d, "early", "support", false, clock.at(1));
    waiting(&mut d, "vip", "support", true, clock.at(2));
    waiting(&mut d, "late", "support", false, clock.at(3));
    assert_eq!(d.position("vip"), Some(1));
    assert_eq!(d.position("early"), Some(2));
    assert_eq!(d.position("late"), Some(3));
    d.make_available("a", clock.at(4)).unwrap();
    assert_eq!(offers(&d.poll(clock.at(4))), [pair("vip", "a")]);
}

#[test]
fn higher_priority_queues_are_served_first_by_agents_who_can_serve_both() {
    let clock = Clock::new();
    let mut high = queue("cards", &["support"]);
    high.priority = 5;
    let mut d = Distributor::new(
        vec![phone("a", &["support"])],
        vec![queue("support", &["support"]), high],
        clock.at(0),
    );
    d.login("a", clock.at(0)).unwrap();
    d.pause("a", "meeting", clock.at(0)).unwrap();
    waiting(&mut d, "low", "support", false, clock.at(1));
    waiting(&mut d, "high", "cards", false, clock.at(2));
    d.make_available("a", clock.at(3)).unwrap();
    let decisions = d.poll(clock.at(3));
    assert_eq!(offers(&decisions), [pair("high", "a")]);
    assert!(decisions.iter().any(|x| matches!(
        x,
        Decision::Offer { queue, .. } if queue == "cards"
    )));
}

#[test]
fn an_agent_who_does_not_answer_is_skipped_and_never_offered_that_caller_again() {
    let clock = Clock::new();
    let mut d = Distributor::new(
        vec![phone("a", &["support"]), phone("b", &["support"])],
        vec![queue("support", &["support"])],
        clock.at(0),
    );
    d.login("a", clock.at(1)).unwrap();
    d.login("b", clock.at(2)).unwrap();
    waiting(&mut d, "call1", "support", false, clock.at(5));
    assert_eq!(offers(&d.poll(clock.at(5))), [pair("call1", "a")]);

    let a = d.no_answer("call1", "a", clock.at(20)).unwrap();
    assert_eq!(a.state, AgentState::Available);
    assert_eq!(a.missed, 1);
    assert_eq!(a.idle_since, Some(clock.at(1)), "idle time is kept");
    assert_eq!(d.position("call1"), Some(1), "back at the front");

    // `a` is still the longest idle, but missed this caller: `b` gets it.
    assert_eq!(offers(&d.poll(clock.at(20))), [pair("call1", "b")]);
    d.no_answer("call1", "b", clock.at(35)).unwrap();
    // Both missed it: nobody is offered it again, though both are available.
    assert!(offers(&d.poll(clock.at(35))).is_empty());
    // A new caller still goes to the longest idle agent.
    waiting(&mut d, "call2", "support", false, clock.at(36));
    assert_eq!(offers(&d.poll(clock.at(36))), [pair("call2", "a")]);
    // Answering for the wrong agent is refused.
    assert!(matches!(
        d.answered("call2", "b", clock.at(37)),
        Err(AcdError::NotOffered { .. })
    ));
}

#[test]
fn three_misses_in_a_row_pause_the_agent() {
    let clock = Clock::new();
    let mut d = Distributor::new(
        vec![phone("a", &["support"])],
        vec![queue("support", &["support"])],
        clock.at(0),
    );
    d.login("a", clock.at(0)).unwrap();
    for (i, call) in ["c1", "c2", "c3"].into_iter().enumerate() {
        let now = clock.at(10 * i as u64 + 1);
        waiting(&mut d, call, "support", false, now);
        assert_eq!(offers(&d.poll(now)), [pair(call, "a")]);
        let view = d
            .no_answer(call, "a", now + Duration::from_secs(5))
            .unwrap();
        if i < 2 {
            assert_eq!(view.state, AgentState::Available, "after {} misses", i + 1);
        } else {
            assert_eq!(
                view.state,
                AgentState::Paused {
                    reason: "no answer".into()
                }
            );
            assert_eq!(view.missed, 3);
            assert_eq!(view.idle_since, None);
        }
    }
}

#[test]
fn an_answer_resets_the_run_of_misses() {
    let clock = Clock::new();
    let mut q = queue("support", &["support"]);
    q.wrap_up = Duration::ZERO;
    let mut d = Distributor::new(vec![phone("a", &["support"])], vec![q], clock.at(0));
    d.login("a", clock.at(0)).unwrap();
    let calls = ["m1", "m2", "ok", "m3", "m4"];
    for (i, call) in calls.into_iter().enumerate() {
        let now = clock.at(10 * i as u64 + 1);
        waiting(&mut d, call, "support", false, now);
        assert_eq!(offers(&d.poll(now)), [pair(call, "a")]);
        if call == "ok" {
            d.answered(call, "a", now).unwrap();
            d.hung_up(call, now + Duration::from_secs(2));
        } else {
            d.no_answer(call, "a", now).unwrap();
        }
    }
    let a = d.agent("a").unwrap();
    assert_eq!(a.state, AgentState::Available);
    assert_eq!((a.missed, a.answered), (4, 1));
}

#[test]
fn with_no_skilled_agent_logged_in_callers_overflow_at_once() {
    let clock = Clock::new();
    let mut q = queue("support", &["support"]);
    q.overflow = Overflow::Callback;
    let mut d = Distributor::new(vec![phone("a", &["support"])], vec![q], clock.at(0));
    assert_eq!(
        d.enqueue("call1", "support", false, clock.at(1)).unwrap(),
        Enqueued::Overflow(Overflow::Callback)
    );
    assert_eq!(d.position("call1"), None);
    assert!(d.poll(clock.at(1)).is_empty());
    // A paused agent still staffs the queue: the caller waits.
    d.login("a", clock.at(2)).unwrap();
    d.pause("a", "coffee", clock.at(2)).unwrap();
    assert!(matches!(
        d.enqueue("call2", "support", false, clock.at(3)).unwrap(),
        Enqueued::Waiting { position: 1, .. }
    ));
    assert!(matches!(
        d.enqueue("call2", "support", false, clock.at(3)),
        Err(AcdError::DuplicateCall(_))
    ));
    assert!(matches!(
        d.enqueue("call3", "sales", false, clock.at(3)),
        Err(AcdError::UnknownQueue(_))
    ));
}

#[test]
fn callers_overflow_after_max_wait() {
    let clock = Clock::new();
    let mut q = queue("cards", &["cards"]);
    q.max_wait = Duration::from_secs(60);
    q.announce_every = Duration::ZERO;
    q.overflow = Overflow::Queue("support".into());
    let mut d = Distributor::new(
        vec![phone("a", &["cards"])],
        vec![q, queue("support", &[])],
        clock.at(0),
    );
    d.login("a", clock.at(0)).unwrap();
    d.pause("a", "training", clock.at(0)).unwrap();
    waiting(&mut d, "call1", "cards", false, clock.at(10));
    assert_eq!(d.next_timeout(), Some(clock.at(70)));
    assert!(d.poll(clock.at(69)).is_empty());
    assert_eq!(
        d.poll(clock.at(70)),
        [Decision::Overflow {
            call: "call1".into(),
            queue: "cards".into(),
            overflow: Overflow::Queue("support".into()),
        }]
    );
    assert_eq!(d.position("call1"), None);
    assert_eq!(d.next_timeout(), None);
    // It left the queue: the server may enqueue it in the overflow queue.
    assert!(d.left("call1", clock.at(70)).is_none());
    waiting(&mut d, "call1", "support", false, clock.at(70));
}

#[test]
fn a_caller_being_offered_does_not_overflow_mid_ring() {
    let clock = Clock::new();
    let mut q = queue("support", &["support"]);
    q.max_wait = Duration::from_secs(30);
    let mut d = Distributor::new(vec![phone("a", &["support"])], vec![q], clock.at(0));
    d.login("a", clock.at(0)).unwrap();
    waiting(&mut d, "call1", "support", false, clock.at(20));
    assert_eq!(offers(&d.poll(clock.at(20))).len(), 1);
    assert!(d.poll(clock.at(55)).is_empty());
    d.no_answer("call1", "a", clock.at(56)).unwrap();
    assert!(matches!(
        d.poll(clock.at(56)).as_slice(),
        [Decision::Overflow { call, .. }] if call == "call1"
    ));
}

#[test]
fn waiting_callers_overflow_when_the_last_skilled_agent_logs_out() {
    let clock = Clock::new();
    let mut d = Distributor::new(
        vec![phone("a", &["support"]), phone("b", &["sales"])],
        vec![queue("support", &["support"]), queue("sales", &["sales"])],
        clock.at(0),
    );
    d.login("a", clock.at(0)).unwrap();
    d.login("b", clock.at(0)).unwrap();
    d.pause("a", "lunch", clock.at(0)).unwrap();
    d.pause("b", "lunch", clock.at(0)).unwrap();
    waiting(&mut d, "s1", "support", false, clock.at(1));
    waiting(&mut d, "s2", "support", true, clock.at(2));
    waiting(&mut d, "x1", "sales", false, clock.at(3));
    assert!(d.poll(clock.at(4)).is_empty());
    d.logout("a", clock.at(5)).unwrap();
    // Due at once.
    assert!(d.next_timeout().is_some_and(|t| t <= clock.at(5)));
    let decisions = d.poll(clock.at(5));
    let mut overflowed: Vec<&str> = decisions
        .iter()
        .map(|x| match x {
            Decision::Overflow { call, overflow, .. } => {
                assert_eq!(*overflow, Overflow::Voicemail);
                call.as_str()
            }
            other => panic!("unexpected {other:?}"),
        })
        .collect();
    overflowed.sort();
    assert_eq!(overflowed, ["s1", "s2"]);
    assert_eq!(d.position("x1"), Some(1), "the sales caller still waits");
}

#[test]
fn announcements_come_every_interval_after_enqueue() {
    let clock = Clock::new();
    let mut d = Distributor::new(
        vec![phone("a", &["support"])],
        vec![queue("support", &["support"])],
        clock.at(0),
    );
    d.login("a", clock.at(0)).unwrap();
    d.pause("a", "lunch", clock.at(0)).unwrap();
    waiting(&mut d, "call1", "support", false, clock.at(0));
    waiting(&mut d, "call2", "support", false, clock.at(10));
    assert_eq!(d.next_timeout(), Some(clock.at(30)));
    assert!(d.poll(clock.at(29)).is_empty());
    assert_eq!(
        d.poll(clock.at(30)),
        [Decision::Announce {
            call: "call1".into(),
            position: 1,
            estimated_wait: Some(Duration::from_secs(120)),
        }]
    );
    assert_eq!(d.next_timeout(), Some(clock.at(40)));
    assert_eq!(
        d.poll(clock.at(40)),
        [Decision::Announce {
            call: "call2".into(),
            position: 2,
            estimated_wait: Some(Duration::from_secs(240)),
        }]
    );
    assert!(d.poll(clock.at(59)).is_empty());
    assert!(matches!(
        d.poll(clock.at(60)).as_slice(),
        [Decision::Announce { call, .. }] if call == "call1"
    ));
}

#[test]
fn after_a_call_the_agent_wraps_up_then_becomes_available() {
    let clock = Clock::new();
    let mut d = Distributor::new(
        vec![phone("a", &["support"])],
        vec![queue("support", &["support"])],
        clock.at(0),
    );
    d.login("a", clock.at(0)).unwrap();
    waiting(&mut d, "call1", "support", false, clock.at(5));
    assert_eq!(offers(&d.poll(clock.at(5))).len(), 1);
    let a = d.answered("call1", "a", clock.at(30)).unwrap();
    assert_eq!(
        a.state,
        AgentState::OnCall {
            call: "call1".into()
        }
    );
    assert_eq!(a.idle_since, None);
    assert!(matches!(
        d.pause("a", "break", clock.at(40)),
        Err(AcdError::AgentBusy {
            state: "on_call",
            ..
        })
    ));
    assert_eq!(
        d.hung_up("call1", clock.at(130)),
        Some(Ended::Handled {
            queue: "support".into(),
            agent: "a".into(),
            waited: Duration::from_secs(25),
            talk: Duration::from_secs(100),
            within_service_level: false,
        })
    );
    let a = d.agent("a").unwrap();
    assert_eq!(
        a.state,
        AgentState::WrapUp {
            until: clock.at(140)
        }
    );
    assert_eq!((a.answered, a.talk_time), (1, Duration::from_secs(100)));
    assert_eq!(d.next_timeout(), Some(clock.at(140)));
    // A caller arriving during wrap-up waits for it to end.
    waiting(&mut d, "call2", "support", false, clock.at(135));
    assert!(offers(&d.poll(clock.at(139))).is_empty());
    let decisions = d.poll(clock.at(141));
    assert_eq!(
        decisions,
        [
            Decision::AgentAvailable { agent: "a".into() },
            Decision::Offer {
                call: "call2".into(),
                queue: "support".into(),
                agent: "a".into()
            }
        ]
    );
    assert_eq!(d.agent("a").unwrap().idle_since, Some(clock.at(140)));
}

#[test]
fn zero_wrap_up_makes_the_agent_available_at_once() {
    let clock = Clock::new();
    let mut q = queue("support", &["support"]);
    q.wrap_up = Duration::ZERO;
    let mut d = Distributor::new(vec![phone("a", &["support"])], vec![q], clock.at(0));
    d.login("a", clock.at(0)).unwrap();
    waiting(&mut d, "call1", "support", false, clock.at(1));
    d.poll(clock.at(1));
    d.answered("call1", "a", clock.at(2)).unwrap();
    d.hung_up("call1", clock.at(9));
    let a = d.agent("a").unwrap();
    assert_eq!(a.state, AgentState::Available);
    assert_eq!(a.idle_since, Some(clock.at(9)));
}

#[test]
fn callers_who_hang_up_while_waiting_or_ringing_are_abandoned() {
    let clock = Clock::new();
    let mut d = Distributor::new(
        vec![phone("a", &["support"])],
        vec![queue("support", &["support"])],
        clock.at(0),
    );
    d.login("a", clock.at(0)).unwrap();
    waiting(&mut d, "ringing", "support", false, clock.at(1));
    waiting(&mut d, "waiting", "support", false, clock.at(2));
    assert_eq!(offers(&d.poll(clock.at(2))), [pair("ringing", "a")]);

    assert_eq!(
        d.hung_up("waiting", clock.at(12)),
        Some(Ended::Abandoned {
            queue: "support".into(),
            waited: Duration::from_secs(10),
            ringing_agent: None,
        })
    );
    assert_eq!(
        d.hung_up("ringing", clock.at(13)),
        Some(Ended::Abandoned {
            queue: "support".into(),
            waited: Duration::from_secs(12),
            ringing_agent: Some("a".into()),
        })
    );
    let a = d.agent("a").unwrap();
    assert_eq!(a.state, AgentState::Available);
    assert_eq!(a.missed, 0, "the caller hung up; the agent missed nothing");
    assert_eq!(a.idle_since, Some(clock.at(0)));
    assert_eq!(d.hung_up("ringing", clock.at(14)), None);
    assert!(d.live(clock.at(14))[0].waiting == 0);
}

#[test]
fn a_caller_who_asks_for_a_callback_leaves_the_queue() {
    let clock = Clock::new();
    let mut d = Distributor::new(
        vec![phone("a", &["support"])],
        vec![queue("support", &["support"])],
        clock.at(0),
    );
    d.login("a", clock.at(0)).unwrap();
    d.pause("a", "x", clock.at(0)).unwrap();
    waiting(&mut d, "call1", "support", false, clock.at(0));
    assert_eq!(
        d.left("call1", clock.at(45)),
        Some(Ended::Left {
            queue: "support".into(),
            waited: Duration::from_secs(45),
            ringing_agent: None,
        })
    );
    assert_eq!(d.position("call1"), None);
}

#[test]
fn losing_registration_while_ringing_logs_out_and_requeues_the_caller() {
    let clock = Clock::new();
    let mut d = Distributor::new(
        vec![phone("a", &["support"]), phone("b", &["support"])],
        vec![queue("support", &["support"])],
        clock.at(0),
    );
    d.login("a", clock.at(0)).unwrap();
    d.login("b", clock.at(1)).unwrap();
    waiting(&mut d, "call1", "support", false, clock.at(2));
    assert_eq!(offers(&d.poll(clock.at(2))), [pair("call1", "a")]);
    assert!(matches!(
        d.logout("a", clock.at(3)),
        Err(AcdError::AgentBusy {
            state: "ringing",
            ..
        })
    ));
    assert_eq!(
        d.registration_lost("a", clock.at(4)).unwrap(),
        Some("call1".to_string())
    );
    let a = d.agent("a").unwrap();
    assert_eq!(a.state, AgentState::LoggedOut);
    assert_eq!(a.missed, 1);
    assert_eq!(d.position("call1"), Some(1));
    assert_eq!(offers(&d.poll(clock.at(4))), [pair("call1", "b")]);
    assert_eq!(d.registration_lost("a", clock.at(5)).unwrap(), None);
    assert!(matches!(
        d.registration_lost("zed", clock.at(5)),
        Err(AcdError::UnknownAgent(_))
    ));
}

#[test]
fn losing_registration_on_a_call_logs_out_when_the_call_ends() {
    let clock = Clock::new();
    let mut d = Distributor::new(
        vec![phone("a", &["support"])],
        vec![queue("support", &["support"])],
        clock.at(0),
    );
    d.login("a", clock.at(0)).unwrap();
    waiting(&mut d, "call1", "support", false, clock.at(1));
    d.poll(clock.at(1));
    d.answered("call1", "a", clock.at(2)).unwrap();
    assert_eq!(d.registration_lost("a", clock.at(3)).unwrap(), None);
    assert_eq!(
        state(&d, "a"),
        AgentState::OnCall {
            call: "call1".into()
        }
    );
    d.hung_up("call1", clock.at(10));
    assert_eq!(state(&d, "a"), AgentState::LoggedOut);
}

#[test]
fn position_and_estimated_wait_follow_handle_time_and_staff() {
    let clock = Clock::new();
    let mut q = queue("support", &["support"]);
    q.wrap_up = Duration::ZERO;
    let mut d = Distributor::new(
        vec![phone("a", &["support"]), phone("b", &["support"])],
        vec![q],
        clock.at(0),
    );
    d.login("a", clock.at(0)).unwrap();
    // One handled call of 60 s sets the average handle time.
    waiting(&mut d, "first", "support", false, clock.at(0));
    d.poll(clock.at(0));
    d.answered("first", "a", clock.at(0)).unwrap();
    d.hung_up("first", clock.at(60));
    assert_eq!(d.average_handle_time(), Duration::from_secs(60));

    d.pause("a", "x", clock.at(60)).unwrap();
    d.login("b", clock.at(60)).unwrap();
    d.pause("b", "x", clock.at(60)).unwrap();
    for (i, call) in ["c1", "c2", "c3"].into_iter().enumerate() {
        let got = d.enqueue(call, "support", false, clock.at(61)).unwrap();
        let position = i + 1;
        // position × 60 s ÷ 2 agents logged in.
        let expected = Duration::from_secs(30 * position as u64);
        assert_eq!(
            got,
            Enqueued::Waiting {
                position,
                estimated_wait: Some(expected)
            }
        );
        assert_eq!(d.position(call), Some(position));
        assert_eq!(d.estimated_wait(call), Some(expected));
    }
    d.hung_up("c1", clock.at(70));
    assert_eq!(d.position("c3"), Some(2));
    assert_eq!(d.estimated_wait("c3"), Some(Duration::from_secs(60)));
    assert_eq!(d.estimated_wait("nobody"), None);
    let live = d.live(clock.at(91));
    assert_eq!(live[0].waiting, 2);
    assert_eq!(live[0].longest_wait, Duration::from_secs(30));
    assert_eq!((live[0].agents_logged_in, live[0].agents_available), (2, 0));
}

#[test]
fn agent_commands_follow_the_state_machine() {
    let clock = Clock::new();
    let mut d = Distributor::new(
        vec![phone("a", &["support"])],
        vec![queue("support", &["support"])],
        clock.at(0),
    );
    assert!(matches!(
        d.login("zed", clock.at(0)),
        Err(AcdError::UnknownAgent(id)) if id == "zed"
    ));
    assert!(matches!(
        d.pause("a", "x", clock.at(0)),
        Err(AcdError::NotLoggedIn { .. })
    ));
    let a = d.login("a", clock.at(1)).unwrap();
    assert_eq!(
        (a.state.name(), a.since, a.idle_since),
        ("available", clock.at(1), Some(clock.at(1)))
    );
    let a = d.pause("a", "lunch", clock.at(2)).unwrap();
    assert_eq!(
        a.state,
        AgentState::Paused {
            reason: "lunch".into()
        }
    );
    assert_eq!(a.state.name(), "paused");
    // A phone re-registering does not undo the pause.
    assert_eq!(d.login("a", clock.at(3)).unwrap().state.name(), "paused");
    let a = d.make_available("a", clock.at(4)).unwrap();
    assert_eq!(
        (a.state.name(), a.idle_since),
        ("available", Some(clock.at(4)))
    );
    assert_eq!(
        d.logout("a", clock.at(5)).unwrap().state.name(),
        "logged_out"
    );
    assert_eq!(
        d.make_available("a", clock.at(6)).unwrap().state.name(),
        "available"
    );
    let err = d.answered("nope", "a", clock.at(7)).unwrap_err();
    assert_eq!(err, AcdError::UnknownCall("nope".into()));
    let busy = AcdError::AgentBusy {
        agent: "a".into(),
        action: "pause",
        state: "on_call",
    };
    assert_eq!(
        busy.to_string(),
        "agent `a` cannot pause while on_call: the call must finish first"
    );
}
