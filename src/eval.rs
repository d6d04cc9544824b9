//! `factgate calibrate` and `factgate eval` over labeled JSON Lines.
//!
//! Format, one object per line (see `models/data/README.md`):
//! `{"id": "...", "text": "<response>", "prompt": null | "...",
//!   "context": [{"id": "...", "text": "..."}], "label": "SUPPORTED" | "CONTRADICTED" | "UNVERIFIABLE",
//!   "correct": true | false (optional)}`.
//! `correct` says whether the text is right when the label alone does not (a hallucinated answer
//! the evidence neither supports nor contradicts is UNVERIFIABLE and not correct); confidence is
//! scored against it ([`Scored::correct_target`]).
//! A row's prediction is the response's status (`calibrate::response_status`: any contradicted
//! claim -> CONTRADICTED; at least one supported and response confidence > 0.5 -> SUPPORTED;
//! else UNVERIFIABLE) with the response confidence.

use std::path::{Path, PathBuf};
use std::time::Instant;

use serde::Deserialize;
use serde_json::json;

use crate::calibrate::{self, class_index, Calibration, Metrics, Prior, Scored};
use crate::pipeline::{Budget, CheckInput, CheckOutcome, Checker, Passage};
use crate::reason::Status;

/// A context passage in the labeled format.
#[derive(Debug, Clone, Deserialize)]
pub struct LabeledPassage {
    /// Id.
    #[serde(default)]
    pub id: String,
    /// Text.
    pub text: String,
}

/// One labeled example.
#[derive(Debug, Clone, Deserialize)]
pub struct Labeled {
    /// Row id.
    #[serde(default)]
    pub id: String,
    /// The response to check.
    pub text: String,
    /// Optional prompt.
    #[serde(default)]
    pub prompt: Option<String>,
    /// Optional context passages.
    #[serde(default)]
    pub context: Vec<LabeledPassage>,
    /// The expected status.
    pub label: Status,
    /// Whether the text is correct, when the label does not say it.
    #[serde(default)]
    pub correct: Option<bool>,
}

impl Labeled {
    /// What the confidence of this row is scored against (`None`: unknown).
    pub fn correct_target(&self) -> Option<bool> {
        Scored::correct_target(self.label, self.correct, !self.context.is_empty())
    }
}

/// Reads a labeled file, gunzipped when its name ends in `.gz`; errors name the file and line.
pub fn read(path: &Path) -> Result<Vec<Labeled>, String> {
    parse(path, std::fs::read(path).map_err(|e| cannot_read(path, e))?)
}

fn cannot_read(path: &Path, why: impl std::fmt::Display) -> String {
    format!("cannot read {}: {why}", path.display())
}

/// The rows of a labeled file read as `bytes` ([`read`]); `path` names it in errors and says
/// whether it is gzipped.
fn parse(path: &Path, bytes: Vec<u8>) -> Result<Vec<Labeled>, String> {
    let text = if path.extension().is_some_and(|e| e == "gz") {
        let mut text = String::new();
        std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(&bytes[..]), &mut text)
            .map_err(|e| cannot_read(path, e))?;
        text
    } else {
        String::from_utf8(bytes).map_err(|e| cannot_read(path, format!("not UTF-8 ({e})")))?
    };
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| {
            serde_json::from_str(l).map_err(|e| format!("{}:{}: {e}", path.display(), i + 1))
        })
        .collect()
}

/// The claim results of `claims` with no budget (fitting must not depend on the machine's
/// load); an internal failure is an error.
fn checked(
    checker: &Checker,
    inp: &CheckInput,
    claims: &[crate::claims::Claim],
) -> Result<Vec<crate::pipeline::ClaimResult>, String> {
    let c = checker.check_claims(
        inp,
        claims,
        &mut Budget::unlimited(),
        &mut Default::default(),
    );
    match c.shortfall {
        None => Ok(c.results),
        Some(s) => Err(s.message().to_string()),
    }
}

