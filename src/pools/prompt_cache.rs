//! Synthesised sentences kept by their text: a flow says the same prompts on every call, so each
//! is synthesised once (ahead of the first call, by a background thread) and then played at once.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// 8 kHz audio of one sentence.
pub type SentenceAudio = Arc<Vec<i16>>;

pub struct PromptCache {
    entries: Mutex<HashMap<String, SentenceAudio>>,
    /// Most sentences kept; past it the cache starts over (flows have tens of prompts, dynamic
    /// texts with variables must not grow it without bound).
    limit: usize,
}

impl PromptCache {
    pub fn new(limit: usize) -> PromptCache {
        PromptCache {
            entries: Mutex::new(HashMap::new()),
            limit,
        }
    }

    pub fn get(&self, sentence: &str) -> Option<SentenceAudio> {
        self.lock().get(sentence).cloned()
    }

    pub fn insert(&self, sentence: &str, audio: SentenceAudio) {
        let mut entries = self.lock();
        if entries.len() >= self.limit && !entries.contains_key(sentence) {
            entries.clear();
        }
        entries.insert(sentence.to_string(), audio);
    }

    pub fn len(&self) -> usize {
        self.lock().len()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, SentenceAudio>> {
        self.entries
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_sentences_and_starts_over_past_its_limit() {
        let cache = PromptCache::new(2);
        cache.insert("Hello.", Arc::new(vec![1, 2]));
        cache.insert("Bye.", Arc::new(vec![3]));
        assert_eq!(cache.get("Hello.").as_deref(), Some(&vec![1, 2]));
        cache.insert("Bye.", Arc::new(vec![4]));
        assert_eq!(cache.len(), 2, "replacing an entry does not evict");
        cache.insert("Third.", Arc::new(vec![5]));
        assert_eq!(cache.len(), 1);
        assert!(cache.get("Hello.").is_none());
        assert_eq!(cache.get("Third.").as_deref(), Some(&vec![5]));
    }
}
