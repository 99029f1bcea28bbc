//! Validation of a deliberately broken flow file: every problem is reported at once, each with
//! file, line and column.

use hotline_flow::{check, load_flow, Severity};

const BROKEN: &str = include_str!("data/broken.yaml");

#[test]
fn broken_flow_reports_every_problem_with_position() {
    let diagnostics = load_flow(BROKEN, "broken.yaml").expect_err("the flow is broken");
    let found: Vec<String> = diagnostics.iter().map(|d| d.to_string()).collect();
    assert_eq!(
        found,
        vec![
            "broken.yaml:5:21: invalid duration for `no_input_timeout`: `6 seconds` has an unknown unit (use `ms`, `s`, `m` or `h`)",
            "broken.yaml:6:13: `barge_in` must be true or false, found a string",
            "broken.yaml:10:3: intent `empty_intent` has no examples and no keywords, so it can never match",
            "broken.yaml:13:10: text of `welcome` uses undeclared variable `{shop}` (declare it under `variables`)",
            "broken.yaml:18:17: a route of `menu` names unknown intent `delivry` (did you mean `delivery`?)",
            "broken.yaml:21:15: `next` of a route of `menu` names unknown node `delivery_anser` (did you mean `delivery_answer`?)",
            "broken.yaml:22:17: `on_failure` of `menu` names unknown node `human`",
            "broken.yaml:23:5: unknown field `colour` in ask node `menu`; expected one of: ask, listen, timeout, routes, no_input, no_match, max_retries, on_failure, slot, next, otherwise, on_anger",
            "broken.yaml:24:3: `say` nodes loop without ever waiting for input: delivery_answer -> loop_back -> delivery_answer",
        ]
    );
    assert!(diagnostics.iter().all(|d| d.severity == Severity::Error));
}

#[test]
fn check_returns_the_same_diagnostics() {
    let from_load = load_flow(BROKEN, "broken.yaml").expect_err("broken");
    assert_eq!(check(BROKEN, "broken.yaml"), from_load);
}

#[test]
fn syntax_error_in_broken_yaml_is_positioned() {
    let source = BROKEN.replace("    next: menu\n", "    next: [menu\n");
    let diagnostics = load_flow(&source, "broken.yaml").expect_err("syntax error");
    assert_eq!(diagnostics.len(), 1, "{diagnostics:?}");
    let d = &diagnostics[0];
    assert_eq!((d.file.as_str(), d.line), ("broken.yaml", 15));
    assert!(d.message.starts_with("YAML syntax error:"), "{}", d.message);
}

#[test]
fn truncated_and_mangled_flows_never_panic() {
    let shop = include_str!("../../../flows/shop.yaml");
    let mut cut = 0;
    while cut < shop.len() {
        if shop.is_char_boundary(cut) {
            // Either loads or reports positioned errors; must not panic.
            if let Err(diagnostics) = load_flow(&shop[..cut], "cut.yaml") {
                assert!(diagnostics.iter().all(|d| d.line >= 1 && d.column >= 1));
            }
        }
        cut += 97;
    }
    for (from, to) in [(":", ""), ("  ", " "), ("-", "?"), ("\"", "'"), ("{", "[")] {
        let mangled = shop.replacen(from, to, 40);
        if let Err(diagnostics) = load_flow(&mangled, "mangled.yaml") {
            assert!(!diagnostics.is_empty());
        }
    }
}
