//! A remote SPARQL 1.1 endpoint as the knowledge graph (`[graph] endpoint`, `--sparql-endpoint`).
//!
//! - **Facts** are queried per claim with the same two queries as the embedded store
//!   ([`ALIAS_QUERY`], then [`FACTS_QUERY`] for the subject and each alias), sent as SPARQL
//!   protocol POSTs with the bound IRIs in a trailing `VALUES` clause (request text is never
//!   spliced into a query: the IRIs come from the index and are checked to be IRIs), results
//!   read as `application/sparql-results+json`.
//! - **Linking** needs the label, lexicon and value indexes in process: at start (and every
//!   `refresh_s`) exactly the triples [`Knowledge::index_patterns`] names are fetched, page by
//!   page (`LIMIT`/`OFFSET` over an ordered sub-select), into a small local store, and the same
//!   index code as for files ([`Knowledge::from_store`]) runs on it.
//! - **Failures are never silent**: every query has a budget (`timeout_ms`, retries included);
//!   transient failures (connect errors, timeouts, 5xx, 429) are retried with backoff inside it;
//!   `breaker_failures` failed queries in a row open a circuit breaker for `breaker_cooldown_s`
//!   (queries then fail at once), after which one probe query is let through (half-open): it
//!   closes the breaker or opens it again. A failed query is a [`GraphError::Endpoint`], which
//!   the pipeline turns into reason INTERNAL_ERROR with the profile's `on_error` verdict,
//!   audited; health says NOT_SERVING and `/readyz` 503 while the breaker is open.
//! - The **graph version** in the audit is `graph.version` when set, else the SHA-256 (hex) of
//!   the endpoint URL and every fetched index row, in order.

use std::collections::HashMap;
use std::sync::{Condvar, Mutex};
use std::time::{Duration, Instant};

use oxigraph::model::{BlankNode, Literal, NamedNode, NamedOrBlankNode, Term};
use oxigraph::store::Store;
use serde::Deserialize;
use sha2::{Digest, Sha256};

use crate::config::{ConfigError, GraphSection};
use crate::knowledge::{
    collect_facts, Fact, FactSource, GraphError, IndexPattern, Knowledge, ALIAS_QUERY, FACTS_QUERY,
};
use crate::pipeline::KnowledgeHandle;

/// Environment variable with the `Name: value` header line, used when neither
/// `graph.auth_header` nor `graph.auth_header_file` is set.
pub const AUTH_HEADER_ENV: &str = "FACTGATE_SPARQL_AUTH_HEADER";

/// First pause before a retry; doubled per retry, at most [`MAX_BACKOFF`].
const BASE_BACKOFF: Duration = Duration::from_millis(25);
/// Longest pause between two attempts.
const MAX_BACKOFF: Duration = Duration::from_millis(400);
/// How often a long index fetch logs its progress when stderr is not a terminal.
const PROGRESS_LOG_EVERY: Duration = Duration::from_secs(5);

/// A header value that is never printed.
#[derive(Clone)]
struct Secret(reqwest::header::HeaderValue);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("<redacted>")
    }
}

/// Validated settings of the remote backend (from `[graph]`).
#[derive(Debug, Clone)]
pub struct RemoteSettings {
    /// SPARQL query URL.
    pub endpoint: String,
    auth: Option<(reqwest::header::HeaderName, Secret)>,
    /// Budget per query, retries included.
    pub timeout: Duration,
    /// Retries after a transient failure.
    pub retries: u32,
    /// Most queries in flight.
    pub max_connections: usize,
    /// Failed queries in a row that open the breaker.
    pub breaker_failures: u32,
    /// How long the breaker stays open before a probe.
    pub breaker_cooldown: Duration,
    /// Rows per index page.
    pub page_size: usize,
    /// Budget per index page query, retries included.
    pub index_timeout: Duration,
    /// Index refresh period; `None`: only at start.
    pub refresh: Option<Duration>,
    /// Configured graph version.
    pub version: Option<String>,
}

impl RemoteSettings {
    /// Defaults for `endpoint` (as `[graph]` with only `endpoint` set), no authentication.
    pub fn new(endpoint: &str) -> Self {
        let d = GraphSection::default();
        Self {
            endpoint: endpoint.to_string(),
            auth: None,
            timeout: Duration::from_millis(d.timeout_ms),
            retries: d.retries,
            max_connections: d.max_connections,
            breaker_failures: d.breaker_failures,
            breaker_cooldown: Duration::from_secs_f64(d.breaker_cooldown_s),
            page_size: d.page_size,
            index_timeout: Duration::from_millis(d.index_timeout_ms),
            refresh: None,
            version: None,
        }
    }

