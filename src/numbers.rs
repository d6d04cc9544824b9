//! Numbers and dates of a claim against the context passages whose windows the verifier read.
//!
//! The verifier barely reads numbers: VitaminC pairs whose evidence differs only by a number get
//! the same label 81 % of the time (`models/train/card_notes.md`), and a refund window of "60
//! days" read against a policy that says 30 is still "supported" by the wording around it. This
//! check is exact where the model is vague: every number, percentage and date the claim states
//! is compared with those of the passages read, whole, taking the claim's own qualifiers into
//! account ("more than 17" agrees with "eighteen", "released before October 7, 2010" with "2
//! October 2010", "7.5 million" with "7,512,000" at the precision the claim wrote), numbers with
//! numbers of the same kind (percentages with percentages, years with years, spans of time with
//! spans of time, times of day with times of day). A number is read
//! against the passage's number nearest to it, among those counting the same noun where the
//! passage has any ("less than 45 fps" against "60 fps", not "PlayStation 4"; "less than $153.1
//! million" against "$153.1 million", not a "$129 million" budget), and among the figures of
//! what it is of where the passages name that too (`topic_before`: "its budget was $150
//! million" against the "$50 million budget", not the "$150 million" gross). A bound or a side
//! that the passages agree with is read again in the passage sentences that share the most
//! content words with the claim, where those state figures of its kind (a claim about one page
//! of a context is not read against a date of another); a plain figure agrees wherever it is
//! stated, but for a year: a claim stating one year (or one date's year) is about one event, and
//! where one passage sentence is clearly about it (at least three content words of the claim,
//! two more than any other sentence shares) and states years, one of them must agree ("Lovelace
//! met Charles Babbage in 1843" against "In 1833 she met Charles Babbage ... Her notes,
//! published in 1843, ..."); where that sentence states no year, a year stated elsewhere still
//! agrees (a summary takes it from another sentence). A date on a side ("after March 11") must lie on that side of the date stated, and
//! conflicts with that very date stated ("before September 19, 2001" against "1927 – September
//! 19, 2001"). The result is
//! one more signal for the calibrated claim model ([`crate::calibrate::Signals::numbers`]),
//! which weighs it against everything else; on its own it decides nothing, and a conflict is
//! named in the claim's explanation.
//!
//! "An estimated 18 million" states a figure; "nearly 90 %" is at most 90 %; a range writes its
//! scale once ("24 to 32 million": 24 million and 32 million); years BCE count backwards;
//! "$3.5m" is millions; a number written in words is read whole ("two hundred and fifty",
//! "three thousand five hundred"). An ordinal followed by a word is a rank: compared with ranks
//! of the same thing ("the fifth highest-grossing film" against "the seventh"; one that agrees
//! is no evidence on its own), and confirming a plain number of the same value ("season three"
//! against "the third season") without contradicting any.
//!
//! A number counting a unit of time is a span of time ("three years", "an 18-month warranty",
//! "five business days", "in 3 years"), compared in days with the passages' spans, among those
//! in its own unit where the passages state any: "three years" conflicts with "three months",
//! "36 months" agrees with "a 3-year warranty", "2 years" conflicts with "an 18-month warranty"
//! (converted, a span is read at its written precision but at most 5 % either way). Like a rank,
//! a span confirms a plain number of its count ("died at 36" and "at the age of 36 years") and
//! contradicts none; a range writes its unit once ("three to five weeks"). A time of day ("3
//! pm", "11 a.m.", "3:30 pm", "noon", "midnight"; hours and minutes, "15:00", only next to a
//! word that makes them a time: "at", "from", "until", "UTC", another time after a dash) is
//! compared with the passages' times of day only (any of them: a time is not tied to what it is
//! the time of, so "on Tuesdays at 8pm" conflicts with "getting dark at 4pm"), and the "3" of
//! "3 pm" is no number: "Check-in
//! starts at 1 pm" conflicts with "Check-in ... starts at 3 pm and check-out is at 11 am". Hours
//! and minutes on a twelve-hour clock without "am" or "pm" ("9:30", the "9" of "from 9 to 5
//! pm") are either half of the day.
//!
//! Not read: in a claim, spans of time counted from another event ("eight years after her
//! first", worked out rather than stated; a passage's "up to 48 hours before arrival" is read),
//! and times of day on a side or hedged ("after 2 pm", "around noon"); multiples ("three times
//! as many"); ordinals at the end of a phrase ("came in 6th") or after a bound ("above the
//! 6th"), codes (a leading zero, digit groups written apart: "01273 683111"), hours and
//! minutes that no word makes a time (a score "21:19", a verse "John 3:16", "3:1"), an hour as
//! four digits ("1300 hours") or with "h", spans without a number ("a year and a half", "a
//! decade"), "century" (the "21 century" is the twenty-first), a range as one interval (its two
//! ends are two numbers: "open at 10 am" conflicts with "from 8 am to 6 pm"), two years of one
//! focus sentence told apart by clause ("born in Warsaw in 1867 and moved to Paris in 1891"
//! agrees with "moved to Paris in 1867"), and number words or ordinals written with a capital
//! (usually part of a name: "Twenty One Pilots", "Airman First Class", "Midnight Express").

use std::collections::HashSet;
use std::sync::{LazyLock, OnceLock};

use regex::Regex;

use crate::link::{self, Bound};

/// What the passages read say about the claim's numbers and dates.
#[derive(Debug, Clone, PartialEq)]
pub enum Agreement {
    /// Every figure of the claim that can be compared (the passages state figures of its kind)
    /// agrees with theirs.
    Agrees,
    /// A figure of the claim does not agree with the passages' figures of its kind: the text
    /// of the first such figure, as the claim wrote it.
    Conflicts(String),
}

/// The figures a passage (or a claim) states, parsed once per request and read by every claim
/// that reads one of its windows. The content words of the sentence each figure stands in are
/// found only when a claim's bound or side needs them ([`focus`]; most claims have none).
#[derive(Debug, Clone, Default)]
pub struct Figures {
    text: String,
    items: Vec<Item>,
    sentences: OnceLock<Sentences>,
}

#[derive(Debug, Clone, Default)]
struct Sentences {
    /// Content words of each sentence of the passage.
    words: Vec<HashSet<String>>,
    /// The sentence of each item (index into `words`).
    of: Vec<usize>,
}

impl Figures {
    pub fn of(text: &str) -> Self {
        Figures {
            text: text.to_string(),
            items: figures(text),
            sentences: OnceLock::new(),
        }
    }

    /// Whether the text, as a claim, states a figure [`check`] compares (a number, a percentage
    /// or a date): when it does not, the passages need not be parsed.
    pub fn states_figures(&self) -> bool {
        self.items.iter().any(|c| !c.window_only)
    }

    fn sentences(&self) -> &Sentences {
        self.sentences.get_or_init(|| {
            let spans = crate::claims::sentence_spans(&self.text);
            Sentences {
                words: spans
                    .iter()
                    .map(|&(a, b)| words(&self.text[a..b]))
                    .collect(),
                of: self
                    .items
                    .iter()
                    .map(|it| spans.iter().rposition(|&(a, _)| a <= it.at).unwrap_or(0))
                    .collect(),
            }
        })
    }
}

/// Content words without digits: what a claim and a passage sentence share when they are
/// about the same thing (the figures themselves are what is compared, not what matches).
fn words(text: &str) -> HashSet<String> {
    let mut w = crate::retrieve::content_words(text);
    w.retain(|w| !w.contains(|c: char| c.is_ascii_digit()));
    w
}

/// Compares the claim's figures (a claim parsed with [`Figures::of`]) with those of the
/// passages it read, taken together and whole (a sentence of a summary may take its numbers from
/// several places of its article, not all in the windows the verifier read). `None` when there
/// is nothing to compare: the claim states no number or date, or no passage states the kinds the
/// claim does.
pub fn check(claim: &Figures, passages: &[&Figures]) -> Option<Agreement> {
    let stated: Vec<&Item> = passages.iter().flat_map(|p| &p.items).collect();
    // Found only when a bound or a side needs it (most claims have none).
    let mut focused: Option<Vec<&Item>> = None;
    // A claim stating one year is about one event: found only for such a claim.
    let years: HashSet<i32> = claim.items.iter().filter_map(|c| year(&c.figure)).collect();
    let mut about: Option<Vec<&Item>> = None;
    let mut compared = false;
    for c in claim.items.iter().filter(|c| !c.window_only) {
        // A date the window states only as a year ("in 2010") is checked on its year.
        let against = |stated: &[&Item]| {
            agrees(&c.figure, c.noun.as_deref(), c.topic.as_ref(), stated)
                .or_else(|| year_of(&c.figure).and_then(|y| agrees(&y, None, None, stated)))
        };
        // A bound or a side agrees with many figures ("before November 3, 2016" with any
        // earlier date of any page of the context): where the passages agree with one, the
        // sentences most about what the claim is about decide, when they state figures of its
        // kind. A plain figure stated anywhere in the passages agrees (a summary sentence's
        // "Tiger Woods, 39" is stated in another sentence than the one about his round).
        // A year stated anywhere agrees only where the sentence most about what the claim
        // is about (sharing clearly more of its words than any other) states no other year:
        // "met Charles Babbage in 1843" against "In 1833 she met Charles Babbage ... her notes,
        // published in 1843". A claim with two years joins two events and is left whole.
        let agreement = match against(&stated) {
            Some(true) if c.figure.bounded() => {
                against(focused.get_or_insert_with(|| focus(&claim.text, passages, false)))
                    .or(Some(true))
            }
            Some(true) if years.len() == 1 && dated(&c.figure) => {
                against(about.get_or_insert_with(|| focus(&claim.text, passages, true)))
                    .or(Some(true))
            }
            whole => whole,
        };
        match agreement {
            Some(false) => return Some(Agreement::Conflicts(c.text.clone())),
            // A rank that agrees only keeps a conflict away: "the first" is stated about
            // something in most passages, and says little for the claim.
            Some(true) => compared |= !c.figure.rank(),
            None => {}
        }
    }
    compared.then_some(Agreement::Agrees)
}

/// The year a figure states: a year, or a date's year, whatever its side.
fn year(figure: &Figure) -> Option<i32> {
    match *figure {
        Figure::Number(n) if n.year => Some(n.value as i32),
        Figure::Date { year, .. } => year,
        _ => None,
    }
}

/// A year or a date with a year, written plainly ("in 1843", "on 10 December 1815").
fn dated(figure: &Figure) -> bool {
    match *figure {
        Figure::Number(n) => n.year && n.qualifier == Qualifier::Plain,
        Figure::Date { year, side, .. } => year.is_some() && side == 0,
        Figure::Time { .. } => false,
    }
}

/// The figures of the passage sentences sharing the most content words with the claim (at
/// least two): "The Light Between Oceans was released before November 3, 2016" is read against
/// the sentence about that film, not against a date of another page in the same context. With
/// `strict`, only where one sentence is clearly about it: sharing at least three content words
/// with the claim, and two more than any other sentence does.
fn focus<'a>(claim: &str, passages: &[&'a Figures], strict: bool) -> Vec<&'a Item> {
    let claim = words(claim);
    // Content words each sentence shares with the claim, counted once per sentence.
    let shared: Vec<Vec<usize>> = passages
        .iter()
        .map(|p| {
            p.sentences()
                .words
                .iter()
                .map(|w| w.intersection(&claim).count())
                .collect()
        })
        .collect();
    let best = shared.iter().flatten().copied().max().unwrap_or(0);
    if best < 2 {
        return Vec::new();
    }
    if strict {
        let mut counts: Vec<usize> = shared.iter().flatten().copied().collect();
        counts.sort_unstable_by(|a, b| b.cmp(a));
        let next = counts.get(1).copied().unwrap_or(0);
        if best < 3 || best < next + 2 {
            return Vec::new();
        }
    }
    passages
        .iter()
        .zip(&shared)
        .flat_map(|(p, shared)| {
            p.items
                .iter()
                .zip(&p.sentences().of)
                .filter(move |(_, &k)| shared[k] == best)
                .map(|(it, _)| it)
        })
        .collect()
}

