//! Reason stage (symbolic): compares each claimed value with the graph's facts.
//!
//! SUPPORTED when the graph holds the value (same IRI, an `owl:sameAs` alias, or an entity whose
//! labels include the mention; numbers within the predicate's tolerance). CONTRADICTED when the
//! predicate is functional and the graph holds a different value, or a number falls outside the
//! tolerance. Otherwise no decision (open world). The facts used are the evidence.

use oxigraph::model::Term;

use crate::knowledge::{fold_key, EntityId, Fact, Knowledge, ValueKind};
use crate::link::{Assertion, Bound, Claimed, Linked};

/// Symbolic outcome for one assertion or claim.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Status {
    /// The evidence supports the claim.
    Supported,
    /// The evidence contradicts the claim.
    Contradicted,
    /// No decision.
    Unverifiable,
}

/// How strong a decided match is (used by calibration).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MatchKind {
    /// Identical value (IRI, label, string, exact number).
    Exact,
    /// A number within tolerance but not equal.
    WithinTolerance,
    /// Not decided.
    None,
}

/// The result for one assertion.
#[derive(Debug, Clone)]
pub struct Judgement {
    /// Decision.
    pub status: Status,
    /// Strength.
    pub strength: MatchKind,
    /// The facts the decision rests on.
    pub evidence: Vec<Fact>,
    /// One-line explanation.
    pub explanation: String,
    /// A contradiction the graph cannot stand behind: a number outside the tolerance but within
    /// the predicate's contradiction factor. Its signals are a contradiction's (the verifier
    /// reads the facts, the confidence stays below 0.5), the claim's status is UNVERIFIABLE.
    pub inconclusive: bool,
}

/// How far rounding as written may take a claimed number from the graph's value, at most: a
/// share of the graph's value ("about 1 billion" does not round India's 1.4 billion).
const ROUNDING_SHARE: f64 = 0.1;

/// The predicate's tolerance around the graph's value, and for a number without a bound at least
/// half the place of the last digit the claim wrote (up to [`ROUNDING_SHARE`] of the value):
/// "Copper has an atomic mass of about 64." and "Helium boils at about 4 K." round the graph's
/// 63.546 and 4.222 as written, and are no contradiction; "more than 64" is a bound, not a
/// rounding.
fn tolerance(kg: &Knowledge, a: &Assertion, graph_value: f64) -> f64 {
    let p = &kg.predicates[a.predicate];
    let written = match a.value {
        Claimed::Number {
            precision,
            bound: Bound::Approx,
            ..
        } => (precision / 2.0).min(ROUNDING_SHARE * graph_value.abs()),
        _ => 0.0,
    };
    (p.tolerance * graph_value.abs())
        .max(p.abs_tolerance)
        .max(written)
}

fn number_of(t: &Term) -> Option<f64> {
    match t {
        Term::Literal(l) => l.value().trim().parse().ok(),
        _ => None,
    }
}

