//! Grouping unanswered questions on the real MiniLM model: paraphrases of one question share
//! a group, different questions do not, and repeats are counted once per wording.

mod support;

use std::collections::BTreeSet;

use hotline_nlu::{group_unanswered, GapGroup, DEFAULT_GAP_SIMILARITY};

fn questions(texts: &[&str]) -> Vec<String> {
    texts.iter().map(|t| t.to_string()).collect()
}

const ASKED: &[&str] = &[
    "do you ship to Canada",
    "gift wrapping available?",
    "can you deliver to canada",
    "Do you ship to Canada ",
    "shipping to Canada?",
    "can you wrap my present",
    "[BLANK_AUDIO]",
    "",
];

fn group_of<'a>(groups: &'a [GapGroup], member: &str) -> &'a GapGroup {
    groups
        .iter()
        .find(|g| g.members.iter().any(|m| m == member))
        .unwrap_or_else(|| panic!("{member:?} is in no group: {groups:?}"))
}

#[test]
fn paraphrases_share_a_group_apart_from_other_questions() {
    let encoder = support::encoder();
    let groups =
        group_unanswered(&encoder, &questions(ASKED), DEFAULT_GAP_SIMILARITY).expect("groups");
    let canada = group_of(&groups, "do you ship to Canada");
    assert_eq!(
        canada.members,
        [
            "do you ship to Canada",
            "can you deliver to canada",
            "shipping to Canada?"
        ]
    );
    assert_eq!(canada.count, 4, "the repeat counts, but once as a member");
    assert!(canada.members.contains(&canada.representative));
    let gift = group_of(&groups, "gift wrapping available?");
    assert_ne!(gift, canada);
    assert!(!gift
        .members
        .iter()
        .any(|m| m.to_lowercase().contains("canada")));
    assert_eq!(groups[0], *canada, "largest group first: {groups:?}");
    assert!(groups.windows(2).all(|pair| pair[0].count >= pair[1].count));
    let total: usize = groups.iter().map(|g| g.count).sum();
    assert_eq!(
        total, 6,
        "noise and empty questions are skipped: {groups:?}"
    );
}

#[test]
fn gift_wrapping_wordings_group_together() {
    let encoder = support::encoder();
    let groups =
        group_unanswered(&encoder, &questions(ASKED), DEFAULT_GAP_SIMILARITY).expect("groups");
    let gift = group_of(&groups, "gift wrapping available?");
    assert_eq!(
        gift.members,
        ["gift wrapping available?", "can you wrap my present"]
    );
    assert_eq!(groups.len(), 2, "{groups:?}");
}

#[test]
fn same_input_same_groups_and_order_does_not_change_membership() {
    let encoder = support::encoder();
    let asked = questions(ASKED);
    let first = group_unanswered(&encoder, &asked, DEFAULT_GAP_SIMILARITY).expect("groups");
    let again = group_unanswered(&encoder, &asked, DEFAULT_GAP_SIMILARITY).expect("groups");
    assert_eq!(first, again);
    let reversed: Vec<String> = asked.iter().rev().cloned().collect();
    let backwards = group_unanswered(&encoder, &reversed, DEFAULT_GAP_SIMILARITY).expect("groups");
    let sets = |groups: &[GapGroup]| -> BTreeSet<BTreeSet<String>> {
        groups
            .iter()
            .map(|g| g.members.iter().map(|m| m.to_lowercase()).collect())
            .collect()
    };
    assert_eq!(sets(&first), sets(&backwards));
}

#[test]
fn a_strict_threshold_keeps_wordings_apart_and_no_questions_give_no_groups() {
    let encoder = support::encoder();
    let strict = group_unanswered(&encoder, &questions(ASKED), 0.99).expect("groups");
    assert_eq!(
        strict.len(),
        5,
        "one group per distinct wording: {strict:?}"
    );
    assert!(strict.iter().all(|g| g.members.len() == 1));
    assert!(group_unanswered(&encoder, &[], DEFAULT_GAP_SIMILARITY)
        .expect("groups")
        .is_empty());
    assert!(
        group_unanswered(&encoder, &questions(&["[BLANK_AUDIO]"]), 0.6)
            .expect("groups")
            .is_empty()
    );
}
