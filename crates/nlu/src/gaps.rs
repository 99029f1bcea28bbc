//! Grouping the questions the flow could not answer by meaning, so whoever maintains the flow
//! sees "asked 14 times: do you ship to Canada" instead of 14 separate transcripts.

use std::collections::hash_map::{Entry, HashMap};

use crate::vector::dot;
use crate::{NluError, SentenceEncoder};

/// Cosine similarity two questions (on average, between groups) need to share a group.
pub const DEFAULT_GAP_SIMILARITY: f32 = 0.6;

/// Questions that ask the same thing.
#[derive(Clone, Debug, PartialEq)]
pub struct GapGroup {
    /// The member closest to the group's centroid: the best single wording to show.
    pub representative: String,
    /// Distinct wordings (trimmed; case-insensitive duplicates dropped), in the order they
    /// were first asked.
    pub members: Vec<String>,
    /// How many of the given questions fell in this group, repeats included.
    pub count: usize,
}

/// What a call record holds about one caller turn, enough to tell a gap from a handled turn.
#[derive(Clone, Copy, Debug, Default)]
pub struct RecordedTurn<'a> {
    /// What the caller said.
    pub text: &'a str,
    /// The intent whose route was taken, if any.
    pub intent: Option<&'a str>,
    /// The turn's trace: one line per slot filled (`slot NAME = VALUE`), FAQ look-up
    /// (`faq ENTRY (SCORE)` or `faq no answer (SCORE)`), transfer (`transfer to QUEUE (REASON)`),
    /// API call and ticket.
    pub trace: Option<&'a str>,
}

/// True when nothing answered the turn: no intent's route was taken, the FAQ found no answer,
/// it filled no slot and it was not escalated to a person. Empty and non-speech turns are not
/// questions at all.
pub fn is_unanswered(turn: &RecordedTurn<'_>) -> bool {
    let text = turn.text.trim();
    if text.is_empty() || hotline_flow::is_no_speech(text) || turn.intent.is_some() {
        return false;
    }
    let handled = |line: &str| {
        line.starts_with("slot ")
            || line.starts_with("transfer ")
            || (line.starts_with("faq ") && !line.starts_with("faq no answer"))
    };
    !turn.trace.unwrap_or("").lines().map(str::trim).any(handled)
}

/// Groups `questions` whose meanings are close: average-linkage agglomerative clustering of
/// their MiniLM embeddings, merging while the average cosine similarity between two groups is
/// at least `similarity` ([`DEFAULT_GAP_SIMILARITY`] is a good start).
///
/// Empty and non-speech questions (`[BLANK_AUDIO]`) are skipped. Groups come largest
/// `count` first, ties in order of first appearance; the result depends only on the input.
pub fn group_unanswered(
    encoder: &SentenceEncoder,
    questions: &[String],
    similarity: f32,
) -> Result<Vec<GapGroup>, NluError> {
    // Distinct wordings with how often each was asked, in order of first appearance.
    let mut distinct: Vec<(String, usize)> = Vec::new();
    let mut seen: HashMap<String, usize> = HashMap::new();
    for question in questions {
        let text = question.trim();
        if hotline_flow::is_no_speech(text) {
            continue;
        }
        match seen.entry(dedup_key(text)) {
            Entry::Occupied(at) => {
                if let Some((_, asked)) = distinct.get_mut(*at.get()) {
                    *asked += 1;
                }
            }
            Entry::Vacant(slot) => {
                slot.insert(distinct.len());
                distinct.push((text.to_string(), 1));
            }
        }
    }
    let texts: Vec<&str> = distinct.iter().map(|(text, _)| text.as_str()).collect();
    let embeddings = encoder.embed(&texts)?;
    let mut groups: Vec<(usize, GapGroup)> = average_linkage(&embeddings, similarity)
        .into_iter()
        .filter_map(|members| {
            let first = *members.iter().min()?;
            let representative = closest_to_centroid(&embeddings, &members)?;
            let group = GapGroup {
                representative: distinct.get(representative)?.0.clone(),
                members: members
                    .iter()
                    .filter_map(|&i| distinct.get(i).map(|(text, _)| text.clone()))
                    .collect(),
                count: members
                    .iter()
                    .filter_map(|&i| distinct.get(i).map(|(_, n)| *n))
                    .sum(),
            };
            Some((first, group))
        })
        .collect();
    groups.sort_by(|(first_a, a), (first_b, b)| b.count.cmp(&a.count).then(first_a.cmp(first_b)));
    Ok(groups.into_iter().map(|(_, group)| group).collect())
}