    /// The settings of a `[graph]` section with `endpoint` set (validated by
    /// [`GraphSection::validate_remote`]); reads `auth_header_file` or [`AUTH_HEADER_ENV`].
    pub fn from_config(g: &GraphSection) -> Result<Self, ConfigError> {
        g.validate_remote()?;
        let mut s = Self::new(g.endpoint.as_deref().unwrap_or_default());
        s.timeout = Duration::from_millis(g.timeout_ms);
        s.retries = g.retries;
        s.max_connections = g.max_connections;
        s.breaker_failures = g.breaker_failures;
        s.breaker_cooldown = Duration::from_secs_f64(g.breaker_cooldown_s);
        s.page_size = g.page_size;
        s.index_timeout = Duration::from_millis(g.index_timeout_ms);
        s.refresh = (g.refresh_s > 0.0).then(|| Duration::from_secs_f64(g.refresh_s));
        s.version = g.version.clone();
        let (setting, line) = match (&g.auth_header, &g.auth_header_file) {
            (Some(h), _) => ("graph.auth_header", Some(h.clone())),
            (None, Some(path)) => {
                let text = std::fs::read_to_string(path).map_err(|e| ConfigError::File {
                    setting: "graph.auth_header_file",
                    path: path.clone(),
                    message: format!("cannot read: {e}"),
                })?;
                ("graph.auth_header_file", Some(text.trim().to_string()))
            }
            (None, None) => (AUTH_HEADER_ENV, std::env::var(AUTH_HEADER_ENV).ok()),
        };
        if let Some(line) = line.filter(|l| !l.trim().is_empty()) {
            s = s.with_auth_header(&line).map_err(|m| {
                ConfigError::Invalid(format!("{setting}: {m} (expected `Name: value`)"))
            })?;
        }
        Ok(s)
    }

    /// Sends `line` (`Name: value`, e.g. `Authorization: Bearer abc`) with every query.
    pub fn with_auth_header(mut self, line: &str) -> Result<Self, String> {
        let (name, value) = line
            .split_once(':')
            .ok_or_else(|| "no `:` between header name and value".to_string())?;
        let name = reqwest::header::HeaderName::from_bytes(name.trim().as_bytes())
            .map_err(|e| format!("invalid header name {:?}: {e}", name.trim()))?;
        let mut value = reqwest::header::HeaderValue::from_str(value.trim())
            .map_err(|e| format!("invalid value for header {name}: {e}"))?;
        value.set_sensitive(true);
        self.auth = Some((name, Secret(value)));
        Ok(self)
    }
}

/// Where the circuit breaker stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BreakerState {
    /// Queries go through.
    Closed,
    /// Queries fail at once until the cool-down ends.
    Open,
    /// The cool-down is over: the next query is a probe (one at a time).
    HalfOpen,
}

#[derive(Debug, Default)]
struct BreakerInner {
    failures: u32,
    open_until: Option<Instant>,
    probing: bool,
}

/// Circuit breaker: `threshold` failed queries in a row open it for `cooldown`; then one probe
/// query at a time is let through, whose success closes it and whose failure opens it again.
#[derive(Debug)]
pub struct Breaker {
    threshold: u32,
    cooldown: Duration,
    inner: Mutex<BreakerInner>,
}

/// Why a query was not sent: the breaker is open (time until the next probe).
#[derive(Debug)]
pub struct Rejected(pub Duration);

impl Breaker {
    /// A closed breaker.
    pub fn new(threshold: u32, cooldown: Duration) -> Self {
        Self {
            threshold: threshold.max(1),
            cooldown,
            inner: Mutex::new(BreakerInner::default()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BreakerInner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The current state.
    pub fn state(&self) -> BreakerState {
        let b = self.lock();
        match b.open_until {
            None => BreakerState::Closed,
            Some(until) if Instant::now() < until || b.probing => BreakerState::Open,
            Some(_) => BreakerState::HalfOpen,
        }
    }

    /// Failed queries in a row so far.
    pub fn failures(&self) -> u32 {
        self.lock().failures
    }

    /// May a query go now? `Ok(true)`: yes, as the half-open probe (report its outcome).
    pub fn admit(&self) -> Result<bool, Rejected> {
        let mut b = self.lock();
        let Some(until) = b.open_until else {
            return Ok(false);
        };
        let now = Instant::now();
        if now < until {
            return Err(Rejected(until - now));
        }
        if b.probing {
            return Err(Rejected(Duration::ZERO));
        }
        b.probing = true;
        Ok(true)
    }

    /// The endpoint answered (even with an error of the query's own): close.
    pub fn success(&self) {
        let mut b = self.lock();
        if b.open_until.is_some() {
            tracing::info!("SPARQL endpoint answers again: circuit breaker closed");
            metrics::gauge!("factgate_sparql_breaker_open").set(0.0);
        }
        *b = BreakerInner::default();
    }

    /// The endpoint did not answer (after retries). `probe`: this was the half-open probe.
    pub fn failure(&self, probe: bool) {
        let mut b = self.lock();
        b.failures = b.failures.saturating_add(1);
        if probe {
            b.probing = false;
        }
        let was_open = b.open_until.is_some();
        if probe || b.failures >= self.threshold || was_open {
            b.open_until = Some(Instant::now() + self.cooldown);
            if !was_open {
                tracing::error!(
                    failures = b.failures,
                    cooldown_s = self.cooldown.as_secs_f64(),
                    "SPARQL endpoint failing: circuit breaker open (checks answer INTERNAL_ERROR, readiness NOT_SERVING)"
                );
                metrics::gauge!("factgate_sparql_breaker_open").set(1.0);
            }
        }
    }
}

/// Bounds the queries in flight (the connection pool keeps at most as many connections).
#[derive(Debug)]
struct Slots {
    max: usize,
    used: Mutex<usize>,
    freed: Condvar,
}

struct Slot<'a>(&'a Slots);

impl Drop for Slot<'_> {
    fn drop(&mut self) {
        let mut used = self.0.used.lock().unwrap_or_else(|p| p.into_inner());
        *used -= 1;
        self.0.freed.notify_one();
    }
}

impl Slots {
    fn acquire(&self, deadline: Instant) -> Option<Slot<'_>> {
        let mut used = self.used.lock().unwrap_or_else(|p| p.into_inner());
        while *used >= self.max {
            let left = deadline.checked_duration_since(Instant::now())?;
            used = self
                .freed
                .wait_timeout(used, left)
                .unwrap_or_else(|p| p.into_inner())
                .0;
        }
        *used += 1;
        Some(Slot(self))
    }
}

