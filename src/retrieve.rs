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

/// A piece of a context passage that the verifier reads as a premise.
#[derive(Debug, Clone, PartialEq)]
pub struct Chunk {
    /// Index of the passage in the request.
    pub passage: usize,
    /// Byte range in the passage text.
    pub start: usize,
    /// End byte (exclusive).
    pub end: usize,
    /// Folded content words (for lexical retrieval).
    words: Vec<String>,
}

/// Words too common to say anything about relevance.
const STOPWORDS: &[&str] = &[
    "the", "a", "an", "of", "in", "on", "at", "to", "and", "or", "is", "are", "was", "were", "be",
    "been", "by", "for", "with", "as", "that", "this", "it", "its", "from", "has", "have", "had",
    "not", "than", "which", "who", "their", "his", "her", "they", "he", "she", "there",
];

fn content_words(text: &str) -> Vec<String> {
    crate::knowledge::fold(text)
        .text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty() && !STOPWORDS.contains(w))
        .map(str::to_string)
        .collect()
}

/// Splits passages into windows of up to two consecutive sentences (stride one sentence), so a
/// claim can be checked against the sentence that states it plus its neighbour.
pub fn chunk_passages(passages: &[&str]) -> Vec<Chunk> {
    let mut out = Vec::new();
    for (pi, text) in passages.iter().enumerate() {
        let sentences = crate::claims::split(text);
        if sentences.is_empty() {
            continue;
        }
        for i in 0..sentences.len() {
            let j = (i + 1).min(sentences.len() - 1);
            let (start, end) = (sentences[i].span.start, sentences[j].span.end);
            out.push(Chunk {
                passage: pi,
                start,
                end,
                words: content_words(&text[start..end]),
            });
            if j == sentences.len() - 1 {
                break;
            }
        }
    }
    out
}

/// The `k` chunks that share the most content words with `hypothesis` (ties: earlier first),
/// scored by overlap / sqrt(chunk length) so long windows do not win by size alone.
pub fn best_chunks(chunks: &[Chunk], hypothesis: &str, k: usize) -> Vec<usize> {
    let h: std::collections::HashSet<String> = content_words(hypothesis).into_iter().collect();
    let mut scored: Vec<(f64, usize)> = chunks
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let overlap = c.words.iter().filter(|w| h.contains(*w)).count() as f64;
            (overlap / (c.words.len().max(1) as f64).sqrt(), i)
        })
        .collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    scored.into_iter().take(k).map(|(_, i)| i).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_and_lexical_retrieval() {
        let p = "Mount Kenya is the highest mountain in Kenya. It is an extinct volcano. \
                 Nairobi is the capital and largest city of Kenya.";
        let chunks = chunk_passages(&[p]);
        assert_eq!(chunks.len(), 2, "windows: (1,2) and (2,3)");
        let best = best_chunks(&chunks, "The capital of Kenya is Nairobi.", 1);
        assert!(p[chunks[best[0]].start..chunks[best[0]].end].contains("Nairobi"));
    }
}
