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

/// Pronouns that, opening a sentence, point back to the sentence before ("Its capital is Nairobi.").
const PRONOUNS: &[&str] = &[
    "it", "its", "he", "his", "him", "she", "her", "they", "their", "them",
];

/// Determiners that, followed by a common noun, point back ("The company was founded in 1998.").
const DETERMINERS: &[&str] = &["the", "this", "that", "these", "those", "such"];

/// Does the sentence depend on the one before it for what it talks about? It opens with a
/// pronoun, or with a determiner and a lowercase word (a common noun, not a name:
/// "The company…" does, "The Amazon…" does not).
fn points_back(sentence: &str) -> bool {
    let mut words = sentence
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty());
    let first = words.next().unwrap_or("").to_lowercase();
    if PRONOUNS.contains(&first.as_str()) {
        return true;
    }
    DETERMINERS.contains(&first.as_str())
        && words
            .next()
            .and_then(|w| w.chars().next())
            .is_some_and(char::is_lowercase)
}

/// Splits passages into premises of one sentence each; a sentence that [points back](points_back)
/// also takes the sentence before it, so the verifier sees what "it" or "the company" is.
pub fn chunk_passages(passages: &[&str]) -> Vec<Chunk> {
    let mut out = Vec::new();
    for (pi, text) in passages.iter().enumerate() {
        let sentences = crate::claims::sentence_spans(text);
        for (i, &(start, end)) in sentences.iter().enumerate() {
            let start = if i > 0 && points_back(&text[start..end]) {
                sentences[i - 1].0
            } else {
                start
            };
            out.push(Chunk {
                passage: pi,
                start,
                end,
                words: content_words(&text[start..end]),
            });
        }
    }
    out
}

/// The chunk that shares the most content words with `hypothesis`, scored by overlap /
/// sqrt(chunk length) so long sentences do not win by size alone (ties: the earlier one). `None`
/// when no chunk shares a content word: the context says nothing about the claim.
pub fn best_chunk(chunks: &[Chunk], hypothesis: &str) -> Option<usize> {
    let h: std::collections::HashSet<String> = content_words(hypothesis).into_iter().collect();
    let mut best: Option<(f64, usize)> = None;
    for (i, c) in chunks.iter().enumerate() {
        let overlap = c.words.iter().filter(|w| h.contains(*w)).count() as f64;
        let score = overlap / (c.words.len().max(1) as f64).sqrt();
        if score > 0.0 && best.is_none_or(|(b, _)| score > b) {
            best = Some((score, i));
        }
    }
    best.map(|(_, i)| i)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_and_lexical_retrieval() {
        let p = "Mount Kenya is the highest mountain in Kenya, and it is an extinct volcano. \
                 Its summit is 5,199 m high. Nairobi is the capital and largest city of Kenya.";
        let chunks = chunk_passages(&[p]);
        let texts: Vec<&str> = chunks.iter().map(|c| &p[c.start..c.end]).collect();
        assert_eq!(
            texts,
            [
                "Mount Kenya is the highest mountain in Kenya, and it is an extinct volcano.",
                "Mount Kenya is the highest mountain in Kenya, and it is an extinct volcano. \
                 Its summit is 5,199 m high.",
                "Nairobi is the capital and largest city of Kenya."
            ],
            "one sentence each, whole sentences, the one opening with Its takes its antecedent"
        );
        assert_eq!(
            best_chunk(&chunks, "The capital of Kenya is Nairobi."),
            Some(2)
        );
        assert_eq!(
            best_chunk(&chunks, "How high is Mount Kenya's summit?"),
            Some(1)
        );
        assert_eq!(
            best_chunk(&chunks, "Bananas grow on trees."),
            None,
            "a context sharing no content word is not read"
        );
        assert!(points_back("The company was founded in 1998."));
        assert!(points_back("They moved to Oslo."));
        assert!(!points_back("The Amazon is a rainforest."));
        assert!(!points_back(
            "Theirs is a long story about Oslo, told by Ithaca."
        ));
        let two = chunk_passages(&["It rains.", "Its capital is Nairobi."]);
        assert_eq!(two.len(), 2, "no antecedent across passages");
        assert_eq!((two[1].passage, two[1].start), (1, 0));
    }
}
