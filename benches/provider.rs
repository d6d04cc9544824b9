//! Execution-provider check: the verifier's logits on a requested provider (CUDA, TensorRT)
//! against the CPU provider on the same pairs, and its throughput at the provider's batch size.
//!
//! `FACTGATE_PROVIDER=cuda cargo bench --bench provider` (or the prepared binary on a GPU machine,
//! see `scripts/gpu-check.sh`). Pairs: (evidence, claim) of `models/data/vitaminc_test.jsonl`
//! (`FACTGATE_CHECK_PAIRS` rows, default 512). Prints, and writes to `FACTGATE_CHECK_OUT` (default
//! `target/provider-check.json`): the largest logit difference, argmax agreement, and pairs/s with
//! every pair queued at once (the queue forms batches of up to `FACTGATE_CHECK_BATCH` rows,
//! default 64). With `FACTGATE_PROVIDER=cpu` (the default) it measures the CPU at batch 64
//! against the production CPU setting (one pair per run). Figures, not assertions.

use std::path::Path;
use std::time::Instant;

use factgate::verify::{Provider, Verifier, VerifyConfig};
use serde_json::json;

fn env_or(name: &str, default: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| default.to_string())
}

fn pairs(n: usize) -> Vec<(String, String)> {
    factgate::eval::read(Path::new("models/data/vitaminc_test.jsonl"))
        .expect("models/data/vitaminc_test.jsonl is readable")
        .into_iter()
        .filter_map(|r| Some((r.context.into_iter().next()?.text, r.text)))
        .take(n)
        .collect()
}

/// Pairs per second with all pairs queued at once (best of `rounds`).
fn throughput(v: &Verifier, pairs: &[(String, String)], rounds: usize) -> f64 {
    (0..rounds)
        .map(|_| {
            let t = Instant::now();
            v.logits(pairs).expect("scoring succeeds");
            pairs.len() as f64 / t.elapsed().as_secs_f64()
        })
        .fold(0.0, f64::max)
}

fn main() {
    // `cargo test --all-targets` runs bench binaries without `--bench`: compile-check only.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    std::env::set_current_dir(Path::new(env!("CARGO_MANIFEST_DIR"))).ok();
    let provider =
        <Provider as clap::ValueEnum>::from_str(&env_or("FACTGATE_PROVIDER", "cpu"), true)
            .expect("FACTGATE_PROVIDER is cpu, cuda, tensorrt or auto");
    let n: usize = env_or("FACTGATE_CHECK_PAIRS", "512")
        .parse()
        .expect("FACTGATE_CHECK_PAIRS is a number");
    let batch: usize = env_or("FACTGATE_CHECK_BATCH", "64")
        .parse()
        .expect("FACTGATE_CHECK_BATCH is a number");
    let pairs = pairs(n);

    let reference_cfg = VerifyConfig {
        provider: Provider::Cpu,
        max_batch_size: 1,
        ..VerifyConfig::default()
    };
    let checked_cfg = VerifyConfig {
        provider,
        max_batch_size: batch,
        ..VerifyConfig::default()
    };
    let reference = Verifier::load(&reference_cfg).expect("CPU verifier loads");
    let checked = Verifier::load(&checked_cfg).unwrap_or_else(|e| {
        eprintln!("provider check: {e}");
        std::process::exit(1)
    });
    println!(
        "model {}; reference cpu (1 pair per run), checked {} (≤ {batch} pairs per run); {} pairs",
        reference.config.version,
        checked.provider,
        pairs.len()
    );

    let a = reference.logits(&pairs).expect("CPU scoring");
    let b = checked.logits(&pairs).expect("provider scoring");
    let argmax = |l: &[f32; 3]| (0..3).max_by(|&i, &j| l[i].total_cmp(&l[j])).unwrap_or(0);
    let max_diff = a
        .iter()
        .zip(&b)
        .flat_map(|(x, y)| x.iter().zip(y).map(|(p, q)| (p - q).abs()))
        .fold(0.0f32, f32::max);
    let agree = a
        .iter()
        .zip(&b)
        .filter(|(x, y)| argmax(x) == argmax(y))
        .count();
    println!(
        "logits: max |difference| {max_diff:.4}; argmax agreement {agree}/{} ({:.2} %)",
        pairs.len(),
        100.0 * agree as f64 / pairs.len() as f64
    );

    let cpu_rate = throughput(&reference, &pairs, 2);
    let rate = throughput(&checked, &pairs, 3);
    println!(
        "throughput: {} at batch ≤ {batch}: {rate:.0} pairs/s; cpu at 1 pair per run: {cpu_rate:.0} pairs/s",
        checked.provider
    );
    let out = json!({
        "model": reference.config.version,
        "provider": checked.provider,
        "pairs": pairs.len(),
        "max_abs_logit_diff": max_diff,
        "argmax_agreement": agree as f64 / pairs.len() as f64,
        "batch": batch,
        "pairs_per_s": rate,
        "cpu_pairs_per_s_batch1": cpu_rate,
    });
    let path = env_or("FACTGATE_CHECK_OUT", "target/provider-check.json");
    std::fs::write(&path, serde_json::to_string_pretty(&out).expect("json"))
        .expect("writes the report");
    println!("written to {path}");
    reference.close();
    checked.close();
}
