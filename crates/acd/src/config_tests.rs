//! Tests for reading `agents.yaml` and `queues.yaml`: good files, defaults, and each refusal
//! with the line it points at.

use std::path::Path;
use std::time::Duration;

use crate::{parse_agents, parse_queues, AcdError, Overflow, TransferMode};

const AGENTS: &str = "agents.yaml";
const QUEUES: &str = "sip-config/queues.yaml";

/// The (line, reason) of a configuration error (a sentence's problem is its reason).
fn refusal(result: Result<impl std::fmt::Debug, AcdError>) -> (usize, String) {
    match result.expect_err("the file should be refused") {
        AcdError::Config { line, reason, .. } => (line, reason),
        AcdError::Sentence { line, problem, .. } => (line, problem.to_string()),
        other => panic!("expected a configuration error, got {other:?}"),
    }
}

fn agents_refusal(text: &str) -> (usize, String) {
    refusal(parse_agents(text, Path::new(AGENTS)))
}

fn queues_refusal(text: &str) -> (usize, String) {
    refusal(parse_queues(text, Path::new(QUEUES)))
}

#[test]
fn reads_the_documented_agents_file() {
    let text = "\
realm: example
agents:
  - id: alice
    name: Alice Smith
    password: change-me-alice
    skills: [support, english]
  - id: carol-mobile
    name: Carol (mobile)
    uri: sip:+15551234@trunk.example.com
    skills: [support]
";
    let file = parse_agents(text, Path::new(AGENTS)).expect("valid");
    assert_eq!(file.realm, "example");
    assert_eq!(file.agents.len(), 2);
    let alice = &file.agents[0];
    assert_eq!(alice.id, "alice");
    assert_eq!(alice.name, "Alice Smith");
    assert_eq!(alice.password.as_deref(), Some("change-me-alice"));
    assert_eq!(alice.skills, ["support", "english"]);
    assert!(!alice.is_external());
    let carol = &file.agents[1];
    assert_eq!(
        carol.uri.as_deref(),
        Some("sip:+15551234@trunk.example.com")
    );
    assert!(carol.password.is_none());
    assert!(carol.is_external());
}

#[test]
fn agents_realm_defaults_and_name_defaults_to_id() {
    let file =
        parse_agents("agents:\n  - id: bob\n    password: x\n", Path::new(AGENTS)).expect("valid");
    assert_eq!(file.realm, "hotline");
    assert_eq!(file.agents[0].name, "bob");
    assert!(file.agents[0].skills.is_empty());
}

#[test]
fn agents_refusals_name_their_line() {
    let (line, reason) = agents_refusal("agents:\n  - id: a\n    password: x\n    colour: red\n");
    assert_eq!(line, 4);
    assert!(reason.contains("unknown field `colour`"), "{reason}");

    let (line, reason) = agents_refusal(
        "agents:\n  - id: a\n    password: x\n  - id: b\n    password: y\n  - id: a\n    password: z\n",
    );
    assert_eq!(line, 6);
    assert_eq!(reason, "agent `a` is defined twice");

    let (line, reason) =
        agents_refusal("agents:\n  - id: a\n    password: x\n  - id: b\n    skills: [s]\n");
    assert_eq!(line, 4);
    assert!(reason.contains("needs a `password`"), "{reason}");

    let (line, reason) = agents_refusal("agents:\n  - id: a\n    uri: tel:123\n");
    assert_eq!(line, 3);
    assert!(reason.contains("SIP URI"), "{reason}");

    let (line, reason) = agents_refusal("agents:\n  - id: a b\n    password: x\n");
    assert_eq!(line, 2);
    assert!(reason.contains("SIP user name"), "{reason}");

    // A YAML syntax error: the unclosed list.
    let (line, reason) = agents_refusal("realm: x\nagents: [\n");
    assert_eq!(line, 2);
    assert!(!reason.is_empty());

    assert_eq!(
        agents_refusal("# nothing\n"),
        (1, "the file is empty".into())
    );
}

