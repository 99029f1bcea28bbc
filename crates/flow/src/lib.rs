//! Hotline's call flows: the YAML flow language, its validation (every problem reported with
//! file, line and column), intent matching, and the dialogue engine, a pure state machine that
//! the runtime drives with caller input and the time.
//!
//! No IO happens here: callers pass file *text* and a file name, and the time since the call
//! started.
//!
//! ```
//! use std::sync::Arc;
//! use std::time::Duration;
//! use hotline_flow::{load_flow, Action, CallerInput, Conversation, KeywordMatcher};
//!
//! let source = r#"
//! flow: tiny
//! start: menu
//! intents:
//!   bye: { keywords: [bye, goodbye] }
//! nodes:
//!   menu:
//!     ask: "Say bye to leave."
//!     routes:
//!       - intent: bye
//!         next: goodbye
//!   goodbye:
//!     hangup: "Goodbye!"
//! "#;
//! let flow = Arc::new(load_flow(source, "tiny.yaml").expect("valid flow"));
//! let matcher = Arc::new(KeywordMatcher::new(&flow));
//! let mut call = Conversation::new(flow, matcher);
//! call.start(Duration::ZERO);
//! let speech = CallerInput::Speech { text: " Bye!".into(), confidence: 0.9 };
//! let actions = call.handle(speech, Duration::from_secs(3));
//! assert!(matches!(actions.last(), Some(Action::Hangup { .. })));
//! assert!(call.is_finished());
//! ```

mod check;
pub mod condition;
pub mod diagnostic;
mod duration;
pub mod engine;
pub mod error;
pub mod faq;
pub mod flow;
pub mod hot_words;
pub mod matcher;
mod parse;
pub mod privacy;
pub mod say_as;
pub mod schema;
pub mod script;
pub mod slots;
mod template;
mod yaml;

pub use condition::Condition;
pub use diagnostic::{Diagnostic, Severity, SourcePos};
pub use duration::parse_duration_text;
pub use engine::{Action, CallerInput, Conversation, HttpRequest};
pub use error::FlowError;
pub use faq::{FaqAnswer, FaqAnswerer, KeywordFaq};
pub use flow::{check, load_flow, Flow};
pub use hot_words::hot_words;
pub use matcher::{
    is_no_speech, IntentMatch, IntentMatcher, KeywordMatcher, NearMiss, NearMissMatcher,
};
pub use parse::LANGUAGE_VERSION;
pub use say_as::{Currency, SayAs};
pub use schema::{
    AskNode, FaqEntry, FaqNode, GotoNode, HangupNode, HttpMethod, HttpNode, IfNode, Intent,
    JsonTemplate, ListenModes, Located, Node, NodeKind, RecordNode, Route, RouteNode, RouteSource,
    SayNode, SetNode, Settings, SlotSpec, TicketNode, TransferNode,
};
pub use script::{run_script, Script, ScriptReport, StepFailure};
pub use slots::{parse_slot, CalendarDate, SlotType};
