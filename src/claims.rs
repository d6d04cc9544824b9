//! Claims stage: splits a response into sentences and atomic claims, each with its exact span.
//!
//! Segmentation is rule-based and conservative: a sentence ends at `.`, `!` or `?` (plus closing
//! quotes or brackets) followed by whitespace and something that can start a sentence, unless the
//! word before the stop is a known abbreviation ("Dr.", "e.g.", "U.S."), an initial ("J."),
//! initials written together ("P.C. Cast"; "U.S." and these still end a sentence before a
//! typical sentence-initial word such as "The") or the stop sits inside a number ("3.5", "1,234.5"). Newlines and bullet markers always separate
//! claims. Simple coordinations of two full clauses ("A is X, and B is Y") become two claims.
//! A run longer than [`MAX_CLAIM_BYTES`] without a sentence stop is cut at a clause or word
//! boundary, so the work per claim is bounded whatever the input. Spans are byte offsets into the input plus UTF-16 offsets for browser UIs.
//! A markdown table row is one claim; [`table_row`] says what it states under its header.

use std::sync::LazyLock;

use regex::Regex;

/// A half-open range of the response, in UTF-8 bytes and UTF-16 code units.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Span {
    /// Start byte offset.
    pub start: usize,
    /// End byte offset (exclusive).
    pub end: usize,
    /// Start in UTF-16 code units.
    pub start_utf16: usize,
    /// End in UTF-16 code units (exclusive).
    pub end_utf16: usize,
}

/// One claim: a substring of the response that is checked on its own.
#[derive(Debug, Clone, PartialEq)]
pub struct Claim {
    /// The claim text, exactly `response[span.start..span.end]`.
    pub text: String,
    /// Where it is in the response.
    pub span: Span,
    /// The claim ends where [`MAX_CLAIM_BYTES`] cut a longer run: its sentence goes on in the
    /// next claim (a stream may check it before the sentence ends).
    pub cut: bool,
}

/// Words that end with a period without ending a sentence (compared lower-case, without the
/// final period).
const ABBREVIATIONS: &[&str] = &[
    "dr", "mr", "mrs", "ms", "prof", "sr", "jr", "st", "mt", "ft", "vs", "etc", "e.g", "i.e", "cf",
    "approx", "ca", "no", "nos", "vol", "fig", "inc", "ltd", "co", "corp", "dept", "est", "gen",
    "gov", "col", "lt", "sgt", "capt", "rev", "hon", "jan", "feb", "mar", "apr", "jun", "jul",
    "aug", "sep", "sept", "oct", "nov", "dec", "u.s", "u.k", "u.n", "e.u", "u.s.a", "a.m", "p.m",
    "al", "pp", "op", "ed", "eds", "min", "max", "avg", "dist", "km", "sq",
    // Titles in Spanish and Portuguese place names ("Brig. Gral. Antonio Parodi Airport").
    "brig", "gral", "pdte", "cnel", "tte",
];

/// Words that typically start a sentence (used after ambiguous abbreviations like "U.S.").
const SENTENCE_STARTERS: &[&str] = &[
    "The", "It", "He", "She", "They", "We", "I", "This", "That", "These", "Those", "There", "In",
    "A", "An", "Its", "Their", "His", "Her", "But", "And", "However", "Also", "Some", "Many",
];

/// Verbs whose presence on both sides of a conjunction marks two full clauses.
const CLAUSE_VERBS: &[&str] = &[
    "is", "are", "was", "were", "has", "have", "had", "lies", "lie", "borders", "border", "covers",
    "melts", "boils", "uses", "speaks", "belongs", "serves", "contains", "became", "becomes",
];

/// Longest claim, in bytes. Real sentences are far shorter; a longer run (a list without
/// stops, a degenerate repetition) is cut at the last ", " / "; " in its second half, else at
/// the last whitespace, else at a character boundary.
pub const MAX_CLAIM_BYTES: usize = 512;

