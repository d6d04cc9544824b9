//! The polarity check: a claim that says what a passage sentence says, word for word, but with the
//! opposite polarity ("Contractors are eligible for paid leave." against "Contractors are not
//! eligible for paid leave."; "Revenue fell 7 percent." against "… revenue …, up 7 percent").
//!
//! The verifier reads such pairs as near-paraphrases: on a hand-check file of realistic passages
//! (a leave policy, a product sheet, a clinic's hours, a biography, API limits, an earnings note)
//! it called most of them SUPPORTED with confidence 0.8–0.96. The check is deliberately narrow,
//! so that what it finds is a contradiction a reader can see in the sentence it points at:
//! - every content word of the claim is in one sentence of a passage read (the sentence is the
//!   evidence; one opening with "It", "They", "We" … may take words from the sentence before;
//!   a word said with a negative prefix is the one that may differ; a figure of the claim with
//!   the words placing and counting it, "after 90 days", need not be there when the sentence
//!   states no figure: "API keys do not expire." contradicts "API keys expire after 90 days.");
//! - a negation ("not", "no", "never", "n't", "cannot", "neither", "nor", "none") in exactly one of
//!   the two, bearing on a word the other one states (the first content word after the cue), or,
//!   where neither negates anything, directions opposed (rose / fell, accepted / rejected, open /
//!   closed, above / below …), one side's only, in the clause that says the claim (a clause of
//!   its own opens at "because", "while", "although" …); or one word said with a negative prefix
//!   ("refundable" against "non-refundable", "legal" against "illegal");
//! - neither text holds a word that bends polarity or bounds it ("than", "unless",
//!   "except", "until", "without", "exceed…"): "No employee may carry over more than 5 days." says
//!   what "Employees may carry over up to 5 days." says.
//!
//! Questions and short answers read with their question are not checked (a disfluent question
//! says "no" as a correction; "No." answers a question's polarity).

/// The confidence (P(correct)) a claim the check contradicts takes at most: Laplace's rule over
/// the distinct claims it contradicts in the dev files (2026-12-07: 6, none correct; (0 + 1) /
/// (6 + 2)). Too few to fit more; the calibrated claim model, which never saw the check, may
/// say less.
pub const CONFIDENCE: f64 = 0.125;

use std::collections::HashSet;
use std::sync::LazyLock;

/// [`STOP`], [`BLOCKERS`], [`UP`] and [`DOWN`] as sets: a passage's every word is looked up.
static STOP_SET: LazyLock<HashSet<&str>> = LazyLock::new(|| STOP.iter().copied().collect());
static BLOCKER_SET: LazyLock<HashSet<&str>> = LazyLock::new(|| BLOCKERS.iter().copied().collect());
static UP_SET: LazyLock<HashSet<&str>> = LazyLock::new(|| UP.iter().copied().collect());
static DOWN_SET: LazyLock<HashSet<&str>> = LazyLock::new(|| DOWN.iter().copied().collect());

/// Negation cues (after "n't" and "cannot" are split off).
const NEGATION: &[&str] = &["not", "no", "never", "none", "neither", "nor"];

/// Words that bend or bound polarity: where either text has one, the check stays silent. ("Not
/// only" and "not just" are no negation.)
const BLOCKERS: &[&str] = &[
    "than",
    "unless",
    "except",
    "until",
    "without",
    "exceed",
    "exceeds",
    "exceeded",
    "exceeding",
    "hardly",
    "barely",
    "rarely",
    "seldom",
    "fail",
    "fails",
    "failed",
    "lack",
    "lacks",
    "whether",
    "if",
];

/// Modals of obligation: a sentence with one says what must be, not what is.
const MODALS: &[&str] = &["must", "shall", "should", "ought"];

/// Auxiliaries: what comes before the first one is a sentence's subject.
const AUXILIARIES: &[&str] = &[
    "is", "are", "was", "were", "can", "could", "may", "might", "must", "will", "would", "shall",
    "should", "do", "does", "did", "has", "have", "had",
];

/// Words that place a figure ("after 90 days", "nearly 40 percent"): part of the figure.
const PLACING: &[&str] = &[
    "after",
    "before",
    "within",
    "since",
    "over",
    "under",
    "around",
    "nearly",
    "almost",
    "roughly",
    "approximately",
];

/// Words that scale a figure ("7.5 million dollars"): the word after them still counts it.
const SCALES: &[&str] = &["thousand", "million", "billion", "trillion", "percent"];

/// Words that open a clause of their own (commas and other marks bound the rest).
const SUBORDINATORS: &[&str] = &["because", "while", "whereas", "although", "though"];

