//! Configuration: a TOML file (optional) plus command-line flags and environment variables,
//! validated once into [`Config`].
//!
//! ```toml
//! [server]
//! listen = "127.0.0.1:50051"
//! max_concurrency = 64
//! shutdown_grace_s = 10     # then running checks are cancelled (audited as partial)
//! # auth_tokens_file = "tokens.txt"  # Guard and ext_proc calls need `authorization: Bearer <token>`
//!
//! # [server.tls]             # TLS on the gRPC port (off by default)
//! # cert = "server.pem"
//! # key = "server.key"
//! # client_ca = "ca.pem"     # optional: clients must present a certificate it signed (mTLS)
//! http_listen = "127.0.0.1:8080"  # HTTP/JSON API, demo page, /metrics; "" = off
//! cors_origins = []         # browser origins allowed (HTTP API and grpc-web); ["*"] = any
//! demo_page = true          # GET / on the HTTP port
//! metrics_label_values = 16 # distinct `model` / `tenant` label values in metrics; rest `other`
//!
//! [graph]
//! default_graph = true      # the shipped graph (countries, cities, elements, airports)
//! dirs = ["my-graphs"]      # more RDF, added to the default graph
//! # store_path = "graph-store"  # on-disk RocksDB store (--features rocksdb): loaded once,
//! #                             # reopened without parsing while the files are unchanged
//!
//! # Or a remote SPARQL 1.1 endpoint instead of files (then default_graph and dirs are not
//! # loaded; README "Remote SPARQL endpoint"). Facts are queried per claim; the label, lexicon
//! # and value indexes are fetched once at start (and every refresh_s).
//! # endpoint = "http://127.0.0.1:8890/sparql"   # --sparql-endpoint
//! # auth_header = "Authorization: Bearer abc"   # sent with every query; or:
//! # auth_header_file = "sparql-auth.txt"        # the header line in a file; or the
//! #                                             # FACTGATE_SPARQL_AUTH_HEADER env variable
//! # timeout_ms = 2000         # per query, retries included
//! # retries = 2               # on connect errors, timeouts, 5xx and 429, with backoff
//! # max_connections = 16      # concurrent queries (the connection pool's bound)
//! # breaker_failures = 5      # failed queries in a row that open the circuit breaker ...
//! # breaker_cooldown_s = 10   # ... for this long; then one probe query (half-open)
//! # page_size = 50000         # rows per index page (LIMIT/OFFSET; a lower server cap is fine)
//! # index_timeout_ms = 60000  # per index page query, retries included
//! # refresh_s = 0             # re-read the index every N seconds while serving; 0 = never
//! # version = "kg-2026-05"    # graph version in the audit; default: sha256 over the endpoint
//! #                           # URL and the fetched index ("remote-" + 64 hex)
//!
//! [audit]
//! path = "factgate-audit.jsonl"
//! sync = "batch"            # always | batch | none
//! rotate_bytes = 268435456
//!
//! [verifier]
//! enabled = true
//! model_dir = "models/verifier"
//! calibration = "models/calibration.json"
//! provider = "cpu"          # cpu | cuda | tensorrt | auto
//! intra_threads = 1         # per model worker
//! workers = 0               # model workers; 0 = CPU: cores / intra_threads (≤ 8), GPU: 1
//!
//! [profiles.default]        # overrides the built-in default profile
//! unverifiable = "flag"
//! ```

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::audit::AuditConfig;
use crate::decide::Policy;
use crate::verify::VerifyConfig;

