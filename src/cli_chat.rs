//! `hotline chat`: the phone path minus audio. Typed lines go through the same engine, matcher,
//! FAQ and text anger scorer as a call; `http` nodes make the real request, `ticket` prints the
//! ticket, `record` takes the next typed line as the message; and every turn shows how it was
//! understood (best intent with its score even below the threshold, FAQ candidates, slot fills,
//! mood) so a supervisor can tune a flow with it.

use std::collections::VecDeque;
use std::io::{BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use hotline_flow::{Action, CallerInput, Conversation, FaqAnswerer, IntentMatcher};

use crate::cli_flow::{encoder, parse_chat_line, show, ChatLine};
use crate::server::load_flow_file;

/// How many FAQ candidates a turn shows.
const FAQ_CANDIDATES: usize = 3;
/// Time that passes per typed line (what the engine's timers see).
const TURN: Duration = Duration::from_secs(5);

/// Talks to a flow as text: lines are what the caller says; digits are key presses; an empty
/// line is silence; `/quit` hangs up.
pub async fn chat(flow_file: &Path) -> anyhow::Result<()> {
    let config = crate::config::Config::load(None).ok();
    let active = load_flow_file(flow_file, encoder().as_ref())?;
    let mood = config
        .as_ref()
        .and_then(|c| mood_tracker(&c.speech.models_dir));
    let conversation = Conversation::new(Arc::clone(&active.flow), Arc::clone(&active.matcher));
    let conversation = match &active.faq {
        Some(faq) => conversation.with_faq(Arc::clone(faq)),
        None => conversation,
    };
    eprintln!(
        "chatting with {} ({}); type what the caller says, digits to press keys, an empty line for silence, /quit to hang up",
        active.flow.name(),
        flow_file.display()
    );
    let mut session = ChatSession {
        conversation,
        matcher: Arc::clone(&active.matcher),
        faq: active.faq.clone(),
        mood,
        anger_threshold: active.flow.settings().anger_threshold,
        http: reqwest::Client::new(),
        failures_in_a_row: 0,
        clock: Duration::ZERO,
        tickets: 0,
        last_text: String::new(),
        out: std::io::stdout(),
    };
    let stdin = std::io::stdin();
    let typed_at_a_terminal = stdin.is_terminal();
    let mut lines = stdin.lock().lines();
    let start = session.conversation.start(Duration::ZERO);
    let mut finished = session.carry_out(start, &mut lines).await?;
    while !finished {
        write!(session.out, "you> ")?;
        session.out.flush()?;
        let Some(line) = lines.next() else { break };
        let line = line?;
        if !typed_at_a_terminal {
            // Piped input is not echoed: show it, so the transcript reads like a conversation.
            writeln!(session.out, "{line}")?;
        }
        session.clock += TURN;
        session.last_text.clear();
        let inputs = match parse_chat_line(&line) {
            ChatLine::Quit => vec![CallerInput::Hangup],
            ChatLine::Silence => {
                session.failures_in_a_row += 1;
                vec![CallerInput::NoInput]
            }
            ChatLine::Keys(keys) => keys.into_iter().map(CallerInput::Dtmf).collect(),
            ChatLine::Speech(text) => vec![session.hear(text)?],
        };
        let keys = matches!(inputs.first(), Some(CallerInput::Dtmf(_)));
        for input in inputs {
            let hangup = matches!(input, CallerInput::Hangup);
            let actions = session.conversation.handle(input, session.clock);
            finished = session.carry_out(actions, &mut lines).await? || hangup;
            if finished {
                break;
            }
        }
        // The end of a line of keys is the caller's pause: as on the phone, the digit timeout
        // ends a slot's entry.
        if keys && !finished && session.conversation.collecting_digits() {
            if let Some(deadline) = session.conversation.listen_deadline() {
                session.clock = session.clock.max(deadline);
            }
            writeln!(session.out, "     [pause: the keys are complete]")?;
            let actions = session
                .conversation
                .handle(CallerInput::NoInput, session.clock);
            finished = session.carry_out(actions, &mut lines).await?;
        }
    }
    Ok(())
}

/// The phone path's mood tracker, when the VADER lexicon is installed.
fn mood_tracker(models_dir: &Path) -> Option<hotline_mood::MoodTracker> {
    let path = models_dir.join(hotline_mood::LEXICON_FILE);
    match hotline_mood::Lexicon::load(&path) {
        Ok(lexicon) => Some(hotline_mood::MoodTracker::new(
            Arc::new(lexicon),
            hotline_mood::MoodConfig::default(),
        )),
        Err(e) => {
            eprintln!("mood lexicon unavailable ({e}); anger is not scored");
            None
        }
    }
}

struct ChatSession<W: Write> {
    conversation: Conversation,
    matcher: Arc<dyn IntentMatcher + Send + Sync>,
    faq: Option<Arc<dyn FaqAnswerer + Send + Sync>>,
    mood: Option<hotline_mood::MoodTracker>,
    anger_threshold: f32,
    http: reqwest::Client,
    /// Consecutive failed turns, as the call task counts them (for the anger score).
    failures_in_a_row: u32,
    clock: Duration,
    tickets: u32,
    /// The last typed utterance (empty after key presses and silence).
    last_text: String,
    out: W,
}

impl<W: Write> ChatSession<W> {
    /// A typed line as the phone path hands it to the engine: with its anger score from the
    /// words (no voice), and the explanation lines shown before the bot answers.
    fn hear(&mut self, text: String) -> std::io::Result<CallerInput> {
        text.clone_into(&mut self.last_text);
        let candidates = self
            .faq
            .as_ref()
            .map(|faq| faq.candidates(&text))
            .unwrap_or_default();
        if !candidates.is_empty() {
            let shown: Vec<String> = candidates
                .iter()
                .take(FAQ_CANDIDATES)
                .map(|c| format!("{} {:.2}", c.entry, c.score))
                .collect();
            writeln!(self.out, "     [faq candidates: {}]", shown.join(", "))?;
        }
        let Some(mood) = &mut self.mood else {
            return Ok(CallerInput::Speech {
                text,
                confidence: 1.0,
            });
        };
        let reading = mood.observe(hotline_mood::TurnObservation {
            text: &text,
            audio_8k: None,
            failures_in_a_row: self.failures_in_a_row,
        });
        writeln!(
            self.out,
            "     [{}]",
            mood_line(&reading, self.anger_threshold)
        )?;
        Ok(CallerInput::SpeechWithMood {
            text,
            confidence: 1.0,
            anger: reading.anger,
        })
    }

    /// Prints and carries out the engine's actions, feeding back what it waits for (HTTP
    /// answers, ticket ids, recordings); true when the call is over.
    async fn carry_out(
        &mut self,
        actions: Vec<Action>,
        lines: &mut impl Iterator<Item = std::io::Result<String>>,
    ) -> anyhow::Result<bool> {
        let mut queue: VecDeque<Action> = actions.into();
        let mut over = false;
        while let Some(action) = queue.pop_front() {
            let reply = match action {
                Action::Matched {
                    intent,
                    score,
                    node,
                } => {
                    self.matched(intent, score, &node)?;
                    None
                }
                Action::SlotFilled { slot, value, node } => {
                    writeln!(self.out, "     [slot {slot} = {value:?} at {node}]")?;
                    None
                }
                Action::FaqAnswered { entry, score, node } => {
                    match entry {
                        Some(entry) => {
                            writeln!(self.out, "     [faq {entry} {score:.2} at {node}]")?
                        }
                        None => writeln!(
                            self.out,
                            "     [faq: no answer at {node}, best {score:.2} is below the threshold]"
                        )?,
                    }
                    None
                }
                Action::Http(request) => {
                    writeln!(
                        self.out,
                        "     [http {} {}]",
                        request.method.as_str(),
                        request.url
                    )?;
                    let answer = crate::call::business_api::call(&self.http, &request).await;
                    if let CallerInput::HttpResult { status, .. } = &answer {
                        match status {
                            Some(status) => writeln!(self.out, "     [http answer: {status}]")?,
                            None => writeln!(self.out, "     [http: no answer]")?,
                        }
                    }
                    Some(answer)
                }
                Action::Ticket { summary, fields } => {
                    self.tickets += 1;
                    let id = format!("chat-{}", self.tickets);
                    writeln!(self.out, "     [{}]", ticket_line(&id, &summary, &fields))?;
                    Some(CallerInput::TicketCreated { id })
                }
                Action::Record { max, .. } => {
                    writeln!(
                        self.out,
                        "     [recording up to {} s: type the message on one line]",
                        max.as_secs()
                    )?;
                    write!(self.out, "message> ")?;
                    self.out.flush()?;
                    let note = lines.next().transpose()?.unwrap_or_default();
                    if !std::io::stdin().is_terminal() {
                        writeln!(self.out, "{note}")?;
                    }
                    let (path, duration) = self.keep_note(note.trim())?;
                    writeln!(self.out, "     [message kept in {}]", path.display())?;
                    Some(CallerInput::Recorded {
                        path: path.display().to_string(),
                        duration,
                    })
                }
                Action::Remember { key, value } => {
                    writeln!(self.out, "     [remember {key} = {value:?}]")?;
                    None
                }
                Action::Language { code } => {
                    writeln!(self.out, "     [language {code}]")?;
                    None
                }
                other => {
                    over |= show(&mut self.out, vec![other])?;
                    None
                }
            };
            if let Some(input) = reply {
                queue.extend(self.conversation.handle(input, self.clock));
            }
        }
        Ok(over)
    }

    /// The routed intent, or why nothing was routed with the closest intent and its score.
    fn matched(&mut self, intent: Option<String>, score: f32, node: &str) -> std::io::Result<()> {
        if let Some(intent) = intent {
            self.failures_in_a_row = 0;
            // A near miss (the flow's `near_miss` setting) says which surviving words decided.
            let near_miss = self
                .matcher
                .classify(&self.last_text)
                .filter(|m| m.intent == intent && !m.near_miss.is_empty())
                .map(|m| format!("; near miss on {}", m.near_miss.join(", ")))
                .unwrap_or_default();
            return writeln!(self.out, "     [{intent} {score:.2} at {node}{near_miss}]");
        }
        self.failures_in_a_row += 1;
        match self.matcher.best_candidate(&self.last_text) {
            Some(best) => writeln!(
                self.out,
                "     [no match at {node}; best intent {} {:.2}]",
                best.intent, best.score
            ),
            None => writeln!(self.out, "     [no match at {node}; no intent is close]"),
        }
    }

    /// A recorded message as a text file, with the time it would take to say.
    fn keep_note(&self, note: &str) -> std::io::Result<(PathBuf, Duration)> {
        let path = std::env::temp_dir().join(format!(
            "hotline-chat-{}-{}.txt",
            std::process::id(),
            self.clock.as_secs()
        ));
        std::fs::write(&path, format!("{note}\n"))?;
        Ok((path, spoken_length(note)))
    }
}

/// The mood line of a turn: anger against the threshold, sentiment and the cues that fired.
fn mood_line(reading: &hotline_mood::MoodReading, threshold: f32) -> String {
    let verdict = if reading.anger > threshold {
        "above"
    } else {
        "below"
    };
    let cues: Vec<String> = reading.cues.iter().map(|c| c.to_string()).collect();
    format!(
        "mood: anger {:.2} ({verdict} the threshold {threshold:.2}), sentiment {:+.2}{}",
        reading.anger,
        reading.sentiment,
        if cues.is_empty() {
            String::new()
        } else {
            format!("; {}", cues.join("; "))
        }
    )
}

/// The ticket a call would open, in one line.
fn ticket_line(id: &str, summary: &str, fields: &[(String, String)]) -> String {
    let fields: Vec<String> = fields.iter().map(|(k, v)| format!("{k} = {v:?}")).collect();
    format!(
        "ticket {id} (not stored): {summary:?}{}",
        if fields.is_empty() {
            String::new()
        } else {
            format!("; {}", fields.join(", "))
        }
    )
}

/// About two and a half words a second, at least a second.
fn spoken_length(note: &str) -> Duration {
    let words = note.split_whitespace().count() as f32;
    Duration::from_secs_f32((words / 2.5).max(1.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_ticket_line_names_its_fields() {
        let fields = vec![("order_number".to_string(), "4567".to_string())];
        assert_eq!(
            ticket_line("chat-1", "Callback about order 4567", &fields),
            "ticket chat-1 (not stored): \"Callback about order 4567\"; order_number = \"4567\""
        );
        assert_eq!(
            ticket_line("chat-2", "Call back", &[]),
            "ticket chat-2 (not stored): \"Call back\""
        );
    }

    #[test]
    fn a_typed_message_lasts_as_long_as_saying_it() {
        assert_eq!(spoken_length(""), Duration::from_secs(1));
        assert_eq!(
            spoken_length("one two three four five"),
            Duration::from_secs(2)
        );
    }
}
