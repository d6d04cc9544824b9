//! Command line: `factgate serve`, `factgate check`, `factgate audit verify|keygen`.

use std::io::Read;
use std::path::PathBuf;
use std::sync::Arc;

use clap::{Args, Parser, Subcommand};

use crate::audit::{self, AuditConfig, AuditLog, SyncMode, Verification};
use crate::calibrate::Calibration;
use crate::config::{Config, FileConfig};
use crate::knowledge::{FactSource, Knowledge};
use crate::pipeline::{CheckInput, CheckOutcome, Checker, Passage};
use crate::telemetry::LogFormat;
use crate::verify::Verifier;

/// factgate: checks LLM responses against a knowledge graph and decides ALLOW / FLAG / BLOCK.
#[derive(Debug, Parser)]
#[command(name = "factgate", version, about)]
pub struct Cli {
    /// Log format on stderr.
    #[arg(
        long,
        env = "FACTGATE_LOG_FORMAT",
        value_enum,
        default_value = "text",
        global = true
    )]
    pub log_format: LogFormat,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the server: gRPC (Guard Check/CheckStream, Envoy ext_proc, Health, reflection,
    /// grpc-web) and HTTP/JSON with the demo page and /metrics.
    Serve(ServeArgs),
    /// Check a text in-process with the same pipeline and print the result.
    Check(CheckArgs),
    /// Audit log tools.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Fit the calibration of the verifier's signals on labeled dev data.
    Calibrate(CalibrateArgs),
    /// Evaluate the whole pipeline on labeled data (accuracy, ECE, Brier, AUROC, latency).
    Eval(EvalArgs),
    /// Lexicon authoring for your own graphs (knowledge/VOCAB.md).
    #[command(subcommand)]
    Lexicon(LexiconCommand),
}

/// `factgate lexicon ...`.
#[derive(Debug, Subcommand)]
pub enum LexiconCommand {
    /// List predicates of your graphs with no lexicon entry, entries whose template or unit
    /// does not parse, and phrases shared across predicates; exits 1 when something needs fixing.
    Check(LexiconArgs),
    /// Print a starting lexicon entry (Turtle) for every predicate of your graphs that has none.
    Suggest(LexiconArgs),
}

/// Arguments of `lexicon check` / `lexicon suggest`.
#[derive(Debug, Args)]
pub struct LexiconArgs {
    /// Your RDF directories or files (loaded next to the default graph and its lexicon).
    #[arg(required = true)]
    pub dirs: Vec<PathBuf>,
    /// Do not load the default graph (your directories then carry the whole lexicon).
    #[arg(long)]
    pub no_default_graph: bool,
}

/// `factgate calibrate`.
#[derive(Debug, Args)]
pub struct CalibrateArgs {
    #[command(flatten)]
    pub common: CommonArgs,
    /// Labeled JSON Lines files, gzipped when named `.gz` (dev splits only; see models/data/README.md).
    #[arg(long = "data", required = true, num_args = 1..)]
    pub data: Vec<PathBuf>,
    /// More labeled files of whole responses (several sentences each, with `correct`), used only
    /// for how claim confidences combine into the response's and for the SUPPORTED / CONTRADICTED
    /// bars chosen on whole responses; not for the claim model. Rows with one claim are ignored.
    #[arg(long = "response-data", num_args = 1..)]
    pub response_data: Vec<PathBuf>,
    /// Where to write the calibration JSON.
    #[arg(long)]
    pub out: PathBuf,
}

/// `factgate eval`.
#[derive(Debug, Args)]
pub struct EvalArgs {
    #[command(flatten)]
    pub common: CommonArgs,
    /// Labeled JSON Lines files, gzipped when named `.gz`.
    #[arg(long = "data", required = true, num_args = 1..)]
    pub data: Vec<PathBuf>,
    /// Write metrics.json and a reliability diagram (SVG) per file into this directory.
    #[arg(long)]
    pub report: Option<PathBuf>,
    /// With --report: also write rows-<file>.jsonl, each row's label and the checker's answer
    /// claim by claim (status, confidence, support, calibration signals), to see what it got wrong.
    #[arg(long, requires = "report")]
    pub rows: bool,
}