/// Lower-cased with runs of whitespace made one space.
fn dedup_key(text: &str) -> String {
    text.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// The member (index into `embeddings`) most similar to the mean of the members; ties go to
/// the earliest.
fn closest_to_centroid(embeddings: &[Vec<f32>], members: &[usize]) -> Option<usize> {
    let width = embeddings.first().map_or(0, Vec::len);
    let mut centroid = vec![0.0_f32; width];
    for &i in members {
        centroid
            .iter_mut()
            .zip(embeddings.get(i)?)
            .for_each(|(c, v)| *c += v);
    }
    let mut best: Option<(usize, f32)> = None;
    for &i in members {
        let s = dot(&centroid, embeddings.get(i)?);
        if best.is_none_or(|(_, b)| s > b) {
            best = Some((i, s));
        }
    }
    best.map(|(i, _)| i)
}

/// A cluster while clustering: its members and the sum of their embeddings. The average
/// cosine between two clusters' members is the dot product of the sums over the sizes.
struct Cluster {
    members: Vec<usize>,
    sum: Vec<f32>,
}

impl Cluster {
    fn similarity(&self, other: &Cluster) -> f32 {
        let pairs = (self.members.len() * other.members.len()).max(1) as f32;
        dot(&self.sum, &other.sum) / pairs
    }
}

/// Average-linkage clustering of unit vectors, cut where the linkage drops below
/// `similarity`; returns each cluster's indices, ascending, clusters by lowest index.
///
/// Nearest-neighbour chain: follow each cluster to its most similar one until two are each
/// other's nearest, then merge them. Average linkage never makes a merged cluster more
/// similar to a third than its closer half was, so a cluster whose nearest neighbour is
/// below the cut is final. O(n² · dimensions) time, O(n · dimensions) memory.
fn average_linkage(embeddings: &[Vec<f32>], similarity: f32) -> Vec<Vec<usize>> {
    let mut clusters: Vec<Option<Cluster>> = embeddings
        .iter()
        .enumerate()
        .map(|(i, e)| {
            Some(Cluster {
                members: vec![i],
                sum: e.clone(),
            })
        })
        .collect();
    let mut finished: Vec<Vec<usize>> = Vec::new();
    let mut chain: Vec<usize> = Vec::new();
    loop {
        if chain.is_empty() {
            match clusters.iter().position(Option::is_some) {
                Some(start) => chain.push(start),
                None => break,
            }
        }
        let Some(&top) = chain.last() else { break };
        let previous = chain.len().checked_sub(2).map(|i| chain[i]);
        let Some(current) = clusters[top].as_ref() else {
            chain.pop();
            continue;
        };
        // Most similar other cluster; on a tie the previous link of the chain wins (so the
        // chain cannot cycle), then the lowest index.
        let mut nearest: Option<(usize, f32)> = None;
        for (j, other) in clusters.iter().enumerate() {
            let Some(other) = other.as_ref().filter(|_| j != top) else {
                continue;
            };
            let s = current.similarity(other);
            let better = match nearest {
                None => true,
                Some((k, best)) => s > best || (s == best && Some(j) == previous && k != j),
            };
            if better {
                nearest = Some((j, s));
            }
        }
        match nearest {
            // Merge only at or above the cut (a NaN cut merges nothing).
            Some((next, s)) if s >= similarity => {
                if Some(next) == previous {
                    chain.truncate(chain.len() - 2);
                    let (keep, gone) = (top.min(next), top.max(next));
                    if let (Some(absorbed), Some(kept)) =
                        (clusters[gone].take(), &mut clusters[keep])
                    {
                        kept.members.extend(absorbed.members);
                        kept.sum
                            .iter_mut()
                            .zip(&absorbed.sum)
                            .for_each(|(a, b)| *a += b);
                    }
                } else {
                    chain.push(next);
                }
            }
            _ => {
                chain.pop();
                if let Some(done) = clusters[top].take() {
                    finished.push(done.members);
                }
            }
        }
    }
    for members in &mut finished {
        members.sort_unstable();
    }
    finished.sort_by_key(|members| members.first().copied());
    finished
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_turns_nothing_answered_are_gaps() {
        let turn = |text, intent, trace| RecordedTurn {
            text,
            intent,
            trace,
        };
        let gap = |t: RecordedTurn<'_>| is_unanswered(&t);
        assert!(gap(turn("do you ship to Canada", None, None)));
        assert!(gap(turn(
            "what time is it",
            None,
            Some("faq no answer (0.31)")
        )));
        assert!(!gap(turn(
            "when are you open",
            None,
            Some("faq opening_hours (0.99)")
        )));
        assert!(!gap(turn(
            "four five six seven",
            None,
            Some("slot order_number = 4567")
        )));
        assert!(!gap(turn(
            "this is ridiculous, you are useless",
            None,
            Some("faq no answer (0.10)\ntransfer to support (anger)")
        )));
        assert!(!gap(turn(
            "how long is delivery",
            Some("delivery_time"),
            None
        )));
        assert!(!gap(turn(" [BLANK_AUDIO]", None, None)));
        assert!(!gap(turn("  ", None, None)));
    }
    use crate::vector::normalize;

    fn unit(v: &[f32]) -> Vec<f32> {
        let mut v = v.to_vec();
        normalize(&mut v);
        v
    }

    #[test]
    fn close_vectors_group_and_distant_ones_stay_apart() {
        let vectors = [
            unit(&[1.0, 0.1, 0.0]),
            unit(&[0.0, 1.0, 0.0]),
            unit(&[1.0, 0.0, 0.1]),
            unit(&[0.1, 1.0, 0.0]),
            unit(&[0.0, 0.0, 1.0]),
            unit(&[0.95, 0.05, 0.05]),
        ];
        assert_eq!(
            average_linkage(&vectors, 0.8),
            vec![vec![0, 2, 5], vec![1, 3], vec![4]]
        );
        // A cut above every similarity leaves singletons; a cut of -1 merges everything.
        assert_eq!(average_linkage(&vectors, 1.01).len(), 6);
        assert_eq!(
            average_linkage(&vectors, -1.0),
            vec![(0..6).collect::<Vec<_>>()]
        );
        assert_eq!(average_linkage(&vectors, f32::NAN).len(), 6);
    }

    #[test]
    fn average_linkage_does_not_chain_through_a_bridge() {
        // b is close to a and to c, but a and c are far apart: single linkage would make one
        // group; average linkage keeps a and c apart.
        let a = unit(&[1.0, 0.0]);
        let b = unit(&[1.0, 1.0]);
        let c = unit(&[0.0, 1.0]);
        let groups = average_linkage(&[a, b, c], 0.7);
        assert_eq!(groups.len(), 2, "{groups:?}");
    }

    #[test]
    fn empty_input_gives_no_groups_and_keys_ignore_case_and_spacing() {
        assert!(average_linkage(&[], 0.6).is_empty());
        assert_eq!(
            dedup_key("  Do you  ship\tto CANADA "),
            "do you ship to canada"
        );
        let vectors = [unit(&[1.0, 0.0]), unit(&[0.9, 0.1]), unit(&[1.0, 0.05])];
        assert_eq!(closest_to_centroid(&vectors, &[0, 1, 2]), Some(2));
    }
}