/// One binding set of a SELECT result.
pub type Solution = HashMap<String, Term>;

#[derive(Deserialize)]
struct JsonResults {
    results: JsonBindings,
}

#[derive(Deserialize)]
struct JsonBindings {
    bindings: Vec<HashMap<String, JsonTerm>>,
}

#[derive(Deserialize)]
struct JsonTerm {
    #[serde(rename = "type")]
    kind: String,
    value: String,
    datatype: Option<String>,
    #[serde(rename = "xml:lang")]
    lang: Option<String>,
}

const RDF_LANG_STRING: &str = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString";
const XSD_STRING: &str = "http://www.w3.org/2001/XMLSchema#string";

impl JsonTerm {
    fn into_term(self) -> Result<Term, String> {
        match self.kind.as_str() {
            "uri" => NamedNode::new(&self.value)
                .map(Term::from)
                .map_err(|e| format!("invalid IRI <{}>: {e}", self.value)),
            "bnode" => Ok(BlankNode::new(&self.value)
                .unwrap_or_else(|_| BlankNode::default())
                .into()),
            // "typed-literal" is the SPARQL 1.0 draft's name, still sent by Virtuoso.
            "literal" | "typed-literal" => match (self.lang, self.datatype) {
                (Some(lang), _) => Literal::new_language_tagged_literal(&self.value, &lang)
                    .map(Term::from)
                    .map_err(|e| format!("invalid language tag {lang:?}: {e}")),
                (None, Some(dt)) if dt != XSD_STRING && dt != RDF_LANG_STRING => {
                    let dt = NamedNode::new(&dt)
                        .map_err(|e| format!("invalid datatype IRI <{dt}>: {e}"))?;
                    Ok(Literal::new_typed_literal(self.value, dt).into())
                }
                (None, _) => Ok(Literal::new_simple_literal(self.value).into()),
            },
            other => Err(format!("unsupported RDF term type {other:?}")),
        }
    }
}

/// Parses an `application/sparql-results+json` SELECT result.
pub fn parse_select(body: &str) -> Result<Vec<Solution>, String> {
    let r: JsonResults =
        serde_json::from_str(body).map_err(|e| format!("not a SPARQL JSON SELECT result: {e}"))?;
    r.results
        .bindings
        .into_iter()
        .map(|b| {
            b.into_iter()
                .map(|(k, v)| Ok((k, v.into_term()?)))
                .collect()
        })
        .collect()
}

const SPARQL_JSON: &str = "application/sparql-results+json";

/// A response body and its media type.
#[derive(Debug)]
pub struct Body {
    /// `Content-Type` as sent.
    pub content_type: String,
    /// The body.
    pub body: String,
}

/// How an attempt failed.
enum Failure {
    /// Worth another attempt (and counts against the breaker).
    Transient(String),
    /// The endpoint answered, but not with a result (a rejected query, a bad body).
    Answered(String),
}

/// A SPARQL protocol client with a per-query budget, retries, a bounded pool and a breaker.
#[derive(Debug)]
pub struct SparqlClient {
    http: reqwest::blocking::Client,
    settings: RemoteSettings,
    breaker: Breaker,
    slots: Slots,
}

impl SparqlClient {
    /// A client for `settings` (no request is sent yet).
    pub fn new(settings: RemoteSettings) -> Result<Self, GraphError> {
        let mut headers = reqwest::header::HeaderMap::new();
        if let Some((name, Secret(value))) = &settings.auth {
            headers.insert(name.clone(), value.clone());
        }
        let http = reqwest::blocking::Client::builder()
            .default_headers(headers)
            .user_agent(concat!("factgate/", env!("CARGO_PKG_VERSION")))
            .pool_max_idle_per_host(settings.max_connections)
            .pool_idle_timeout(Duration::from_secs(30))
            .connect_timeout(settings.timeout)
            .tcp_nodelay(true)
            .build()
            .map_err(|e| GraphError::Endpoint {
                endpoint: settings.endpoint.clone(),
                message: format!("cannot build the HTTP client: {e}"),
            })?;
        Ok(Self {
            http,
            breaker: Breaker::new(settings.breaker_failures, settings.breaker_cooldown),
            slots: Slots {
                max: settings.max_connections.max(1),
                used: Mutex::new(0),
                freed: Condvar::new(),
            },
            settings,
        })
    }

    /// The settings.
    pub fn settings(&self) -> &RemoteSettings {
        &self.settings
    }

    /// The circuit breaker.
    pub fn breaker(&self) -> &Breaker {
        &self.breaker
    }

    fn error(&self, message: String) -> GraphError {
        GraphError::Endpoint {
            endpoint: self.settings.endpoint.clone(),
            message,
        }
    }

