//! Verify stage (neural): an encoder cross-encoder scores (evidence, claim) pairs as
//! SUPPORTS / REFUTES / NOT_ENOUGH_INFO through ONNX Runtime (`ort`, library loaded at run time).
//!
//! Pairs are tokenized by the caller's thread and each submission's pairs queued longest first
//! ([`longest_first`]; results come back in submission order). Model workers (threads, each
//! owning its own ONNX session) take batches from one pure queue [`State`] bounded by a token
//! budget (padded rows x columns) and a row limit; entries whose caller went away are dropped
//! before running. A backend failure reaches every request of its batch (the error is `Clone`).
//! On CPU the default is one single-threaded worker per core: short pairs keep cores busier as
//! parallel runs than as one multi-threaded run (measured 916 vs 529 pairs/s on 2 cores).

use std::collections::{HashMap, VecDeque};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex};

use serde::Deserialize;
use tokenizers::Tokenizer;
use tokio::sync::oneshot;

/// Verifier failures. `Clone` so one failure can answer every request of a batch.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum VerifyError {
    /// A model file is missing, unreadable or does not match its config.
    #[error("verifier file {file}: {message}")]
    File {
        /// The file.
        file: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// The ONNX Runtime library could not be loaded.
    #[error("ONNX Runtime library {path}: {message} (run `make ort` or scripts/fetch-onnxruntime.sh, or set ORT_DYLIB_PATH)")]
    Runtime {
        /// Library path tried.
        path: PathBuf,
        /// Loader message.
        message: String,
    },
    /// An explicitly requested execution provider could not be registered.
    #[error("execution provider {provider} is not available: {message}")]
    Provider {
        /// Provider name.
        provider: String,
        /// Why.
        message: String,
    },
    /// Inference failed.
    #[error("verifier inference failed: {0}")]
    Inference(String),
    /// The model workers are stopped.
    #[error("verifier backend is not running")]
    Closed,
}

/// `models/verifier/config.json`.
#[derive(Debug, Clone, Deserialize)]
pub struct ModelConfig {
    /// Output order of the logits.
    pub labels: Vec<String>,
    /// Truncation length of a pair.
    pub max_length: usize,
    /// ONNX input names: ids, mask, type ids.
    pub input_names: Vec<String>,
    /// ONNX output name.
    pub output_name: String,
    /// Temperature fitted on dev.
    pub temperature: f64,
    /// SHA-256 of `model.onnx`.
    pub onnx_sha256: String,
    /// Padding token id.
    pub pad_id: u32,
    /// Model id reported in `versions.model`.
    pub version: String,
}

/// Execution provider choice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum Provider {
    /// CPU only.
    Cpu,
    /// CUDA (error if unavailable).
    Cuda,
    /// TensorRT (error if unavailable).
    Tensorrt,
    /// CUDA when available, else CPU (logged).
    Auto,
}

/// Verifier settings.
#[derive(Debug, Clone, PartialEq, serde::Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct VerifyConfig {
    /// Run the neural stage (off: symbolic checks only, `versions.model = "none"`).
    pub enabled: bool,
    /// Directory with model.onnx, tokenizer.json, config.json.
    pub model_dir: PathBuf,
    /// Calibration file fitted for this model (`factgate calibrate`).
    pub calibration: PathBuf,
    /// Execution provider.
    pub provider: Provider,
    /// Intra-op threads per model worker.
    pub intra_threads: usize,
    /// Model workers, each with its own ONNX Runtime session, taking batches from one queue;
    /// 0 = by provider: on CPU the available cores / `intra_threads`, at most 8 (short pairs use
    /// cores better as parallel single-threaded runs than as one multi-threaded run), 1 on a GPU.
    pub workers: usize,
    /// Most padded tokens (rows x longest row) per batch.
    pub max_batch_tokens: usize,
    /// Most pairs per batch; 0 = by provider: 1 on CPU, 64 on a GPU. On CPU the int8 model's
    /// dynamic activation quantization sees every row of a batch, so batching would make a
    /// pair's score depend on its batch neighbours (measured: up to 0.5 logits); one pair per
    /// run keeps scores reproducible, and padding-free single runs are not slower per pair there.
    pub max_batch_size: usize,
    /// Path of libonnxruntime (else ORT_DYLIB_PATH, else .onnxruntime/ next to the sources).
    pub ort_lib: Option<PathBuf>,
}