/// Whether `figure` agrees with the `stated` figures of its kind: a number with the one nearest
/// to it, among those counting the same noun ("60 fps") or no named thing when the window
/// counts that noun, so that "less than 45 fps" is read against "60 fps", not against the "4"
/// of "PlayStation 4"; a date with any. `None` when no stated figure is of its kind.
fn agrees(
    figure: &Figure,
    noun: Option<&str>,
    topic: Option<&Topic>,
    stated: &[&Item],
) -> Option<bool> {
    // A rank is read against ranks of the same thing only ("the third movie" is not about "the
    // second best-selling game").
    let rank = figure.rank();
    let kind: Vec<&Item> = stated
        .iter()
        .copied()
        .filter(|s| {
            (comparable(figure, &s.figure) && (!rank || s.noun.as_deref() == noun))
                || confirms(figure, &s.figure)
        })
        .collect();
    if kind.is_empty() {
        return None;
    }
    // Where the window counts the claim's noun, figures counting something else are left out
    // (those counting nothing named stay: "the 26.2-mile race" still gives a "26.2"). An
    // ordinal ranks what it names rather than counting it, and decides neither this nor the
    // topic below.
    let counts = kind
        .iter()
        .any(|s| !confirms(figure, &s.figure) && noun.is_some() && s.noun.as_deref() == noun);
    let pool: Vec<&Item> = kind
        .into_iter()
        .filter(|s| !counts || s.noun.is_none() || s.noun.as_deref() == noun)
        .collect();
    // Where figures of the window are of what the claim's figure is of ("its budget was $150
    // million" against "grossed $150 million on a $50 million budget"), the others are left out.
    // Two subjects of "be" alone do not make a match: "the city is 45 km from the coast" is not
    // about "the city is 300 years old".
    let of = |s: &&Item| {
        topic.is_some_and(|t| {
            s.noun.as_deref() == Some(t.noun.as_str())
                || s.topic
                    .as_ref()
                    .is_some_and(|u| u.noun == t.noun && (t.of || u.of))
        })
    };
    let pool: Vec<&Item> = if pool.iter().any(|s| !confirms(figure, &s.figure) && of(s)) {
        pool.into_iter().filter(of).collect()
    } else {
        pool
    };
    match figure {
        // A plain number agrees with a rank of the same value ("season three", "the third
        // season"). Else it is read against the window's number nearest to it: "more than
        // 2,500 cases" is about the window's "2,446", not its "at least 109", and "less than
        // $153.1 million" about its "$153.1 million", not its "$129 million" budget.
        Figure::Number(n) => {
            if pool
                .iter()
                .any(|s| confirms(figure, &s.figure) && compatible(figure, &counted(&s.figure)))
            {
                return Some(true);
            }
            let nearest = pool
                .iter()
                .filter(|s| !confirms(figure, &s.figure))
                .min_by(|a, b| {
                    distance(n.value, &a.figure).total_cmp(&distance(n.value, &b.figure))
                })?;
            Some(compatible(figure, &nearest.figure))
        }
        // A date on a side ("died before September 19, 2001") conflicts with the same date
        // stated ("September 19, 2001"), whatever other dates the passage names ("November 26,
        // 1927" lies before it too, but is not what the claim moved).
        Figure::Date { side, .. }
            if *side != 0
                && pool.iter().any(|s| {
                    date_order(figure, &s.figure) == (std::cmp::Ordering::Equal, true)
                }) =>
        {
            Some(false)
        }
        Figure::Date { .. } | Figure::Time { .. } => {
            Some(pool.iter().any(|s| compatible(figure, &s.figure)))
        }
    }
}

/// What a span of time counts, in the unit it was written in ("18 months": 18); any other
/// figure as it is.
fn counted(figure: &Figure) -> Figure {
    match *figure {
        Figure::Number(
            n @ Number {
                duration: Some(days),
                ..
            },
        ) => Figure::Number(Number {
            value: n.value / days,
            half: 0.5,
            duration: None,
            ..n
        }),
        other => other,
    }
}

/// How far apart two numbers are, in orders of magnitude of their sizes (a date is infinitely
/// far).
fn distance(value: f64, stated: &Figure) -> f64 {
    match stated {
        Figure::Number(s) => {
            let magnitude = |v: f64| v.abs().max(1e-9).log10();
            (magnitude(value) - magnitude(s.value)).abs()
        }
        Figure::Date { .. } | Figure::Time { .. } => f64::INFINITY,
    }
}

/// The year of a date, as a number on the date's side ("before 2013": less than 2013; "before
/// May 2013": at most 2013).
fn year_of(figure: &Figure) -> Option<Figure> {
    let Figure::Date {
        year: Some(y),
        month,
        side,
        ..
    } = *figure
    else {
        return None;
    };
    // "after 2009" excludes 2009; "after March 2009" does not.
    let strict = month.is_none();
    let qualifier = match side {
        -1 => Qualifier::Below { strict },
        1 => Qualifier::Above { strict },
        _ => Qualifier::Plain,
    };
    Some(Figure::Number(Number {
        qualifier,
        ..Number::year(y)
    }))
}

impl Figure {
    /// An ordinal ([`Number::rank`]).
    fn rank(&self) -> bool {
        matches!(self, Figure::Number(n) if n.rank)
    }

    /// A number with a bound ("more than 20 million") or a date on a side ("before 2016").
    fn bounded(&self) -> bool {
        match self {
            Figure::Number(n) => n.bounded(),
            Figure::Date { side, .. } => *side != 0,
            Figure::Time { .. } => false,
        }
    }
}

/// A figure found in text, with the words it was written with.
#[derive(Debug, Clone, PartialEq)]
struct Item {
    figure: Figure,
    text: String,
    /// Compared on the window's side only: the year of a date listed again as a number (the
    /// claim's date is compared as a date), a date after "by" / "as of" / "since", or "one".
    window_only: bool,
    /// The word a number counts ("fps" in "60 fps", "album" in "20 million albums").
    noun: Option<String>,
    /// The noun a number is of, read before it ([`topic_before`]).
    topic: Option<Topic>,
    /// Byte offset in the text it was read from.
    at: usize,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Figure {
    Number(Number),
    Date {
        year: Option<i32>,
        month: Option<u32>,
        day: Option<u32>,
        /// "before" (-1), "on" / no qualifier (0), "after" (1).
        side: i8,
    },
    /// A time of day ("3 pm", "15:00", "noon"): compared with times of day only.
    Time {
        /// Minutes after midnight.
        minutes: u16,
        /// Written on a twelve-hour clock without "am" or "pm" ("9:30", the "9" of "9 to 5
        /// pm"): either half of the day.
        half_day: bool,
    },
}

/// A number as written: its value, half a unit of its last written digit ("7.5 million": 0.05
/// million), and the qualifier before it.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Number {
    value: f64,
    half: f64,
    percent: bool,
    /// Written like a year (four digits from 1000 to 2100, no separator): compared with years
    /// only, so "less than 350 cases" is not read against "2020".
    year: bool,
    /// An ordinal ("ninth", "14th"): compared with ranks, and confirms a plain number of the
    /// same value ("season three", "the third season") without contradicting any, since what a
    /// rank counts is seldom what a number counts.
    rank: bool,
    /// A span of time ("three years", "an 18-month warranty"): the days of the unit it was
    /// written in; its value and half are converted to days. Compared with spans of time only.
    duration: Option<f64>,
    qualifier: Qualifier,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Qualifier {
    /// Written plainly.
    Plain,
    /// "about", "roughly": ±10 %.
    Hedged,
    /// "nearly", "almost": up to 10 % below, not above.
    Nearly,
    /// "more than" (strict) or "at least".
    Above { strict: bool },
    /// "less than" (strict) or "at most".
    Below { strict: bool },
}

impl Number {
    /// The number as a span of time, in days, when it counts a unit of time of `days` days:
    /// converted, it is read at its precision but at most 5 % either way ("3 years" is not "3.4
    /// years", "2 years" not "18 months"; "60 days" is "two months").
    fn lasting(self, days: Option<f64>) -> Self {
        let Some(days) = days else { return self };
        let value = self.value * days;
        Self {
            value,
            half: (self.half * days).min(0.05 * value.abs()).max(1e-6 * days),
            year: false,
            duration: Some(days),
            ..self
        }
    }

    /// A year written plainly.
    fn year(year: i32) -> Self {
        Self {
            value: f64::from(year),
            half: 0.5,
            percent: false,
            year: true,
            rank: false,
            duration: None,
            qualifier: Qualifier::Plain,
        }
    }

    /// The values this number allows: a plain number its written precision ("7.5 million":
    /// 7.45 to 7.55 million), or with `precise` the value it states.
    fn interval(&self, precise: bool) -> (f64, f64) {
        let (v, h) = (self.value, self.half);
        let step = 1e-9 * v.abs().max(1.0);
        match self.qualifier {
            Qualifier::Plain if precise => (v, v),
            Qualifier::Plain => (v - h, v + h),
            Qualifier::Hedged => (v - 0.1 * v.abs() - h, v + 0.1 * v.abs() + h),
            Qualifier::Nearly => (v - 0.1 * v.abs() - h, v + h),
            Qualifier::Above { strict } => (if strict { v + step } else { v }, f64::INFINITY),
            Qualifier::Below { strict } => (f64::NEG_INFINITY, if strict { v - step } else { v }),
        }
    }

    fn bounded(&self) -> bool {
        matches!(
            self.qualifier,
            Qualifier::Above { .. } | Qualifier::Below { .. }
        )
    }