/// A multi-claim row re-checked under the checker's calibration: its claims, the request's
/// shape and how many claims had no window read.
fn rechecked(
    checker: &Checker,
    inp: &CheckInput,
) -> Result<(Vec<crate::pipeline::ClaimResult>, calibrate::Shape, usize), String> {
    let claims = crate::claims::split(&inp.response);
    let results =
        checked(checker, inp, &claims).map_err(|e| format!("request {}: {e}", inp.request_id))?;
    let shape = calibrate::Shape::of(&inp.prompt, inp.context.iter().map(|p| p.text.as_str()));
    let unread = crate::pipeline::unread_claims(&results);
    Ok((results, shape, unread))
}

fn input(row: &Labeled) -> CheckInput {
    CheckInput {
        response: row.text.clone(),
        prompt: row.prompt.clone().unwrap_or_default(),
        context: row
            .context
            .iter()
            .map(|p| Passage {
                id: p.id.clone(),
                text: p.text.clone(),
            })
            .collect(),
        ..CheckInput::default()
    }
}

/// Fits a calibration on labeled files with a checker that has the verifier (and no
/// calibration). The claim model is fitted on the rows with one claim and on the claims of
/// multi-claim rows of known correctness read as bags ([`bag`]); the priors, the confidence map
/// of claims read against passages ([`calibrate::ConfidenceMap`]) and the SUPPORTED thresholds on
/// the single-claim rows; then, with that calibration in place, the contradiction
/// thresholds on the correct rows of both kinds; then, with those in place too, the response
/// combination ([`calibrate::ResponseFit`], on [`crate::pipeline::response_claims`]) on the rows
/// that split into several claims and whose correctness is known; last, with all of that in
/// place, the response SUPPORTED threshold on the same multi-claim rows. The checker keeps the
/// fitted calibration.
///
/// `response_files` hold more whole responses for the fits made on whole responses only (the
/// response combination and the two response-level bars): their multi-claim rows of known
/// correctness join those of `files` there, and nothing of them reaches the claim model, its
/// priors or its SUPPORTED bars. So more responses can steady those fits without changing the
/// mix the claim model is fitted on (more summaries among its rows bent it towards them).
pub fn calibrate(
    checker: &mut Checker,
    files: &[PathBuf],
    response_files: &[PathBuf],
) -> Result<Calibration, String> {
    let verifier = checker
        .verifier()
        .cloned()
        .ok_or("calibration needs the verifier: enable [verifier] in the config")?;
    let model = verifier.config.version.clone();
    // The passes below check the multi-claim rows again under each new part of the calibration;
    // what the model reads does not change, so each pair runs once.
    let _memo = Memoized::on(verifier);
    let mut x = Vec::new();
    let mut y = Vec::new();
    // (features, the request had context, correctness if known) for fitting the priors.
    let mut truth: Vec<(calibrate::PriorKind, Option<bool>)> = Vec::new();
    // Signals of those rows, for the SUPPORTED thresholds.
    let mut sigs: Vec<calibrate::Signals> = Vec::new();
    // Multi-claim rows of known correctness, for the response combination.
    let mut multi: Vec<(CheckInput, bool)> = Vec::new();
    // Their claims as weighted claim rows for the claim model ([`bag`]).
    let (mut x_bag, mut y_bag, mut w_bag) = (Vec::new(), Vec::new(), Vec::new());
    let mut skipped = 0usize;
    let (mut fitted_files, mut response_only) = (Vec::new(), Vec::new());
    // Multi-claim rows of the response files, and how many of their rows were not.
    let (mut response_rows_used, mut response_rows_unused) = (0usize, 0usize);
    // (file, whether it feeds the claim model too, not only the fits on whole responses)
    let all_fits = files.iter().map(|f| (f, true));
    for (f, claim_model) in all_fits.chain(response_files.iter().map(|f| (f, false))) {
        // Read once: the fitted file's sha256 is of the bytes parsed.
        let bytes = std::fs::read(f).map_err(|e| cannot_read(f, e))?;
        let sha256 = crate::audit::sha256_hex(&bytes);
        let rows = parse(f, bytes)?;
        let record = json!({"path": f.display().to_string(), "sha256": sha256, "rows": rows.len()});
        if claim_model {
            fitted_files.push(record);
        } else {
            response_only.push(record);
        }
        for row in &rows {
            let inp = input(row);
            let claims = crate::claims::split(&inp.response);
            if !claim_model {
                match row.correct_target() {
                    Some(ok) if claims.len() > 1 => {
                        multi.push((inp, ok));
                        response_rows_used += 1;
                    }
                    _ => response_rows_unused += 1,
                }
                continue;
            }
            let results =
                checked(checker, &inp, &claims).map_err(|e| format!("row {}: {e}", row.id))?;
            match results.as_slice() {
                [one] => {
                    let s = one
                        .signals
                        .ok_or("verifier produced no signals; this is a bug")?;
                    x.push(s.features());
                    y.push(class_index(row.label));
                    truth.push((s.prior_kind(), row.correct_target()));
                    sigs.push(s);
                }
                [] => skipped += 1,
                many => match row.correct_target() {
                    Some(ok) => {
                        let s: Vec<calibrate::Signals> =
                            many.iter().filter_map(|c| c.signals).collect();
                        if s.len() == many.len() {
                            bag(&s, ok, row.label, &mut x_bag, &mut y_bag, &mut w_bag);
                        }
                        multi.push((inp, ok));
                    }
                    None => skipped += 1,
                },
            }
        }
    }
    if x.len() < 30 {
        return Err(format!(
            "only {} usable rows; need at least 30 to fit",
            x.len()
        ));
    }
    let (mut x_all, mut y_all) = (x.clone(), y.clone());
    x_all.extend_from_slice(&x_bag);
    y_all.extend_from_slice(&y_bag);
    let mut w_all = vec![1.0; x.len()];
    w_all.extend_from_slice(&w_bag);
    let weights = calibrate::fit(&x_all, &y_all, &w_all, 1e-3, 1500);
    // Class probabilities of every fitting row, for the priors and the fit metrics.
    let probs: Vec<[f64; 3]> = x
        .iter()
        .map(|xi| calibrate::predict(&weights, xi))
        .collect();
    let prior_rows = |kind: calibrate::PriorKind| -> Vec<([f64; 3], bool)> {
        probs
            .iter()
            .zip(&truth)
            .filter(|(_, t)| t.0 == kind)
            .filter_map(|(p, t)| t.1.map(|c| (*p, c)))
            .collect()
    };
    use calibrate::PriorKind;
    let (ctx_rows, reply_rows, unread_rows, none_rows) = (
        prior_rows(PriorKind::Context),
        prior_rows(PriorKind::Reply),
        prior_rows(PriorKind::Unread),
        prior_rows(PriorKind::None),
    );
    let unverifiable_prior = Prior {
        context: calibrate::fit_prior(&ctx_rows),
        reply: calibrate::fit_prior(&reply_rows),
        unread: calibrate::fit_prior(&unread_rows),
        none: calibrate::fit_prior(&none_rows),
    };
    let mut cal = Calibration::new(weights, unverifiable_prior);
    // The confidence map of claims read against passages, on the same single-claim rows of
    // its group: (confidence under the priors, correct). Everything after is fitted with it in
    // place.
    let map_rows: Vec<(f64, bool)> = probs
        .iter()
        .zip(&sigs)
        .zip(&truth)
        .filter(|((_, s), _)| calibrate::ConfidenceMap::applies(s))
        .filter_map(|((p, s), t)| t.1.map(|ok| (cal.confidence(p, s), ok)))
        .collect();
    cal.context_map = calibrate::ConfidenceMap::fit(&map_rows);
    // SUPPORTED thresholds per request shape, on the same single-claim rows: (the verifier's
    // argmax is SUPPORTED and no graph decision, confidence, the row is SUPPORTED). A graph
    // decision is not thresholded, so those rows are left out.
    let shape_rows = |question: bool| -> Vec<(bool, f64, bool)> {
        probs
            .iter()
            .zip(&sigs)
            .zip(&y)
            .filter(|((_, s), _)| s.question == question && s.symbolic.is_none())
            .map(|((p, s), &yi)| (p[0] >= p[1] && p[0] >= p[2], cal.confidence(p, s), yi == 0))
            .collect()
    };
    let (answer_rows, other_rows) = (shape_rows(true), shape_rows(false));
    cal.support_threshold = Some(calibrate::SupportThreshold {
        answer: calibrate::SupportThreshold::choose(&answer_rows),
        other: calibrate::SupportThreshold::choose(&other_rows),
        response: 0.5,
    });
    // Contradiction thresholds per claim group: for each correct dev row, the highest
    // P(CONTRADICTED) among its claims of each group (graph decisions left out); the single-claim
    // rows here, the multi-claim ones in the second pass.
    // Indexed by `ContradictGroup as usize`: answer, long, other.
    let mut correct_max_pc: [Vec<f64>; 3] = Default::default();
    let mut note_correct = |claims: &[(calibrate::Signals, f64)]| {
        let mut best: [Option<f64>; 3] = [None; 3];
        for (s, pc) in claims.iter().filter(|(s, _)| s.symbolic.is_none()) {
            let g = calibrate::ContradictThreshold::group(s) as usize;
            best[g] = Some(best[g].map_or(*pc, |b: f64| b.max(*pc)));
        }
        for (g, b) in best.iter().enumerate() {
            correct_max_pc[g].extend(*b);
        }
    };
    for ((p, s), t) in probs.iter().zip(&sigs).zip(&truth) {
        if t.1 == Some(true) {
            note_correct(&[(*s, p[1])]);
        }
    }
    // Second pass: the claims of multi-claim rows under the claim calibration just fitted.
    checker.set_calibration(Some(std::sync::Arc::new(cal.clone())));
    for (inp, _) in multi.iter().filter(|m| m.1) {
        let (results, ..) = rechecked(checker, inp)?;
        let pcs: Vec<(calibrate::Signals, f64)> = results
            .iter()
            .filter_map(|c| c.signals)
            .map(|s| (s, cal.predict(&s)[1]))
            .collect();
        note_correct(&pcs);
    }
    let [answer_pc, long_pc, other_pc] = &correct_max_pc;
    cal.contradict_threshold = Some(calibrate::ContradictThreshold {
        answer: calibrate::ContradictThreshold::choose(answer_pc),
        long: calibrate::ContradictThreshold::choose(long_pc),
        other: calibrate::ContradictThreshold::choose(other_pc),
    });
    checker.set_calibration(Some(std::sync::Arc::new(cal.clone())));
    let mut response_rows = Vec::with_capacity(multi.len());
    for (inp, ok) in &multi {
        let (results, shape, unread) = rechecked(checker, inp)?;
        response_rows.push((
            crate::pipeline::response_claims(&results).0,
            unread,
            shape,
            *ok,
        ));
    }
    if response_rows.len() >= 30 {
        cal.response = Some(calibrate::ResponseFit::fit(&response_rows));
    }
    // Third pass: the multi-claim rows under everything fitted so far choose the response
    // confidence a response of several claims needs to be SUPPORTED: (a claim SUPPORTED and
    // none CONTRADICTED, response confidence, the response is correct).
    checker.set_calibration(Some(std::sync::Arc::new(cal.clone())));
    let mut backed_rows = Vec::with_capacity(multi.len());
    for (inp, ok) in &multi {
        let (results, ..) = rechecked(checker, inp)?;
        let statuses: Vec<(Status, f64)> =
            results.iter().map(|c| (c.status, c.confidence)).collect();
        let confidence = checker.response_confidence(inp, &results);
        backed_rows.push((calibrate::backed(&statuses), confidence, *ok));
    }
    if let Some(t) = cal.support_threshold.as_mut() {
        t.response = calibrate::SupportThreshold::choose(&backed_rows);
    }
    // What each SUPPORTED bar costs on its rows; a bar over the false-SUPPORTED cap is said.
    let bars: serde_json::Map<String, serde_json::Value> = cal
        .support_threshold
        .iter()
        .flat_map(|t| {
            [
                ("answer", t.answer, &answer_rows),
                ("other", t.other, &other_rows),
                ("response", t.response, &backed_rows),
            ]
        })
        .map(|(name, bar, rows)| {
            let f = calibrate::SupportThreshold::on(rows, bar);
            // The cap as `SupportThreshold::choose` holds it: on the share's upper bound.
            if f.false_supported_upper > calibrate::MAX_FALSE_SUPPORTED {
                tracing::warn!(
                    bar = name,
                    value = f.bar,
                    false_supported = f.false_supported,
                    false_supported_upper = f.false_supported_upper,
                    balanced_accuracy = f.balanced_accuracy,
                    rows = f.rows,
                    "this SUPPORTED bar may leave more than 10 % of unsupported claims SUPPORTED \
                     (the 95 % upper bound of its fitting rows' share is over the cap): no bar \
                     of 0.50..0.95 reaches the cap within 0.01 of balanced accuracy, or a kind \
                     has fewer than 30 rows"
                );
            }
            (name.to_string(), json!(f))
        })
        .collect();
    let id_src = serde_json::to_string(&(
        &cal.weights,
        cal.unverifiable_prior,
        &cal.response,
        &cal.support_threshold,
        &cal.contradict_threshold,
        &cal.context_map,
    ))
    .map_err(|e| e.to_string())?;
    cal.id = format!(
        "cal-{}",
        &crate::audit::sha256_hex(format!("{model}:{id_src}").as_bytes())[..12]
    );
    cal.fitted_on = json!({"files": fitted_files, "model": model, "rows_used": x.len(),
        "response_files": response_only, "response_rows_used": response_rows_used,
        "response_rows_unused": response_rows_unused,
        "rows_multi_claim": response_rows.len(), "claim_rows_from_multi_claim": x_bag.len(),
        "rows_skipped": skipped, "context_map_rows": map_rows.len(),
        "threshold_rows": {"answer": answer_rows.len(), "other": other_rows.len(),
            "response": backed_rows.len()},
        "contradict_threshold_rows": {"answer": answer_pc.len(), "long": long_pc.len(),
            "other": other_pc.len()},
        "prior_rows": {"context": ctx_rows.len(), "reply": reply_rows.len(),
            "unread": unread_rows.len(),
            "none": none_rows.len()}});
    checker.set_calibration(Some(std::sync::Arc::new(cal.clone())));
    // Metrics on the fitting data, for the record (held-out numbers come from `eval`).
    let rows: Vec<Scored> = probs
        .iter()
        .zip(&y)
        .zip(&truth)
        .zip(&sigs)
        .map(|(((p, &yi), t), s)| {
            let k = (0..3).max_by(|&a, &b| p[a].total_cmp(&p[b])).unwrap_or(2);
            Scored {
                confidence: cal.confidence(p, s),
                predicted: calibrate::CLASSES[k],
                label: calibrate::CLASSES[yi],
                correct: t.1,
            }
        })
        .collect();
    let m = calibrate::metrics(&rows);
    cal.metrics = json!({"fit_accuracy": m.accuracy, "fit_ece": m.ece, "fit_brier": m.brier,
        "support_bars": bars});
    Ok(cal)
}

