//! Retrieve stage: fetches the graph facts each assertion needs, through a [`FactSource`]
//! (the embedded store's parameterized SPARQL query; request text is never spliced into it).

use crate::knowledge::{Fact, FactSource, GraphError, Knowledge};
use crate::link::Assertion;

/// Facts for each assertion, in the same order.
pub fn retrieve(
    kg: &Knowledge,
    source: &dyn FactSource,
    assertions: &[Assertion],
) -> Result<Vec<Vec<Fact>>, GraphError> {
    assertions
        .iter()
        .map(|a| {
            let subject = &kg.entities[a.subject as usize].iri;
            let predicate = &kg.predicates[a.predicate].iri;
            source.facts(subject, predicate)
        })
        .collect()
}

/// A window of a context passage that the verifier reads as a premise.
#[derive(Debug, Clone, PartialEq)]
pub struct Chunk {
    /// Index of the passage in the request.
    pub passage: usize,
    /// Byte range in the passage text.
    pub start: usize,
    /// End byte (exclusive).
    pub end: usize,
    /// The passage's first sentence (byte range) when the window starts after it: read with the
    /// window so "She won the prize in 1911" keeps the name the passage opened with.
    pub lead: Option<(usize, usize)>,
    /// Folded content words, deduplicated (for lexical retrieval).
    words: std::collections::HashSet<String>,
}

/// Window budget in words (about 130 MiniLM tokens, leaving room for the claim within the
/// model's 256-token pairs). Chosen on the dev files (README, "How a check works"); the training script
/// cuts its premises the same way (`models/train/prep_mix.py`, `WINDOW_WORDS`).
pub const WINDOW_WORDS: usize = 100;

/// How many windows per claim the verifier reads at most: the ones sharing the most content
/// words with the claim (the lexical prefilter).
pub const MAX_WINDOWS: usize = 3;

/// Words too common to say anything about relevance.
const STOPWORDS: &[&str] = &[
    "the", "a", "an", "of", "in", "on", "at", "to", "and", "or", "is", "are", "was", "were", "be",
    "been", "by", "for", "with", "as", "that", "this", "it", "its", "from", "has", "have", "had",
    "not", "than", "which", "who", "their", "his", "her", "they", "he", "she", "there",
];

/// The words of `text` that say what it is about (folded, without [`STOPWORDS`]).
pub(crate) fn content_words(text: &str) -> std::collections::HashSet<String> {
    crate::knowledge::fold(text)
        .text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty() && !STOPWORDS.contains(w))
        .map(str::to_string)
        .collect()
}

/// Splits passages into overlapping, sentence-aligned windows of at most `budget` words (a
/// longer sentence is a window of its own). Each window starts at the sentence after the
/// previous window's midpoint, so a fact near a window edge is whole in the next one. A short
/// passage is one window. Byte ranges map back exactly into the passage.
pub fn windows(passages: &[&str], budget: usize) -> Vec<Chunk> {
    let mut out = Vec::new();
    for (pi, text) in passages.iter().enumerate() {
        let sentences = crate::claims::sentence_spans(text);
        let words: Vec<usize> = sentences
            .iter()
            .map(|&(a, b)| text[a..b].split_whitespace().count())
            .collect();
        let mut i = 0;
        while i < sentences.len() {
            let (mut j, mut n) = (i, 0);
            while j < sentences.len() && (j == i || n + words[j] <= budget) {
                n += words[j];
                j += 1;
            }
            let (start, end) = (sentences[i].0, sentences[j - 1].1);
            out.push(Chunk {
                passage: pi,
                start,
                end,
                lead: (i > 0).then_some(sentences[0]),
                words: content_words(&text[start..end]),
            });
            if j >= sentences.len() {
                break;
            }
            i = (i + 1).max((i + j) / 2);
        }
    }
    out
}

impl Chunk {
    /// What the verifier reads for this window of `passage`: the window, after the passage's
    /// first sentence when the window does not include it.
    pub fn premise(&self, passage: &str) -> String {
        match self.lead {
            Some((a, b)) => format!("{} {}", &passage[a..b], &passage[self.start..self.end]),
            None => passage[self.start..self.end].to_string(),
        }
    }
}