/// Settings shared by `serve` and `check`.
#[derive(Debug, Args)]
pub struct CommonArgs {
    /// TOML config file (flags and environment variables override it).
    #[arg(long, env = "FACTGATE_CONFIG")]
    pub config: Option<PathBuf>,
    /// Directory (or file) of RDF files to load next to the default graph; repeat for several.
    #[arg(long = "knowledge", env = "FACTGATE_KNOWLEDGE", value_delimiter = ',')]
    pub knowledge: Vec<PathBuf>,
    /// Do not load the default graph (countries, cities, elements, airports, lexicon): only
    /// --knowledge, which then needs its own lexicon.
    #[arg(long, env = "FACTGATE_NO_DEFAULT_GRAPH")]
    pub no_default_graph: bool,
    /// Neural verifier: on (default) or off (symbolic checks only).
    #[arg(long, env = "FACTGATE_VERIFIER", value_parser = ["on", "off"])]
    pub verifier: Option<String>,
    /// Verifier execution provider [default: cpu].
    #[arg(long, env = "FACTGATE_PROVIDER", value_enum)]
    pub provider: Option<crate::verify::Provider>,
    /// Verifier intra-op threads per model worker [default: 1].
    #[arg(long, env = "FACTGATE_INTRA_THREADS")]
    pub intra_threads: Option<usize>,
    /// Verifier model workers, one ONNX Runtime session each; 0 = by provider (CPU: cores /
    /// intra-op threads, at most 8; GPU: 1) [default: 0].
    #[arg(long, env = "FACTGATE_WORKERS")]
    pub workers: Option<usize>,
    /// Verifier model directory [default: models/verifier].
    #[arg(long, env = "FACTGATE_MODEL_DIR")]
    pub model_dir: Option<PathBuf>,
    /// Calibration file [default: models/calibration.json].
    #[arg(long, env = "FACTGATE_CALIBRATION")]
    pub calibration: Option<PathBuf>,
    /// Remote SPARQL 1.1 query URL used as the graph instead of RDF files (`[graph] endpoint`;
    /// README "Remote SPARQL endpoint").
    #[arg(long, env = "FACTGATE_SPARQL_ENDPOINT", value_name = "URL")]
    pub sparql_endpoint: Option<String>,
    /// On-disk graph store directory (`[graph] store_path`; needs a build with `--features
    /// rocksdb`): the files are loaded into it once and reopened without parsing while they
    /// stay the same.
    #[arg(long, env = "FACTGATE_GRAPH_STORE", value_name = "DIR")]
    pub graph_store: Option<PathBuf>,
}

/// `factgate serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    #[command(flatten)]
    pub common: CommonArgs,
    /// Listen address [default: 127.0.0.1:50051].
    #[arg(long, env = "FACTGATE_LISTEN")]
    pub listen: Option<std::net::SocketAddr>,
    /// Audit log file [default: factgate-audit.jsonl].
    #[arg(long, env = "FACTGATE_AUDIT_LOG")]
    pub audit_log: Option<PathBuf>,
    /// Audit durability: always, batch (group commit, default) or none.
    #[arg(long, env = "FACTGATE_AUDIT_SYNC", value_enum)]
    pub audit_sync: Option<SyncMode>,
    /// Ed25519 private key (`factgate audit keygen`) that signs audit checkpoints
    /// [default: none, no checkpoints].
    #[arg(long, env = "FACTGATE_AUDIT_SIGNING_KEY")]
    pub audit_signing_key: Option<PathBuf>,
    /// Most concurrent checks before RESOURCE_EXHAUSTED [default: 64].
    #[arg(long, env = "FACTGATE_MAX_CONCURRENCY")]
    pub max_concurrency: Option<usize>,
    /// Seconds running checks get after SIGTERM before they are cancelled [default: 10].
    #[arg(long, env = "FACTGATE_SHUTDOWN_GRACE_S")]
    pub shutdown_grace_s: Option<f64>,
    /// TLS: PEM server certificate chain (with --tls-key) [default: plaintext].
    #[arg(long, env = "FACTGATE_TLS_CERT")]
    pub tls_cert: Option<PathBuf>,
    /// TLS: PEM private key of --tls-cert.
    #[arg(long, env = "FACTGATE_TLS_KEY")]
    pub tls_key: Option<PathBuf>,
    /// Mutual TLS: PEM CA that client certificates must be signed by (needs TLS).
    #[arg(long, env = "FACTGATE_TLS_CLIENT_CA")]
    pub tls_client_ca: Option<PathBuf>,
    /// File of accepted bearer tokens, one per line (`#` comments); Guard and ext_proc calls
    /// then need `authorization: Bearer <token>` (health and reflection stay open).
    #[arg(long, env = "FACTGATE_AUTH_TOKENS_FILE")]
    pub auth_tokens_file: Option<PathBuf>,
    /// HTTP/JSON address (POST /v1/check, demo page at /, /healthz, /readyz, /metrics); "off"
    /// for none [default: 127.0.0.1:8080].
    #[arg(long, env = "FACTGATE_HTTP_LISTEN")]
    pub http_listen: Option<String>,
    /// Browser origin allowed to call the HTTP API and grpc-web (CORS), e.g.
    /// https://app.example.com; repeatable; "*" for any [default: none, same origin only].
    #[arg(long = "cors-origin", value_name = "ORIGIN")]
    pub cors_origins: Vec<String>,
    /// Do not serve the demo page at GET / on the HTTP port.
    #[arg(long)]
    pub no_demo_page: bool,
}