/// Server section.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServerSection {
    /// Listen address.
    pub listen: SocketAddr,
    /// Most Check calls in flight; more get RESOURCE_EXHAUSTED at once.
    pub max_concurrency: usize,
    /// Seconds running checks get to finish after SIGTERM before they are cancelled.
    pub shutdown_grace_s: f64,
    /// TLS on the gRPC port; `None` (the default) serves plaintext.
    pub tls: Option<TlsSection>,
    /// File of accepted bearer tokens (one per line); `None` (the default): no authentication.
    pub auth_tokens_file: Option<PathBuf>,
    /// HTTP/JSON port (`POST /v1/check`, `/healthz`, `/readyz`, `/metrics`); "" = none.
    pub http_listen: String,
    /// Claim-confidence reference for the drift gauge (`factgate eval --report DIR` writes
    /// `DIR/drift-reference.json`); a missing file turns the gauge off with a warning.
    pub drift_reference: Option<PathBuf>,
    /// Browser origins allowed to call the HTTP API and grpc-web (CORS), e.g.
    /// `["https://app.example.com"]`; `["*"]` allows any origin; empty (the default): none, so
    /// only same-origin pages (the demo page) can call.
    pub cors_origins: Vec<String>,
    /// Serve the demo page at `GET /` on the HTTP port.
    pub demo_page: bool,
    /// Distinct values of the request labels `model` and `tenant` that metrics carry (the rest
    /// share `other`); 0 leaves those labels empty.
    pub metrics_label_values: usize,
}

/// `[server.tls]`: TLS, and with `client_ca` mutual TLS, on the gRPC port.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TlsSection {
    /// PEM server certificate chain (leaf first).
    pub cert: PathBuf,
    /// PEM private key of the leaf certificate.
    pub key: PathBuf,
    /// PEM CA certificate(s): when set, clients must present a certificate signed by one.
    #[serde(default)]
    pub client_ca: Option<PathBuf>,
}

impl Default for ServerSection {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 50051)),
            max_concurrency: 64,
            shutdown_grace_s: 10.0,
            tls: None,
            auth_tokens_file: None,
            http_listen: "127.0.0.1:8080".into(),
            drift_reference: Some(PathBuf::from("models/drift-reference.json")),
            cors_origins: Vec::new(),
            demo_page: true,
            metrics_label_values: crate::telemetry::DEFAULT_LABEL_VALUES,
        }
    }
}

/// Graph section: the default graph plus the user's own, each file into its own named graph.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct GraphSection {
    /// Load the default graph shipped with factgate (countries, cities, elements, airports and
    /// the predicate lexicon); see [`default_knowledge_dir`] for where it is found.
    pub default_graph: bool,
    /// More directories (or files) of RDF, loaded next to the default graph.
    pub dirs: Vec<PathBuf>,
    /// A remote SPARQL 1.1 endpoint (query URL) used instead of RDF files; see
    /// [`crate::remote`].
    pub endpoint: Option<String>,
    /// An HTTP header (`Name: value`) sent with every query to `endpoint`.
    pub auth_header: Option<String>,
    /// A file holding the `auth_header` line (so the secret stays out of the config).
    pub auth_header_file: Option<PathBuf>,
    /// Budget per query in milliseconds, retries included.
    pub timeout_ms: u64,
    /// Retries of a query after a transient failure (connect error, timeout, 5xx, 429).
    pub retries: u32,
    /// Most queries in flight to the endpoint at once (the connection pool's bound).
    pub max_connections: usize,
    /// Failed queries in a row that open the circuit breaker.
    pub breaker_failures: u32,
    /// Seconds the breaker stays open before one probe query is let through.
    pub breaker_cooldown_s: f64,
    /// Rows per page when the index is fetched.
    pub page_size: usize,
    /// Budget per index page query in milliseconds (pages sort and are larger than facts).
    pub index_timeout_ms: u64,
    /// Seconds between index refreshes while serving; 0 = only at start.
    pub refresh_s: f64,
    /// Graph version recorded in the audit for the remote graph; default: `remote-` + sha256
    /// over the endpoint URL and the fetched index.
    pub version: Option<String>,
    /// On-disk RocksDB store for the graph files (needs a build with `--features rocksdb`):
    /// loaded once, then opened without parsing while the files stay the same.
    pub store_path: Option<PathBuf>,
}

impl Default for GraphSection {
    fn default() -> Self {
        Self {
            default_graph: true,
            dirs: Vec::new(),
            endpoint: None,
            auth_header: None,
            auth_header_file: None,
            timeout_ms: 2000,
            retries: 2,
            max_connections: 16,
            breaker_failures: 5,
            breaker_cooldown_s: 10.0,
            page_size: 50_000,
            index_timeout_ms: 60_000,
            refresh_s: 0.0,
            version: None,
            store_path: None,
        }
    }
}

