//! Validation of the newer node kinds and settings: one broken input per rule, each with the
//! expected position and message.

use crate::flow::check;

/// All diagnostics of `source` as `line:column: message`.
fn findings(source: &str) -> Vec<String> {
    check(source, "t.yaml")
        .iter()
        .map(|d| d.to_string().trim_start_matches("t.yaml:").to_string())
        .collect()
}

#[test]
fn http_node_needs_on_failure() {
    let source = "flow: rules\nstart: lookup\nnodes:\n  lookup:\n    http: \"https://api.example/x\"\n    next: done\n  done:\n    hangup: Bye\n";
    assert_eq!(
        findings(source),
        ["5:5: http node `lookup` has no `on_failure`: every API call can fail or time out, so say where the call goes then"]
    );
}

#[test]
fn http_url_method_path_and_body_are_checked() {
    let source = "flow: rules\nstart: a\nnodes:\n  a:\n    http: \"ftp://x\"\n    method: get\n    body: { a: b }\n    map: { s: \"a..b\" }\n    next: done\n    on_failure: done\n  done:\n    hangup: Bye\n";
    assert_eq!(
        findings(source),
        [
            "4:3: http node `a` sends a `body` with GET; use `method: POST` (or PUT/PATCH)",
            "5:11: `http` must be a URL starting with `https://`, `http://` or a variable such as `{env.API_URL}`, found `ftp://x`",
            "8:15: `a..b` is not a JSON path such as `status` or `order.items.0.name`",
        ]
    );
    let bad_method = source.replace("method: get", "method: FETCH");
    assert_eq!(
        findings(&bad_method),
        [
            "5:11: `http` must be a URL starting with `https://`, `http://` or a variable such as `{env.API_URL}`, found `ftp://x`",
            "6:13: unknown HTTP method `FETCH`; use GET, POST, PUT, PATCH or DELETE",
        ]
    );
}

#[test]
fn say_as_kinds_and_secrets_in_spoken_texts_are_errors() {
    let source = "flow: rules\nvariables: { shop: Acme }\nstart: done\nnodes:\n  done:\n    hangup: \"Bye {shop:colour} {env.KEY}\"\n";
    assert_eq!(
        findings(source),
        [
            "6:13: text of `done` reads `shop` as `colour`, which is not a say-as kind; use one of: digits, spell, number, money, date, time, phone",
            "6:13: text of `done` uses the secret `{env.KEY}`; secrets may only be used in http requests, never spoken or stored",
        ]
    );
}

#[test]
fn variables_set_by_nodes_and_caller_facts_are_known() {
    let source = "flow: rules\nstart: a\nnodes:\n  a:\n    ask: \"Hi {caller.name} {contact.name}, your number?\"\n    slot: { name: n, type: digits }\n    next: b\n  b:\n    set: { copy: \"{n}\" }\n    next: done\n  done:\n    hangup: \"Bye {copy:digits}, {last_intent}\"\n";
    assert!(findings(source).is_empty(), "{:?}", findings(source));
}

#[test]
fn loops_through_set_if_and_goto_are_errors() {
    let source = "flow: rules\nstart: a\nnodes:\n  a:\n    set: { x: \"1\" }\n    next: b\n  b:\n    if: \"x == '1'\"\n    then: c\n    else: done\n  c:\n    goto: a\n  done:\n    hangup: Bye\n";
    assert_eq!(
        findings(source),
        ["4:3: nodes loop without ever waiting for input: a -> b -> c -> a"]
    );
}

#[test]
fn conditions_are_checked() {
    let base = "flow: rules\nstart: a\nnodes:\n  a:\n    if: \"COND\"\n    then: done\n    else: done\n  done:\n    hangup: Bye\n";
    let with = |cond: &str| findings(&base.replace("COND", cond));
    assert_eq!(
        with("x = 1"),
        ["5:9: invalid condition `x = 1`: write `==` to compare (a single `=` is not a comparison)"]
    );
    assert_eq!(
        with("mood > 3"),
        ["5:9: condition of `a` uses unknown variable `mood` (declare it under `variables` or set it in a node)"]
    );
    assert_eq!(
        with("caller.calls_count > 'many'"),
        ["5:9: invalid condition `caller.calls_count > 'many'`: `>` compares numbers, but 'many' is a text"]
    );
    assert!(with("caller.calls_count > 3 and not caller.open_ticket").is_empty());
}