/// Applies the TLS flags over the file's `[server.tls]`: a flag replaces the file's value; a
/// certificate needs a key and the other way round, a client CA needs both.
pub fn apply_tls_flags(
    file: Option<crate::config::TlsSection>,
    cert: Option<PathBuf>,
    key: Option<PathBuf>,
    client_ca: Option<PathBuf>,
) -> anyhow::Result<Option<crate::config::TlsSection>> {
    let cert = cert.or_else(|| file.as_ref().map(|t| t.cert.clone()));
    let key = key.or_else(|| file.as_ref().map(|t| t.key.clone()));
    let client_ca = client_ca.or_else(|| file.and_then(|t| t.client_ca));
    match (cert, key) {
        (Some(cert), Some(key)) => Ok(Some(crate::config::TlsSection {
            cert,
            key,
            client_ca,
        })),
        (None, None) if client_ca.is_some() => Err(anyhow::anyhow!(
            "--tls-client-ca (server.tls.client_ca) needs TLS: set --tls-cert and --tls-key too"
        )),
        (None, None) => Ok(None),
        (Some(_), None) => Err(anyhow::anyhow!(
            "--tls-cert is set without --tls-key (server.tls.key)"
        )),
        (None, Some(_)) => Err(anyhow::anyhow!(
            "--tls-key is set without --tls-cert (server.tls.cert)"
        )),
    }
}

/// `factgate check`.
#[derive(Debug, Args)]
pub struct CheckArgs {
    #[command(flatten)]
    pub common: CommonArgs,
    /// The text to check (else --file, else stdin).
    pub text: Option<String>,
    /// Read the text from this file.
    #[arg(long, conflicts_with = "text")]
    pub file: Option<PathBuf>,
    /// The prompt the text answers.
    #[arg(long, default_value = "")]
    pub prompt: String,
    /// A context passage to ground the text in, read from this file (repeatable; each file is
    /// one passage, its id the file name).
    #[arg(long = "context", value_name = "FILE")]
    pub context: Vec<PathBuf>,
    /// Policy profile.
    #[arg(long, default_value = "")]
    pub policy: String,
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
    /// Also append the decision to this audit log.
    #[arg(long)]
    pub audit_log: Option<PathBuf>,
}