/// Words of rising, allowing or including; [`DOWN`] holds their opposites.
const UP: &[&str] = &[
    "rose",
    "rise",
    "rises",
    "risen",
    "rising",
    "increased",
    "increase",
    "increases",
    "grew",
    "grow",
    "grows",
    "grown",
    "gained",
    "higher",
    "raised",
    "accepted",
    "accept",
    "accepts",
    "approve",
    "approves",
    "allow",
    "allows",
    "open",
    "opened",
    "allowed",
    "permitted",
    "approved",
    "eligible",
    "included",
    "above",
    "won",
    "win",
    "wins",
    "up",
];

/// Words of falling, refusing or excluding.
const DOWN: &[&str] = &[
    "fell",
    "fall",
    "falls",
    "fallen",
    "falling",
    "decreased",
    "decrease",
    "decreases",
    "declined",
    "decline",
    "declines",
    "shrank",
    "dropped",
    "lost",
    "lower",
    "cut",
    "reduced",
    "rejected",
    "reject",
    "rejects",
    "closed",
    "forbidden",
    "prohibited",
    "banned",
    "forbid",
    "forbids",
    "prohibit",
    "prohibits",
    "ineligible",
    "excluded",
    "below",
    "lose",
    "loses",
    "down",
];

/// Words that say nothing about what a sentence is about (function words, auxiliaries).
const STOP: &[&str] = &[
    "a",
    "an",
    "the",
    "of",
    "in",
    "on",
    "at",
    "to",
    "for",
    "from",
    "by",
    "with",
    "and",
    "or",
    "but",
    "is",
    "are",
    "was",
    "were",
    "be",
    "been",
    "being",
    "am",
    "has",
    "have",
    "had",
    "having",
    "do",
    "does",
    "did",
    "it",
    "its",
    "this",
    "that",
    "these",
    "those",
    "he",
    "she",
    "they",
    "them",
    "his",
    "her",
    "their",
    "there",
    "which",
    "who",
    "whom",
    "what",
    "when",
    "where",
    "why",
    "how",
    "as",
    "so",
    "such",
    "also",
    "into",
    "onto",
    "about",
    "i",
    "you",
    "we",
    "me",
    "my",
    "our",
    "your",
    "us",
    "will",
    "would",
    "can",
    "could",
    "may",
    "might",
    "must",
    "shall",
    "should",
    "any",
    "all",
    "each",
    "per",
    "yes",
    "ever",
    "yet",
    "longer",
    "s",
    "get",
    "gets",
    "got",
    "said",
    "says",
    "say",
    "then",
    "still",
    "just",
    "very",
    "currently",
    "now",
    "several",
    "many",
    "some",
    "multiple",
];

/// What the check found: the passage sentence whose polarity the claim reverses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conflict {
    /// Index of the passage (in the slice given to [`check`]).
    pub passage: usize,
    /// Byte range of the sentence in that passage.
    pub start: usize,
    /// End byte (exclusive).
    pub end: usize,
    /// What is reversed, for the explanation ("it negates \"eligible\"").
    pub what: String,
}

/// One word of a text: lower-cased, with whether it was written with a capital, whether a
/// comma (or other mark) follows it directly, and which clause it is in (clauses are bounded by
/// commas, semicolons, colons, dashes and brackets).
struct Word {
    lower: String,
    capital: bool,
    before_mark: bool,
    clause: usize,
}

