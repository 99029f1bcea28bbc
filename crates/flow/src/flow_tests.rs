//! Tests of `load_flow` and `check`: one broken input per validation rule, each with the
//! expected position and message.

use super::*;
use std::time::Duration;

const VALID: &str = "\
flow: test
start: menu
intents:
  agree:
    keywords: [yes]
nodes:
  menu:
    ask: Ready?
    routes:
      - intent: agree
        next: done
  done:
    hangup: Bye
";

/// All diagnostics of `source` as `line:column: message` (warnings marked as in Display).
fn findings(source: &str) -> Vec<String> {
    check(source, "t.yaml")
        .iter()
        .map(|d| d.to_string().trim_start_matches("t.yaml:").to_string())
        .collect()
}

/// `VALID` with `from` replaced by `to` (which must occur).
fn edit(from: &str, to: &str) -> String {
    assert!(VALID.contains(from), "{from:?} not in the base flow");
    VALID.replacen(from, to, 1)
}

#[test]
fn valid_flow_loads_with_defaults() {
    let flow = load_flow(VALID, "t.yaml").expect("valid");
    assert_eq!(flow.name(), "test");
    assert_eq!(flow.start(), "menu");
    assert_eq!(flow.settings().no_input_timeout, Duration::from_secs(6));
    assert_eq!(flow.settings().max_failures, 3);
    assert!(flow.settings().barge_in);
    assert!(flow.warnings().is_empty(), "{:?}", flow.warnings());
    assert!(flow.node("done").is_some());
    assert!(flow.node("nowhere").is_none());
}

#[test]
fn version_hash_is_sha256_hex_of_source() {
    // Reference value from an independent SHA-256 implementation (Python's hashlib).
    assert_eq!(
        sha256_hex("flow: x\n"),
        "3cdb78734876fd916080f2dd80a62b620916b59f0e41a1a7cf147168fdf79ab4"
    );
    let a = load_flow(VALID, "t.yaml").expect("valid").version_hash();
    let b = load_flow(&format!("{VALID}# edited\n"), "t.yaml")
        .expect("valid")
        .version_hash();
    assert_eq!(a, sha256_hex(VALID));
    assert_ne!(a, b, "any edit changes the hash");
}

#[test]
fn settings_are_read() {
    let source = edit(
        "start: menu\n",
        "start: menu\nsettings:\n  language: de\n  voice: de_DE-x\n  barge_in: false\n  no_input_timeout: 1500ms\n  max_failures: 2\n",
    );
    let flow = load_flow(&source, "t.yaml").expect("valid");
    let s = flow.settings();
    assert_eq!(
        (s.language.as_str(), s.voice.as_deref(), s.barge_in),
        ("de", Some("de_DE-x"), false)
    );
    assert_eq!(s.no_input_timeout, Duration::from_millis(1500));
    assert_eq!(s.max_failures, 2);
}

#[test]
fn near_miss_is_off_unless_the_flow_turns_it_on() {
    let flow = load_flow(VALID, "t.yaml").expect("valid");
    assert!(!flow.settings().near_miss);
    let on = edit(
        "start: menu\n",
        "start: menu\nsettings:\n  near_miss: true\n",
    );
    assert!(
        load_flow(&on, "t.yaml")
            .expect("valid")
            .settings()
            .near_miss
    );
    let wrong = edit(
        "start: menu\n",
        "start: menu\nsettings:\n  near_miss: maybe\n",
    );
    assert_eq!(
        findings(&wrong),
        vec!["4:14: `near_miss` must be true or false, found a string"]
    );
}

#[test]
fn yaml_syntax_error_has_position() {
    assert_eq!(
        findings("flow: a\nstart: [b\n"),
        vec!["3:1: YAML syntax error: while parsing a flow sequence, expected ',' or ']'"]
    );
}

#[test]
fn unknown_fields_are_reported_with_suggestion() {
    assert_eq!(
        findings(&edit(
            "    hangup: Bye\n",
            "    hangup: Bye\n    nxt: menu\n"
        )),
        vec!["14:5: unknown field `nxt` in hangup node `done`; expected one of: hangup, reason"]
    );
    assert_eq!(
        findings(&edit("flow: test\n", "flow: test\ndescriptoin: x\n")),
        vec!["2:1: unknown field `descriptoin` in the flow file; did you mean `description`?"]
    );
}

#[test]
fn wrong_types_are_reported() {
    let source = edit(
        "start: menu\n",
        "start: menu\nsettings:\n  barge_in: sometimes\n  max_failures: many\n",
    );
    assert_eq!(
        findings(&source),
        vec![
            "4:13: `barge_in` must be true or false, found a string",
            "5:17: `max_failures` must be a whole number, found a string",
        ]
    );
    assert_eq!(
        findings(&edit("    ask: Ready?\n", "    ask: [Ready?]\n")),
        vec!["8:10: `ask` must be a string, found a list"]
    );
}