    /// The side a limit allows, its own figure included ("up to", "at least", "not more
    /// than"): 1 above, -1 below, 0 for a strict bound or none.
    fn limit(&self) -> i8 {
        match self.qualifier {
            Qualifier::Above { strict: false } => 1,
            Qualifier::Below { strict: false } => -1,
            _ => 0,
        }
    }
}

fn comparable(claim: &Figure, stated: &Figure) -> bool {
    match (*claim, *stated) {
        (Figure::Number(a), Figure::Number(b)) => {
            a.percent == b.percent
                && a.year == b.year
                && a.rank == b.rank
                && a.duration.is_some() == b.duration.is_some()
        }
        (Figure::Time { .. }, Figure::Time { .. }) => true,
        (
            Figure::Date {
                year: ya,
                month: ma,
                ..
            },
            Figure::Date {
                year: yb,
                month: mb,
                ..
            },
        ) => {
            // Comparable when both name the month or both name the year.
            (ma.is_some() && mb.is_some()) || (ya.is_some() && yb.is_some())
        }
        _ => false,
    }
}

/// Whether the stated figure is a rank ([`Number::rank`]) or a span of time that may confirm
/// the claimed plain number: "Lovelace died at 36" and "she died at the age of 36 years", "Chloe,
/// 1" and "Chloe, one year".
fn confirms(claim: &Figure, stated: &Figure) -> bool {
    match (*claim, *stated) {
        (Figure::Number(a), Figure::Number(b)) => {
            (b.rank || b.duration.is_some())
                && !a.rank
                && !a.percent
                && !a.year
                && a.duration.is_none()
                && a.qualifier == Qualifier::Plain
        }
        _ => false,
    }
}

/// Whether the stated figure allows a value the claimed one allows (their intervals meet), or
/// for dates, whether the stated date is on the claimed side of the claimed date (compared on
/// the fields both name, year first).
fn compatible(claim: &Figure, stated: &Figure) -> bool {
    match (*claim, *stated) {
        (Figure::Number(a), Figure::Number(b)) => {
            // Two limits on the same side are compared as figures: "up to 1,000 requests"
            // against "up to 600 requests" states another limit, although every value the
            // window allows is one the claim does. A strict bound describes rather than limits
            // ("more than 25 million visitors" agrees with "more than 30 million").
            if a.limit() != 0 && a.limit() == b.limit() {
                let plain = |n: Number| {
                    Figure::Number(Number {
                        qualifier: Qualifier::Plain,
                        ..n
                    })
                };
                return compatible(&plain(a), &plain(b));
            }
            // The claim keeps its precision; the window's plain number is exact against a
            // claimed bound ("less than 18" does not agree with "18").
            let ((al, ah), (bl, bh)) = (a.interval(false), b.interval(a.bounded()));
            if a.bounded() || b.bounded() {
                al <= bh && bl <= ah
            } else {
                // Both allow their precision: "17" and "18" touch at 17.5 but do not agree.
                al < bh && bl < ah
            }
        }
        (Figure::Date { side, .. }, Figure::Date { .. }) => {
            use std::cmp::Ordering;
            match (side, date_order(claim, stated)) {
                (0, (Ordering::Equal, _)) => true,
                // "after March 11" against "March 11, 2009": the same day is not after it;
                // against "2009" alone it cannot be told.
                (_, (Ordering::Equal, as_fine)) => !as_fine,
                (-1, (Ordering::Less, _)) | (1, (Ordering::Greater, _)) => true,
                _ => false,
            }
        }
        (
            Figure::Time {
                minutes: a,
                half_day: ha,
            },
            Figure::Time {
                minutes: b,
                half_day: hb,
            },
        ) => a == b || ((ha || hb) && a % 720 == b % 720),
        _ => false,
    }
}

/// Where the stated date lies against the claimed one, compared on the fields both name, year
/// first (a claim without a year compares month and day), and whether the stated date names
/// every field the claim's comparison reached (`false`: undecided at a field only the claim
/// names, "March 11" against "2009").
fn date_order(claim: &Figure, stated: &Figure) -> (std::cmp::Ordering, bool) {
    use std::cmp::Ordering;
    let (
        Figure::Date {
            year: ya,
            month: ma,
            day: da,
            ..
        },
        Figure::Date {
            year: yb,
            month: mb,
            day: db,
            ..
        },
    ) = (*claim, *stated)
    else {
        return (Ordering::Equal, false);
    };
    for (i, (a, b)) in [
        (ya.map(i64::from), yb.map(i64::from)),
        (ma.map(i64::from), mb.map(i64::from)),
        (da.map(i64::from), db.map(i64::from)),
    ]
    .into_iter()
    .enumerate()
    {
        match (a, b) {
            (Some(a), Some(b)) if a != b => return (b.cmp(&a), true),
            (Some(_), Some(_)) => {}
            (None, _) if i == 0 => {}
            // A field the window does not name: the comparison stops there, undecided.
            (Some(_), None) => return (Ordering::Equal, false),
            // A field only the window names: the claim's date ends there.
            _ => break,
        }
    }
    (Ordering::Equal, true)
}

const MONTHS: [&str; 12] = [
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
];

/// Word boundaries are ASCII ones ([`link::ascii_boundaries`]).
static DATE: LazyLock<Regex> = LazyLock::new(|| {
    let month = r"(?:January|February|March|April|May|June|July|August|September|October|November|December|Jan\.?|Feb\.?|Mar\.?|Apr\.?|Jun\.?|Jul\.?|Aug\.?|Sept?\.?|Oct\.?|Nov\.?|Dec\.?)";
    Regex::new(&link::ascii_boundaries(&format!(
        r"(?x)
        (?:(?P<side>\b(?:[Bb]efore|[Aa]fter|[Pp]rior\ to|[Ll]ater\ than|[Ee]arlier\ than|[Pp]receding|[Ff]ollowing|[Ss]ucceeding)\s+)
           |(?P<vague>\b(?:[Bb]y|[Aa]s\ of|[Uu]ntil|[Tt]ill|[Ss]ince|[Aa]round|[Aa]bout)\s+))?
        (?:
          (?P<d1>\b\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?(?P<m1>{month})\b(?:,?\s+(?P<y1>\d{{4}})\b)?
        | (?P<m2>\b{month})\b\s+(?P<d2>\d{{1,2}})(?:st|nd|rd|th)?\b(?:,?\s+(?P<y2>\d{{4}})\b)?
        | (?P<m3>\b{month})\b,?\s+(?P<y3>\d{{4}})\b
        | (?:(?P<yside>\b(?:[Bb]efore|[Aa]fter|[Pp]rior\ to|[Ll]ater\ than|[Ee]arlier\ than|[Pp]receding|[Ff]ollowing|[Ss]ucceeding)\s+)(?P<y4>\d{{4}})\b)
        | (?P<bce>\b\d{{1,4}})\s?(?:BCE\b|BC\b|B\.C\.(?:E\.)?)
        )"
    )))
    .expect("static regex; this is a bug")
});

/// A negation just before a bound word, up to two words away ("not more than", "don't take
/// more than", "must never exceed").
static NEGATED_BOUND: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)(?:\bnot|\bnever|n't)\s+(?:[a-z]+\s+){0,2}$")
        .expect("static regex; this is a bug")
});

/// Qualifiers that the link stage's number pattern does not know, read just before the number
/// (a currency sign may sit between: "more than ₹50 crore").
static BOUND_BEFORE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?xi)
        \b(?P<w>less\ than|fewer\ than|under|below|lower\ than|smaller\ than|at\ most|up\ to|
              no\ more\ than|a\ maximum\ of|
              more\ than|greater\ than|over|above|higher\ than|larger\ than|bigger\ than|
              at\ least|no\ less\ than|no\ fewer\ than|in\ excess\ of|exceed(?:s|ed|ing)?|a\ minimum\ of|
              about|approximately|approx\.?|around|roughly|nearly|almost|some|close\ to|circa)
        \s*(?:US\$|[$€£₹¥]|Rs\.?)?\s*$",
    )
    .expect("static regex; this is a bug")
});

/// A percent sign or word right after a number: a share, never a count or a measure.
pub(crate) static PERCENT_AFTER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^\s*(?:%|percent\b|per\s+cent\b)").expect("static regex; this is a bug")
});

/// A span of time counted from another event ("eight years after her first", "three days
/// later") or a multiple ("three times as many"): in a claim, a number worked out from the text,
/// which the window seldom states as such. A window's span of time is still read ("cancel up to
/// 48 hours before arrival"); its multiple is not.
static DERIVED_AFTER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)^\s*(?:(?:years?|months?|weeks?|days?|decades?|centuries|century|hours?|minutes?|seconds?)\s+(?:after|later|before|earlier|ago|apart|prior|on|old|younger|older)\b|times\b)",
    )
    .expect("static regex; this is a bug")
});

/// An hour written with "h" ("13 h"), or a time written in four digits before "hours" ("1300
/// hours"): clock times not read.
static CLOCK_AFTER: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^\s*h\b").expect("static regex; this is a bug"));
static HOURS_AFTER: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^\s*(?:hours|hrs)\b").expect("static regex; this is a bug"));

/// A unit of time right after a number ("three years", "an 18-month warranty", "five business
/// days"); "-old" makes an age ("a 5-year-old"). "Century" is left out: "the 21 century" is
/// the twenty-first.
static DURATION_AFTER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)^(?:\s+|\s*-\s*)(?:(?:business|working|calendar|consecutive|full|straight|additional|more|further|extra|whole)[\s-]+)?(?P<unit>seconds?|secs?|minutes?|mins?|hours?|hrs?|days?|weeks?|wks?|months?|years?|yrs?|decades?|centuries)\b(?P<old>-olds?\b)?",
    )
    .expect("static regex; this is a bug")
});

/// The unit of time after a number ([`DURATION_AFTER`]), if it counts one: its name and its
/// days.
fn duration_unit(rest: &str) -> Option<(&'static str, f64)> {
    let c = DURATION_AFTER.captures(rest)?;
    if c.name("old").is_some() {
        return None;
    }
    let unit = c.name("unit")?.as_str().to_ascii_lowercase();
    Some(match unit.trim_end_matches('s') {
        "second" | "sec" => ("second", 1.0 / 86_400.0),
        "minute" | "min" => ("minute", 1.0 / 1440.0),
        "hour" | "hr" => ("hour", 1.0 / 24.0),
        "day" => ("day", 1.0),
        "week" | "wk" => ("week", 7.0),
        "month" => ("month", 30.4375),
        "year" | "yr" => ("year", 365.25),
        "decade" => ("decade", 3652.5),
        _ => ("century", 36_525.0),
    })
}

/// A time of day: "3 pm", "11 a.m.", "3:30 pm", "12 noon", "midnight", or hours and minutes
/// ("15:00", read only next to a word that says it is a time, [`TIME_CUE_BEFORE`],
/// [`TIME_CUE_AFTER`]). A side or a hedge before it ("before 3 pm", "around noon") is kept.
static TIME: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&link::ascii_boundaries(
        r"(?xi)
        (?:(?P<plain>\b(?:no|not)\s+later\s+than\s+)
           |(?P<side>\b(?:before|after|earlier\s+than|later\s+than|past|since|around|about|approximately|roughly|circa|nearly|almost)\s+))?
        (?P<t>
          \b(?P<h1>\d{1,2})(?::(?P<m1>\d{2}))?\s?(?P<ap>[ap])\.?\s?m\b
        | \b(?P<h2>\d{1,2}):(?P<m2>\d{2})\b
        | (?:\b12\s+)?\b(?P<noon>noon|midnight)\b
        )",
    ))
    .expect("static regex; this is a bug")
});

/// A word before hours and minutes that makes them a time of day ("at 15:00", "from 9:00").
static TIME_CUE_BEFORE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&link::ascii_boundaries(
        r"(?i)(?:\b(?:at|from|until|till|to|by|before|after|around|about|between|and|through|opens?|closes?|starts?|begins?|ends?)|[-–—])\s*$",
    ))
    .expect("static regex; this is a bug")
});

/// What after hours and minutes makes them a time of day ("15:00 UTC", "9:00–17:00").
static TIME_CUE_AFTER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&link::ascii_boundaries(
        r"(?i)^\s*(?:h\b|hrs?\b|hours\b|o['’]clock\b|(?-i:UTC|GMT|CET|CEST|BST|EST|EDT|PST|PDT)\b|local\s+time\b|(?:-|–|—|to|and|until|till)\s*\d{1,2}:\d{2}\b)",
    ))
    .expect("static regex; this is a bug")
});

/// The first end of a range of times that writes "am" or "pm" once ("from 9 to 5 pm", "2-4
/// pm"): a time on either half of the day.
static TIME_RANGE_START: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&link::ascii_boundaries(
        r"(?i)\b(?P<h>\d{1,2})(?::(?P<m>\d{2}))?\s*(?:-|–|—|to|and|until|till|through)\s*\d{1,2}(?::\d{2})?\s?[ap]\.?\s?m\b",
    ))
    .expect("static regex; this is a bug")
});