impl Default for VerifyConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            model_dir: default_model_dir(),
            calibration: default_model_dir()
                .parent()
                .map(|p| p.join("calibration.json"))
                .unwrap_or_else(|| PathBuf::from("models/calibration.json")),
            provider: Provider::Cpu,
            intra_threads: 1,
            workers: 0,
            max_batch_tokens: 8192,
            max_batch_size: 0,
            ort_lib: None,
        }
    }
}

/// Most workers `workers = 0` starts on CPU (each holds its own session, ~30 MB resident).
pub const DEFAULT_MAX_WORKERS: usize = 8;

impl VerifyConfig {
    /// The settings with the "by provider" zeros filled in for `provider` ("cpu", "cuda", …):
    /// `max_batch_size` 1 on CPU, 64 on a GPU; `workers` cores / `intra_threads` on CPU (at
    /// most [`DEFAULT_MAX_WORKERS`]), 1 on a GPU.
    pub fn for_provider(&self, provider: &str) -> Self {
        let mut cfg = self.clone();
        let on_cpu = provider == "cpu";
        if cfg.max_batch_size == 0 {
            cfg.max_batch_size = if on_cpu { 1 } else { 64 };
        }
        if cfg.workers == 0 {
            let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
            cfg.workers = if on_cpu {
                (cores / cfg.intra_threads.max(1)).clamp(1, DEFAULT_MAX_WORKERS)
            } else {
                1
            };
        }
        cfg
    }
}

/// `models/verifier` in the current directory, else next to the sources.
pub fn default_model_dir() -> PathBuf {
    let local = PathBuf::from("models/verifier");
    if local.is_dir() {
        return local;
    }
    Path::new(env!("CARGO_MANIFEST_DIR")).join("models/verifier")
}

/// The ONNX Runtime library to load.
pub fn ort_library(explicit: Option<&Path>) -> PathBuf {
    if let Some(p) = explicit {
        return p.to_path_buf();
    }
    if let Some(p) = std::env::var_os("ORT_DYLIB_PATH") {
        return PathBuf::from(p);
    }
    let name = ".onnxruntime/libonnxruntime.so.1.31.1";
    let local = PathBuf::from(name);
    if local.is_file() {
        return local;
    }
    Path::new(env!("CARGO_MANIFEST_DIR")).join(name)
}

/// One tokenized pair.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Encoded {
    /// Token ids.
    pub ids: Vec<i64>,
    /// Segment ids (1 for the claim).
    pub type_ids: Vec<i64>,
}

impl From<&tokenizers::Encoding> for Encoded {
    fn from(enc: &tokenizers::Encoding) -> Self {
        Self {
            ids: enc.get_ids().iter().map(|&i| i64::from(i)).collect(),
            type_ids: enc.get_type_ids().iter().map(|&i| i64::from(i)).collect(),
        }
    }
}

/// A padded batch, row-major.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Batch {
    /// Rows.
    pub rows: usize,
    /// Columns (longest row).
    pub cols: usize,
    /// Ids, padded with `pad_id`.
    pub input_ids: Vec<i64>,
    /// 1 for real tokens.
    pub attention_mask: Vec<i64>,
    /// Segment ids.
    pub token_type_ids: Vec<i64>,
}

impl Batch {
    /// Pads `items` to the longest.
    pub fn pad(items: &[&Encoded], pad_id: i64) -> Self {
        let rows = items.len();
        let cols = items.iter().map(|e| e.ids.len()).max().unwrap_or(0);
        let mut b = Batch {
            rows,
            cols,
            input_ids: vec![pad_id; rows * cols],
            attention_mask: vec![0; rows * cols],
            token_type_ids: vec![0; rows * cols],
        };
        for (r, e) in items.iter().enumerate() {
            for (c, (&id, &ty)) in e.ids.iter().zip(&e.type_ids).enumerate() {
                b.input_ids[r * cols + c] = id;
                b.attention_mask[r * cols + c] = 1;
                b.token_type_ids[r * cols + c] = ty;
            }
        }
        b
    }
}

/// A model backend: synchronous, over a flat padded batch, returning raw logits per row.
pub trait Backend: Send {
    /// Runs the batch.
    fn predict(&mut self, batch: &Batch) -> Result<Vec<[f32; 3]>, VerifyError>;
}

/// Probabilities after temperature scaling, in [`ModelConfig::labels`] order
/// (SUPPORTS, REFUTES, NOT_ENOUGH_INFO).
pub type Probs = [f64; 3];

