//! One test per condition: the call a supervisor would flag, and the one they would not.

use std::time::Duration;

use super::*;

fn rule(id: &str, weight: u32, condition: Condition) -> Rule {
    Rule {
        id: id.into(),
        description: format!("{id} rule"),
        weight,
        condition,
    }
}

fn turn(at: i64, node: &str, caller: &str, bot: &str) -> TurnRecord {
    TurnRecord {
        at,
        node: Some(node.into()),
        caller_text: Some(caller.into()).filter(|c: &String| !c.is_empty()),
        bot_text: Some(bot.into()).filter(|b: &String| !b.is_empty()),
        ..Default::default()
    }
}

fn facts(turns: &[TurnRecord], transferred: bool) -> CallFacts<'_> {
    CallFacts {
        transferred,
        answered_at: 0,
        turns,
    }
}

#[test]
fn a_greeting_without_the_company_name_costs_its_weight() {
    let rules = [rule(
        "greet",
        20,
        Condition::GreetingContains("acme".into()),
    )];
    let bad = [turn(0, "greeting", "", "Hello, how can I help?")];
    let verdict = inspect(&rules, &facts(&bad, false));
    assert_eq!(verdict.score, 80);
    assert_eq!(
        verdict.fired,
        [Finding {
            rule: "greet".into(),
            description: "greet rule".into(),
            weight: 20,
            turn: Some(1),
            evidence: "greeting without \"acme\": Hello, how can I help?".into(),
        }]
    );
    let good = [turn(0, "greeting", "", "Welcome to ACME support.")];
    assert_eq!(inspect(&rules, &facts(&good, false)).score, 100);
    assert_eq!(
        inspect(&rules, &facts(&[], false)).fired[0].evidence,
        "the bot said nothing"
    );
}

#[test]
fn a_weak_faq_answer_is_flagged_with_its_score_and_question() {
    let rules = [rule("faq", 10, Condition::FaqAnswerBelow(0.6))];
    let mut weak = turn(5_000, "menu", "can I pay later", "Yes, with invoice.");
    weak.trace = Some("faq payment (0.45)".into());
    let mut strong = turn(9_000, "menu", "how long is shipping", "Two days.");
    strong.trace = Some("faq shipping (0.91)".into());
    let mut none = turn(12_000, "menu", "what about mars", "Sorry?");
    none.trace = Some("faq no answer (0.20)".into());
    let turns = [
        turn(0, "greeting", "", "Hi"),
        weak,
        strong.clone(),
        none.clone(),
    ];
    let verdict = inspect(&rules, &facts(&turns, false));
    assert_eq!(verdict.score, 90);
    assert_eq!(verdict.fired[0].turn, Some(2));
    assert_eq!(
        verdict.fired[0].evidence,
        "FAQ payment answered at 0.45 to \"can I pay later\""
    );
    assert!(inspect(&rules, &facts(&[strong, none], false))
        .fired
        .is_empty());
}

#[test]
fn anger_without_a_transfer_fires_and_with_one_does_not() {
    let rules = [rule(
        "anger",
        30,
        Condition::AngerRoseWithoutEscalation(0.7),
    )];
    let mut calm = turn(1_000, "menu", "where is my parcel", "Let me check.");
    calm.anger = Some(0.1);
    let mut angry = turn(8_000, "menu", "this is ridiculous", "I understand.");
    angry.anger = Some(0.8);
    let turns = [calm, angry];
    let verdict = inspect(&rules, &facts(&turns, false));
    assert_eq!((verdict.score, verdict.fired[0].turn), (70, Some(2)));
    assert_eq!(
        verdict.fired[0].evidence,
        "anger 0.80 after \"this is ridiculous\", and no transfer to a person"
    );
    assert!(inspect(&rules, &facts(&turns, true)).fired.is_empty());
}

#[test]
fn the_same_node_asking_three_times_in_a_row_fires() {
    let rules = [rule("loop", 15, Condition::RepromptsAtLeast(3))];
    let mut understood = turn(4_000, "menu", "shipping", "Two days.");
    understood.intent = Some("delivery_time".into());
    let turns = [
        turn(1_000, "menu", "", "Sorry, I did not hear you."),
        turn(2_000, "menu", "blah blah", "Sorry?"),
        understood.clone(),
        turn(5_000, "menu", "", "Are you there?"),
        turn(6_000, "menu", "", "Are you there?"),
    ];
    // Two failures, an answer, then two more: never three in a row.
    assert!(inspect(&rules, &facts(&turns, false)).fired.is_empty());
    let turns = [
        understood,
        turn(5_000, "menu", "", "Are you there?"),
        turn(6_000, "menu", "mumble", "Sorry?"),
        turn(7_000, "menu", "", "Are you there?"),
    ];
    let verdict = inspect(&rules, &facts(&turns, false));
    assert_eq!(verdict.fired[0].turn, Some(4));
    assert_eq!(
        verdict.fired[0].evidence,
        "node menu asked again 3 times in a row"
    );
}

#[test]
fn a_long_wait_with_nothing_said_is_silence() {
    let rules = [rule(
        "quiet",
        5,
        Condition::SilenceLongerThan(Duration::from_secs(8)),
    )];
    let turns = [
        turn(500, "greeting", "", "Hello"),
        turn(4_000, "menu", "shipping", "Two days."),
        // Ten seconds, but the caller spoke: not silence.
        turn(14_000, "menu", "thanks", "Bye."),
    ];
    assert!(inspect(&rules, &facts(&turns, false)).fired.is_empty());
    let turns = [
        turn(500, "greeting", "", "Hello"),
        turn(9_900, "menu", "", "Are you there?"),
    ];
    let verdict = inspect(&rules, &facts(&turns, false));
    assert_eq!(verdict.fired[0].turn, Some(2));
    assert_eq!(
        verdict.fired[0].evidence,
        "9.4 s with nothing said or pressed"
    );
}

#[test]
fn the_score_never_goes_below_zero() {
    let rules = [
        rule("a", 70, Condition::GreetingContains("acme".into())),
        rule("b", 70, Condition::GreetingContains("support".into())),
    ];
    let turns = [turn(0, "greeting", "", "Hello")];
    let verdict = inspect(&rules, &facts(&turns, false));
    assert_eq!(verdict.score, 0);
    assert_eq!(verdict.fired.len(), 2);
}