fn words(text: &str) -> Vec<Word> {
    let mut out = Vec::new();
    let mut clause = 0;
    let mut chars = text.char_indices().peekable();
    while let Some(&(i, c)) = chars.peek() {
        if !c.is_alphanumeric() {
            // A comma, semicolon or colon before a space ("50,000" and "10:30" are no
            // bounds), a dash, a bracket.
            let spaced = text[i + c.len_utf8()..]
                .chars()
                .next()
                .is_none_or(char::is_whitespace);
            if matches!(c, '–' | '—' | '(' | ')' | '-') || (matches!(c, ',' | ';' | ':') && spaced)
            {
                clause += 1;
            }
            chars.next();
            continue;
        }
        let mut end = i;
        while let Some(&(j, d)) = chars.peek() {
            let apostrophe = (d == '\'' || d == '’')
                && text[j + d.len_utf8()..]
                    .chars()
                    .next()
                    .is_some_and(char::is_alphabetic);
            if d.is_alphanumeric() || apostrophe || (d == '-' && end > i) {
                end = j + d.len_utf8();
                chars.next();
            } else {
                break;
            }
        }
        let raw = &text[i..end];
        let before_mark = text[end..]
            .chars()
            .next()
            .is_some_and(|d| matches!(d, ',' | ';' | ':' | '!' | '?'));
        let mut lower = raw.to_lowercase();
        if lower.contains('’') {
            lower = lower.replace('’', "'");
        }
        let capital = c.is_uppercase();
        let (stem, negated) = match lower.as_str() {
            "cannot" | "can't" => ("can".to_string(), true),
            "won't" => ("will".to_string(), true),
            w if w.ends_with("n't") => (w[..w.len() - 3].to_string(), true),
            w => (w.split('\'').next().unwrap_or(w).to_string(), false),
        };
        // A subordinate clause says something else: "Operating profit fell to 310 million
        // dollars because of higher costs" says that profit fell, not that anything rose.
        if SUBORDINATORS.contains(&stem.as_str()) {
            clause += 1;
        }
        out.push(Word {
            lower: stem,
            capital,
            before_mark: before_mark && !negated,
            clause,
        });
        if negated {
            out.push(Word {
                lower: "not".to_string(),
                capital: false,
                before_mark,
                clause,
            });
        }
    }
    out
}

/// A crude stem, enough to match "offers" with "offer", "approved" with "approve" and
/// "platypuses" with "platypus".
fn stem(w: &str) -> String {
    let mut w = w.to_string();
    if w.len() >= 6 && w.ends_with("ing") {
        w.truncate(w.len() - 3);
    } else if w.len() >= 5 && w.ends_with("ed") {
        w.truncate(w.len() - 2);
    } else if w.len() >= 5 && w.ends_with("ies") {
        w.truncate(w.len() - 3);
        w.push('y');
    } else if w.len() >= 5
        && ["ses", "xes", "zes", "ches", "shes"]
            .iter()
            .any(|e| w.ends_with(e))
    {
        w.truncate(w.len() - 2);
    } else if w.len() >= 4 && w.ends_with('s') && !["ss", "us", "is"].iter().any(|e| w.ends_with(e))
    {
        w.truncate(w.len() - 1);
    }
    if w.len() >= 4 && w.ends_with('e') {
        w.truncate(w.len() - 1);
    }
    w
}

fn is_negation(words: &[Word], i: usize) -> bool {
    let w = &words[i];
    let lower = |k: usize| words.get(k).map_or("", |w| w.lower.as_str());
    // "No," answers; "No Strings Attached" (a capital past the first word, or before another
    // capital) is a name.
    let name = w.capital && (i > 0 || words.get(i + 1).is_some_and(|n| n.capital));
    // "Not only" and "not just" add; "what could and could not go" and "or not" say both.
    let not_only = ["only", "just", "merely"].contains(&lower(i + 1));
    let both = i >= 1
        && (lower(i - 1) == "or"
            || (i >= 3 && lower(i - 1) == lower(i - 3) && ["and", "or"].contains(&lower(i - 2))));
    NEGATION.contains(&w.lower.as_str()) && !w.before_mark && !name && !not_only && !both
}

fn is_direction(words: &[Word], i: usize, set: &HashSet<&str>) -> bool {
    let w = words[i].lower.as_str();
    if !set.contains(w) {
        return false;
    }
    // "up 7 percent", "down by a third"; not "sign up", "set down".
    if w == "up" || w == "down" {
        return words.get(i + 1).is_some_and(|n| {
            n.lower == "by" || n.lower.chars().next().is_some_and(|c| c.is_ascii_digit())
        });
    }
    true
}

/// One clause of a text: what it states, what it negates, its directions.
#[derive(Default)]
struct Clause {
    /// Stems of the content words and the directions (a clause is short: a list).
    stated: Vec<String>,
    /// The first content word after each negation cue: (stem, word).
    negated: Vec<(String, String)>,
    negations: usize,
    up: Vec<String>,
    down: Vec<String>,
    /// A pronoun stands for something the clause does not name ("you should not drive after
    /// taking them").
    pronoun: bool,
}

/// What a text is about, clause by clause.
struct Reading {
    /// Stems of the content words of the whole text, without the directions.
    content: HashSet<String>,
    /// Stems of the content words and the directions of the whole text.
    stated: HashSet<String>,
    clauses: Vec<Clause>,
    blocked: bool,
    /// Stems of the figures the text states and the words counting them ("90", "day" of "after
    /// 90 days"; "9", "pm" of "from 9 am to 1 pm").
    figures: HashSet<String>,
    /// Stems of a coordinated subject ("Gift cards and downloadable software", before the
    /// first auxiliary), empty when the subject is no list.
    coordinated: HashSet<String>,
    /// The text opens with "It", "They", "We", "He", "She", "This" or "These".
    opens_with_pronoun: bool,
    /// The text holds a modal of obligation ("should", "must" …).
    modal: bool,
}

