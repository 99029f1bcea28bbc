//! What the flow expects the caller to say next, so Whisper can be run the way that hears it
//! best. A number read digit by digit is heard with the encoder's full 30 s window: with the
//! window fitted to the clip, base repeats the last digit ("8 8 7 8 9 7 7 7" for 8878977) on
//! about a quarter of 7-digit numbers (`hotline bench digits`, docs/benchmarks.md).

use crate::AudioWindow;

/// The kind of answer the caller is about to give.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
pub enum Expect {
    /// Anything: the server's window (fitted to the clip, for speed).
    #[default]
    Speech,
    /// A digit sequence (account, order, card, phone number) read digit by digit: the full
    /// 30 s window, as the model was trained.
    Digits,
}

impl Expect {
    /// The encoder window to transcribe with, given the server's own choice.
    pub fn window(self, configured: AudioWindow) -> AudioWindow {
        match self {
            Expect::Speech => configured,
            Expect::Digits => AudioWindow::Full,
        }
    }

    /// The name used in logs and benchmarks.
    pub fn name(self) -> &'static str {
        match self {
            Expect::Speech => "speech",
            Expect::Digits => "digits",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digits_get_the_full_window_and_speech_the_configured_one() {
        let fitted = AudioWindow::Fit { min_frames: 384 };
        assert_eq!(Expect::Speech.window(fitted), fitted);
        assert_eq!(Expect::Digits.window(fitted), AudioWindow::Full);
    }
}