/// The times of day of `text` ([`TIME`], [`TIME_RANGE_START`]), whose spans are `taken` from the
/// numbers read after them: the "3" of "3 pm" is no number.
fn times(text: &str, taken: &mut Vec<(usize, usize)>, out: &mut Vec<Item>) {
    let free =
        |taken: &[(usize, usize)], a: usize, b: usize| !taken.iter().any(|&(s, e)| a < e && s < b);
    // Digits read as part of another figure: "2:03:59", "1.5", "10,30".
    let glued = |a: usize, b: usize| {
        text[..a].ends_with([':', '.', ','])
            || text[b..]
                .strip_prefix([':', '.', ','])
                .is_some_and(|t| t.starts_with(|c: char| c.is_ascii_digit()))
    };
    let number = |m: Option<regex::Match>| m.map_or(Some(0), |m| m.as_str().parse::<u16>().ok());
    for c in TIME.captures_iter(text) {
        let (Some(m), Some(t)) = (c.get(0), c.name("t")) else {
            continue;
        };
        if !free(taken, t.start(), t.end()) {
            continue;
        }
        let (minutes, half_day) = if let Some(w) = c.name("noon") {
            // "Midnight Express", "High Noon": a name.
            if w.as_str().starts_with(|c: char| c.is_uppercase()) {
                continue;
            }
            (if w.as_str() == "noon" { 720 } else { 0 }, false)
        } else if let Some(h) = c.name("h1") {
            let (Some(h), Some(mm)) = (number(Some(h)), number(c.name("m1"))) else {
                continue;
            };
            if !(1..=12).contains(&h) || mm > 59 || glued(t.start(), t.start()) {
                continue;
            }
            let pm = c
                .name("ap")
                .is_some_and(|a| a.as_str().eq_ignore_ascii_case("p"));
            ((h % 12 + if pm { 12 } else { 0 }) * 60 + mm, false)
        } else {
            let (Some(hs), Some(ms)) = (c.name("h2"), c.name("m2")) else {
                continue;
            };
            let (Some(h), Some(mm)) = (number(Some(hs)), number(Some(ms))) else {
                continue;
            };
            // A score ("3:1"), a verse ("John 3:16") or a ratio is no time: hours and minutes
            // are one only where a word next to them says so.
            let cue = c.name("side").is_some()
                || c.name("plain").is_some()
                || TIME_CUE_BEFORE.is_match(last_words(&text[..t.start()], 24))
                || TIME_CUE_AFTER.is_match(first_words(&text[t.end()..], 24));
            if h > 23 || mm > 59 || glued(t.start(), t.end()) || !cue {
                continue;
            }
            (
                h * 60 + mm,
                (1..=12).contains(&h) && !hs.as_str().starts_with('0'),
            )
        };
        taken.push((t.start(), t.end()));
        out.push(Item {
            figure: Figure::Time { minutes, half_day },
            text: m.as_str().trim().to_string(),
            // "before 3 pm", "around noon": in a claim, a side of a time is not compared.
            window_only: c.name("side").is_some(),
            noun: None,
            topic: None,
            at: m.start(),
        });
    }
    for c in TIME_RANGE_START.captures_iter(text) {
        let Some(h) = c.name("h") else { continue };
        let end = c.name("m").map_or(h.end(), |m| m.end());
        let (Some(hour), Some(mm)) = (number(Some(h)), number(c.name("m"))) else {
            continue;
        };
        if !free(taken, h.start(), end)
            || !(1..=12).contains(&hour)
            || mm > 59
            || glued(h.start(), end)
        {
            continue;
        }
        taken.push((h.start(), end));
        out.push(Item {
            figure: Figure::Time {
                minutes: (hour % 12) * 60 + mm,
                half_day: true,
            },
            text: text[h.start()..end].to_string(),
            window_only: false,
            noun: None,
            topic: None,
            at: h.start(),
        });
    }
}

static NOUN_AFTER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)^\s*(?:%|percent\b|per\s+cent\b)?\s*(?:(?:thousand|million|billion|hundred)\s+)?([a-z][a-z-]*)",
    )
    .expect("static regex; this is a bug")
});

/// The word after a number, singular and lower-case, unless it is a function word.
fn noun_after(rest: &str) -> Option<String> {
    const FUNCTION: &[&str] = &[
        "and", "or", "of", "in", "on", "at", "to", "the", "a", "an", "by", "for", "with", "from",
        "as", "is", "was", "were", "are", "has", "had", "than", "out", "per", "percent", "million",
        "billion", "thousand", "hundred",
    ];
    let w = NOUN_AFTER
        .captures(rest)?
        .get(1)?
        .as_str()
        .to_ascii_lowercase();
    if FUNCTION.contains(&w.as_str()) {
        return None;
    }
    Some(singular(w))
}

fn singular(w: String) -> String {
    match w.strip_suffix('s') {
        Some(stem) if stem.len() > 2 => stem.to_string(),
        _ => w,
    }
}

/// What a number is of ([`topic_before`]).
#[derive(Debug, Clone, PartialEq)]
struct Topic {
    /// Singular, lower-case.
    noun: String,
    /// Read through "of" ("a budget of $50 million"), not as the subject of "be" ("its budget
    /// was $150 million").
    of: bool,
}

/// The noun a number is of, read in the words just before it in its sentence: "budget" in "its
/// budget was $150 million" and in "a budget of about $50 million", "population" in "a
/// population of at least 5 million" (singular, lower-case; qualifiers and currency signs
/// skipped; words that name no thing, "total", "average", "it", are not read).
/// Only through "of" or a form of "be": the subject of another verb ("grossed $150 million",
/// "sold 8.4 million albums in the US and over 52 million worldwide") is often that of every
/// figure of its sentence. `None` when there is no such noun.
fn topic_before(before: &str) -> Option<Topic> {
    const QUALIFIERS: &[&str] = &[
        "about",
        "around",
        "approximately",
        "approx",
        "roughly",
        "nearly",
        "almost",
        "some",
        "than",
        "more",
        "less",
        "fewer",
        "over",
        "under",
        "up",
        "to",
        "at",
        "least",
        "most",
        "no",
        "just",
        "only",
        "estimated",
        "reportedly",
        "us",
        "rs",
        "usd",
        "eur",
        "an",
        "a",
    ];
    const LINKS: &[&str] = &["of", "was", "is", "were", "are", "be", "been"];
    const FUNCTION: &[&str] = &[
        "the", "a", "an", "it", "its", "they", "this", "that", "which", "there", "what", "who",
        "one", "all", "each", "number", "amount", "figure", "total", "sum", "average",
    ];
    let near = last_words(before, 64);
    let sentence = near
        .char_indices()
        .rev()
        .find(|&(_, c)| ".;:!?()[]\"“”".contains(c))
        .map_or(near, |(i, c)| &near[i + c.len_utf8()..]);
    let mut words = sentence
        .rsplit(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase);
    let mut w = words.next()?;
    while QUALIFIERS.contains(&w.as_str()) {
        w = words.next()?;
    }
    if !LINKS.contains(&w.as_str()) {
        return None;
    }
    let noun = words.next()?;
    let plain = noun.chars().all(char::is_alphabetic) && noun.chars().count() > 2;
    (plain && !FUNCTION.contains(&noun.as_str())).then(|| Topic {
        noun: singular(noun),
        of: w == "of",
    })
}

/// A number word ("seven", "fifty-five") or an ordinal ("ninth", "twenty-first", "14th"), in one
/// pass over the text; the ordinal comes first, so "twenty-first" is not a "twenty".
static WORD_NUMBER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&link::ascii_boundaries(&format!(
        r"(?xi)
        \b(?:(?P<otens>twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety)[-\s])?(?P<word>{})\b
        |\b(?P<digits>\d{{1,4}})(?:st|nd|rd|th)\b
        |\b(?P<tens>twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety)(?:[-\s](?P<unit>one|two|three|four|five|six|seven|eight|nine))?\b
        |\b(?P<small>one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|sixteen|seventeen|eighteen|nineteen)\b",
        ORDINALS.join("|")
    )))
    .expect("static regex; this is a bug")
});

const ORDINALS: [&str; 27] = [
    "first",
    "second",
    "third",
    "fourth",
    "fifth",
    "sixth",
    "seventh",
    "eighth",
    "ninth",
    "tenth",
    "eleventh",
    "twelfth",
    "thirteenth",
    "fourteenth",
    "fifteenth",
    "sixteenth",
    "seventeenth",
    "eighteenth",
    "nineteenth",
    "twentieth",
    "thirtieth",
    "fortieth",
    "fiftieth",
    "sixtieth",
    "seventieth",
    "eightieth",
    "ninetieth",
];

/// A bound just before a rank: "above the", "behind the", "over the".
static RANK_BOUND: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)\b(?:above|below|over|under|behind|ahead\s+of|before|after|beyond|than|outside|within)\s+(?:the\s+)?$",
    )
    .expect("static regex; this is a bug")
});

/// The value of an ordinal word of [`ORDINALS`] ("ninth": 9, "thirtieth": 30).
fn ordinal_value(w: &str) -> Option<f64> {
    let w = w.to_ascii_lowercase();
    let i = ORDINALS.iter().position(|o| *o == w)?;
    Some(if i < 19 {
        i as f64 + 1.0
    } else {
        20.0 + 10.0 * (i - 19) as f64
    })
}

fn word_value(w: &str) -> Option<f64> {
    const SMALL: [&str; 20] = [
        "zero",
        "one",
        "two",
        "three",
        "four",
        "five",
        "six",
        "seven",
        "eight",
        "nine",
        "ten",
        "eleven",
        "twelve",
        "thirteen",
        "fourteen",
        "fifteen",
        "sixteen",
        "seventeen",
        "eighteen",
        "nineteen",
    ];
    const TENS: [&str; 8] = [
        "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety",
    ];
    let w = w.to_ascii_lowercase();
    if let Some(i) = SMALL.iter().position(|s| *s == w) {
        return Some(i as f64);
    }
    TENS.iter()
        .position(|s| *s == w)
        .map(|i| 20.0 + 10.0 * i as f64)
}

fn month_of(m: &str) -> Option<u32> {
    let m = m.to_ascii_lowercase();
    MONTHS
        .iter()
        .position(|p| m.starts_with(p))
        .map(|i| i as u32 + 1)
}