    fn attempt(&self, query: &str, left: Duration, accept: &str) -> Result<Body, Failure> {
        let response = self
            .http
            .post(&self.settings.endpoint)
            .header(reqwest::header::ACCEPT, accept)
            .timeout(left)
            .form(&[("query", query)])
            .send()
            .map_err(|e| Failure::Transient(crate::error_chain(&e)))?;
        let status = response.status();
        let content_type = response
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string();
        let body = response
            .text()
            .map_err(|e| Failure::Transient(crate::error_chain(&e)))?;
        if status.is_success() {
            return Ok(Body { content_type, body });
        }
        let excerpt: String = body.trim().chars().take(300).collect();
        let message = format!("HTTP {status}: {excerpt}");
        if status.is_server_error() || status == reqwest::StatusCode::TOO_MANY_REQUESTS {
            Err(Failure::Transient(message))
        } else {
            Err(Failure::Answered(message))
        }
    }

    /// Sends `query` and returns the response body: within the budget (`graph.timeout_ms`),
    /// retried on transient failures, through the breaker.
    pub fn request(&self, query: &str) -> Result<String, GraphError> {
        self.request_within(
            query,
            self.settings.timeout,
            "graph.timeout_ms",
            SPARQL_JSON,
        )
        .map(|b| b.body)
    }

    /// As [`SparqlClient::request`] with another budget (`setting` names it in errors) and
    /// `Accept` header.
    pub fn request_within(
        &self,
        query: &str,
        budget: Duration,
        setting: &str,
        accept: &str,
    ) -> Result<Body, GraphError> {
        let started = Instant::now();
        let deadline = started + budget;
        let budget_ms = budget.as_millis();
        let Some(_slot) = self.slots.acquire(deadline) else {
            metrics::counter!("factgate_sparql_queries_total", "outcome" => "busy").increment(1);
            return Err(self.error(format!(
                "all {} connections (graph.max_connections) stayed busy for the whole \
                 {budget_ms} ms budget ({setting})",
                self.settings.max_connections
            )));
        };
        let probe = self.breaker.admit().map_err(|Rejected(left)| {
            metrics::counter!("factgate_sparql_queries_total", "outcome" => "rejected")
                .increment(1);
            self.error(format!(
                "circuit breaker open after {} failed queries in a row; next probe in {} ms \
                 (graph.breaker_cooldown_s)",
                self.breaker.failures(),
                left.as_millis()
            ))
        })?;
        let mut attempts = 0;
        let last = loop {
            attempts += 1;
            let Some(left) = deadline.checked_duration_since(Instant::now()) else {
                break "the budget ran out before the query was sent".to_string();
            };
            match self.attempt(query, left, accept) {
                Ok(body) => {
                    self.breaker.success();
                    metrics::counter!("factgate_sparql_queries_total", "outcome" => "ok")
                        .increment(1);
                    return Ok(body);
                }
                Err(Failure::Answered(m)) => {
                    self.breaker.success();
                    metrics::counter!("factgate_sparql_queries_total", "outcome" => "error")
                        .increment(1);
                    return Err(self.error(format!("query rejected: {m}")));
                }
                Err(Failure::Transient(m)) => {
                    let backoff = BASE_BACKOFF
                        .saturating_mul(1 << (attempts - 1).min(16))
                        .min(MAX_BACKOFF);
                    let retry =
                        attempts <= self.settings.retries && Instant::now() + backoff < deadline;
                    tracing::debug!(attempt = attempts, error = %m, retry, "SPARQL query failed");
                    if !retry {
                        break m;
                    }
                    metrics::counter!("factgate_sparql_retries_total").increment(1);
                    std::thread::sleep(backoff);
                }
            }
        };
        self.breaker.failure(probe);
        metrics::counter!("factgate_sparql_queries_total", "outcome" => "failed").increment(1);
        Err(self.error(format!(
            "{last} ({attempts} attempt(s) in {} ms; budget {budget_ms} ms, {setting})",
            started.elapsed().as_millis()
        )))
    }

    /// Runs a SELECT query.
    pub fn select(&self, query: &str) -> Result<Vec<Solution>, GraphError> {
        let body = self.request(query)?;
        parse_select(&body).map_err(|m| self.error(m))
    }

    /// Runs a CONSTRUCT query of the index fetch (budget `graph.index_timeout_ms`): the
    /// triples, read as N-Triples (or whatever RDF format the endpoint chose to answer in).
    fn construct_index(&self, query: &str) -> Result<Vec<oxigraph::model::Triple>, GraphError> {
        let Body { content_type, body } = self.request_within(
            query,
            self.settings.index_timeout,
            "graph.index_timeout_ms",
            "application/n-triples, text/turtle;q=0.9, application/rdf+xml;q=0.5",
        )?;
        let media = content_type.split(';').next().unwrap_or_default().trim();
        let format = match media {
            // N-Triples' old media type.
            "text/plain" => oxigraph::io::RdfFormat::NTriples,
            m => oxigraph::io::RdfFormat::from_media_type(m).ok_or_else(|| {
                self.error(format!(
                    "CONSTRUCT answered with Content-Type {content_type:?}, not an RDF format"
                ))
            })?,
        };
        oxigraph::io::RdfParser::from_format(format)
            .for_slice(&body)
            .map(|q| {
                q.map(|q| oxigraph::model::Triple::new(q.subject, q.predicate, q.object))
                    .map_err(|e| {
                        self.error(format!(
                            "invalid {} in a CONSTRUCT result: {e}",
                            format.name()
                        ))
                    })
            })
            .collect()
    }
}

