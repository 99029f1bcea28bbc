//! Where the endpoint's unpredictable identifiers come from: tags, branches, Call-IDs and
//! the registrar's nonce key. Production reads the operating system's generator; unit tests
//! inject a seeded one so every run sends the same bytes.

/// A source of random 64-bit words, injected into [`crate::Endpoint::new`].
pub trait RandomSource: Send {
    /// The next random word.
    fn next_u64(&mut self) -> u64;
}

/// The operating system's generator (`getrandom`): what a server facing strangers must use,
/// since anyone who can predict a branch or a tag can forge responses or hijack dialogs.
#[derive(Clone, Copy, Debug, Default)]
pub struct OsRandom;

impl RandomSource for OsRandom {
    fn next_u64(&mut self) -> u64 {
        // The OS generator does not fail on the platforms we run on; if it ever did, going on
        // with guessable identifiers would be worse than stopping.
        getrandom::u64().expect("the operating system's random generator failed")
    }
}

/// SplitMix64 from a seed: deterministic identifiers for unit tests only.
#[cfg(test)]
#[derive(Clone, Debug)]
pub(crate) struct SplitMix64 {
    state: u64,
}

#[cfg(test)]
impl SplitMix64 {
    pub fn new(seed: u64) -> SplitMix64 {
        SplitMix64 { state: seed }
    }
}

#[cfg(test)]
impl RandomSource for SplitMix64 {
    fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn os_words_differ_and_seeded_ones_repeat() {
        let mut os = OsRandom;
        assert_ne!(os.next_u64(), os.next_u64());
        assert_eq!(SplitMix64::new(1).next_u64(), SplitMix64::new(1).next_u64());
        assert_ne!(SplitMix64::new(2).next_u64(), SplitMix64::new(3).next_u64());
    }
}
