//! Cost of the numbers check ([`factgate::numbers`]) on real articles: parsing a passage's
//! figures once per request (`Figures::of`) and checking each summary sentence against them;
//! and of the polarity check ([`factgate::polarity`]): reading the article's sentences once per
//! request (`Sentences::of`, by the first claim) and checking each claim against them.
//!
//! `cargo bench --bench numbers` reads the dev summaries' articles
//! (`models/data/summary_dev.jsonl`, CNN/DailyMail news, many figures and dates) and prints, per
//! article, the parse time (best of 5 runs; median, p90 and max over articles, and µs per 1,000
//! characters) and the time of the first claim's check of a request (parse included: the first
//! claim reading a passage parses it). Figures, not assertions: these machines are shared and
//! noisy.

use std::path::Path;
use std::time::Instant;

use factgate::numbers::{self, Figures};
use factgate::polarity;

fn best_of<T>(runs: usize, mut f: impl FnMut() -> T) -> f64 {
    (0..runs)
        .map(|_| {
            let t = Instant::now();
            std::hint::black_box(f());
            t.elapsed().as_secs_f64() * 1e6
        })
        .fold(f64::INFINITY, f64::min)
}

fn quantile(sorted: &[f64], q: f64) -> f64 {
    sorted[((sorted.len() - 1) as f64 * q).round() as usize]
}

fn main() {
    // `cargo test --all-targets` runs bench binaries without `--bench`: compile-check only.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("models/data/summary_dev.jsonl");
    let text = std::fs::read_to_string(&file).expect("models/data/summary_dev.jsonl is readable");
    let mut seen = std::collections::HashSet::new();
    let mut rows: Vec<(String, String)> = Vec::new();
    for line in text.lines() {
        let row: serde_json::Value = serde_json::from_str(line).expect("a JSON row");
        let article = row["context"][0]["text"].as_str().unwrap_or("").to_string();
        let claim = row["text"].as_str().unwrap_or("").to_string();
        if !article.is_empty() && seen.insert(article.clone()) {
            rows.push((article, claim));
        }
    }
    let mut parse = Vec::new();
    let mut per_kchar = Vec::new();
    let mut check = Vec::new();
    let mut polarity_first = Vec::new();
    let mut polarity_later = Vec::new();
    let mut chars = 0usize;
    for (article, claim) in &rows {
        let us = best_of(5, || Figures::of(article));
        parse.push(us);
        per_kchar.push(us * 1000.0 / article.len() as f64);
        chars += article.len();
        // The first claim of a request parses the passage; a bound or a side also finds the
        // passages' sentences, once.
        check.push(best_of(5, || {
            numbers::check(&Figures::of(claim), &[&Figures::of(article)])
        }));
        // The first claim reading a passage reads its sentences; later claims only check.
        polarity_first.push(best_of(5, || {
            let claim = polarity::Claim::read(claim)?;
            polarity::check(&claim, &[&polarity::Sentences::of(article)])
        }));
        let read = polarity::Sentences::of(article);
        polarity_later.push(best_of(5, || {
            polarity::check(&polarity::Claim::read(claim)?, &[&read])
        }));
    }
    for v in [
        &mut parse,
        &mut per_kchar,
        &mut check,
        &mut polarity_first,
        &mut polarity_later,
    ] {
        v.sort_by(f64::total_cmp);
    }
    println!(
        "## numbers and polarity checks on {} dev articles ({} characters on average)",
        rows.len(),
        chars / rows.len().max(1)
    );
    println!("what                         median      p90      max   (µs, best of 5 per article)");
    for (name, v) in [
        ("Figures::of per article", &parse),
        ("  per 1,000 characters", &per_kchar),
        ("of + check, first claim", &check),
        ("polarity, first claim", &polarity_first),
        ("polarity, later claims", &polarity_later),
    ] {
        println!(
            "{name:<26} {:>9.1} {:>8.1} {:>8.1}",
            quantile(v, 0.5),
            quantile(v, 0.9),
            quantile(v, 1.0)
        );
    }
}
