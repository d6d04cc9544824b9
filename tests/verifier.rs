//! The committed verifier model loads through `ort` and reproduces the Python export's
//! tokenization and logits (tests/fixtures/verifier_parity.json, written by models/train).

use factgate::verify::{
    default_model_dir, load_files, Backend, Batch, Encoded, OrtBackend, Provider, Verifier,
    VerifyConfig, VerifyError,
};

#[derive(serde::Deserialize)]
struct Case {
    premise: String,
    hypothesis: String,
    input_ids: Vec<i64>,
    token_type_ids: Vec<i64>,
    logits: Vec<f32>,
}

fn cases() -> Vec<Case> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/verifier_parity.json");
    serde_json::from_str(&std::fs::read_to_string(path).expect("fixture")).expect("fixture json")
}

#[test]
fn rust_matches_python_tokens_and_logits() {
    let v = Verifier::load(&VerifyConfig::default()).expect("committed verifier loads");
    let cases = cases();
    assert!(cases.len() >= 5);
    for c in &cases {
        let enc = v.encode(&c.premise, &c.hypothesis).expect("encode");
        assert_eq!(
            enc.ids, c.input_ids,
            "token ids differ for {:?}",
            c.hypothesis
        );
        assert_eq!(enc.type_ids, c.token_type_ids);
    }
    // Each pair alone, as the fixture was computed: same runtime, nearly the same numbers. The
    // runtime's float kernels differ between CPU families (AVX2, AVX-512), and a float rounded
    // differently before an activation is quantized moves an int8 model's logits: 0.037 on the
    // fixture's 256-token pair between an AMD EPYC (AVX2, where the fixture was written) and an
    // Intel Xeon (AVX-512), the short pairs identical. The token ids above are checked exactly;
    // a wrong input (segment ids, mask) moves logits by far more than this bound.
    const ACROSS_CPUS: f32 = 0.05;
    let mut max_diff = 0f32;
    let mut alone = Vec::new();
    for c in &cases {
        let l = v
            .logits(&[(c.premise.clone(), c.hypothesis.clone())])
            .expect("inference")[0];
        for (a, b) in l.iter().zip(&c.logits) {
            max_diff = max_diff.max((a - b).abs());
        }
        alone.push(l);
    }
    assert!(
        max_diff < ACROSS_CPUS,
        "max |rust - python| logit difference {max_diff}"
    );
    // Many pairs at once (the server's path): on CPU each pair runs alone, so the scores are
    // the same as each pair's alone whatever else is in flight.
    let pairs: Vec<(String, String)> = cases
        .iter()
        .map(|c| (c.premise.clone(), c.hypothesis.clone()))
        .collect();
    let together = v.logits(&pairs).expect("inference");
    for (l, a) in together.iter().zip(&alone) {
        let diff = (0..3).map(|k| (l[k] - a[k]).abs()).fold(0f32, f32::max);
        assert!(
            diff < 1e-5,
            "logits depend on the other pairs in flight: {diff}"
        );
    }
}

/// The committed (unsigned) weights and the signed ones `factgate` loads on CPUs with AVX-VNNI
/// give the same logits there, and the unsigned ones the fixture's on every CPU.
#[test]
fn signed_and_unsigned_int8_weights_give_the_same_logits() {
    let (config, _, unsigned) = load_files(&default_model_dir()).expect("files");
    let mut signed = unsigned.clone();
    assert_eq!(
        factgate::int8::sign_weights(&mut signed.bytes).expect("rewrites"),
        74
    );
    let cfg = VerifyConfig::default();
    let (mut u, _) = OrtBackend::new(&unsigned, &cfg).expect("unsigned weights load");
    let (mut s, _) = OrtBackend::new(&signed, &cfg).expect("signed weights load");
    let vnni = factgate::int8::cpu_has_vnni();
    for c in cases() {
        let enc = Encoded {
            ids: c.input_ids.clone(),
            type_ids: c.token_type_ids.clone(),
        };
        let batch = Batch::pad(&[&enc], i64::from(config.pad_id));
        let lu = u.predict(&batch).expect("unsigned runs")[0];
        let ls = s.predict(&batch).expect("signed runs")[0];
        for k in 0..3 {
            assert!(
                (lu[k] - c.logits[k]).abs() < 0.05,
                "unsigned {lu:?} vs fixture {:?}",
                c.logits
            );
            if vnni {
                assert!(
                    (lu[k] - ls[k]).abs() < 1e-5,
                    "signed {ls:?} vs unsigned {lu:?}"
                );
            }
        }
    }
    if !vnni {
        eprintln!("no AVX-VNNI on this CPU: signed weights are not used here, only loaded");
    }
}

