//! The knowledge graph: loading RDF files into Oxigraph, the entity label index, the predicate
//! lexicon (kept in the graph itself) and the parameterized SPARQL query the retrieve stage runs.
//!
//! Vocabulary: `knowledge/VOCAB.md`. Everything request-independent is computed once at load:
//! the label matcher, the lexicon phrase matcher and the index of string values.

use std::collections::HashMap;
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use aho_corasick::{AhoCorasick, MatchKind};
use oxigraph::io::{RdfFormat, RdfParser};
use oxigraph::model::{GraphName, NamedNode, NamedNodeRef, Term, Variable};
use oxigraph::sparql::{PreparedSparqlQuery, QueryResults, SparqlEvaluator};
use oxigraph::store::Store;
use sha2::{Digest, Sha256};

/// Quads per batch handed from the parser thread to the loader.
const PARSE_BATCH: usize = 16 * 1024;

/// factgate's own vocabulary namespace.
pub const FG: &str = "https://factgate.dev/ns#";
/// Prefix of the named graph IRIs of loaded files.
pub const GRAPH_PREFIX: &str = "https://factgate.dev/graph/";

/// `rdf:type`.
pub const RDF_TYPE: &str = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type";
const RDFS_LABEL: &str = "http://www.w3.org/2000/01/rdf-schema#label";
const SKOS_PREF: &str = "http://www.w3.org/2004/02/skos/core#prefLabel";
const SKOS_ALT: &str = "http://www.w3.org/2004/02/skos/core#altLabel";
const SCHEMA_NAME: &str = "https://schema.org/name";
const OWL_FUNCTIONAL: &str = "http://www.w3.org/2002/07/owl#FunctionalProperty";

/// The label predicates entities are linked by, in the order the index reads them (the display
/// label is the first `rdfs:label`, else the first of the others).
pub const LABEL_PREDICATES: [&str; 4] = [RDFS_LABEL, SKOS_PREF, SCHEMA_NAME, SKOS_ALT];

/// The retrieve stage's facts query; `?s` and `?p` are bound per call (never spliced text).
pub const FACTS_QUERY: &str = "SELECT ?s ?p ?o ?g WHERE { GRAPH ?g { ?s ?p ?o } }";

/// The retrieve stage's alias query: `owl:sameAs` in either direction; `?s` is bound per call.
pub const ALIAS_QUERY: &str = "SELECT ?s ?x WHERE {
               { ?s <http://www.w3.org/2002/07/owl#sameAs> ?x }
               UNION { ?x <http://www.w3.org/2002/07/owl#sameAs> ?s }
             }";

/// Errors while loading or querying the graph.
#[derive(Debug, thiserror::Error)]
pub enum GraphError {
    /// A knowledge directory or file could not be read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// A file is not valid RDF in the format its extension says.
    #[error("cannot load {path}: {message}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// Parser message (with position).
        message: String,
    },
    /// The lexicon is missing or inconsistent.
    #[error("invalid predicate lexicon: {0}")]
    Lexicon(String),
    /// The store failed while answering a query.
    #[error("graph query failed: {0}")]
    Query(String),
    /// A remote SPARQL endpoint failed, timed out, or its circuit breaker is open.
    #[error("SPARQL endpoint {endpoint}: {message}")]
    Endpoint {
        /// The endpoint URL (`graph.endpoint`).
        endpoint: String,
        /// What went wrong.
        message: String,
    },
}

/// Fold text for matching: lower-case, accents removed, typographic apostrophes unified, and the
/// period after an initial dropped before a space or at the end ("John F. Kennedy" is "john f
/// kennedy", as the graph may spell it; "G.T. Seaborg" is "g.t seaborg"; "U.S." is "u.s").
/// `map[i]` is the byte offset in the original text of the char that produced folded byte `i`.
pub struct Folded {
    /// The folded text.
    pub text: String,
    /// Folded byte -> original byte (start of the originating char); one extra entry at the end.
    pub map: Vec<usize>,
}

impl Folded {
    /// Where in `original` (the text folded) the folded text up to byte `end` ends: after the
    /// char that produced its last byte, so a period dropped after it is not part of a match
    /// ("the symbol K." matches "K").
    pub fn original_end(&self, original: &str, end: usize) -> usize {
        match end.checked_sub(1) {
            Some(last) => {
                let start = self.map[last];
                start + original[start..].chars().next().map_or(0, char::len_utf8)
            }
            None => self.map[0],
        }
    }
}

/// Folds `text` (see [`Folded`]).
pub fn fold(text: &str) -> Folded {
    let mut out = String::with_capacity(text.len());
    let mut map = Vec::with_capacity(text.len() + 1);
    for (i, c) in text.char_indices() {
        // '.' is one byte: `i + 1` is the next char's start.
        if c == '.' && text[i + 1..].chars().next().is_none_or(char::is_whitespace) {
            let mut before = out.chars().rev();
            let initial = before.next().is_some_and(char::is_alphabetic)
                && !before.next().is_some_and(char::is_alphanumeric);
            if initial {
                continue;
            }
        }
        let c = match c {
            '\u{2019}' | '\u{2018}' | '`' | '\u{02BC}' => '\'',
            '\u{2010}'..='\u{2013}' => '-',
            _ => c,
        };
        if c.is_ascii() {
            out.push(c.to_ascii_lowercase());
            map.push(i);
            continue;
        }
        unicode_normalization::char::decompose_canonical(c, |d| {
            if unicode_normalization::char::is_combining_mark(d) {
                return;
            }
            for l in d.to_lowercase() {
                let before = out.len();
                out.push(l);
                map.extend(std::iter::repeat_n(i, out.len() - before));
            }
        });
    }
    map.push(text.len());
    Folded { text: out, map }
}

/// Folds a label or phrase (no offsets needed); also collapses inner whitespace.
pub fn fold_key(text: &str) -> String {
    fold(text.trim())
        .text
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// Removes whole words (each given with its trailing space) from folded text, keeping the map.
pub fn drop_words(f: Folded, words: &[&str]) -> Folded {
    let mut text = String::with_capacity(f.text.len());
    let mut map = Vec::with_capacity(f.map.len());
    let mut i = 0;
    'outer: while i < f.text.len() {
        let boundary = !f.text[..i]
            .chars()
            .next_back()
            .is_some_and(char::is_alphanumeric);
        if f.text[i..].starts_with("n't ") && !boundary {
            // "isn't in" -> "is in".
            i += 4;
            continue;
        }
        if boundary {
            for w in words {
                if f.text[i..].starts_with(w) {
                    i += w.len();
                    continue 'outer;
                }
            }
        }
        let c = f.text[i..]
            .chars()
            .next()
            .expect("i is a char boundary below len; this is a bug");
        text.push(c);
        map.extend_from_slice(&f.map[i..i + c.len_utf8()]);
        i += c.len_utf8();
    }
    map.push(*f.map.last().unwrap_or(&0));
    Folded { text, map }
}