/// Softmax of `logits / t`.
pub fn softmax(logits: [f32; 3], t: f64) -> Probs {
    let z: Vec<f64> = logits.iter().map(|&l| f64::from(l) / t).collect();
    let m = z.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let e: Vec<f64> = z.iter().map(|v| (v - m).exp()).collect();
    let s: f64 = e.iter().sum();
    [e[0] / s, e[1] / s, e[2] / s]
}

/// A queued request.
pub struct Entry {
    /// The tokenized pair.
    pub encoded: Encoded,
    /// Where the logits go.
    pub reply: oneshot::Sender<Result<[f32; 3], VerifyError>>,
}

/// The queue as pure state: FIFO, batches bounded by padded tokens and rows.
#[derive(Default)]
pub struct State {
    entries: VecDeque<Entry>,
}

impl State {
    /// Adds a request.
    pub fn append(&mut self, e: Entry) {
        self.entries.push_back(e);
    }

    /// Number of queued requests.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when nothing is queued.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Takes the next batch: in arrival order, while `rows x longest <= max_tokens` and
    /// `rows <= max_rows` (a single over-long request still forms a batch of one). Requests
    /// whose caller has gone are dropped.
    pub fn next_batch(&mut self, max_tokens: usize, max_rows: usize) -> Option<Vec<Entry>> {
        let mut batch: Vec<Entry> = Vec::new();
        let mut longest = 0;
        while let Some(front) = self.entries.front() {
            if front.reply.is_closed() {
                self.entries.pop_front();
                continue;
            }
            let len = front.encoded.ids.len();
            let new_longest = longest.max(len);
            if !batch.is_empty()
                && (new_longest * (batch.len() + 1) > max_tokens || batch.len() >= max_rows)
            {
                break;
            }
            longest = new_longest;
            batch.push(
                self.entries
                    .pop_front()
                    .expect("front exists; this is a bug"),
            );
        }
        (!batch.is_empty()).then_some(batch)
    }
}

/// The order one submission's pairs are queued in ([`Verifier::submit`]): longest first, ties in
/// submission order.
pub fn longest_first(entries: &mut [Entry]) {
    entries.sort_by_key(|e| std::cmp::Reverse(e.encoded.ids.len()));
}

/// The queue the model workers share: the pure [`State`] under a lock, and a signal for work.
#[derive(Default)]
struct Queue {
    inner: Mutex<Shared>,
    ready: Condvar,
}

/// What the queue's lock guards.
#[derive(Default)]
struct Shared {
    state: State,
    /// No new entries; workers stop once the queued ones are served.
    closed: bool,
}

impl Queue {
    fn push(&self, e: Entry) -> Result<(), VerifyError> {
        let mut q = self.inner.lock().map_err(|_| VerifyError::Closed)?;
        if q.closed {
            return Err(VerifyError::Closed);
        }
        q.state.append(e);
        crate::telemetry::record_model_queue(q.state.len());
        drop(q);
        self.ready.notify_one();
        Ok(())
    }

    /// The next batch, waiting for one; `None` once closed (queued entries are still served).
    fn next(&self, max_tokens: usize, max_rows: usize) -> Option<Vec<Entry>> {
        let mut q = self.inner.lock().ok()?;
        loop {
            if let Some(batch) = q.state.next_batch(max_tokens, max_rows) {
                crate::telemetry::record_model_queue(q.state.len());
                return Some(batch);
            }
            if q.closed {
                return None;
            }
            q = self.ready.wait(q).ok()?;
        }
    }

    fn close(&self) {
        if let Ok(mut q) = self.inner.lock() {
            q.closed = true;
        }
        self.ready.notify_all();
    }
}

