//! Lexicon authoring: what `factgate lexicon check` and `factgate lexicon suggest` report about a
//! user's graphs against the predicate lexicon (`fg:Predicate` entries, `knowledge/VOCAB.md`).
//!
//! - **uncovered predicates**: predicates used in the user's graphs (not the default graph's)
//!   that no lexicon entry describes, so no claim can be checked against them. Structural
//!   predicates (`rdf:type`, labels, `owl:sameAs`, provenance, the lexicon's own `fg:` terms) are
//!   not counted.
//! - **templates** without `{s}` and `{o}`, or with other `{...}` placeholders, and **units**
//!   the number parser cannot convert into (a claim then has to give the number without a unit).
//! - **phrase collisions**: one phrase in two predicates whose subject types overlap (a claim
//!   using it is read as both).
//!
//! `suggest` prints a starting entry (Turtle) per uncovered predicate from its `rdfs:label` or
//! local name, the types of its subjects and objects, the datatypes of its values, and whether
//! any subject has more than one value.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use oxigraph::model::{GraphNameRef, NamedNodeRef, Term};

use crate::knowledge::{Knowledge, ValueKind, FG};

const RDF_TYPE: &str = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type";
const RDFS_LABEL: &str = "http://www.w3.org/2000/01/rdf-schema#label";

/// Predicates that describe entities or files rather than state checkable facts.
const STRUCTURAL: &[&str] = &[
    RDF_TYPE,
    RDFS_LABEL,
    "http://www.w3.org/2000/01/rdf-schema#comment",
    "http://www.w3.org/2000/01/rdf-schema#seeAlso",
    "http://www.w3.org/2004/02/skos/core#prefLabel",
    "http://www.w3.org/2004/02/skos/core#altLabel",
    "http://www.w3.org/2004/02/skos/core#definition",
    "https://schema.org/name",
    "https://schema.org/description",
    "http://www.w3.org/2002/07/owl#sameAs",
    // A linking hint (ranks namesakes), never checked as a fact.
    "https://factgate.dev/ns#rank",
];

/// Units [`crate::link::convert`] converts claims into (as written in the lexicon, compared
/// without case and spaces).
const KNOWN_UNITS: &[&str] = &[
    "k", "kelvin", "km²", "km2", "ft", "feet", "m", "metres", "meters",
];

/// One predicate of the user's graphs without a lexicon entry, with what was seen of it.
#[derive(Debug, Clone, PartialEq)]
pub struct Uncovered {
    /// Predicate IRI.
    pub iri: String,
    /// Triples using it in the user's graphs.
    pub triples: usize,
    /// Its `rdfs:label`, if the graphs give one.
    pub label: Option<String>,
    /// Types of its subjects, most frequent first.
    pub subject_types: Vec<String>,
    /// Types of its IRI objects, most frequent first.
    pub object_types: Vec<String>,
    /// The value kind its objects suggest.
    pub kind: ValueKind,
    /// No subject has two values.
    pub functional: bool,
}

/// What `lexicon check` found.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Report {
    /// The user's graphs that were examined (named graph IRIs).
    pub graphs: Vec<String>,
    /// Predicates without an entry.
    pub uncovered: Vec<Uncovered>,
    /// Lexicon entries with a problem (predicate IRI, what is wrong).
    pub problems: Vec<(String, String)>,
    /// Phrases shared by predicates with overlapping subject types (phrase, predicate IRIs).
    pub collisions: Vec<(String, Vec<String>)>,
    /// Advice on entries the user's graphs use (predicate IRI, what to consider).
    pub notes: Vec<(String, String)>,
}

impl Report {
    /// True when nothing needs fixing (collisions are warnings).
    pub fn is_clean(&self) -> bool {
        self.uncovered.is_empty() && self.problems.is_empty()
    }
}