/// `query` with `?var` bound to each IRI (a `VALUES` clause; the IRIs are checked first).
fn bind(query: &str, bindings: &[(&str, &str)]) -> Result<String, GraphError> {
    let mut vars = String::new();
    let mut values = String::new();
    for (var, iri) in bindings {
        let node = NamedNode::new(*iri)
            .map_err(|e| GraphError::Query(format!("not an IRI <{iri}>: {e}")))?;
        vars.push_str(&format!(" ?{var}"));
        values.push_str(&format!(" {node}"));
    }
    Ok(format!("{query}\nVALUES ({vars} ) {{ ({values} ) }}"))
}

/// Index fetch progress: a spinner on a terminal, a log line every few seconds otherwise.
struct FetchProgress {
    bar: Option<indicatif::ProgressBar>,
    last_log: Instant,
    rows: usize,
}

impl FetchProgress {
    fn new() -> Self {
        use std::io::IsTerminal;
        let bar = std::io::stderr().is_terminal().then(|| {
            let b = indicatif::ProgressBar::new_spinner();
            if let Ok(style) =
                indicatif::ProgressStyle::with_template("fetching graph index {spinner} {msg}")
            {
                b.set_style(style);
            }
            b
        });
        Self {
            bar,
            last_log: Instant::now(),
            rows: 0,
        }
    }

    fn tick(&mut self, what: &str, rows: usize) {
        self.rows += rows;
        if let Some(b) = &self.bar {
            b.set_message(format!("{} rows ({what})", self.rows));
            b.tick();
        } else if self.last_log.elapsed() >= PROGRESS_LOG_EVERY {
            self.last_log = Instant::now();
            tracing::info!(rows = self.rows, what, "fetching graph index");
        }
    }

    fn finish(&self) {
        if let Some(b) = &self.bar {
            b.finish_and_clear();
        }
    }
}

/// The default graph version: SHA-256 over the endpoint URL and the index triples, as a set
/// (each triple's own SHA-256 over its N-Triples form, summed modulo 2^256), so neither the
/// order the endpoint sent them in nor a triple read twice changes it. Hex.
pub fn index_digest(endpoint: &str, store: &Store) -> Result<String, GraphError> {
    let mut sum = [0u8; 32];
    for q in store.iter() {
        let q = q.map_err(|e| GraphError::Query(e.to_string()))?;
        let h = Sha256::digest(format!("{} {} {}", q.subject, q.predicate, q.object).as_bytes());
        // Little-endian 256-bit addition, carry dropped.
        let mut carry = 0u16;
        for (a, b) in sum.iter_mut().zip(h.iter()) {
            let v = u16::from(*a) + u16::from(*b) + carry;
            *a = (v & 0xff) as u8;
            carry = v >> 8;
        }
    }
    let mut hasher = Sha256::new();
    hasher.update(endpoint.as_bytes());
    hasher.update([0]);
    hasher.update(sum);
    Ok(hex::encode(hasher.finalize()))
}

/// A remote SPARQL endpoint: the fact source, and the source of the index.
#[derive(Debug)]
pub struct RemoteGraph {
    client: SparqlClient,
}

impl RemoteGraph {
    /// A remote graph (nothing is sent yet; see [`RemoteGraph::load_knowledge`]).
    pub fn new(settings: RemoteSettings) -> Result<Self, GraphError> {
        Ok(Self {
            client: SparqlClient::new(settings)?,
        })
    }

    /// The client (breaker state, settings).
    pub fn client(&self) -> &SparqlClient {
        &self.client
    }

    /// Fetches the index triples (see the module docs) and builds the indexes from them.
    pub fn load_knowledge(&self) -> Result<Knowledge, GraphError> {
        let started = Instant::now();
        let endpoint = &self.client.settings.endpoint;
        tracing::info!(endpoint = %endpoint, "fetching the label, lexicon and value index from the SPARQL endpoint");
        let store = Store::new().map_err(|e| GraphError::Query(e.to_string()))?;
        let mut progress = FetchProgress::new();
        let mut rows = 0;
        for pattern in Knowledge::index_patterns() {
            rows += self.fetch(&store, &pattern, &mut progress)?;
        }
        // The values of string-valued predicates: which those are, the lexicon just said.
        for p in Knowledge::string_valued_predicates(&store)? {
            let pattern = IndexPattern::predicate("string values", &p);
            rows += self.fetch(&store, &pattern, &mut progress)?;
        }
        progress.finish();
        let snapshot = match &self.client.settings.version {
            Some(v) => v.clone(),
            None => index_digest(endpoint, &store)?,
        };
        let triples = crate::knowledge::quad_count(&store)?;
        let fetch_ms = started.elapsed().as_millis() as u64;
        let mut kg = Knowledge::from_store(store, snapshot, Vec::new(), triples)?;
        kg.load_time = started.elapsed();
        tracing::info!(
            endpoint = %endpoint,
            rows,
            index_triples = triples,
            entities = kg.entities.len(),
            predicates = kg.predicates.len(),
            fetch_ms,
            ms = kg.load_time.as_millis() as u64,
            version = %kg.snapshot,
            "graph index ready (remote endpoint)"
        );
        Ok(kg)
    }