/// Splits `text` into claims. Whitespace-only pieces, bullet markers and questions ("Do you like
/// crime fiction?": a question asserts nothing) are not claims, except for the statement a
/// question carries ([`asserted`]): "X went to space in 1997, have you read her book?" claims
/// "X went to space in 1997", and "Did you know that X played baseball?" claims "X played
/// baseball". A markdown table's header row (a "|" line over its "|---|" line) states
/// nothing: its rows are read under it ([`table_row`]).
pub fn split(text: &str) -> Vec<Claim> {
    let utf16 = Utf16Index::new(text);
    let mut claims = Vec::new();
    let all = lines(text);
    for (k, &(line_start, line_end)) in all.iter().enumerate() {
        if table_header(text, &all, k) {
            continue;
        }
        let (s, e) = strip_bullet(text, line_start, line_end);
        for (ss, se) in sentences(text, s, e) {
            let sentence =
                text[ss..se].trim_end_matches(|c: char| c.is_whitespace() || is_closer(c));
            let (ss, se) = if sentence.ends_with(['?', '？']) {
                match asserted(text, ss, ss + sentence.len()) {
                    Some(range) => range,
                    None => continue,
                }
            } else {
                (ss, se)
            };
            let pieces = bounded(text, ss, se);
            let last_piece = pieces.len() - 1;
            for (k, (bs, be)) in pieces.into_iter().enumerate() {
                let parts = coordinations(text, bs, be);
                let last_part = parts.len() - 1;
                for (j, (cs, ce)) in parts.into_iter().enumerate() {
                    let (cs, ce) = trim(text, cs, ce);
                    if cs < ce && text[cs..ce].chars().any(char::is_alphanumeric) {
                        claims.push(Claim {
                            text: text[cs..ce].to_string(),
                            span: utf16.span(cs, ce),
                            cut: k < last_piece && j == last_part,
                        });
                    }
                }
            }
        }
    }
    claims
}

/// A markdown table's header separator line ("|---|:---:|").
static TABLE_SEPARATOR: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^\|?\s*:?-+:?\s*(?:\|\s*:?-+:?\s*)*\|?$").expect("static regex; this is a bug")
});

/// The cells of a markdown table line, trimmed, without emphasis marks.
fn table_cells(line: &str) -> Vec<&str> {
    let line = line.trim();
    let line = line.strip_prefix('|').unwrap_or(line);
    let line = line.strip_suffix('|').unwrap_or(line);
    line.split('|')
        .map(|c| c.trim().trim_matches(['*', '_', '`']).trim())
        .collect()
}

/// What a claim that is a whole markdown table row ("| Germany | Munich | 83 million |") states
/// under its table's header ("| Country | Capital | Population (2023) |" and a "|---|" line):
/// one sentence per cell, of the row's head (its first cell with a letter): "Germany's capital
/// is Munich.", "Germany's population is 83 million.". A header's parenthesis is a unit for a
/// number ("Area (km²)": "357,000 km²") or, with digits in it, dropped ("(2023)"). `None` for
/// any other claim, a header row, or a row whose cells do not match the header's.
pub fn table_row(response: &str, span: &Span) -> Option<Vec<String>> {
    let line_start = response[..span.start].rfind('\n').map_or(0, |i| i + 1);
    let line_end = response[span.start..]
        .find('\n')
        .map_or(response.len(), |i| span.start + i);
    let line = response[line_start..line_end].trim();
    if !line.starts_with('|') || line != response[span.start..span.end].trim() {
        return None;
    }
    let table: Vec<&str> = response[..line_start]
        .lines()
        .rev()
        .take_while(|l| table_line(l))
        .collect();
    let [.., separator, header] = table.as_slice() else {
        return None;
    };
    if !header_over(header, separator) {
        return None;
    }
    let (header, row) = (table_cells(header), table_cells(line));
    if header.len() != row.len() {
        return None;
    }
    let head = row
        .iter()
        .position(|c| c.chars().any(char::is_alphabetic))?;
    let sentences: Vec<String> = header
        .iter()
        .zip(&row)
        .enumerate()
        .filter(|&(i, (h, v))| i != head && !h.is_empty() && v.chars().any(char::is_alphanumeric))
        .map(|(_, (h, v))| {
            let (name, unit) = match h.split_once('(') {
                Some((name, rest)) => {
                    let inner = rest.trim_end_matches(')').trim();
                    (
                        name.trim(),
                        (!inner.contains(|c: char| c.is_ascii_digit())).then_some(inner),
                    )
                }
                None => (*h, None),
            };
            let value = match unit {
                Some(u) if v.ends_with(|c: char| c.is_ascii_digit()) => format!("{v} {u}"),
                _ => (*v).to_string(),
            };
            format!("{}'s {} is {value}.", row[head], name.to_lowercase())
        })
        .collect();
    (!sentences.is_empty()).then_some(sentences)
}