/// Checks the lexicon of `kg` against the graphs loaded from `user_files` (paths as in
/// [`Knowledge::files`]; the other files are the default graph, taken as covered).
pub fn check(kg: &Knowledge, user_files: &[std::path::PathBuf]) -> Report {
    let graphs: Vec<String> = kg
        .files
        .iter()
        .filter(|f| user_files.iter().any(|u| f.path.starts_with(u)))
        .map(|f| f.graph.clone())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let covered: BTreeSet<&str> = kg.predicates.iter().map(|p| p.iri.as_str()).collect();
    let store = kg.store();
    // Predicate -> (triples, subject -> values, value kinds, object IRIs).
    let mut seen: BTreeMap<String, Seen> = BTreeMap::new();
    let mut used: BTreeSet<String> = BTreeSet::new();
    for g in &graphs {
        let graph = NamedNodeRef::new_unchecked(g);
        for quad in store
            .quads_for_pattern(None, None, None, Some(GraphNameRef::NamedNode(graph)))
            .filter_map(Result::ok)
        {
            let p = quad.predicate.as_str();
            if covered.contains(p) {
                used.insert(p.to_string());
                continue;
            }
            if STRUCTURAL.contains(&p) || p.starts_with(FG) {
                continue;
            }
            let e = seen.entry(p.to_string()).or_default();
            e.triples += 1;
            *e.per_subject.entry(quad.subject.to_string()).or_default() += 1;
            e.subjects.insert(quad.subject.to_string());
            match &quad.object {
                Term::NamedNode(n) => {
                    e.kinds.entry("entity").or_insert(0);
                    *e.kinds.get_mut("entity").expect("just inserted") += 1;
                    e.objects.insert(n.as_str().to_string());
                }
                Term::Literal(l) => {
                    let dt = l.datatype().as_str();
                    let kind = if dt.ends_with("#gYear") || dt.ends_with("#date") {
                        "year"
                    } else if dt.ends_with("#integer")
                        || dt.ends_with("#decimal")
                        || dt.ends_with("#double")
                        || dt.ends_with("#float")
                        || dt.ends_with("#int")
                        || dt.ends_with("#long")
                    {
                        "number"
                    } else {
                        "string"
                    };
                    *e.kinds.entry(kind).or_default() += 1;
                }
                _ => {}
            }
        }
    }
    let uncovered = seen
        .into_iter()
        .map(|(iri, s)| {
            let kind = match s.kinds.iter().max_by_key(|(_, n)| **n).map(|(k, _)| *k) {
                Some("entity") => ValueKind::Entity,
                Some("number") => ValueKind::Number,
                Some("year") => ValueKind::Year,
                _ => ValueKind::String,
            };
            Uncovered {
                label: literal(kg, &iri, RDFS_LABEL),
                subject_types: types_of(kg, s.subjects.iter()),
                object_types: types_of(kg, s.objects.iter()),
                functional: s.per_subject.values().all(|&n| n <= 1),
                triples: s.triples,
                kind,
                iri,
            }
        })
        .collect();

    // The entries that concern the user: declared in their graphs, or used by them. The default
    // lexicon's own choices (units like "g/cm³", shared airport phrases) are not reported.
    let fg_predicate = format!("{FG}Predicate");
    let declared_in_user_graph = |iri: &str| {
        store
            .quads_for_pattern(
                Some(NamedNodeRef::new_unchecked(iri).into()),
                Some(NamedNodeRef::new_unchecked(RDF_TYPE)),
                Some(NamedNodeRef::new_unchecked(&fg_predicate).into()),
                None,
            )
            .filter_map(Result::ok)
            .any(|q| {
                graphs
                    .iter()
                    .any(|g| q.graph_name.to_string() == format!("<{g}>"))
            })
    };
    let mine: BTreeSet<&str> = kg
        .predicates
        .iter()
        .map(|p| p.iri.as_str())
        .filter(|iri| used.contains(*iri) || declared_in_user_graph(iri))
        .collect();
    let mut problems = Vec::new();
    let mut notes = Vec::new();
    for p in kg
        .predicates
        .iter()
        .filter(|p| mine.contains(p.iri.as_str()))
    {
        let placeholders: Vec<&str> = p
            .template
            .match_indices('{')
            .filter_map(|(i, _)| p.template[i..].find('}').map(|j| &p.template[i..=i + j]))
            .collect();
        if !p.template.contains("{s}") || !p.template.contains("{o}") {
            problems.push((
                p.iri.clone(),
                format!("fg:template {:?} must contain {{s}} and {{o}}", p.template),
            ));
        } else if let Some(bad) = placeholders.iter().find(|t| **t != "{s}" && **t != "{o}") {
            problems.push((
                p.iri.clone(),
                format!(
                    "fg:template {:?} has the unknown placeholder {bad}; only {{s}} and {{o}}",
                    p.template
                ),
            ));
        }
        if let Some(unit) = &p.unit {
            let u = unit.to_lowercase().replace(' ', "");
            if !KNOWN_UNITS.contains(&u.as_str()) {
                notes.push((
                    p.iri.clone(),
                    format!(
                        "fg:unit {unit:?} is not one factgate converts claims into (K, km², ft, \
                         m): a claim that writes a unit is not checked, one without a unit is"
                    ),
                ));
            }
        }
        if matches!(p.kind, ValueKind::Number) && p.tolerance == 0.0 && p.abs_tolerance == 0.0 {
            notes.push((
                p.iri.clone(),
                "numeric with no fg:tolerance or fg:absTolerance: every claimed value, \"about \
                 130\" too, must equal the graph's exactly (right for counts and codes; for \
                 prices or measures add e.g. fg:tolerance 0.02)"
                    .into(),
            ));
        }
    }

    let mut by_phrase: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (i, p) in kg.predicates.iter().enumerate() {
        for ph in &p.phrases {
            by_phrase.entry(ph.as_str()).or_default().push(i);
        }
    }
    let mut collisions = Vec::new();
    for (phrase, preds) in by_phrase {
        let mut clash = BTreeSet::new();
        for (a, &i) in preds.iter().enumerate() {
            for &j in &preds[a + 1..] {
                let (pi, pj) = (&kg.predicates[i], &kg.predicates[j]);
                let concerns_user =
                    mine.contains(pi.iri.as_str()) || mine.contains(pj.iri.as_str());
                if concerns_user
                    && pi
                        .subject_types
                        .iter()
                        .any(|t| pj.subject_types.contains(t))
                {
                    clash.insert(pi.iri.clone());
                    clash.insert(pj.iri.clone());
                }
            }
        }
        if !clash.is_empty() {
            collisions.push((phrase.to_string(), clash.into_iter().collect()));
        }
    }
    Report {
        graphs,
        uncovered,
        problems,
        collisions,
        notes,
    }
}