#[test]
fn error_display_is_file_line_reason() {
    let err = parse_agents("agents:\n  - id: a\n", Path::new("sip-config/agents.yaml"))
        .expect_err("no password");
    assert_eq!(
        err.to_string(),
        "sip-config/agents.yaml:2: agent `a` needs a `password` or `ha1_md5`/`ha1_sha256` (phone that registers) or a `uri` (external agent)"
    );
}

#[test]
fn reads_the_documented_queues_file() {
    let text = r##"queues:
  support:
    skills: [support]
    priority: 1
    max_wait: 3m
    overflow: voicemail
    mode: refer
    refer_to: sip:desk@pbx.example.com
    ring_timeout: 15s
    wrap_up: 0s
    announce_every: 30s
    service_level: 20s
    hold_music: voices/hold.wav
    callback_digit: "#"
    priority_callers: [+15550100]
    priority_variable: vip
  sales:
    skills: [sales, english]
    overflow: { queue: support }
"##;
    let queues = parse_queues(text, Path::new(QUEUES)).expect("valid");
    assert_eq!(queues.len(), 2);
    let support = &queues[0];
    assert_eq!(support.name, "support");
    assert_eq!(support.priority, 1);
    assert_eq!(support.max_wait, Duration::from_secs(180));
    assert_eq!(support.overflow, Overflow::Voicemail);
    assert_eq!(
        support.mode,
        TransferMode::Refer {
            target: "sip:desk@pbx.example.com".into()
        }
    );
    assert_eq!(support.wrap_up, Duration::ZERO);
    assert_eq!(
        support.hold_music.as_deref(),
        Some(Path::new("voices/hold.wav"))
    );
    assert_eq!(support.callback_digit, '#');
    assert_eq!(support.priority_callers, ["+15550100"]);
    assert_eq!(support.priority_variable.as_deref(), Some("vip"));
    assert!(support.is_priority_caller("+15550100", None));
    assert!(support.is_priority_caller("+1999", Some("Yes")));
    assert!(!support.is_priority_caller("+1999", Some("no")));

    let sales = &queues[1];
    assert_eq!(sales.name, "sales");
    assert_eq!(sales.skills, ["sales", "english"]);
    assert_eq!(sales.overflow, Overflow::Queue("support".into()));
    // Defaults.
    assert_eq!(sales.priority, 0);
    assert_eq!(sales.max_wait, Duration::from_secs(300));
    assert_eq!(sales.mode, TransferMode::Bridge);
    assert_eq!(sales.ring_timeout, Duration::from_secs(15));
    assert_eq!(sales.wrap_up, Duration::from_secs(10));
    assert_eq!(sales.announce_every, Duration::from_secs(30));
    assert_eq!(sales.service_level, Duration::from_secs(20));
    assert_eq!(sales.callback_digit, '1');
    assert!(sales.hold_music.is_none());
    assert!(!sales.is_priority_caller("+15550100", Some("yes")));
}

#[test]
fn overflow_to_an_undefined_queue_is_refused_at_its_line() {
    let text = "queues:\n  support:\n    skills: [support]\n    overflow: voicemail\n  cards:\n    skills: [cards]\n    overflow: { queue: sales }\n";
    let err = parse_queues(text, Path::new(QUEUES)).expect_err("sales is not defined");
    assert_eq!(
        err.to_string(),
        "sip-config/queues.yaml:7: overflow queue \"sales\" is not defined"
    );
}

#[test]
fn overflow_cycles_are_refused() {
    let (line, reason) = queues_refusal(
        "queues:\n  a:\n    overflow: { queue: b }\n  b:\n    overflow: { queue: a }\n",
    );
    assert_eq!(line, 3);
    assert_eq!(reason, "overflow cycle: a → b → a");

    let (line, reason) =
        queues_refusal("queues:\n  a:\n    skills: [x]\n    overflow: { queue: a }\n");
    assert_eq!(line, 4);
    assert_eq!(reason, "overflow cycle: a → a");

    // A chain that ends is fine.
    parse_queues(
        "queues:\n  a:\n    overflow: { queue: b }\n  b:\n    overflow: { queue: c }\n  c:\n    overflow: hangup\n",
        Path::new(QUEUES),
    )
    .expect("no cycle");
}