#[test]
fn a_claim_longer_than_the_window_is_still_scored() {
    let v = Verifier::load(&VerifyConfig::default()).expect("committed verifier loads");
    let long_claim = "Paris is a large city in France with many museums and parks. ".repeat(20);
    let enc = v
        .encode("Paris is the capital of France.", &long_claim)
        .expect("falls back");
    assert_eq!(enc.ids.len(), v.config.max_length);
    assert_eq!(
        v.score(&[("Paris is the capital of France.".into(), long_claim)])
            .expect("scores")
            .len(),
        1
    );
}

#[test]
fn corrupt_or_missing_model_files_are_named() {
    let dir = tempfile::tempdir().expect("tempdir");
    for f in ["config.json", "tokenizer.json", "model.onnx"] {
        std::fs::copy(default_model_dir().join(f), dir.path().join(f)).expect("copy");
    }
    let mut bytes = std::fs::read(dir.path().join("model.onnx")).expect("read");
    let n = bytes.len();
    bytes[n / 2] ^= 0xff;
    std::fs::write(dir.path().join("model.onnx"), bytes).expect("write");
    match load_files(dir.path()) {
        Err(VerifyError::File { file, message }) => {
            assert!(file.ends_with("model.onnx"));
            assert!(message.contains("sha256"), "{message}");
        }
        other => panic!("expected a file error, got {:?}", other.map(|_| ())),
    }
    std::fs::remove_file(dir.path().join("tokenizer.json")).expect("rm");
    std::fs::copy(
        default_model_dir().join("model.onnx"),
        dir.path().join("model.onnx"),
    )
    .expect("copy");
    match load_files(dir.path()) {
        Err(VerifyError::File { file, .. }) => assert!(file.ends_with("tokenizer.json")),
        other => panic!("expected a file error, got {:?}", other.map(|_| ())),
    }
}

#[test]
fn missing_runtime_library_names_the_setup_command() {
    let cfg = VerifyConfig {
        ort_lib: Some("/nonexistent/libonnxruntime.so".into()),
        ..VerifyConfig::default()
    };
    let e = Verifier::load(&cfg)
        .err()
        .expect("a missing library is an error");
    let m = e.to_string();
    assert!(
        m.contains("/nonexistent/libonnxruntime.so") && m.contains("make ort"),
        "{m}"
    );
}

/// Loads the verifier on `provider`: whether it started, or the provider error it named.
fn started_on(provider: Provider, name: &str) -> bool {
    let cfg = VerifyConfig {
        provider,
        ..VerifyConfig::default()
    };
    match Verifier::load(&cfg) {
        Ok(v) => {
            assert_eq!(
                v.provider, name,
                "an explicit provider is never swapped for another"
            );
            v.close();
            true
        }
        Err(VerifyError::Provider { provider, message }) => {
            assert_eq!(provider, name);
            assert!(
                !message.is_empty(),
                "the error says why {name} did not start"
            );
            false
        }
        Err(e) => panic!("{name}: expected a provider error, got {e}"),
    }
}

#[test]
fn a_gpu_provider_that_cannot_start_is_a_named_error_and_auto_falls_back_to_cpu() {
    // `make test` runs ONNX Runtime's CPU build, where neither GPU provider can start; with the
    // GPU build on a GPU machine (`make run-gpu`) they start, and then auto must take CUDA.
    let cuda = started_on(Provider::Cuda, "cuda");
    started_on(Provider::Tensorrt, "tensorrt");
    let auto = Verifier::load(&VerifyConfig {
        provider: Provider::Auto,
        ..VerifyConfig::default()
    })
    .expect("auto always starts");
    assert_eq!(auto.provider, if cuda { "cuda" } else { "cpu" });
    let l = auto
        .logits(&[(
            "Marie Curie won the Nobel Prize in Chemistry in 1911.".into(),
            "Curie won a Nobel Prize in chemistry.".into(),
        )])
        .expect("auto scores")[0];
    assert!(
        l[0] > l[1] && l[0] > l[2],
        "a plain entailment reads as SUPPORTS: {l:?}"
    );
    auto.close();
    if !cuda {
        // The command line reports it too, before serving anything.
        let out = crate::common::factgate_bin()
            .args(["check", "--provider", "cuda", "Kenya is in Africa."])
            .output()
            .expect("runs");
        assert!(!out.status.success());
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains("execution provider cuda is not available"),
            "{err}"
        );
    }
}

