//! Link stage: finds entity mentions, predicate phrases, numbers and known values in a claim and
//! turns them into assertions `(subject, predicate, claimed value)` that the graph can check.
//!
//! Choosing among entities that share a label: candidates whose type fits the predicate
//! (`fg:subjectType` / `fg:objectType`) win, then the spelling with the accents the writer typed
//! ("San José"), then the higher `fg:population`. A bare "Paris" is therefore the French
//! capital; "Paris, Texas" matches its own longer label. Namesakes the graph cannot rank apart
//! (airports that share a name) are each read, and a claim about the name holds when it holds of
//! one of them; so does a claim whose value names entities of several types ("is in Colombia":
//! the country, or a town of that name).

use std::sync::LazyLock;

use regex::Regex;

use crate::knowledge::{fold_key, EntityId, Knowledge, LabelHit, ValueKind};

/// A claimed value.
#[derive(Debug, Clone, PartialEq)]
pub enum Claimed {
    /// An entity mention: its folded text and the candidates that fit the object type.
    Entity {
        /// Folded mention text (for identity through labels).
        folded: String,
        /// Candidates fitting the predicate's object types, best first.
        candidates: Vec<EntityId>,
    },
    /// A number, already in the predicate's unit.
    Number {
        /// The value.
        value: f64,
        /// "more than" / "less than" qualifiers.
        bound: Bound,
        /// The place of the last digit written, in the predicate's unit ("64" 1, "4.2" 0.1,
        /// "2.1 million" 100,000): a graph value that rounds to the claimed one at this place
        /// is what the claim says ("about 64" for 63.546).
        precision: f64,
    },
    /// A string from the predicate's value set (folded).
    String(String),
}

/// Qualifier of a claimed number.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Bound {
    /// "about X", "X".
    Approx,
    /// "more than X", "over X", "at least X".
    AtLeast,
    /// "less than X", "under X", "at most X".
    AtMost,
    /// "between X and `to`", "X to `to`", "X–`to`" (a range: [`ranges`]).
    Range {
        /// The upper end, in the same unit and scale as the value.
        to: f64,
    },
}

/// One checkable statement found in a claim.
#[derive(Debug, Clone, PartialEq)]
pub struct Assertion {
    /// Subject entity.
    pub subject: EntityId,
    /// Index into [`Knowledge::predicates`].
    pub predicate: usize,
    /// What the claim says the value is.
    pub value: Claimed,
    /// The text of the claimed value as written.
    pub value_text: String,
    /// The subject is a namesake too far below the name's best-known bearer to be meant
    /// ([`NAMESAKE_RANK_FACTOR`]), read for a predicate with
    /// [`crate::knowledge::Predicate::other_namesakes`]: "London is in Ontario" is read of
    /// London, Ontario only so that, holding of it, it is not contradicted by London, England
    /// ([`crate::reason::judge_claim`]). Its own reading never supports a claim.
    pub lesser_namesake: bool,
    /// For a figure of a predicate with [`crate::knowledge::Predicate::other_namesakes`]: another
    /// bearer of the subject's name that the predicate does not fit, so the graph has no such
    /// figure of it, and that is not ranked far below the subject ([`NAMESAKE_RANK_FACTOR`];
    /// unranked counts as near): "Quebec", the province, beside Quebec City's population;
    /// "Georgia", the US state, beside the country's. A figure the subject's contradicts may be
    /// that one's: the claim is then UNVERIFIABLE ([`crate::reason::judge_claim`]).
    pub unread_namesake: Option<EntityId>,
}

/// What linking found in one claim.
#[derive(Debug, Clone, Default)]
pub struct Linked {
    /// Assertions to check.
    pub assertions: Vec<Assertion>,
    /// The statements the claim makes, each as the indices in `assertions` of its readings: one
    /// phrase between the same two mentions can read through several predicates ("Cimitarra
    /// Airport is in Colombia": the airport's country, or a town named Colombia that it serves),
    /// or of several namesakes ("Las Brujas Airport": one in Cuba, one in Colombia). A statement
    /// holds when one of its readings does ([`crate::reason::judge_claim`]).
    pub statements: Vec<Vec<usize>>,
    /// For each statement, whether a contrastive "not" denies its value ("Canberra, not
    /// Sydney"; "not Sydney but Canberra"): the reason stage inverts that statement alone.
    pub denied: Vec<bool>,
    /// For each statement, whether a negation ("not", "never", "isn't"; not a contrastive
    /// "not") applies to it: one in the same part of the sentence, an aside set off by commas or
    /// the rest ("Sweden, whose currency is the krona, is not in the eurozone" does not deny the
    /// krona). The reason stage inverts a decided result.
    pub negated: Vec<bool>,
    /// The claim speaks of another time than the present ("was", "former", "will"): the reason
    /// stage does not let a present value of a predicate that changes over time contradict it.
    pub other_time: bool,
    /// Entities mentioned (for explanations).
    pub mentions: usize,
    /// A predicate phrase was found but no assertion could be formed.
    pub unparsed_predicate: bool,
    /// Numbers are said of another extent than the entity the graph describes (a metropolitan
    /// or urban area, "Greater London"): number-valued phrases were not read.
    pub other_extent: bool,
}

impl Linked {
    /// The statements of `self` and `other` together, as one claim's: "Germany's capital is
    /// Munich." and "Germany's population is 83 million." of one table row.
    pub fn merge(mut self, other: Linked) -> Linked {
        let offset = self.assertions.len();
        self.assertions.extend(other.assertions);
        self.statements.extend(
            other
                .statements
                .into_iter()
                .map(|r| r.into_iter().map(|i| i + offset).collect()),
        );
        self.denied.extend(other.denied);
        self.negated.extend(other.negated);
        self.other_time |= other.other_time;
        self.mentions += other.mentions;
        self.unparsed_predicate =
            (self.unparsed_predicate || other.unparsed_predicate) && self.assertions.is_empty();
        self.other_extent |= other.other_extent;
        self
    }
}

/// `pattern` with ASCII word boundaries (`(?-u:\b)`) for its `\b`s. With Unicode ones the regex
/// engine leaves its lazy DFA at the first non-ASCII byte (a curly quote, a dash) and scans the
/// rest of the text with its slowest engine: parsing a news article's figures was ten times
/// slower (`make bench-numbers`). Other classes (`\s`, `\d`) stay Unicode.
pub(crate) fn ascii_boundaries(pattern: &str) -> String {
    pattern.replace(r"\b", r"(?-u:\b)")
}

/// Word boundaries are ASCII ones ([`ascii_boundaries`]).
static NUMBER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&ascii_boundaries(
        r"(?xi)
        (?P<cmp>\b(?:about|approximately|approx\.?|around|roughly|nearly|almost|some|
               more\ than|over|greater\ than|at\ least|above|exceeding|
               less\ than|under|fewer\ than|below|at\ most)\s+)?
        (?P<cur>[$€£]\s?)?
        (?P<num>[-−]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?)
        (?:\s*(?P<scale>thousand|million|billion|trillion|bn|mn)\b|(?P<k>k)\b)?
        (?:\s*(?P<unit>°\s?[CFK]\b|degrees?\s+(?:celsius|fahrenheit|kelvin)|kelvin|(?-i:K)\b|
               km²|km2|square\ kilomet(?:er|re)s?|sq\.?\s?km|square\ miles?|sq\.?\s?mi\b|
               feet\b|foot\b|ft\b|metres\b|meters\b|m\b))?",
    ))
    .expect("static regex; this is a bug")
});

/// A code-like token: 2 to 6 capitals or digits with at least one capital ("HEOW", "GL", "U2").
static CODE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\b(?:[A-Z][A-Z0-9]{1,5}|[0-9][A-Z0-9]*[A-Z][A-Z0-9]*)\b")
        .expect("static regex; this is a bug")
});

static NEGATION: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\b(?:not|never|no\s+longer|neither|nor)\b|n't\b|n’t\b")
        .expect("static regex; this is a bug")
});

/// A word that ranks what follows, at the end of the text before a phrase: "largest", "most
/// populous", "second", "only", "main". Superlatives are lower-case words ending in "est" but not
/// "west" (a name such as "Budapest" is capitalised; "forest" or "honest" right before a phrase
/// leave it unread too, which only costs a decision). Not "first": "first discovered in" is a
/// discovery.
static RANKED: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&ascii_boundaries(
        r"(?:\b(?i:most|least)(?:\s+[a-z]+)?|\b[a-z]*[a-vx-z]est|\b[a-z]+most|\b(?i:only|main|primary|principal|predominant|dominant|chief|second|third|fourth|fifth)|\b\d+(?:st|nd|rd|th))\s+$",
    ))
    .expect("static regex; this is a bug")
});