#[derive(Default)]
struct Seen {
    triples: usize,
    per_subject: BTreeMap<String, usize>,
    subjects: BTreeSet<String>,
    objects: BTreeSet<String>,
    kinds: BTreeMap<&'static str, usize>,
}

/// The first literal of `iri predicate ?o`.
fn literal(kg: &Knowledge, iri: &str, predicate: &str) -> Option<String> {
    kg.store()
        .quads_for_pattern(
            Some(NamedNodeRef::new_unchecked(iri).into()),
            Some(NamedNodeRef::new_unchecked(predicate)),
            None,
            None,
        )
        .filter_map(Result::ok)
        .find_map(|q| match q.object {
            Term::Literal(l) => Some(l.value().to_string()),
            _ => None,
        })
}

/// `rdf:type`s of the given nodes (N-Triples form for subjects, plain IRIs for objects), most
/// frequent first.
fn types_of<'a>(kg: &Knowledge, nodes: impl Iterator<Item = &'a String>) -> Vec<String> {
    let mut count: BTreeMap<String, usize> = BTreeMap::new();
    for n in nodes {
        let iri = n.trim_start_matches('<').trim_end_matches('>');
        if iri.starts_with("_:") {
            continue;
        }
        for q in kg
            .store()
            .quads_for_pattern(
                Some(NamedNodeRef::new_unchecked(iri).into()),
                Some(NamedNodeRef::new_unchecked(RDF_TYPE)),
                None,
                None,
            )
            .filter_map(Result::ok)
        {
            if let Term::NamedNode(t) = q.object {
                *count.entry(t.into_string()).or_default() += 1;
            }
        }
    }
    let mut v: Vec<(String, usize)> = count.into_iter().collect();
    v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    v.into_iter().map(|(t, _)| t).collect()
}