/// A backend that answers each row with (its token count, which worker ran it, 0), slowly
/// enough that several workers share a request's pairs.
struct Echo(f32);

impl factgate::verify::Backend for Echo {
    fn predict(&mut self, b: &factgate::verify::Batch) -> Result<Vec<[f32; 3]>, VerifyError> {
        std::thread::sleep(std::time::Duration::from_millis(3));
        Ok((0..b.rows)
            .map(|r| {
                let row = &b.attention_mask[r * b.cols..(r + 1) * b.cols];
                [row.iter().sum::<i64>() as f32, self.0, 0.0]
            })
            .collect())
    }
}

#[test]
fn parallel_workers_answer_every_pair_with_its_own_result() {
    let (config, tokenizer, _) = load_files(&default_model_dir()).expect("files");
    let cfg = VerifyConfig {
        max_batch_size: 1,
        ..VerifyConfig::default()
    };
    let backends: Vec<Box<dyn factgate::verify::Backend>> = vec![
        Box::new(Echo(0.0)),
        Box::new(Echo(1.0)),
        Box::new(Echo(2.0)),
    ];
    factgate::telemetry::install_metrics();
    let v =
        Verifier::with_backends(config, tokenizer, backends, "test".into(), &cfg).expect("starts");
    let pairs: Vec<(String, String)> = (1..=24)
        .map(|i| ("word ".repeat(i), "A claim.".to_string()))
        .collect();
    let logits = v.logits(&pairs).expect("scored");
    assert_eq!(logits.len(), pairs.len());
    for ((p, h), l) in pairs.iter().zip(&logits) {
        let tokens = v.encode(p, h).expect("encodes").ids.len();
        assert_eq!(l[0] as usize, tokens, "a reply belongs to its own pair");
    }
    let mut used: Vec<i64> = logits.iter().map(|l| l[1] as i64).collect();
    used.sort();
    used.dedup();
    assert!(
        used.len() > 1,
        "the pairs were shared by the workers: {used:?}"
    );
    // Batch sizes and queue depth are exported (max_batch_size 1: every batch is one pair).
    let metrics = factgate::telemetry::render_metrics();
    assert!(
        metrics.contains("factgate_model_batch_pairs_bucket{le=\"1\"}"),
        "{metrics}"
    );
    assert!(
        metrics.contains("factgate_model_batch_seconds_count"),
        "{metrics}"
    );
    assert!(metrics.contains("factgate_model_queue_depth"), "{metrics}");

    v.close();
    assert!(
        matches!(v.logits(&pairs[..1]), Err(VerifyError::Closed)),
        "after close a pair is refused, not left waiting"
    );
}

/// Records the token count of every row it runs, in the order it runs them.
struct Recorder(std::sync::Arc<std::sync::Mutex<Vec<i64>>>);

impl factgate::verify::Backend for Recorder {
    fn predict(&mut self, b: &factgate::verify::Batch) -> Result<Vec<[f32; 3]>, VerifyError> {
        let mut seen = self.0.lock().expect("recorder lock");
        Ok((0..b.rows)
            .map(|r| {
                let n: i64 = b.attention_mask[r * b.cols..(r + 1) * b.cols].iter().sum();
                seen.push(n);
                [n as f32, 0.0, 0.0]
            })
            .collect())
    }
}