/// A word that makes what follows another kind of thing: "India's financial capital" (Mumbai)
/// and "the summer capital" are not the capital the graph states.
static KIND_OF: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&ascii_boundaries(
        r"\b(?i:financial|commercial|economic|cultural|business|entertainment|fashion|tech|technology|industrial|spiritual|religious|historic|historical|tourist|music|film|culinary|gastronomic|artistic|intellectual|literary|sporting|shopping|summer|winter)\s+$",
    ))
    .expect("static regex; this is a bug")
});

/// A word before a four-digit number that makes it a year: "In 2023, India overtook China as the
/// most populous country" states no population of 2,023.
static YEAR_BEFORE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&ascii_boundaries(
        r"(?i)\b(?:in|since|until|till|during|before|after|circa|by\s+the\s+end\s+of)\s+$",
    ))
    .expect("static regex; this is a bug")
});

/// ", with" or "and has / is" before a figure ("São Paulo is the largest city in Brazil, with
/// about 12 million people"; "Rome is the capital of Italy and has about 2.8 million
/// residents"): the figure is the sentence subject's, not that of a place named as a complement
/// before it ([`PLACE_COMPLEMENT`], [`POSSESSIVE`]).
static FIGURE_CONNECTIVE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&ascii_boundaries(
        r",\s*with\b|\band\s+(?:has|have|is|are)\b",
    ))
    .expect("static regex; this is a bug")
});

/// "in" or "of" (and "the", a compass word) right before a mention, or a word relating it to
/// another place ("borders", "larger than", "close to"): the place is a complement ("in central
/// Spain", "of the United States", "Kenya borders Uganda and has..."), not a subject.
static PLACE_COMPLEMENT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&ascii_boundaries(
        r"(?i)\b(?:in|of|borders?|bordering|bordered\s+by|neighbou?rs?|neighbou?ring|next\s+to|near|beside|than|from|to)\s+(?:(?:the|central|northern|southern|eastern|western|north|south|east|west)\s+)*$",
    ))
    .expect("static regex; this is a bug")
});

/// A comparison right before a mention after a figure ("second only to Russia", "more than
/// Madrid", "behind China"): the place is what the subject is compared with, and the figure is
/// not its ("Canada has an area of about 10 million square kilometres, second only to Russia").
static COMPARED_WITH: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&ascii_boundaries(
        r"(?i)(?:\b(?:than|behind|after|unlike|versus|vs\.?)|\b(?:only|next|second|compared|similar|comparable|equal|close|closest|relative)\s+to)\s+(?:the\s+)?$",
    ))
    .expect("static regex; this is a bug")
});

/// What ends a list item's head ("Germany: capital Berlin, …", "**Japan** – capital Tokyo").
static HEAD_MARK: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(?:\*\*)?\s*(?::|–|—|-\s)").expect("static regex; this is a bug")
});

/// A phrase followed right by its figure ("population about 83 million", "area: 357,000 km²"):
/// an attribute, of a list item's head where there is one.
static ATTRIBUTE_VALUE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&ascii_boundaries(
        r"(?i)^(?:\*\*)?\s*[:=]?\s*(?:\*\*)?\s*(?:(?:about|approximately|approx\.?|around|roughly|nearly|almost|over|more\s+than|under|less\s+than)\s+|~\s*)?[-−]?\d",
    ))
    .expect("static regex; this is a bug")
});

/// Where a count after its figure names the place it is in ("83 million people in Germany",
/// "people living in"): the place may come after the figure.
static COUNT_IN_PLACE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&ascii_boundaries(
        r"(?i)^\s*(?:in|living\s+in|who\s+live\s+in|live\s+in|lived\s+in)\b",
    ))
    .expect("static regex; this is a bug")
});

/// A share taken of what follows ("13% of the UK's population", "a fifth of South Korea's
/// population", "20% of Australia's 26 million people"): a mention, phrase or number there (after
/// a mention's "'s") names the whole a share is of, not a figure the sentence states.
static SHARE_OF: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&ascii_boundaries(
        r"(?i)(?:%|\b(?:percent|per\s+cent|half|thirds?|quarters?|fifths?|tenths?|fraction|share|proportion|majority|percentage))\s+of\s+(?:the\s+)?$",
    ))
    .expect("static regex; this is a bug")
});

/// "'s" right after a mention ("Austria's capital"): the place is a possessor, not a subject.
static POSSESSIVE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^['’]s\b").expect("static regex; this is a bug"));

/// What comes before a number that a count noun after it makes a figure of the subject ("has
/// about 9 million people", "with 12 million inhabitants", "home to", "a city of", "Germany's
/// 83 million inhabitants", "there are"); without it "drew 10,000 people" or "1.5 million
/// people work in health care" counts people doing something, not a population.
static COUNT_OF_SUBJECT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&ascii_boundaries(
        r"(?i)(?:\b(?:has|have|having|with|of|counts?|counting|numbers?|numbering|totals?|totall?ing|home\s+to|houses|housing|there\s+are)|['’]s)\s+$",
    ))
    .expect("static regex; this is a bug")
});

/// A relative clause, an appositive or a participle set off by commas ("Australia, whose
/// capital is Canberra, has about 26 million people"; "Mexico City, the capital of Mexico, has
/// about 9 million people"; "Portugal, bordered by Spain, has about 10 million people"): a
/// phrase outside it does not take its subject from inside it.
static ASIDE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r",\s*(?i:whose|which|who|where|the|a|an|bordered|located|situated|surrounded|known|called|named|nicknamed)\b[^,.;]*,")
        .expect("static regex; this is a bug")
});

/// "Not" that negates nothing: "not only the capital but also...", "not surprisingly".
static NOT_A_NEGATION: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^not\s+(?:only|just|merely|surprisingly|least|to\s+mention)\b")
        .expect("static regex; this is a bug")
});

/// Words that put a statement at another time than the present ("Rio de Janeiro was the capital
/// of Brazil", "the former capital", "will be the capital"): the graph's present value of
/// something that changes does not contradict it ([`Linked::other_time`]).
static OTHER_TIME: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&ascii_boundaries(
        r"(?i)\b(?:was|were|had|used\s+to|former|formerly|once|previously|originally|until|became|will|would)\b",
    ))
    .expect("static regex; this is a bug")
});

/// Words that put a number on another extent than the entity the graph describes: a city's
/// metropolitan or urban area, "Greater London", its suburbs ("Tokyo's metropolitan area is home
/// to 37 million people" is not Tokyo's population), a country's overseas regions ("France has
/// an area of 643,801 km² including its overseas regions" is not metropolitan France's area).
static OTHER_EXTENT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&ascii_boundaries(
        r"\b(?i:metro|metropolitan|metropolis|urban|agglomeration|conurbation|suburbs|suburban|commuter\s+belt|wider\s+area|overseas)\b|\b[Gg]reater\s+(?:the\s+)?\p{Lu}",
    ))
    .expect("static regex; this is a bug")
});

/// A number found in text, converted to a base value (scale applied), with its unit.
#[derive(Debug, Clone, PartialEq)]
pub struct Quantity {
    /// Start byte.
    pub start: usize,
    /// End byte.
    pub end: usize,
    /// Value with scale words applied.
    pub value: f64,
    /// Unit as written (lower-case), if any.
    pub unit: Option<String>,
    /// Qualifier.
    pub bound: Bound,
    /// The place of the last digit written, scale words applied ("4" 1, "2.1 million" 1e5).
    pub precision: f64,
    /// The scale word's factor ("million" 1e6; 1 without one).
    pub scale: f64,
}

/// People counted right after a number ("38m people").
static COUNTED_AFTER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^\s+(?i:people|inhabitants|residents|citizens|persons|speakers|users|visitors|passengers)\b")
        .expect("static regex; this is a bug")
});