/// One model worker: takes batches from the queue, runs them, replies to each entry. A panic in
/// the backend fails that batch and the worker goes on, so queued pairs never wait for a worker
/// that is gone.
fn work(queue: &Queue, backend: &mut dyn Backend, pad: i64, max_tokens: usize, max_rows: usize) {
    while let Some(batch) = queue.next(max_tokens, max_rows) {
        let items: Vec<&Encoded> = batch.iter().map(|e| &e.encoded).collect();
        let padded = Batch::pad(&items, pad);
        let started = std::time::Instant::now();
        let result =
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| backend.predict(&padded)))
                .unwrap_or_else(|panic| {
                    Err(VerifyError::Inference(format!(
                        "model worker panicked: {}",
                        crate::panic_message(panic.as_ref())
                    )))
                });
        crate::telemetry::record_model_batch(batch.len(), started.elapsed().as_secs_f64());
        match result {
            Ok(logits) if logits.len() == batch.len() => {
                for (e, l) in batch.into_iter().zip(logits) {
                    let _ = e.reply.send(Ok(l));
                }
            }
            Ok(logits) => {
                let err = VerifyError::Inference(format!(
                    "backend returned {} rows for {}",
                    logits.len(),
                    batch.len()
                ));
                for e in batch {
                    let _ = e.reply.send(Err(err.clone()));
                }
            }
            Err(err) => {
                for e in batch {
                    let _ = e.reply.send(Err(err.clone()));
                }
            }
        }
    }
}

/// A (premise, hypothesis) pair as the model reads it.
type Pair = (String, String);

/// Logits already computed, by pair; `None` when off (see [`Verifier::memoize`]).
type Memo = Arc<Mutex<Option<HashMap<Pair, [f32; 3]>>>>;

/// The verifier handle shared by all requests.
pub struct Verifier {
    queue: Arc<Queue>,
    workers: Mutex<Vec<std::thread::JoinHandle<()>>>,
    memo: Memo,
    tokenizer: Arc<Tokenizer>,
    /// Same tokenizer truncating both sides: for claims too long to leave room for a premise.
    fallback: Arc<Tokenizer>,
    /// The model config.
    pub config: ModelConfig,
    /// Which execution provider is in use.
    pub provider: String,
}

fn file_err(file: &Path, e: impl std::fmt::Display) -> VerifyError {
    VerifyError::File {
        file: file.to_path_buf(),
        message: e.to_string(),
    }
}

/// Loads `config.json` and `tokenizer.json` of a model directory and checks `model.onnx`
/// against its recorded SHA-256.
pub fn load_files(dir: &Path) -> Result<(ModelConfig, Tokenizer, OnnxModel), VerifyError> {
    let cfg_path = dir.join("config.json");
    let text = std::fs::read_to_string(&cfg_path).map_err(|e| file_err(&cfg_path, e))?;
    let config: ModelConfig = serde_json::from_str(&text).map_err(|e| file_err(&cfg_path, e))?;
    if config.labels.len() != 3 {
        return Err(file_err(
            &cfg_path,
            "expected 3 labels (SUPPORTS, REFUTES, NOT_ENOUGH_INFO)",
        ));
    }
    if config.temperature.is_nan() || config.temperature <= 0.0 {
        return Err(file_err(&cfg_path, "temperature must be > 0"));
    }
    let onnx = dir.join("model.onnx");
    let bytes = std::fs::read(&onnx).map_err(|e| file_err(&onnx, e))?;
    let sha = crate::audit::sha256_hex(&bytes);
    if sha != config.onnx_sha256 {
        return Err(file_err(
            &onnx,
            format!(
                "sha256 {sha} does not match config.json onnx_sha256 {}",
                config.onnx_sha256
            ),
        ));
    }
    let tok_path = dir.join("tokenizer.json");
    let mut tokenizer = Tokenizer::from_file(&tok_path).map_err(|e| file_err(&tok_path, e))?;
    tokenizer.with_padding(None);
    tokenizer
        .with_truncation(Some(tokenizers::TruncationParams {
            max_length: config.max_length,
            strategy: tokenizers::TruncationStrategy::OnlyFirst,
            ..Default::default()
        }))
        .map_err(|e| file_err(&tok_path, e))?;
    Ok((config, tokenizer, OnnxModel { path: onnx, bytes }))
}

/// The verifier's ONNX file, read and checked against its SHA-256.
#[derive(Debug, Clone)]
pub struct OnnxModel {
    /// Where it was read from (named in errors).
    pub path: PathBuf,
    /// The serialized model ONNX Runtime loads.
    pub bytes: Vec<u8>,
}