#[test]
fn a_submissions_longest_pairs_run_first_and_results_keep_submission_order() {
    // Longest first lets parallel workers start the long pairs together and fill in with the
    // short ones, so a claim's last pair finishes sooner (benches/README.md).
    let (config, tokenizer, _) = load_files(&default_model_dir()).expect("files");
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let cfg = VerifyConfig {
        max_batch_size: 1,
        ..VerifyConfig::default()
    };
    let v = Verifier::with_backend(
        config,
        tokenizer,
        Box::new(Recorder(seen.clone())),
        "test".into(),
        &cfg,
    )
    .expect("starts");
    let pairs: Vec<(String, String)> = [3, 12, 1, 7]
        .iter()
        .map(|&n| ("word ".repeat(n), "A claim.".to_string()))
        .collect();
    let lens: Vec<i64> = pairs
        .iter()
        .map(|(p, h)| v.encode(p, h).expect("encodes").ids.len() as i64)
        .collect();
    let logits = v.logits(&pairs).expect("scored");
    let got: Vec<i64> = logits.iter().map(|l| l[0] as i64).collect();
    assert_eq!(got, lens, "results come back in submission order");
    let mut longest_first = lens.clone();
    longest_first.sort_by(|a, b| b.cmp(a));
    assert_eq!(
        *seen.lock().expect("recorder lock"),
        longest_first,
        "the model ran the pairs longest first"
    );
}

/// Panics on its first run, then answers like `Echo`.
struct PanicsOnce(bool);

impl factgate::verify::Backend for PanicsOnce {
    fn predict(&mut self, b: &factgate::verify::Batch) -> Result<Vec<[f32; 3]>, VerifyError> {
        if !self.0 {
            self.0 = true;
            panic!("injected: kernel crashed");
        }
        Ok(vec![[1.0, 0.0, 0.0]; b.rows])
    }
}

#[test]
fn a_panicking_model_run_fails_its_pairs_and_the_worker_goes_on() {
    let (config, tokenizer, _) = load_files(&default_model_dir()).expect("files");
    let v = Verifier::with_backend(
        config,
        tokenizer,
        Box::new(PanicsOnce(false)),
        "test".into(),
        &VerifyConfig::default(),
    )
    .expect("starts");
    let pair = [(
        "Paris is in France.".to_string(),
        "Paris is French.".to_string(),
    )];
    match v.logits(&pair) {
        Err(VerifyError::Inference(m)) => assert!(m.contains("injected: kernel crashed"), "{m}"),
        other => panic!("expected the panic as an inference error, got {other:?}"),
    }
    assert_eq!(
        v.logits(&pair).expect("the worker still serves"),
        vec![[1.0, 0.0, 0.0]]
    );
}

/// A backend that counts the rows it ran and answers each with its run number.
struct Counting(std::sync::Arc<std::sync::atomic::AtomicUsize>);

impl factgate::verify::Backend for Counting {
    fn predict(&mut self, b: &factgate::verify::Batch) -> Result<Vec<[f32; 3]>, VerifyError> {
        use std::sync::atomic::Ordering;
        Ok((0..b.rows)
            .map(|_| [self.0.fetch_add(1, Ordering::SeqCst) as f32, 0.0, 0.0])
            .collect())
    }
}

#[test]
fn with_the_memo_on_a_pair_seen_before_is_answered_from_memory_until_it_is_turned_off() {
    use std::sync::atomic::Ordering;
    let (config, tokenizer, _) = load_files(&default_model_dir()).expect("files");
    let runs = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let v = Verifier::with_backend(
        config,
        tokenizer,
        Box::new(Counting(runs.clone())),
        "test".into(),
        &VerifyConfig::default(),
    )
    .expect("starts");
    let pair = |i: usize| (format!("Premise number {i}."), "A claim.".to_string());
    let (a, b, c) = (pair(1), pair(2), pair(3));
    // Off (the default, as in the server): the same pair runs again.
    v.logits(std::slice::from_ref(&a)).expect("scored");
    v.logits(std::slice::from_ref(&a)).expect("scored");
    assert_eq!(runs.load(Ordering::SeqCst), 2);
    v.memoize(true);
    let first = v.logits(&[a.clone(), b.clone()]).expect("scored");
    assert_eq!(runs.load(Ordering::SeqCst), 4);
    // Seen pairs come from memory, in submission order beside a new one.
    let again = v
        .logits(&[b.clone(), c.clone(), a.clone()])
        .expect("scored");
    assert_eq!(runs.load(Ordering::SeqCst), 5, "only the new pair ran");
    assert_eq!(again[0], first[1]);
    assert_eq!(again[2], first[0]);
    assert_eq!(again[1][0], 4.0, "the new pair is the fifth run");
    v.memoize(false);
    v.logits(&[a]).expect("scored");
    assert_eq!(runs.load(Ordering::SeqCst), 6, "turned off, it forgets");
}