/// `factgate audit ...`.
#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Verify hash chains; exits non-zero and names the first bad record on any break.
    Verify {
        /// Public key (`<key>.pub` from `audit keygen`): every checkpoint must be signed by it
        /// and match the chain, and at least one must exist.
        #[arg(long)]
        public_key: Option<PathBuf>,
        /// Log files in chain order. A single active log brings its rotated `<path>.<n>` files.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
    },
    /// Per-LLM / per-tenant / per-profile report: verdict mix, contradicted-claim rate, the
    /// facts behind contradictions, errors; the chain is verified first.
    Report {
        /// Group by the profile, or the request label `model` or `tenant`.
        #[arg(long, value_enum, default_value = "profile")]
        by: crate::report::GroupBy,
        /// Only records at or after this RFC 3339 UTC time (or date, e.g. 2026-12-01).
        #[arg(long)]
        since: Option<String>,
        /// Only records before this time; a date or prefix includes all of it.
        #[arg(long)]
        until: Option<String>,
        /// JSON instead of text.
        #[arg(long, conflicts_with = "html")]
        json: bool,
        /// A self-contained HTML page with a chart per group, instead of text.
        #[arg(long)]
        html: bool,
        /// Log files in chain order. A single active log brings its rotated `<path>.<n>` files.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
    },
    /// Print one decision: by audit id (`<seq>-<hash16>`, as in responses) or request id.
    Show {
        /// Audit id or request id.
        id: String,
        /// Log files (a single active log brings its rotated files).
        #[arg(required = true)]
        paths: Vec<PathBuf>,
    },
    /// Write a new Ed25519 signing key to FILE (mode 0600) and its public key to FILE.pub.
    Keygen {
        /// Private key file to create (never overwritten).
        #[arg(long)]
        out: PathBuf,
    },
}

/// The graph files, into memory or (`store_path`, `--features rocksdb`) an on-disk store.
fn load_graph(
    sources: &[PathBuf],
    store_path: Option<&std::path::Path>,
) -> Result<Knowledge, String> {
    match store_path {
        #[cfg(feature = "rocksdb")]
        Some(dir) => Knowledge::open_persistent(sources, dir),
        // Config validation refuses store_path in a build without the store.
        #[cfg(not(feature = "rocksdb"))]
        Some(_) => Knowledge::load(sources),
        None => Knowledge::load(sources),
    }
    .map_err(|e| e.to_string())
}

/// Loads the config file (if any) and applies the common flags.
fn file_config(common: &CommonArgs) -> anyhow::Result<FileConfig> {
    let mut f = match &common.config {
        Some(p) => FileConfig::read(p)?,
        None => FileConfig::default(),
    };
    f.graph.dirs.extend(common.knowledge.iter().cloned());
    if common.no_default_graph {
        f.graph.default_graph = false;
    }
    if let Some(e) = &common.sparql_endpoint {
        f.graph.endpoint = Some(e.clone());
    }
    if let Some(p) = &common.graph_store {
        f.graph.store_path = Some(p.clone());
    }
    if let Some(v) = &common.verifier {
        f.verifier.enabled = v == "on";
    }
    if let Some(p) = common.provider {
        f.verifier.provider = p;
    }
    if let Some(n) = common.intra_threads {
        f.verifier.intra_threads = n;
    }
    if let Some(n) = common.workers {
        f.verifier.workers = n;
    }
    if let Some(d) = &common.model_dir {
        f.verifier.model_dir = d.clone();
    }
    if let Some(c) = &common.calibration {
        f.verifier.calibration = c.clone();
    }
    Ok(f)
}

/// Builds a checker for a validated config: graph, audit log, and (when enabled) the verifier
/// with its calibration. `need_calibration = false` only for `factgate calibrate` itself.
pub fn build_checker(
    config: &Config,
    audit: Option<AuditConfig>,
    need_calibration: bool,
) -> Result<Checker, String> {
    let (kg, facts, remote): (Arc<Knowledge>, Arc<dyn FactSource>, _) =
        if config.graph.endpoint.is_some() {
            let settings = crate::remote::RemoteSettings::from_config(&config.graph)
                .map_err(|e| e.to_string())?;
            let remote =
                Arc::new(crate::remote::RemoteGraph::new(settings).map_err(|e| e.to_string())?);
            let kg = Arc::new(remote.load_knowledge().map_err(|e| e.to_string())?);
            (kg, remote.clone(), Some(remote))
        } else {
            let sources = config.graph.sources().map_err(|e| e.to_string())?;
            tracing::info!(
                default_graph = config.graph.default_graph,
                sources = ?sources,
                "loading knowledge graphs"
            );
            let kg = Arc::new(load_graph(&sources, config.graph.store_path.as_deref())?);
            (kg.clone(), kg, None)
        };
    let audit = match audit {
        Some(a) => Some(Arc::new(AuditLog::open(a).map_err(|e| e.to_string())?)),
        None => None,
    };
    let checker = Checker::new(kg, facts, config.profiles.clone(), audit);
    if let Some(remote) = remote {
        if let Some(every) = remote.client().settings().refresh {
            crate::remote::spawn_refresh(remote, checker.knowledge_handle(), every)
                .map_err(|e| format!("cannot start the index refresh thread: {e}"))?;
            tracing::info!(
                every_s = every.as_secs_f64(),
                "graph index refresh scheduled (graph.refresh_s)"
            );
        }
    }
    if !config.verifier.enabled {
        tracing::info!("verifier off: symbolic checks only");
        return Ok(checker);
    }
    let calibration = if need_calibration {
        Some(Arc::new(
            Calibration::load(&config.verifier.calibration).map_err(|e| e.to_string())?,
        ))
    } else {
        None
    };
    let verifier = Verifier::load(&config.verifier).map_err(|e| e.to_string())?;
    tracing::info!(
        model = %verifier.config.version,
        provider = %verifier.provider,
        calibration = calibration.as_ref().map(|c| c.id.as_str()).unwrap_or("none"),
        "verifier ready (warm-up batch done)"
    );
    Ok(checker.with_neural(Arc::new(verifier), calibration))
}