impl OnnxModel {
    /// The model with its int8 weights in the form this CPU runs exactly and fastest
    /// ([`crate::int8`]): signed where the CPU has AVX-VNNI, unsigned (as committed) elsewhere.
    /// Both give the same logits. A file the rewrite cannot read is loaded as it is, and the
    /// reason is logged.
    pub fn for_this_cpu(mut self) -> Self {
        if !crate::int8::cpu_has_vnni() {
            tracing::info!("verifier int8 weights: unsigned (no AVX-VNNI on this CPU)");
            return self;
        }
        let mut signed = self.bytes.clone();
        match crate::int8::sign_weights(&mut signed) {
            Ok(n) => {
                tracing::info!(
                    rewritten = n,
                    "verifier int8 weights: signed (AVX-VNNI: exact, and faster than unsigned)"
                );
                self.bytes = signed;
            }
            Err(e) => tracing::warn!(
                file = %self.path.display(),
                reason = %e,
                "verifier int8 weights left unsigned: cannot read the model's initializers"
            ),
        }
        self
    }
}

/// The ONNX Runtime environment (one per process: the library is loaded once; a failed load is
/// not cached, so the error is reported again to the next caller).
fn environment(lib: &Path) -> Result<Arc<ort::environment::Environment>, VerifyError> {
    static ENV: Mutex<Option<Arc<ort::environment::Environment>>> = Mutex::new(None);
    let runtime_err = |message: String| VerifyError::Runtime {
        path: lib.to_path_buf(),
        message,
    };
    if !lib.is_file() {
        return Err(runtime_err("file not found".into()));
    }
    let mut slot = ENV
        .lock()
        .map_err(|_| runtime_err("environment lock poisoned".into()))?;
    if let Some(env) = slot.as_ref() {
        return Ok(env.clone());
    }
    let builder = ort::init_from(lib).map_err(|e| runtime_err(e.to_string()))?;
    let env = Arc::new(
        builder
            .with_name("factgate")
            .build()
            .map_err(|e| runtime_err(e.to_string()))?,
    );
    *slot = Some(env.clone());
    Ok(env)
}

/// ONNX Runtime backend.
pub struct OrtBackend {
    session: ort::session::Session,
}

impl OrtBackend {
    /// Creates the session with the requested provider. Returns the backend and the provider
    /// actually used.
    pub fn new(onnx: &OnnxModel, cfg: &VerifyConfig) -> Result<(Self, String), VerifyError> {
        let env = environment(&ort_library(cfg.ort_lib.as_deref()))?;
        let ort_err = |e: ort::Error| VerifyError::Inference(e.to_string());
        let mut builder = ort::session::Session::builder(&env)
            .map_err(ort_err)?
            .with_intra_threads(cfg.intra_threads.max(1))
            .map_err(|e| VerifyError::Inference(e.to_string()))?;
        let provider = register_provider(&mut builder, cfg.provider)?;
        let session = builder
            .commit_from_memory(&onnx.bytes)
            .map_err(|e| file_err(&onnx.path, format!("ONNX Runtime cannot load it: {e}")))?;
        Ok((Self { session }, provider))
    }
}

fn register_provider(
    builder: &mut ort::session::builder::SessionBuilder,
    provider: Provider,
) -> Result<String, VerifyError> {
    use ort::ep::ExecutionProvider;
    let cuda = |b: &mut ort::session::builder::SessionBuilder| ort::ep::CUDA::default().register(b);
    let trt =
        |b: &mut ort::session::builder::SessionBuilder| ort::ep::TensorRT::default().register(b);
    match provider {
        Provider::Cpu => Ok("cpu".into()),
        Provider::Cuda => cuda(builder)
            .map(|_| "cuda".into())
            .map_err(|e| VerifyError::Provider {
                provider: "cuda".into(),
                message: e.to_string(),
            }),
        Provider::Tensorrt => {
            trt(builder)
                .map(|_| "tensorrt".into())
                .map_err(|e| VerifyError::Provider {
                    provider: "tensorrt".into(),
                    message: e.to_string(),
                })
        }
        Provider::Auto => match cuda(builder) {
            Ok(()) => {
                tracing::info!("verifier: execution provider auto -> cuda");
                Ok("cuda".into())
            }
            Err(e) => {
                tracing::info!(reason = %e, "verifier: execution provider auto -> cpu (cuda not available)");
                Ok("cpu".into())
            }
        },
    }
}