/// Words of an IRI's local name: `https://ex.org/releaseDate` -> "release date".
fn words(iri: &str) -> String {
    let local = iri.rsplit(['#', '/']).next().unwrap_or(iri);
    let mut out = String::new();
    let mut prev_lower = false;
    for c in local.chars() {
        if c == '_' || c == '-' {
            out.push(' ');
            prev_lower = false;
            continue;
        }
        if c.is_uppercase() && prev_lower {
            out.push(' ');
        }
        prev_lower = c.is_lowercase() || c.is_ascii_digit();
        out.extend(c.to_lowercase());
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A starting lexicon entry (Turtle, full IRIs) for each uncovered predicate.
pub fn suggest(report: &Report) -> String {
    let mut out = String::from(
        "@prefix fg:   <https://factgate.dev/ns#> .\n\
         @prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n\
         @prefix owl:  <http://www.w3.org/2002/07/owl#> .\n",
    );
    for u in &report.uncovered {
        let name = u.label.clone().unwrap_or_else(|| words(&u.iri));
        let kind = match u.kind {
            ValueKind::Entity => "entity",
            ValueKind::Number => "number",
            ValueKind::Year => "year",
            ValueKind::String => "string",
        };
        let _ = writeln!(
            out,
            "\n# {} triple(s) in your graphs; review the phrases and template.",
            u.triples
        );
        let _ = writeln!(
            out,
            "<{}> a fg:Predicate{} ;",
            u.iri,
            if u.functional {
                ", owl:FunctionalProperty"
            } else {
                ""
            }
        );
        let _ = writeln!(out, "    rdfs:label {name:?} ;");
        let _ = writeln!(out, "    fg:phrase {name:?} ;");
        let _ = writeln!(out, "    fg:template \"The {name} of {{s}} is {{o}}.\" ;");
        match u.subject_types.first() {
            Some(t) => {
                let _ = writeln!(out, "    fg:subjectType <{t}> ;");
            }
            None => {
                let _ = writeln!(
                    out,
                    "    # fg:subjectType <...> ;  (its subjects have no rdf:type: add one)"
                );
            }
        }
        if u.kind == ValueKind::Entity {
            match u.object_types.first() {
                Some(t) => {
                    let _ = writeln!(out, "    fg:objectType <{t}> ;");
                }
                None => {
                    let _ = writeln!(
                        out,
                        "    # fg:objectType <...> ;  (its objects have no rdf:type: add one)"
                    );
                }
            }
        }
        if u.kind == ValueKind::Number {
            let _ = writeln!(
                out,
                "    fg:tolerance 0.02 ;   # relative: \"about 130\" vs 129"
            );
        }
        let _ = writeln!(out, "    fg:valueKind \"{kind}\" .");
    }
    out
}

/// The report as text lines (what `lexicon check` prints).
pub fn render(report: &Report) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "checked {} graph(s) of yours: {}",
        report.graphs.len(),
        report.graphs.join(", ")
    );
    for u in &report.uncovered {
        let _ = writeln!(
            out,
            "UNCOVERED <{}>: {} triple(s), no lexicon entry (claims about it cannot be checked; \
             `factgate lexicon suggest` prints a starting entry)",
            u.iri, u.triples
        );
    }
    for (iri, what) in &report.problems {
        let _ = writeln!(out, "PROBLEM <{iri}>: {what}");
    }
    for (phrase, preds) in &report.collisions {
        let _ = writeln!(
            out,
            "WARNING phrase {phrase:?} is in {} predicates with overlapping subject types: {}",
            preds.len(),
            preds
                .iter()
                .map(|p| format!("<{p}>"))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    for (iri, what) in &report.notes {
        let _ = writeln!(out, "NOTE <{iri}>: {what}");
    }
    let _ = writeln!(
        out,
        "{}",
        if report.is_clean() {
            "OK: every predicate of your graphs has a lexicon entry"
        } else {
            "NOT OK"
        }
    );
    out
}

#[cfg(test)]
mod tests {
    use super::words;

    #[test]
    fn local_names_become_words() {
        assert_eq!(words("https://ex.org/releaseDate"), "release date");
        assert_eq!(words("https://ex.org/ns#list_price"), "list price");
        assert_eq!(words("https://ex.org/maxSpeedKmh"), "max speed kmh");
    }
}