    /// Fetches every triple of `pattern`, page by page, into `store`; returns the triples
    /// read.
    fn fetch(
        &self,
        store: &Store,
        pattern: &IndexPattern,
        progress: &mut FetchProgress,
    ) -> Result<usize, GraphError> {
        let started = Instant::now();
        let (vars, template) = match &pattern.predicate {
            Some(p) => {
                let p = NamedNode::new(p).map_err(|e| GraphError::Query(format!("<{p}>: {e}")))?;
                ("?s ?o", format!("?s {p} ?o"))
            }
            None => ("?s ?p ?o", "?s ?p ?o".to_string()),
        };
        let distinct = if pattern.distinct { "DISTINCT " } else { "" };
        let page = self.client.settings.page_size;
        let (mut offset, mut total, mut skipped) = (0usize, 0usize, 0usize);
        loop {
            // An ordered sub-select makes LIMIT/OFFSET pages stable (and stays within
            // Virtuoso's sorted-rows limit, which applies to ORDER BY with OFFSET).
            let query = format!(
                "CONSTRUCT {{ {template} }} WHERE {{ {{ SELECT {distinct}{vars} WHERE {{ {} }} ORDER BY {vars} }} }} LIMIT {page} OFFSET {offset}",
                pattern.body
            );
            let triples = self.client.construct_index(&query).map_err(|e| match e {
                GraphError::Endpoint { endpoint, message } => GraphError::Endpoint {
                    endpoint,
                    message: format!("fetching the index ({}): {message}", pattern.what),
                },
                other => other,
            })?;
            // Stop on an empty page, not a short one: an endpoint may cap the rows of a result
            // below page_size (Virtuoso's ResultSetMaxRows) without saying so, and a
            // CONSTRUCT merges duplicate triples. Advancing by what came back never skips
            // rows (at worst a few are read twice).
            if triples.is_empty() {
                break;
            }
            let n = triples.len();
            let mut quads = Vec::with_capacity(n);
            for t in triples {
                if !matches!(t.subject, NamedOrBlankNode::NamedNode(_))
                    || matches!(t.object, Term::BlankNode(_))
                {
                    skipped += 1;
                    continue;
                }
                quads.push(t.in_graph(oxigraph::model::GraphName::DefaultGraph));
            }
            let mut loader = store.bulk_loader();
            loader
                .load_quads(quads)
                .map_err(|e| GraphError::Query(e.to_string()))?;
            loader
                .commit()
                .map_err(|e| GraphError::Query(e.to_string()))?;
            total += n;
            offset += n;
            progress.tick(pattern.what, n);
        }
        tracing::info!(
            what = pattern.what,
            predicate = pattern.predicate.as_deref().unwrap_or("*"),
            triples = total,
            skipped_blank_nodes = skipped,
            ms = started.elapsed().as_millis() as u64,
            "fetched index triples"
        );
        Ok(total)
    }

    /// A cheap query through the breaker (`ASK {}`): true when the endpoint answers.
    pub fn probe(&self) -> bool {
        self.client.request("ASK {}").is_ok()
    }
}

impl FactSource for RemoteGraph {
    fn facts(&self, subject: &str, predicate: &str) -> Result<Vec<Fact>, GraphError> {
        collect_facts(
            subject,
            predicate,
            |s| {
                Ok(self
                    .client
                    .select(&bind(ALIAS_QUERY, &[("s", s)])?)?
                    .into_iter()
                    .filter_map(|mut sol| match sol.remove("x") {
                        Some(Term::NamedNode(x)) => Some(x.into_string()),
                        _ => None,
                    })
                    .collect())
            },
            |s| {
                Ok(self
                    .client
                    .select(&bind(FACTS_QUERY, &[("s", s), ("p", predicate)])?)?
                    .into_iter()
                    .filter_map(|mut sol| match (sol.remove("o"), sol.remove("g")) {
                        (Some(o), Some(Term::NamedNode(g))) => Some((o, g.into_string())),
                        _ => None,
                    })
                    .collect())
            },
        )
    }

    /// Not while the breaker is open; once its cool-down is over, one probe query decides.
    fn ready(&self) -> bool {
        match self.client.breaker.state() {
            BreakerState::Closed => true,
            BreakerState::Open => false,
            BreakerState::HalfOpen => self.probe(),
        }
    }
}

/// Re-reads the index once and swaps it in when its version changed; `Ok(true)` when it did.
/// On failure the old index stays (and the error is returned for the caller to log).
pub fn refresh_once(remote: &RemoteGraph, handle: &KnowledgeHandle) -> Result<bool, GraphError> {
    let kg = remote.load_knowledge()?;
    let mut current = handle.write().unwrap_or_else(|p| p.into_inner());
    if current.snapshot == kg.snapshot && remote.client.settings.version.is_none() {
        tracing::info!(version = %kg.snapshot, "graph index refreshed: unchanged");
        return Ok(false);
    }
    tracing::info!(
        from = %current.snapshot,
        to = %kg.snapshot,
        entities = kg.entities.len(),
        "graph index refreshed: new index in use"
    );
    *current = std::sync::Arc::new(kg);
    Ok(true)
}