/// True when `[start, end)` of `folded` is delimited by non-alphanumeric chars.
pub fn at_word_boundaries(folded: &str, start: usize, end: usize) -> bool {
    let before = folded[..start].chars().next_back();
    let after = folded[end..].chars().next();
    !before.is_some_and(char::is_alphanumeric) && !after.is_some_and(char::is_alphanumeric)
}

/// Index of an entity in [`Knowledge::entities`].
pub type EntityId = u32;

/// What linking needs to know about an entity.
#[derive(Debug, Clone)]
pub struct Entity {
    /// The entity IRI.
    pub iri: String,
    /// Display label (first `rdfs:label`, else any label).
    pub label: String,
    /// Folded forms of all its labels (for identity through labels).
    pub folded_labels: Vec<String>,
    /// `rdf:type` IRIs.
    pub types: Vec<String>,
    /// Ranking among same-label entities (`fg:population`; 0 when absent).
    pub rank: f64,
    /// Member of a class marked `fg:lowercaseMentions true` (a common noun like "iron").
    pub common_noun: bool,
    /// Member of a class marked `fg:distinctNames true`: another member's name inside its name
    /// names that other member ("Sudan" in "South Sudan"), not this one written shorter.
    pub distinct_names: bool,
}

/// Kind of value a predicate takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueKind {
    /// Another entity (IRI).
    Entity,
    /// A number (with unit and tolerance).
    Number,
    /// A year.
    Year,
    /// A string literal from a closed-ish set (codes, names).
    String,
}

/// One predicate of the lexicon.
#[derive(Debug, Clone)]
pub struct Predicate {
    /// Predicate IRI.
    pub iri: String,
    /// Short name (`rdfs:label`).
    pub label: String,
    /// Phrases that express it (folded).
    pub phrases: Vec<String>,
    /// Verbalization template with `{s}` and `{o}`.
    pub template: String,
    /// At most one value per subject.
    pub functional: bool,
    /// The graph states the present value of something that changes (a capital, a
    /// population; `fg:changesOverTime true`): a claim about another time ("was the capital",
    /// "will be") is not contradicted by it.
    pub changes_over_time: bool,
    /// A claim of it may be about another bearer of the subject's name than the one the graph
    /// reads it of (`fg:otherNamesakes true`): where one far smaller bears out a place as value,
    /// or one the predicate does not fit may have a figure the subject's contradicts, the claim
    /// is not contradicted ([`crate::link::Assertion::lesser_namesake`],
    /// [`crate::link::Assertion::unread_namesake`]).
    pub other_namesakes: bool,
    /// Allowed subject types.
    pub subject_types: Vec<String>,
    /// Allowed object types (entity-valued predicates).
    pub object_types: Vec<String>,
    /// Kind of value.
    pub kind: ValueKind,
    /// Unit of numeric values, as written in the lexicon.
    pub unit: Option<String>,
    /// Relative tolerance for numbers.
    pub tolerance: f64,
    /// Absolute tolerance for numbers.
    pub abs_tolerance: f64,
    /// How far off a number must be to contradict (`fg:contradictionFactor`, > 1): a claimed
    /// value outside the tolerance but within this factor of the graph's (between g / F and
    /// g × F) is not contradicted (UNVERIFIABLE), because the graph's figure is one year's and
    /// one boundary's ("Tokyo has about 14 million people" against the 23 wards' 8.3 million).
    pub contradiction_factor: Option<f64>,
    /// The subject types the factor holds for (`fg:contradictionFactorType`; empty: all).
    pub contradiction_factor_types: Vec<String>,
}

impl Predicate {
    /// The fact as a sentence.
    pub fn verbalize(&self, subject: &str, object: &str) -> String {
        self.template.replace("{s}", subject).replace("{o}", object)
    }
}

/// Per-file load report.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct LoadedFile {
    /// File path.
    pub path: PathBuf,
    /// Named graph IRI it went into.
    pub graph: String,
    /// Triples loaded.
    pub triples: usize,
}

/// The loaded knowledge graph with its indexes.
pub struct Knowledge {
    store: Store,
    /// Entities with labels, by id.
    pub entities: Vec<Entity>,
    entity_by_iri: HashMap<String, EntityId>,
    label_keys: Vec<Vec<EntityId>>,
    /// The label automaton in shards of at most [`LABEL_SHARD`] labels, each with the index of
    /// its first label in `label_keys`.
    label_matchers: Vec<(AhoCorasick, usize)>,
    /// The predicate lexicon.
    pub predicates: Vec<Predicate>,
    phrase_keys: Vec<Vec<usize>>,
    phrase_matcher: AhoCorasick,
    /// (predicate, folded value, exact written form for code-like values that must match case).
    value_keys: Vec<(usize, String, Option<String>)>,
    value_matcher: AhoCorasick,
    facts_query: PreparedSparqlQuery,
    alias_query: PreparedSparqlQuery,
    /// SHA-256 over the loaded files (names and bytes).
    pub snapshot: String,
    /// What was loaded.
    pub files: Vec<LoadedFile>,
    /// Total quads in the store.
    pub triples: usize,
    /// Wall time of the load including index building.
    pub load_time: Duration,
    /// True when an on-disk store was opened without parsing the files again
    /// (`Knowledge::open_persistent`).
    pub reopened: bool,
}

/// One kind of triple the indexes read (see [`Knowledge::index_patterns`]): a SPARQL group
/// pattern binding `?s` and `?o` (and `?p` unless `predicate` fixes it).
#[derive(Debug, Clone, PartialEq)]
pub struct IndexPattern {
    /// What it is, for progress lines.
    pub what: &'static str,
    /// The predicate of every triple, when fixed (`?p` is then not in `body`).
    pub predicate: Option<String>,
    /// The pattern.
    pub body: String,
    /// Duplicate (s, p, o) rows are possible (a join): select distinct.
    pub distinct: bool,
}

impl IndexPattern {
    /// All `?s <predicate> ?o` triples.
    pub fn predicate(what: &'static str, predicate: &str) -> Self {
        Self {
            what,
            predicate: Some(predicate.to_string()),
            body: format!("?s <{predicate}> ?o"),
            distinct: false,
        }
    }
}