#[test]
fn queues_refusals_name_their_line() {
    let (line, reason) = queues_refusal("queues:\n  a:\n    skills: [x]\n    max_wiat: 3m\n");
    assert_eq!(line, 4);
    assert!(reason.contains("unknown field `max_wiat`"), "{reason}");

    let (line, reason) = queues_refusal("queues:\n  a:\n    mode: refer\n    skills: [x]\n");
    assert_eq!(line, 3);
    assert!(reason.contains("needs `refer_to"), "{reason}");

    let (line, reason) = queues_refusal("queues:\n  a:\n    skills: [x]\n    refer_to: sip:x@y\n");
    assert_eq!(line, 4);
    assert!(reason.contains("only used with `mode: refer`"), "{reason}");

    let (line, reason) = queues_refusal("queues:\n  a:\n    skills: [x]\n    max_wait: 3\n");
    assert_eq!(line, 4);
    assert!(
        reason.contains("invalid duration for `max_wait`"),
        "{reason}"
    );
    assert!(reason.contains("no unit"), "{reason}");

    let (line, reason) =
        queues_refusal("queues:\n  a:\n    skills: [x]\n\n    ring_timeout: soon\n");
    assert_eq!(line, 5);
    assert!(reason.contains("ring_timeout"), "{reason}");

    let (line, reason) = queues_refusal("queues:\n  a:\n    skills: [x]\n    ring_timeout: 0s\n");
    assert_eq!(line, 4);
    assert!(reason.contains("longer than zero"), "{reason}");

    let (line, reason) =
        queues_refusal("queues:\n  a:\n    skills: [x]\n    callback_digit: \"12\"\n");
    assert_eq!(line, 4);
    assert!(reason.contains("callback_digit"), "{reason}");

    let (line, reason) =
        queues_refusal("queues:\n  a:\n    skills: [x]\n    callback_attempts: 0\n");
    assert_eq!(line, 4);
    assert!(
        reason.contains("callback_attempts` must be at least 1"),
        "{reason}"
    );

    let (line, reason) =
        queues_refusal("queues:\n  a:\n    skills: [x]\n    callback_retry: later\n");
    assert_eq!(line, 4);
    assert!(reason.contains("callback_retry"), "{reason}");

    let (line, reason) = queues_refusal("queues:\n  a:\n    callback_digit: x\n");
    assert_eq!(line, 3);
    assert!(reason.contains("0-9, * or #"), "{reason}");

    let (line, reason) = queues_refusal("queues:\n  a:\n    overflow: voicemial\n");
    assert_eq!(line, 3);
    assert!(reason.contains("unknown overflow `voicemial`"), "{reason}");

    let (line, reason) = queues_refusal("queues:\n  a:\n    mode: transfer\n");
    assert_eq!(line, 3);
    assert!(reason.contains("unknown mode `transfer`"), "{reason}");

    let (line, _) = queues_refusal("queues:\n  a:\n    skills: [x]\n  a:\n    skills: [y]\n");
    assert_eq!(line, 4);
}

#[test]
fn unquoted_digit_is_accepted_as_callback_digit() {
    let queues =
        parse_queues("queues:\n  a:\n    callback_digit: 7\n", Path::new(QUEUES)).expect("valid");
    assert_eq!(queues[0].callback_digit, '7');
}