impl Backend for OrtBackend {
    fn predict(&mut self, b: &Batch) -> Result<Vec<[f32; 3]>, VerifyError> {
        let err = |e: ort::Error| VerifyError::Inference(e.to_string());
        let shape = [b.rows, b.cols];
        let ids = ort::value::TensorRef::from_array_view((shape, &b.input_ids[..])).map_err(err)?;
        let mask =
            ort::value::TensorRef::from_array_view((shape, &b.attention_mask[..])).map_err(err)?;
        let types =
            ort::value::TensorRef::from_array_view((shape, &b.token_type_ids[..])).map_err(err)?;
        let outputs = self
            .session
            .run(ort::inputs![
                "input_ids" => ids,
                "attention_mask" => mask,
                "token_type_ids" => types,
            ])
            .map_err(err)?;
        let (out_shape, data) = outputs["logits"].try_extract_tensor::<f32>().map_err(err)?;
        if out_shape.len() != 2 || out_shape[0] as usize != b.rows || out_shape[1] != 3 {
            return Err(VerifyError::Inference(format!(
                "unexpected logits shape {out_shape:?}"
            )));
        }
        Ok(data.chunks_exact(3).map(|c| [c[0], c[1], c[2]]).collect())
    }
}

impl Verifier {
    /// Loads the model from `cfg.model_dir`, starts the model workers (one ONNX Runtime session
    /// each) and runs a warm-up pair on every one.
    pub fn load(cfg: &VerifyConfig) -> Result<Self, VerifyError> {
        let (config, tokenizer, onnx) = load_files(&cfg.model_dir)?;
        let onnx = onnx.for_this_cpu();
        let (first, provider) = OrtBackend::new(&onnx, cfg)?;
        let cfg = cfg.for_provider(&provider);
        // Warm-up: the first run of a session allocates and optimizes; every session runs one
        // pair before the workers start (and so before SERVING).
        let warm = tokenizer
            .encode(
                ("Paris is the capital of France.", "Paris is in France."),
                true,
            )
            .map_err(|e| VerifyError::Inference(format!("tokenizer: {e}")))?;
        let warm = Batch::pad(&[&Encoded::from(&warm)], i64::from(config.pad_id));
        let mut backends: Vec<Box<dyn Backend>> = vec![Box::new(first)];
        for _ in 1..cfg.workers {
            backends.push(Box::new(OrtBackend::new(&onnx, &cfg)?.0));
        }
        for b in &mut backends {
            b.predict(&warm)?;
        }
        tracing::info!(workers = backends.len(), intra_threads = cfg.intra_threads, provider = %provider, "verifier workers started");
        Self::with_backends(config, tokenizer, backends, provider, &cfg)
    }

    /// Starts one model worker over any backend (tests inject failing ones).
    pub fn with_backend(
        config: ModelConfig,
        tokenizer: Tokenizer,
        backend: Box<dyn Backend>,
        provider: String,
        cfg: &VerifyConfig,
    ) -> Result<Self, VerifyError> {
        Self::with_backends(config, tokenizer, vec![backend], provider, cfg)
    }

    /// Starts one model worker per backend, all taking batches from one queue.
    pub fn with_backends(
        config: ModelConfig,
        tokenizer: Tokenizer,
        backends: Vec<Box<dyn Backend>>,
        provider: String,
        cfg: &VerifyConfig,
    ) -> Result<Self, VerifyError> {
        let queue = Arc::new(Queue::default());
        let pad = i64::from(config.pad_id);
        let (max_tokens, max_rows) = (cfg.max_batch_tokens.max(1), cfg.max_batch_size.max(1));
        let mut workers = Vec::with_capacity(backends.len());
        for (i, mut backend) in backends.into_iter().enumerate() {
            let q = queue.clone();
            let handle = std::thread::Builder::new()
                .name(format!("factgate-verifier-{i}"))
                .spawn(move || work(&q, backend.as_mut(), pad, max_tokens, max_rows));
            match handle {
                Ok(h) => workers.push(h),
                Err(e) => {
                    queue.close();
                    return Err(VerifyError::Inference(format!(
                        "cannot start model worker: {e}"
                    )));
                }
            }
        }
        let mut fallback = tokenizer.clone();
        fallback
            .with_truncation(Some(tokenizers::TruncationParams {
                max_length: config.max_length,
                strategy: tokenizers::TruncationStrategy::LongestFirst,
                ..Default::default()
            }))
            .map_err(|e| VerifyError::Inference(format!("tokenizer: {e}")))?;
        Ok(Self {
            queue,
            workers: Mutex::new(workers),
            memo: Memo::default(),
            tokenizer: Arc::new(tokenizer),
            fallback: Arc::new(fallback),
            config,
            provider,
        })
    }