/// The verifier's memo, on while it lives (also when calibration stops at an error).
struct Memoized(std::sync::Arc<crate::verify::Verifier>);

impl Memoized {
    fn on(v: std::sync::Arc<crate::verify::Verifier>) -> Self {
        v.memoize(true);
        Self(v)
    }
}

impl Drop for Memoized {
    fn drop(&mut self) {
        self.0.memoize(false);
    }
}

/// The claims of a multi-claim row of known correctness as claim rows for the claim model (a
/// multiple-instance reading: the label belongs to the response, not to one claim). A correct
/// response's claims are all SUPPORTED, each weighted 1/n so the row counts once; of an incorrect
/// one only the claim the evidence backs least takes the row's label (the one most likely to
/// be what is wrong), weight 1; the others say nothing certain and are left out. Without these
/// rows the claim model sees sentences of summaries and conversation replies only when a
/// response is a single sentence.
fn bag(
    claims: &[calibrate::Signals],
    correct: bool,
    label: Status,
    x: &mut Vec<[f64; calibrate::N_FEATURES]>,
    y: &mut Vec<usize>,
    w: &mut Vec<f64>,
) {
    if correct {
        let n = claims.len() as f64;
        for s in claims {
            x.push(s.features());
            y.push(class_index(Status::Supported));
            w.push(1.0 / n);
        }
    } else if let Some(weakest) = claims
        .iter()
        .min_by(|a, b| a.support_signal().total_cmp(&b.support_signal()))
    {
        let label = if label == Status::Supported {
            Status::Unverifiable
        } else {
            label
        };
        x.push(weakest.features());
        y.push(class_index(label));
        w.push(1.0);
    }
}