impl Reading {
    fn negations(&self) -> usize {
        self.clauses.iter().map(|c| c.negations).sum()
    }

    /// How many of `words` clause `k` states.
    fn shared(&self, k: usize, words: &HashSet<String>) -> usize {
        words
            .iter()
            .filter(|w| self.clauses[k].stated.contains(*w))
            .count()
    }
}

fn read(text: &str) -> Reading {
    let ws = words(text);
    let mut r = Reading {
        content: HashSet::new(),
        stated: HashSet::new(),
        clauses: Vec::new(),
        blocked: false,
        figures: HashSet::new(),
        coordinated: HashSet::new(),
        modal: ws.iter().any(|w| MODALS.contains(&w.lower.as_str())),
        opens_with_pronoun: ws.first().is_some_and(|w| {
            ["it", "they", "we", "he", "she", "this", "these"].contains(&w.lower.as_str())
        }),
    };
    let subject = ws
        .iter()
        .position(|w| AUXILIARIES.contains(&w.lower.as_str()))
        .map_or(&ws[..0], |k| &ws[..k]);
    // A list that opens the sentence, short and in its first clause: not "On the way back they
    // plead with the orcas, and one of them says: 'Please don't …'".
    let list = subject.len() <= 6
        && subject.iter().all(|w| w.clause == 0)
        && subject.iter().any(|w| w.lower == "and" || w.lower == "or");
    if list {
        r.coordinated = subject
            .iter()
            .filter(|w| !STOP_SET.contains(w.lower.as_str()))
            .map(|w| stem(&w.lower))
            .collect();
    }
    // The index of the word right after a figure, which counts it ("90 days"; "310 million
    // dollars" through a scale).
    let mut counting = usize::MAX;
    for i in 0..ws.len() {
        let w = ws[i].lower.as_str();
        if r.clauses.len() <= ws[i].clause {
            r.clauses.resize_with(ws[i].clause + 1, Clause::default);
        }
        let clause = &mut r.clauses[ws[i].clause];
        if BLOCKER_SET.contains(w) {
            r.blocked = true;
        }
        if is_negation(&ws, i) {
            clause.negations += 1;
            if let Some(next) = ws[i + 1..]
                .iter()
                .take(3)
                .map(|n| n.lower.as_str())
                .find(|n| !STOP_SET.contains(n) && !NEGATION.contains(n))
            {
                clause.negated.push((stem(next), next.to_string()));
            }
            continue;
        }
        if STOP_SET.contains(w) || NEGATION.contains(&w) {
            clause.pronoun |= [
                "it", "its", "they", "them", "their", "he", "him", "his", "she", "her", "this",
                "these", "those",
            ]
            .contains(&w);
            continue;
        }
        let stemmed = stem(w);
        if w.chars().any(|c| c.is_ascii_digit()) {
            r.figures.insert(stemmed.clone());
            counting = i + 1;
            if i > 0 && PLACING.contains(&ws[i - 1].lower.as_str()) {
                r.figures.insert(stem(&ws[i - 1].lower));
            }
        } else if counting == i {
            r.figures.insert(stemmed.clone());
            if SCALES.contains(&w) {
                counting = i + 1;
            }
        }
        clause.stated.push(stemmed.clone());
        r.stated.insert(stemmed.clone());
        if is_direction(&ws, i, &UP_SET) {
            clause.up.push(w.to_string());
        } else if is_direction(&ws, i, &DOWN_SET) {
            clause.down.push(w.to_string());
        } else {
            r.content.insert(stemmed);
        }
    }
    r
}

/// A passage read sentence by sentence, once per request (the first claim that reads it).
pub struct Sentences {
    /// Byte range of each sentence in the passage, with its reading.
    sentences: Vec<(usize, usize, Reading)>,
    /// Every content word of the passage: a claim with two words outside it is skipped at once
    /// where no sentence negates.
    content: HashSet<String>,
    negates: bool,
}

impl Sentences {
    /// Reads `text`'s sentences ([`crate::claims::sentence_spans`]).
    pub fn of(text: &str) -> Self {
        let sentences: Vec<_> = crate::claims::sentence_spans(text)
            .into_iter()
            .map(|(start, end)| (start, end, read(&text[start..end])))
            .collect();
        let content = sentences
            .iter()
            .flat_map(|(_, _, r)| r.content.iter().cloned())
            .collect();
        let negates = sentences.iter().any(|(_, _, r)| r.negations() > 0);
        Self {
            sentences,
            content,
            negates,
        }
    }
}