/// Whether `line` is a markdown table line: it starts with "|".
pub(crate) fn table_line(line: &str) -> bool {
    line.trim_start().starts_with('|')
}

/// Whether `line` is a markdown table's header row, `next` being the line after it: a table
/// line over the "|---|" separator.
fn header_over(line: &str, next: &str) -> bool {
    table_line(line) && TABLE_SEPARATOR.is_match(next.trim())
}

/// Whether line `k` of `lines` is a markdown table's header row ([`header_over`]).
fn table_header(text: &str, lines: &[(usize, usize)], k: usize) -> bool {
    let (a, b) = lines[k];
    lines
        .get(k + 1)
        .is_some_and(|&(c, d)| header_over(&text[a..b], &text[c..d]))
}

/// Question words: a sentence starting with one asks rather than states; after a comma one
/// starts a tag question ("..., what about you?").
const WH_WORDS: &[&str] = &[
    "what", "which", "who", "whom", "whose", "how", "where", "when", "why",
];

/// Auxiliaries: a sentence starting with one asks rather than states; followed by one of
/// [`TAG_SUBJECTS`] one starts a tag question ("..., have you seen it?").
const AUXILIARIES: &[&str] = &[
    "have", "has", "had", "do", "does", "did", "would", "will", "can", "could", "are", "were",
    "is", "was", "should", "shall", "may", "might", "don't", "doesn't", "didn't", "isn't",
    "aren't", "wasn't", "weren't", "haven't", "hasn't", "won't", "wouldn't", "can't", "couldn't",
    "dont", "doesnt", "didnt", "isnt", "arent", "wasnt", "werent", "havent", "hasnt", "wont",
    "wouldnt", "cant", "couldnt",
];

/// Question openers that present what follows as a fact ("Did you know that X?").
const PRESUPPOSING: &[&str] = &[
    "did you know that ",
    "did you know ",
    "do you know that ",
    "did you hear that ",
    "did you hear ",
    "isn't it true that ",
    "is it true that ",
];

/// Subjects that follow an auxiliary opening a tag question.
const TAG_SUBJECTS: &[&str] = &[
    "you", "u", "ya", "we", "they", "he", "she", "it", "that", "this", "there", "i",
];

/// Fewest words a statement carried by a question must have ("No problem, would you like ..."
/// carries nothing worth checking).
const MIN_ASSERTED_WORDS: usize = 4;