/// Numbers in `text` ("3.5 million", "1,234", "$3.5m"; "about 37m people" is not parsed as
/// metres).
pub fn quantities(text: &str) -> Vec<Quantity> {
    NUMBER
        .captures_iter(text)
        .filter_map(|c| {
            let m = c.get(0)?;
            let num = c.name("num")?;
            // Skip digits glued to letters ("A380", "B2B").
            let before = text[..num.start()].chars().next_back();
            if before.is_some_and(char::is_alphabetic) {
                return None;
            }
            // A decade is no number ("discovered in the 1770s", "the 90s").
            let after = text[num.end()..]
                .strip_prefix("'s")
                .or_else(|| text[num.end()..].strip_prefix('s'));
            if after.is_some_and(|a| !a.starts_with(char::is_alphanumeric))
                && matches!(num.as_str().len(), 2 | 4)
                && num.as_str().bytes().all(|b| b.is_ascii_digit())
            {
                return None;
            }
            // "−196" with the minus sign (U+2212) is as negative as with a hyphen; a hyphen
            // glued to a word or number before it joins the two ("200-220 million", "2017-18").
            let joined = num.as_str().starts_with('-')
                && text[..num.start()]
                    .chars()
                    .next_back()
                    .is_some_and(char::is_alphanumeric);
            let digits = if joined {
                &num.as_str()[1..]
            } else {
                num.as_str()
            };
            let mut value: f64 = digits.replace(',', "").replace('−', "-").parse().ok()?;
            // "37k" (glued) is thousands; "2750.15 K" (a space, capital) is kelvin.
            let scale = match c
                .name("scale")
                .or(c.name("k"))
                .map(|s| s.as_str().to_lowercase())
                .as_deref()
            {
                Some("thousand") | Some("k") => 1e3,
                Some("million") | Some("mn") => 1e6,
                Some("billion") | Some("bn") => 1e9,
                Some("trillion") => 1e12,
                _ => 1.0,
            };
            value *= scale;
            let decimals = num.as_str().split_once('.').map_or(0, |(_, d)| d.len());
            let mut precision = scale / 10f64.powi(i32::try_from(decimals).unwrap_or(i32::MAX));
            // "$3.5m", "38m people": after a currency sign, or glued to the number and before
            // people counted, "m" is millions, not metres.
            let mut unit = c.name("unit").map(|u| u.as_str().to_lowercase());
            let counted = || {
                m.as_str().ends_with(['m', 'M'])
                    && text[num.end()..m.end()].len() == 1
                    && COUNTED_AFTER.is_match(&text[m.end()..])
            };
            let millions = unit.as_deref() == Some("m") && (c.name("cur").is_some() || counted());
            if millions {
                value *= 1e6;
                precision *= 1e6;
                unit = None;
            }
            let scale = if millions { 1e6 } else { scale };
            let bound = match c
                .name("cmp")
                .map(|s| s.as_str().trim().to_lowercase())
                .as_deref()
            {
                Some(
                    "more than" | "over" | "greater than" | "at least" | "above" | "exceeding",
                ) => Bound::AtLeast,
                Some("less than" | "under" | "fewer than" | "below" | "at most") => Bound::AtMost,
                _ => Bound::Approx,
            };
            Some(Quantity {
                start: if joined { num.start() + 1 } else { m.start() },
                end: m.end(),
                value,
                unit,
                bound,
                precision,
                scale,
            })
        })
        .collect()
}

/// What stands between the two numbers of a range ("24 to 32 million", "between 24 and 32
/// million", "24–32 million").
pub(crate) static RANGE_BETWEEN: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^\s*(?:to|and|-|–|—)\s*(?:US\$|[$€£₹¥])?\s*$")
        .expect("static regex; this is a bug")
});

/// "between" or "from" right before the first number of a range: "and" joins two numbers into
/// a range only after "between".
static RANGE_OPENS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\b(?:between|from)\s+$").expect("static regex; this is a bug")
});

/// Two numbers written as a range are one claimed figure, an interval ([`Bound::Range`]): the
/// scale and the unit are written once, after the second ("between 200 and 220 million", "9 to
/// 10 million people", "200–220 million", "from 1,500 to 1,600 km²"). "and" joins two numbers
/// only after "between" ("Paris has 2 million people and 20 museums" is no range); the first
/// end must be the smaller ("the 2017-18 season" is none).
fn ranges(text: &str, quantities: Vec<Quantity>) -> Vec<Quantity> {
    let mut out: Vec<Quantity> = Vec::with_capacity(quantities.len());
    for q in quantities {
        if let Some(a) = out.last_mut() {
            let gap = &text[a.end..q.start];
            let opens = RANGE_OPENS.find(&text[..a.start]);
            let lower = if a.scale == q.scale {
                Some(a.value)
            } else if a.scale == 1.0 {
                Some(a.value * q.scale)
            } else {
                None
            };
            if let Some(lower) = lower.filter(|&l| l < q.value).filter(|_| {
                a.bound == Bound::Approx
                    && q.bound == Bound::Approx
                    && RANGE_BETWEEN.is_match(gap)
                    && (opens.is_some() || !gap.trim().eq_ignore_ascii_case("and"))
                    && (a.unit.is_none() || a.unit == q.unit)
            }) {
                *a = Quantity {
                    start: opens.map_or(a.start, |m| m.start()),
                    end: q.end,
                    value: lower,
                    bound: Bound::Range { to: q.value },
                    ..q
                };
                continue;
            }
        }
        out.push(q);
    }
    out
}

/// Converts `q` into the predicate unit `unit` (as written in the lexicon). `None` when the
/// written unit is incompatible.
pub fn convert(q: &Quantity, unit: Option<&str>) -> Option<f64> {
    let Some(written) = q.unit.as_deref() else {
        return Some(q.value);
    };
    let written = written.replace(' ', "");
    let target = unit
        .map(|u| u.to_lowercase().replace(' ', ""))
        .unwrap_or_default();
    let is = |w: &str, opts: &[&str]| opts.iter().any(|o| w.starts_with(o));
    let celsius = is(&written, &["°c", "degreecelsius", "degreescelsius"]);
    let fahrenheit = is(&written, &["°f", "degreefahrenheit", "degreesfahrenheit"]);
    let kelvin = written == "k" || is(&written, &["°k", "kelvin", "degreekelvin", "degreeskelvin"]);
    let km2 = is(&written, &["km²", "km2", "squarekilomet", "sq.km", "sqkm"]);
    let mi2 = is(&written, &["squaremile", "sq.mi", "sqmi"]);
    let feet = is(&written, &["feet", "foot", "ft"]);
    let metres = is(&written, &["metre", "meter"]) || written == "m";
    match target.as_str() {
        "k" | "kelvin" => {
            if celsius {
                Some(q.value + 273.15)
            } else if fahrenheit {
                Some((q.value - 32.0) * 5.0 / 9.0 + 273.15)
            } else if kelvin {
                Some(q.value)
            } else {
                None
            }
        }
        "km²" | "km2" => {
            if km2 {
                Some(q.value)
            } else if mi2 {
                Some(q.value * 2.589_988)
            } else {
                None
            }
        }
        "ft" | "feet" => {
            if feet {
                Some(q.value)
            } else if metres {
                Some(q.value * 3.280_84)
            } else {
                None
            }
        }
        "m" | "metres" | "meters" => {
            if metres {
                Some(q.value)
            } else if feet {
                Some(q.value / 3.280_84)
            } else {
                None
            }
        }
        // No unit in the lexicon: a unit word in the claim belongs to something else.
        _ => None,
    }
}

fn overlaps(a: (usize, usize), b: (usize, usize)) -> bool {
    a.0 < b.1 && b.0 < a.1
}

/// `inner` lies within `outer` and is shorter.
fn strictly_inside(inner: (usize, usize), outer: (usize, usize)) -> bool {
    outer.0 <= inner.0 && inner.1 <= outer.1 && outer.1 - outer.0 > inner.1 - inner.0
}

fn distance(a: (usize, usize), b: (usize, usize)) -> usize {
    if overlaps(a, b) {
        0
    } else if a.1 <= b.0 {
        b.0 - a.1
    } else {
        a.0 - b.1
    }
}

/// A mention with its written form.
struct Mention<'a> {
    hit: LabelHit,
    text: &'a str,
}