#[test]
fn messages_reword_every_queue_and_one_queue_rewords_them_again() {
    let text = "\
messages:
  position: \"Sie sind Nummer {position} in der Warteschlange.\"
  callback_offer: \"\"
queues:
  support:
    skills: [support]
  sales:
    messages:
      whisper: \"Sales call about {topic} ({reason}).\"
";
    let queues = parse_queues(text, Path::new(QUEUES)).expect("valid");
    let support = &queues[0].messages;
    assert_eq!(
        support.announcement(4, None, '1'),
        "Sie sind Nummer 4 in der Warteschlange."
    );
    assert_eq!(
        support.whisper(Some("returns"), "anger"),
        "New caller. Topic: returns. Reason: anger.",
        "a sentence not reworded keeps today's wording"
    );
    let sales = &queues[1].messages;
    assert_eq!(
        sales.whisper(Some("returns"), "anger"),
        "Sales call about returns (anger)."
    );
    assert_eq!(
        sales.announcement(4, None, '1'),
        "Sie sind Nummer 4 in der Warteschlange.",
        "the file's messages apply to every queue"
    );
}

#[test]
fn a_message_with_a_placeholder_it_cannot_fill_is_refused_at_its_line() {
    let (line, reason) = queues_refusal(
        "queues:\n  a:\n    messages:\n      position: \"You are {place} in line.\"\n",
    );
    assert_eq!(line, 4);
    assert!(reason.contains("unknown placeholder {place}"), "{reason}");
    assert!(reason.contains("{position}"), "{reason}");
    let (line, reason) =
        queues_refusal("messages:\n  no_agent: \"Sorry {name}\"\nqueues:\n  a: {}\n");
    assert_eq!(line, 2);
    assert!(reason.contains("takes no placeholders"), "{reason}");
}

#[test]
fn the_shipped_sip_config_files_parse() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../sip-config");
    let agents_path = root.join("agents.yaml");
    let queues_path = root.join("queues.yaml");
    let agents_text = std::fs::read_to_string(&agents_path).expect("sip-config/agents.yaml");
    let queues_text = std::fs::read_to_string(&queues_path).expect("sip-config/queues.yaml");

    let agents = parse_agents(&agents_text, &agents_path).expect("shipped agents.yaml is valid");
    assert_eq!(agents.realm, "hotline");
    let ids: Vec<&str> = agents.agents.iter().map(|a| a.id.as_str()).collect();
    assert_eq!(ids, ["agent1", "agent2"]);
    assert_eq!(agents.agents[0].password.as_deref(), Some("agent1-secret"));
    assert_eq!(agents.agents[1].password.as_deref(), Some("agent2-secret"));
    assert!(agents.agents.iter().all(|a| a.skills == ["support"]));

    let queues = parse_queues(&queues_text, &queues_path).expect("shipped queues.yaml is valid");
    let support = queues
        .iter()
        .find(|q| q.name == "support")
        .expect("support");
    assert_eq!(support.overflow, Overflow::Voicemail);
    let cards = queues.iter().find(|q| q.name == "cards").expect("cards");
    assert_eq!(cards.skills, ["cards"]);
    assert_eq!(cards.overflow, Overflow::Queue("support".into()));
}

#[test]
fn a_refused_sentence_is_named_by_file_line_and_column_with_a_suggestion() {
    let err = parse_queues(
        "queues:\n  a:\n    messages:\n      position: \"You are {postion} in line.\"\n",
        Path::new(QUEUES),
    )
    .expect_err("a misspelt placeholder");
    assert_eq!(
        err.to_string(),
        "sip-config/queues.yaml:4:17: queue `a`: sentence `position`: unknown placeholder {postion} (did you mean {position}?); it can use {position}"
    );

    let err = parse_queues(
        "messages:\n  no_agnet: \"Sorry.\"\nqueues:\n  a: {}\n",
        Path::new(QUEUES),
    )
    .expect_err("a misspelt sentence");
    assert_eq!(
        err.to_string(),
        "sip-config/queues.yaml:2:3: unknown sentence `no_agnet`; did you mean `no_agent`?"
    );

    let err = parse_queues(
        "messages:\n  greeting: \"Hello.\"\nqueues:\n  a: {}\n",
        Path::new(QUEUES),
    )
    .expect_err("not a queue sentence");
    assert!(
        err.to_string().starts_with("sip-config/queues.yaml:2:3: unknown sentence `greeting`; the sentences are no_agent, voicemail,"),
        "{err}"
    );

    let err = parse_queues(
        "queues:\n  a:\n    messages:\n      whisper: \"Call about {topic\"\n",
        Path::new(QUEUES),
    )
    .expect_err("an unclosed brace");
    assert_eq!(
        err.to_string(),
        "sip-config/queues.yaml:4:16: queue `a`: sentence `whisper`: a `{` is not closed by `}`"
    );

    let (line, reason) = queues_refusal(
        "messages:\n  no_agent: \"Sorry.\"\n  no_agent: \"Sorry again.\"\nqueues:\n  a: {}\n",
    );
    assert_eq!(line, 3);
    assert!(
        reason.contains("duplicate mapping key: no_agent"),
        "{reason}"
    );
}