/// The statement a question sentence `text[start..end]` (ending with `?`) carries, if any: what
/// follows a presupposing opener ([`PRESUPPOSING`]), or the statement before a tag question
/// ("Laura Hillenbrand went to space in 1997, have you read her book?") when the sentence does
/// not itself open as a question. Without this a hallucination phrased with a question tag
/// would go unchecked. At least [`MIN_ASSERTED_WORDS`] words, else `None`.
fn asserted(text: &str, start: usize, end: usize) -> Option<(usize, usize)> {
    let sentence = &text[start..end];
    // ASCII lower-casing keeps byte offsets.
    let lower = sentence.to_ascii_lowercase();
    let words = |a: usize, b: usize| text[a..b].split_whitespace().count();
    let strip = |a: usize, b: usize| {
        let (a, b) = trim(text, a, b);
        let t = text[a..b].trim_end_matches(|c: char| {
            c == '?' || c == '？' || c == ',' || c == ';' || c.is_whitespace() || is_closer(c)
        });
        (a, a + t.len())
    };
    if let Some(lead) = PRESUPPOSING.iter().find(|p| lower.starts_with(*p)) {
        let (a, b) = strip(start + lead.len(), end);
        return (words(a, b) >= MIN_ASSERTED_WORDS).then_some((a, b));
    }
    // The word at the start of `s` (letters, digits and apostrophes).
    let word_at = |s: &str| -> String {
        s.chars()
            .take_while(|&c| c.is_alphanumeric() || c == '\'')
            .collect()
    };
    let first = word_at(lower.trim_start_matches(|c: char| !c.is_alphanumeric()));
    let first = first.as_str();
    if WH_WORDS.contains(&first) || AUXILIARIES.contains(&first) {
        return None;
    }
    // The earliest word that opens a tag question.
    let mut at = 0;
    for word in lower.split_inclusive(char::is_whitespace) {
        let i = at;
        at += word.len();
        let w = word.trim_end();
        let next = word_at(&lower[at..]);
        let after_comma = lower[..i].trim_end().ends_with(',');
        let tag = i > 0
            && ((WH_WORDS.contains(&w) && after_comma)
                || (AUXILIARIES.contains(&w) && TAG_SUBJECTS.contains(&next.as_str()))
                || (w == "right?" && after_comma));
        if tag {
            let (a, b) = strip(start, start + i);
            return (words(a, b) >= MIN_ASSERTED_WORDS).then_some((a, b));
        }
    }
    None
}

/// Byte ranges of the whole sentences of `text` (lines, bullets and sentence ends as in
/// [`split`], without splitting coordinated clauses): the units context passages are read in.
pub fn sentence_spans(text: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    for (line_start, line_end) in lines(text) {
        let (s, e) = strip_bullet(text, line_start, line_end);
        for (ss, se) in sentences(text, s, e)
            .into_iter()
            .flat_map(|(ss, se)| bounded(text, ss, se))
        {
            let (ss, se) = trim(text, ss, se);
            if ss < se && text[ss..se].chars().any(char::is_alphanumeric) {
                out.push((ss, se));
            }
        }
    }
    out
}

/// Maps byte offsets to UTF-16 offsets in O(log n) per lookup.
pub struct Utf16Index {
    /// (byte offset, utf16 offset) at every char boundary of a non-ASCII char, for interpolation.
    marks: Vec<(usize, usize)>,
}

impl Utf16Index {
    /// Builds the index for `text`.
    pub fn new(text: &str) -> Self {
        let mut marks = vec![(0, 0)];
        let mut u16_pos = 0;
        for (b, c) in text.char_indices() {
            if !c.is_ascii() {
                marks.push((b, u16_pos));
                marks.push((b + c.len_utf8(), u16_pos + c.len_utf16()));
            }
            u16_pos += c.len_utf16();
        }
        Self { marks }
    }

    /// UTF-16 offset of the char boundary at byte `b`.
    pub fn utf16(&self, b: usize) -> usize {
        let i = match self.marks.binary_search_by_key(&b, |m| m.0) {
            Ok(i) => return self.marks[i].1,
            Err(i) => i - 1,
        };
        // Between marks everything is ASCII: one byte is one UTF-16 unit.
        self.marks[i].1 + (b - self.marks[i].0)
    }

    /// Span for the byte range `[start, end)`.
    pub fn span(&self, start: usize, end: usize) -> Span {
        Span {
            start,
            end,
            start_utf16: self.utf16(start),
            end_utf16: self.utf16(end),
        }
    }
}

/// Byte ranges of the lines of `text` (without the line terminator).
fn lines(text: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut start = 0;
    for (i, c) in text.char_indices() {
        if c == '\n' || c == '\u{2028}' || c == '\u{2029}' {
            out.push((start, i));
            start = i + c.len_utf8();
        }
    }
    out.push((start, text.len()));
    out
}

