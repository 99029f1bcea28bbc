//! `EmbeddingMatcher`: the flow engine's `IntentMatcher` backed by sentence embeddings of the
//! flow's intent examples, with the keyword matcher as a second opinion.

use std::sync::Arc;

use hotline_flow::{
    is_no_speech, Flow, Intent, IntentMatch, IntentMatcher, KeywordMatcher, NearMissMatcher,
};

use crate::classifier::{ClassifierOptions, Example, IntentClassifier};
use crate::{NluError, SentenceEncoder};

/// Cosine similarity to an intent's closest example needed for an embedding match (a flow's
/// `intent_threshold` setting defaults to the same value). Lower
/// than [`crate::DEFAULT_THRESHOLD`] because a flow has a handful of examples per intent, not
/// a hundred: on the shop flow paraphrases score 0.55 to 0.9, unrelated sentences 0.2 to 0.4.
pub const MATCH_THRESHOLD: f32 = 0.55;
/// A keyword match also needs at least this similarity to the same intent's examples, so a
/// stray keyword in an unrelated sentence does not route the call.
pub const DEFAULT_KEYWORD_FLOOR: f32 = 0.3;

/// Matches transcripts to a flow's intents by meaning: the transcript's embedding against
/// the embeddings of each intent's examples. Intents that have only keywords, and short
/// answers such as "yes" or "no", are handled by the flow's [`KeywordMatcher`].
pub struct EmbeddingMatcher {
    encoder: Arc<SentenceEncoder>,
    /// `None` when no intent has examples.
    classifier: Option<IntentClassifier>,
    /// The second opinion: keywords only, since the embeddings already judge the examples (word
    /// overlap with an example let "open a bank account" reach "when are you open").
    keywords: KeywordMatcher,
    /// Keywords and examples, for when the encoder fails.
    fallback: KeywordMatcher,
    threshold: f32,
    keyword_floor: f32,
    /// The last resort when the flow's `near_miss` setting is on: the words that survived a
    /// misheard question, when they point clearly to one intent.
    near_miss: Option<NearMissMatcher>,
}

impl std::fmt::Debug for EmbeddingMatcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EmbeddingMatcher")
            .field(
                "intents",
                &self.classifier.as_ref().map(IntentClassifier::intents),
            )
            .field("threshold", &self.threshold)
            .field("keyword_floor", &self.keyword_floor)
            .field("near_miss", &self.near_miss.is_some())
            .finish_non_exhaustive()
    }
}

impl EmbeddingMatcher {
    /// A matcher for all intents of `flow`, with the flow's `intent_threshold` and, when its
    /// `near_miss` setting is on, near-miss matching; embeds every example once.
    pub fn new(flow: &Flow, encoder: Arc<SentenceEncoder>) -> Result<Self, NluError> {
        let near_miss = flow
            .settings()
            .near_miss
            .then(|| NearMissMatcher::new(flow));
        Ok(Self::from_intents(flow.intents(), encoder)?
            .with_threshold(flow.settings().intent_threshold)
            .with_near_miss(near_miss))
    }

    /// A matcher for the given intents.
    pub fn from_intents(
        intents: &[Intent],
        encoder: Arc<SentenceEncoder>,
    ) -> Result<Self, NluError> {
        let labelled: Vec<(&str, &str)> = intents
            .iter()
            .flat_map(|intent| {
                intent
                    .examples
                    .iter()
                    .map(|e| (intent.id.as_str(), e.as_str()))
            })
            .collect();
        let texts: Vec<&str> = labelled.iter().map(|(_, text)| *text).collect();
        let embeddings = encoder.embed(&texts)?;
        let examples: Vec<Example<'_>> = labelled
            .iter()
            .zip(&embeddings)
            .map(|(&(intent, text), embedding)| Example {
                intent,
                text,
                embedding,
            })
            .collect();
        let classifier = if examples.is_empty() {
            None
        } else {
            Some(IntentClassifier::train(
                &examples,
                ClassifierOptions::default(),
            )?)
        };
        Ok(EmbeddingMatcher {
            encoder,
            classifier,
            keywords: KeywordMatcher::from_intents(&keywords_only(intents)),
            fallback: KeywordMatcher::from_intents(intents),
            threshold: MATCH_THRESHOLD,
            keyword_floor: DEFAULT_KEYWORD_FLOOR,
            near_miss: None,
        })
    }