/// A fact returned by the retrieve stage.
#[derive(Debug, Clone, PartialEq)]
pub struct Fact {
    /// Subject IRI of the triple (an `owl:sameAs` alias of `about`, or `about` itself).
    pub subject: String,
    /// The entity the fact was asked for.
    pub about: String,
    /// Predicate IRI.
    pub predicate: String,
    /// Object term.
    pub object: Term,
    /// Named graph IRI.
    pub graph: String,
}

/// A found entity mention (byte offsets into the searched text).
#[derive(Debug, Clone)]
pub struct LabelHit {
    /// Start byte.
    pub start: usize,
    /// End byte.
    pub end: usize,
    /// Candidates, best ranked first.
    pub candidates: Vec<EntityId>,
}

/// What an on-disk store was loaded from (`<store_path>.manifest.json`).
#[cfg(feature = "rocksdb")]
#[derive(Debug, PartialEq, serde::Serialize, serde::Deserialize)]
struct Manifest {
    /// (canonical path, size, modification time in ns since the epoch) per file.
    sources: Vec<(PathBuf, u64, u128)>,
    /// Quads in the store after the load.
    quads: usize,
    /// The snapshot hash of the files as loaded.
    snapshot: String,
    /// What was loaded.
    files: Vec<LoadedFile>,
}

#[cfg(feature = "rocksdb")]
fn manifest_path(store_dir: &Path) -> PathBuf {
    let mut name = store_dir.as_os_str().to_os_string();
    name.push(".manifest.json");
    PathBuf::from(name)
}

/// Quads in `store`.
pub(crate) fn quad_count(store: &Store) -> Result<usize, GraphError> {
    store.len().map_err(|e| GraphError::Query(e.to_string()))
}

/// (canonical path, size, mtime) of every RDF file of `dirs`, without reading them.
#[cfg(feature = "rocksdb")]
fn source_stamps(dirs: &[PathBuf]) -> Result<Vec<(PathBuf, u64, u128)>, GraphError> {
    rdf_files(dirs)?
        .into_iter()
        .map(|p| {
            let err = |source| GraphError::Io {
                path: p.clone(),
                source,
            };
            let meta = std::fs::metadata(&p).map_err(err)?;
            let mtime = meta
                .modified()
                .map_err(err)?
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos());
            Ok((std::fs::canonicalize(&p).unwrap_or(p), meta.len(), mtime))
        })
        .collect()
}

/// Recognised RDF file formats by extension (after stripping `.gz`).
fn format_for(path: &Path) -> Option<(RdfFormat, bool, String)> {
    let name = path.file_name()?.to_str()?;
    let (name, gz) = match name.strip_suffix(".gz") {
        Some(n) => (n, true),
        None => (name, false),
    };
    let (stem, ext) = name.rsplit_once('.')?;
    let format = match ext {
        "ttl" => RdfFormat::Turtle,
        "nt" => RdfFormat::NTriples,
        "nq" => RdfFormat::NQuads,
        "rdf" | "owl" | "xml" => RdfFormat::RdfXml,
        "trig" => RdfFormat::TriG,
        _ => return None,
    };
    Some((format, gz, stem.to_string()))
}

/// Lists RDF files under `dirs` (not recursive), sorted by path.
pub fn rdf_files(dirs: &[PathBuf]) -> Result<Vec<PathBuf>, GraphError> {
    let mut files = Vec::new();
    for dir in dirs {
        if dir.is_file() {
            files.push(dir.clone());
            continue;
        }
        let rd = std::fs::read_dir(dir).map_err(|source| GraphError::Io {
            path: dir.clone(),
            source,
        })?;
        for entry in rd {
            let entry = entry.map_err(|source| GraphError::Io {
                path: dir.clone(),
                source,
            })?;
            let p = entry.path();
            if p.is_file() && format_for(&p).is_some() {
                files.push(p);
            }
        }
    }
    files.sort();
    Ok(files)
}

/// A reader that feeds every byte it reads into the snapshot hash and the progress count.
struct Hashing<'a, R> {
    inner: R,
    hasher: &'a mut Sha256,
    progress: &'a Progress,
}

impl<R: Read> Read for Hashing<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        self.progress
            .bytes
            .fetch_add(n as u64, std::sync::atomic::Ordering::Relaxed);
        Ok(n)
    }
}

/// Load progress: a bar on a terminal (stderr), a log line every few seconds otherwise.
struct Progress {
    bytes: std::sync::atomic::AtomicU64,
    total: u64,
    bar: Option<indicatif::ProgressBar>,
    last_log: std::sync::Mutex<Instant>,
}

/// Labels per shard of the label automaton. aho-corasick's construction grows faster than
/// linearly with the number of patterns when many labels share prefixes (200k entities with
/// "Gencity 1", "Gencity 12", ... took 21 s in one automaton); shards keep it linear, and a
/// search visits every shard.
const LABEL_SHARD: usize = 16_384;

/// How often a load logs its progress when stderr is not a terminal.
const PROGRESS_LOG_EVERY: Duration = Duration::from_secs(5);

impl Progress {
    fn new(total: u64) -> Self {
        use std::io::IsTerminal;
        // Small graphs load in well under a second: no bar for them.
        let bar = (std::io::stderr().is_terminal() && total > 32 << 20).then(|| {
            let b = indicatif::ProgressBar::new(total);
            if let Ok(style) = indicatif::ProgressStyle::with_template(
                "loading graph {bar:40} {bytes}/{total_bytes} {msg} ({eta} left)",
            ) {
                b.set_style(style);
            }
            b
        });
        Self {
            bytes: std::sync::atomic::AtomicU64::new(0),
            total,
            bar,
            last_log: std::sync::Mutex::new(Instant::now()),
        }
    }

    /// Called after each inserted batch of `path` (`triples` so far in that file).
    fn tick(&self, path: &Path, triples: usize) {
        let done = self.bytes.load(std::sync::atomic::Ordering::Relaxed);
        if let Some(b) = &self.bar {
            b.set_position(done);
            b.set_message(format!("{triples} triples of {}", path.display()));
            return;
        }
        let Ok(mut last) = self.last_log.lock() else {
            return;
        };
        if last.elapsed() >= PROGRESS_LOG_EVERY {
            *last = Instant::now();
            tracing::info!(
                file = %path.display(),
                triples,
                mib_read = done >> 20,
                mib_total = self.total >> 20,
                "loading knowledge graph"
            );
        }
    }

    fn finish(&self) {
        if let Some(b) = &self.bar {
            b.finish_and_clear();
        }
    }
}

fn nn(iri: &str) -> NamedNode {
    NamedNode::new_unchecked(iri)
}

fn term_number(t: &Term) -> Option<f64> {
    match t {
        Term::Literal(l) => l.value().trim().parse::<f64>().ok(),
        _ => None,
    }
}