/// Skips leading whitespace and a bullet marker ("-", "*", "•", "1.", "2)", "a)").
fn strip_bullet(text: &str, start: usize, end: usize) -> (usize, usize) {
    let (s, e) = trim(text, start, end);
    let line = &text[s..e];
    for marker in ["- ", "* ", "• ", "· ", "– ", "— ", "+ "] {
        if let Some(rest) = line.strip_prefix(marker) {
            return (e - rest.len(), e);
        }
    }
    // Numbered bullets: up to 3 digits (or one letter) then "." or ")" then a space.
    let bytes = line.as_bytes();
    let mut i = 0;
    while i < bytes.len() && i < 3 && bytes[i].is_ascii_digit() {
        i += 1;
    }
    if i == 0 && bytes.len() > 2 && bytes[0].is_ascii_lowercase() && bytes[1] == b')' {
        i = 1;
    }
    if i > 0
        && i + 1 < bytes.len()
        && (bytes[i] == b'.' || bytes[i] == b')')
        && bytes[i + 1] == b' '
    {
        // "1. Paris is ..." is a bullet; "3.5 million people" is not (no space after the dot).
        return (s + i + 2, e);
    }
    (s, e)
}

/// Trims whitespace from both ends of `[start, end)`.
fn trim(text: &str, start: usize, end: usize) -> (usize, usize) {
    let piece = &text[start..end];
    let left = piece.len() - piece.trim_start().len();
    let right = piece.trim_end().len();
    if left >= right {
        return (start, start);
    }
    (start + left, start + right)
}

fn is_closer(c: char) -> bool {
    matches!(c, '"' | '\'' | ')' | ']' | '”' | '’' | '»' | '」')
}

/// Sentence ranges inside one line.
fn sentences(text: &str, start: usize, end: usize) -> Vec<(usize, usize)> {
    let line = &text[start..end];
    let chars: Vec<(usize, char)> = line.char_indices().collect();
    let mut out = Vec::new();
    let mut sent_start = 0;
    let mut i = 0;
    while i < chars.len() {
        let (b, c) = chars[i];
        if matches!(c, '.' | '!' | '?' | '。' | '！' | '？') {
            // Extend over repeated stops and closing quotes/brackets: `?!`, `."`, `.)`.
            let mut j = i + 1;
            while j < chars.len()
                && (matches!(chars[j].1, '.' | '!' | '?') || is_closer(chars[j].1))
            {
                j += 1;
            }
            let after_ws = j < chars.len() && chars[j].1.is_whitespace();
            let at_end = j >= chars.len();
            if (after_ws || at_end) && (c != '.' || !is_non_terminal_period(line, b, &chars, j)) {
                let stop_end = if j < chars.len() {
                    chars[j].0
                } else {
                    line.len()
                };
                out.push((start + sent_start, start + stop_end));
                sent_start = stop_end;
            }
            i = j;
            continue;
        }
        i += 1;
    }
    if sent_start < line.len() {
        out.push((start + sent_start, end));
    }
    out
}

