//! Check time against response size: 1, 8 and 64 KB of ordinary text and of two adversarial
//! shapes (one sentence-free repetition, thousands of two-word sentences), symbolic only and
//! with the verifier. Work per check must grow linearly with the input; the default profile's
//! budget (`max_claims`, `max_model_pairs`, `max_check_ms`) bounds it whatever the size.
//!
//! `cargo bench --bench scaling` (`make bench-scaling`). Figures, not a timed test: nothing
//! fails on a number. Needs the ONNX Runtime library (`make ort`) for the verifier rows.

use std::time::Instant;

use factgate::config::{Config, FileConfig};
use factgate::pipeline::{CheckInput, Passage};

const ORDINARY: &str = "Paris is the capital of France. Nairobi is the capital of Kenya, and \
                        Kampala is the capital of Uganda. Mount Kilimanjaro is about 5895 metres \
                        high. ";
const NO_STOP: &str = "Paris is the capital of Paris ";
const TINY: &str = "It is. ";

/// `unit` repeated to `kb` KiB (cut at a char boundary; the units are ASCII).
fn text(unit: &str, kb: usize) -> String {
    let mut s = unit.repeat(kb * 1024 / unit.len() + 1);
    s.truncate(kb * 1024 - 1);
    s
}

fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}

fn main() {
    // `cargo test --all-targets` runs bench binaries without `--bench`: compile-check only.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let mut file: FileConfig = toml::from_str(
        "[profiles.unbounded]\nmax_claims = 1000000\nmax_model_pairs = 1000000\nmax_check_ms = 0\n",
    )
    .expect("profile TOML");
    println!(
        "check time vs response size (in-process Checker::check, median of the runs; load {})",
        loadavg()
    );
    println!(
        "{:<9} {:<10} {:>5} {:>7} {:>11} {:>10} {:>9}   default profile",
        "verifier", "text", "KB", "claims", "unbounded", "ms per KB", "runs"
    );
    for verifier in [false, true] {
        file.verifier.enabled = verifier;
        let config = Config::validate(file.clone()).expect("config");
        let checker = match factgate::cli::build_checker(&config, None, true) {
            Ok(c) => c,
            Err(e) => {
                println!("verifier {verifier}: cannot build the checker ({e}); skipped");
                continue;
            }
        };
        // The last shape: ordinary text read against 64 KB of context passages (8 of 8 KB), the
        // most model work a request inside the default limits can ask for.
        let passages: Vec<Passage> = (0..8)
            .map(|i| Passage {
                id: format!("doc-{i}"),
                text: text(ORDINARY, 8),
            })
            .collect();
        for (name, unit, context) in [
            ("ordinary", ORDINARY, &[][..]),
            ("no-stop", NO_STOP, &[][..]),
            ("tiny", TINY, &[][..]),
            ("+64KB ctx", ORDINARY, &passages[..]),
        ] {
            for kb in [1, 8, 64] {
                let response = text(unit, kb);
                let run = |policy: &str| {
                    let t = Instant::now();
                    let o = checker
                        .check(&CheckInput {
                            response: response.clone(),
                            policy: policy.into(),
                            context: context.to_vec(),
                            ..CheckInput::default()
                        })
                        .expect("valid request");
                    (t.elapsed().as_secs_f64() * 1e3, o)
                };
                let runs = match (verifier, kb) {
                    (true, 64) if !context.is_empty() => 1,
                    (true, 64) => 3,
                    (_, 64) | (true, 8) => 5,
                    _ => 15,
                };
                let mut ms: Vec<f64> = Vec::new();
                let mut claims = 0;
                for _ in 0..runs {
                    let (t, o) = run("unbounded");
                    ms.push(t);
                    claims = o.claims.len();
                }
                ms.sort_by(f64::total_cmp);
                let median = ms[ms.len() / 2];
                let (t, o) = run("");
                let first = &o.reasons[0];
                let budget = if first.code == "BUDGET_EXCEEDED" {
                    format!(
                        "BUDGET_EXCEEDED ({})",
                        first.message.split(';').next().unwrap_or("")
                    )
                } else {
                    format!("{:?} {}", o.verdict, first.code)
                };
                println!(
                    "{:<9} {:<10} {:>5} {:>7} {:>8.1} ms {:>10.2} {:>9}   {t:.1} ms, {budget}",
                    if verifier { "on" } else { "off" },
                    name,
                    kb,
                    claims,
                    median,
                    median / kb as f64,
                    runs,
                );
            }
        }
        checker.shutdown();
    }
}