fn term_str(t: &Term) -> Option<&str> {
    match t {
        Term::Literal(l) => Some(l.value()),
        _ => None,
    }
}

/// An `xsd:boolean` true, as written (`true`) or as some stores return it (`1`: Virtuoso).
fn is_true(t: &Term) -> bool {
    matches!(term_str(t).map(str::trim), Some("true" | "1"))
}

fn iri_of(t: &Term) -> Option<&str> {
    match t {
        Term::NamedNode(n) => Some(n.as_str()),
        _ => None,
    }
}

impl Knowledge {
    /// Loads every RDF file in `dirs` into its own named graph and builds the indexes.
    pub fn load(dirs: &[PathBuf]) -> Result<Self, GraphError> {
        let started = Instant::now();
        let store = Store::new().map_err(|e| GraphError::Query(e.to_string()))?;
        let (snapshot, files) = Self::load_files(&store, dirs)?;
        let triples = quad_count(&store)?;
        Self::finish_load(store, snapshot, files, triples, started)
    }

    /// Builds the indexes over a loaded store of `triples` quads and logs the summary.
    fn finish_load(
        store: Store,
        snapshot: String,
        files: Vec<LoadedFile>,
        triples: usize,
        started: Instant,
    ) -> Result<Self, GraphError> {
        let parsed_ms = started.elapsed().as_millis() as u64;
        let mut kg = Self::from_store(store, snapshot, files, triples)?;
        kg.load_time = started.elapsed();
        tracing::info!(
            triples,
            entities = kg.entities.len(),
            predicates = kg.predicates.len(),
            ms = kg.load_time.as_millis() as u64,
            parse_ms = parsed_ms,
            snapshot = %&kg.snapshot[..12],
            "knowledge graph ready"
        );
        Ok(kg)
    }

    /// Parses every RDF file of `dirs` into `store` (each file into its named graph), streamed;
    /// returns the snapshot hash and what was loaded.
    fn load_files(
        store: &Store,
        dirs: &[PathBuf],
    ) -> Result<(String, Vec<LoadedFile>), GraphError> {
        let mut hasher = Sha256::new();
        let mut files = Vec::new();
        let paths = rdf_files(dirs)?;
        if paths.is_empty() {
            return Err(GraphError::Lexicon(format!(
                "no RDF files (.ttl, .nt, .nq, .rdf, optionally .gz) in {}",
                dirs.iter()
                    .map(|d| d.display().to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            )));
        }
        let total_bytes: u64 = paths
            .iter()
            .filter_map(|p| std::fs::metadata(p).ok())
            .map(|m| m.len())
            .sum();
        let progress = Progress::new(total_bytes);
        for path in paths {
            let (format, gz, stem) =
                format_for(&path).expect("filtered by rdf_files; this is a bug");
            let io_err = |source| GraphError::Io {
                path: path.clone(),
                source,
            };
            let file = std::fs::File::open(&path).map_err(io_err)?;
            let len = file.metadata().map_err(io_err)?.len();
            hasher.update(
                path.file_name()
                    .map(|n| n.as_encoded_bytes())
                    .unwrap_or_default(),
            );
            hasher.update(len.to_le_bytes());
            let graph = format!("{GRAPH_PREFIX}{stem}");
            let mut parser = RdfParser::from_format(format);
            if format != RdfFormat::NQuads && format != RdfFormat::TriG {
                parser = parser.with_default_graph(GraphName::NamedNode(nn(&graph)));
            }
            let parse_err = |message: String| GraphError::Parse {
                path: path.clone(),
                message,
            };
            // Read, hash, gunzip and parse on a second thread while this one inserts: the two
            // overlap, and a file is streamed, never held in memory whole.
            let hasher_ref = &mut hasher;
            let progress_ref = &progress;
            let triples = std::thread::scope(|scope| -> Result<usize, GraphError> {
                let (tx, rx) = std::sync::mpsc::sync_channel::<Vec<oxigraph::model::Quad>>(4);
                let producer = scope.spawn(move || -> Result<(), String> {
                    let raw = Hashing {
                        inner: BufReader::with_capacity(1 << 20, file),
                        hasher: hasher_ref,
                        progress: progress_ref,
                    };
                    let reader: Box<dyn Read + '_> = if gz {
                        Box::new(flate2::read::GzDecoder::new(raw))
                    } else {
                        Box::new(raw)
                    };
                    let mut batch = Vec::with_capacity(PARSE_BATCH);
                    for quad in parser.for_reader(BufReader::new(reader)) {
                        batch.push(quad.map_err(|e| e.to_string())?);
                        if batch.len() == PARSE_BATCH {
                            let full =
                                std::mem::replace(&mut batch, Vec::with_capacity(PARSE_BATCH));
                            if tx.send(full).is_err() {
                                return Ok(());
                            }
                        }
                    }
                    let _ = tx.send(batch);
                    Ok(())
                });
                let mut loader = store.bulk_loader();
                let mut count = 0;
                for batch in rx {
                    count += batch.len();
                    loader
                        .load_quads(batch)
                        .map_err(|e| parse_err(e.to_string()))?;
                    progress_ref.tick(&path, count);
                }
                producer
                    .join()
                    .map_err(|_| parse_err("parser thread panicked".into()))?
                    .map_err(parse_err)?;
                loader.commit().map_err(|e| parse_err(e.to_string()))?;
                Ok(count)
            })?;
            tracing::info!(file = %path.display(), graph = %graph, triples, "loaded RDF file");
            files.push(LoadedFile {
                path,
                graph,
                triples,
            });
        }
        progress.finish();
        Ok((hex::encode(hasher.finalize()), files))
    }