#[test]
fn missing_start_is_reported() {
    assert_eq!(
        findings(&edit("start: menu\n", "")),
        vec!["1:1: the flow file is missing required field `start`"]
    );
}

#[test]
fn unknown_start_node_is_reported() {
    assert_eq!(
        findings(&edit("start: menu\n", "start: mneu\n")),
        vec![
            "2:8: `start` names unknown node `mneu` (did you mean `menu`?)",
            "7:3: warning: node `menu` is unreachable from `start`",
            "12:3: warning: node `done` is unreachable from `start`",
        ]
    );
}

#[test]
fn unknown_route_target_and_intent_are_reported() {
    let source = edit(
        "      - intent: agree\n        next: done\n",
        "      - intent: agre\n        next: gone\n",
    );
    assert_eq!(
        findings(&source),
        vec![
            "4:3: warning: intent `agree` is not used by any route",
            "10:17: a route of `menu` names unknown intent `agre` (did you mean `agree`?)",
            "11:15: `next` of a route of `menu` names unknown node `gone` (did you mean `done`?)",
            "12:3: warning: node `done` is unreachable from `start`",
        ]
    );
}

#[test]
fn unknown_next_and_on_failure_are_reported() {
    let source = edit(
        "  done:\n    hangup: Bye\n",
        "  done:\n    say: Done\n    next: nowhere\n",
    );
    let source = source.replacen(
        "    routes:\n",
        "    on_failure: elsewhere\n    routes:\n",
        1,
    );
    assert_eq!(
        findings(&source),
        vec![
            "9:17: `on_failure` of `menu` names unknown node `elsewhere`",
            "15:11: `next` of `done` names unknown node `nowhere`",
        ]
    );
}

#[test]
fn unreachable_node_is_a_warning_and_flow_still_loads() {
    let source = format!("{VALID}  orphan:\n    hangup: Never\n");
    let flow = load_flow(&source, "t.yaml").expect("warnings do not stop loading");
    let warnings: Vec<String> = flow.warnings().iter().map(|w| w.to_string()).collect();
    assert_eq!(
        warnings,
        vec!["t.yaml:14:3: warning: node `orphan` is unreachable from `start`"]
    );
}

#[test]
fn intent_without_examples_or_keywords_is_an_error() {
    assert_eq!(
        findings(&edit("  agree:\n    keywords: [yes]\n", "  agree:\n")),
        vec!["4:3: intent `agree` has no examples and no keywords, so it can never match"]
    );
    assert_eq!(
        findings(&edit("    keywords: [yes]\n", "    keywords: []\n")),
        vec!["4:3: intent `agree` has no examples and no keywords, so it can never match"]
    );
}

#[test]
fn say_loop_without_input_is_an_error() {
    let source = edit(
        "  done:\n    hangup: Bye\n",
        "  done:\n    say: One\n    next: again\n  again:\n    say: Two\n    next: done\n",
    );
    assert_eq!(
        findings(&source),
        vec!["12:3: `say` nodes loop without ever waiting for input: done -> again -> done"]
    );
}

#[test]
fn invalid_durations_are_reported() {
    let source = edit("    ask: Ready?\n", "    ask: Ready?\n    timeout: 5\n");
    assert_eq!(
        findings(&source),
        vec!["9:14: invalid duration for `timeout`: `5` has no unit (write e.g. `6s` or `500ms`)"]
    );
    let source = edit(
        "    ask: Ready?\n",
        "    ask: Ready?\n    timeout: 5 hours\n",
    );
    assert_eq!(
        findings(&source),
        vec!["9:14: invalid duration for `timeout`: `5 hours` has an unknown unit (use `ms`, `s`, `m` or `h`)"]
    );
}

#[test]
fn node_kind_problems_are_reported() {
    let source = edit("    hangup: Bye\n", "    hangup: Bye\n    ask: Why?\n");
    assert_eq!(
        findings(&source),
        vec!["14:5: node `done` has both `hangup` and `ask`; a node does one thing: split it into two nodes, one going to the other with `next`"]
    );
    // `say` is a kind too, so the problem is the pair, not an "unknown field `say`".
    let source = edit("    ask: Ready?\n", "    say: Hello.\n    ask: Ready?\n");
    assert_eq!(
        findings(&source),
        vec!["8:5: node `menu` has both `say` and `ask`; a node does one thing: split it into a `say` node whose `next` is a separate `ask` node, or put the words into the `ask` text"]
    );
    // ... but `transfer` and `http` nodes say something before they act.
    let source = edit(
        "    hangup: Bye\n",
        "    transfer: support\n    say: One moment.\n",
    );
    assert!(findings(&source).is_empty(), "{:?}", findings(&source));
    let source = edit("    hangup: Bye\n", "    reason: none\n");
    assert_eq!(
        findings(&source),
        vec!["13:5: node `done` needs one of `say`, `ask`, `menu`, `route`, `faq`, `set`, `if`, `goto`, `http`, `record`, `ticket`, `transfer`, `hangup`"]
    );
}