/// Runs the CLI. Returns the process exit code.
pub fn run(cli: Cli) -> anyhow::Result<i32> {
    crate::telemetry::init(cli.log_format);
    let code = run_command(cli.command);
    crate::telemetry::shutdown();
    code
}

fn run_command(command: Command) -> anyhow::Result<i32> {
    match command {
        Command::Serve(args) => {
            let mut f = file_config(&args.common)?;
            if let Some(l) = args.listen {
                f.server.listen = l;
            }
            if let Some(p) = args.audit_log {
                f.audit.path = p;
            }
            if let Some(s) = args.audit_sync {
                f.audit.sync = s;
            }
            if let Some(k) = args.audit_signing_key {
                f.audit.signing_key = Some(k);
            }
            if let Some(n) = args.max_concurrency {
                f.server.max_concurrency = n;
            }
            if let Some(g) = args.shutdown_grace_s {
                f.server.shutdown_grace_s = g;
            }
            f.server.tls = apply_tls_flags(
                f.server.tls.take(),
                args.tls_cert,
                args.tls_key,
                args.tls_client_ca,
            )?;
            if let Some(t) = args.auth_tokens_file {
                f.server.auth_tokens_file = Some(t);
            }
            if let Some(h) = args.http_listen {
                f.server.http_listen = if h == "off" { String::new() } else { h };
            }
            if !args.cors_origins.is_empty() {
                f.server.cors_origins = args.cors_origins;
            }
            if args.no_demo_page {
                f.server.demo_page = false;
            }
            let config = Config::validate(f)?;
            let _ = crate::telemetry::LABEL_VALUES.set(config.server.metrics_label_values);
            // TLS files and tokens are read before the port is bound: a bad file fails fast.
            let mut options = crate::serve::ServeOptions::from_config(&config.server)?;
            if let Some(p) = &config.server.drift_reference {
                match std::fs::read_to_string(p)
                    .map_err(|e| e.to_string())
                    .and_then(|t| {
                        serde_json::from_str::<crate::telemetry::DriftReference>(&t)
                            .map_err(|e| e.to_string())
                    }) {
                    Ok(r) => {
                        tracing::info!(file = %p.display(), source = %r.source, "drift reference loaded: factgate_confidence_psi per model label");
                        let _ = crate::telemetry::DRIFT.set(crate::telemetry::Drift::new(r));
                    }
                    Err(e) => {
                        tracing::warn!(file = %p.display(), error = %e, "no drift reference (server.drift_reference): the drift gauge is off")
                    }
                }
            }
            if !config.server.http_listen.is_empty() {
                let addr = &config.server.http_listen;
                let l = std::net::TcpListener::bind(addr).map_err(|e| {
                    anyhow::anyhow!(
                        "cannot listen on {addr} (server.http_listen / --http-listen): {e}"
                    )
                })?;
                options.http = Some(Arc::new(l));
            }
            // Fail before listening if the signing key is unusable (the error names the file).
            if let Some(k) = &config.audit.signing_key {
                audit::CheckpointSigner::load(k)?;
            }
            let rt = tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()?;
            rt.block_on(async move {
                let listener = tokio::net::TcpListener::bind(config.server.listen)
                    .await
                    .map_err(|e| {
                        anyhow::anyhow!("cannot listen on {}: {e}", config.server.listen)
                    })?;
                let audit_cfg = config.audit.clone();
                let cfg = config.clone();
                let loader: crate::serve::Loader =
                    Box::new(move || build_checker(&cfg, Some(audit_cfg), true));
                crate::serve::serve(listener, options, loader, crate::serve::shutdown_signal())
                    .await?;
                anyhow::Ok(())
            })?;
            Ok(0)
        }
        Command::Check(args) => {
            let config = Config::validate(file_config(&args.common)?)?;
            let text = match (&args.text, &args.file) {
                (Some(t), _) => t.clone(),
                (None, Some(p)) => std::fs::read_to_string(p)
                    .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", p.display()))?,
                (None, None) => {
                    let mut s = String::new();
                    std::io::stdin().read_to_string(&mut s)?;
                    s
                }
            };
            let audit = args.audit_log.map(|path| AuditConfig {
                path,
                ..config.audit.clone()
            });
            let context = args
                .context
                .iter()
                .map(|p| {
                    Ok(Passage {
                        id: p.file_name().map_or_else(
                            || p.display().to_string(),
                            |n| n.to_string_lossy().into(),
                        ),
                        text: std::fs::read_to_string(p).map_err(|e| {
                            anyhow::anyhow!("--context: cannot read {}: {e}", p.display())
                        })?,
                    })
                })
                .collect::<anyhow::Result<Vec<_>>>()?;
            let checker = build_checker(&config, audit, true).map_err(|e| anyhow::anyhow!(e))?;
            let outcome = checker.check(&CheckInput {
                response: text,
                prompt: args.prompt,
                context,
                policy: args.policy,
                ..Default::default()
            });
            checker.shutdown();
            let outcome = outcome?;
            if args.json {
                println!("{}", serde_json::to_string_pretty(&outcome)?);
            } else {
                print!("{}", render_table(&outcome));
            }
            Ok(0)
        }
        Command::Calibrate(args) => {
            let config = Config::validate(file_config(&args.common)?)?;
            let mut checker =
                build_checker(&config, None, false).map_err(|e| anyhow::anyhow!(e))?;
            let cal = crate::eval::calibrate(&mut checker, &args.data, &args.response_data)
                .map_err(|e| anyhow::anyhow!(e))?;
            std::fs::write(&args.out, serde_json::to_string_pretty(&cal)? + "\n")
                .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", args.out.display()))?;
            println!(
                "{} written to {} ({})",
                cal.id,
                args.out.display(),
                cal.metrics
            );
            Ok(0)
        }
        Command::Eval(args) => {
            let config = Config::validate(file_config(&args.common)?)?;
            let checker = build_checker(&config, None, true).map_err(|e| anyhow::anyhow!(e))?;
            let reports =
                crate::eval::evaluate(&checker, &args.data).map_err(|e| anyhow::anyhow!(e))?;
            print!("{}", crate::eval::render(&reports));
            if let Some(dir) = &args.report {
                std::fs::create_dir_all(dir)?;
                let meta = serde_json::json!({
                    "versions": {
                        "model": checker.verifier().map(|v| v.config.version.clone()),
                        "graph": checker.knowledge().snapshot,
                    },
                    "files": reports,
                });
                std::fs::write(
                    dir.join("metrics.json"),
                    serde_json::to_string_pretty(&meta)? + "\n",
                )?;
                for r in &reports {
                    // "summary_test.jsonl.gz" and "summary_test.jsonl" both name "summary_test".
                    let stem = std::path::Path::new(&r.file)
                        .file_stem()
                        .and_then(|s| s.to_str())
                        .unwrap_or("data");
                    let stem = stem.strip_suffix(".jsonl").unwrap_or(stem);
                    std::fs::write(
                        dir.join(format!("reliability-{stem}.svg")),
                        crate::calibrate::reliability_svg(stem, &r.metrics),
                    )?;
                    if args.rows {
                        let mut text = String::new();
                        for line in &r.rows {
                            text += &serde_json::to_string(line)?;
                            text.push('\n');
                        }
                        std::fs::write(dir.join(format!("rows-{stem}.jsonl")), text)?;
                    }
                }
                // The claim-confidence distribution the server's drift gauge compares with.
                let all: Vec<f64> = reports
                    .iter()
                    .flat_map(|r| r.claim_confidences.iter().copied())
                    .collect();
                let reference = crate::telemetry::DriftReference::from_confidences(
                    &all,
                    format!(
                        "factgate eval, calibration {}, {} file(s)",
                        checker
                            .calibration_id()
                            .unwrap_or(crate::calibrate::NONE_ID),
                        reports.len()
                    ),
                );
                std::fs::write(
                    dir.join("drift-reference.json"),
                    serde_json::to_string_pretty(&reference)? + "\n",
                )?;
                println!("report written to {}", dir.display());
            }
            Ok(0)
        }
        Command::Lexicon(cmd) => {
            let (args, suggest) = match cmd {
                LexiconCommand::Check(a) => (a, false),
                LexiconCommand::Suggest(a) => (a, true),
            };
            let graph = crate::config::GraphSection {
                default_graph: !args.no_default_graph,
                dirs: args.dirs.clone(),
                ..Default::default()
            };
            let kg = Knowledge::load(&graph.sources()?)?;
            let report = crate::lexicon::check(&kg, &args.dirs);
            if suggest {
                print!("{}", crate::lexicon::suggest(&report));
                return Ok(0);
            }
            print!("{}", crate::lexicon::render(&report));
            Ok(if report.is_clean() { 0 } else { 1 })
        }
        Command::Audit(AuditCommand::Report {
            by,
            since,
            until,
            json,
            html,
            paths,
        }) => {
            let files = audit::files_to_verify(&paths);
            let verified = match audit::verify(&files)? {
                Verification::Intact { records, .. } => records,
                broken => {
                    anyhow::bail!(
                        "the audit chain does not verify, so no report is made: {broken:?} \
                         (run `factgate audit verify` for details)"
                    )
                }
            };
            let records = crate::report::records(&files).map_err(anyhow::Error::msg)?;
            let report =
                crate::report::build(&records, by, since.as_deref(), until.as_deref(), verified);
            if json {
                println!("{}", serde_json::to_string_pretty(&report)?);
            } else if html {
                print!("{}", crate::report::render_html(&report));
            } else {
                print!("{}", crate::report::render(&report));
            }
            Ok(0)
        }
        Command::Audit(AuditCommand::Show { id, paths }) => {
            let files = audit::files_to_verify(&paths);
            let records = crate::report::records(&files).map_err(anyhow::Error::msg)?;
            match crate::report::find(&records, &id) {
                Some(r) => {
                    println!("{}", serde_json::to_string_pretty(r)?);
                    Ok(0)
                }
                None => {
                    eprintln!(
                        "no record with audit id or request id {id:?} in {} file(s)",
                        files.len()
                    );
                    Ok(1)
                }
            }
        }
        Command::Audit(AuditCommand::Keygen { out }) => {
            let k = audit::keygen(&out)?;
            println!(
                "wrote private key {} (mode 0600) and public key {}; key_id {}",
                k.private.display(),
                k.public.display(),
                k.key_id
            );
            Ok(0)
        }
        Command::Audit(AuditCommand::Verify { public_key, paths }) => {
            let files = audit::files_to_verify(&paths);
            let key = match &public_key {
                Some(p) => Some(audit::CheckpointKey::load(p)?),
                None => None,
            };
            match audit::verify_with(&files, key.as_ref())? {
                Verification::Intact {
                    records, signed, ..
                } if key.is_some() && signed.is_none() => {
                    println!(
                        "UNSIGNED: {records} records form an intact hash chain, but there is no checkpoint to check against {}: nothing is signed (was the log written with a signing key?)",
                        key.as_ref().map(|k| k.path().display().to_string()).unwrap_or_default()
                    );
                    Ok(1)
                }
                Verification::Intact {
                    records,
                    first_seq,
                    last_hash,
                    signed,
                    ..
                } => {
                    let signed = signed
                        .map(|h| {
                            format!(
                                ", signed up to seq {} by key {} ({} records after its checkpoint are an unsigned tail)",
                                h.signed_seq, h.key_id, h.unsigned_tail
                            )
                        })
                        .unwrap_or_default();
                    println!(
                        "OK: {records} records verified in {} file(s){signed}{}{}",
                        files.len(),
                        first_seq
                            .filter(|&s| s > 0)
                            .map(|s| format!(", chain anchored at seq {s} (older files not given)"))
                            .unwrap_or_default(),
                        last_hash
                            .map(|h| format!(", last hash {h}"))
                            .unwrap_or_default()
                    );
                    Ok(0)
                }
                Verification::Broken {
                    path,
                    line,
                    seq,
                    message,
                } => {
                    println!(
                        "BROKEN: {}:{line}{}: {message}",
                        path.display(),
                        seq.map(|s| format!(" (seq {s})")).unwrap_or_default()
                    );
                    Ok(1)
                }
            }
        }
    }
}