/// Evaluation of one file.
#[derive(Debug, Clone, serde::Serialize)]
pub struct FileReport {
    /// File name.
    pub file: String,
    /// Metrics.
    pub metrics: Metrics,
    /// Latency percentiles of a whole check in ms: p50, p90, p99.
    pub latency_ms: [f64; 3],
    /// Every claim's confidence (for the drift reference; not in metrics.json).
    #[serde(skip)]
    pub claim_confidences: Vec<f64>,
    /// One line per row: its label and what the checker said, claim by claim with the
    /// calibration's signals (`eval --rows`; not in metrics.json).
    #[serde(skip)]
    pub rows: Vec<serde_json::Value>,
}

/// What `eval --rows` writes for one row: the row's label and correctness, the response status
/// and confidence, and each claim's status, confidence, support and calibration signals.
fn row_line(row: &Labeled, o: &CheckOutcome) -> serde_json::Value {
    let claims: Vec<serde_json::Value> = o
        .claims
        .iter()
        .map(|c| {
            json!({"text": c.text, "status": c.status, "confidence": c.confidence,
                "support": c.support, "signals": c.signals})
        })
        .collect();
    json!({"id": row.id, "label": row.label, "correct": row.correct_target(),
        "predicted": o.status, "confidence": o.confidence, "verdict": o.verdict,
        "claims": claims})
}