    /// Loads `dirs` into an on-disk RocksDB store at `store_dir` (`[graph] store_path`), or,
    /// when that store already holds exactly these files (same paths, sizes and modification
    /// times as recorded in `<store_dir>.manifest.json` when they were loaded, and the same
    /// number of quads), opens it without parsing anything: only the indexes are built. Any
    /// difference clears the store and loads the files again. The manifest is removed before a
    /// load and written (fsynced) after it, so a load cut short is redone at the next start.
    #[cfg(feature = "rocksdb")]
    pub fn open_persistent(dirs: &[PathBuf], store_dir: &Path) -> Result<Self, GraphError> {
        let started = Instant::now();
        let io_err = |path: &Path, source| GraphError::Io {
            path: path.to_path_buf(),
            source,
        };
        let manifest_path = manifest_path(store_dir);
        let sources = source_stamps(dirs)?;
        let store = Store::open(store_dir).map_err(|e| GraphError::Parse {
            path: store_dir.to_path_buf(),
            message: format!("cannot open the RocksDB store (graph.store_path): {e}"),
        })?;
        let recorded: Option<Manifest> = std::fs::read_to_string(&manifest_path)
            .ok()
            .and_then(|t| serde_json::from_str(&t).ok());
        let quads = quad_count(&store)?;
        if let Some(m) = recorded.filter(|m| m.sources == sources && m.quads == quads) {
            tracing::info!(store = %store_dir.display(), quads, "graph store holds these files: opened without parsing");
            let mut kg = Self::finish_load(store, m.snapshot, m.files, quads, started)?;
            kg.reopened = true;
            return Ok(kg);
        }
        tracing::info!(store = %store_dir.display(), "graph store is empty or holds other files: loading them");
        match std::fs::remove_file(&manifest_path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                return Err(io_err(&manifest_path, e))
            }
            _ => {}
        }
        store
            .clear()
            .map_err(|e| GraphError::Query(e.to_string()))?;
        let (snapshot, files) = Self::load_files(&store, dirs)?;
        store
            .flush()
            .map_err(|e| GraphError::Query(e.to_string()))?;
        // Counting scans the whole on-disk store: once, for the manifest and the index.
        let quads = quad_count(&store)?;
        let manifest = Manifest {
            sources,
            quads,
            snapshot: snapshot.clone(),
            files: files.clone(),
        };
        let text = serde_json::to_string_pretty(&manifest)
            .map_err(|e| GraphError::Query(format!("manifest: {e}")))?;
        {
            use std::io::Write as _;
            let mut f =
                std::fs::File::create(&manifest_path).map_err(|e| io_err(&manifest_path, e))?;
            f.write_all(text.as_bytes())
                .and_then(|()| f.sync_all())
                .map_err(|e| io_err(&manifest_path, e))?;
        }
        Self::finish_load(store, snapshot, files, quads, started)
    }

    /// Values of `predicate` for all subjects, over all graphs.
    fn objects_of(
        store: &Store,
        predicate: &str,
    ) -> Result<Vec<(oxigraph::model::NamedOrBlankNode, Term)>, GraphError> {
        let p = nn(predicate);
        store
            .quads_for_pattern(None, Some(p.as_ref()), None, None)
            .map(|q| {
                q.map(|q| (q.subject, q.object))
                    .map_err(|e| GraphError::Query(e.to_string()))
            })
            .collect()
    }

    /// Builds the indexes (labels, lexicon, string values) from `store`: the whole graph loaded
    /// from files ([`Knowledge::load`]), or just the triples the indexes read, fetched from a
    /// remote endpoint ([`crate::remote`]; see [`Knowledge::index_patterns`] for what that is). `snapshot`
    /// is the graph version the audit records; `triples` the size reported.
    pub fn from_store(
        store: Store,
        snapshot: String,
        files: Vec<LoadedFile>,
        triples: usize,
    ) -> Result<Self, GraphError> {
        // Entities and labels.
        let mut entities: Vec<Entity> = Vec::new();
        let mut entity_by_iri: HashMap<String, EntityId> = HashMap::new();
        let mut label_map: HashMap<String, Vec<EntityId>> = HashMap::new();
        for pred in LABEL_PREDICATES {
            for (s, o) in Self::objects_of(&store, pred)? {
                let (oxigraph::model::NamedOrBlankNode::NamedNode(s), Term::Literal(l)) = (s, o)
                else {
                    continue;
                };
                let iri = s.into_string();
                let id = *entity_by_iri.entry(iri.clone()).or_insert_with(|| {
                    entities.push(Entity {
                        iri,
                        label: l.value().to_string(),
                        folded_labels: Vec::new(),
                        types: Vec::new(),
                        rank: 0.0,
                        common_noun: false,
                        distinct_names: false,
                    });
                    (entities.len() - 1) as EntityId
                });
                let key = fold_key(l.value());
                if key.is_empty() {
                    continue;
                }
                let e = &mut entities[id as usize];
                if !e.folded_labels.contains(&key) {
                    e.folded_labels.push(key.clone());
                    let ids = label_map.entry(key).or_default();
                    if !ids.contains(&id) {
                        ids.push(id);
                    }
                }
            }
        }
        for (s, o) in Self::objects_of(&store, RDF_TYPE)? {
            if let (oxigraph::model::NamedOrBlankNode::NamedNode(s), Term::NamedNode(t)) = (s, o) {
                if let Some(&id) = entity_by_iri.get(s.as_str()) {
                    entities[id as usize].types.push(t.into_string());
                }
            }
        }
        // Classes marked with a linking hint (`<class> fg:<hint> true`, VOCAB.md).
        let classes = |hint: &str| -> Result<Vec<String>, GraphError> {
            Ok(Self::objects_of(&store, &format!("{FG}{hint}"))?
                .into_iter()
                .filter(|(_, o)| is_true(o))
                .filter_map(|(s, _)| match s {
                    oxigraph::model::NamedOrBlankNode::NamedNode(n) => Some(n.into_string()),
                    _ => None,
                })
                .collect())
        };
        let lowercase_classes = classes("lowercaseMentions")?;
        let distinct_classes = classes("distinctNames")?;
        for e in &mut entities {
            e.common_noun = e.types.iter().any(|t| lowercase_classes.contains(t));
            e.distinct_names = e.types.iter().any(|t| distinct_classes.contains(t));
        }
        // Namesakes are ranked by population; `fg:rank` (a linking hint, VOCAB.md) ranks an
        // entity the graph gives no population, and a population outranks it.
        for hint in ["rank", "population"] {
            for (s, o) in Self::objects_of(&store, &format!("{FG}{hint}"))? {
                if let oxigraph::model::NamedOrBlankNode::NamedNode(s) = s {
                    if let (Some(&id), Some(v)) = (entity_by_iri.get(s.as_str()), term_number(&o)) {
                        entities[id as usize].rank = v;
                    }
                }
            }
        }
        // Lexicon entries carry labels too ("ICAO code"); they are predicates, not entities.
        let predicate_class = format!("{FG}Predicate");
        let mut label_entries: Vec<(String, Vec<EntityId>)> = label_map
            .into_iter()
            .filter_map(|(k, mut ids)| {
                ids.retain(|&id| !entities[id as usize].types.contains(&predicate_class));
                (!ids.is_empty()).then_some((k, ids))
            })
            .collect();
        label_entries.sort_by(|a, b| a.0.cmp(&b.0));
        // Best ranked first; ties by IRI, not by entity id: ids follow the order a store
        // returns labels in, which differs between the in-process store and a remote endpoint
        // (and between two reads of one endpoint), and namesakes the graph cannot rank apart
        // must come in the same order wherever the graph is read.
        for (_, ids) in &mut label_entries {
            ids.sort_by(|a, b| {
                let (ea, eb) = (&entities[*a as usize], &entities[*b as usize]);
                eb.rank
                    .total_cmp(&ea.rank)
                    .then_with(|| ea.iri.cmp(&eb.iri))
            });
        }
        let label_matchers = label_entries
            .chunks(LABEL_SHARD)
            .enumerate()
            .map(|(i, shard)| {
                AhoCorasick::builder()
                    .match_kind(MatchKind::Standard)
                    .build(shard.iter().map(|(k, _)| k.as_str()))
                    .map(|m| (m, i * LABEL_SHARD))
                    .map_err(|e| GraphError::Lexicon(format!("label index: {e}")))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let label_keys = label_entries.into_iter().map(|(_, ids)| ids).collect();

        // Lexicon.
        let predicates = Self::read_lexicon(&store)?;
        let mut phrase_map: HashMap<String, Vec<usize>> = HashMap::new();
        for (i, p) in predicates.iter().enumerate() {
            for ph in &p.phrases {
                phrase_map.entry(ph.clone()).or_default().push(i);
            }
        }
        let mut phrase_entries: Vec<(String, Vec<usize>)> = phrase_map.into_iter().collect();
        phrase_entries.sort();
        let phrase_matcher = AhoCorasick::builder()
            .match_kind(MatchKind::Standard)
            .build(phrase_entries.iter().map(|(k, _)| k.as_str()))
            .map_err(|e| GraphError::Lexicon(format!("phrase index: {e}")))?;
        let phrase_keys = phrase_entries.into_iter().map(|(_, v)| v).collect();

        // Closed value sets of string-valued predicates.
        let mut value_set: Vec<(usize, String, Option<String>)> = Vec::new();
        for (i, p) in predicates.iter().enumerate() {
            if p.kind != ValueKind::String {
                continue;
            }
            let mut seen = std::collections::BTreeSet::new();
            for (_, o) in Self::objects_of(&store, &p.iri)? {
                if let Some(v) = term_str(&o) {
                    let k = fold_key(v);
                    if !k.is_empty() {
                        // Codes ("IS", "THE", "FRA") only match as written: "is" and "the"
                        // are words, not Iceland's ISO code or Teresina's airport.
                        let code =
                            v.chars().any(char::is_uppercase) && !v.chars().any(char::is_lowercase);
                        seen.insert((k, code.then(|| v.trim().to_string())));
                    }
                }
            }
            value_set.extend(seen.into_iter().map(|(k, exact)| (i, k, exact)));
        }
        let value_matcher = AhoCorasick::builder()
            .match_kind(MatchKind::Standard)
            .build(value_set.iter().map(|(_, k, _)| k.as_str()))
            .map_err(|e| GraphError::Lexicon(format!("value index: {e}")))?;

        let parse = |q: &str| -> Result<PreparedSparqlQuery, GraphError> {
            let mut prepared = SparqlEvaluator::new()
                .parse_query(q)
                .map_err(|e| GraphError::Query(format!("built-in query does not parse: {e}")))?;
            prepared.dataset_mut().set_default_graph_as_union();
            Ok(prepared)
        };
        let facts_query = parse(FACTS_QUERY)?;
        let alias_query = parse(ALIAS_QUERY)?;

        Ok(Self {
            store,
            entities,
            entity_by_iri,
            label_keys,
            label_matchers,
            predicates,
            phrase_keys,
            phrase_matcher,
            value_keys: value_set,
            value_matcher,
            facts_query,
            alias_query,
            snapshot,
            files,
            triples,
            load_time: Duration::ZERO,
            reopened: false,
        })
    }

    /// The triples [`Knowledge::from_store`] reads, as SPARQL patterns: everything else in a
    /// graph is only ever queried through a [`FactSource`]. A remote backend fetches exactly
    /// these into a local store ([`crate::remote`]), then the values of
    /// [`Knowledge::string_valued_predicates`] (which need the lexicon first).
    /// Keep in step with `from_store` and `read_lexicon`.
    pub fn index_patterns() -> Vec<IndexPattern> {
        let labelled = LABEL_PREDICATES
            .iter()
            .map(|p| format!("{{ ?s <{p}> [] }}"))
            .collect::<Vec<_>>()
            .join(" UNION ");
        let mut out: Vec<IndexPattern> = LABEL_PREDICATES
            .iter()
            .map(|p| IndexPattern::predicate("labels", p))
            .collect();
        out.push(IndexPattern {
            what: "types of labelled entities",
            predicate: Some(RDF_TYPE.to_string()),
            body: format!("?s <{RDF_TYPE}> ?o . {labelled}"),
            distinct: true,
        });
        out.push(IndexPattern::predicate(
            "lowercase-mention classes",
            &format!("{FG}lowercaseMentions"),
        ));
        out.push(IndexPattern::predicate(
            "distinct-name classes",
            &format!("{FG}distinctNames"),
        ));
        out.push(IndexPattern::predicate(
            "ranks (population)",
            &format!("{FG}population"),
        ));
        out.push(IndexPattern::predicate(
            "ranks (fg:rank, where no population)",
            &format!("{FG}rank"),
        ));
        out.push(IndexPattern {
            what: "predicate lexicon",
            predicate: None,
            body: format!("?s <{RDF_TYPE}> <{FG}Predicate> . ?s ?p ?o"),
            distinct: false,
        });
        out
    }

    /// IRIs of the lexicon's string-valued predicates in `store` (their values are indexed).
    pub fn string_valued_predicates(store: &Store) -> Result<Vec<String>, GraphError> {
        Ok(Self::read_lexicon(store)?
            .into_iter()
            .filter(|p| p.kind == ValueKind::String)
            .map(|p| p.iri)
            .collect())
    }

    fn read_lexicon(store: &Store) -> Result<Vec<Predicate>, GraphError> {
        let fg = |local: &str| nn(&format!("{FG}{local}"));
        let ty = nn(RDF_TYPE);
        let pred_class = fg("Predicate");
        let mut out = Vec::new();
        let mut subjects: Vec<NamedNode> = store
            .quads_for_pattern(
                None,
                Some(ty.as_ref()),
                Some(pred_class.as_ref().into()),
                None,
            )
            .filter_map(|q| match q {
                Ok(q) => match q.subject {
                    oxigraph::model::NamedOrBlankNode::NamedNode(n) => Some(Ok(n)),
                    _ => None,
                },
                Err(e) => Some(Err(GraphError::Query(e.to_string()))),
            })
            .collect::<Result<_, _>>()?;
        subjects.sort();
        subjects.dedup();
        for p in subjects {
            let values = |local: &str| -> Result<Vec<Term>, GraphError> {
                let prop = fg(local);
                store
                    .quads_for_pattern(Some(p.as_ref().into()), Some(prop.as_ref()), None, None)
                    .map(|q| {
                        q.map(|q| q.object)
                            .map_err(|e| GraphError::Query(e.to_string()))
                    })
                    .collect()
            };
            let strings = |local: &str| -> Result<Vec<String>, GraphError> {
                Ok(values(local)?
                    .iter()
                    .filter_map(|t| term_str(t).map(str::to_string))
                    .collect())
            };
            let iris = |local: &str| -> Result<Vec<String>, GraphError> {
                Ok(values(local)?
                    .iter()
                    .filter_map(|t| iri_of(t).map(str::to_string))
                    .collect())
            };
            let number = |local: &str| -> Result<Option<f64>, GraphError> {
                Ok(values(local)?.iter().find_map(term_number))
            };
            // `a owl:FunctionalProperty`, in whichever graph the lexicon was loaded into.
            let functional = store
                .quads_for_pattern(
                    Some(p.as_ref().into()),
                    Some(ty.as_ref()),
                    Some(NamedNodeRef::new_unchecked(OWL_FUNCTIONAL).into()),
                    None,
                )
                .next()
                .is_some();
            let changes_over_time = values("changesOverTime")?.iter().any(is_true);
            let other_namesakes = values("otherNamesakes")?.iter().any(is_true);
            let kind = match strings("valueKind")?.first().map(String::as_str) {
                Some("entity") => ValueKind::Entity,
                Some("number") => ValueKind::Number,
                Some("year") => ValueKind::Year,
                Some("string") => ValueKind::String,
                other => {
                    return Err(GraphError::Lexicon(format!(
                        "{} has fg:valueKind {:?}; expected entity, number, year or string",
                        p.as_str(),
                        other
                    )))
                }
            };
            let mut phrases: Vec<String> = strings("phrase")?.iter().map(|s| fold_key(s)).collect();
            phrases.retain(|s| !s.is_empty());
            phrases.sort();
            phrases.dedup();
            let template = strings("template")?
                .into_iter()
                .next()
                .ok_or_else(|| GraphError::Lexicon(format!("{} has no fg:template", p.as_str())))?;
            // Type lists are sets (linking asks "any of these"): sorted, so that every store
            // gives the same lists.
            let mut subject_types = iris("subjectType")?;
            subject_types.sort();
            subject_types.dedup();
            if phrases.is_empty() || subject_types.is_empty() {
                return Err(GraphError::Lexicon(format!(
                    "{} needs at least one fg:phrase and one fg:subjectType",
                    p.as_str()
                )));
            }
            let mut object_types = iris("objectType")?;
            object_types.sort();
            object_types.dedup();
            if kind == ValueKind::Entity && object_types.is_empty() {
                return Err(GraphError::Lexicon(format!(
                    "{} is entity-valued but has no fg:objectType",
                    p.as_str()
                )));
            }
            let contradiction_factor = number("contradictionFactor")?;
            let mut contradiction_factor_types = iris("contradictionFactorType")?;
            contradiction_factor_types.sort();
            contradiction_factor_types.dedup();
            if contradiction_factor.is_none() && !contradiction_factor_types.is_empty() {
                return Err(GraphError::Lexicon(format!(
                    "{} has fg:contradictionFactorType but no fg:contradictionFactor",
                    p.as_str()
                )));
            }
            if let Some(f) = contradiction_factor {
                if kind != ValueKind::Number || !(f > 1.0 && f.is_finite()) {
                    return Err(GraphError::Lexicon(format!(
                        "{} has fg:contradictionFactor {f}; it needs fg:valueKind \"number\" \
                         and a factor above 1 (2 = a value off by more than half or double)",
                        p.as_str()
                    )));
                }
            }
            let label = store
                .quads_for_pattern(
                    Some(p.as_ref().into()),
                    Some(nn(RDFS_LABEL).as_ref()),
                    None,
                    None,
                )
                .filter_map(Result::ok)
                .find_map(|q| term_str(&q.object).map(str::to_string))
                .unwrap_or_else(|| {
                    p.as_str()
                        .rsplit(['#', '/'])
                        .next()
                        .unwrap_or("")
                        .to_string()
                });
            out.push(Predicate {
                iri: p.as_str().to_string(),
                label,
                phrases,
                template,
                functional,
                changes_over_time,
                other_namesakes,
                subject_types,
                object_types,
                kind,
                unit: strings("unit")?.into_iter().next(),
                tolerance: number("tolerance")?.unwrap_or(0.0),
                abs_tolerance: number("absTolerance")?.unwrap_or(0.0),
                contradiction_factor,
                contradiction_factor_types,
            });
        }
        if out.is_empty() {
            return Err(GraphError::Lexicon(
                "no fg:Predicate entries found (is lexicon.ttl in the knowledge directory?)".into(),
            ));
        }
        Ok(out)
    }

    /// Entity mentions in `text`: case- and accent-insensitive, whole words, longest match
    /// first, non-overlapping.
    pub fn find_entities(&self, text: &str) -> Vec<LabelHit> {
        let f = fold(text);
        let mut hits: Vec<(usize, usize, usize)> = self
            .label_matchers
            .iter()
            .flat_map(|(m, offset)| {
                m.find_overlapping_iter(&f.text)
                    .map(move |h| (h.start(), h.end(), offset + h.pattern().as_usize()))
            })
            .filter(|&(s, e, _)| at_word_boundaries(&f.text, s, e))
            .collect();
        // Longest first, then leftmost; greedily keep non-overlapping.
        hits.sort_by(|a, b| (b.1 - b.0).cmp(&(a.1 - a.0)).then(a.0.cmp(&b.0)));
        let mut taken: Vec<(usize, usize)> = Vec::new();
        let mut out = Vec::new();
        for (s, e, k) in hits {
            if taken.iter().any(|&(ts, te)| s < te && ts < e) {
                continue;
            }
            taken.push((s, e));
            out.push(LabelHit {
                start: f.map[s],
                end: f.original_end(text, e),
                candidates: self.label_keys[k].clone(),
            });
        }
        out.sort_by_key(|h| h.start);
        out
    }

    /// Predicate phrases in `text`: (start, end, predicate indexes), whole words.
    pub fn find_phrases(&self, text: &str) -> Vec<(usize, usize, Vec<usize>)> {
        // "is not in" must find "is in": negation is handled by the reason stage.
        let f = drop_words(fold(text), &["not ", "never ", "no longer "]);
        self.phrase_matcher
            .find_overlapping_iter(&f.text)
            .filter(|m| at_word_boundaries(&f.text, m.start(), m.end()))
            .map(|m| {
                (
                    f.map[m.start()],
                    f.original_end(text, m.end()),
                    self.phrase_keys[m.pattern().as_usize()].clone(),
                )
            })
            .collect()
    }

    /// Known values of string-valued predicates in `text`: (start, end, predicate, folded value).
    pub fn find_values(&self, text: &str) -> Vec<(usize, usize, usize, String)> {
        let f = fold(text);
        self.value_matcher
            .find_overlapping_iter(&f.text)
            .filter(|m| at_word_boundaries(&f.text, m.start(), m.end()))
            .filter_map(|m| {
                let (p, v, exact) = &self.value_keys[m.pattern().as_usize()];
                let (start, end) = (f.map[m.start()], f.original_end(text, m.end()));
                if exact.as_ref().is_some_and(|e| text[start..end] != **e) {
                    return None;
                }
                Some((start, end, *p, v.clone()))
            })
            .collect()
    }

    /// The underlying store (read-only use: authoring tools, see [`crate::lexicon`]).
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The entity with this IRI, if it has a label.
    pub fn entity(&self, iri: &str) -> Option<&Entity> {
        self.entity_by_iri
            .get(iri)
            .map(|&i| &self.entities[i as usize])
    }

    /// Label for a term: entity label, literal value, or the IRI.
    pub fn label_of(&self, t: &Term) -> String {
        match t {
            Term::NamedNode(n) => self
                .entity(n.as_str())
                .map(|e| e.label.clone())
                .unwrap_or_else(|| n.as_str().to_string()),
            Term::Literal(l) => l.value().to_string(),
            other => other.to_string(),
        }
    }

    /// Looks up a predicate by IRI.
    pub fn predicate(&self, iri: &str) -> Option<&Predicate> {
        self.predicates.iter().find(|p| p.iri == iri)
    }
}

/// Where the retrieve stage gets facts from: the embedded store, or a remote SPARQL endpoint
/// ([`crate::remote::RemoteGraph`]). A trait so that faults can be injected in tests.
pub trait FactSource: Send + Sync {
    /// All facts `(subject or an owl:sameAs alias) predicate ?o`, with their graphs.
    fn facts(&self, subject: &str, predicate: &str) -> Result<Vec<Fact>, GraphError>;

    /// Whether the source can answer now (health and readiness report NOT_SERVING / 503 while
    /// it cannot). The embedded store always can; a remote endpoint cannot while its circuit
    /// breaker is open. May block for one probe query.
    fn ready(&self) -> bool {
        true
    }
}

impl Knowledge {
    fn select(
        &self,
        query: &PreparedSparqlQuery,
        bindings: &[(&str, &str)],
    ) -> Result<Vec<oxigraph::sparql::QuerySolution>, GraphError> {
        let mut q = query.clone();
        for (var, iri) in bindings {
            q = q.substitute_variable(Variable::new_unchecked(*var), nn(iri));
        }
        let QueryResults::Solutions(solutions) = q
            .on_store(&self.store)
            .execute()
            .map_err(|e| GraphError::Query(e.to_string()))?
        else {
            return Err(GraphError::Query(
                "built-in query is not a SELECT; this is a bug".into(),
            ));
        };
        solutions
            .map(|s| s.map_err(|e| GraphError::Query(e.to_string())))
            .collect()
    }
}

impl FactSource for Knowledge {
    fn facts(&self, subject: &str, predicate: &str) -> Result<Vec<Fact>, GraphError> {
        collect_facts(
            subject,
            predicate,
            |s| {
                Ok(self
                    .select(&self.alias_query, &[("s", s)])?
                    .iter()
                    .filter_map(|sol| match sol.get("x") {
                        Some(Term::NamedNode(x)) => Some(x.as_str().to_string()),
                        _ => None,
                    })
                    .collect())
            },
            |s| {
                Ok(self
                    .select(&self.facts_query, &[("s", s), ("p", predicate)])?
                    .iter()
                    .filter_map(|sol| match (sol.get("o"), sol.get("g")) {
                        (Some(o), Some(Term::NamedNode(g))) => {
                            Some((o.clone(), g.as_str().to_string()))
                        }
                        _ => None,
                    })
                    .collect())
            },
        )
    }
}

/// The retrieve algorithm, whatever answers the queries: the subject's `owl:sameAs` aliases
/// ([`ALIAS_QUERY`] through `aliases`), then [`FACTS_QUERY`] (through `objects`: `(?o, ?g)`
/// rows) for the subject and each alias, deduplicated, in that order.
pub fn collect_facts(
    subject: &str,
    predicate: &str,
    aliases: impl FnOnce(&str) -> Result<Vec<String>, GraphError>,
    mut objects: impl FnMut(&str) -> Result<Vec<(Term, String)>, GraphError>,
) -> Result<Vec<Fact>, GraphError> {
    let mut subjects = vec![subject.to_string()];
    for x in aliases(subject)? {
        if !subjects.contains(&x) {
            subjects.push(x);
        }
    }
    let mut out = Vec::new();
    for s in &subjects {
        for (o, g) in objects(s)? {
            let fact = Fact {
                subject: s.clone(),
                about: subject.to_string(),
                predicate: predicate.to_string(),
                object: o,
                graph: g,
            };
            if !out.contains(&fact) {
                out.push(fact);
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fold_maps_offsets_back() {
        let s = "Zürich and CÔTE d’Ivoire";
        let f = fold(s);
        assert_eq!(f.text, "zurich and cote d'ivoire");
        let start = f.text.find("cote").expect("present");
        assert_eq!(&s[f.map[start]..f.map[f.text.len()]], "CÔTE d’Ivoire");
        let s = "John F. Kennedy and G.T. Seaborg. Then A.";
        let f = fold(s);
        assert_eq!(f.text, "john f kennedy and g.t seaborg. then a");
        assert_eq!(
            fold("the U.S., the U.S. and U.S.").text,
            "the u.s., the u.s and u.s"
        );
        let start = f.text.find("kennedy").expect("present");
        assert_eq!(
            &s[f.map[start - 2]..f.original_end(s, start + 7)],
            "F. Kennedy"
        );
        let end = f.text.len();
        assert_eq!(&s[f.map[end - 1]..f.original_end(s, end)], "A");
    }

    #[test]
    fn word_boundaries() {
        assert!(at_word_boundaries("in paris.", 3, 8));
        assert!(!at_word_boundaries("parisian", 0, 5));
    }
}