/// A status as the wire and the audit log spell it (`SUPPORTED`, ...).
fn status_name(s: crate::reason::Status) -> String {
    serde_json::to_value(s)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

/// Human-readable table of an outcome.
pub fn render_table(o: &CheckOutcome) -> String {
    use std::fmt::Write;
    let mut s = String::new();
    let _ = writeln!(
        s,
        "verdict {:?}  confidence {:.2}  status {}  audit {}",
        o.verdict,
        o.confidence,
        status_name(o.status),
        if o.audit_id.is_empty() {
            "-"
        } else {
            &o.audit_id
        }
    );
    for r in &o.reasons {
        let _ = writeln!(s, "  reason {}: {}", r.code, r.message);
    }
    let _ = writeln!(s, "{:<3} {:<13} {:>5}  claim", "#", "status", "conf");
    for (i, c) in o.claims.iter().enumerate() {
        let status = status_name(c.status);
        let _ = writeln!(
            s,
            "{:<3} {:<13} {:>5.2}  {}",
            i + 1,
            status,
            c.confidence,
            c.text
        );
        if let Some(p) = c.support {
            let _ = writeln!(s, "      support (P evidence entails): {p:.2}");
        }
        for e in &c.evidence {
            let _ = writeln!(s, "      evidence: {}", e.text);
            match &e.passage_span {
                Some(span) => {
                    let _ = writeln!(
                        s,
                        "        passage {:?} utf-16 {}..{}",
                        e.passage_id, span.start_utf16, span.end_utf16
                    );
                }
                None => {
                    let _ = writeln!(
                        s,
                        "        <{}> <{}> {} (graph <{}>)",
                        e.subject, e.predicate, e.object, e.graph
                    );
                }
            }
        }
        if !c.explanation.is_empty() {
            let _ = writeln!(s, "      why: {}", c.explanation);
        }
    }
    let _ = writeln!(
        s,
        "graph {}  policy {}  model {}  calibration {}",
        &o.versions.graph[..12.min(o.versions.graph.len())],
        o.versions.policy,
        o.versions.model,
        o.versions.calibration
    );
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_definition_is_valid() {
        Cli::command().debug_assert();
    }

    #[test]
    fn tls_flags_override_the_file_and_must_come_in_pairs() {
        use crate::config::TlsSection;
        let p = |s: &str| Some(PathBuf::from(s));
        assert_eq!(apply_tls_flags(None, None, None, None).expect("off"), None);
        let file = TlsSection {
            cert: "f.pem".into(),
            key: "f.key".into(),
            client_ca: None,
        };
        let merged = apply_tls_flags(Some(file), p("c.pem"), None, p("ca.pem"))
            .expect("merged")
            .expect("on");
        assert_eq!(merged.cert, PathBuf::from("c.pem"));
        assert_eq!(merged.key, PathBuf::from("f.key"));
        assert_eq!(merged.client_ca, p("ca.pem"));
        let err = apply_tls_flags(None, p("c.pem"), None, None).expect_err("no key");
        assert!(err.to_string().contains("--tls-key"), "{err}");
        let err = apply_tls_flags(None, None, p("k.pem"), None).expect_err("no cert");
        assert!(err.to_string().contains("--tls-cert"), "{err}");
        let err = apply_tls_flags(None, None, None, p("ca.pem")).expect_err("ca alone");
        assert!(err.to_string().contains("--tls-client-ca"), "{err}");
    }
}