impl Mention<'_> {
    fn range(&self) -> (usize, usize) {
        (self.hit.start, self.hit.end)
    }

    /// The best candidate whose types intersect `types`, with the namesakes the graph cannot
    /// rank apart from it (the same `fg:population`, or none: airports that share a name). With
    /// `by_value` (the claim's value is an entity, which can tell namesakes apart: "Toledo is in
    /// Spain"), also those it cannot rank far apart: within a factor of
    /// [`NAMESAKE_RANK_FACTOR`] (Toledo, Ohio and Toledo, Spain). Namesakes are spelled alike
    /// as far as the accents typed go ([`prefer_spelling`]). A statement about such a mention is
    /// read of each of them ([`Linked::statements`]): it holds when it holds of one. A number or
    /// a string cannot tell them apart ("San Cristóbal lies at latitude 18°" is near one of
    /// four), so the most populous is meant: of all the name's bearers, those the predicate fits
    /// or not. When that is one the predicate does not fit, the claim is not read of a lesser
    /// namesake ("Asia has about 4.7 billion people." is the continent, which has no population
    /// in the graph, not Asia, a town in the Philippines; "Florida has about 22 million people."
    /// is the state, not Florida, Cuba).
    fn subjects(&self, kg: &Knowledge, types: &[String], by_value: bool) -> Option<Vec<EntityId>> {
        let fitting = self.fitting(kg, types);
        let first = *fitting.first()?;
        let rank = kg.entities[first as usize].rank;
        if !by_value {
            let unaccented = unaccented_namesake(kg, self.text);
            let outranked = self.hit.candidates.iter().any(|c| {
                kg.entities[*c as usize].rank > rank && !fitting.contains(c) && !unaccented(c)
            });
            if outranked {
                return None;
            }
            return Some(
                fitting
                    .into_iter()
                    .take_while(|&c| kg.entities[c as usize].rank == rank)
                    .collect(),
            );
        }
        let unaccented = unaccented_namesake(kg, self.text);
        let demoted = unaccented(&first);
        Some(
            fitting
                .into_iter()
                .filter(|&c| {
                    let r = kg.entities[c as usize].rank;
                    (r == rank || r * NAMESAKE_RANK_FACTOR >= rank) && unaccented(&c) == demoted
                })
                .collect(),
        )
    }

    /// The namesakes fitting `types` that [`Self::subjects`] leaves out for ranking too far
    /// below `meant` (its answer with `by_value`), spelled as those are.
    fn lesser_namesakes(
        &self,
        kg: &Knowledge,
        types: &[String],
        meant: &[EntityId],
    ) -> Vec<EntityId> {
        let unaccented = unaccented_namesake(kg, self.text);
        let demoted = meant.first().is_some_and(&unaccented);
        self.fitting(kg, types)
            .into_iter()
            .filter(|c| !meant.contains(c) && unaccented(c) == demoted)
            .collect()
    }

    /// The first of the name's bearers that `types` does not fit and that is not ranked far
    /// below `rank` (unranked ones are not ranked apart).
    fn unfitting(&self, kg: &Knowledge, types: &[String], rank: f64) -> Option<EntityId> {
        let fitting = self.fitting(kg, types);
        self.hit.candidates.iter().copied().find(|&c| {
            let r = kg.entities[c as usize].rank;
            !fitting.contains(&c) && (r == 0.0 || r * NAMESAKE_RANK_FACTOR >= rank)
        })
    }

    fn fitting(&self, kg: &Knowledge, types: &[String]) -> Vec<EntityId> {
        self.hit
            .candidates
            .iter()
            .copied()
            .filter(|&id| {
                kg.entities[id as usize]
                    .types
                    .iter()
                    .any(|t| types.contains(t))
            })
            .collect()
    }
}

/// Capitalised words that may sit next to a name without being part of it.
const NAME_NEIGHBOURS_OK: &[&str] = &[
    "The", "A", "An", "In", "On", "At", "Of", "And", "Or", "But", "Is", "Was", "Its", "It", "This",
    "That", "Yes", "No", "Both", "From", "To", "For", "With", "By", "As", "Today", "Since",
];

/// True when the mention `[start, end)` touches another capitalised word, one space or hyphen
/// apart ("Heathrow Airport", "Lake Victoria", "Paris Hilton", "Hartsfield-Jackson", "Central
/// America"), follows one that is not itself part of a mention and " of " / " of the " ("the
/// Statue of Liberty", "the Gulf of Mexico"), or comes before " of " / " of the " and one ("the
/// Bank of England" is not Bank, a town in India, and "the Commonwealth of Australia" is
/// Australia).
fn glued_to_unknown_name(
    text: &str,
    start: usize,
    end: usize,
    mentions: &[(usize, usize)],
) -> bool {
    let inside_mention = |a: usize, b: usize| mentions.iter().any(|&(s, e)| a >= s && b <= e);
    let word_before = |before: &str| {
        let ws = before.rfind(|c: char| !c.is_alphanumeric()).map_or(0, |i| {
            i + before[i..].chars().next().map_or(1, char::len_utf8)
        });
        (ws, before.len())
    };
    let word_after = |at: usize| {
        let len = text[at..]
            .find(|c: char| !c.is_alphanumeric())
            .unwrap_or(text.len() - at);
        (at, at + len)
    };
    let head = &text[..start];
    let prev = head.strip_suffix([' ', '-']).map(word_before);
    // Not a sentence's first word: "One of Germany's …", "Part of Russia …".
    let of_before = [" of the ", " of "]
        .iter()
        .find_map(|sep| head.strip_suffix(sep))
        .map(word_before)
        .filter(|&(a, _)| {
            text[..a]
                .trim_end()
                .chars()
                .last()
                .is_some_and(|c| !matches!(c, '.' | '!' | '?' | ':' | ';' | '"' | '“' | '('))
        });
    let tail = &text[end..];
    let of_after = [" of the ", " of "]
        .iter()
        .find_map(|sep| tail.strip_prefix(sep))
        .map(|after| word_after(text.len() - after.len()));
    let next = tail
        .strip_prefix([' ', '-'])
        .map(|after| word_after(text.len() - after.len()));
    let name_word = |(a, b): (usize, usize)| {
        let word = &text[a..b];
        a < b
            && word.chars().next().is_some_and(char::is_uppercase)
            && !NAME_NEIGHBOURS_OK.contains(&word)
    };
    // Right next to it, even a word of another mention makes one longer name: "Central
    // America" is neither Central, Louisiana, nor America.
    [prev, next, of_after].into_iter().flatten().any(name_word)
        || of_before.is_some_and(|(a, b)| name_word((a, b)) && !inside_mention(a, b))
}

/// Where the name a phrase is "of" starts: "the capital of Bavaria, in Germany" is Bavaria's
/// capital, so its subject is the name written there (`Some` of where it may start: the word
/// after "of", or after "of the") and no other; `None` when no capitalised word follows "of"
/// ("the capital of the state of California", "a population of 8 million").
fn of_slot(claim: &str, phrase_end: usize) -> Option<[usize; 2]> {
    let rest = &claim[phrase_end..];
    let after_of = rest.len() - rest.strip_prefix(" of ")?.len();
    let at = phrase_end + after_of;
    let word = &claim[at..];
    let the = ["the ", "The "].iter().find_map(|t| word.strip_prefix(t));
    let next = the.map_or(at, |w| claim.len() - w.len());
    claim[next..]
        .chars()
        .next()
        .is_some_and(char::is_uppercase)
        .then_some([at, next])
}

/// Puts last the candidates whose name is the written one without the accents the writer typed:
/// "San José" is Costa Rica's capital, not San Jose, California (the more populous). A name
/// written without accents says nothing (keyboards drop them), so the order stays.
fn prefer_spelling(kg: &Knowledge, candidates: &mut [EntityId], written: &str) {
    if written.is_ascii() {
        return;
    }
    candidates.sort_by_cached_key(unaccented_namesake(kg, written));
}

/// Whether a candidate is named as `written` but without the accents the writer typed (never,
/// for a name written without accents). The written name is lower-cased and folded once.
fn unaccented_namesake<'a>(kg: &'a Knowledge, written: &str) -> impl Fn(&EntityId) -> bool + 'a {
    let written = (!written.is_ascii()).then(|| {
        let lower = written.to_lowercase();
        let key = fold_key(&lower);
        (lower, key)
    });
    move |&c| {
        written.as_ref().is_some_and(|(lower, key)| {
            let label = kg.entities[c as usize].label.to_lowercase();
            label != *lower && label.is_ascii() && fold_key(&label) == *key
        })
    }
}

/// Namesakes whose populations are within this factor of the most populous one's are each read
/// ("Toledo is in Spain.": Toledo, Ohio has 3 times the people of Toledo, Spain); further apart,
/// the most populous is meant ("Melbourne is in the United States.": Melbourne, Florida has a
/// sixtieth of Melbourne's). Chosen as "the same order of magnitude", not fitted.
const NAMESAKE_RANK_FACTOR: f64 = 10.0;