impl GraphSection {
    /// Checks the remote endpoint settings (only when `endpoint` is set); errors name the key.
    pub fn validate_remote(&self) -> Result<(), ConfigError> {
        let endpoint = self.endpoint.as_deref().unwrap_or_default();
        let bad = |m: String| Err(ConfigError::Invalid(m));
        if !(endpoint.starts_with("http://") || endpoint.starts_with("https://"))
            || endpoint.contains(char::is_whitespace)
        {
            return bad(format!(
                "graph.endpoint (--sparql-endpoint) = {endpoint:?}: expected an http:// or \
                 https:// SPARQL query URL, e.g. http://127.0.0.1:8890/sparql"
            ));
        }
        if !self.dirs.is_empty() {
            return bad(
                "graph.dirs (--knowledge) cannot be used with graph.endpoint: the remote \
                 endpoint is the whole graph (load your files into it)"
                    .into(),
            );
        }
        if self.auth_header.is_some() && self.auth_header_file.is_some() {
            return bad("graph.auth_header and graph.auth_header_file: set one, not both".into());
        }
        if !(1..=600_000).contains(&self.timeout_ms) {
            return bad(format!(
                "graph.timeout_ms = {} must be between 1 and 600000",
                self.timeout_ms
            ));
        }
        if self.retries > 10 {
            return bad(format!("graph.retries = {} is over 10", self.retries));
        }
        if !(1..=1024).contains(&self.max_connections) {
            return bad(format!(
                "graph.max_connections = {} must be between 1 and 1024",
                self.max_connections
            ));
        }
        if self.breaker_failures == 0 {
            return bad("graph.breaker_failures must be at least 1".into());
        }
        if !(0.0..=3600.0).contains(&self.breaker_cooldown_s) {
            return bad(format!(
                "graph.breaker_cooldown_s = {} must be between 0 and 3600",
                self.breaker_cooldown_s
            ));
        }
        if !(1..=3_600_000).contains(&self.index_timeout_ms) {
            return bad(format!(
                "graph.index_timeout_ms = {} must be between 1 and 3600000",
                self.index_timeout_ms
            ));
        }
        if !(1..=1_000_000).contains(&self.page_size) {
            return bad(format!(
                "graph.page_size = {} must be between 1 and 1000000",
                self.page_size
            ));
        }
        if !(self.refresh_s == 0.0 || (1.0..=86_400.0 * 30.0).contains(&self.refresh_s)) {
            return bad(format!(
                "graph.refresh_s = {} must be 0 (never) or between 1 and 2592000",
                self.refresh_s
            ));
        }
        if self.version.as_deref().is_some_and(|v| v.trim().is_empty()) {
            return bad("graph.version must not be empty (leave it out for the hash)".into());
        }
        Ok(())
    }

    /// Every directory or file to load: the default graph's directory first (when on), then
    /// `dirs`, each once (compared by canonical path).
    pub fn sources(&self) -> Result<Vec<PathBuf>, ConfigError> {
        let mut out: Vec<PathBuf> = Vec::new();
        if self.default_graph {
            out.push(default_knowledge_dir().ok_or_else(|| {
                ConfigError::Invalid(format!(
                    "graph.default_graph: the default graph was not found in {}; install it \
                     there, or set graph.default_graph = false (--no-default-graph) and give \
                     your own with graph.dirs (--knowledge)",
                    default_graph_candidates()
                        .iter()
                        .map(|p| p.display().to_string())
                        .collect::<Vec<_>>()
                        .join(", ")
                ))
            })?);
        }
        let key = |p: &Path| std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
        for d in &self.dirs {
            if !out.iter().any(|o| key(o) == key(d)) {
                out.push(d.clone());
            }
        }
        if out.is_empty() {
            return Err(ConfigError::Invalid(
                "graph: nothing to load: graph.default_graph is false and graph.dirs is empty"
                    .into(),
            ));
        }
        Ok(out)
    }
}