#[test]
fn route_and_dtmf_problems_are_reported() {
    let source = edit(
        "      - intent: agree\n        next: done\n",
        "      - intent: agree\n        next: done\n      - next: done\n      - dtmf: 12\n        next: done\n      - dtmf: 1\n        next: done\n      - dtmf: '1'\n        next: done\n",
    );
    assert_eq!(
        findings(&source),
        vec![
            "12:9: a route needs `intent`, `dtmf` or both",
            "13:15: `dtmf` must be one keypad key (0-9, *, #, A-D), found `12`",
            "17:9: key `1` is already routed at line 15 of `menu`",
        ]
    );
}

#[test]
fn undeclared_variables_are_reported() {
    let source = edit("    hangup: Bye\n", "    hangup: Bye {name}, see {shop\n");
    assert_eq!(
        findings(&source),
        vec!["13:13: text of `done` has a `{` at character 17 that is never closed (write `{{` for a literal brace)"]
    );
    let source = edit("    hangup: Bye\n", "    hangup: Bye {name}\n");
    assert_eq!(
        findings(&source),
        vec!["13:13: text of `done` uses undeclared variable `{name}` (declare it under `variables`)"]
    );
    let declared = source.replacen(
        "start: menu\n",
        "start: menu\nvariables:\n  name: friend\n",
        1,
    );
    assert!(findings(&declared).is_empty());
}

#[test]
fn unsupported_version_is_reported() {
    assert_eq!(
        findings(&format!("version: 2\n{VALID}")),
        vec!["1:10: unsupported flow language version 2; this Hotline reads version 1"]
    );
}

#[test]
fn several_errors_are_reported_at_once_in_file_order() {
    let source = "\
flow: many
start: nowhere
settings:
  no_input_timeout: soon
intents:
  empty:
nodes:
  a:
    say: Hi
";
    let found = findings(source);
    assert_eq!(
        found,
        vec![
            "2:8: `start` names unknown node `nowhere`",
            "4:21: invalid duration for `no_input_timeout`: `soon` must start with a number, e.g. `6s`",
            "6:3: intent `empty` has no examples and no keywords, so it can never match",
            "9:5: say node `a` is missing required field `next`",
        ]
    );
}

#[test]
fn spoken_texts_are_rendered_with_declared_values_once_each() {
    let source = "flow: t\nvariables:\n  shop: Acme\nstart: hello\nintents:\n  done:\n    keywords: [bye]\nnodes:\n  hello:\n    say: \"Welcome to {shop}.\"\n    next: menu\n  menu:\n    ask: \"How can I help?\"\n    routes:\n      - intent: done\n        next: bye\n    no_input: \"How can I help?\"\n    no_match: \"Sorry?\"\n    on_failure: bye\n  bye:\n    hangup: \"Goodbye.\"\n";
    let flow = load_flow(source, "t.yaml").expect("valid flow");
    let texts = flow.spoken_texts();
    assert_eq!(
        texts,
        ["Welcome to Acme.", "How can I help?", "Sorry?", "Goodbye."]
    );
}

#[test]
fn a_string_with_commas_where_a_list_belongs_is_refused() {
    let source = edit(
        "    keywords: [yes]\n",
        "    keywords: refund, money back, return\n",
    );
    assert_eq!(
        findings(&source),
        vec!["5:15: `keywords` must be a list, found the string `refund, money back, return`; write `keywords: [refund, money back, return]` for 3 items, or `keywords: [\"refund, money back, return\"]` if it is one phrase with commas in it"]
    );
    // A single word still reads as a one-item list, and a quoted phrase in a list keeps its commas.
    let flow = load_flow(
        &edit("    keywords: [yes]\n", "    keywords: yes\n"),
        "t.yaml",
    )
    .expect("valid");
    assert_eq!(flow.intents()[0].keywords, ["yes"]);
    let flow = load_flow(
        &edit("    keywords: [yes]\n", "    keywords: [\"yes, please\"]\n"),
        "t.yaml",
    )
    .expect("valid");
    assert_eq!(flow.intents()[0].keywords, ["yes, please"]);
}