    /// Tokenizes one (premise, hypothesis) pair.
    pub fn encode(&self, premise: &str, hypothesis: &str) -> Result<Encoded, VerifyError> {
        // Premise-first truncation fails when the claim alone fills max_length; then both
        // sides are truncated.
        let enc = self
            .tokenizer
            .encode((premise, hypothesis), true)
            .or_else(|_| self.fallback.encode((premise, hypothesis), true))
            .map_err(|e| VerifyError::Inference(format!("tokenizer: {e}")))?;
        Ok(Encoded::from(&enc))
    }

    /// Tokenizes pairs and queues them for the model workers, longest first: with several workers
    /// the longest pairs start together and the short ones fill in after them, so the last pair
    /// finishes sooner than in submission order. Results come back in submission order; wait
    /// with [`Submitted::probs`].
    pub fn submit(&self, pairs: &[(String, String)]) -> Result<Submitted, VerifyError> {
        let mut entries = Vec::with_capacity(pairs.len());
        let mut waits = Vec::with_capacity(pairs.len());
        // With the memo on: each pair's remembered logits, if any.
        let known: Option<Vec<Option<[f32; 3]>>> = {
            let memo = self.memo.lock().unwrap_or_else(|e| e.into_inner());
            memo.as_ref()
                .map(|m| pairs.iter().map(|p| m.get(p).copied()).collect())
        };
        // And what to remember once run (None: answered from the memo).
        let mut remember = Vec::new();
        for (i, pair) in pairs.iter().enumerate() {
            let (reply, rx) = oneshot::channel();
            waits.push(rx);
            match known.as_ref().map(|k| k[i]) {
                Some(Some(logits)) => {
                    let _ = reply.send(Ok(logits));
                    remember.push(None);
                    continue;
                }
                Some(None) => remember.push(Some(pair.clone())),
                None => {}
            }
            entries.push(Entry {
                encoded: self.encode(&pair.0, &pair.1)?,
                reply,
            });
        }
        longest_first(&mut entries);
        for e in entries {
            self.queue.push(e)?;
        }
        Ok(Submitted {
            waits,
            temperature: self.config.temperature,
            remember: (!remember.is_empty()).then(|| (self.memo.clone(), remember)),
        })
    }

    /// Remembers the logits of every pair run from now on and answers a pair seen before from
    /// memory (`on`), or forgets them all (`!on`). For `factgate calibrate`, which checks the same
    /// rows once per fitting pass: the passes differ in the calibration, not in what the model
    /// reads, and each pair runs alone on the CPU, so a remembered score is the score. Off by
    /// default: a server would only grow it.
    pub fn memoize(&self, on: bool) {
        *self.memo.lock().unwrap_or_else(|e| e.into_inner()) = on.then(HashMap::new);
    }

    /// Raw logits for pairs (blocking; call from a blocking thread).
    pub fn logits(&self, pairs: &[(String, String)]) -> Result<Vec<[f32; 3]>, VerifyError> {
        self.submit(pairs)?.logits()
    }

    /// Temperature-scaled probabilities for pairs (blocking).
    pub fn score(&self, pairs: &[(String, String)]) -> Result<Vec<Probs>, VerifyError> {
        self.submit(pairs)?.probs()
    }

    /// Stops the model workers (queued pairs are still answered).
    pub fn close(&self) {
        self.queue.close();
        let handles = self
            .workers
            .lock()
            .map(|mut w| std::mem::take(&mut *w))
            .unwrap_or_default();
        for h in handles {
            let _ = h.join();
        }
    }
}

/// Pairs queued by [`Verifier::submit`]; dropping it cancels those not yet run.
pub struct Submitted {
    waits: Vec<oneshot::Receiver<Result<[f32; 3], VerifyError>>>,
    temperature: f64,
    /// With the memo on: the memo, and per pair what to remember (None: came from it).
    remember: Option<(Memo, Vec<Option<Pair>>)>,
}

impl Submitted {
    /// Waits for the raw logits, in submission order (blocking).
    pub fn logits(self) -> Result<Vec<[f32; 3]>, VerifyError> {
        let logits = self
            .waits
            .into_iter()
            .map(|rx| rx.blocking_recv().map_err(|_| VerifyError::Closed)?)
            .collect::<Result<Vec<_>, _>>()?;
        if let Some((memo, pairs)) = self.remember {
            if let Some(m) = memo.lock().unwrap_or_else(|e| e.into_inner()).as_mut() {
                for (pair, l) in pairs.into_iter().zip(&logits) {
                    if let Some(pair) = pair {
                        m.insert(pair, *l);
                    }
                }
            }
        }
        Ok(logits)
    }