#[test]
fn remember_and_faq_nodes_are_checked() {
    let source = "flow: rules\nremember: [language, colour]\nstart: a\nnodes:\n  a:\n    faq: \"{last_utterance}\"\n    next: done\n    on_no_answer: done\n  done:\n    hangup: Bye\n";
    assert_eq!(
        findings(source),
        [
            "2:22: `remember` names `colour`, which is not a variable of this flow",
            "5:3: faq node `a` has no knowledge base to answer from; add `faq:` entries at the top level",
        ]
    );
}

#[test]
fn slots_are_checked() {
    let base = "flow: rules\nstart: a\nnodes:\n  a:\n    ask: Number?\n    slot: SLOT\n    next: done\n  done:\n    hangup: Bye\n";
    assert_eq!(
        findings(&base.replace("SLOT", "{ name: n, type: colour }")),
        ["6:28: unknown slot type `colour`; use one of: digits, order_number, phone, date, date_of_birth, time, amount, yes_no, postcode, free_text"]
    );
    for kind in ["postcode", "free_text"] {
        assert_eq!(
            findings(&base.replace("SLOT", &format!("{{ name: n, type: {kind} }}"))),
            Vec::<String>::new(),
            "{kind} is a slot type"
        );
    }
    assert_eq!(
        findings(&base.replace("SLOT", "{ name: n, type: postcode, length: 5 }")),
        ["6:46: `length` only applies to `digits` and `order_number` slots, not `postcode`"]
    );
    assert_eq!(
        findings(&base.replace("SLOT", "{ name: n, type: time, length: 4 }")),
        ["6:42: `length` only applies to `digits` and `order_number` slots, not `time`"]
    );
    let no_next = base
        .replace("SLOT", "{ name: n, type: digits }")
        .replace("    next: done\n", "");
    assert_eq!(
        findings(&no_next),
        ["5:5: ask node `a` has `slot` without `next` or `next` without `slot`; add `next`"]
    );
}

#[test]
fn route_nodes_and_topics_are_checked() {
    let source = "flow: rules\nstart: menu\nintents:\n  agree:\n    keywords: [yes]\nroutes:\n  - intent: agree\n    topic: agre\n    next: r\nnodes:\n  menu:\n    ask: Ready?\n  r:\n    route: last_intent\n    routes:\n      - dtmf: \"1\"\n        next: done\n    default: done\n  done:\n    hangup: Bye\n";
    assert_eq!(
        findings(source),
        [
            "8:12: a global route names unknown intent `agre` (did you mean `agree`?)",
            "16:9: routes of route node `r` need an `intent` (there are no keys to press here)",
        ]
    );
}

#[test]
fn settings_ranges_are_checked() {
    let source = "flow: rules\nsettings:\n  anger_threshold: 1.5\n  currency: BTC\nstart: done\nnodes:\n  done:\n    hangup: Bye\n";
    assert_eq!(
        findings(source),
        [
            "3:20: `anger_threshold` must be between 0 and 1, found 1.5",
            "4:13: unknown currency `BTC`; use USD, EUR or GBP",
        ]
    );
}

#[test]
fn faq_entries_need_question_and_answer() {
    let source = "flow: rules\nstart: done\nfaq:\n  hours:\n    question: When are you open?\n  wrap:\n    answer: Yes, {colour}.\n    question: Gift wrap?\nnodes:\n  done:\n    hangup: Bye\n";
    assert_eq!(
        findings(source),
        [
            "5:5: faq entry `hours` is missing required field `answer`",
            "7:13: text of `wrap` uses undeclared variable `{colour}` (declare it under `variables`)",
        ]
    );
}