/// Judges a linked claim, one judgement per statement ([`Linked::statements`]): of a
/// statement's readings, the one the graph bears out, else one it contradicts, else the first.
/// ("Pelican Beach Airstrip is in Mexico" is contradicted by the airstrip's country although the
/// graph has no town it serves: had it served the town of Mexico, its country would say so.) A
/// negation is applied after that choice: "Cimitarra Airport is not in Colombia" denies the
/// reading that holds. `facts` holds each assertion's facts; each judgement comes with the index
/// of the assertion read, whose facts are evidence for the claim, or `None` where they are not:
/// the present value of what changes over time, for a claim about another time.
pub fn judge_claim(
    kg: &Knowledge,
    linked: &Linked,
    facts: &[Vec<Fact>],
) -> Vec<(Option<usize>, Judgement)> {
    linked
        .statements
        .iter()
        .enumerate()
        .filter_map(|(k, readings)| {
            let (lesser, meant): (Vec<usize>, Vec<usize>) = readings
                .iter()
                .partition(|&&i| linked.assertions[i].lesser_namesake);
            let plain: Vec<(usize, Judgement)> = meant
                .iter()
                .map(|&i| (i, judge_plain(kg, &linked.assertions[i], &facts[i])))
                .collect();
            let rank = |s: Status| match s {
                Status::Supported => 0,
                Status::Contradicted => 1,
                Status::Unverifiable => 2,
            };
            let (i, mut j) = plain.into_iter().min_by_key(|(_, j)| rank(j.status))?;
            // Another bearer of the name may be meant, and the facts read are not about it:
            // they neither contradict the claim nor are evidence for it (no premise for the
            // verifier). "London is in Ontario" is not London, England's, but true of London,
            // Ontario, too small to be the London meant; "Quebec has about 8.5 million people"
            // is not Quebec City's 531,902, and the province, of which the graph has no
            // population, may be meant.
            let mut evidence_read = true;
            if j.status == Status::Contradicted && !j.inconclusive {
                let named = |e: EntityId| {
                    let e = &kg.entities[e as usize];
                    format!("{} ({})", e.label, e.iri)
                };
                let lesser = lesser.iter().find(|&&l| {
                    judge_plain(kg, &linked.assertions[l], &facts[l]).status == Status::Supported
                });
                let why = match (lesser, linked.assertions[i].unread_namesake) {
                    (Some(&l), _) => Some(format!(
                        "it holds of a lesser namesake, {}",
                        named(linked.assertions[l].subject)
                    )),
                    (None, Some(other)) => Some(format!(
                        "the name is also that of {}, of which the graph has no {}",
                        named(other),
                        kg.predicates[linked.assertions[i].predicate].label
                    )),
                    (None, None) => None,
                };
                if let Some(why) = why {
                    evidence_read = false;
                    j = Judgement {
                        status: Status::Unverifiable,
                        strength: MatchKind::None,
                        inconclusive: false,
                        evidence: Vec::new(),
                        explanation: format!("{}; {why}", j.explanation),
                    };
                }
            }
            let a = &linked.assertions[i];
            let present_only = linked.other_time && kg.predicates[a.predicate].changes_over_time;
            let negated = linked.negated.get(k).copied().unwrap_or(false)
                || linked.denied.get(k).copied().unwrap_or(false);
            Some((
                (!present_only && evidence_read).then_some(i),
                finish(kg, a, &facts[i], j, present_only, negated),
            ))
        })
        .collect()
}

/// Applies the claim's time and negation to a reading's judgement and names what the graph
/// lacks. `present_only`: the facts are today's value of what changes over time, and the claim
/// speaks of another time.
fn finish(
    kg: &Knowledge,
    a: &Assertion,
    facts: &[Fact],
    mut j: Judgement,
    present_only: bool,
    negated: bool,
) -> Judgement {
    let p = &kg.predicates[a.predicate];
    let subject = &kg.entities[a.subject as usize].label;
    if present_only && j.status != Status::Unverifiable {
        // "Rio de Janeiro was the capital of Brazil": the graph's capital is today's, which
        // neither contradicts that nor supports "Tokyo was the capital of Japan until 1868".
        return Judgement {
            status: Status::Unverifiable,
            strength: MatchKind::None,
            explanation: format!(
                "the graph states the present {} of {}; the claim speaks of another time",
                p.label, subject
            ),
            inconclusive: false,
            evidence: Vec::new(),
        };
    }
    if negated && j.inconclusive {
        // "Tokyo does not have 14 million people" against 8.3 million: the figure that cannot
        // contradict the claim cannot support its negation either.
        return Judgement {
            status: Status::Unverifiable,
            strength: MatchKind::None,
            inconclusive: false,
            evidence: Vec::new(),
            explanation: format!("negated claim; {}", j.explanation),
        };
    }
    if negated && j.status != Status::Unverifiable {
        // "Kenya is not in Europe": a contradicted positive reading supports the negation only
        // for functional predicates or numbers (where "different value" is decisive).
        j.status = match j.status {
            Status::Supported => Status::Contradicted,
            Status::Contradicted => Status::Supported,
            Status::Unverifiable => Status::Unverifiable,
        };
        j.explanation = format!("negated claim; {}", j.explanation);
    }
    if j.status == Status::Unverifiable && facts.is_empty() {
        j.explanation = format!("the graph has no {} for {}", p.label, subject);
    }
    j
}

