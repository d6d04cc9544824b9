//! Load time and memory of the default knowledge graph (`knowledge/`).
//!
//! `cargo bench --bench graph_load` prints wall time per load (best and median of 5) and the
//! resident memory the loaded graph adds (VmRSS after minus before, and the peak VmHWM).
//! Figures, not assertions: these machines are shared and noisy.

use std::path::Path;
use std::time::Instant;

fn status_kib(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(field))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

fn main() {
    // `cargo test --all-targets` runs bench binaries without `--bench`: compile-check only.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("knowledge");
    let rss_before = status_kib("VmRSS:");
    let mut times = Vec::new();
    let mut rss_loaded = 0;
    let mut triples = 0;
    for i in 0..5 {
        let t = Instant::now();
        let kg = factgate::knowledge::Knowledge::load(std::slice::from_ref(&dir))
            .expect("default graph loads");
        times.push(t.elapsed().as_secs_f64());
        triples = kg.triples;
        if i == 0 {
            rss_loaded = status_kib("VmRSS:");
        }
        drop(kg);
    }
    let peak = status_kib("VmHWM:");
    times.sort_by(f64::total_cmp);
    println!("default graph: {triples} triples from {}", dir.display());
    println!(
        "load time: best {:.2} s, median {:.2} s (5 loads)",
        times[0],
        times[times.len() / 2]
    );
    println!(
        "resident memory: +{} MiB after the first load (VmRSS {} -> {} MiB), peak VmHWM {} MiB",
        (rss_loaded.saturating_sub(rss_before)) / 1024,
        rss_before / 1024,
        rss_loaded / 1024,
        peak / 1024
    );
}