    /// Turns near-miss matching on (`Some`) or off (`None`, the default), whatever the flow says.
    pub fn with_near_miss(mut self, near_miss: Option<NearMissMatcher>) -> Self {
        self.near_miss = near_miss;
        self
    }

    /// Changes the similarity needed for an embedding match (default [`MATCH_THRESHOLD`]).
    pub fn with_threshold(mut self, threshold: f32) -> Self {
        self.threshold = threshold;
        self
    }

    /// Changes the similarity a keyword match needs (default [`DEFAULT_KEYWORD_FLOOR`]).
    pub fn with_keyword_floor(mut self, floor: f32) -> Self {
        self.keyword_floor = floor;
        self
    }

    /// The best intent for `text`, or `None`; errors only when the encoder fails.
    pub fn try_classify(&self, text: &str) -> Result<Option<IntentMatch>, NluError> {
        if is_no_speech(text) {
            return Ok(None);
        }
        let Some(classifier) = &self.classifier else {
            return Ok(self.fallback.classify(text));
        };
        let keyword = self.keywords.classify(text);
        let embedding = self.encoder.embed_one(text)?;
        let prediction = classifier.predict(text, &embedding)?;
        if prediction.similarity >= self.threshold {
            return Ok(Some(IntentMatch {
                intent: classifier.intents()[prediction.intent].clone(),
                score: prediction.similarity.clamp(0.0, 1.0),
                near_miss: Vec::new(),
            }));
        }
        let (_, similarity) = classifier.probabilities(text, &embedding)?;
        // A keyword or near-miss match counts only when the embeddings do not contradict it.
        let not_contradicted = |intent: &str| {
            match classifier.intents().iter().position(|i| i == intent) {
                Some(index) => similarity[index] >= self.keyword_floor,
                // An intent with keywords only: nothing to compare with.
                None => true,
            }
        };
        if let Some(found) = keyword.filter(|found| not_contradicted(&found.intent)) {
            return Ok(Some(found));
        }
        Ok(self
            .near_miss
            .as_ref()
            .and_then(|m| m.find(text))
            .filter(|found| not_contradicted(&found.intent))
            .map(|found| IntentMatch {
                intent: found.intent,
                score: found.score,
                near_miss: found.words,
            }))
    }
}

impl IntentMatcher for EmbeddingMatcher {
    /// The embedding match, else a keyword match the embeddings do not contradict. If the
    /// encoder fails, the keyword matcher answers alone.
    fn classify(&self, text: &str) -> Option<IntentMatch> {
        self.try_classify(text)
            .unwrap_or_else(|_| self.fallback.classify(text))
    }

    /// The intent with the closest example and that similarity, whatever the threshold.
    fn best_candidate(&self, text: &str) -> Option<IntentMatch> {
        if is_no_speech(text) {
            return None;
        }
        let Some(classifier) = &self.classifier else {
            return self.fallback.classify(text);
        };
        let embedding = self.encoder.embed_one(text).ok()?;
        let prediction = classifier.predict(text, &embedding).ok()?;
        Some(IntentMatch {
            intent: classifier.intents().get(prediction.intent)?.clone(),
            score: prediction.similarity.clamp(0.0, 1.0),
            near_miss: Vec::new(),
        })
    }
}

/// The intents with their examples left out.
fn keywords_only(intents: &[Intent]) -> Vec<Intent> {
    intents
        .iter()
        .map(|intent| {
            let mut bare = intent.clone();
            bare.examples.clear();
            bare
        })
        .collect()
}