/// The numbers, percentages, spans of time, dates and times of day of `text`. Dates and times of
/// day are read first and their digits are not numbers again; a date's year still counts among
/// the numbers (a claim "in 2015" agrees with "August 2015"). Ordinals ("6th"), hours and
/// minutes no word makes a time ("3:16"), digits glued to letters ("A380", "3D") are not
/// figures; "one" is one in a window only (or before a unit of time other than "day").
fn figures(text: &str) -> Vec<Item> {
    let mut out = Vec::new();
    let mut taken: Vec<(usize, usize)> = Vec::new();
    for c in DATE.captures_iter(text) {
        let Some(m) = c.get(0) else { continue };
        let pick = |names: &[&str]| names.iter().find_map(|n| c.name(n));
        let year = pick(&["y1", "y2", "y3", "y4"])
            .and_then(|y| y.as_str().parse::<i32>().ok())
            .or_else(|| c.name("bce")?.as_str().parse::<i32>().ok().map(|y| -y));
        let month = pick(&["m1", "m2", "m3"]).and_then(|m| month_of(m.as_str()));
        let day = pick(&["d1", "d2"])
            .and_then(|d| d.as_str().parse::<u32>().ok())
            .filter(|d| (1..=31).contains(d));
        if month.is_some() && day.is_none() && year.is_none() {
            continue;
        }
        let qualifier = c.name("side").or(c.name("yside")).map(|s| {
            let s = s.as_str().to_ascii_lowercase();
            if ["after", "later", "following", "succeeding"]
                .iter()
                .any(|w| s.starts_with(w))
            {
                1
            } else {
                -1
            }
        });
        taken.push((m.start(), m.end()));
        if let Some(y) = year {
            // The year as a number, for claims that state the year alone.
            out.push(Item {
                figure: Figure::Number(Number::year(y)),
                text: y.to_string(),
                window_only: true,
                noun: None,
                topic: None,
                at: m.start(),
            });
        }
        out.push(Item {
            figure: Figure::Date {
                year,
                month,
                day,
                side: qualifier.unwrap_or(0),
            },
            text: m.as_str().trim().to_string(),
            // "by", "as of", "since": in a claim the date bounds something else and is not
            // compared; in a window it still says when.
            window_only: c.name("vague").is_some(),
            noun: None,
            topic: None,
            at: m.start(),
        });
    }
    times(text, &mut taken, &mut out);
    let inside = |a: usize, b: usize| taken.iter().any(|&(s, e)| a < e && s < b);
    // The last number read without a scale word: (its index in `out`, where it ends).
    let mut unscaled: Option<(usize, usize)> = None;
    for q in link::quantities(text) {
        let whole = &text[q.start..q.end];
        let Some(digit) = whole.find(|c: char| c.is_ascii_digit()) else {
            continue;
        };
        let num_start = q.start + digit;
        if inside(num_start, q.end) {
            continue;
        }
        let before = text[..num_start].chars().next_back();
        let rest = first_words(&text[q.end..], 80);
        let after = rest.chars().next();
        // Ordinals, codes, clock times ("13:00", "1300 hours"), decimals or thousands cut off
        // by the number pattern.
        let clock = (after == Some(':')
            && text[q.end + 1..].starts_with(|c: char| c.is_ascii_digit()))
            || (before == Some(':')
                && text[..num_start - 1].ends_with(|c: char| c.is_ascii_digit()))
            || CLOCK_AFTER.is_match(rest)
            || (HOURS_AFTER.is_match(rest)
                && q.end - num_start == 4
                && text[num_start..q.end].bytes().all(|b| b.is_ascii_digit()));
        // A span counted from another event is read in a window only ("cancel up to 48 hours
        // before arrival" states one); a multiple, never.
        let derived = DERIVED_AFTER.is_match(rest);
        if after.is_some_and(char::is_alphanumeric)
            || clock
            || (derived && duration_unit(rest).is_none())
            || (before == Some(',')
                && text[..num_start - 1].ends_with(|c: char| c.is_ascii_digit()))
        {
            continue;
        }
        let value = q.value;
        let percent = PERCENT_AFTER.is_match(rest);
        let digits = &text[num_start..q.end];
        let written = digits
            .split(|c: char| !(c.is_ascii_digit() || c == '.' || c == ','))
            .next()
            .unwrap_or("");
        // A leading zero makes a code, not a quantity ("007"), and so do groups of digits
        // written apart ("01273 683111").
        let grouped = text[..num_start]
            .strip_suffix(' ')
            .is_some_and(|t| t.ends_with(|c: char| c.is_ascii_digit()))
            || rest
                .strip_prefix(' ')
                .is_some_and(|t| t.starts_with(|c: char| c.is_ascii_digit()));
        if grouped || (written.len() > 1 && written.starts_with('0') && !written.starts_with("0."))
        {
            continue;
        }
        let scale = q.scale;
        // Half the place of the last digit written ("7.5 million": 0.05 million).
        let half = q.precision / 2.0;
        let year = written.len() == 4
            && written.bytes().all(|b| b.is_ascii_digit())
            && (1000.0..=2100.0).contains(&value)
            && !percent;
        let unit = duration_unit(rest).filter(|_| !percent);
        let number = Number {
            year: year && unit.is_none(),
            ..qualified(&text[..num_start], q.bound, value, half, percent)
        }
        .lasting(unit.map(|u| u.1));
        // A span of time counts its unit: where the window states spans in the claim's unit,
        // those decide ("16 weeks" of parental leave is read against "two weeks" of notice,
        // not against "18 days" of annual leave); else any span does ("36 months" against "a
        // 3-year warranty").
        let noun = unit.map_or_else(|| noun_after(rest), |u| Some(u.0.to_string()));
        // A range writes its scale once ("24 to 32 million people"): the first number takes
        // the second's scale and noun.
        if let Some((k, end)) = unscaled.take() {
            if let Figure::Number(first) = &mut out[k].figure {
                if scale > 1.0
                    && link::RANGE_BETWEEN.is_match(&text[end..num_start])
                    && first.value * scale <= value
                {
                    first.value *= scale;
                    first.half *= scale;
                    out[k].noun.clone_from(&noun);
                }
            }
        }
        if scale == 1.0 && !year {
            unscaled = Some((out.len(), q.end));
        }
        out.push(Item {
            figure: Figure::Number(number),
            text: whole.trim().to_string(),
            window_only: derived,
            noun,
            topic: topic_before(&text[..num_start]),
            at: q.start,
        });
    }
    // Where the last number written in words ended: its later words are not read again.
    let mut spelled_to = 0;
    for c in WORD_NUMBER.captures_iter(text) {
        let Some(m) = c.get(0) else { continue };
        if c.name("word").is_some() || c.name("digits").is_some() {
            if !inside(m.start(), m.end()) {
                out.extend(rank(text, &c));
            }
            continue;
        }
        // A capitalized number word is most often part of a name ("Twenty One Pilots").
        if m.start() < spelled_to
            || inside(m.start(), m.end())
            || m.as_str().starts_with(|c: char| c.is_uppercase())
            || text[..m.start()].ends_with('-')
        {
            continue;
        }
        let Some(first) = number_word(m.as_str()) else {
            continue;
        };
        let (value, half, end) = spelled(text, first, m.end());
        spelled_to = end;
        let rest = first_words(&text[end..], 80);
        let percent = PERCENT_AFTER.is_match(rest);
        let unit = duration_unit(rest).filter(|_| !percent);
        let lasting = unit.map(|u| u.1);
        let derived = DERIVED_AFTER.is_match(rest);
        if derived && lasting.is_none() {
            continue;
        }
        let number =
            qualified(&text[..m.start()], Bound::Approx, value, half, percent).lasting(lasting);
        out.push(Item {
            figure: Figure::Number(number),
            text: text[m.start()..end].to_string(),
            // "one" in a claim is most often not a count ("one of the", "the one who", "one
            // day"); in a window it still lets "Chloe, 1" agree with "Chloe, one". "One year"
            // or "one hour" counts.
            window_only: derived
                || (&text[m.start()..end] == "one" && lasting.is_none_or(|d| d == 1.0)),
            noun: unit.map_or_else(|| noun_after(rest), |u| Some(u.0.to_string())),
            topic: topic_before(&text[..m.start()]),
            at: m.start(),
        });
    }
    // A range writes its unit once ("three to five years", "2-3 weeks"): its first end is a
    // span of time too.
    for j in 0..out.len() {
        let Figure::Number(Number {
            duration: Some(days),
            ..
        }) = out[j].figure
        else {
            continue;
        };
        let first = out.iter().position(|i| {
            let end = i.at + i.text.len();
            matches!(i.figure, Figure::Number(n) if n.duration.is_none() && !n.year && !n.rank && !n.percent)
                && end <= out[j].at
                && link::RANGE_BETWEEN.is_match(&text[end..out[j].at])
        });
        if let Some(i) = first {
            if let Figure::Number(n) = out[i].figure {
                out[i].figure = Figure::Number(n.lasting(Some(days)));
                out[i].noun = out[j].noun.clone();
            }
        }
    }
    out
}

/// A rank ([`Number::rank`]: "ninth seed", "the 14th season", "twenty-first century"), where
/// the ordinal matched by [`WORD_NUMBER`] is followed by a word ("the third season", not "came
/// in third", "a second").
fn rank(text: &str, c: &regex::Captures) -> Option<Item> {
    let m = c.get(0)?;
    // A capitalized ordinal word is most often part of a name ("Twelfth Night", "Airman First
    // Class"); a rank after a bound ("ranked above the 6th best game") is not one.
    if m.as_str().starts_with(|c: char| c.is_uppercase())
        || RANK_BOUND.is_match(last_words(&text[..m.start()], 24))
    {
        return None;
    }
    let value = match (c.name("digits"), c.name("word")) {
        (Some(d), _) => d.as_str().parse::<f64>().ok()?,
        (None, Some(w)) => {
            let unit = ordinal_value(w.as_str())?;
            match c.name("otens") {
                Some(t) if unit < 10.0 => word_value(t.as_str())? + unit,
                Some(_) => return None,
                None => unit,
            }
        }
        _ => return None,
    };
    let noun = noun_after(first_words(&text[m.end()..], 80))?;
    Some(Item {
        figure: Figure::Number(Number {
            value,
            half: 0.5,
            percent: false,
            year: false,
            rank: true,
            duration: None,
            qualifier: Qualifier::Plain,
        }),
        text: m.as_str().to_string(),
        window_only: false,
        // "highest-grossing" ranks as "highest grossing" does.
        noun: noun.split('-').next().map(str::to_string),
        topic: None,
        at: m.start(),
    })
}

/// The value of a number word or of two joined ("seven", "fifty", "fifty-five", "fifty five").
fn number_word(w: &str) -> Option<f64> {
    let mut value = 0.0;
    for part in w.split(['-', ' ']).filter(|p| !p.is_empty()) {
        let v = word_value(part)?;
        // A unit after a tens word only ("fifty-five", not "five-five").
        if value > 0.0 && !(value % 10.0 == 0.0 && value >= 20.0 && v < 10.0) {
            return None;
        }
        value += v;
    }
    Some(value)
}

/// A number written in words, from its first word (worth `first`, ending at `end`) on: "two
/// hundred and fifty", "three thousand five hundred", "twelve million". Its value, half a unit
/// of the place of its last word ("two hundred": 50, "two hundred and fifty": 0.5, "five
/// million": half a million), and where it ends.
fn spelled(text: &str, first: f64, mut end: usize) -> (f64, f64, usize) {
    let (mut total, mut current, mut place) = (0.0, first, 1.0);
    // Whether the last word read was a scale ("hundred", "thousand"): "and" and a number word
    // may follow one; or a tens word after a scale, which a unit may follow.
    let (mut after_scale, mut after_tens) = (false, false);
    loop {
        let (gap, mut word) = next_word(&text[end..]);
        if gap == 0 || word.is_empty() {
            break;
        }
        let mut next = end + gap + word.len();
        if word == "and" && after_scale && current % 100.0 == 0.0 {
            let (g, w) = next_word(&text[next..]);
            if g == 0 || word_value(&w).is_none() {
                break;
            }
            next += g + w.len();
            word = w;
        }
        match (word.as_str(), word_value(&word)) {
            ("hundred", _) if current > 0.0 && current < 100.0 => {
                current *= 100.0;
                place *= 100.0;
                (after_scale, after_tens) = (true, false);
            }
            ("thousand" | "million" | "billion", _) if current > 0.0 => {
                let scale = match word.as_str() {
                    "thousand" => 1e3,
                    "million" => 1e6,
                    _ => 1e9,
                };
                // Scales only go down ("two million three hundred thousand").
                if total > 0.0 && total <= current * scale {
                    break;
                }
                total += current * scale;
                current = 0.0;
                place *= scale;
                (after_scale, after_tens) = (true, false);
            }
            // The words after a scale ("hundred and fifty", "thousand five hundred", "hundred
            // fifty-five").
            (_, Some(v))
                if v > 0.0
                    && ((after_scale && (current % 100.0) + v < 100.0)
                        || (after_tens && v < 10.0)) =>
            {
                current += v;
                place = 1.0;
                after_tens = after_scale && v >= 20.0;
                after_scale = false;
            }
            _ => break,
        }
        end = next;
    }
    (total + current, 0.5 * place, end)
}