fn judge_plain(kg: &Knowledge, a: &Assertion, facts: &[Fact]) -> Judgement {
    let p = &kg.predicates[a.predicate];
    let subject = &kg.entities[a.subject as usize].label;
    let undecided = |why: String| Judgement {
        status: Status::Unverifiable,
        strength: MatchKind::None,
        inconclusive: false,
        evidence: Vec::new(),
        explanation: why,
    };
    if facts.is_empty() {
        return undecided(String::new());
    }
    match (&a.value, p.kind) {
        (Claimed::Entity { folded, candidates }, _) => {
            let same = |f: &Fact| match &f.object {
                Term::NamedNode(n) => {
                    candidates
                        .iter()
                        .any(|&c| kg.entities[c as usize].iri == n.as_str())
                        || kg
                            .entity(n.as_str())
                            .is_some_and(|e| e.folded_labels.iter().any(|l| l == folded))
                }
                Term::Literal(l) => fold_key(l.value()) == *folded,
                _ => false,
            };
            decide_set(kg, a, facts, same, subject)
        }
        (Claimed::String(v), _) => {
            let same = |f: &Fact| match &f.object {
                Term::Literal(l) => fold_key(l.value()) == *v,
                Term::NamedNode(n) => kg
                    .entity(n.as_str())
                    .is_some_and(|e| e.folded_labels.iter().any(|l| l == v)),
                _ => false,
            };
            decide_set(kg, a, facts, same, subject)
        }
        (Claimed::Number { value, bound, .. }, _) => {
            let numeric: Vec<(&Fact, f64)> = facts
                .iter()
                .filter_map(|f| number_of(&f.object).map(|n| (f, n)))
                .collect();
            if numeric.is_empty() {
                return undecided(format!(
                    "the graph's {} of {} is not a number",
                    p.label, subject
                ));
            }
            let ok = |g: f64| {
                let tol = tolerance(kg, a, g);
                match bound {
                    Bound::Approx => (value - g).abs() <= tol,
                    Bound::AtLeast => g >= value - tol,
                    Bound::AtMost => g <= value + tol,
                    Bound::Range { to } => g >= value - tol && g <= to + tol,
                }
            };
            if let Some((f, g)) = numeric.iter().find(|(_, g)| ok(*g)) {
                let exact = (*g - value).abs() <= f64::EPSILON * g.abs().max(1.0);
                return Judgement {
                    status: Status::Supported,
                    strength: if exact {
                        MatchKind::Exact
                    } else {
                        MatchKind::WithinTolerance
                    },
                    inconclusive: false,
                    evidence: vec![(*f).clone()],
                    explanation: format!(
                        "{} of {}: graph {} vs claimed {} (tolerance ±{})",
                        p.label,
                        subject,
                        fmt_num(*g),
                        a.value_text,
                        tol_text(kg, a, *g)
                    ),
                };
            }
            // Off by less than the predicate's contradiction factor: the graph's figure is one
            // year's and one boundary's, and cannot stand behind a contradiction.
            let types = &kg.entities[a.subject as usize].types;
            let factor = p
                .contradiction_factor
                .filter(|_| {
                    p.contradiction_factor_types.is_empty()
                        || p.contradiction_factor_types
                            .iter()
                            .any(|t| types.contains(t))
                })
                .unwrap_or(1.0);
            let near = |g: f64| {
                factor > 1.0
                    && g > 0.0
                    && *value > 0.0
                    && match bound {
                        Bound::Approx => g * factor >= *value && g / factor <= *value,
                        Bound::AtLeast => g * factor >= *value,
                        Bound::AtMost => g / factor <= *value,
                        Bound::Range { to } => g * factor >= *value && g / factor <= *to,
                    }
            };
            if p.functional || p.kind == ValueKind::Year || numeric.len() == 1 {
                let (f, g) = numeric[0];
                let inconclusive = numeric.iter().all(|(_, g)| near(*g));
                let (within, why) = if inconclusive {
                    (
                        format!(" but within a factor of {}", fmt_num(factor)),
                        ": a figure of another year or boundary, not a contradiction",
                    )
                } else {
                    (String::new(), "")
                };
                return Judgement {
                    status: Status::Contradicted,
                    strength: MatchKind::Exact,
                    inconclusive,
                    evidence: numeric.iter().map(|(f, _)| (*f).clone()).collect(),
                    explanation: format!(
                        "{} of {}: graph {} vs claimed {}, outside tolerance ±{}{within} (fact in \
                         {}){why}",
                        p.label,
                        subject,
                        fmt_num(g),
                        a.value_text,
                        tol_text(kg, a, g),
                        f.graph
                    ),
                };
            }
            undecided(format!(
                "no {} of {} matches {}",
                p.label, subject, a.value_text
            ))
        }
    }
}