/// Where the default graph is looked for, in order: `knowledge/` next to the binary, the install
/// path `<binary dir>/../share/factgate/knowledge`, then the source tree the binary was built
/// from (a build in the repository). The working directory is not searched: a `knowledge/`
/// folder there is not mistaken for the default graph.
pub fn default_graph_candidates() -> Vec<PathBuf> {
    let mut out = Vec::new();
    if let Some(dir) = std::env::current_exe()
        .ok()
        .and_then(|e| e.parent().map(Path::to_path_buf))
    {
        out.push(dir.join("knowledge"));
        out.push(dir.join("../share/factgate/knowledge"));
    }
    out.push(Path::new(env!("CARGO_MANIFEST_DIR")).join("knowledge"));
    out
}

/// The default graph's directory: the first of [`default_graph_candidates`] holding the
/// lexicon (`lexicon.ttl`).
pub fn default_knowledge_dir() -> Option<PathBuf> {
    default_graph_candidates()
        .into_iter()
        .find(|d| d.join("lexicon.ttl").is_file())
}

/// The whole file.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FileConfig {
    /// Server settings.
    pub server: ServerSection,
    /// Knowledge graph settings.
    pub graph: GraphSection,
    /// Audit log settings.
    pub audit: AuditConfig,
    /// Neural verifier settings.
    pub verifier: VerifyConfig,
    /// Policy profiles by name (merged over the built-in `default` and `strict`).
    pub profiles: BTreeMap<String, Policy>,
}

/// Validated configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// Server settings.
    pub server: ServerSection,
    /// Knowledge graph settings.
    pub graph: GraphSection,
    /// Audit log settings.
    pub audit: AuditConfig,
    /// Neural verifier settings.
    pub verifier: VerifyConfig,
    /// Policy profiles (always has `default`).
    pub profiles: BTreeMap<String, Policy>,
}

/// Configuration errors.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file cannot be read.
    #[error("cannot read config file {path}: {source}")]
    Read {
        /// File.
        path: PathBuf,
        /// Cause.
        source: std::io::Error,
    },
    /// The file is not valid TOML for this schema.
    #[error("invalid config file {path}: {message}")]
    Parse {
        /// File.
        path: PathBuf,
        /// Parser message (names the key).
        message: String,
    },
    /// A value is out of range.
    #[error("invalid configuration: {0}")]
    Invalid(String),
    /// A file named by a setting cannot be read or is not what the setting needs.
    #[error("{setting} = {}: {message}", path.display())]
    File {
        /// The setting (config key) that names the file, e.g. `server.tls.cert`.
        setting: &'static str,
        /// File.
        path: PathBuf,
        /// What is wrong with it.
        message: String,
    },
}

impl FileConfig {
    /// Reads a TOML file.
    pub fn read(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        toml::from_str(&text).map_err(|e| ConfigError::Parse {
            path: path.to_path_buf(),
            message: e.to_string(),
        })
    }
}

/// A CORS origin as browsers send it: `scheme://host[:port]`, or `*`.
fn valid_origin(o: &str) -> bool {
    if o == "*" {
        return true;
    }
    let Some((scheme, rest)) = o.split_once("://") else {
        return false;
    };
    let host =
        rest.rsplit_once(':').map_or(
            rest,
            |(h, port)| {
                if port.parse::<u16>().is_ok() {
                    h
                } else {
                    rest
                }
            },
        );
    matches!(scheme, "http" | "https")
        && !host.is_empty()
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '[' | ']' | ':'))
}

/// Most model workers, and most intra-op threads per worker.
pub const MAX_WORKERS: usize = 256;