/// The word after the spaces or hyphens `from` starts with, lower-case, and how many bytes those
/// take (0: none, so no word of the same written number follows).
fn next_word(from: &str) -> (usize, String) {
    let gap = from.len() - from.trim_start_matches([' ', '-']).len();
    let word = &from[gap..];
    let len = word
        .find(|c: char| !c.is_ascii_alphabetic())
        .unwrap_or(word.len());
    (gap, word[..len].to_ascii_lowercase())
}

/// The last words of `before`: its last `n` bytes, from the first whitespace among them on so
/// that the first word read is whole. The patterns read just before or after a number look at a
/// few words; handing them the whole text around it made parsing a passage quadratic.
fn last_words(before: &str, n: usize) -> &str {
    let mut from = before.floor_char_boundary(before.len().saturating_sub(n));
    if from > 0 {
        from = before[from..]
            .find(char::is_whitespace)
            .map_or(from, |i| from + i);
    }
    &before[from..]
}

/// The first words of `after`: its first `n` bytes and the rest of the word they end in, up to
/// a whitespace (where a pattern's `\b` reads as it does in the whole text).
fn first_words(after: &str, n: usize) -> &str {
    let to = after.ceil_char_boundary(n);
    after[to..]
        .find(char::is_whitespace)
        .map_or(after, |i| &after[..to + i])
}