#[test]
fn the_file_wide_sentences_are_kept_for_queues_the_file_does_not_define() {
    let file = crate::parse_queues_file(
        "messages:\n  no_agent: \"Nobody is here. Goodbye.\"\nqueues:\n  a: {}\n",
        Path::new(QUEUES),
    )
    .expect("valid");
    assert_eq!(file.messages.no_agent, "Nobody is here. Goodbye.");
    assert_eq!(file.queues[0].messages.no_agent, "Nobody is here. Goodbye.");
    assert_eq!(
        file.messages.voicemail,
        crate::QueueMessages::default().voicemail
    );
}

#[test]
fn ha1_hashes_replace_the_password_and_a_changed_realm_is_named_with_its_line() {
    let md5 = "0123456789abcdef0123456789ABCDEF";
    let sha = "a".repeat(64);
    let text = format!(
        "realm: shop\nagents:\n  - id: ann\n    ha1_md5: \"{md5}\"\n    ha1_sha256: \"{sha}\"\n    ha1_realm: shop\n"
    );
    let agents = parse_agents(&text, Path::new(AGENTS)).expect("valid");
    let ann = &agents.agents[0];
    assert_eq!(ann.password, None);
    let ha1 = ann.ha1.as_ref().expect("hashes");
    assert_eq!(ha1.md5.as_deref(), Some(md5.to_ascii_lowercase().as_str()));
    assert_eq!(ha1.sha256.as_deref(), Some(sha.as_str()));

    let moved = text.replace("realm: shop\nagents", "realm: hotline\nagents");
    let (line, reason) = agents_refusal(&moved);
    assert_eq!(line, 6);
    assert!(
        reason.contains("made for realm `shop` but `realm` is `hotline`"),
        "{reason}"
    );
    assert!(reason.contains("hotline agents passwd ann"), "{reason}");

    let (line, reason) = agents_refusal("agents:\n  - id: ann\n    ha1_md5: \"abc\"\n");
    assert_eq!(line, 3);
    assert!(reason.contains("32 hexadecimal digits"), "{reason}");

    let both = format!("agents:\n  - id: ann\n    password: x\n    ha1_md5: \"{md5}\"\n");
    let (line, reason) = agents_refusal(&both);
    assert_eq!(line, 3);
    assert!(reason.contains("both `password` and HA1"), "{reason}");
}

#[test]
fn callback_settings_are_read_with_their_defaults() {
    let queues = parse_queues(
        "queues:\n  a:\n    skills: [x]\n    callback_trunk: main\n    callback_attempts: 5\n    callback_retry: 2m\n  b:\n    skills: [x]\n",
        Path::new(QUEUES),
    )
    .unwrap();
    assert_eq!(queues[0].callback_trunk.as_deref(), Some("main"));
    assert_eq!(queues[0].callback_policy.max_attempts, 5);
    assert_eq!(
        queues[0].callback_policy.retry_delay,
        std::time::Duration::from_secs(120)
    );
    assert_eq!(queues[1].callback_trunk, None);
    assert_eq!(queues[1].callback_policy.max_attempts, 3);
    assert_eq!(
        queues[1].callback_policy.retry_delay,
        std::time::Duration::from_secs(600)
    );
}