fn decide_set(
    kg: &Knowledge,
    a: &Assertion,
    facts: &[Fact],
    same: impl Fn(&Fact) -> bool,
    subject: &str,
) -> Judgement {
    let p = &kg.predicates[a.predicate];
    if let Some(f) = facts.iter().find(|f| same(f)) {
        return Judgement {
            status: Status::Supported,
            strength: MatchKind::Exact,
            inconclusive: false,
            evidence: vec![f.clone()],
            explanation: format!(
                "the graph states the {} of {} is {}",
                p.label, subject, a.value_text
            ),
        };
    }
    if p.functional {
        let actual: Vec<String> = facts.iter().map(|f| kg.label_of(&f.object)).collect();
        // "Delhi" for the graph's "New Delhi": a name written shorter or longer is not a
        // different value. No decision; the verifier still reads the graph's fact. Not where
        // the graph's value belongs to a class of distinct names: "Sudan" for "South Sudan"
        // is another country.
        let distinct = |f: &Fact| match &f.object {
            Term::NamedNode(n) => kg.entity(n.as_str()).is_some_and(|e| e.distinct_names),
            _ => false,
        };
        if let Some(name) = facts
            .iter()
            .zip(&actual)
            .filter(|(f, _)| !distinct(f))
            .map(|(_, l)| l)
            .find(|l| names_contain(l, &a.value_text))
        {
            return Judgement {
                status: Status::Unverifiable,
                strength: MatchKind::None,
                inconclusive: false,
                evidence: Vec::new(),
                explanation: format!(
                    "{} of {} is {} in the graph; {:?} names part of it (not a contradiction)",
                    p.label, subject, name, a.value_text
                ),
            };
        }
        return Judgement {
            status: Status::Contradicted,
            strength: MatchKind::Exact,
            inconclusive: false,
            evidence: facts.to_vec(),
            explanation: format!(
                "{} of {} is {} in the graph, not {}",
                p.label,
                subject,
                actual.join(", "),
                a.value_text
            ),
        };
    }
    Judgement {
        status: Status::Unverifiable,
        strength: MatchKind::None,
        inconclusive: false,
        evidence: Vec::new(),
        explanation: format!(
            "{} is not among the graph's {} values for {} (open world: not a contradiction)",
            a.value_text, p.label, subject
        ),
    }
}

/// One name's words appear, whole and in order, inside the other's ("Delhi" / "New Delhi",
/// "Kenya" / "Republic of Kenya"), compared folded (case and accents).
pub fn names_contain(a: &str, b: &str) -> bool {
    let (a, b) = (fold_key(a), fold_key(b));
    let words = |s: &str| {
        format!(
            " {} ",
            s.split(|c: char| !c.is_alphanumeric())
                .filter(|w| !w.is_empty())
                .collect::<Vec<_>>()
                .join(" ")
        )
    };
    let (a, b) = (words(&a), words(&b));
    a.trim() != b.trim()
        && !a.trim().is_empty()
        && !b.trim().is_empty()
        && (a.contains(&b) || b.contains(&a))
}

fn fmt_num(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        format!("{v}")
    }
}

fn tol_text(kg: &Knowledge, a: &Assertion, g: f64) -> String {
    fmt_num((tolerance(kg, a, g) * 1000.0).round() / 1000.0)
}

/// Combines the judgements of one claim: any contradiction wins, then support; a claim is
/// SUPPORTED only when every assertion in it is.
pub fn combine(judgements: &[Judgement]) -> (Status, MatchKind) {
    if let Some(j) = judgements.iter().find(|j| j.status == Status::Contradicted) {
        return (Status::Contradicted, j.strength);
    }
    if !judgements.is_empty() && judgements.iter().all(|j| j.status == Status::Supported) {
        let strength = if judgements.iter().all(|j| j.strength == MatchKind::Exact) {
            MatchKind::Exact
        } else {
            MatchKind::WithinTolerance
        };
        return (Status::Supported, strength);
    }
    (Status::Unverifiable, MatchKind::None)
}

#[cfg(test)]
mod tests {
    use super::names_contain;

    #[test]
    fn a_name_written_shorter_is_contained_not_different() {
        assert!(names_contain("New Delhi", "Delhi"));
        assert!(names_contain("delhi", "NEW DELHI"));
        assert!(names_contain("Republic of Kenya", "Kenya"));
        assert!(!names_contain("Newcastle", "New"), "whole words only");
        assert!(!names_contain("Nairobi", "Mombasa"));
        assert!(
            !names_contain("Paris", "Paris"),
            "equal names are a match, not containment"
        );
    }
}