/// The number `value` qualified by the words before it: bounds ("more than", also those the
/// link stage reads) and hedges ("about").
fn qualified(before: &str, bound: Bound, value: f64, half: f64, percent: bool) -> Number {
    // The qualifier ends where the number starts: only the last few words can hold it.
    let tail = last_words(before, 40);
    let found = BOUND_BEFORE.captures(tail).and_then(|c| c.name("w"));
    let word = found.map(|w| w.as_str().to_ascii_lowercase());
    // "Do not exceed 2,000 mg", "should not take more than 2,000 mg": a negated comparison is
    // the other side's limit, its own figure included. A preposition is none: "not children
    // under 12" excludes the children, it states no lower limit.
    let negated = !matches!(
        word.as_deref(),
        None | Some("under" | "below" | "over" | "above")
    ) && found.is_some_and(|w| NEGATED_BOUND.is_match(&tail[..w.start()]));
    let qualifier = match word.as_deref() {
        Some("less than" | "fewer than" | "under" | "below" | "lower than" | "smaller than") => {
            Qualifier::Below { strict: true }
        }
        Some("at most" | "up to" | "no more than" | "a maximum of") => {
            Qualifier::Below { strict: false }
        }
        Some(
            "more than" | "greater than" | "over" | "above" | "higher than" | "larger than"
            | "bigger than" | "in excess of" | "exceed" | "exceeds" | "exceeded" | "exceeding",
        ) => Qualifier::Above { strict: true },
        Some("at least" | "no less than" | "no fewer than" | "a minimum of") => {
            Qualifier::Above { strict: false }
        }
        Some("nearly" | "almost") => Qualifier::Nearly,
        Some(_) => Qualifier::Hedged,
        None => match bound {
            Bound::AtLeast => Qualifier::Above { strict: false },
            Bound::AtMost => Qualifier::Below { strict: false },
            // Never read here: the context check reads a range's two ends as two numbers.
            Bound::Approx | Bound::Range { .. } => Qualifier::Plain,
        },
    };
    let qualifier = match qualifier {
        Qualifier::Above { strict } if negated => Qualifier::Below { strict: !strict },
        Qualifier::Below { strict } if negated => Qualifier::Above { strict: !strict },
        q => q,
    };
    Number {
        value,
        half,
        percent,
        year: false,
        rank: false,
        duration: None,
        qualifier,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(claim: &str, window: &str) -> Option<Agreement> {
        super::check(&Figures::of(claim), &[&Figures::of(window)])
    }

    fn conflicts(claim: &str, window: &str) -> bool {
        matches!(check(claim, window), Some(Agreement::Conflicts(_)))
    }

    fn agrees(claim: &str, window: &str) -> bool {
        check(claim, window) == Some(Agreement::Agrees)
    }

    #[test]
    fn figures_beside_non_ascii_text_and_deep_in_a_long_passage_read_as_anywhere() {
        // Curly quotes, dashes and accented words around figures (the patterns use ASCII word
        // boundaries, which news text's non-ASCII punctuation must not break).
        let article = "Le Café “Beau” opened on 12 May 2015 — “more than 30 million” visitors \
                       came; entry cost €5 (about 4 percent of…)";
        assert!(agrees("The café opened on May 12, 2015.", article));
        assert!(conflicts("The café opened on May 14, 2015.", article));
        assert!(agrees("More than 25 million visitors came.", article));
        assert!(conflicts("Fewer than 20 million visitors came.", article));
        // The same figures after 20,000 characters of text read the same (what is read before
        // and after a number is its few neighbouring words, wherever it stands).
        let long = format!("{} {article}", "Le café était plein. ".repeat(1000));
        assert!(agrees("The café opened on May 12, 2015.", &long));
        assert!(conflicts("Fewer than 20 million visitors came.", &long));
        assert!(agrees("Entry cost about 4 percent.", &long));
    }

    #[test]
    fn a_number_is_read_against_the_figures_of_what_it_is_of() {
        let film = "The film grossed $150 million on a $50 million budget.";
        assert!(conflicts("Its budget was $150 million.", film));
        assert!(agrees("Its budget was $50 million.", film));
        assert!(agrees("The film grossed $150 million.", film));
        let both = "The film had a gross of $150 million and a budget of $50 million.";
        assert!(agrees("Its gross was more than $60 million.", both));
        assert!(conflicts("Its gross was less than $60 million.", both));
        assert!(agrees("Its budget was less than $60 million.", both));
        // Of nothing the passage names: the nearest number decides, as before.
        assert!(agrees("It made $150 million.", film));
        assert!(agrees("It cost $50 million.", film));
        // What stands before a number in the sentence before, or another number, is not what
        // it is of.
        let club = "Its budget was approved. 300 members joined in 2019, and 250 in 2020.";
        assert!(agrees("The budget had 250 members.", club));
        let topic = |noun: &str, of: bool| {
            Some(Topic {
                noun: noun.into(),
                of,
            })
        };
        assert_eq!(topic_before("Its budget was approved. "), None);
        assert_eq!(topic_before("sales of 5 million and "), None);
        assert_eq!(topic_before("a budget of about US$"), topic("budget", true));
        assert_eq!(
            topic_before("its budget was more than $ "),
            topic("budget", false)
        );
        assert_eq!(
            topic_before("populations were at least "),
            topic("population", false)
        );
        // Two subjects of "be" are no match: the nearest number decides.
        let city = "The city is 300 years old and lies 45 kilometres from the coast.";
        assert!(agrees("The city is 45 km from the coast.", city));
        // The subject of another verb is not read: it is often that of every figure around.
        assert_eq!(topic_before("It grossed more than ₹"), None);
        let sales = "She sold 8.4 million albums in the US and over 52 million albums worldwide.";
        assert!(agrees(
            "She has sold over 50 million albums worldwide.",
            sales
        ));
    }

    #[test]
    fn a_different_number_conflicts_and_the_same_one_agrees() {
        let policy = "Items can be returned within 30 days of delivery for a full refund.";
        assert_eq!(
            check("You can return items within 60 days.", policy),
            Some(Agreement::Conflicts("60".into()))
        );
        assert!(agrees("You can return items within 30 days.", policy));
        assert!(agrees(
            "Arsenal played eighteen seasons.",
            "Arsenal contested in 18 successive seasons."
        ));
        assert!(conflicts(
            "Arsenal played 17 seasons.",
            "Arsenal contested in eighteen successive seasons."
        ));
        // Nothing to compare: no figure in the claim, or none of its kind in the window.
        assert_eq!(
            check("Curie won two Nobel Prizes.", "Curie was born in Warsaw."),
            None
        );
        assert_eq!(
            check("Curie was a physicist.", "She was born in 1867."),
            None
        );
        assert_eq!(check("It rose 5%.", "It rose by 12 points."), None);
        // Which claims need the passages parsed at all.
        assert!(Figures::of("It rose 5% in May 2010.").states_figures());
        assert!(!Figures::of("Curie was a physicist.").states_figures());
        assert!(!Figures::of("The one who came.").states_figures());
    }

    #[test]
    fn the_figures_of_all_passages_read_count_together() {
        let sales = Figures::of("The album sold 5 million copies.");
        let release = Figures::of("It was released in March 2010.");
        let both = [&sales, &release];
        let claim = Figures::of("Released in 2010, the album sold 5 million copies.");
        assert_eq!(super::check(&claim, &both), Some(Agreement::Agrees));
        assert_eq!(
            super::check(
                &Figures::of("Released in 2011, it sold 5 million copies."),
                &both
            ),
            Some(Agreement::Conflicts("2011".into()))
        );
        // No window read: nothing to compare.
        assert_eq!(super::check(&claim, &[]), None);
    }

    #[test]
    fn a_number_is_read_against_the_nearest_of_the_window() {
        let shop = "The shop had 2,446 orders from at least 109 towns, with a budget of $129 \
                    million and sales of $153.1 million.";
        // "at least 109" and "$129 million" would allow them; the figures they change do not.
        assert!(conflicts("It had more than 2,500 orders.", shop));
        assert!(conflicts("Its sales were less than $153.1 million.", shop));
        assert!(agrees("It had fewer than 2,500 orders.", shop));
        assert!(agrees("Its sales were over $150 million.", shop));
        // Among figures counting the claim's noun, and those counting nothing named.
        let music = "She sold 5 million albums and 3 million singles before the 26.2-mile run.";
        assert!(conflicts("She sold 3 million albums.", music));
        assert!(agrees("She sold 5 million albums.", music));
        assert!(agrees("She ran all 26.2 miles.", music));
    }

    #[test]
    fn one_in_a_window_is_a_figure_and_in_a_claim_is_not() {
        let family = "Her daughters, Ella, eight, and Chloe, one, were diagnosed in 2013.";
        assert!(agrees(
            "Her daughters Ella, 8, and Chloe, 1, were diagnosed.",
            family
        ));
        assert_eq!(
            check("She is one of the winners.", "She won 3 prizes."),
            None
        );
    }

    #[test]
    fn a_date_on_the_claimed_side_must_differ_from_the_one_stated() {
        let news = "The change was announced on March 11, 2009, in Los Angeles.";
        assert!(conflicts("The change was announced after March 11.", news));
        assert!(conflicts("The change was announced before 2009.", news));
        assert!(conflicts("The change was announced on April 3.", news));
        assert!(agrees("The change was announced on March 11.", news));
        assert!(agrees("The change was announced after March 2.", news));
        // The window names the year only: "after March 2009" cannot be told from it.
        assert!(!conflicts(
            "The change was announced after March 2009.",
            "The change was announced in 2009."
        ));
    }

    #[test]
    fn a_date_moved_to_one_side_of_the_date_stated_conflicts_whatever_else_the_passage_dates() {
        let life =
            "Ernie Coombs (November 26, 1927 – September 19, 2001) was a children's entertainer.";
        // 1927 lies before 2001 too, but the claim moved the date the passage states.
        assert!(conflicts(
            "Ernie Coombs died before September 19, 2001.",
            life
        ));
        assert!(conflicts(
            "Ernie Coombs was born after November 26, 1927.",
            life
        ));
        assert!(agrees("Ernie Coombs died before 2005.", life));
        assert!(agrees("Ernie Coombs died on September 19, 2001.", life));
    }

    #[test]
    fn a_bound_or_side_is_read_in_the_sentences_about_what_the_claim_is_about() {
        // Another page's date lies before November 3, 2016 too.
        let pages = "Georges Gilles de la Tourette (30 October 1857 -- 26 May 1904) was a French \
                     physician. The Light Between Oceans was released in the United States on \
                     December 2, 2016.";
        assert!(conflicts(
            "The Light Between Oceans was released before November 3, 2016.",
            pages
        ));
        assert!(agrees(
            "The Light Between Oceans was released after November 3, 2016.",
            pages
        ));
        // The budget is nearer to 600 than the gross is; the claim is about the gross.
        let film = "The studio's budget was $650 million. The film grossed $512 million worldwide.";
        assert!(conflicts(
            "The film grossed more than $600 million worldwide.",
            film
        ));
        // Where the sentences about it state nothing of the kind, the passage counts whole.
        let life = "Marie Curie won two Nobel Prizes. She died in 1934 in Passy.";
        assert!(agrees(
            "Marie Curie won her Nobel Prizes before 1935.",
            life
        ));
        // A plain figure agrees wherever the passage states it.
        let golf = "Tiger Woods played a practice round at Augusta with his 2 children. The \
                    14-time major winner is 39.";
        assert!(agrees(
            "Tiger Woods, 39, played a practice round at Augusta.",
            golf
        ));
    }

    #[test]
    fn years_bce_count_backwards() {
        let king = "He was assassinated in obscure circumstances in 681 BCE by his eldest son.";
        assert!(conflicts("He was assassinated after 681 BCE.", king));
        assert!(conflicts("He was assassinated in 691 BC.", king));
        assert!(agrees("He was assassinated after 700 BCE.", king));
        assert!(agrees("He was assassinated before 600 BC.", king));
        assert!(agrees("He was assassinated in 681 BCE.", king));
    }

    #[test]
    fn a_negated_bound_and_a_limit_restated_are_read_as_limits() {
        let label = "Do not exceed 2,000 mg in 24 hours. Store below 25 degrees Celsius.";
        assert!(agrees(
            "You should not take more than 2,000 mg in a day.",
            label
        ));
        assert!(agrees("Never take more than 2,000 mg a day.", label));
        assert!(conflicts("Don't take more than 3,000 mg a day.", label));
        assert!(conflicts("You can take more than 2,000 mg a day.", label));
        assert!(agrees(
            "No, not children under 12.",
            "Children under 12 should not take this medicine."
        ));
        // A strict bound describes: every value "below 25" allows is below 30.
        assert!(agrees("Keep it below 30 degrees Celsius.", label));
        let limits = "Every API key may send up to 600 requests per minute.";
        assert!(agrees(
            "Each key can make up to 600 requests per minute.",
            limits
        ));
        assert!(conflicts(
            "Each key can make up to 1,000 requests per minute.",
            limits
        ));
        assert!(agrees(
            "Each key can make at most 600 requests per minute.",
            limits
        ));
        // A limit still agrees with a figure inside it.
        assert!(agrees(
            "The key may send fewer than 1,000 requests per minute.",
            limits
        ));
        assert!(agrees(
            "The drug exceeds 1,000 mg per tablet.",
            "Each tablet holds 1,500 mg."
        ));
    }

    #[test]
    fn qualifiers_and_precision_decide_what_agrees() {
        // A range writes its scale once.
        let fled = "Between 24 and 32 million people fled the country.";
        assert!(agrees(
            "Fewer than 25 million people fled the country.",
            fled
        ));
        assert!(conflicts(
            "Fewer than 20 million people fled the country.",
            fled
        ));
        // "nearly 90%" is at most 90 %.
        let schools = "Closures affected nearly 90% of the world's student population.";
        assert!(conflicts(
            "Closures affected more than 95% of students.",
            schools
        ));
        assert!(agrees(
            "Closures affected more than 85% of students.",
            schools
        ));
        assert!(agrees("Closures affected about 88% of students.", schools));
        // "an estimated 18 million" states a figure, not a range around it.
        let sales = "She has sold an estimated 18 million albums worldwide.";
        assert!(conflicts(
            "She sold more than 20 million albums worldwide.",
            sales
        ));
        assert!(agrees(
            "She sold more than 15 million albums worldwide.",
            sales
        ));
        let seasons = "Arsenal contested in eighteen successive UEFA Champions League seasons.";
        assert!(agrees(
            "Arsenal contested in more than 17 seasons.",
            seasons
        ));
        assert!(conflicts(
            "Arsenal contested in less than 18 seasons.",
            seasons
        ));
        assert!(agrees(
            "Aaliyah sold more than 75 million records.",
            "Aaliyah has sold over 75 million records."
        ));
        assert!(agrees(
            "The budget was more than $ 129.5 million.",
            "a production budget of $ 130 million"
        ));
        assert!(conflicts(
            "The budget was less than $ 129.5 million.",
            "a production budget of $ 130 million"
        ));
        assert!(agrees(
            "It grossed more than ₹50 crore.",
            "It grossed 80 Crore in India."
        ));
        // The claim's precision: "7.5 million" allows 7.45 to 7.55 million.
        assert!(agrees(
            "It sold 7.5 million units.",
            "It has sold 7,512,000 units."
        ));
        assert!(conflicts(
            "It sold 7.5 million units.",
            "It has sold 7.8 million units."
        ));
        assert!(agrees(
            "It had 4 billion views.",
            "It has amassed over 4 billion views."
        ));
        // Years are compared with years: "2020" is not a count of cases.
        assert!(agrees(
            "Less than 350 coronavirus cases were confirmed.",
            "2020 coronavirus pandemic in Georgia: 287 cases have been reported."
        ));
        assert!(agrees("It has about 200 parks.", "The city has 212 parks."));
        assert!(conflicts(
            "It scored 59% on average.",
            "an approval rating of 55% and 5.9/10"
        ));
        assert!(agrees(
            "an approval rating below 56%",
            "an approval rating of 55%"
        ));
        // A number is compared with those counting the same thing, when the window has any.
        let fps = "The PlayStation 4 version runs at 60 fps, the PlayStation 3 one at 60 fps.";
        assert!(conflicts(
            "The PlayStation 3 version runs at less than 45 fps.",
            fps
        ));
        assert!(agrees(
            "It sold 20 million albums.",
            "It sold 3 singles and 20 million albums."
        ));
    }

    #[test]
    fn dates_compare_on_the_fields_both_name() {
        let release = "The game was released for Wii on 2 October 2010 in North America.";
        assert!(agrees("It was released before October 7, 2010.", release));
        assert!(conflicts("It was released after October 7, 2010.", release));
        assert!(conflicts("It was released on 12 October 2010.", release));
        assert!(agrees("It was released in October 2010.", release));
        assert!(agrees("It was released in 2010.", release));
        assert!(conflicts("It was released in 2011.", release));
        assert!(agrees("It came out after 2009.", release));
        // A date the window gives only as a year is checked on the year, on its side.
        assert!(conflicts(
            "It opened on 3 May 2012.",
            "The museum opened in 2014."
        ));
        assert!(agrees(
            "She came out before 2013.",
            "In 2012, she came out."
        ));
        assert!(agrees(
            "The company was founded after 1956.",
            "It was founded in 1958."
        ));
        assert!(conflicts(
            "The class preceding 2019 applied.",
            "The Class of 2019 applied."
        ));
        assert!(agrees(
            "It had grossed less than $ 24.5 million before 28 April 2014.",
            "As of April 26, 2014 the film has grossed $ 24.1 million."
        ));
        // "By"/"as of" dates of a claim bound something else and are not compared as dates.
        assert!(agrees(
            "By August 2015, it shipped over 7.5 million units.",
            "As of August 2015, it has shipped over 7.5 million units."
        ));
    }

    #[test]
    fn spans_counted_from_another_event_are_not_figures() {
        // Worked out from the text (1903, 1911), not stated in it.
        let bio = "She shared the 1903 Nobel Prize in Physics. In 1911 she won the Nobel Prize in Chemistry.";
        assert_eq!(
            check("She won her second prize eight years after her first.", bio),
            None
        );
        assert_eq!(
            check(
                "It sold three times as many copies.",
                "It sold 3,000 copies."
            ),
            None
        );
        assert_eq!(
            check("She moved 24 years later.", "She moved in 1891."),
            None
        );
        // A duration that is stated is still compared.
        assert!(conflicts(
            "You have 60 days to return it.",
            "You have 30 days to return it."
        ));
    }

    #[test]
    fn an_ordinal_of_the_window_confirms_the_same_number_and_contradicts_nothing() {
        let seeds = "It set up a semi-final with Germany's ninth seed Andrea Petkovic, who beat \
                     the 14th seed Karolina Pliskova 6-4, 6-2.";
        assert!(agrees("No 9 seed Andrea Petkovic beat Pliskova.", seeds));
        assert!(agrees("She beat the No 14 seed.", seeds));
        let office = "Michael bought it from her in the third season episode Business School.";
        assert!(agrees("He bought it in season three.", office));
        // No number of the window to read it against: an ordinal of another value says nothing.
        assert_eq!(check("He bought it in season four.", office), None);
        // A number of the window still decides when no ordinal confirms.
        assert!(conflicts(
            "It was his 4 wins in a row.",
            "It was his fifth win in a row, after 3 draws."
        ));
        assert!(agrees(
            "Rostov have won four games in a row.",
            "Rostov's fourth win in a row moved them up, watched by 12,000 fans."
        ));
        // "twenty-first" is 21 (not a "twenty"), confirming only; a bound is not confirmed.
        assert_eq!(
            check(
                "It has 20 branches.",
                "It grew in the twenty-first century."
            ),
            None
        );
        assert!(agrees(
            "It grew in the 21 century.",
            "It grew in the twenty-first century."
        ));
        assert!(conflicts(
            "It had more than 10 seasons.",
            "Its tenth season had 8 episodes."
        ));
        // Without a word after it, an ordinal is no figure ("came in third", "a second").
        assert_eq!(check("She came 3 times.", "She came in third."), None);
    }

    #[test]
    fn numbers_written_in_words_are_read_whole() {
        assert!(agrees(
            "It has one-hundred and four singles.",
            "It has 104 singles."
        ));
        assert!(agrees(
            "It has two hundred and fifty staff.",
            "It has 250 staff."
        ));
        assert!(conflicts(
            "It has two hundred and fifty staff.",
            "It has 220 staff."
        ));
        assert!(conflicts(
            "It has 200 staff.",
            "It has two hundred and fifty staff."
        ));
        // At the precision written: "two hundred" is 150 to 250.
        assert!(agrees("It has two hundred staff.", "It has 230 staff."));
        assert!(agrees(
            "It has 155 staff.",
            "It has one hundred fifty-five staff."
        ));
        assert!(agrees(
            "About 3,500 people came.",
            "Some three thousand five hundred people came."
        ));
        assert!(agrees(
            "It has 2,300,000 people.",
            "It has two million three hundred thousand people."
        ));
        assert!(conflicts(
            "It has 2,400,000 people.",
            "It has two million three hundred thousand people."
        ));
        assert!(agrees(
            "It sold twelve million copies.",
            "It sold 12 million copies."
        ));
        // Words after the number are not taken in: "five, six" are two numbers.
        assert!(agrees("It had 6 wins.", "It had five, six wins."));
    }

    #[test]
    fn ranks_are_compared_with_ranks() {
        let film = "It is the seventh highest grossing Bollywood film of 2009, after 3 weeks.";
        assert!(conflicts(
            "It is the fifth highest-grossing Bollywood film of 2009.",
            film
        ));
        assert!(agrees(
            "It is the 7th highest-grossing Bollywood film of 2009.",
            film
        ));
        // A rank that agrees keeps a conflict away but is no evidence on its own: "the first"
        // is stated about something in most passages.
        assert_eq!(
            check(
                "His first goal came in March.",
                "On 2 March 2019, he scored his first goal for United."
            ),
            None
        );
        assert!(conflicts(
            "His second goal came in March.",
            "On 2 March 2019, he scored his first goal for United."
        ));
        // A rank is not read against a count, nor against a rank of something else, nor
        // after a bound; a capitalized ordinal is a name.
        assert_eq!(
            check("Its third season aired.", "It ran for 3 seasons."),
            None
        );
        assert_eq!(
            check(
                "It is the third movie in the trilogy.",
                "It was the second best-selling game."
            ),
            None
        );
        assert_eq!(
            check(
                "It was ranked above the 6th best game.",
                "Rogue was the seventh best game in the series."
            ),
            None
        );
        assert_eq!(
            check("He is an Airman First Class.", "He was the second airman."),
            None
        );
    }

    #[test]
    fn names_codes_ordinals_and_times_are_not_figures() {
        assert_eq!(check("The A380 flew in 3D.", "The A350 flew."), None);
        assert_eq!(check("It ranked 6th.", "It ranked seventh."), None);
        assert_eq!(
            check("Call 01273 683111.", "Call them on 020 7946 0958."),
            None
        );
        assert_eq!(
            check("The draw was at 13:00.", "The draw was at 1300 hours."),
            None
        );
        assert_eq!(
            check("The draw was at 1300 hours.", "The draw was at 13:00."),
            None
        );
        assert!(agrees(
            "Just Dance 2 came out.",
            "Just Dance 2: The game came out."
        ));
        assert_eq!(
            check(
                "Twenty One Pilots released it.",
                "The band released 21 songs."
            ),
            None
        );
        assert!(agrees("The 2017-18 season", "The 2017–18 season began."));
        // A year after a hyphen is still a year.
        assert!(agrees(
            "It received 30,621 claims between 2010-2014.",
            "From 2010 to 2014 it received 30,621 claims."
        ));
        assert!(conflicts(
            "It received 30,621 claims between 2010-2015.",
            "From 2010 to 2014 it received 30,621 claims."
        ));
        // "$3.5m" is millions.
        assert!(agrees(
            "She bought it for $3.5m.",
            "She bought the 23.63-acre property for $3.5 million."
        ));
        assert!(conflicts(
            "She bought it for $4.5m.",
            "She bought the 23.63-acre property for $3.5 million."
        ));
        assert!(agrees(
            "PlayStation 3 sales",
            "On PlayStation 3 it sold well."
        ));
    }

    #[test]
    fn times_of_day_are_compared_with_times_of_day() {
        let hotel = "Check-in at the hotel starts at 3 pm and check-out is at 11 am.";
        assert!(conflicts("Check-in starts at 1 pm.", hotel));
        assert!(conflicts("Check-out is at noon.", hotel));
        assert!(agrees("Check-in starts at 3 pm.", hotel));
        assert!(agrees("Check-in starts at 3 p.m.", hotel));
        assert!(agrees("Check-in starts at 15:00.", hotel));
        assert!(agrees("Check-out is at 11 a.m.", hotel));
        assert!(conflicts("Check-out is at 11 pm.", hotel));
        // The "3" of "3 pm" is no number, and a time is no number either.
        assert_eq!(check("The hotel has 3 pools.", hotel), None);
        assert_eq!(
            check("Check-in starts at 3 pm.", "The hotel has 3 pools."),
            None
        );
        // A side or a hedge of the claim's time is not compared.
        assert_eq!(check("Check-in is after 2 pm.", hotel), None);
        let clinic = "The clinic is open Monday to Friday from 8 am to 6 pm and on Saturdays \
                      from 9 am to 1 pm. Cancel up to 24 hours in advance.";
        assert!(conflicts("On weekdays the clinic closes at 8 pm.", clinic));
        assert!(agrees("The clinic opens at 8 am on weekdays.", clinic));
        assert!(agrees("On Saturdays the clinic closes at 1 pm.", clinic));
        assert!(agrees("The clinic closes at 18:00 on weekdays.", clinic));
        // "am" or "pm" written once for a range: its first end is either half of the day.
        let office = "The office is open from 9 to 5 pm.";
        assert!(agrees("The office opens at 9 am.", office));
        assert!(conflicts("The office opens at 10 am.", office));
        // Hours and minutes without "am" or "pm": either half of the day, unless written with
        // a leading zero or past 12.
        assert!(agrees(
            "Trading opens at 9:30.",
            "Trading opens at 9:30 pm and closes at 4 pm."
        ));
        assert!(conflicts(
            "Trading opens at 09:30.",
            "Trading opens at 9:30 pm and closes at 4 pm."
        ));
        assert!(agrees(
            "The shop opens at midnight.",
            "The shop is open from midnight to 6 am."
        ));
    }

    #[test]
    fn scores_verses_votes_and_phone_numbers_are_not_times() {
        // Hours and minutes are a time only next to a word that says so.
        assert_eq!(check("They won 3:1.", "They won 2:1 at 8 pm."), None);
        assert_eq!(
            check("Germany beat France 21:19.", "The match began at 20:00."),
            None
        );
        assert_eq!(
            check("He quoted John 3:16.", "The service began at 10 am."),
            None
        );
        assert_eq!(
            check("Call 01273 683111.", "Lines open at 9 am on 020 7946 0958."),
            None
        );
        // A vote of 7 to 2 is two numbers, not a range of times.
        assert_eq!(
            check("The court ruled 7 to 2.", "The hearing began at 7 pm."),
            None
        );
        assert!(agrees(
            "The court ruled 7 to 2.",
            "The court ruled 7 to 2 at 10 am."
        ));
        assert!(conflicts(
            "The court ruled 6 to 3.",
            "The court ruled 7 to 2 at 10 am."
        ));
        // Only "am"/"pm", "noon" or "midnight" make a time of a lone hour; a capital makes a name.
        assert_eq!(check("It aired at 9.", "It aired at 9 pm."), None);
        assert_eq!(
            check(
                "They watched Midnight Express.",
                "They watched it at 11 pm."
            ),
            None
        );
    }

    #[test]
    fn spans_of_time_are_compared_in_a_common_unit() {
        let bridge = "Construction of the bridge is expected to last about three months.";
        assert!(conflicts(
            "Construction is expected to last about three years.",
            bridge
        ));
        assert!(agrees("Construction will last 3 months.", bridge));
        assert!(agrees("Construction will take about 90 days.", bridge));
        // Another unit, the same span; a span is not the number it counts with.
        assert!(agrees(
            "The warranty lasts 36 months.",
            "The device comes with a 3-year warranty."
        ));
        let battery = "The Voltra X2 comes with an 18-month warranty.";
        assert!(conflicts("The warranty lasts 2 years.", battery));
        assert!(agrees("It has an 18 month warranty.", battery));
        assert!(agrees("It has a warranty of 1.5 years.", battery));
        assert!(agrees(
            "Refunds are processed within 24 hours.",
            "Refunds are processed within one day."
        ));
        // Where the window states spans in the claim's unit, those decide.
        let leave = "Employees accrue 1.5 days of paid leave per month, up to a maximum of 18 \
                     days per year. Requests must be made at least two weeks in advance.";
        assert!(agrees("Parental leave is 16 weeks.", leave));
        assert!(conflicts(
            "Employees accrue 2 days of paid leave a month.",
            leave
        ));
        // "in 3 years" is a span of three years.
        assert!(agrees(
            "The bridge will open in 3 years.",
            "The bridge will take three years to build."
        ));
        // A range writes its unit once.
        assert!(agrees(
            "Delivery takes 3 to 5 weeks.",
            "Delivery takes three to five weeks."
        ));
        assert!(conflicts(
            "Delivery takes 3 to 5 months.",
            "Delivery takes three to five weeks."
        ));
        // A year, an age and a count are not spans: a span confirms a count of the same value
        // (as a rank does) and contradicts none.
        assert_eq!(
            check("It opened in 2023.", "It took 3 years to build."),
            None
        );
        assert!(agrees(
            "She has 3 children.",
            "She lived there for 3 years."
        ));
        assert_eq!(
            check("She has 4 children.", "She lived there for 3 years."),
            None
        );
        assert!(agrees(
            "Lovelace died at 36.",
            "She died at the age of 36 years."
        ));
        assert_eq!(
            check("A 5-year-old girl won.", "She won after 6 months."),
            None
        );
        // A span counted from another event is read in a window, not in a claim.
        assert!(agrees(
            "Cancellation is free up to 48 hours ahead.",
            "Cancel free of charge up to 48 hours before arrival."
        ));
        assert!(conflicts(
            "Cancellation is free up to 24 hours ahead.",
            "Cancel free of charge up to 48 hours before arrival."
        ));
        assert_eq!(
            check(
                "She cancelled 24 hours before arrival.",
                "Cancel free of charge up to 48 hours before arrival."
            ),
            None
        );
        assert!(agrees(
            "The city has 2000 years of history.",
            "The city's history spans two thousand years."
        ));
        // "one day" in a claim is seldom a count; "one year" is.
        assert_eq!(
            check("She met him one day.", "They met after 3 days."),
            None
        );
        assert!(conflicts(
            "It has a one year warranty.",
            "It has an 18-month warranty."
        ));
    }

    #[test]
    fn a_year_is_read_in_the_sentence_about_what_the_claim_is_about() {
        let curie = "She shared the 1903 Nobel Prize in Physics with Pierre Curie and Henri \
                     Becquerel. In 1911 she won a second Nobel Prize, this time in Chemistry, \
                     for the discovery of polonium and radium.";
        assert!(conflicts(
            "She won the Nobel Prize in Chemistry in 1903.",
            curie
        ));
        assert!(agrees(
            "She won the Nobel Prize in Chemistry in 1911.",
            curie
        ));
        assert!(agrees(
            "She shared the Nobel Prize in Physics in 1903.",
            curie
        ));
        // Too few words shared to tell which event the claim is about.
        assert!(agrees("She won a prize in 1903.", curie));
        let ada = "In 1833 she met Charles Babbage, who was working on his Difference Engine. \
                   Her notes on his proposed Analytical Engine, published in 1843, include the \
                   first computer program.";
        assert!(conflicts("Lovelace met Charles Babbage in 1843.", ada));
        assert!(agrees("Lovelace met Charles Babbage in 1833.", ada));
        assert!(agrees(
            "Her notes on the Analytical Engine were published in 1843.",
            ada
        ));
        // A summary takes its year from another sentence where the one about it states none.
        let club = "In 2015 the club was promoted for the first time. Its manager, John Hale, \
                    built the squad around young players from the academy.";
        assert!(agrees(
            "Manager John Hale built the squad around academy players in 2015.",
            club
        ));
        // A claim with two years joins two events: each year agrees wherever it is stated.
        let born = format!("She was born in Warsaw in 1867. {curie}");
        assert!(agrees(
            "Born in 1867, she won the Nobel Prize in Chemistry in 1903.",
            &born
        ));
    }
}