/// A claim the check can read: not a question, no word that bends polarity, at least two
/// content words. Read before any passage is, so a claim the check cannot judge costs no
/// passage reading.
pub struct Claim(Reading);

impl Claim {
    /// `text` read for the check, or `None` when the check cannot judge it.
    pub fn read(text: &str) -> Option<Self> {
        if text.trim_end().ends_with('?') {
            return None;
        }
        let c = read(text);
        (!c.blocked && c.content.len() >= 2).then_some(Self(c))
    }
}

/// The first sentence of `passages` whose polarity `claim` reverses (see the module's
/// description), or `None`.
pub fn check(claim: &Claim, passages: &[&Sentences]) -> Option<Conflict> {
    let c = &claim.0;
    // A claim that negates is never contradicted by a sentence saying less ([`broader_negation`]).
    let broader = c.negations() == 0;
    for (pi, passage) in passages.iter().enumerate() {
        // At most one word of the claim may be missing (one the passage says with a prefix),
        // or else only a sentence that negates less than the claim says may contradict it
        // ([`broader_negation`]: what `reversed` comes to for such a passage, without looking
        // for prefixes).
        let missing = c.content.difference(&passage.content);
        let lacks = missing.filter(|w| !c.figures.contains(*w)).nth(1).is_some();
        if lacks && !(broader && passage.negates) {
            continue;
        }
        let mut before: Option<&Reading> = None;
        for (start, end, s) in &passage.sentences {
            let found = if lacks {
                broader_negation(c, s)
            } else {
                reversed(c, s, before)
            };
            if let Some(what) = found {
                return Some(Conflict {
                    passage: pi,
                    start: *start,
                    end: *end,
                    what,
                });
            }
            before = Some(s);
        }
    }
    None
}

/// Whether `word` is `base` with a negative prefix ("non-refundable", "unavailable",
/// "illegal"): "non" before anything, "un", "in", "im", "il", "ir" before an adjective ending in
/// "able", "ible", "al", "ent", "ant", "ive", "ic" or "ful" (stems: "availabl"). Not "unlock"
/// (a verb: undoing is no negation); "invaluable" would pass, the price of a short rule.
fn negative_prefix(word: &str, base: &str) -> bool {
    let Some(rest) = word.strip_suffix(base) else {
        return false;
    };
    if base.len() < 3 {
        return false;
    }
    match rest {
        "non-" | "non" => true,
        "un" | "in" | "im" | "il" | "ir" => ["abl", "ibl", "al", "ent", "ant", "iv", "ic", "ful"]
            .iter()
            .any(|e| base.ends_with(e)),
        _ => false,
    }
}

/// A sentence that says less than the claim, every word of it in the claim, and negates what
/// the claim affirms: "Mayor Ellen Ruiz did not vote." against "Mayor Ellen Ruiz voted for the
/// bike lane."; "Gift cards cannot be returned." against "Gift cards can be returned for a full
/// refund." One negation, at least three words, so that what it is about is named ("He did not
/// play." may be about another game), and an obligation on both sides or neither.
fn broader_negation(c: &Reading, s: &Reading) -> Option<String> {
    // Both say what is, or both what must be: "Customers should not use the kettle." is no
    // report that nobody used it.
    if s.blocked
        || c.negations() > 0
        || s.negations() != 1
        || s.stated.len() < 3
        || c.modal != s.modal
    {
        return None;
    }
    // Every word of the sentence is the claim's, but for the other items of a list the
    // sentence's subject is and the claim picks from ("Gift cards and downloadable software
    // cannot be returned.").
    let picks = s.coordinated.iter().any(|w| c.stated.contains(w));
    if !s
        .stated
        .iter()
        .all(|w| c.stated.contains(w) || (picks && s.coordinated.contains(w)))
    {
        return None;
    }
    let mut negated = s.clauses.iter().flat_map(|k| &k.negated);
    negated
        .find(|n| c.stated.contains(&n.0))
        .map(|(_, w)| format!("the passage negates \"{w}\" for all the claim says"))
}