/// Re-reads the index every `every` on a background thread, for the life of the process
/// (`[graph] refresh_s`). A failed refresh keeps the old index and logs a warning.
pub fn spawn_refresh(
    remote: std::sync::Arc<RemoteGraph>,
    handle: KnowledgeHandle,
    every: Duration,
) -> std::io::Result<std::thread::JoinHandle<()>> {
    std::thread::Builder::new()
        .name("factgate-index-refresh".into())
        .spawn(move || loop {
            std::thread::sleep(every);
            if let Err(e) = refresh_once(&remote, &handle) {
                tracing::warn!(error = %e, "graph index refresh failed; the previous index stays in use");
            }
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn breaker_opens_after_threshold_then_probes_once() {
        let b = Breaker::new(3, Duration::from_millis(50));
        assert_eq!(b.state(), BreakerState::Closed);
        for _ in 0..2 {
            assert!(!b.admit().expect("closed"));
            b.failure(false);
        }
        assert_eq!(b.state(), BreakerState::Closed, "2 of 3 failures");
        b.success();
        assert_eq!(b.failures(), 0, "a success resets the count");
        for _ in 0..3 {
            b.failure(false);
        }
        assert_eq!(b.state(), BreakerState::Open);
        assert!(b.admit().is_err(), "open: rejected at once");
        std::thread::sleep(Duration::from_millis(60));
        assert_eq!(b.state(), BreakerState::HalfOpen);
        assert!(b.admit().expect("probe"), "the first query is the probe");
        assert!(b.admit().is_err(), "one probe at a time");
        b.failure(true);
        assert_eq!(b.state(), BreakerState::Open, "a failed probe reopens");
        std::thread::sleep(Duration::from_millis(60));
        assert!(b.admit().expect("probe again"));
        b.success();
        assert_eq!(b.state(), BreakerState::Closed);
        assert!(!b.admit().expect("closed"));
    }

    #[test]
    fn sparql_json_terms_keep_their_types() {
        let body = r#"{"head":{"vars":["a","b","c","d","e","f"]},"results":{"bindings":[{
            "a":{"type":"uri","value":"https://factgate.dev/id/country/KE"},
            "b":{"type":"typed-literal","datatype":"http://www.w3.org/2001/XMLSchema#decimal","value":"12.011"},
            "c":{"type":"literal","xml:lang":"fr","value":"Kenya"},
            "d":{"type":"literal","value":"KES"},
            "e":{"type":"literal","datatype":"http://www.w3.org/2001/XMLSchema#date","value":"2026-11-28"},
            "f":{"type":"bnode","value":"b0"}}]}}"#;
        let rows = parse_select(body).expect("parses");
        let r = &rows[0];
        assert_eq!(
            r["a"],
            Term::from(NamedNode::new_unchecked(
                "https://factgate.dev/id/country/KE"
            ))
        );
        let Term::Literal(b) = &r["b"] else {
            panic!("literal")
        };
        assert_eq!(
            (b.value(), b.datatype().as_str()),
            ("12.011", "http://www.w3.org/2001/XMLSchema#decimal")
        );
        let Term::Literal(c) = &r["c"] else {
            panic!("literal")
        };
        assert_eq!((c.value(), c.language()), ("Kenya", Some("fr")));
        assert_eq!(r["d"], Term::from(Literal::new_simple_literal("KES")));
        let Term::Literal(e) = &r["e"] else {
            panic!("literal")
        };
        assert_eq!(
            e.datatype().as_str(),
            "http://www.w3.org/2001/XMLSchema#date"
        );
        assert!(matches!(r["f"], Term::BlankNode(_)));
        assert!(parse_select("<html>").is_err());
        assert!(parse_select(
            r#"{"results":{"bindings":[{"a":{"type":"uri","value":"not an iri"}}]}}"#
        )
        .is_err());
    }

    #[test]
    fn bound_queries_are_values_clauses_of_checked_iris() {
        let q = bind(
            FACTS_QUERY,
            &[("s", "https://x.example/a"), ("p", "https://x.example/p")],
        )
        .expect("iris");
        assert!(q.starts_with(FACTS_QUERY));
        assert!(q.ends_with("VALUES ( ?s ?p ) { ( <https://x.example/a> <https://x.example/p> ) }"));
        assert!(bind(FACTS_QUERY, &[("s", "x> } DROP ALL ; <y")]).is_err());
    }

    #[test]
    fn auth_header_lines_are_parsed_and_redacted() {
        let s = RemoteSettings::new("http://127.0.0.1:1/sparql")
            .with_auth_header("Authorization: Bearer s3cret")
            .expect("valid");
        assert!(!format!("{s:?}").contains("s3cret"), "{s:?}");
        assert!(RemoteSettings::new("http://x/sparql")
            .with_auth_header("no colon")
            .is_err());
        let g = GraphSection {
            endpoint: Some("http://127.0.0.1:1/sparql".into()),
            auth_header: Some("Bad Name: x".into()),
            ..GraphSection::default()
        };
        let err = RemoteSettings::from_config(&g).expect_err("bad header name");
        assert!(err.to_string().contains("graph.auth_header"), "{err}");
    }

    /// A fake endpoint: `plan` says, per request, what to do (in order; the last one repeats).
    #[derive(Clone, Copy, Debug)]
    enum Reply {
        Ok,
        Status(u16),
        Hang,
        /// 401 unless `authorization: Bearer s3cret` came with the request.
        NeedsAuth,
    }

    struct Fake {
        url: String,
        hits: std::sync::Arc<std::sync::atomic::AtomicUsize>,
        _stop: tokio::sync::oneshot::Sender<()>,
    }

    fn fake(plan: Vec<Reply>) -> Fake {
        use axum::routing::post;
        let hits = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let (url_tx, url_rx) = std::sync::mpsc::channel();
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let h = hits.clone();
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            rt.block_on(async move {
                let l = tokio::net::TcpListener::bind("127.0.0.1:0")
                    .await
                    .expect("bind");
                url_tx
                    .send(format!("http://{}/sparql", l.local_addr().expect("addr")))
                    .expect("send");
                let app = axum::Router::new().route(
                    "/sparql",
                    post(move |headers: axum::http::HeaderMap| {
                        let i = h.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                        let mut reply = plan[i.min(plan.len() - 1)];
                        if let Reply::NeedsAuth = reply {
                            let ok = headers
                                .get("authorization")
                                .is_some_and(|v| v.as_bytes() == b"Bearer s3cret");
                            reply = if ok { Reply::Ok } else { Reply::Status(401) };
                        }
                        async move {
                            use axum::response::IntoResponse;
                            match reply {
                                Reply::Ok => (
                                    [("content-type", "application/sparql-results+json")],
                                    r#"{"head":{"vars":["x"]},"results":{"bindings":[]}}"#,
                                )
                                    .into_response(),
                                Reply::Status(c) => (
                                    axum::http::StatusCode::from_u16(c).expect("status"),
                                    "injected",
                                )
                                    .into_response(),
                                Reply::NeedsAuth => unreachable!("resolved above"),
                                Reply::Hang => {
                                    tokio::time::sleep(Duration::from_secs(30)).await;
                                    "late".into_response()
                                }
                            }
                        }
                    }),
                );
                let _ = axum::serve(l, app)
                    .with_graceful_shutdown(async {
                        let _ = stop_rx.await;
                    })
                    .await;
            });
        });
        Fake {
            url: url_rx.recv().expect("fake endpoint up"),
            hits,
            _stop: stop_tx,
        }
    }

    fn client(url: &str, timeout_ms: u64, retries: u32, failures: u32) -> SparqlClient {
        let mut s = RemoteSettings::new(url);
        s.timeout = Duration::from_millis(timeout_ms);
        s.retries = retries;
        s.breaker_failures = failures;
        s.breaker_cooldown = Duration::from_millis(200);
        SparqlClient::new(s).expect("client")
    }

    fn hits(f: &Fake) -> usize {
        f.hits.load(std::sync::atomic::Ordering::SeqCst)
    }

    #[test]
    fn the_auth_header_is_sent_with_every_query() {
        let f = fake(vec![Reply::NeedsAuth]);
        let c = client(&f.url, 2000, 0, 5);
        let err = c.select("SELECT * {}").expect_err("no header").to_string();
        assert!(err.contains("401"), "{err}");
        let mut s = RemoteSettings::new(&f.url)
            .with_auth_header("Authorization: Bearer s3cret")
            .expect("valid");
        s.retries = 0;
        let c = SparqlClient::new(s).expect("client");
        c.select("SELECT * {}").expect("authorized");
        c.select("SELECT * {}")
            .expect("and again (pooled connection)");
    }

    #[test]
    fn transient_failures_are_retried_within_the_budget() {
        // Two 503s, then an answer: one query, three requests.
        let f = fake(vec![Reply::Status(503), Reply::Status(500), Reply::Ok]);
        let c = client(&f.url, 2000, 2, 5);
        assert!(c.select("SELECT * {}").expect("third time").is_empty());
        assert_eq!(hits(&f), 3);
        assert_eq!(c.breaker().failures(), 0);

        // A 400 is the query's fault: not retried, and the endpoint is healthy.
        let f = fake(vec![Reply::Status(400)]);
        let c = client(&f.url, 2000, 2, 1);
        let err = c.select("SELECT").expect_err("rejected").to_string();
        assert!(err.contains("400"), "{err}");
        assert_eq!(hits(&f), 1);
        assert_eq!(c.breaker().state(), BreakerState::Closed);

        // A hanging endpoint: the whole query, retries included, stays within its budget.
        let f = fake(vec![Reply::Hang]);
        let c = client(&f.url, 300, 5, 5);
        let t = Instant::now();
        let err = c.select("SELECT * {}").expect_err("timeout").to_string();
        assert!(
            t.elapsed() < Duration::from_millis(900),
            "{:?}",
            t.elapsed()
        );
        assert!(err.contains("graph.timeout_ms"), "{err}");
    }

    #[test]
    fn failing_endpoint_opens_the_breaker_and_a_probe_closes_it() {
        // Three failed queries (no retries) open it; then queries fail without a request.
        let f = fake(vec![
            Reply::Status(500),
            Reply::Status(502),
            Reply::Status(503),
            Reply::Ok,
        ]);
        let c = client(&f.url, 1000, 0, 3);
        for _ in 0..3 {
            c.select("SELECT * {}").expect_err("5xx");
        }
        assert_eq!(c.breaker().state(), BreakerState::Open);
        let err = c.select("SELECT * {}").expect_err("open").to_string();
        assert!(err.contains("circuit breaker open"), "{err}");
        assert_eq!(hits(&f), 3, "no request while open");
        std::thread::sleep(Duration::from_millis(250));
        assert_eq!(c.breaker().state(), BreakerState::HalfOpen);
        c.select("SELECT * {}").expect("the probe goes through");
        assert_eq!(c.breaker().state(), BreakerState::Closed);
        assert_eq!(hits(&f), 4);

        // Nothing listening: connect errors count the same.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .expect("bind")
            .local_addr()
            .expect("addr")
            .port();
        let c = client(&format!("http://127.0.0.1:{port}/sparql"), 500, 1, 2);
        for _ in 0..2 {
            let err = c.select("SELECT * {}").expect_err("refused").to_string();
            assert!(err.contains("2 attempt(s)"), "{err}");
        }
        assert_eq!(c.breaker().state(), BreakerState::Open);
    }
}