    /// Waits for the temperature-scaled probabilities, in submission order (blocking).
    pub fn probs(self) -> Result<Vec<Probs>, VerifyError> {
        let t = self.temperature;
        Ok(self.logits()?.into_iter().map(|l| softmax(l, t)).collect())
    }
}

impl Drop for Verifier {
    fn drop(&mut self) {
        self.close();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(len: usize) -> (Entry, oneshot::Receiver<Result<[f32; 3], VerifyError>>) {
        let (reply, rx) = oneshot::channel();
        (
            Entry {
                encoded: Encoded {
                    ids: vec![1; len],
                    type_ids: vec![0; len],
                },
                reply,
            },
            rx,
        )
    }

    #[test]
    fn next_batch_respects_token_budget_and_order() {
        let mut s = State::default();
        let mut keep = Vec::new();
        for len in [10, 20, 30, 40] {
            let (e, rx) = entry(len);
            s.append(e);
            keep.push(rx);
        }
        // 10,20 -> 2x20=40; +30 -> 3x30=90 > 64: stop.
        let b = s.next_batch(64, 100).expect("batch");
        assert_eq!(
            b.iter().map(|e| e.encoded.ids.len()).collect::<Vec<_>>(),
            vec![10, 20]
        );
        let b = s.next_batch(64, 100).expect("batch");
        assert_eq!(b.len(), 1, "30 then 40 would be 80 > 64");
        // An over-long request still runs alone.
        let b = s.next_batch(16, 100).expect("batch");
        assert_eq!(b[0].encoded.ids.len(), 40);
        assert!(s.next_batch(64, 100).is_none());
    }

    #[test]
    fn next_batch_respects_row_limit() {
        let mut s = State::default();
        let mut keep = Vec::new();
        for _ in 0..5 {
            let (e, rx) = entry(4);
            s.append(e);
            keep.push(rx);
        }
        assert_eq!(s.next_batch(1000, 2).expect("batch").len(), 2);
        assert_eq!(s.len(), 3);
    }

    #[test]
    fn cancelled_requests_are_dropped() {
        let mut s = State::default();
        let (a, rx_a) = entry(4);
        let (b, rx_b) = entry(4);
        s.append(a);
        s.append(b);
        drop(rx_a);
        let batch = s.next_batch(1000, 10).expect("batch");
        assert_eq!(batch.len(), 1);
        drop(rx_b);
        assert!(s.is_empty());
    }

    #[test]
    fn longest_first_keeps_submission_order_among_equal_lengths() {
        let mut keep = Vec::new();
        let mut entries: Vec<Entry> = [2, 5, 3, 5, 1]
            .iter()
            .enumerate()
            .map(|(i, &len)| {
                let (mut e, rx) = entry(len);
                e.encoded.type_ids[0] = i as i64; // the submission index, to see the order
                keep.push(rx);
                e
            })
            .collect();
        longest_first(&mut entries);
        let order: Vec<(usize, i64)> = entries
            .iter()
            .map(|e| (e.encoded.ids.len(), e.encoded.type_ids[0]))
            .collect();
        assert_eq!(order, vec![(5, 1), (5, 3), (3, 2), (2, 0), (1, 4)]);
    }

    #[test]
    fn padding_and_softmax() {
        let a = Encoded {
            ids: vec![5, 6, 7],
            type_ids: vec![0, 0, 1],
        };
        let b = Encoded {
            ids: vec![8],
            type_ids: vec![0],
        };
        let p = Batch::pad(&[&a, &b], 0);
        assert_eq!((p.rows, p.cols), (2, 3));
        assert_eq!(p.input_ids, vec![5, 6, 7, 8, 0, 0]);
        assert_eq!(p.attention_mask, vec![1, 1, 1, 1, 0, 0]);
        assert_eq!(p.token_type_ids, vec![0, 0, 1, 0, 0, 0]);
        let s = softmax([2.0, 0.0, 0.0], 1.0);
        assert!((s.iter().sum::<f64>() - 1.0).abs() < 1e-12);
        assert!(s[0] > s[1] && (s[1] - s[2]).abs() < 1e-12);
        let hot = softmax([2.0, 0.0, 0.0], 0.5);
        assert!(hot[0] > s[0], "lower temperature sharpens");
    }
}