impl Config {
    /// Validates a file config (after flags were applied to it).
    pub fn validate(file: FileConfig) -> Result<Self, ConfigError> {
        let mut profiles = BTreeMap::new();
        profiles.insert("default".to_string(), Policy::default());
        profiles.insert("strict".to_string(), Policy::strict());
        profiles.extend(file.profiles);
        for (name, p) in &profiles {
            p.validate(name).map_err(ConfigError::Invalid)?;
        }
        if file.server.max_concurrency == 0 {
            return Err(ConfigError::Invalid(
                "server.max_concurrency must be > 0".into(),
            ));
        }
        if !(0.0..=3600.0).contains(&file.server.shutdown_grace_s) {
            return Err(ConfigError::Invalid(format!(
                "server.shutdown_grace_s = {} must be between 0 and 3600",
                file.server.shutdown_grace_s
            )));
        }
        if file.server.metrics_label_values > 1000 {
            return Err(ConfigError::Invalid(format!(
                "server.metrics_label_values = {} is over 1000 (every value is a time series per \
                 metric and profile)",
                file.server.metrics_label_values
            )));
        }
        for o in &file.server.cors_origins {
            if !valid_origin(o) {
                return Err(ConfigError::Invalid(format!(
                    "server.cors_origins: {o:?} is not an origin; write scheme://host[:port] \
                     (no path, no trailing slash), or \"*\" for any origin"
                )));
            }
        }
        if file.audit.rotate_bytes < 4096 {
            return Err(ConfigError::Invalid(
                "audit.rotate_bytes must be at least 4096".into(),
            ));
        }
        if file.verifier.enabled && file.verifier.max_batch_tokens == 0 {
            return Err(ConfigError::Invalid(
                "verifier.max_batch_tokens must be > 0".into(),
            ));
        }
        // Each worker holds its own ONNX session (~25 MB for the int8 model) and thread.
        if file.verifier.workers > MAX_WORKERS {
            return Err(ConfigError::Invalid(format!(
                "verifier.workers is {}; at most {MAX_WORKERS} (0 = by provider)",
                file.verifier.workers
            )));
        }
        if file.verifier.intra_threads == 0 || file.verifier.intra_threads > MAX_WORKERS {
            return Err(ConfigError::Invalid(format!(
                "verifier.intra_threads is {}; must be 1 to {MAX_WORKERS}",
                file.verifier.intra_threads
            )));
        }
        match &file.graph.endpoint {
            Some(_) => file.graph.validate_remote()?,
            None => {
                file.graph.sources()?;
            }
        }
        if let Some(p) = &file.graph.store_path {
            if file.graph.endpoint.is_some() {
                return Err(ConfigError::Invalid(
                    "graph.store_path (--graph-store) cannot be used with graph.endpoint: the \
                     remote endpoint keeps the graph"
                        .into(),
                ));
            }
            if !cfg!(feature = "rocksdb") {
                return Err(ConfigError::Invalid(format!(
                    "graph.store_path (--graph-store) = {}: this factgate was built without the \
                     on-disk store; build it with `cargo build --release --features rocksdb`",
                    p.display()
                )));
            }
        }
        Ok(Self {
            server: file.server,
            graph: file.graph,
            audit: file.audit,
            verifier: file.verifier,
            profiles,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn worker_and_thread_counts_are_bounded_by_name() {
        for (toml, field) in [
            ("[verifier]\nworkers = 100000\n", "verifier.workers"),
            ("[verifier]\nintra_threads = 0\n", "verifier.intra_threads"),
        ] {
            let file: FileConfig = toml::from_str(toml).expect("parses");
            let err = Config::validate(file).expect_err("out of range");
            assert!(err.to_string().contains(field), "{err}");
        }
        let ok: FileConfig =
            toml::from_str("[verifier]\nworkers = 4\nintra_threads = 2\n").expect("parses");
        assert!(Config::validate(ok).is_ok());
    }

    #[test]
    fn unknown_keys_are_rejected_by_name() {
        let err = toml::from_str::<FileConfig>("[profiles.x]\nflag_belw = 0.2\n")
            .expect_err("typo must fail");
        assert!(err.to_string().contains("flag_belw"), "{err}");
    }

    #[test]
    fn security_settings_are_off_by_default_and_checked_by_name() {
        let d = Config::validate(FileConfig::default()).expect("default");
        assert_eq!(d.server.tls, None);
        assert_eq!(d.server.auth_tokens_file, None);
        assert!(d.server.listen.ip().is_loopback());
        let f: FileConfig = toml::from_str(
            "[server]\nauth_tokens_file = \"t.txt\"\n[server.tls]\ncert = \"s.pem\"\nkey = \"s.key\"\nclient_ca = \"ca.pem\"\n",
        )
        .expect("parses");
        let tls = f.server.tls.clone().expect("tls");
        assert_eq!(tls.client_ca, Some(PathBuf::from("ca.pem")));
        assert_eq!(f.server.auth_tokens_file, Some(PathBuf::from("t.txt")));
        let err = toml::from_str::<FileConfig>("[server.tls]\ncert = \"s.pem\"\n")
            .expect_err("key missing");
        assert!(err.to_string().contains("key"), "{err}");
        let err = toml::from_str::<FileConfig>(
            "[server.tls]\ncert = \"s.pem\"\nkey = \"k\"\nclient_cert = \"c\"\n",
        )
        .expect_err("typo");
        assert!(err.to_string().contains("client_cert"), "{err}");
    }

    #[test]
    fn remote_endpoint_settings_are_checked_by_name() {
        let ok: FileConfig = toml::from_str(
            "[graph]\nendpoint = \"http://127.0.0.1:8890/sparql\"\ntimeout_ms = 500\nrefresh_s = 60\n",
        )
        .expect("parses");
        let c = Config::validate(ok).expect("valid");
        assert_eq!(c.graph.timeout_ms, 500);
        assert_eq!(c.graph.page_size, 50_000, "default");
        for (toml, key) in [
            ("endpoint = \"ftp://x/sparql\"\n", "graph.endpoint"),
            (
                "endpoint = \"http://x/sparql\"\ndirs = [\"more\"]\n",
                "graph.dirs",
            ),
            (
                "endpoint = \"http://x/sparql\"\ntimeout_ms = 0\n",
                "graph.timeout_ms",
            ),
            (
                "endpoint = \"http://x/sparql\"\nbreaker_failures = 0\n",
                "graph.breaker_failures",
            ),
            (
                "endpoint = \"http://x/sparql\"\nrefresh_s = 0.5\n",
                "graph.refresh_s",
            ),
            (
                "endpoint = \"http://x/sparql\"\nauth_header = \"a: b\"\nauth_header_file = \"f\"\n",
                "graph.auth_header_file",
            ),
        ] {
            let f: FileConfig = toml::from_str(&format!("[graph]\n{toml}")).expect("parses");
            let err = Config::validate(f).expect_err(toml).to_string();
            assert!(err.contains(key), "{toml}: {err}");
        }
        let err =
            toml::from_str::<FileConfig>("[graph]\nendpont = \"http://x\"\n").expect_err("typo");
        assert!(err.to_string().contains("endpont"), "{err}");
    }

    #[test]
    fn profiles_merge_over_builtins() {
        let f: FileConfig =
            toml::from_str("[profiles.loose]\nblock_on_contradiction = false\n").expect("valid");
        let c = Config::validate(f).expect("valid");
        assert!(c.profiles.contains_key("default"));
        assert!(c.profiles.contains_key("strict"));
        assert!(!c.profiles["loose"].block_on_contradiction);
    }

    #[test]
    fn graph_sources_are_the_default_graph_plus_dirs_each_once() {
        let default = default_knowledge_dir().expect("the source tree's knowledge/");
        let g = GraphSection {
            default_graph: true,
            dirs: vec![PathBuf::from("extra"), default.clone()],
            ..GraphSection::default()
        };
        assert_eq!(
            g.sources().expect("sources"),
            [default.clone(), PathBuf::from("extra")]
        );
        let none = GraphSection {
            default_graph: false,
            dirs: Vec::new(),
            ..GraphSection::default()
        };
        let err = none.sources().expect_err("nothing to load");
        assert!(
            err.to_string().contains("graph.default_graph is false"),
            "{err}"
        );
        let f: FileConfig = toml::from_str(
            "[graph]
default_graph = false
",
        )
        .expect("toml");
        assert!(Config::validate(f).is_err());
    }

    #[test]
    fn cors_origins_must_be_origins() {
        for ok in [
            "*",
            "https://app.example.com",
            "http://127.0.0.1:3000",
            "http://[::1]:8080",
        ] {
            assert!(valid_origin(ok), "{ok}");
        }
        for bad in [
            "app.example.com",
            "https://app.example.com/",
            "ftp://x",
            "https://",
            "http://a b",
        ] {
            assert!(!valid_origin(bad), "{bad}");
        }
        let f: FileConfig =
            toml::from_str("[server]\ncors_origins = [\"https://ok.example\", \"nope/\"]\n")
                .expect("toml");
        let err = Config::validate(f).expect_err("bad origin");
        assert!(err.to_string().contains("server.cors_origins"), "{err}");
    }
}