/// True when the period at byte `b` of `line` does not end a sentence: an abbreviation, an
/// initial, or followed by a word that cannot start a sentence.
fn is_non_terminal_period(line: &str, b: usize, chars: &[(usize, char)], next: usize) -> bool {
    // The word before the period, back to whitespace or an opening bracket/quote.
    let before = &line[..b];
    let word_start = before
        .char_indices()
        .rev()
        .find(|(_, c)| c.is_whitespace() || matches!(c, '(' | '"' | '“' | '[' | '\''))
        .map(|(i, c)| i + c.len_utf8())
        .unwrap_or(0);
    let word = &before[word_start..];
    let lower = word.to_lowercase();
    // Next non-space character after the stop.
    let next_char = chars[next..]
        .iter()
        .map(|&(_, c)| c)
        .find(|c| !c.is_whitespace());
    let next_starts_sentence = match next_char {
        None => true,
        Some(c) => c.is_uppercase() || c.is_numeric() || matches!(c, '"' | '“' | '\'' | '(' | '‘'),
    };
    if !next_starts_sentence {
        return true;
    }
    // Single capital letter: an initial ("J. R. R. Tolkien").
    let mut wc = word.chars();
    if let (Some(first), None) = (wc.next(), wc.next()) {
        if first.is_uppercase() {
            return true;
        }
    }
    // Whether the next word is a typical sentence-initial one ("The", "It", ...).
    let next_is_starter = || {
        let next_word: String = line[chars[next.min(chars.len() - 1)].0..]
            .trim_start()
            .chars()
            .take_while(|c| c.is_alphabetic())
            .collect();
        SENTENCE_STARTERS.contains(&next_word.as_str())
    };
    if ABBREVIATIONS.contains(&lower.as_str()) {
        // "in the U.S. The ..." is ambiguous; keep the abbreviation reading only for titles
        // and abbreviations that almost never end a sentence.
        // "in the U.S. It is" ends a sentence, "the U.S. Army" does not: for abbreviations that
        // often end sentences, split only before a typical sentence-initial word.
        if matches!(
            lower.as_str(),
            "etc" | "u.s" | "u.k" | "u.n" | "e.u" | "u.s.a"
        ) {
            return !next_is_starter();
        }
        return true;
    }
    // Initials written together ("P.C. Cast", "J.R.R. Tolkien"): the name goes on, unless a
    // typical sentence-initial word follows ("in Washington, D.C. The city ...").
    let dotted_initials = word.split('.').count() > 1
        && word.split('.').all(|part| {
            let mut c = part.chars();
            matches!((c.next(), c.next()), (Some(l), None) if l.is_uppercase())
        });
    if dotted_initials {
        return !next_is_starter();
    }
    false
}

/// `[start, end)` cut into pieces of at most [`MAX_CLAIM_BYTES`] (see there for where).
fn bounded(text: &str, start: usize, end: usize) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut s = start;
    while end - s > MAX_CLAIM_BYTES {
        let limit = text.floor_char_boundary(s + MAX_CLAIM_BYTES);
        let window = &text[s..limit];
        let half = MAX_CLAIM_BYTES / 2;
        let cut = window
            .rfind([',', ';'])
            .filter(|&i| i >= half)
            .map(|i| i + 1)
            .or_else(|| {
                window
                    .rfind(char::is_whitespace)
                    .filter(|&i| i >= half)
                    .map(|i| i + window[i..].chars().next().map_or(1, char::len_utf8))
            })
            .unwrap_or(window.len());
        out.push((s, s + cut));
        s += cut;
    }
    out.push((s, end));
    out
}

/// Splits one sentence at a conjunction joining two full clauses.
fn coordinations(text: &str, start: usize, end: usize) -> Vec<(usize, usize)> {
    let sentence = &text[start..end];
    let lower = sentence.to_lowercase();
    // to_lowercase can change byte lengths for some scripts; only split when it did not.
    if lower.len() != sentence.len() {
        return vec![(start, end)];
    }
    for conj in [
        "; ",
        ", and ",
        ", but ",
        ", while ",
        ", whereas ",
        " and ",
        " but ",
    ] {
        let mut search_from = 0;
        while let Some(pos) = lower[search_from..].find(conj) {
            let at = search_from + pos;
            let left = &lower[..at];
            let right = &lower[at + conj.len()..];
            if has_clause_verb(left) && has_clause_verb(right) && starts_with_subject(right) {
                let mut out = coordinations(text, start, start + at);
                out.extend(coordinations(text, start + at + conj.len(), end));
                return out;
            }
            search_from = at + conj.len();
        }
    }
    vec![(start, end)]
}

fn has_clause_verb(piece: &str) -> bool {
    piece
        .split(|c: char| !c.is_alphanumeric())
        .any(|w| CLAUSE_VERBS.contains(&w))
}