/// Up to `k` windows that share the most distinct content words with `hypothesis`, best first
/// (ties: the earlier window). Windows sharing no content word are not returned (a window
/// that says nothing about the claim is not read), with one exception: a claim that shares no
/// content word with any window of a context of at most `k` windows is read against all of
/// them. A reply need not repeat its knowledge's words to be backed (or not) by it ("I hear
/// they're both great." after three facts about two films), and such a context costs no more
/// pairs than the prefilter allows anyway. (Dev dialogue, where half the reply sentences share
/// no word with their one-window knowledge: README "How a check works".)
pub fn top_windows(chunks: &[Chunk], hypothesis: &str, k: usize) -> Vec<usize> {
    let h = content_words(hypothesis);
    let mut scored: Vec<(usize, usize)> = chunks
        .iter()
        .enumerate()
        .map(|(i, c)| (h.iter().filter(|w| c.words.contains(*w)).count(), i))
        .collect();
    if chunks.len() > k || scored.iter().any(|&(shared, _)| shared > 0) {
        scored.retain(|&(shared, _)| shared > 0);
    }
    scored.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    scored.into_iter().take(k).map(|(_, i)| i).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_are_whole_sentences_that_overlap_and_map_back() {
        let p = "Mount Kenya is the highest mountain in Kenya. Its summit is 5,199 m high. \
                 Nairobi is the capital of Kenya. The city was founded in 1899. \
                 Mombasa is a port on the coast.";
        let w = windows(&[p], 14);
        let texts: Vec<&str> = w.iter().map(|c| &p[c.start..c.end]).collect();
        assert_eq!(
            texts,
            [
                "Mount Kenya is the highest mountain in Kenya. Its summit is 5,199 m high.",
                "Its summit is 5,199 m high. Nairobi is the capital of Kenya.",
                "Nairobi is the capital of Kenya. The city was founded in 1899.",
                "The city was founded in 1899. Mombasa is a port on the coast.",
            ],
            "sentence-aligned, at most 14 words, each window overlapping the next"
        );
        // The whole passage is covered and every window starts and ends on a sentence.
        assert_eq!(w[0].start, 0);
        assert_eq!(w.last().map(|c| c.end), Some(p.len()));
        let spans = crate::claims::sentence_spans(p);
        for c in &w {
            assert!(spans.iter().any(|s| s.0 == c.start) && spans.iter().any(|s| s.1 == c.end));
        }
        // Windows after the first read the passage's opening sentence first.
        assert_eq!(w[0].lead, None);
        assert_eq!(
            w[2].premise(p),
            "Mount Kenya is the highest mountain in Kenya. \
             Nairobi is the capital of Kenya. The city was founded in 1899."
        );
        // A short passage is one window; a sentence longer than the budget is its own window.
        assert_eq!(windows(&["One short passage."], 100).len(), 1);
        let long = "This single sentence has far more than the five words of the budget.";
        let w = windows(&[long, "Tiny."], 5);
        assert_eq!(
            w.iter()
                .map(|c| (c.passage, c.start, c.end))
                .collect::<Vec<_>>(),
            [(0, 0, long.len()), (1, 0, 5)],
            "windows never cross passages"
        );
        // Multi-byte text: spans are byte offsets that slice on char boundaries.
        let u = "Zürich liegt am Zürichsee. Genève est au bord du Léman.";
        for c in windows(&[u], 4) {
            assert!(u.is_char_boundary(c.start) && u.is_char_boundary(c.end));
        }
    }

    #[test]
    fn prefilter_ranks_by_shared_words_and_skips_unrelated_windows() {
        let p = "Nairobi is the capital of Kenya. Bananas are yellow. \
                 Mombasa is the main port of Kenya.";
        let w = windows(&[p], 6);
        let top = top_windows(&w, "The capital of Kenya is Nairobi.", 2);
        assert_eq!(
            &p[w[top[0]].start..w[top[0]].end],
            "Nairobi is the capital of Kenya."
        );
        assert_eq!(top.len(), 2, "the Mombasa window shares 'Kenya'");
        assert!(
            top_windows(&w, "Quantum chromodynamics.", 2).is_empty(),
            "of a context longer than k windows, unrelated windows are not read"
        );
        assert_eq!(top_windows(&w, "Kenya", 1).len(), 1, "k bounds the count");
    }

    #[test]
    fn a_claim_sharing_no_word_with_a_short_context_reads_all_of_it() {
        let p = "Nairobi is the capital of Kenya. Bananas are yellow. \
                 Mombasa is the main port of Kenya.";
        let w = windows(&[p], 6);
        assert_eq!(w.len(), 3);
        assert_eq!(
            top_windows(&w, "Quantum chromodynamics.", 3),
            [0, 1, 2],
            "no shared word with a context of at most k windows: every window, in order"
        );
        let top = top_windows(&w, "Bananas are yellow.", 3);
        assert_eq!(
            top.len(),
            1,
            "a claim sharing words reads only the windows that share them"
        );
        assert_eq!(&p[w[top[0]].start..w[top[0]].end], "Bananas are yellow.");
        assert!(
            top_windows(&[], "Kenya", 3).is_empty(),
            "no context, nothing read"
        );
    }
}
