//! Cutting audio longer than Whisper's 30 s window into windows at its quietest points, and
//! joining the windows' texts into one.

use std::ops::Range;

/// Where a window should end when more audio follows, in seconds from its start.
pub const TARGET_WINDOW_SECONDS: f32 = 25.0;
/// How far either side of the target the quietest point is looked for, in seconds. The window
/// never exceeds 30 s: 25 + 4.5 plus Whisper's own margin.
const SEARCH_SECONDS: f32 = 4.5;
/// Energy is measured over frames of this length, in seconds (20 ms).
const FRAME_SECONDS: f32 = 0.02;
/// Shortest last window, in seconds: a cut is never placed closer than this to the end, since
/// Whisper reads a very short clip poorly.
const MIN_TAIL_SECONDS: f32 = 2.0;
/// Whisper's window.
const MAX_WINDOW_SECONDS: f32 = 30.0;

/// Sample ranges covering `samples` (at `rate` Hz) in order, each at most 30 s: the whole clip
/// when it fits, otherwise windows ending at the quietest 20 ms frame within 4.5 s of 25 s.
pub fn split_windows(samples: &[f32], rate: u32) -> Vec<Range<usize>> {
    let rate = rate as f32;
    let max = (MAX_WINDOW_SECONDS * rate) as usize;
    let frame = ((FRAME_SECONDS * rate) as usize).max(1);
    let mut windows = Vec::new();
    let mut start = 0;
    while samples.len() - start > max {
        let target = start + (TARGET_WINDOW_SECONDS * rate) as usize;
        let search = (SEARCH_SECONDS * rate) as usize;
        let last_cut = samples.len() - (MIN_TAIL_SECONDS * rate) as usize;
        let end = quietest_frame_end(
            samples,
            target - search,
            (target + search).min(last_cut),
            frame,
        );
        windows.push(start..end);
        start = end;
    }
    windows.push(start..samples.len());
    windows
}

/// The middle of the 20 ms frame with the least energy between `from` and `to` (ties: the
/// first), which is where a window ends.
fn quietest_frame_end(samples: &[f32], from: usize, to: usize, frame: usize) -> usize {
    let to = to.min(samples.len());
    let mut best = (f32::INFINITY, to);
    let mut at = from;
    while at + frame <= to {
        let energy: f32 = samples[at..at + frame].iter().map(|s| s * s).sum();
        if energy < best.0 {
            best = (energy, at + frame / 2);
        }
        at += frame / 2;
    }
    best.1
}

/// The windows' texts as one: trimmed, empty ones skipped, separated by a space.
pub fn join_texts<'a>(texts: impl IntoIterator<Item = &'a str>) -> String {
    texts
        .into_iter()
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    const RATE: u32 = 16_000;

    /// `seconds` of a loud tone with 300 ms pauses at the given times.
    fn speech_with_pauses(seconds: f32, pauses: &[f32]) -> Vec<f32> {
        let n = (seconds * RATE as f32) as usize;
        (0..n)
            .map(|i| {
                let t = i as f32 / RATE as f32;
                if pauses.iter().any(|p| t >= *p && t < p + 0.3) {
                    0.0
                } else {
                    0.5 * (2.0 * std::f32::consts::PI * 300.0 * t).sin()
                }
            })
            .collect()
    }

    fn seconds(samples: usize) -> f32 {
        samples as f32 / RATE as f32
    }

    #[test]
    fn a_clip_that_fits_is_one_window() {
        assert_eq!(
            split_windows(&vec![0.1; 16_000 * 30], RATE),
            vec![0..480_000]
        );
        assert_eq!(split_windows(&[0.1; 100], RATE), vec![0..100]);
        assert_eq!(split_windows(&[], RATE), vec![0..0]);
    }

    #[test]
    fn long_speech_is_cut_in_the_pause_nearest_25_seconds() {
        // 70 s with pauses at 12 s, 23 s (in reach of the first target), and 49.5 s.
        let audio = speech_with_pauses(70.0, &[12.0, 23.0, 49.5]);
        let windows = split_windows(&audio, RATE);
        assert_eq!(windows.len(), 3, "{windows:?}");
        let first_cut = seconds(windows[0].end);
        assert!((23.0..23.3).contains(&first_cut), "{first_cut}");
        let second_cut = seconds(windows[1].end);
        assert!((49.5..49.8).contains(&second_cut), "{second_cut}");
        assert_eq!(windows[2].end, audio.len());
        for pair in windows.windows(2) {
            assert_eq!(pair[0].end, pair[1].start, "windows are contiguous");
        }
        for w in &windows {
            assert!(seconds(w.len()) <= 30.0, "{w:?}");
        }
    }

    #[test]
    fn speech_without_a_pause_is_still_cut_within_30_seconds() {
        let audio = speech_with_pauses(95.0, &[]);
        let windows = split_windows(&audio, RATE);
        assert_eq!(windows.first().map(|w| w.start), Some(0));
        assert_eq!(windows.last().map(|w| w.end), Some(audio.len()));
        let total: usize = windows.iter().map(|w| w.len()).sum();
        assert_eq!(total, audio.len());
        for w in &windows {
            assert!(seconds(w.len()) <= 30.0, "{w:?}");
        }
    }

    #[test]
    fn the_last_window_is_never_shorter_than_2_seconds() {
        // 31 s with its only pause at 29.8 s: a cut there would leave 1.2 s.
        let audio = speech_with_pauses(31.0, &[29.8]);
        let windows = split_windows(&audio, RATE);
        assert_eq!(windows.len(), 2, "{windows:?}");
        assert!(seconds(windows[1].len()) >= 2.0, "{windows:?}");
        assert!(seconds(windows[0].len()) <= 30.0, "{windows:?}");
    }

    #[test]
    fn texts_are_joined_with_single_spaces() {
        assert_eq!(
            join_texts([" Hello there. ", "", "How are you?"]),
            "Hello there. How are you?"
        );
        assert_eq!(join_texts([]), "");
    }
}