/// What sentence `s` (after `before`) says with the opposite polarity of claim `c`, if it does.
fn reversed(c: &Reading, s: &Reading, before: Option<&Reading>) -> Option<String> {
    // A sentence that opens with a pronoun ("It is not compatible with underfloor heating.")
    // takes what it is about from the sentence before.
    let named_before =
        |w: &String| s.opens_with_pronoun && before.is_some_and(|b| b.content.contains(w));
    if s.blocked {
        return None;
    }
    // A word of the claim the sentence states only with a negative prefix, or the other way
    // round ("refundable" / "non-refundable", "available" / "unavailable"): the one claim word
    // the sentence may lack.
    let mut prefixed = None;
    let mut lacks = false;
    for w in &c.content {
        // A figure of the claim is no word the sentence must state when it states no figure:
        // "The clinic is closed on Sundays." says the clinic does not open on Sundays at any
        // hour ("The clinic is open on Sundays from 9 am to 1 pm."); the numbers check reads
        // figures against figures.
        let unstated_figure = s.figures.is_empty() && c.figures.contains(w);
        if s.content.contains(w) || named_before(w) || unstated_figure {
            continue;
        }
        let opposite = s
            .content
            .iter()
            .find(|x| negative_prefix(x, w) || negative_prefix(w, x));
        match (opposite, &prefixed) {
            (Some(x), None) => prefixed = Some((w, x)),
            _ => lacks = true,
        }
    }
    if lacks {
        return broader_negation(c, s);
    }
    let (claim_negations, sentence_negations) = (c.negations(), s.negations());
    if let Some((w, x)) = prefixed {
        return (claim_negations == 0 && sentence_negations == 0)
            .then(|| format!("the claim says \"{w}\" where the passage says \"{x}\""));
    }
    if claim_negations > 0 && sentence_negations == 0 {
        // The negated word must be one the sentence states.
        let mut negated = c.clauses.iter().flat_map(|k| &k.negated);
        return negated
            .find(|n| s.stated.contains(&n.0))
            .map(|(_, w)| format!("the claim negates \"{w}\""));
    }
    if sentence_negations > 0 && claim_negations == 0 {
        // The negated word must be one the claim states, in a clause that states another word
        // of the claim: in "It's not the first time, of course: he was denied his first wicket
        // in 2013." the negation is another clause's. And what the claim says beyond that
        // clause must not be an affirmative clause's, unless a pronoun of the clause stands for
        // it: "The free plan does not include API access, but it includes unlimited projects."
        // says "The free plan includes unlimited projects."; "The tablets may cause drowsiness,
        // so you should not drive after taking them." does not say "You can drive after taking
        // the tablets."
        for k in 0..s.clauses.len() {
            let affirmed_elsewhere = !s.clauses[k].pronoun
                && c.content.iter().any(|w| {
                    !s.clauses[k].stated.contains(w)
                        && s.clauses
                            .iter()
                            .enumerate()
                            .any(|(j, o)| j != k && o.negations == 0 && o.stated.contains(w))
                });
            if affirmed_elsewhere {
                continue;
            }
            let mut negated = s.clauses[k].negated.iter();
            if let Some((_, w)) =
                negated.find(|n| c.stated.contains(&n.0) && s.shared(k, &c.stated) >= 2)
            {
                return Some(format!("the passage negates \"{w}\""));
            }
        }
    }
    let claim_up: Vec<&String> = c.clauses.iter().flat_map(|k| &k.up).collect();
    let claim_down: Vec<&String> = c.clauses.iter().flat_map(|k| &k.down).collect();
    if claim_negations > 0 || claim_up.is_empty() == claim_down.is_empty() {
        return None;
    }
    // Directions: of the clauses of the sentence that have some, the one that states most of
    // the claim, without a negation, going only the other way ("Inflation rose to 3.1 percent,
    // while unemployment fell to 5.2 percent." against "Inflation fell to 3.1 percent."; "…
    // revenue of 4.2 billion dollars, up 7 percent" against "Revenue fell 7 percent.").
    let k = (0..s.clauses.len())
        .filter(|&k| !s.clauses[k].up.is_empty() || !s.clauses[k].down.is_empty())
        .max_by_key(|&k| (s.shared(k, &c.content), usize::MAX - k))?;
    let clause = &s.clauses[k];
    if clause.negations > 0 || s.shared(k, &c.content) < 2 {
        return None;
    }
    let (cw, theirs, other) = match (claim_up.first(), claim_down.first()) {
        (Some(cw), _) => (cw, &clause.down, &clause.up),
        (None, Some(cw)) => (cw, &clause.up, &clause.down),
        (None, None) => return None,
    };
    match (theirs.first(), other.is_empty()) {
        (Some(sw), true) => Some(format!(
            "the claim says \"{cw}\" where the passage says \"{sw}\""
        )),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(claim: &str, passage: &str) -> Option<String> {
        let claim = Claim::read(claim)?;
        check(&claim, &[&Sentences::of(passage)]).map(|c| passage[c.start..c.end].to_string())
    }

    #[test]
    fn a_dropped_or_added_negation_is_found_in_its_sentence() {
        let p =
            "Employees accrue 1.5 days per month. Contractors are not eligible for paid annual \
                 leave. Sick leave is tracked separately.";
        assert_eq!(
            found("Contractors are eligible for paid annual leave.", p).as_deref(),
            Some("Contractors are not eligible for paid annual leave.")
        );
        let p = "The store does not sell alcohol, and it does not accept cheques.";
        assert!(found("The store accepts cheques.", p).is_some());
        let p = "Unlike most mammals, the platypus does not have teeth as an adult.";
        assert!(found("Adult platypuses have teeth.", p).is_some());
        let p = "The thermostat works offline. It is not compatible with underfloor heating.";
        assert!(found("The thermostat is compatible with underfloor heating.", p).is_some());
        let p = "Tickets are non-refundable. The lounge is unavailable on Sundays.";
        assert!(found("Tickets are refundable.", p).is_some());
        assert!(found("The lounge is available on Sundays.", p).is_some());
        let p = "Tickets are refundable within 24 hours.";
        assert!(found("Tickets are non-refundable within 24 hours.", p).is_some());
        let p = "The clinic offers walk-in appointments on weekdays.";
        assert!(found("The clinic doesn't offer walk-in appointments.", p).is_some());
        assert!(found("The clinic cannot offer walk-in appointments.", p).is_some());
    }

    #[test]
    fn opposed_directions_are_found() {
        let p = "Northwind reported revenue of 4.2 billion dollars for fiscal 2025, up 7 percent \
                 from the previous year.";
        assert!(found("Revenue fell 7 percent in fiscal 2025.", p).is_some());
        let p = "All requests must use HTTPS; plain HTTP requests are rejected.";
        assert!(found("Plain HTTP requests are accepted.", p).is_some());
        // Both directions on one side: not one side's only.
        let p = "Operating profit fell to 310 million dollars because of higher costs.";
        assert!(found("Operating profit declined because costs rose.", p).is_none());
        // The clause that says the claim.
        let p = "Inflation rose to 3.1 percent, while unemployment fell slightly to 5.2 percent.";
        assert!(found("Inflation fell to 3.1 percent.", p).is_some());
        assert!(found("Unemployment rose to 5.2 percent.", p).is_some());
        assert!(found("Unemployment fell to 5.2 percent.", p).is_none());
        let p =
            "The platypus is not endangered, although its numbers have declined in some regions.";
        assert!(found("Platypus numbers have increased in some regions.", p).is_some());
        // A reason is a clause of its own: its direction is not the claim's.
        let p = "Net income dropped to 12 million euros because of higher energy prices.";
        assert!(found("Net income increased to 12 million euros.", p).is_some());
        assert!(found("Energy prices rose.", p).is_none());
        // Verbs in their base form.
        let p = "The board voted on Monday to approve the merger with Acme.";
        assert!(found("The board rejected the merger with Acme.", p).is_some());
    }

    #[test]
    fn a_sentence_negating_less_than_the_claim_says_contradicts_it() {
        let p = "The committee met on Friday. Senator Alan Price did not attend.";
        assert_eq!(
            found("Senator Alan Price attended the hearing on Friday.", p).as_deref(),
            Some("Senator Alan Price did not attend.")
        );
        let p = "Sale items cannot be exchanged.";
        assert!(found("Sale items can be exchanged for store credit.", p).is_some());
        // The claim picks from the list that is the sentence's subject.
        let p = "Swimwear and pierced jewellery cannot be returned for hygiene reasons.";
        assert!(found("Swimwear can be returned for a full refund.", p).is_none());
        let p = "Swimwear and pierced jewellery cannot be returned.";
        assert!(found("Swimwear can be returned for a full refund.", p).is_some());
        let p = "On the way back they plead with the orcas, and one of them says: 'Please don't \
                 attack us.'";
        assert!(found("One of the friends was injured in the attack.", p).is_none());
        // A word that bounds polarity keeps it silent, even inside the list.
        let p = "Items without tags and sale items cannot be returned.";
        assert!(found("Sale items can be returned for store credit.", p).is_none());
        let p = "Cats may stay in the rooms and dogs may not stay.";
        assert!(found("Cats may stay in the rooms for free.", p).is_none());
        // The sentence says more than the claim, or names too little, or the claim negates.
        let p = "Sale items cannot be exchanged after 14 days.";
        assert!(found("Sale items can be exchanged within 7 days.", p).is_none());
        let p = "Customers should not use the kettle.";
        assert!(found("Customers used the kettle for two years.", p).is_none());
        let p = "He did not play.";
        assert!(found("He played for Arsenal in 2010.", p).is_none());
        let p = "Sale items can be exchanged.";
        assert!(found("Sale items cannot be exchanged for cash.", p).is_none());
    }

    #[test]
    fn a_figure_of_the_claim_need_not_be_in_a_sentence_without_figures() {
        let p = "The library is closed on Mondays. It opens at 10 am on other days.";
        assert_eq!(
            found("The library is open on Mondays from 9 am to 5 pm.", p).as_deref(),
            Some("The library is closed on Mondays.")
        );
        let p = "Gift vouchers do not expire and can be used in any store.";
        assert!(found("Gift vouchers expire after 12 months.", p).is_some());
        // A quantifier is not what the sentence negates.
        let p = "Two people were treated for smoke inhalation; no serious injuries were reported.";
        assert!(found("Several serious injuries were reported.", p).is_some());
        // A sentence with figures of its own may be about another year or amount.
        let p = "In 2020 the company was profitable for the first time.";
        assert!(found("The company was not profitable in 2019.", p).is_none());
        assert!(found("The company was not profitable in 2020.", p).is_some());
    }

    #[test]
    fn faithful_claims_and_other_polarities_are_left_alone() {
        let p = "API keys do not expire, but they can be revoked at any time from the dashboard.";
        // The negation bears on a word the claim does not state.
        assert!(found("API keys can be revoked from the dashboard.", p).is_none());
        // Both negate.
        assert!(found("API keys don't expire.", p).is_none());
        // A word of the claim is not in the sentence: not the same statement.
        let p = "You cannot return items after 30 days.";
        assert!(found("Items can be returned within 30 days.", p).is_none());
        // The negation is another clause's.
        let p = "It's not the first time, of course: a similar error saw him denied his first \
                 wicket in Adelaide in 2013.";
        assert!(found("His first wicket was denied in Adelaide in 2013.", p).is_none());
        // Both polarities.
        let p = "The leaflet told residents what items could go in the bins.";
        assert!(found(
            "It told residents what could and could not go in the bins.",
            p
        )
        .is_none());
        // A prefix that negates nothing, or both sides negating.
        let p = "The door can be unlocked from the inside.";
        assert!(found("The door can be locked from the inside.", p).is_none());
        let p = "The lounge is not unavailable on Sundays.";
        assert!(found("The lounge is available on Sundays.", p).is_none());
        // What the claim says beyond the negated clause is an affirmative clause's.
        let p = "The free plan does not include API access, but it includes unlimited projects.";
        assert!(found("The free plan includes unlimited projects.", p).is_none());
        assert!(found("The free plan includes API access.", p).is_some());
        let p = "The tablets may cause drowsiness, so you should not drive after taking them.";
        assert!(found("You can drive after taking the tablets.", p).is_some());
        // "Not only" is no negation.
        let p = "The plan covers not only dental care but also eye care.";
        assert!(found("The plan covers dental care.", p).is_none());
        // A bound turns the negation into a limit.
        let p = "No employee may carry over more than 5 days.";
        assert!(found("Employees may carry over 5 days.", p).is_none());
        // "No," answers; a capitalised "No" past the first word is a name.
        let p = "The film No Strings Attached was released in 2011.";
        assert!(found("No Strings Attached was released in 2011.", p).is_none());
        assert!(found("No, the film was released in 2011.", p).is_none());
        // Questions are not claims.
        assert!(found("Was No Strings Attached released in 2011?", p).is_none());
        // "Sign up" is no direction.
        let p = "The price of the plan fell, and customers can sign up online.";
        assert!(found("Customers can sign up online.", p).is_none());
    }

    #[test]
    fn the_span_maps_back_into_the_passage() {
        let p = "First sentence here. Refunds are not available for digital downloads.";
        let claim = Claim::read("Refunds are available for digital downloads.")
            .expect("the check reads the claim");
        let c = check(&claim, &[&Sentences::of(p)]).expect("the negated sentence is found");
        assert_eq!(c.passage, 0);
        assert_eq!(
            &p[c.start..c.end],
            "Refunds are not available for digital downloads."
        );
        assert!(c.what.contains("available"), "{}", c.what);
    }
}