/// Runs the checker over each file.
pub fn evaluate(checker: &Checker, files: &[PathBuf]) -> Result<Vec<FileReport>, String> {
    let mut out = Vec::new();
    for f in files {
        let rows = read(f)?;
        let mut scored = Vec::with_capacity(rows.len());
        let mut lat = Vec::with_capacity(rows.len());
        let mut claim_confidences = Vec::new();
        let mut lines = Vec::with_capacity(rows.len());
        for row in &rows {
            let t = Instant::now();
            let o = checker
                .check(&input(row))
                .map_err(|e| format!("row {}: {e}", row.id))?;
            lat.push(t.elapsed().as_secs_f64() * 1e3);
            claim_confidences.extend(o.claims.iter().map(|c| c.confidence));
            if o.reasons.iter().any(|r| r.code == "INTERNAL_ERROR") {
                return Err(format!("row {}: {}", row.id, o.reasons[0].message));
            }
            lines.push(row_line(row, &o));
            scored.push(Scored {
                confidence: o.confidence,
                predicted: o.status,
                label: row.label,
                correct: row.correct_target(),
            });
        }
        lat.sort_by(f64::total_cmp);
        let pct = |p: f64| {
            lat.get(((lat.len() as f64 - 1.0) * p).round() as usize)
                .copied()
                .unwrap_or(0.0)
        };
        out.push(FileReport {
            file: f.display().to_string(),
            metrics: calibrate::metrics(&scored),
            latency_ms: [pct(0.5), pct(0.9), pct(0.99)],
            claim_confidences,
            rows: lines,
        });
    }
    Ok(out)
}