/// The right side of a split must start with its own subject: a verb must not be its first word
/// ("X is big and is old" stays one claim).
fn starts_with_subject(right: &str) -> bool {
    right
        .split_whitespace()
        .next()
        .is_some_and(|w| !CLAUSE_VERBS.contains(&w))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_table_row_states_each_cell_of_its_head_under_the_header() {
        let text = "Capitals:\n\n| Rank | Country | Capital | Area (km²) | Population (2023) |\n\
                    |:--|---|---|--:|-|\n\
                    | 1 | **Germany** | Munich | 357,022 | — |\n\
                    | France | Paris |\n\
                    Germany is in Europe.";
        let rows: Vec<Option<Vec<String>>> = split(text)
            .iter()
            .map(|c| table_row(text, &c.span))
            .collect();
        assert_eq!(
            rows,
            [
                // The header row is no claim; a row whose cells do not match it states nothing.
                None,
                Some(vec![
                    "Germany's rank is 1.".to_string(),
                    "Germany's capital is Munich.".to_string(),
                    "Germany's area is 357,022 km².".to_string(),
                ]),
                None,
                None,
            ]
        );
        assert!(!split(text).iter().any(|c| c.text.contains("Rank")));
        // Without the separator line there is no header.
        let text = "| Country | Capital |\n| Germany | Munich |";
        let claims = split(text);
        assert_eq!(table_row(text, &claims[1].span), None);
    }

    fn texts(s: &str) -> Vec<String> {
        split(s).into_iter().map(|c| c.text).collect()
    }

    #[test]
    fn abbreviations_decimals_and_initials_do_not_split() {
        assert_eq!(
            texts(
                "Dr. Smith lives in the U.S. Army base. It has 3.5 million people and 1,234 cars."
            ),
            vec![
                "Dr. Smith lives in the U.S. Army base.",
                "It has 3.5 million people and 1,234 cars."
            ]
        );
        assert_eq!(
            texts("J. R. R. Tolkien wrote books, e.g. The Hobbit. He was born in 1892."),
            vec![
                "J. R. R. Tolkien wrote books, e.g. The Hobbit.",
                "He was born in 1892."
            ]
        );
        // Initials written together are one name; before a sentence-initial word they end it.
        assert_eq!(
            texts("In 2008, P.C. Cast released a book with J.R.R. Tolkien and J.G. Jones."),
            vec!["In 2008, P.C. Cast released a book with J.R.R. Tolkien and J.G. Jones."]
        );
        assert_eq!(
            texts("She lives in Washington, D.C. The city is large."),
            vec!["She lives in Washington, D.C.", "The city is large."]
        );
        // Titles in Spanish place names: the airport's name is one claim, not three.
        assert_eq!(
            texts(
                "The IATA code of Brig. Gral. Antonio Parodi Airport is EQS. It is in Argentina."
            ),
            vec![
                "The IATA code of Brig. Gral. Antonio Parodi Airport is EQS.",
                "It is in Argentina."
            ]
        );
    }

    #[test]
    fn quotes_bullets_and_newlines() {
        assert_eq!(
            texts(
                "He said \"Paris is big.\" Then he left!\n- Berlin is in Germany\n2. Rome is old."
            ),
            vec![
                "He said \"Paris is big.\"",
                "Then he left!",
                "Berlin is in Germany",
                "Rome is old."
            ]
        );
    }

    #[test]
    fn coordinations_of_full_clauses_split() {
        assert_eq!(
            texts("Nairobi is the capital of Kenya, and Kampala is the capital of Uganda."),
            vec![
                "Nairobi is the capital of Kenya",
                "Kampala is the capital of Uganda."
            ]
        );
        assert_eq!(
            texts("Paris is the capital and largest city of France."),
            vec!["Paris is the capital and largest city of France."]
        );
    }

    #[test]
    fn unicode_spans_are_exact() {
        let s = "São Paulo is in Brazil 🇧🇷. Zürich is in Switzerland. Côte d'Ivoire is in Africa.";
        let claims = split(s);
        assert_eq!(claims.len(), 3);
        for c in &claims {
            assert_eq!(&s[c.span.start..c.span.end], c.text);
            let u16: Vec<u16> = s.encode_utf16().collect();
            let expect = String::from_utf16(&u16[c.span.start_utf16..c.span.end_utf16])
                .expect("valid utf16");
            assert_eq!(expect, c.text);
        }
        assert_eq!(claims[1].text, "Zürich is in Switzerland.");
        // The flag emoji is 2 chars of 4 bytes = 4 UTF-16 units; "ã" is 2 bytes, 1 unit.
        assert_eq!(claims[1].span.start, 34);
        assert_eq!(claims[1].span.start_utf16, 29);
    }

    #[test]
    fn questions_are_not_claims() {
        assert_eq!(
            texts("Do you like Iron Man? Robert Downey Jr. starred in it. Who else was in it?"),
            ["Robert Downey Jr. starred in it."]
        );
        assert_eq!(
            texts("Is it \"true?\" Paris is in France."),
            ["Paris is in France."]
        );
        for q in [
            "Are you interested in similar dramas or movies written by Stephen King?",
            "What is the name of the guy from Cheer who was in the movie, I am curious?",
            "No problem, would you like any other suggestions?",
            "I have, doesn't that also have Larry Miller and Anne Hathaway?",
            "Do you know him?",
            "\"Have you seen the film The Birdcage yet?\"",
        ] {
            assert!(texts(q).is_empty(), "{q}: {:?}", texts(q));
        }
    }

    #[test]
    fn a_statement_inside_a_question_is_a_claim() {
        // A tag question after a statement: the statement is checked, with its exact span.
        let s =
            "Laura Hillenbrand was an astronaut who went to space in 1997, have you read her book?";
        let c = split(s);
        assert_eq!(c.len(), 1);
        assert_eq!(
            c[0].text,
            "Laura Hillenbrand was an astronaut who went to space in 1997"
        );
        assert_eq!(&s[c[0].span.start..c[0].span.end], c[0].text);
        assert_eq!(
            texts("Winn-Dixie is another comedy by Wayne Wang have you seen that?"),
            ["Winn-Dixie is another comedy by Wayne Wang"]
        );
        assert_eq!(
            texts("Oh, the Packers coach got fired today after the game, did you see that?"),
            ["Oh, the Packers coach got fired today after the game"]
        );
        assert_eq!(
            texts("I like Roberta Flack the most, how about you?"),
            ["I like Roberta Flack the most"]
        );
        // A question that presents a fact.
        assert_eq!(
            texts("Did you know Sammy Baugh also played baseball? He did."),
            ["Sammy Baugh also played baseball", "He did."]
        );
        assert_eq!(
            texts("Did you know that Paris is in France?"),
            ["Paris is in France"]
        );
    }

    #[test]
    fn runs_without_stops_are_cut_at_word_boundaries() {
        let s = "Paris is the capital of Paris ".repeat(100);
        let claims = split(&s);
        assert!(
            claims.len() >= s.len() / MAX_CLAIM_BYTES,
            "{}",
            claims.len()
        );
        let mut covered = 0;
        for c in &claims {
            assert!(c.text.len() <= MAX_CLAIM_BYTES, "{}", c.text.len());
            // Cut between words, never inside one.
            let after = s[c.span.end..].chars().next();
            assert!(after.is_none_or(char::is_whitespace), "{:?}", c.text);
            assert!(s[..c.span.start].ends_with(' ') || c.span.start == 0);
            covered += c.text.len();
        }
        // Only the separating spaces are left out.
        assert!(covered + claims.len() >= s.trim().len());
        // A clause boundary in the second half is preferred to a word boundary.
        let s = format!(
            "{}, {}",
            "word ".repeat(60).trim(),
            "tail ".repeat(60).trim()
        );
        let first = &split(&s)[0];
        assert!(first.text.ends_with("word,"), "{:?}", first.text);
        // Text without any whitespace is cut on a character boundary.
        let s = "é".repeat(MAX_CLAIM_BYTES);
        assert!(split(&s).iter().all(|c| c.text.len() <= MAX_CLAIM_BYTES));
    }

    #[test]
    fn empty_and_punctuation_only_give_no_claims() {
        assert!(split("   \n\n  - \n...").is_empty());
    }
}