/// "It" / "Its" / "It's" at a claim's start, or "The" / "This" and a noun ("The country has
/// …"): it stands for a name written before ([`resolve`]).
static ANAPHOR: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^[^\p{L}\p{N}]*(?:(?i:it)(?P<is>['’]s)?\b|(?P<its>(?i:its))\b|(?i:the|this)\s+(?P<noun>\p{L}+)\b)")
        .expect("static regex; this is a bug")
});

/// The names of a claim that a later claim may call "it", "its" or "the country"
/// ([`resolve`]): every name written with a capital, in order, with the types it may have, and
/// whether the claim opens with the first ("France is …", "Japan's currency …", "The
/// Netherlands …"), the one "it" means.
#[derive(Debug, Clone, PartialEq)]
pub struct Antecedent {
    names: Vec<(String, Vec<String>)>,
    opens: bool,
}

/// The names of `claim` ([`Antecedent`]): its mentions written with a capital (any, in a
/// response written all in lower case); it opens with the first when nothing but punctuation
/// and "the" comes before it.
fn antecedent(kg: &Knowledge, claim: &str, all_lowercase_input: bool) -> Option<Antecedent> {
    let mentions = kg.find_entities(claim);
    let first = mentions.first()?;
    let before = claim[..first.start].trim_start_matches(|c: char| !c.is_alphanumeric());
    let before = before.trim();
    let capital =
        |m: &LabelHit| all_lowercase_input || claim[m.start..].starts_with(char::is_uppercase);
    let opens = (before.is_empty() || before.eq_ignore_ascii_case("the")) && capital(first);
    let names: Vec<(String, Vec<String>)> = mentions
        .iter()
        .filter(|m| capital(m))
        .map(|m| {
            let mut types: Vec<String> = m
                .candidates
                .iter()
                .flat_map(|&c| kg.entities[c as usize].types.iter().cloned())
                .collect();
            types.sort();
            types.dedup();
            (claim[m.start..m.end].to_string(), types)
        })
        .collect();
    (!names.is_empty()).then_some(Antecedent { names, opens })
}

/// The names a claim leaves for the next: those of the claim before where the claim calls one
/// of them "it" or "the country" ("Its capital is Tokyo." keeps Japan), else its own.
pub fn next_antecedent(
    kg: &Knowledge,
    claim: &str,
    before: Option<Antecedent>,
    all_lowercase_input: bool,
) -> Option<Antecedent> {
    before
        .filter(|a| resolve(claim, a).is_some())
        .or_else(|| antecedent(kg, claim, all_lowercase_input))
}

/// `claim` with the "it", "its", "it's" or "the <noun>" it opens with ([`ANAPHOR`]) written as
/// a name of `antecedent`: "Its capital is Paris" after "France is a country in Western
/// Europe." reads "France's capital is Paris". "It" is the name the claim before opened with;
/// "the <noun>" its first name of which the noun names a type: the last word of the type's
/// local name ("Lagos is Nigeria's largest city. The country …": Nigeria, `schema:Country`;
/// "the element": `fg:ChemicalElement`). `None` when the claim opens otherwise.
pub fn resolve(claim: &str, antecedent: &Antecedent) -> Option<String> {
    let c = ANAPHOR.captures(claim)?;
    let whole = c.get(0)?;
    let start = whole.start() + whole.as_str().find(char::is_alphabetic)?;
    let written = if let Some(noun) = c.name("noun") {
        let noun = noun.as_str().to_lowercase();
        let names_a_type = |types: &[String]| {
            types.iter().any(|t| {
                let local = t.rsplit(['/', '#', ':']).next().unwrap_or(t);
                let last = local
                    .rfind(char::is_uppercase)
                    .map_or(local, |i| &local[i..]);
                last.to_lowercase() == noun
            })
        };
        let (name, _) = antecedent.names.iter().find(|(_, t)| names_a_type(t))?;
        name.clone()
    } else {
        let (name, _) = antecedent.names.first().filter(|_| antecedent.opens)?;
        if c.name("its").is_some() {
            format!("{name}'s")
        } else if c.name("is").is_some() {
            format!("{name} is")
        } else {
            name.clone()
        }
    };
    Some(format!(
        "{}{written}{}",
        &claim[..start],
        &claim[whole.end()..]
    ))
}

/// Links one claim. `all_lowercase_input` disables the capitalization filter (the whole
/// response was written in lower case, so lower case says nothing).
pub fn link(kg: &Knowledge, claim: &str, all_lowercase_input: bool) -> Linked {
    // Predicate phrases, without one inside a longer one ("currency" in "currency code").
    let mut phrases = kg.find_phrases(claim);
    let all: Vec<(usize, usize)> = phrases.iter().map(|p| (p.0, p.1)).collect();
    phrases.retain(|p| !all.iter().any(|&o| strictly_inside((p.0, p.1), o)));
    let named: Vec<usize> = phrases.iter().flat_map(|p| p.2.iter().copied()).collect();
    // Known values of the predicates the claim names ("America/Tijuana" for "time zone", "SWE"
    // for "alpha-3"): what lies inside one is part of the value, not an entity or another code.
    let values = kg.find_values(claim);
    let known: Vec<(usize, usize)> = values
        .iter()
        .filter(|v| named.contains(&v.2))
        .map(|v| (v.0, v.1))
        .collect();
    let hits = kg.find_entities(claim);
    let spans: Vec<(usize, usize)> = hits.iter().map(|h| (h.start, h.end)).collect();
    let mentions: Vec<Mention> = hits
        .into_iter()
        .filter(|h| !known.iter().any(|&k| strictly_inside((h.start, h.end), k)))
        .filter_map(|mut hit| {
            let text = &claim[hit.start..hit.end];
            let lowercase_only = !text.chars().any(char::is_uppercase);
            if !all_lowercase_input {
                if lowercase_only {
                    // "nice weather" is not Nice; "iron" is Iron (a common-noun class).
                    hit.candidates
                        .retain(|&c| kg.entities[c as usize].common_noun);
                    if hit.candidates.is_empty() {
                        return None;
                    }
                } else if glued_to_unknown_name(claim, hit.start, hit.end, &spans) {
                    return None;
                }
            }
            prefer_spelling(kg, &mut hit.candidates, text);
            Some(Mention { hit, text })
        })
        .collect();
    // "the largest city in", "the main language", "the second capital": a phrase after a
    // superlative, an ordinal or "only" / "main" names a rank among the values, which the graph's
    // facts do not state ("Canberra is the largest city in Australia" is not its country). A
    // ranking word inside a name or a value ("Europe/budapest") is none.
    // The same for a word of another kind ([`KIND_OF`]: "India's financial capital").
    phrases.retain(|p| {
        let before = &claim[..p.0];
        RANKED
            .find(before)
            .or_else(|| KIND_OF.find(before))
            .is_none_or(|m| {
                let at = (m.start(), m.end());
                known.iter().any(|&k| overlaps(k, at))
                    || mentions.iter().any(|n| overlaps(n.range(), at))
            })
    });
    // Numbers said of another extent than the entity's are not its figures ([`OTHER_EXTENT`]),
    // unless the word is part of a name ("Greater Sudbury").
    let other_extent = OTHER_EXTENT.find_iter(claim).any(|m| {
        // The first word alone: "Greater L" ends inside "London".
        let word = m.as_str().find(char::is_whitespace).unwrap_or(m.len());
        let at = (m.start(), m.start() + word);
        !mentions.iter().any(|n| overlaps(n.range(), at))
    });
    let quantities = ranges(claim, quantities(claim));
    // Where each string value the claim states lies: a negation word there is the value ("The
    // ISO 3166-1 alpha-3 code of Norway is NOR"), not a negation.
    let mut value_spans = known.clone();

    let mut assertions: Vec<Assertion> = Vec::new();
    // What each assertion reads, beside it: (phrase, subject mention, value as written, and for
    // a number or a string its predicate). Assertions with one key are readings of one statement.
    type Span = (usize, usize);
    type Key = (Span, Span, Span, Option<usize>);
    let asides: Vec<Span> = ASIDE
        .find_iter(claim)
        .map(|m| (m.start(), m.end()))
        .collect();
    let mut keys: Vec<Key> = Vec::new();
    // The whole a share is of ([`SHARE_OF`]): a mention there, and a phrase or number right
    // after it or its "'s", state no figure ("13% of the UK's population").
    let in_share = |m: &Mention| SHARE_OF.is_match(&claim[..m.hit.start]);
    let after_share = |at: usize| {
        SHARE_OF.is_match(&claim[..at])
            || mentions
                .iter()
                .filter(|m| m.hit.end <= at && in_share(m))
                .any(|m| {
                    let rest = &claim[m.hit.end..at];
                    let rest = POSSESSIVE.find(rest).map_or(rest, |p| &rest[p.end()..]);
                    rest.trim().is_empty()
                })
    };
    // A list item's head ("Germany: capital Berlin, population about 83 million"): the subject
    // of a figure right after its phrase, not the name nearest it (Berlin).
    let head = mentions.first().filter(|m| {
        claim[..m.hit.start].trim_matches(['*', ' ']).is_empty()
            && HEAD_MARK.is_match(&claim[m.hit.end..])
    });
    // Readings of a phrase not taken because a nearer mention is its value.
    let mut superseded: Vec<Key> = Vec::new();
    let mut unparsed_predicate = false;
    for (ps, pe, preds) in &phrases {
        let phrase = (*ps, *pe);
        // A phrase inside an entity name ("Capital Federal") is part of the name.
        if mentions.iter().any(|m| overlaps(m.range(), phrase)) {
            continue;
        }
        // "X is in Y" puts X in Y: through a phrase ending in "in" the mention after it is no
        // subject of one before it ("Kazakhstan is in Central Asia" does not say that Central,
        // Louisiana, is in Kazakhstan).
        let last_word = claim[phrase.0..phrase.1]
            .rsplit(|c: char| !c.is_alphanumeric())
            .next()
            .unwrap_or("");
        let ends_in = last_word.eq_ignore_ascii_case("in");
        let slot = of_slot(claim, phrase.1);
        // A phrase inside an aside takes its subject from the aside or from before it, never
        // from after it ("Compared to Japan, which has about 125 million people, Germany is
        // smaller"); one outside, not from inside one.
        let phrase_aside = asides.iter().find(|&&a| overlaps(phrase, a)).copied();
        let may_be_subject = |m: &Mention| {
            slot.is_none_or(|at| at.contains(&m.hit.start))
                && match phrase_aside {
                    Some(aside) => m.hit.start < aside.1,
                    None => !asides.iter().any(|&a| overlaps(m.range(), a)),
                }
        };
        // Each entity-valued reading of the phrase, computed once: (predicate, value mention,
        // its candidates, subject mention and its candidates). The subject is the mention
        // nearest the phrase that can be one (before the value when both have one type).
        let entity_readings: Vec<_> = preds
            .iter()
            .filter(|&&pi| kg.predicates[pi].kind == ValueKind::Entity)
            .flat_map(|&pi| {
                let p = &kg.predicates[pi];
                let same_types = p.subject_types.iter().any(|t| p.object_types.contains(t));
                let mentions = &mentions;
                mentions.iter().enumerate().filter_map(move |(oi, om)| {
                    let obj = om.fitting(kg, &p.object_types);
                    if obj.is_empty() {
                        return None;
                    }
                    let (sm, sids) = mentions
                        .iter()
                        .enumerate()
                        .filter(|(si, sm)| {
                            *si != oi
                                && may_be_subject(sm)
                                && (!same_types || sm.hit.start < om.hit.start)
                                && !(ends_in && om.hit.end <= phrase.0 && sm.hit.start >= phrase.1)
                        })
                        .filter_map(|(_, sm)| {
                            sm.subjects(kg, &p.subject_types, true).map(|ids| (sm, ids))
                        })
                        .min_by_key(|(sm, _)| distance(sm.range(), phrase))?;
                    let lesser = if p.other_namesakes {
                        sm.lesser_namesakes(kg, &p.subject_types, &sids)
                    } else {
                        Vec::new()
                    };
                    Some((pi, oi, obj, sm, sids, lesser))
                })
            })
            .collect();
        // One phrase states one value of a predicate with one value per subject: of the
        // mentions it could read as that value, through any of its predicates, the nearest
        // ("Geneva is in Switzerland, close to France": France is not Geneva's country; "El Paso
        // is in Texas, across from Ciudad Juárez in Mexico": Texas is El Paso's state, and
        // Mexico is not its country), as with a number or a string.
        let nearest_value = entity_readings
            .iter()
            .filter(|r| kg.predicates[r.0].functional)
            .map(|r| distance(mentions[r.1].range(), phrase))
            .min();
        for &pi in preds {
            let p = &kg.predicates[pi];
            let before = assertions.len();
            match p.kind {
                ValueKind::Entity => {
                    for (_, oi, obj, sm, sids, lesser) in
                        entity_readings.iter().filter(|r| r.0 == pi)
                    {
                        let om = &mentions[*oi];
                        if p.functional
                            && nearest_value.is_some_and(|d| distance(om.range(), phrase) > d)
                        {
                            // Still the sentence's reading of the two mentions' order: it rules
                            // out the reversed one below.
                            superseded.push((phrase, sm.range(), om.range(), None));
                            continue;
                        }
                        let far = lesser.iter().map(|&sid| (sid, true));
                        for (sid, lesser_namesake) in
                            sids.iter().map(|&sid| (sid, false)).chain(far)
                        {
                            keys.push((phrase, sm.range(), om.range(), None));
                            assertions.push(Assertion {
                                subject: sid,
                                predicate: pi,
                                value: Claimed::Entity {
                                    folded: fold_key(om.text),
                                    candidates: obj.clone(),
                                },
                                value_text: om.text.to_string(),
                                lesser_namesake,
                                unread_namesake: None,
                            });
                        }
                    }
                }
                ValueKind::Number if other_extent => {}
                ValueKind::Number | ValueKind::Year if after_share(phrase.0) => {}
                ValueKind::Number | ValueKind::Year => {
                    let complement_before_with = |m: &Mention| {
                        FIGURE_CONNECTIVE
                            .find_iter(claim)
                            .any(|w| m.hit.end <= w.start() && w.end() <= phrase.0)
                            && (PLACE_COMPLEMENT.is_match(&claim[..m.hit.start])
                                || POSSESSIVE.is_match(&claim[m.hit.end..]))
                    };
                    let of_head = head.filter(|h| {
                        ATTRIBUTE_VALUE.is_match(&claim[phrase.1..])
                            && h.subjects(kg, &p.subject_types, false).is_some()
                    });
                    // A phrase right after its figure or part of it ("has about 12 million
                    // people", "17 million km²") follows its subject: "Mumbai has about 12
                    // million people and is India's financial capital" is not India's figure,
                    // unless the phrase names where ("83 million people in Germany").
                    let figure_before = quantities
                        .iter()
                        .find(|q| {
                            q.start < phrase.0
                                && (phrase.0 < q.end || claim[q.end..phrase.0].trim().is_empty())
                        })
                        .filter(|_| {
                            !ends_in
                                && !last_word.eq_ignore_ascii_case("of")
                                && !COUNT_IN_PLACE.is_match(&claim[phrase.1..])
                        })
                        .map(|q| q.start)
                        // "With about 1.4 billion people, India has …": no name before it.
                        .filter(|&at| {
                            mentions.iter().any(|m| {
                                m.hit.end <= at
                                    && may_be_subject(m)
                                    && m.subjects(kg, &p.subject_types, false).is_some()
                            })
                        });
                    // "…, second only to Russia": what the figure is compared with.
                    let compared_with = |m: &Mention| {
                        m.hit.start >= phrase.1 && COMPARED_WITH.is_match(&claim[..m.hit.start])
                    };
                    let Some((sm, sids)) = mentions
                        .iter()
                        .filter(|m| {
                            of_head.is_none_or(|h| h.range() == m.range())
                                && figure_before.is_none_or(|at| m.hit.end <= at)
                                && may_be_subject(m)
                                && !complement_before_with(m)
                                && !in_share(m)
                                && !compared_with(m)
                        })
                        .filter_map(|m| m.subjects(kg, &p.subject_types, false).map(|ids| (m, ids)))
                        .min_by_key(|(m, _)| distance(m.range(), phrase))
                    else {
                        continue;
                    };
                    let quantity = quantities
                        .iter()
                        .filter(|q| {
                            !mentions
                                .iter()
                                .any(|m| overlaps(m.range(), (q.start, q.end)))
                        })
                        .filter(|q| !overlaps(sm.range(), (q.start, q.end)))
                        // "About 60% of Canada's population": a share is no population.
                        .filter(|q| !crate::numbers::PERCENT_AFTER.is_match(&claim[q.end..]))
                        .filter(|q| !after_share(q.start))
                        // In "on 1 August 1774" the year is the four-digit number, not the day;
                        // "in 2023" is a year, not a count.
                        .filter(|q| {
                            let year =
                                q.value.fract() == 0.0 && (1000.0..=2999.0).contains(&q.value);
                            if p.kind == ValueKind::Year {
                                year
                            } else {
                                !(year
                                    && q.unit.is_none()
                                    && YEAR_BEFORE.is_match(&claim[..q.start]))
                            }
                        })
                        .filter_map(|q| convert(q, p.unit.as_deref()).map(|v| (q, v)))
                        .min_by_key(|(q, _)| distance((q.start, q.end), phrase));
                    // A count noun (a one-word phrase) right after the number ("10,000 people")
                    // states the subject's figure only after a verb of having
                    // ([`COUNT_OF_SUBJECT`]); "30,000 people live in" is a phrase of its own.
                    let count_of_something_else = |q: &Quantity| {
                        p.unit.is_none()
                            && !claim[phrase.0..phrase.1].contains(char::is_whitespace)
                            && q.end <= phrase.0
                            && claim[q.end..phrase.0].trim().is_empty()
                            && !COUNT_OF_SUBJECT.is_match(&claim[..q.start])
                    };
                    if let Some((q, value)) = quantity.filter(|(q, _)| !count_of_something_else(q))
                    {
                        // The written precision in the predicate's unit (units convert
                        // linearly or affinely: the difference of two conversions).
                        let shifted = Quantity {
                            value: q.value + q.precision,
                            ..q.clone()
                        };
                        let precision =
                            convert(&shifted, p.unit.as_deref()).map_or(0.0, |v| (v - value).abs());
                        let bound = match q.bound {
                            Bound::Range { to } => Bound::Range {
                                to: convert(
                                    &Quantity {
                                        value: to,
                                        ..q.clone()
                                    },
                                    p.unit.as_deref(),
                                )
                                .unwrap_or(to),
                            },
                            b => b,
                        };
                        // `subjects` gives namesakes of one rank: the first's serves all.
                        let unread_namesake = p
                            .other_namesakes
                            .then(|| {
                                let rank =
                                    sids.first().map_or(0.0, |&s| kg.entities[s as usize].rank);
                                sm.unfitting(kg, &p.subject_types, rank)
                            })
                            .flatten();
                        for sid in sids {
                            keys.push((phrase, sm.range(), (q.start, q.end), Some(pi)));
                            assertions.push(Assertion {
                                subject: sid,
                                predicate: pi,
                                value: Claimed::Number {
                                    value,
                                    bound,
                                    precision,
                                },
                                value_text: claim[q.start..q.end].trim().to_string(),
                                lesser_namesake: false,
                                unread_namesake,
                            });
                        }
                    }
                }
                ValueKind::String => {
                    // Known values of this predicate in the claim; failing that, a code-like
                    // token after the phrase ("The ICAO code of X is HEOW"): a wrong code is not
                    // in the graph's value set but is still a checkable claim.
                    let mut found: Vec<(usize, usize, usize, String)> =
                        values.iter().filter(|v| v.2 == pi).cloned().collect();
                    if found.is_empty() {
                        found.extend(
                            CODE.find_iter(claim)
                                .filter(|m| m.start() >= *pe)
                                .filter(|m| {
                                    let span = (m.start(), m.end());
                                    !mentions.iter().any(|x| overlaps(x.range(), span))
                                        && !known.iter().any(|&k| overlaps(k, span))
                                })
                                .take(1)
                                .map(|m| (m.start(), m.end(), pi, fold_key(m.as_str()))),
                        );
                    }
                    // One value per subject: the one nearest the phrase ("Copper has the symbol
                    // Cu and melts at about 1085 °C": not "at" or the C of °C).
                    if p.functional {
                        let nearest = found.iter().map(|v| distance((v.0, v.1), phrase)).min();
                        found.retain(|v| Some(distance((v.0, v.1), phrase)) == nearest);
                    }
                    for (vs, ve, vp, folded) in &found {
                        if *vp != pi {
                            continue;
                        }
                        let Some((sm, sids)) = mentions
                            .iter()
                            .filter(|m| !overlaps(m.range(), (*vs, *ve)) && may_be_subject(m))
                            .filter_map(|m| {
                                m.subjects(kg, &p.subject_types, false).map(|ids| (m, ids))
                            })
                            .min_by_key(|(m, _)| distance(m.range(), phrase))
                        else {
                            continue;
                        };
                        value_spans.push((*vs, *ve));
                        for sid in sids {
                            keys.push((phrase, sm.range(), (*vs, *ve), Some(pi)));
                            assertions.push(Assertion {
                                subject: sid,
                                predicate: pi,
                                value: Claimed::String(folded.clone()),
                                value_text: claim[*vs..*ve].to_string(),
                                lesser_namesake: false,
                                unread_namesake: None,
                            });
                        }
                    }
                }
            }
            if assertions.len() == before {
                unparsed_predicate = true;
            }
        }
    }
    // Two mentions one phrase reads both ways round ("Iran is in Asia": Iran's continent, or the
    // country of Asia, a city in the Philippines): the reading whose subject comes first is the
    // sentence's, also where a nearer value took its place ("Turkey is in both Europe and
    // Asia": Turkey's continent is Europe, and Asia, the city, is not read as in Turkey).
    // Readings through different phrases both stand ("The city of Aden is Yemen's capital"
    // claims the capital, and the city's country).
    let is_entity = |i: usize| matches!(assertions[i].value, Claimed::Entity { .. });
    let reversed: Vec<usize> = (0..assertions.len())
        .filter(|&i| {
            let (p, s, o, _) = keys[i];
            is_entity(i)
                && o.0 < s.0
                && ((0..assertions.len()).any(|j| is_entity(j) && keys[j] == (p, o, s, None))
                    || superseded.contains(&(p, o, s, None)))
        })
        .collect();
    // "Canberra, not Sydney" / "not Sydney but Canberra" / "not in Europe, but in Africa": a
    // contrastive "not" denies the mention or number written after it (at most two words
    // between), not the sentence.
    let written: Vec<Span> = mentions
        .iter()
        .map(Mention::range)
        .chain(quantities.iter().map(|q| (q.start, q.end)))
        .collect();
    let end_of = |at: usize| written.iter().find(|w| w.0 == at).map(|w| w.1);
    let contrasted = |m: &regex::Match| -> Option<usize> {
        if !m.as_str().eq_ignore_ascii_case("not") {
            return None;
        }
        let mut at = m.end();
        for _ in 0..3 {
            let rest = &claim[at..];
            at += rest.len() - rest.trim_start().len();
            if end_of(at).is_some() {
                break;
            }
            let word = claim[at..]
                .find(|c: char| !c.is_alphabetic())
                .unwrap_or(claim.len() - at);
            if word == 0 {
                return None;
            }
            at += word;
        }
        let end = end_of(at)?;
        let after_comma = claim[..m.start()].trim_end().ends_with(',');
        let then_but = || {
            let t = claim[end..].trim_start_matches([',', ' ']);
            t.get(..4).is_some_and(|w| w.eq_ignore_ascii_case("but "))
        };
        (after_comma || then_but()).then_some(at)
    };
    let mut denied_at: Vec<usize> = Vec::new();
    let negations: Vec<usize> = NEGATION
        .find_iter(claim)
        .filter(|m| {
            !value_spans
                .iter()
                .any(|&v| overlaps(v, (m.start(), m.end())))
        })
        .filter(|m| !NOT_A_NEGATION.is_match(&claim[m.start()..]))
        .filter(|m| match contrasted(m) {
            Some(at) => {
                denied_at.push(at);
                false
            }
            None => true,
        })
        .map(|m| m.start())
        .collect();
    let aside_of = |at: usize| asides.iter().position(|a| a.0 <= at && at < a.1);
    let other_time = OTHER_TIME.find_iter(claim).any(|m| {
        let at = (m.start(), m.end());
        !value_spans.iter().any(|&v| overlaps(v, at))
            && !mentions.iter().any(|n| overlaps(n.range(), at))
    });
    // The same assertion can come from two phrases ("capital city" and "capital"). The readings
    // of one statement: an entity claimed through several predicates of one phrase, the object
    // mention naming entities of different types ("Colombia", the country and a town); or a
    // subject mention naming namesakes the graph cannot rank apart. A number or a string read
    // through another predicate is another statement (a city's name as a string is the same
    // claim as the city, not another reading of it).
    let mut unique: Vec<Assertion> = Vec::new();
    let mut statements: Vec<(Key, Vec<usize>)> = Vec::new();
    for (i, (a, key)) in assertions.into_iter().zip(keys).enumerate() {
        if reversed.contains(&i) {
            continue;
        }
        let at = unique.iter().position(|u| *u == a).unwrap_or_else(|| {
            unique.push(a);
            unique.len() - 1
        });
        match statements.iter_mut().find(|(k, _)| *k == key) {
            Some((_, readings)) if !readings.contains(&at) => readings.push(at),
            Some(_) => {}
            None => statements.push((key, vec![at])),
        }
    }
    let mut readings: Vec<Vec<usize>> = Vec::new();
    let mut denied: Vec<bool> = Vec::new();
    let mut negated: Vec<bool> = Vec::new();
    for (key, r) in statements {
        if !readings.contains(&r) {
            readings.push(r);
            denied.push(denied_at.contains(&key.1 .0) || denied_at.contains(&key.2 .0));
            negated.push(negations.iter().any(|&n| aside_of(n) == aside_of(key.0 .0)));
        }
    }
    Linked {
        unparsed_predicate: unparsed_predicate && unique.is_empty(),
        other_extent,
        assertions: unique,
        statements: readings,
        denied,
        negated,
        other_time,
        mentions: mentions.len(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_with_scales_separators_and_bounds() {
        let q = quantities("Tokyo has about 37 million inhabitants and 1,234 parks.");
        assert_eq!(q.len(), 2);
        assert_eq!(q[0].value, 37e6);
        assert_eq!(q[1].value, 1234.0);
        let q = quantities("more than 3.5 billion people");
        assert_eq!(q[0].value, 3.5e9);
        assert_eq!(q[0].bound, Bound::AtLeast);
        assert!(quantities("the A380 is large").is_empty());
        // A glued k is thousands; a capital K after a space is the kelvin unit.
        assert_eq!(quantities("37k followers")[0].value, 37e3);
        assert_eq!(quantities("37K followers")[0].value, 37e3);
        let q = &quantities("Niobium melts at 2750.15 K.")[0];
        assert_eq!((q.value, q.unit.as_deref()), (2750.15, Some("k")));
        assert_eq!(convert(q, Some("K")), Some(2750.15));
        // After a currency sign "m" is millions; after a bare number, metres.
        let q = &quantities("bought for $3.5m in 2010")[0];
        assert_eq!((q.value, q.unit.as_deref()), (3.5e6, None));
        assert_eq!(quantities("homes worth up to £1m")[0].value, 1e6);
        let q = &quantities("Canada has about 38m people")[0];
        assert_eq!((q.value, q.unit.as_deref()), (38e6, None));
        assert_eq!(quantities("38M inhabitants")[0].value, 38e6);
        assert_eq!(quantities("a 38m tower")[0].unit.as_deref(), Some("m"));
        assert_eq!(quantities("38 m people")[0].unit.as_deref(), Some("m"));
        // The minus sign (U+2212) as well as a hyphen.
        assert_eq!(quantities("boils at −196 °C")[0].value, -196.0);
        assert_eq!(quantities("boils at -196 °C")[0].value, -196.0);
        // A four-digit number after "in", "since" … is a year (not "within").
        assert!(YEAR_BEFORE.is_match("In "));
        assert!(YEAR_BEFORE.is_match("Germany grew since "));
        assert!(!YEAR_BEFORE.is_match("everything within "));
        assert!(!YEAR_BEFORE.is_match("a population of "));
        // A decade is no number.
        assert!(quantities("discovered in the 1770s").is_empty());
        assert!(quantities("In the 1960's, Samsung grew").is_empty());
        assert_eq!(quantities("1770 settlers")[0].value, 1770.0);
        let q = &quantities("the 100m sprint")[0];
        assert_eq!((q.value, q.unit.as_deref()), (100.0, Some("m")));
    }

    #[test]
    fn the_place_of_the_last_digit_written() {
        let precision = |t: &str| quantities(t)[0].precision;
        assert_eq!(precision("about 64 u"), 1.0);
        assert_eq!(precision("1,064 °C"), 1.0);
        assert_eq!(precision("4.25 K"), 0.01);
        assert_eq!(precision("2.1 million people"), 1e5);
        assert_eq!(precision("37k followers"), 1e3);
        assert_eq!(precision("bought for $3.5m"), 1e5);
    }

    #[test]
    fn it_its_and_the_noun_of_a_type_stand_for_the_name_before() {
        let named = |names: &[(&str, &str)], opens: bool| Antecedent {
            names: names
                .iter()
                .map(|(n, t)| (n.to_string(), vec![t.to_string()]))
                .collect(),
            opens,
        };
        let france = named(&[("France", "https://schema.org/Country")], true);
        let gold = named(&[("Gold", "https://factgate.dev/ns#ChemicalElement")], true);
        for (claim, a, read) in [
            ("Its capital is Paris", &france, "France's capital is Paris"),
            (
                "it has about 68 million people.",
                &france,
                "France has about 68 million people.",
            ),
            (
                "It's in Western Europe.",
                &france,
                "France is in Western Europe.",
            ),
            (
                "- The country uses the euro.",
                &france,
                "- France uses the euro.",
            ),
            (
                "The element has atomic number 79.",
                &gold,
                "Gold has atomic number 79.",
            ),
        ] {
            assert_eq!(resolve(claim, a).as_deref(), Some(read), "{claim}");
        }
        let read = |claim: &str, a: &Antecedent| resolve(claim, a);
        // A noun that names none of its types, or another start, is no reference to it.
        assert_eq!(read("The city has 2 million people.", &france), None);
        assert_eq!(read("The capital is Paris.", &france), None);
        assert_eq!(read("Items are cheap there.", &france), None);
        assert_eq!(read("Paris is its capital.", &france), None);
        // "The country" is the claim's first country, wherever it stands; "it" only the name
        // the claim opened with.
        let lagos = named(
            &[
                ("Lagos", "https://schema.org/City"),
                ("Nigeria", "https://schema.org/Country"),
            ],
            true,
        );
        assert_eq!(
            read("The country has over 200 million people.", &lagos).as_deref(),
            Some("Nigeria has over 200 million people.")
        );
        assert_eq!(
            read("It has about 15 million people.", &lagos).as_deref(),
            Some("Lagos has about 15 million people.")
        );
        let within = named(
            &[
                ("Lagos", "https://schema.org/City"),
                ("Nigeria", "https://schema.org/Country"),
            ],
            false,
        );
        assert_eq!(read("It has about 15 million people.", &within), None);
        assert_eq!(
            read("The city has about 15 million people.", &within).as_deref(),
            Some("Lagos has about 15 million people.")
        );
    }

    #[test]
    fn a_range_is_one_interval_with_its_scale_and_unit_written_once() {
        let one = |t: &'static str| {
            let q = ranges(t, quantities(t));
            assert_eq!(q.len(), 1, "{t}: {q:?}");
            (
                q[0].value,
                q[0].bound,
                &t[q[0].start..q[0].end],
                q[0].unit.clone(),
            )
        };
        let range = |to: f64| Bound::Range { to };
        let t = "has between 200 and 220 million people";
        assert_eq!(
            one(t),
            (200e6, range(220e6), "between 200 and 220 million", None)
        );
        assert_eq!(one("has 200-220 million people").1, range(220e6));
        assert_eq!(one("has 200–220 million people").0, 200e6);
        assert_eq!(one("9.5 to 10 million people").0, 9.5e6);
        let t = "melts at 1,500 to 1,550 °C";
        assert_eq!(one(t).3.as_deref(), Some("°c"));
        assert_eq!(one("from −40 to −30 °C").1, range(-30.0));
        // Not ranges: "and" without "between", a larger first end, a bound on one end.
        for t in [
            "has 2 million people and 20 museums",
            "the 2017-18 season",
            "more than 5 to 6 million",
        ] {
            assert_eq!(ranges(t, quantities(t)).len(), 2, "{t}");
        }
        // The hyphen of a range is no minus sign.
        assert_eq!(quantities("2017-18")[1].value, 18.0);
        assert_eq!(quantities("at -196 °C")[0].value, -196.0);
    }

    #[test]
    fn a_name_after_a_capitalised_word_and_of_is_part_of_a_longer_name() {
        let glued = |text: &str, name: &str| {
            let start = text.find(name).expect("name in text");
            glued_to_unknown_name(text, start, start + name.len(), &[])
        };
        assert!(glued("The Statue of Liberty is in New York.", "Liberty"));
        assert!(glued("The Gulf of Mexico borders Texas.", "Mexico"));
        assert!(glued(
            "He studied at the University of the Philippines.",
            "Philippines"
        ));
        // A lower-case word, a sentence's first word or a neighbour word is no name.
        assert!(!glued("Paris is the capital of France.", "France"));
        assert!(!glued(
            "One of Germany's largest cities is Hamburg.",
            "Germany"
        ));
        assert!(!glued(
            "It rains a lot. Much of Ireland is green.",
            "Ireland"
        ));
        assert!(!glued("Both of Spain's neighbours are in Europe.", "Spain"));
        // A name before "of" and another is part of a longer one.
        assert!(glued("The Bank of Japan raised rates.", "Bank"));
        assert!(glued(
            "He studied at the University of Toronto.",
            "University"
        ));
        assert!(!glued("Paris is the capital of France.", "Paris"));
        // Right next to it, a word of another mention glues too; before "of", it does not.
        let text = "Costa Rica is in Central America.";
        let start = text.find("America").expect("America");
        assert!(glued_to_unknown_name(
            text,
            start,
            start + 7,
            &[(0, 10), (17, 24), (25, 32)]
        ));
        let text = "The Bank of England is in London.";
        let start = text.find("England").expect("England");
        assert!(!glued_to_unknown_name(text, start, start + 7, &[(4, 8)]));
    }

    #[test]
    fn the_name_a_phrase_is_of_is_its_subject() {
        let text = "Munich is the capital of Bavaria, in Germany.";
        let end = text.find("capital").expect("phrase") + "capital".len();
        let at = text.find("Bavaria").expect("Bavaria");
        assert_eq!(of_slot(text, end), Some([at, at]));
        let text = "Washington is the capital of the United States.";
        let end = text.find("capital").expect("phrase") + "capital".len();
        let (the, us) = (
            text.find("the United").expect("the"),
            text.find("United").expect("US"),
        );
        assert_eq!(of_slot(text, end), Some([the, us]));
        // No name after "of": the nearest subject is read as before.
        let text = "Sacramento is the capital of the state of California.";
        let end = text.find("capital").expect("phrase") + "capital".len();
        assert_eq!(of_slot(text, end), None);
        assert_eq!(
            of_slot("Paris is the capital and largest city of France.", 19),
            None
        );
    }

    #[test]
    fn unit_conversion() {
        let q = &quantities("iron melts at 1538 °C")[0];
        assert!((convert(q, Some("K")).expect("convertible") - 1811.15).abs() < 1e-9);
        let q = &quantities("an area of 100 square miles")[0];
        assert!((convert(q, Some("km²")).expect("convertible") - 258.9988).abs() < 1e-6);
        let q = &quantities("100 feet")[0];
        assert_eq!(convert(q, Some("K")), None);
    }
}