/// Human-readable report.
pub fn render(reports: &[FileReport]) -> String {
    use std::fmt::Write;
    let mut s = String::new();
    for r in reports {
        let m = &r.metrics;
        let _ = writeln!(s, "{} (n={})", r.file, m.n);
        let _ = writeln!(
            s,
            "  accuracy {:.3}  balanced accuracy {:.3}  ECE(15) {:.3} (noise floor {:.3})  Brier {:.3}  AUROC {:.3} (on {} rows of known correctness)",
            m.accuracy, m.balanced_accuracy, m.ece, m.ece_floor, m.brier, m.auroc, m.n_scored
        );
        let _ = writeln!(
            s,
            "  supported-or-not: balanced accuracy {:.3}  false-SUPPORTED rate {:.3}",
            m.supported_balanced_accuracy, m.false_supported_rate
        );
        for (name, p, rc, n) in &m.per_status {
            let _ = writeln!(s, "  {name:<13} precision {p:.3}  recall {rc:.3}  n {n}");
        }
        let _ = writeln!(
            s,
            "  confusion (rows true S/C/U, cols predicted): {:?}",
            m.confusion
        );
        let _ = writeln!(
            s,
            "  latency ms p50 {:.2}  p90 {:.2}  p99 {:.2}",
            r.latency_ms[0], r.latency_ms[1], r.latency_ms[2]
        );
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_against(support: f64) -> calibrate::Signals {
        calibrate::Signals {
            context: Some([support, 0.1, 0.9 - support]),
            context_given: true,
            ..calibrate::Signals::default()
        }
    }

    #[test]
    fn multi_claim_rows_become_weighted_claim_rows() {
        let claims = [read_against(0.8), read_against(0.2), read_against(0.5)];
        let (mut x, mut y, mut w) = (Vec::new(), Vec::new(), Vec::new());
        // A correct response: every claim SUPPORTED, the row counting once in all.
        bag(&claims, true, Status::Supported, &mut x, &mut y, &mut w);
        assert_eq!(y, vec![class_index(Status::Supported); 3]);
        assert!((w.iter().sum::<f64>() - 1.0).abs() < 1e-12);
        // An incorrect (hallucinated) one: only the least-backed claim, with the row's label.
        bag(&claims, false, Status::Unverifiable, &mut x, &mut y, &mut w);
        assert_eq!(x.len(), 4);
        assert_eq!(x[3], claims[1].features());
        assert_eq!((y[3], w[3]), (class_index(Status::Unverifiable), 1.0));
        // An incorrect response labeled SUPPORTED by mistake is not taught as SUPPORTED.
        bag(&claims, false, Status::Supported, &mut x, &mut y, &mut w);
        assert_eq!(y[4], class_index(Status::Unverifiable));
    }

    #[test]
    fn a_gzipped_labeled_file_reads_like_the_plain_one_and_a_broken_one_names_the_file() {
        use std::io::Write;
        let dir = tempfile::tempdir().expect("tempdir");
        let lines = "{\"id\": \"a\", \"text\": \"Paris is in France.\", \"label\": \"SUPPORTED\"}\n\n\
                     {\"id\": \"b\", \"text\": \"x\", \"label\": \"UNVERIFIABLE\", \"correct\": false}\n";
        let plain = dir.path().join("rows.jsonl");
        std::fs::write(&plain, lines).expect("write");
        let gz = dir.path().join("rows.jsonl.gz");
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        enc.write_all(lines.as_bytes()).expect("write");
        std::fs::write(&gz, enc.finish().expect("gzip")).expect("write");
        let (a, b) = (read(&plain).expect("plain"), read(&gz).expect("gzipped"));
        assert_eq!(a.len(), 2);
        let ids = |r: &[Labeled]| r.iter().map(|l| l.id.clone()).collect::<Vec<_>>();
        assert_eq!(ids(&a), ids(&b));
        assert_eq!(b[1].correct, Some(false));
        // A file named .gz that is not gzip, and a bad line of a gzipped file: both say which file.
        let fake = dir.path().join("fake.jsonl.gz");
        std::fs::write(&fake, lines).expect("write");
        let e = read(&fake).expect_err("an error");
        assert!(e.contains("fake.jsonl.gz"), "{e}");
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        enc.write_all(b"{\"id\": \"a\"}\n").expect("write");
        std::fs::write(&gz, enc.finish().expect("gzip")).expect("write");
        let e = read(&gz).expect_err("an error");
        assert!(e.starts_with(&format!("{}:1:", gz.display())), "{e}");
    }
}
