//! IPA phonemes from the `espeak-ng` program, run as a separate process, shaped the way Piper
//! was trained.
//!
//! The program is run, not linked: linking libespeak-ng would make our binary GPL-3.0.
//! `espeak-ng -q --ipa` prints IPA without separators or ties, which is what Piper's
//! `phoneme_id_map` expects. One process per clause costs about 12 ms here, small beside
//! the model's time. A long-lived process is not used: the number of lines it prints per
//! input line depends on espeak-ng's own clause rules, so replies cannot be matched to
//! requests reliably.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::text::Clause;
use crate::SpeakError;

/// The Debian program name; the package is `espeak-ng`.
pub const ESPEAK_PROGRAM: &str = "espeak-ng";

/// Turns clauses into Piper's phoneme string with the `espeak-ng` program.
#[derive(Debug, Clone)]
pub struct Phonemizer {
    program: PathBuf,
    voice: String,
}

impl Phonemizer {
    /// A phonemizer for an espeak-ng voice such as `en-us`, running `espeak-ng` from `PATH`.
    pub fn new(voice: &str) -> Self {
        Self::with_program(Path::new(ESPEAK_PROGRAM), voice)
    }

    /// A phonemizer running the given espeak-ng executable.
    pub fn with_program(program: &Path, voice: &str) -> Self {
        Phonemizer {
            program: program.to_path_buf(),
            voice: voice.to_string(),
        }
    }

    /// The espeak-ng voice name.
    pub fn voice(&self) -> &str {
        &self.voice
    }

    /// Runs espeak-ng once on one clause of text and returns its IPA, words separated by
    /// single spaces, without punctuation.
    pub fn clause_ipa(&self, text: &str) -> Result<String, SpeakError> {
        let mut child = Command::new(&self.program)
            .args(["-q", "--ipa", "-v", &self.voice, "--stdin"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|source| SpeakError::EspeakMissing {
                program: self.program.clone(),
                source,
            })?;
        let io_error = |source| SpeakError::EspeakIo {
            program: self.program.clone(),
            source,
        };
        if let Some(mut stdin) = child.stdin.take() {
            // One line: espeak-ng must not see our newlines as extra clause breaks.
            let line: String = text
                .chars()
                .map(|c| if c.is_control() { ' ' } else { c })
                .collect();
            stdin.write_all(line.as_bytes()).map_err(io_error)?;
            stdin.write_all(b"\n").map_err(io_error)?;
        }
        let output = child.wait_with_output().map_err(io_error)?;
        if !output.status.success() {
            return Err(SpeakError::EspeakFailed {
                program: self.program.clone(),
                status: output.status,
                stderr: String::from_utf8_lossy(&output.stderr).trim().to_string(),
            });
        }
        Ok(clean_ipa(&String::from_utf8_lossy(&output.stdout)))
    }

    /// Phonemizes a sentence's clauses into one Piper phoneme string: each clause's IPA
    /// followed by its mark, with a space after inner marks (`,` `;` `:`), as Piper's own
    /// phonemizer writes them ("həlˈoʊ, wˈɜːld.").
    pub(crate) fn sentence_phonemes(&self, clauses: &[Clause]) -> Result<String, SpeakError> {
        let mut phonemes = String::new();
        for clause in clauses {
            let ipa = self.clause_ipa(&clause.text)?;
            if ipa.is_empty() {
                continue;
            }
            phonemes.push_str(&ipa);
            phonemes.push(clause.mark);
            if matches!(clause.mark, ',' | ';' | ':') {
                phonemes.push(' ');
            }
        }
        Ok(phonemes.trim_end().to_string())
    }
}

/// Joins espeak-ng's output lines (it breaks lines at its own clause ends) and drops the
/// language-switch markers such as `(fr)` it prints around foreign words.
fn clean_ipa(output: &str) -> String {
    let mut cleaned = String::with_capacity(output.len());
    let mut rest = output;
    while let Some(open) = rest.find('(') {
        cleaned.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        match after.find(')') {
            Some(close) if is_language_tag(&after[..close]) => rest = &after[close + 1..],
            _ => {
                cleaned.push('(');
                rest = after;
            }
        }
    }
    cleaned.push_str(rest);
    cleaned.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn is_language_tag(tag: &str) -> bool {
    !tag.is_empty() && tag.len() <= 12 && tag.chars().all(|c| c.is_ascii_lowercase() || c == '-')
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::split_clauses;

    #[test]
    fn clean_ipa_joins_lines_and_drops_language_markers() {
        assert_eq!(clean_ipa("həlˈoʊ\nwˈɜːld\n"), "həlˈoʊ wˈɜːld");
        assert_eq!(clean_ipa("(fr)bɔ̃ʒˈuʁ(en) θˈæŋks\n"), "bɔ̃ʒˈuʁ θˈæŋks");
        assert_eq!(clean_ipa("a(b"), "a(b");
    }

    #[test]
    fn espeak_gives_ipa_without_separators_or_ties() {
        let ipa = Phonemizer::new("en-us")
            .clause_ipa("Hello world, judge")
            .expect("espeak-ng runs");
        assert!(ipa.contains("həlˈoʊ"), "{ipa}");
        assert!(ipa.contains("dʒˈʌdʒ"), "{ipa}");
        assert!(
            !ipa.contains('\u{200d}') && !ipa.contains('\u{361}') && !ipa.contains('_'),
            "{ipa}"
        );
        assert!(
            !ipa.contains(','),
            "espeak-ng itself prints no punctuation: {ipa}"
        );
    }

    #[test]
    fn sentence_phonemes_carry_punctuation_like_piper() {
        let phonemizer = Phonemizer::new("en-us");
        let first = phonemizer
            .sentence_phonemes(&split_clauses("Hello, world."))
            .expect("espeak-ng runs");
        assert_eq!(first, "həlˈoʊ, wˈɜːld.");
        let second = phonemizer
            .sentence_phonemes(&split_clauses("How are you?"))
            .expect("espeak-ng runs");
        assert!(
            second.starts_with("hˈaʊ") && second.ends_with('?'),
            "{second}"
        );
    }

    #[test]
    fn text_starting_with_a_dash_is_not_taken_for_an_option() {
        let ipa = Phonemizer::new("en-us")
            .clause_ipa("-v nothing")
            .expect("espeak-ng runs");
        assert!(ipa.contains("nˈʌθɪŋ"), "{ipa}");
    }

    #[test]
    fn missing_program_names_the_debian_package() {
        let phonemizer = Phonemizer::with_program(Path::new("/nonexistent/espeak-ng"), "en-us");
        let error = phonemizer.clause_ipa("hello").expect_err("no such program");
        assert!(matches!(error, SpeakError::EspeakMissing { .. }));
        assert!(
            error.to_string().contains("Debian package `espeak-ng`"),
            "{error}"
        );
    }

    #[test]
    fn unknown_voice_is_an_error_not_silence() {
        let error = Phonemizer::new("xx-nosuchvoice")
            .clause_ipa("hello")
            .expect_err("bad voice");
        assert!(
            matches!(error, SpeakError::EspeakFailed { .. }),
            "{error:?}"
        );
    }
}
