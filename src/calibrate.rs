//! Calibrate stage: turns the signals of a claim into probabilities that mean what they say.
//!
//! With the neural verifier, a fitted multinomial logistic regression (softmax) over the claim's
//! [`Signals`] gives P(SUPPORTED), P(CONTRADICTED), P(UNVERIFIABLE): how the evidence relates to
//! the claim. The claim's `support` is P(SUPPORTED) (the evidence entails it) and its
//! `confidence` is the probability that the claim is correct:
//!
//! `confidence = P(SUPPORTED) + prior × P(UNVERIFIABLE)`
//!
//! where `prior` is the fitted probability that a claim the evidence says nothing about is
//! correct: one for claims sent with context passages (in RAG, an answer the passages do not
//! back is usually a hallucination), one for replies with passages (a prompt was sent and the
//! claim is not a short answer read with it: conversation turns say more than their knowledge),
//! one for such replies that share no word with any passage window (small talk, opinions:
//! right about half the time) and one for claims with no passages (open-domain claims, mostly
//! true) ([`PriorKind`]).
//! Absence of evidence so no longer drives confidence towards 0. For claims read against
//! passages that are neither short answers nor replies, the result goes through a fitted
//! monotone map ([`ConfidenceMap`]) that bends the linear model's confidence to the accuracy
//! seen on dev. The priors are fitted by
//! `factgate calibrate` (least squares on the rows whose correctness is known), stored in the
//! same versioned JSON (`models/calibration.json`) with what it was fitted on and its metrics;
//! its id is reported in `versions.calibration`. Besides the evidence signals the regression
//! sees the request's [`Shape`] (a reply or not, the context length, the claim's length), so
//! one calibration holds for a conversation turn, a short passage
//! and a long article.
//!
//! Status and confidence never disagree: the verifier's SUPPORTED needs confidence > 0.5, its
//! CONTRADICTED confidence < 0.5 (otherwise the claim is UNVERIFIABLE); an exact graph decision
//! keeps its status and its confidence is held on the same side of 0.5 ([`agree`]).
//!
//! Without a verifier, confidence comes from the symbolic result alone with the fixed values
//! below (`versions.calibration = "none"`), deliberately conservative round numbers:
//!
//! | symbolic result                          | confidence |
//! |------------------------------------------|-----------:|
//! | SUPPORTED, exact match                    | 0.95 |
//! | SUPPORTED, number within tolerance        | 0.90 |
//! | CONTRADICTED                              | 0.05 |
//! | UNVERIFIABLE                              | 0.50 |
//!
//! The response confidence of a single-claim response is the claim's. For several claims it is
//! a fitted logistic combination of the claim confidences ([`ResponseFit`]: lowest and mean
//! log-odds, number of claims, the request's shape, and the lowest log-odds of a CONTRADICTED
//! claim read against part of a long context), fitted by `factgate calibrate` on multi-claim
//! dev rows, because the lowest claim confidence under-states long faithful answers (most of
//! their sentences are only partly covered by any one window), and summaries with a sentence
//! read as contradicted were faithful more often than that sentence's confidence said (dev). A
//! response with a CONTRADICTED claim stays below 0.5 ([`agree`]), and at most the confidence
//! of a CONTRADICTED claim that was not read against part of a long context (those are what
//! the fit weighs). Without a fit it is the lowest claim confidence; 0.5 when there is no claim.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::reason::{MatchKind, Status};
use crate::verify::Probs;

/// Identifier reported in `versions.calibration` for the fixed table.
pub const NONE_ID: &str = "none";

/// Confidence that a claim with this symbolic result is correct (no verifier).
pub fn symbolic_confidence(status: Status, strength: MatchKind) -> f64 {
    match (status, strength) {
        (Status::Supported, MatchKind::WithinTolerance) => 0.90,
        (Status::Supported, _) => 0.95,
        (Status::Contradicted, _) => 0.05,
        (Status::Unverifiable, _) => 0.50,
    }
}

/// Response confidence from its claims' (status, confidence), `unread` of which were sent with
/// context but had no window read ([`Signals::unread`]): 0.5 without claims; a single claim's
/// own confidence; for several claims the fitted [`ResponseFit`] when there is one (held below
/// 0.5 when a claim is CONTRADICTED, so the response's status and confidence agree), else the
/// lowest claim confidence; never above `cap`, the lowest confidence of a CONTRADICTED claim
/// that the response model was not fitted to weigh (any but one read against part of a long
/// context: `pipeline::Checker::response_confidence`; 1.0 when there is none).
pub fn response_confidence(
    claims: &[(Status, f64)],
    unread: usize,
    shape: &Shape,
    fit: Option<&ResponseFit>,
    cap: f64,
) -> f64 {
    let contradicted = claims.iter().any(|c| c.0 == Status::Contradicted);
    let combined = match (claims, fit) {
        ([], _) => return 0.5,
        ([one], _) => return one.1,
        (many, Some(f)) if contradicted => {
            agree(Status::Contradicted, f.predict(many, unread, shape))
        }
        (many, Some(f)) => f.predict(many, unread, shape),
        (many, None) => many.iter().map(|c| c.1).fold(1.0, f64::min),
    };
    combined.min(cap)
}

/// Status of the whole response from its claims' (status, confidence) and the response
/// confidence ([`response_confidence`]): CONTRADICTED when any claim is; SUPPORTED when the
/// evidence backs at least one claim, contradicts none, and the response confidence is above
/// `bar` for several claims (the calibration's [`SupportThreshold::response`], at least 0.5:
/// more likely correct than not) or above 0.5 for one; else UNVERIFIABLE. A single claim's
/// status is the response's (its own bar is already behind it).
/// Requiring every claim of a long answer to be SUPPORTED said UNVERIFIABLE to most faithful
/// summaries whose response confidence was 0.9 (most of their sentences are only partly covered
/// by any one window), a status that disagreed with the confidence next to it.
pub fn response_status(claims: &[(Status, f64)], confidence: f64, bar: f64) -> Status {
    let bar = if claims.len() > 1 { bar.max(0.5) } else { 0.5 };
    if claims.iter().any(|c| c.0 == Status::Contradicted) {
        Status::Contradicted
    } else if backed(claims) && confidence > bar {
        Status::Supported
    } else {
        Status::Unverifiable
    }
}

/// Whether the evidence backs at least one of the claims and contradicts none: a response that
/// [`response_status`] calls SUPPORTED once its confidence is high enough.
pub fn backed(claims: &[(Status, f64)]) -> bool {
    claims.iter().any(|c| c.0 == Status::Supported)
        && !claims.iter().any(|c| c.0 == Status::Contradicted)
}

/// The shape of a request, as far as calibration cares: what users send differs in the
/// evidence it leaves (a reply in a conversation often says things its knowledge does not; a
/// sentence of a summary is read against a long article), and the fitted models take it in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct Shape {
    /// The request carried a prompt (a question or the user's turn).
    pub prompt_given: bool,
    /// Words in all context passages together.
    pub context_words: u32,
}

impl Shape {
    /// The shape of a request with this prompt and these passages.
    pub fn of<'a>(prompt: &str, passages: impl IntoIterator<Item = &'a str>) -> Self {
        let words: usize = passages
            .into_iter()
            .map(|p| p.split_whitespace().count())
            .sum();
        Self {
            prompt_given: !prompt.trim().is_empty(),
            context_words: u32::try_from(words).unwrap_or(u32::MAX),
        }
    }

    /// Length of the context on a log scale, 1.0 at 1,000 words (0 without context).
    fn context_length(&self) -> f64 {
        (1.0 + f64::from(self.context_words)).ln() / 1000f64.ln()
    }
}

/// Everything known about a claim when it is calibrated.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize)]
pub struct Signals {
    /// Symbolic result.
    pub symbolic: Option<Status>,
    /// The claim was linked to at least one (subject, predicate, value) assertion.
    pub linked: bool,
    /// Verifier probabilities against the verbalized graph facts.
    pub graph: Option<Probs>,
    /// Verifier probabilities against the context windows read, aggregated over the windows
    /// ([`aggregate_windows`]: strongest support, strongest contradiction, least NEI).
    pub context: Option<Probs>,
    /// The request carried context passages (whether or not a window was read).
    pub context_given: bool,
    /// The claim is a short answer read with its question (`pipeline::hypothesis`).
    pub question: bool,
    /// Words of what the verifier read as the claim.
    pub claim_words: u32,
    /// The request's shape.
    pub shape: Shape,
    /// The claim's numbers and dates against those of the context windows read
    /// ([`crate::numbers::check`]): `Some(true)` when they agree, `Some(false)` when one agrees
    /// with none of theirs, `None` when there is nothing to compare.
    pub numbers: Option<bool>,
}

/// Aggregates the verifier's probabilities over the windows a claim was read against: the
/// strongest support, the strongest contradiction and the lowest NOT_ENOUGH_INFO, with the
/// index of the window that supports most and the one that contradicts most. One window that
/// states the fact is enough to support a claim, wherever the rest of the passage wanders.
pub fn aggregate_windows(probs: &[Probs]) -> Option<(Probs, usize, usize)> {
    let argmax =
        |k: usize| (0..probs.len()).reduce(|a, b| if probs[b][k] > probs[a][k] { b } else { a });
    let (sup, refute) = (argmax(0)?, argmax(1)?);
    let nei = probs.iter().map(|p| p[2]).fold(f64::INFINITY, f64::min);
    Some(([probs[sup][0], probs[refute][1], nei], sup, refute))
}

/// Holds a decided status and its confidence on the same side of 0.5: SUPPORTED at least 0.51,
/// CONTRADICTED at most 0.49 (a UI must never show "63 % likely correct" on a red badge).
/// Unverifiable confidences are returned as they are.
pub fn agree(status: Status, confidence: f64) -> f64 {
    match status {
        Status::Supported => confidence.max(0.51),
        Status::Contradicted => confidence.min(0.49),
        Status::Unverifiable => confidence,
    }
}

/// Number of claim features.
pub const N_FEATURES: usize = 26;

/// Feature names, in order (stored in the calibration file and checked at load). The evidence
/// signals take the verifier's support / contradiction both as probabilities and as log-odds,
/// for the graph facts as for the context windows (with probabilities alone a graph decision
/// the facts back without doubt stayed near 0.97 / 0.03 although it is right 99.5 % of the
/// time on dev: graph dev ECE 0.035 → 0.021 with the log-odds). The graph log-odds of a claim
/// the symbolic stage decided only count where the verifier agrees with the decision (the
/// positive part of the log-odds for that side): taken as they are, a verifier that misread
/// "Sydney is the capital of Australia." against "Canberra is the capital of Australia." pulled
/// an exact graph contradiction's confidence up to the 0.49 bound. After the evidence signals
/// come the request shape ([`Shape`]), for claims read against context windows (0 otherwise):
/// `reply` (a prompt was sent and the claim is not a short answer read with it),
/// the context length on a log scale, both crossed with the verifier's support / contradiction
/// log-odds so that the same score can weigh differently in a conversation or against a long
/// article, and the claim's length; last, whether the claim's numbers and dates agree or
/// conflict with those of the windows read ([`Signals::numbers`]: the verifier itself barely
/// reads numbers). Agreement does not count for a short answer read with its question: that
/// the passage mentions "1998" says little about whether 1998 answers the question (counted for
/// them, dev QA false-SUPPORTED was 9.4 %; without, 7.3 %). Whether the claim is one of
/// several is deliberately not a feature: fitted on dev it learned that sentences of multi-sentence responses are right even
/// when the verifier reads a contradiction (faithful summaries), and then called SUPPORTED a
/// plain numeric contradiction in the second sentence of a short answer.
pub const FEATURES: [&str; N_FEATURES] = [
    "bias",
    "sym_supported",
    "sym_contradicted",
    "linked",
    "has_graph_nli",
    "graph_sup",
    "graph_ref",
    "graph_logit_sup",
    "graph_logit_ref",
    "sym_sup_x_graph_logit_sup",
    "sym_ref_x_graph_logit_ref",
    "has_context",
    "ctx_sup",
    "ctx_ref",
    "ctx_nei",
    "ctx_logit_sup",
    "ctx_logit_ref",
    "ctx_given",
    "reply",
    "reply_x_logit_sup",
    "ctx_len",
    "ctx_len_x_logit_sup",
    "ctx_len_x_logit_ref",
    "claim_len",
    "ctx_numbers_agree",
    "ctx_numbers_conflict",
];

fn logit(p: f64) -> f64 {
    let p = p.clamp(1e-4, 1.0 - 1e-4);
    (p / (1.0 - p)).ln()
}

impl Signals {
    /// The feature vector ([`FEATURES`] order).
    pub fn features(&self) -> [f64; N_FEATURES] {
        let b = |x: bool| if x { 1.0 } else { 0.0 };
        let g = self.graph.unwrap_or([0.0; 3]);
        let c = self.context.unwrap_or([0.0; 3]);
        let has_ctx = self.context.is_some();
        let (lsup, lref) = if has_ctx {
            (logit(c[0]), logit(c[1]))
        } else {
            (0.0, 0.0)
        };
        let (gsup, gref) = match self.graph {
            Some(g) => (logit(g[0]), logit(g[1])),
            None => (0.0, 0.0),
        };
        let sym_sup = self.symbolic == Some(Status::Supported);
        let sym_ref = self.symbolic == Some(Status::Contradicted);
        let undecided = b(!sym_sup && !sym_ref);
        // The shape describes how passages were read: a claim decided on graph facts alone
        // keeps the evidence features only (no shape was learned there).
        let ctx = b(has_ctx);
        let reply = ctx * b(self.shape.prompt_given && !self.question);
        let ctx_len = ctx * self.shape.context_length();
        [
            1.0,
            b(sym_sup),
            b(sym_ref),
            b(self.linked),
            b(self.graph.is_some()),
            g[0],
            g[1],
            undecided * gsup,
            undecided * gref,
            b(sym_sup) * gsup.max(0.0),
            b(sym_ref) * gref.max(0.0),
            b(has_ctx),
            c[0],
            c[1],
            if has_ctx { c[2] } else { 0.0 },
            lsup,
            lref,
            b(self.context_given),
            reply,
            reply * lsup,
            ctx_len,
            ctx_len * lsup,
            ctx_len * lref,
            ctx * (1.0 + f64::from(self.claim_words)).ln() / 50f64.ln(),
            ctx * b(self.numbers == Some(true) && !self.question),
            ctx * b(self.numbers == Some(false)),
        ]
    }

    /// Which prior the claim takes when the evidence says nothing about it.
    pub fn prior_kind(&self) -> PriorKind {
        match (
            self.context_given,
            self.shape.prompt_given && !self.question,
            self.context.is_some(),
        ) {
            (false, ..) => PriorKind::None,
            (true, true, false) => PriorKind::Unread,
            (true, true, true) => PriorKind::Reply,
            (true, false, _) => PriorKind::Context,
        }
    }

    /// Sent with context passages but no window was read for it (it shares no content word
    /// with any).
    pub fn unread(&self) -> bool {
        self.context_given && self.context.is_none()
    }

    /// How strongly the evidence read backs the claim, for choosing the weakest claim of a
    /// response: an exact graph SUPPORTED counts as full support, a claim with no window read
    /// as none.
    pub fn support_signal(&self) -> f64 {
        match (self.symbolic, self.context, self.graph) {
            (Some(Status::Supported), _, _) => 1.0,
            (_, Some(c), _) => c[0],
            (_, None, Some(g)) => g[0],
            _ => 0.0,
        }
    }
}

/// Class order of the calibration model.
pub const CLASSES: [Status; 3] = [
    Status::Supported,
    Status::Contradicted,
    Status::Unverifiable,
];

/// Index of a status in [`CLASSES`].
pub fn class_index(s: Status) -> usize {
    match s {
        Status::Supported => 0,
        Status::Contradicted => 1,
        Status::Unverifiable => 2,
    }
}

/// A fitted calibration model (the JSON file).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Calibration {
    /// Version id reported in `versions.calibration`.
    pub id: String,
    /// Feature names, must equal [`FEATURES`].
    pub features: Vec<String>,
    /// Class names (SUPPORTED, CONTRADICTED, UNVERIFIABLE).
    pub classes: Vec<String>,
    /// Weights, one row per class.
    pub weights: Vec<Vec<f64>>,
    /// P(correct) of a claim the evidence says nothing about (see the module docs).
    pub unverifiable_prior: Prior,
    /// How several claim confidences combine into the response confidence (absent: the lowest).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response: Option<ResponseFit>,
    /// Confidence above which the verifier's SUPPORTED stands (absent: 0.5 for both).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub support_threshold: Option<SupportThreshold>,
    /// P(CONTRADICTED) above which the verifier's CONTRADICTED stands (absent: 0.5 for all).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contradict_threshold: Option<ContradictThreshold>,
    /// Monotone map of the confidence of claims read against passages ([`ConfidenceMap`];
    /// absent: none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context_map: Option<ConfidenceMap>,
    /// What it was fitted on (files, rows, model id).
    pub fitted_on: serde_json::Value,
    /// Metrics on the fitting data (the held-out figures come from `factgate eval`).
    pub metrics: serde_json::Value,
}

/// The confidence a claim needs for the verifier to call it SUPPORTED, by request shape: a short
/// answer read with its question, or any other claim; and the response confidence a response of
/// several claims needs to be SUPPORTED ([`response_status`]). Chosen on the dev files by
/// [`SupportThreshold::choose`].
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SupportThreshold {
    /// Short answers read with their question.
    pub answer: f64,
    /// Every other claim.
    pub other: f64,
    /// A response of several claims (0.5 when a file has none: fitted before this existed).
    #[serde(default = "half")]
    pub response: f64,
}

fn half() -> f64 {
    0.5
}

/// Most false-SUPPORTED share (unsupported claims called SUPPORTED) a threshold may leave on dev
/// when one can reach it.
pub const MAX_FALSE_SUPPORTED: f64 = 0.10;

/// How much balanced accuracy (of 0.5's) a threshold may give up on dev to meet
/// [`MAX_FALSE_SUPPORTED`]: a hallucination let through as grounded costs more than a grounded
/// answer left UNVERIFIABLE, but not at any price.
pub const BALANCED_ACCURACY_SLACK: f64 = 0.01;

impl SupportThreshold {
    /// The threshold for a claim with signals `s`.
    pub fn for_claim(t: Option<&Self>, s: &Signals) -> f64 {
        match t {
            Some(t) if s.question => t.answer,
            Some(t) => t.other,
            None => 0.5,
        }
    }

    /// The threshold of one group of dev rows: (verifier says SUPPORTED before any threshold,
    /// confidence, the row is SUPPORTED) — over 0.50, 0.55 … 0.95, among those that do not lower
    /// the balanced accuracy of supported-or-not of 0.5 by more than [`BALANCED_ACCURACY_SLACK`]
    /// (fewer false SUPPORTED is not bought with much worse grounding overall): the one with the
    /// highest balanced accuracy of those that leave at most [`MAX_FALSE_SUPPORTED`]; where none
    /// does, the one that leaves the fewest false SUPPORTED (ties: the higher balanced accuracy),
    /// so a cap out of reach still buys what the slack allows instead of falling back to 0.5,
    /// the bar with the most. 0.5 with fewer than 30 rows of each kind.
    pub fn choose(rows: &[(bool, f64, bool)]) -> f64 {
        let pos = rows.iter().filter(|r| r.2).count();
        if pos < 30 || rows.len() - pos < 30 {
            return 0.5;
        }
        let fits: Vec<BarFit> = (0..10)
            .map(|i| Self::on(rows, 0.5 + 0.05 * f64::from(i)))
            .collect();
        let base = fits[0].balanced_accuracy;
        let within: Vec<&BarFit> = fits
            .iter()
            .filter(|f| f.balanced_accuracy >= base - BALANCED_ACCURACY_SLACK)
            .collect();
        within
            .iter()
            .filter(|f| f.false_supported_upper <= MAX_FALSE_SUPPORTED)
            .max_by(|a, b| a.balanced_accuracy.total_cmp(&b.balanced_accuracy))
            .or_else(|| {
                within.iter().min_by(|a, b| {
                    (a.false_supported.total_cmp(&b.false_supported))
                        .then(b.balanced_accuracy.total_cmp(&a.balanced_accuracy))
                })
            })
            .map(|f| f.bar)
            .unwrap_or(0.5)
    }

    /// What `bar` does on rows of [`SupportThreshold::choose`]'s kind: its supported-or-not
    /// balanced accuracy, the share of unsupported rows it leaves SUPPORTED (0 where the rows
    /// have none of a kind) and that share's Wilson 95 % upper bound.
    pub fn on(rows: &[(bool, f64, bool)], bar: f64) -> BarFit {
        let said = |r: &&(bool, f64, bool)| r.0 && r.1 > bar;
        let share = |of: bool| {
            let n = rows.iter().filter(|r| r.2 == of).count();
            let s = rows.iter().filter(|r| r.2 == of).filter(said).count();
            (if n == 0 { 0.0 } else { s as f64 / n as f64 }, n)
        };
        let ((tp, _), (fp, negatives)) = (share(true), share(false));
        BarFit {
            bar,
            balanced_accuracy: (tp + 1.0 - fp) / 2.0,
            false_supported: fp,
            false_supported_upper: wilson_upper(fp, negatives),
            rows: rows.len(),
        }
    }
}

/// A SUPPORTED bar on the dev rows it was chosen on ([`SupportThreshold::on`]), recorded in the
/// calibration's `metrics` so that whoever fits one sees what it costs; `factgate calibrate`
/// warns where a bar's `false_supported_upper` is over [`MAX_FALSE_SUPPORTED`] (the cap as
/// [`SupportThreshold::choose`] holds it).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct BarFit {
    pub bar: f64,
    pub balanced_accuracy: f64,
    pub false_supported: f64,
    /// The Wilson 95 % upper bound of `false_supported`: what [`SupportThreshold::choose`]
    /// holds to the cap, so that a share just under it on a few hundred rows does not count as
    /// meeting it.
    pub false_supported_upper: f64,
    pub rows: usize,
}

/// The Wilson score 95 % upper bound of a share `p` observed on `n` rows (0 with no rows).
pub fn wilson_upper(p: f64, n: usize) -> f64 {
    if n == 0 {
        return 0.0;
    }
    let (z2, n) = (1.96f64 * 1.96, n as f64);
    let centre = p + z2 / (2.0 * n);
    let spread = (z2 * (p * (1.0 - p) / n + z2 / (4.0 * n * n))).sqrt();
    ((centre + spread) / (1.0 + z2 / n)).min(1.0)
}

/// The calibrated P(CONTRADICTED) a claim needs for the verifier to call it CONTRADICTED, by
/// request shape: a short answer read with its question, a claim read against a context longer
/// than the windows the verifier reads ([`crate::retrieve::MAX_WINDOWS`] ×
/// [`crate::retrieve::WINDOW_WORDS`] words: a summary sentence against its article), or any
/// other claim. Chosen on the dev files by [`ContradictThreshold::choose`]. A false accusation
/// is worse than none: on dev, a CONTRADICTED sentence of a summary read against part of its
/// article was more often wrong than right at P(CONTRADICTED) > 0.5 (19 of 32 such summaries
/// were faithful).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContradictThreshold {
    /// Short answers read with their question.
    pub answer: f64,
    /// Claims read against a context longer than the windows read.
    pub long: f64,
    /// Every other claim.
    pub other: f64,
}

/// Most share of correct dev responses of one shape that a contradiction threshold may leave
/// with a CONTRADICTED claim.
pub const MAX_FALSE_CONTRADICTED: f64 = 0.05;

/// A claim's group for [`ContradictThreshold`] (`as usize`: 0, 1, 2 in the order of its fields).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContradictGroup {
    /// A short answer read with its question.
    Answer,
    /// Read against a context longer than the windows read.
    Long,
    /// Any other claim.
    Other,
}

impl ContradictGroup {
    /// The group in words, for explanations.
    pub fn describe(self) -> &'static str {
        match self {
            Self::Answer => "a short answer read with its question",
            Self::Long => "a claim read against a context longer than the windows read",
            Self::Other => "a claim that is neither a short answer nor read against a long context",
        }
    }
}

impl ContradictThreshold {
    /// The group of a claim with signals `s`.
    pub fn group(s: &Signals) -> ContradictGroup {
        let read = crate::retrieve::MAX_WINDOWS * crate::retrieve::WINDOW_WORDS;
        if s.question {
            ContradictGroup::Answer
        } else if s.context_given && s.shape.context_words as usize > read {
            ContradictGroup::Long
        } else {
            ContradictGroup::Other
        }
    }

    /// The threshold for a claim with signals `s`.
    pub fn for_claim(t: Option<&Self>, s: &Signals) -> f64 {
        match (t, Self::group(s)) {
            (Some(t), ContradictGroup::Answer) => t.answer,
            (Some(t), ContradictGroup::Long) => t.long,
            (Some(t), ContradictGroup::Other) => t.other,
            (None, _) => 0.5,
        }
    }

    /// The threshold of one group from the correct dev responses that have claims of that group:
    /// each row is the highest P(CONTRADICTED) among those claims (graph decisions left out). Over
    /// 0.50, 0.55 … 0.95, the lowest that leaves at most [`MAX_FALSE_CONTRADICTED`] of them with a
    /// CONTRADICTED claim (0.95 if none does); 0.5 with fewer than 30 rows.
    pub fn choose(correct_max_pc: &[f64]) -> f64 {
        let n = correct_max_pc.len();
        if n < 30 {
            return 0.5;
        }
        let false_rate =
            |t: f64| correct_max_pc.iter().filter(|&&p| p > t).count() as f64 / n as f64;
        (0..10)
            .map(|i| 0.5 + 0.05 * f64::from(i))
            .find(|&t| false_rate(t) <= MAX_FALSE_CONTRADICTED)
            .unwrap_or(0.95)
    }
}

/// Fitted probability that an unverifiable claim is correct, by what the request carried.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Prior {
    /// The request carried context passages (and the claim is not part of a reply).
    pub context: f64,
    /// A reply with context passages: a prompt was sent and the claim is not a short answer
    /// read with it (a conversation turn, a long RAG answer). Such replies say more than their
    /// passages (greetings, opinions, well-known facts), so an unbacked sentence is more often
    /// right than in a summary.
    pub reply: f64,
    /// A reply with context passages that shares no content word with any window of a context
    /// of more than [`crate::retrieve::MAX_WINDOWS`] windows ([`crate::retrieve::top_windows`]),
    /// so nothing was read for it. Conversation turns say such things often and rightly ("I
    /// hear they're both great."). Such a claim is read against every window of a shorter
    /// context, so the shipped dev files have no such row and the fit leaves it at 0.5
    /// ([`fit_prior`] with no rows). (A short answer read with its question
    /// that shares nothing with the passage keeps the context prior.)
    pub unread: f64,
    /// No context passages (graph only, or nothing).
    pub none: f64,
}

/// Which [`Prior`] an unverifiable claim takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PriorKind {
    /// [`Prior::context`].
    Context,
    /// [`Prior::reply`].
    Reply,
    /// [`Prior::unread`].
    Unread,
    /// [`Prior::none`].
    None,
}

impl Prior {
    /// `P(SUPPORTED) + prior × P(UNVERIFIABLE)` for class probabilities `p`, with the prior of
    /// the claim's kind.
    pub fn confidence(&self, p: &[f64; 3], kind: PriorKind) -> f64 {
        let prior = match kind {
            PriorKind::Context => self.context,
            PriorKind::Reply => self.reply,
            PriorKind::Unread => self.unread,
            PriorKind::None => self.none,
        };
        (p[0] + prior * p[2]).clamp(0.0, 1.0)
    }
}

/// Calibration file errors.
#[derive(Debug, thiserror::Error)]
pub enum CalibrationError {
    /// Missing, unreadable or inconsistent file.
    #[error("calibration file {file}: {message}")]
    File {
        /// The file.
        file: PathBuf,
        /// What is wrong.
        message: String,
    },
}

impl Calibration {
    /// A calibration of a claim model (`weights` over [`FEATURES`]) and its priors alone: no
    /// response model, thresholds or confidence map, and no id or provenance yet (`factgate
    /// calibrate` fits and fills those in turn).
    pub fn new(weights: Vec<Vec<f64>>, unverifiable_prior: Prior) -> Self {
        Self {
            id: String::new(),
            features: FEATURES.iter().map(|s| s.to_string()).collect(),
            classes: vec![
                "SUPPORTED".into(),
                "CONTRADICTED".into(),
                "UNVERIFIABLE".into(),
            ],
            weights,
            unverifiable_prior,
            response: None,
            support_threshold: None,
            contradict_threshold: None,
            context_map: None,
            fitted_on: serde_json::Value::Null,
            metrics: serde_json::Value::Null,
        }
    }

    /// Reads and checks a calibration file.
    pub fn load(path: &Path) -> Result<Self, CalibrationError> {
        let err = |m: String| CalibrationError::File {
            file: path.to_path_buf(),
            message: m,
        };
        let text = std::fs::read_to_string(path).map_err(|e| err(e.to_string()))?;
        let c: Calibration = serde_json::from_str(&text).map_err(|e| err(e.to_string()))?;
        if c.features != FEATURES {
            return Err(err(format!(
                "features {:?} do not match this build's {:?}; re-run `factgate calibrate`",
                c.features, FEATURES
            )));
        }
        if c.weights.len() != 3 || c.weights.iter().any(|w| w.len() != FEATURES.len()) {
            return Err(err(
                "weights must be 3 rows of one weight per feature".into()
            ));
        }
        if c.weights.iter().flatten().any(|w| !w.is_finite()) {
            return Err(err("weights contain NaN or infinity".into()));
        }
        let Prior {
            context,
            reply,
            unread,
            none,
        } = c.unverifiable_prior;
        if [context, reply, unread, none]
            .iter()
            .any(|p| !(0.0..=1.0).contains(p))
        {
            return Err(err(format!(
                "unverifiable_prior {{context: {context}, reply: {reply}, unread: {unread}, none: {none}}} must lie in 0..1"
            )));
        }
        if let Some(r) = &c.response {
            if r.weights.len() != RESPONSE_FEATURES.len()
                || r.weights.iter().any(|w| !w.is_finite())
            {
                return Err(err(format!(
                    "response.weights must be {} finite numbers ({RESPONSE_FEATURES:?})",
                    RESPONSE_FEATURES.len()
                )));
            }
        }
        // Below 0.5 a SUPPORTED claim could carry confidence under 0.5 (or a CONTRADICTED one
        // P(CONTRADICTED) under 0.5): status and confidence would disagree.
        let in_range = |t: f64| (0.5..=1.0).contains(&t);
        if let Some(SupportThreshold {
            answer,
            other,
            response,
        }) = c.support_threshold
        {
            if ![answer, other, response].into_iter().all(in_range) {
                return Err(err(format!(
                    "support_threshold {{answer: {answer}, other: {other}, response: {response}}} must lie in 0.5..1"
                )));
            }
        }
        if let Some(ContradictThreshold {
            answer,
            long,
            other,
        }) = c.contradict_threshold
        {
            if ![answer, long, other].into_iter().all(in_range) {
                return Err(err(format!(
                    "contradict_threshold {{answer: {answer}, long: {long}, other: {other}}} must lie in 0.5..1"
                )));
            }
        }
        if let Some(m) = &c.context_map {
            m.check().map_err(|e| err(format!("context_map: {e}")))?;
        }
        Ok(c)
    }

    /// Class probabilities for a claim's signals.
    pub fn predict(&self, s: &Signals) -> [f64; 3] {
        predict(&self.weights, &s.features())
    }

    /// P(claim is correct) from the class probabilities `p` of a claim with signals `s`.
    pub fn confidence(&self, p: &[f64; 3], s: &Signals) -> f64 {
        let c = self.unverifiable_prior.confidence(p, s.prior_kind());
        match &self.context_map {
            Some(m) if ConfidenceMap::applies(s) => m.apply(c),
            _ => c,
        }
    }
}

/// A strictly increasing, piecewise-linear map on the log-odds of a claim's confidence, for the
/// claims read against context passages that are neither short answers read with their
/// question nor replies, and not decided by the graph ([`ConfidenceMap::applies`]): VitaminC
/// claims, claims against RAG passages, summary sentences. The claim model is linear in the
/// verifier's log-odds, and on the dev rows of that group its confidence ran above the
/// accuracy in the middle and below it near 0.85 (VitaminC dev: 0.44 for 0.30 correct, 0.83
/// for 0.90). The map bends that back; being increasing it keeps the order of the confidences.
/// `z = at_zero + Σ slopes[j] × (the part of segment j between 0 and x)` where `x` is the
/// log-odds before the map and segment j runs from `knots[j-1]` to `knots[j]` (the first and
/// last are open-ended). Fitted by [`ConfidenceMap::fit`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfidenceMap {
    /// Segment ends on the log-odds before the map, increasing.
    pub knots: Vec<f64>,
    /// Log-odds after the map where it is 0 before.
    pub at_zero: f64,
    /// Slope of each segment, one more than knots, each at least [`ConfidenceMap::MIN_SLOPE`].
    pub slopes: Vec<f64>,
    /// Rows it was fitted on.
    pub rows: usize,
}

impl ConfidenceMap {
    /// The knots `factgate calibrate` fits: one log-odds apart, from -3 to 3 (confidence 0.05
    /// to 0.95).
    pub const KNOTS: [f64; 7] = [-3.0, -2.0, -1.0, 0.0, 1.0, 2.0, 3.0];
    /// The smallest slope: the map stays strictly increasing.
    pub const MIN_SLOPE: f64 = 0.05;
    /// Fewer fitting rows leave the confidence unmapped.
    pub const MIN_ROWS: usize = 200;

    /// Whether a claim's confidence goes through the map.
    pub fn applies(s: &Signals) -> bool {
        s.prior_kind() == PriorKind::Context && !s.question && s.symbolic.is_none()
    }

    /// How much of each segment lies between 0 and `x` (negative below 0).
    fn parts(knots: &[f64], x: f64) -> Vec<f64> {
        (0..=knots.len())
            .map(|j| {
                let lo = if j == 0 {
                    f64::NEG_INFINITY
                } else {
                    knots[j - 1]
                };
                let hi = knots.get(j).copied().unwrap_or(f64::INFINITY);
                x.clamp(lo, hi) - 0f64.clamp(lo, hi)
            })
            .collect()
    }

    /// The mapped confidence.
    pub fn apply(&self, confidence: f64) -> f64 {
        let z = self.at_zero
            + Self::parts(&self.knots, logit(confidence))
                .iter()
                .zip(&self.slopes)
                .map(|(r, s)| r * s)
                .sum::<f64>();
        1.0 / (1.0 + (-z).exp())
    }

    /// Why a map read from a file cannot be used, if it cannot.
    fn check(&self) -> Result<(), String> {
        let finite = |v: &[f64]| v.iter().all(|x| x.is_finite());
        if !finite(&self.knots) || !self.knots.windows(2).all(|w| w[0] < w[1]) {
            return Err("knots must be finite and increasing".into());
        }
        if self.slopes.len() != self.knots.len() + 1 {
            return Err("slopes must be one more than knots".into());
        }
        if !self.at_zero.is_finite()
            || !finite(&self.slopes)
            || self.slopes.iter().any(|s| *s < Self::MIN_SLOPE)
        {
            return Err(format!(
                "at_zero and slopes must be finite and the slopes at least {} (the map must keep the confidences' order)",
                Self::MIN_SLOPE
            ));
        }
        Ok(())
    }

    /// Fits the map on (confidence before the map, the claim is correct) rows: logistic
    /// regression of correctness on the segment parts of the log-odds ([`Self::KNOTS`]), slopes
    /// held at [`Self::MIN_SLOPE`] or more, with a small penalty on the change of slope from one
    /// segment to the next (so that sparse segments follow their neighbours). Full-batch
    /// gradient descent with Adam from the identity map, deterministic. `None` with fewer than
    /// [`Self::MIN_ROWS`] rows.
    pub fn fit(rows: &[(f64, bool)]) -> Option<Self> {
        if rows.len() < Self::MIN_ROWS {
            return None;
        }
        let knots = Self::KNOTS.to_vec();
        let d = knots.len() + 2; // at_zero, then the slopes
        let x: Vec<Vec<f64>> = rows
            .iter()
            .map(|(c, _)| {
                let mut v = vec![1.0];
                v.extend(Self::parts(&knots, logit(*c)));
                v
            })
            .collect();
        let n = rows.len() as f64;
        let smooth = 1e-3;
        let mut w = vec![1.0; d];
        w[0] = 0.0;
        let (mut m, mut v) = (vec![0.0; d], vec![0.0; d]);
        let (b1, b2, eps, iterations) = (0.9, 0.999, 1e-8, 3000usize);
        for t in 1..=iterations {
            let mut grad = vec![0.0; d];
            for (xi, (_, ok)) in x.iter().zip(rows) {
                let z: f64 = xi.iter().zip(&w).map(|(a, b)| a * b).sum();
                let g = 1.0 / (1.0 + (-z).exp()) - if *ok { 1.0 } else { 0.0 };
                for (gj, xj) in grad.iter_mut().zip(xi) {
                    *gj += g * xj / n;
                }
            }
            for j in 2..d {
                let diff = w[j] - w[j - 1];
                grad[j] += 2.0 * smooth * diff;
                grad[j - 1] -= 2.0 * smooth * diff;
            }
            // The step shrinks to nothing by the end, so the fit settles.
            let lr = 0.05 * (1.0 - (t - 1) as f64 / iterations as f64);
            for j in 0..d {
                m[j] = b1 * m[j] + (1.0 - b1) * grad[j];
                v[j] = b2 * v[j] + (1.0 - b2) * grad[j] * grad[j];
                let mh = m[j] / (1.0 - b1.powi(t as i32));
                let vh = v[j] / (1.0 - b2.powi(t as i32));
                w[j] -= lr * mh / (vh.sqrt() + eps);
                if j > 0 {
                    w[j] = w[j].max(Self::MIN_SLOPE);
                }
            }
        }
        Some(Self {
            knots,
            at_zero: w[0],
            slopes: w[1..].to_vec(),
            rows: rows.len(),
        })
    }
}

/// The prior that minimises the squared error of `p[0] + prior × p[2]` against `correct` over
/// rows (class probabilities, is the claim correct), clamped to 0.02..0.98; 0.5 without rows that
/// carry information (no unverifiable mass).
pub fn fit_prior(rows: &[([f64; 3], bool)]) -> f64 {
    let (mut num, mut den) = (0.0, 0.0);
    for (p, correct) in rows {
        let y = if *correct { 1.0 } else { 0.0 };
        num += p[2] * (y - p[0]);
        den += p[2] * p[2];
    }
    if den < 1e-9 {
        0.5
    } else {
        (num / den).clamp(0.02, 0.98)
    }
}

/// Softmax regression probabilities for weights `w` and features `x` (3 classes).
pub fn predict(w: &[Vec<f64>], x: &[f64]) -> [f64; 3] {
    softmax(w, x)
}

/// Softmax regression probabilities over `K` classes (one weight row each).
fn softmax<const K: usize>(w: &[Vec<f64>], x: &[f64]) -> [f64; K] {
    let mut z = [0.0; K];
    for (zk, row) in z.iter_mut().zip(w) {
        *zk = row.iter().zip(x).map(|(a, b)| a * b).sum();
    }
    let m = z.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let mut s = 0.0;
    for zk in &mut z {
        *zk = (*zk - m).exp();
        s += *zk;
    }
    z.map(|e| e / s)
}

/// Fits 3-class softmax regression over the claim features, row `i` weighted `w[i]`
/// ([`fit_softmax`]).
pub fn fit(
    x: &[[f64; N_FEATURES]],
    y: &[usize],
    w: &[f64],
    l2: f64,
    iterations: usize,
) -> Vec<Vec<f64>> {
    fit_softmax::<N_FEATURES, 3>(x, y, w, l2, iterations)
}

/// Fits softmax regression over `K` classes and `D` features (feature 0 is the bias, 1.0) with
/// L2 (`l2` on all weights but the bias) by full-batch gradient descent with Adam, row `i`
/// weighted `rw[i]` (the loss is the weighted mean). Deterministic.
fn fit_softmax<const D: usize, const K: usize>(
    x: &[[f64; D]],
    y: &[usize],
    rw: &[f64],
    l2: f64,
    iterations: usize,
) -> Vec<Vec<f64>> {
    let n = rw.iter().sum::<f64>().max(1e-9);
    let mut w = vec![vec![0.0; D]; K];
    let (mut m, mut v) = (vec![vec![0.0; D]; K], vec![vec![0.0; D]; K]);
    let (b1, b2, lr, eps) = (0.9, 0.999, 0.05, 1e-8);
    for t in 1..=iterations {
        let mut grad = vec![vec![0.0; D]; K];
        for ((xi, &yi), &wi) in x.iter().zip(y).zip(rw) {
            let p: [f64; K] = softmax(&w, xi);
            for k in 0..K {
                let g = (p[k] - if k == yi { 1.0 } else { 0.0 }) * wi;
                for j in 0..D {
                    grad[k][j] += g * xi[j] / n;
                }
            }
        }
        for k in 0..K {
            for j in 1..D {
                grad[k][j] += l2 * w[k][j];
            }
            for j in 0..D {
                m[k][j] = b1 * m[k][j] + (1.0 - b1) * grad[k][j];
                v[k][j] = b2 * v[k][j] + (1.0 - b2) * grad[k][j] * grad[k][j];
                let mh = m[k][j] / (1.0 - b1.powi(t as i32));
                let vh = v[k][j] / (1.0 - b2.powi(t as i32));
                w[k][j] -= lr * mh / (vh.sqrt() + eps);
            }
        }
    }
    w
}

/// How the claim confidences of a response with two or more claims combine into the response
/// confidence, P(the whole response is correct): logistic regression over
/// [`ResponseFit::features`], fitted by `factgate calibrate` on the dev rows that split into
/// several claims and whose correctness is known.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResponseFit {
    /// Weights over [`RESPONSE_FEATURES`] (log-odds of "correct").
    pub weights: Vec<f64>,
    /// Multi-claim rows it was fitted on.
    pub rows: usize,
}

/// One multi-claim response for [`ResponseFit::fit`]: its claims' (status, confidence), how
/// many had no window read, the request's shape, and whether the response is correct.
pub type ResponseRow = (Vec<(Status, f64)>, usize, Shape, bool);

/// Number of response features.
pub const N_RESPONSE: usize = 11;

/// Features of the response combination: the claims' lowest and mean log-odds and their
/// number, whether a prompt was sent (a reply) crossed with both log-odds, the context length
/// ([`Shape`]), and the share of claims no window was read for ([`Signals::unread`]: such a
/// sentence alone in a reply is often small talk and right, see [`Prior::unread`]; beside
/// sentences the passages do back, it is more often the part a hallucinated reply adds), and
/// whether a claim read against part of a long context is CONTRADICTED with the lowest log-odds
/// of such a claim (`pipeline::response_claims`; the response was capped at that claim's
/// confidence, which under-stated faithful summaries with one misread sentence: on held-apart
/// dev summaries the fit with these took false-SUPPORTED 11.5 → 7.8 %).
pub const RESPONSE_FEATURES: [&str; N_RESPONSE] = [
    "bias",
    "logit_min",
    "logit_mean",
    "ln_claims",
    "prompt",
    "prompt_x_logit_min",
    "prompt_x_logit_mean",
    "ctx_len",
    "unread_share",
    "contradicted",
    "contradicted_x_logit",
];

impl ResponseFit {
    /// The features of a response of this shape with these claim confidences (two or more),
    /// `unread` of them with no window read.
    pub fn features(claims: &[(Status, f64)], unread: usize, shape: &Shape) -> [f64; N_RESPONSE] {
        let n = claims.len().max(1) as f64;
        let min = logit(claims.iter().map(|c| c.1).fold(1.0, f64::min));
        let mean = claims.iter().map(|c| logit(c.1)).sum::<f64>() / n;
        let prompt = if shape.prompt_given { 1.0 } else { 0.0 };
        let contradicted = claims
            .iter()
            .filter(|c| c.0 == Status::Contradicted)
            .map(|c| c.1)
            .reduce(f64::min);
        [
            1.0,
            min,
            mean,
            n.ln(),
            prompt,
            prompt * min,
            prompt * mean,
            shape.context_length(),
            unread as f64 / n,
            f64::from(u8::from(contradicted.is_some())),
            contradicted.map_or(0.0, logit),
        ]
    }

    /// Fits the combination on (claims' status and confidence, claims with no window read,
    /// request shape, response correct) rows.
    pub fn fit(rows: &[ResponseRow]) -> Self {
        let x: Vec<[f64; N_RESPONSE]> = rows
            .iter()
            .map(|(c, u, s, _)| Self::features(c, *u, s))
            .collect();
        let y: Vec<usize> = rows.iter().map(|(.., ok)| usize::from(!ok)).collect();
        let w = fit_softmax::<N_RESPONSE, 2>(&x, &y, &vec![1.0; x.len()], 1e-3, 1500);
        // Two-class softmax as one logistic: log-odds of class 0 ("correct").
        let weights = (0..N_RESPONSE).map(|j| w[0][j] - w[1][j]).collect();
        Self {
            weights,
            rows: rows.len(),
        }
    }

    /// P(correct) of a response of this shape with these claim confidences (two or more),
    /// `unread` of them with no window read.
    pub fn predict(&self, claims: &[(Status, f64)], unread: usize, shape: &Shape) -> f64 {
        let z: f64 = self
            .weights
            .iter()
            .zip(Self::features(claims, unread, shape))
            .map(|(w, f)| w * f)
            .sum();
        1.0 / (1.0 + (-z).exp())
    }
}

/// One evaluated row.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Scored {
    /// The confidence reported (P(correct)).
    pub confidence: f64,
    /// The status reported.
    pub predicted: Status,
    /// The labeled status.
    pub label: Status,
    /// Whether the text is correct, when known ([`Scored::correct_target`]).
    pub correct: Option<bool>,
}

impl Scored {
    /// The target the confidence is scored against: the row's own `correct` when the data says
    /// it (e.g. a hallucinated HaluEval response, labeled UNVERIFIABLE and incorrect); otherwise
    /// SUPPORTED is correct, CONTRADICTED is not, and UNVERIFIABLE is not correct when evidence
    /// was sent (`context_given`: faithfulness to the passages is what is asked) and unknown
    /// without it (such rows are left out of ECE, Brier and AUROC).
    pub fn correct_target(
        label: Status,
        correct: Option<bool>,
        context_given: bool,
    ) -> Option<bool> {
        correct.or(match label {
            Status::Supported => Some(true),
            Status::Contradicted => Some(false),
            Status::Unverifiable => (context_given).then_some(false),
        })
    }
}

/// Evaluation metrics over [`Scored`] rows.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Metrics {
    /// Rows.
    pub n: usize,
    /// Status accuracy.
    pub accuracy: f64,
    /// Mean per-class recall over classes present.
    pub balanced_accuracy: f64,
    /// Balanced accuracy of "SUPPORTED or not" (the grounding question: is the text backed by
    /// the evidence?); NaN when one side has no rows.
    pub supported_balanced_accuracy: f64,
    /// Of the rows not labeled SUPPORTED, the fraction reported SUPPORTED (a hallucination let
    /// through as grounded); NaN without such rows.
    pub false_supported_rate: f64,
    /// Rows whose correctness is known (the ones ECE, Brier and AUROC are computed on).
    pub n_scored: usize,
    /// Per status: precision, recall, support.
    pub per_status: Vec<(String, f64, f64, usize)>,
    /// Expected calibration error of `confidence` as P(correct), 15 equal-width bins.
    pub ece: f64,
    /// The ECE a perfectly calibrated predictor would show on average with the same
    /// confidences on as many rows ([`ece_floor`]): the estimator's own noise. An `ece` near
    /// it is all the data can tell apart from perfect calibration.
    pub ece_floor: f64,
    /// Brier score of `confidence` against correctness.
    pub brier: f64,
    /// AUROC of `confidence` for correct vs incorrect.
    pub auroc: f64,
    /// Reliability bins: (mean confidence, observed frequency, count).
    pub bins: Vec<(f64, f64, usize)>,
    /// Confusion matrix rows = true, columns = predicted (CLASSES order).
    pub confusion: [[usize; 3]; 3],
}

/// Computes [`Metrics`].
pub fn metrics(all: &[Scored]) -> Metrics {
    let n = all.len();
    let mut confusion = [[0usize; 3]; 3];
    for r in all {
        confusion[class_index(r.label)][class_index(r.predicted)] += 1;
    }
    let rate = |num: usize, den: usize| {
        if den == 0 {
            f64::NAN
        } else {
            num as f64 / den as f64
        }
    };
    let pos = all.iter().filter(|r| r.label == Status::Supported);
    let neg = all.iter().filter(|r| r.label != Status::Supported);
    let tpr = rate(
        pos.clone()
            .filter(|r| r.predicted == Status::Supported)
            .count(),
        pos.count(),
    );
    let fsr = rate(
        neg.clone()
            .filter(|r| r.predicted == Status::Supported)
            .count(),
        neg.count(),
    );
    let supported_balanced_accuracy = (tpr + (1.0 - fsr)) / 2.0;
    // Confidence is scored on the rows whose correctness is known.
    let rows: Vec<(f64, f64)> = all
        .iter()
        .filter_map(|r| r.correct.map(|c| (r.confidence, if c { 1.0 } else { 0.0 })))
        .collect();
    let correct: usize = (0..3).map(|k| confusion[k][k]).sum();
    let mut recalls = Vec::new();
    let mut per_status = Vec::new();
    for (k, status) in CLASSES.iter().enumerate() {
        let support: usize = confusion[k].iter().sum();
        let predicted: usize = (0..3).map(|r| confusion[r][k]).sum();
        let recall = if support > 0 {
            confusion[k][k] as f64 / support as f64
        } else {
            0.0
        };
        let precision = if predicted > 0 {
            confusion[k][k] as f64 / predicted as f64
        } else {
            0.0
        };
        if support > 0 {
            recalls.push(recall);
        }
        per_status.push((
            format!("{status:?}").to_uppercase(),
            precision,
            recall,
            support,
        ));
    }
    let ece_floor = ece_floor(&rows.iter().map(|r| r.0).collect::<Vec<_>>());
    let mut bins = vec![(0.0, 0.0, 0usize); ECE_BINS];
    let mut brier = 0.0;
    for &(c, y) in &rows {
        let b = ece_bin(c);
        bins[b].0 += c;
        bins[b].1 += y;
        bins[b].2 += 1;
        brier += (c - y).powi(2);
    }
    let n_scored = rows.len();
    let mut ece = 0.0;
    for b in &mut bins {
        if b.2 > 0 {
            b.0 /= b.2 as f64;
            b.1 /= b.2 as f64;
            ece += (b.2 as f64 / n_scored.max(1) as f64) * (b.0 - b.1).abs();
        }
    }
    // AUROC by the rank-sum formula (ties get half credit).
    let mut scored = rows;
    scored.sort_by(|a, b| a.0.total_cmp(&b.0));
    let pos = scored.iter().filter(|s| s.1 > 0.5).count() as f64;
    let neg = scored.len() as f64 - pos;
    let mut rank_sum = 0.0;
    let mut i = 0;
    while i < scored.len() {
        let mut j = i;
        while j < scored.len() && scored[j].0 == scored[i].0 {
            j += 1;
        }
        let avg_rank = (i + j + 1) as f64 / 2.0;
        rank_sum += avg_rank * scored[i..j].iter().filter(|s| s.1 > 0.5).count() as f64;
        i = j;
    }
    let auroc = if pos > 0.0 && neg > 0.0 {
        (rank_sum - pos * (pos + 1.0) / 2.0) / (pos * neg)
    } else {
        f64::NAN
    };
    Metrics {
        n,
        accuracy: correct as f64 / n.max(1) as f64,
        balanced_accuracy: recalls.iter().sum::<f64>() / recalls.len().max(1) as f64,
        supported_balanced_accuracy,
        false_supported_rate: fsr,
        n_scored,
        per_status,
        ece,
        ece_floor,
        brier: brier / n_scored.max(1) as f64,
        auroc,
        bins,
        confusion,
    }
}

/// Equal-width confidence bins of the ECE and the reliability diagram.
const ECE_BINS: usize = 15;

/// The ECE bin of a confidence (1.0 falls in the last bin).
fn ece_bin(confidence: f64) -> usize {
    ((confidence * ECE_BINS as f64) as usize).min(ECE_BINS - 1)
}

/// Rows per bin up to which [`ece_floor`] computes the bin's term exactly.
const EXACT_FLOOR_ROWS: usize = 4000;

/// The expected 15-bin ECE of a perfectly calibrated predictor with these `confidences`: each
/// row correct with probability its confidence, so a bin's count of correct rows follows the
/// Poisson-binomial law of its confidences and the bin's term is the expected distance
/// between its observed frequency and its mean confidence. Exact (dynamic programming over
/// the count) for bins of up to [`EXACT_FLOOR_ROWS`] rows, the normal approximation above.
/// With a few hundred rows spread over the middle bins this is 0.03 to 0.05: an ECE target
/// under it cannot be told apart from noise.
pub fn ece_floor(confidences: &[f64]) -> f64 {
    let mut bins: Vec<Vec<f64>> = vec![Vec::new(); ECE_BINS];
    for &c in confidences {
        bins[ece_bin(c)].push(c.clamp(0.0, 1.0));
    }
    let total = confidences.len().max(1) as f64;
    bins.iter()
        .filter(|b| !b.is_empty())
        .map(|b| {
            let n = b.len() as f64;
            let mean = b.iter().sum::<f64>() / n;
            let expected_gap = if b.len() <= EXACT_FLOOR_ROWS {
                // dist[k] = P(k of the rows so far are correct)
                let mut dist = vec![1.0];
                for &c in b {
                    let mut next = vec![0.0; dist.len() + 1];
                    for (k, &p) in dist.iter().enumerate() {
                        next[k] += p * (1.0 - c);
                        next[k + 1] += p * c;
                    }
                    dist = next;
                }
                dist.iter()
                    .enumerate()
                    .map(|(k, &p)| p * (k as f64 / n - mean).abs())
                    .sum()
            } else {
                let var: f64 = b.iter().map(|c| c * (1.0 - c)).sum::<f64>() / (n * n);
                (var * 2.0 / std::f64::consts::PI).sqrt()
            };
            n / total * expected_gap
        })
        .sum()
}

/// A reliability diagram as an SVG image.
pub fn reliability_svg(title: &str, m: &Metrics) -> String {
    use std::fmt::Write;
    let (w, h, pad) = (420.0, 420.0, 50.0);
    let plot = w - 2.0 * pad;
    let px = |v: f64| pad + v * plot;
    let py = |v: f64| h - pad - v * plot;
    let mut s = String::new();
    let _ = write!(
        s,
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" font-family="sans-serif" font-size="12">
<rect width="100%" height="100%" fill="white"/>
<text x="{tx}" y="20" text-anchor="middle" font-size="14">{title}</text>
<text x="{tx}" y="36" text-anchor="middle">ECE {ece:.3} · Brier {brier:.3} · n {n}</text>
<line x1="{x0}" y1="{y0}" x2="{x1}" y2="{y1}" stroke="#999" stroke-dasharray="4"/>
<rect x="{x0}" y="{y1}" width="{plot}" height="{plot}" fill="none" stroke="black"/>
<text x="{tx}" y="{yl}" text-anchor="middle">confidence</text>
<text x="14" y="{ty}" transform="rotate(-90 14 {ty})" text-anchor="middle">observed P(supported)</text>
"##,
        tx = w / 2.0,
        ece = m.ece,
        brier = m.brier,
        n = m.n,
        x0 = px(0.0),
        y0 = py(0.0),
        x1 = px(1.0),
        y1 = py(1.0),
        yl = h - 12.0,
        ty = h / 2.0,
    );
    let bw = plot / ECE_BINS as f64;
    for (i, &(_, freq, count)) in m.bins.iter().enumerate() {
        if count == 0 {
            continue;
        }
        let _ = writeln!(
            s,
            r##"<rect x="{:.1}" y="{:.1}" width="{:.1}" height="{:.1}" fill="#4a7bd0" fill-opacity="0.7"><title>{} rows</title></rect>"##,
            px(i as f64 / ECE_BINS as f64) + 1.0,
            py(freq),
            bw - 2.0,
            freq * plot,
            count
        );
    }
    for t in 0..=5 {
        let v = t as f64 / 5.0;
        let _ = writeln!(
            s,
            r#"<text x="{:.1}" y="{:.1}" text-anchor="middle">{v:.1}</text>"#,
            px(v),
            h - pad + 16.0
        );
        let _ = writeln!(
            s,
            r#"<text x="{:.1}" y="{:.1}" text-anchor="end">{v:.1}</text>"#,
            pad - 6.0,
            py(v) + 4.0
        );
    }
    s.push_str("</svg>\n");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contradict_threshold_is_the_lowest_that_spares_correct_rows() {
        // 100 correct rows; 10 have a claim at P(CONTRADICTED) 0.72, 3 at 0.9: 0.5 accuses 13 %,
        // 0.70 too, 0.75 accuses 3 % (under the 5 % cap).
        let mut pc = vec![0.1; 87];
        pc.extend([0.72; 10]);
        pc.extend([0.9; 3]);
        let t = ContradictThreshold::choose(&pc);
        assert!((t - 0.75).abs() < 1e-9, "{t}");
        assert_eq!(ContradictThreshold::choose(&pc[..20]), 0.5);
        assert_eq!(ContradictThreshold::choose(&[0.99; 40]), 0.95);
        let t = ContradictThreshold {
            answer: 0.5,
            long: 0.8,
            other: 0.6,
        };
        let long = Signals {
            context_given: true,
            shape: Shape {
                prompt_given: false,
                context_words: 301,
            },
            ..Signals::default()
        };
        let short = Signals {
            shape: Shape {
                prompt_given: false,
                context_words: 300,
            },
            ..long
        };
        let answer = Signals {
            question: true,
            ..long
        };
        assert_eq!(ContradictThreshold::for_claim(Some(&t), &long), 0.8);
        assert_eq!(ContradictThreshold::for_claim(Some(&t), &short), 0.6);
        assert_eq!(ContradictThreshold::for_claim(Some(&t), &answer), 0.5);
        assert_eq!(ContradictThreshold::for_claim(None, &long), 0.5);
    }

    #[test]
    fn support_threshold_meets_the_false_supported_cap_when_it_can_and_comes_near_it_when_not() {
        // Supported rows have confidences 0.55..0.95; unsupported ones the verifier also calls
        // SUPPORTED sit at 0.52..0.70: 0.5 lets all of them through, 0.70 none.
        let mut rows: Vec<(bool, f64, bool)> = (0..40)
            .map(|i| (true, 0.55 + 0.01 * f64::from(i), true))
            .collect();
        rows.extend((0..40).map(|i| (true, 0.52 + 0.0045 * f64::from(i), false)));
        rows.extend((0..40).map(|_| (false, 0.3, false)));
        let t = SupportThreshold::choose(&rows);
        let fp = rows.iter().filter(|r| !r.2 && r.0 && r.1 > t).count() as f64 / 80.0;
        assert!(fp <= MAX_FALSE_SUPPORTED, "threshold {t} leaves {fp}");
        assert!(t > 0.5 && t < 0.8, "{t}");
        // Too few rows of a kind: the default.
        assert_eq!(SupportThreshold::choose(&rows[..50]), 0.5);
        // A threshold that would meet the cap only by losing the supported rows is not taken;
        // the bar still goes as far as the slack allows: 0.55 leaves 9 of 80 (over the cap)
        // where 0.5 leaves 40, and loses one supported row.
        let mut close: Vec<(bool, f64, bool)> = (0..40)
            .map(|i| (true, 0.55 + 0.001 * f64::from(i), true))
            .collect();
        close.extend((0..40).map(|i| (true, 0.52 + 0.001 * f64::from(i), false)));
        close.extend((0..40).map(|_| (false, 0.3, false)));
        assert_eq!(SupportThreshold::choose(&close), 0.55);
        // What a bar costs on those rows, as the calibration records it.
        let (at, half) = (
            SupportThreshold::on(&close, 0.55),
            SupportThreshold::on(&close, 0.5),
        );
        assert!(at.false_supported > MAX_FALSE_SUPPORTED && at.false_supported < 0.15);
        assert_eq!((half.false_supported, half.balanced_accuracy), (0.5, 0.75));
        assert!(at.balanced_accuracy > half.balanced_accuracy);
        assert_eq!(at.rows, 120);
        assert_eq!(SupportThreshold::on(&[], 0.5).false_supported, 0.0);
        // A share under the cap on few rows does not meet it: 0.55 … 0.70 leave 9 of 100
        // unsupported rows SUPPORTED (9 %, but up to 16 % at 95 %), 0.75 … 0.85 none, at a
        // cost of 4 of 40 supported rows.
        let mut margin: Vec<(bool, f64, bool)> = (0..36).map(|_| (true, 0.9, true)).collect();
        margin.extend((0..4).map(|_| (true, 0.62, true)));
        margin.extend((0..9).map(|_| (true, 0.72, false)));
        margin.extend((0..3).map(|_| (true, 0.52, false)));
        margin.extend((0..88).map(|_| (false, 0.3, false)));
        let nine = SupportThreshold::on(&margin, 0.6);
        assert!(nine.false_supported < MAX_FALSE_SUPPORTED);
        assert!(nine.false_supported_upper > 0.15 && nine.false_supported_upper < 0.17);
        let t = SupportThreshold::choose(&margin);
        assert!((0.75..0.9).contains(&t), "{t}");
        assert_eq!(wilson_upper(0.0, 0), 0.0);
        assert!(wilson_upper(0.1, 100_000) < 0.102);
        // Where every bar above 0.5 loses more than the slack, 0.5 stays.
        let mut lost: Vec<(bool, f64, bool)> = (0..40).map(|_| (true, 0.52, true)).collect();
        lost.extend((0..40).map(|_| (true, 0.8, false)));
        lost.extend((0..40).map(|_| (false, 0.3, false)));
        assert_eq!(SupportThreshold::choose(&lost), 0.5);
        let s = Signals {
            question: true,
            ..Signals::default()
        };
        let both = SupportThreshold {
            answer: 0.7,
            other: 0.6,
            response: 0.55,
        };
        assert_eq!(SupportThreshold::for_claim(Some(&both), &s), 0.7);
        assert_eq!(SupportThreshold::for_claim(None, &s), 0.5);
    }

    #[test]
    fn graph_log_odds_of_a_decided_claim_count_only_where_the_verifier_agrees() {
        let at = |name: &str| FEATURES.iter().position(|f| *f == name).expect(name);
        // The verifier misreads an exact graph contradiction as support ("Sydney is the
        // capital of Australia." against "Canberra is ..."): that reading must not pull the
        // contradiction towards "correct".
        let misread = Signals {
            symbolic: Some(Status::Contradicted),
            linked: true,
            graph: Some([0.95, 0.03, 0.02]),
            ..Signals::default()
        };
        let f = misread.features();
        assert_eq!(f[at("graph_logit_sup")], 0.0);
        assert_eq!(f[at("graph_logit_ref")], 0.0);
        assert_eq!(f[at("sym_ref_x_graph_logit_ref")], 0.0);
        assert_eq!(f[at("sym_sup_x_graph_logit_sup")], 0.0);
        // Where it agrees, its certainty counts on the decided side.
        let agreed = Signals {
            graph: Some([0.02, 0.95, 0.03]),
            ..misread
        };
        assert!((agreed.features()[at("sym_ref_x_graph_logit_ref")] - logit(0.95)).abs() < 1e-12);
        // An undecided claim keeps both log-odds as they are.
        let open = Signals {
            symbolic: None,
            ..misread
        };
        let f = open.features();
        assert!((f[at("graph_logit_sup")] - logit(0.95)).abs() < 1e-12);
        assert!((f[at("graph_logit_ref")] - logit(0.03)).abs() < 1e-12);
        assert_eq!(f[at("sym_sup_x_graph_logit_sup")], 0.0);
    }

    #[test]
    fn response_confidence_combines_claims_and_respects_contradictions() {
        use Status::*;
        let sh = Shape::of("", ["a passage of five words"]);
        assert_eq!(response_confidence(&[], 0, &sh, None, 1.0), 0.5);
        assert_eq!(
            response_confidence(&[(Unverifiable, 0.3)], 0, &sh, None, 1.0),
            0.3
        );
        // Without a fit: the weakest claim.
        assert_eq!(
            response_confidence(&[(Supported, 0.9), (Unverifiable, 0.4)], 0, &sh, None, 1.0),
            0.4
        );
        // Synthetic multi-claim rows where the response is right whenever the mean claim
        // confidence is high, even with one weak claim: the fit learns to lift such responses
        // above the weakest claim.
        let mut rows = Vec::new();
        for i in 0..200 {
            let weak = 0.05 + 0.3 * f64::from(i % 10) / 10.0;
            let ok = i % 4 != 0;
            let strong = if ok { 0.95 } else { 0.2 };
            rows.push((
                vec![
                    (Unverifiable, weak),
                    (Supported, strong),
                    (Supported, strong),
                ],
                0,
                sh,
                ok,
            ));
        }
        let fit = ResponseFit::fit(&rows);
        assert_eq!(fit.rows, 200);
        let good = response_confidence(
            &[(Unverifiable, 0.1), (Supported, 0.95), (Supported, 0.95)],
            0,
            &sh,
            Some(&fit),
            1.0,
        );
        let bad = response_confidence(
            &[
                (Unverifiable, 0.1),
                (Unverifiable, 0.2),
                (Unverifiable, 0.2),
            ],
            0,
            &sh,
            Some(&fit),
            1.0,
        );
        assert!(good > 0.8 && bad < 0.2, "good {good} bad {bad}");
        // A contradicted claim holds the response below 0.5 whatever the fit says.
        let held = response_confidence(
            &[(Contradicted, 0.3), (Supported, 0.95), (Supported, 0.95)],
            0,
            &sh,
            Some(&fit),
            1.0,
        );
        assert_eq!(held, 0.49);
        // A single claim is its own confidence, fit or not.
        assert_eq!(
            response_confidence(&[(Supported, 0.7)], 0, &sh, Some(&fit), 1.0),
            0.7
        );
    }

    #[test]
    fn response_status_agrees_with_its_claims_and_confidence() {
        use Status::*;
        assert_eq!(response_status(&[], 0.5, 0.5), Unverifiable);
        // One claim: its own status (its confidence is already on the right side of 0.5).
        for (st, c) in [(Supported, 0.51), (Contradicted, 0.2), (Unverifiable, 0.9)] {
            assert_eq!(response_status(&[(st, c)], c, 0.55), st);
        }
        let partly = [(Supported, 0.9), (Unverifiable, 0.4), (Supported, 0.8)];
        assert_eq!(response_status(&partly, 0.85, 0.5), Supported);
        assert_eq!(
            response_status(&partly, 0.5, 0.5),
            Unverifiable,
            "not above 0.5"
        );
        // No claim backed by evidence: never SUPPORTED, however likely (open-domain priors).
        let unbacked = [(Unverifiable, 0.6), (Unverifiable, 0.7)];
        assert_eq!(response_status(&unbacked, 0.65, 0.5), Unverifiable);
        // Several claims need the response bar (here 0.55); a single claim only its own.
        assert_eq!(response_status(&partly, 0.54, 0.55), Unverifiable);
        assert_eq!(response_status(&partly, 0.56, 0.55), Supported);
        assert_eq!(response_status(&[(Supported, 0.52)], 0.52, 0.55), Supported);
        assert_eq!(
            response_status(&partly, 0.51, 0.3),
            Supported,
            "a bar under 0.5 counts as 0.5"
        );
        assert_eq!(response_status(&partly, 0.49, 0.3), Unverifiable);
        // Any contradiction wins.
        let one_bad = [(Supported, 0.99), (Contradicted, 0.3)];
        assert_eq!(response_status(&one_bad, 0.3, 0.5), Contradicted);
        // Status and confidence never disagree once the response confidence is combined.
        let sh = Shape::of("", ["a passage"]);
        for claims in [&partly[..], &unbacked[..], &one_bad[..]] {
            let c = response_confidence(claims, 0, &sh, None, 1.0);
            match response_status(claims, c, 0.5) {
                Supported => assert!(c > 0.5),
                Contradicted => assert!(c < 0.5),
                Unverifiable => {}
            }
        }
    }

    #[test]
    fn response_fit_learns_how_often_a_response_with_a_contradicted_sentence_is_right() {
        use Status::*;
        // Faithful long answers where the verifier misreads one sentence as contradicted (its
        // claim confidence 0.03) are right 30 % of the time here; a fit that sees the
        // contradiction says about that, instead of the misread sentence's 0.03, and stays
        // below 0.5 so the CONTRADICTED response never shows a green number.
        let sh = Shape::of("", ["a long article"]);
        let misread = [(Contradicted, 0.03), (Supported, 0.9), (Supported, 0.9)];
        let clean = [(Supported, 0.9), (Supported, 0.9), (Supported, 0.9)];
        let mut rows = Vec::new();
        for i in 0..600 {
            let (claims, ok) = if i % 2 == 0 {
                (&misread, i % 20 < 6)
            } else {
                (&clean, i % 20 != 1)
            };
            rows.push((claims.to_vec(), 0, sh, ok));
        }
        let fit = ResponseFit::fit(&rows);
        let c = response_confidence(&misread, 0, &sh, Some(&fit), 1.0);
        assert!((c - 0.3).abs() < 0.05, "fitted {c}");
        assert!(response_confidence(&clean, 0, &sh, Some(&fit), 1.0) > 0.85);
        // Where the fit would say "right" despite the contradiction, the status still holds it.
        let mostly_right: Vec<_> = (0..200)
            .map(|i| (misread.to_vec(), 0, sh, i % 10 != 0))
            .collect();
        let lenient = ResponseFit::fit(&mostly_right);
        assert!(lenient.predict(&misread, 0, &sh) > 0.8);
        let held = response_confidence(&misread, 0, &sh, Some(&lenient), 1.0);
        assert_eq!(held, 0.49);
        assert_eq!(response_status(&misread, held, 0.5), Contradicted);
        // A contradiction the model was not fitted to weigh (the graph's) caps it as it is.
        let capped = response_confidence(&misread, 0, &sh, Some(&lenient), 0.03);
        assert_eq!(capped, 0.03);
    }

    #[test]
    fn response_fit_weighs_the_claims_no_window_was_read_for() {
        // Same claim confidences; responses where a claim had nothing read are right less
        // often: the fit must say so through the unread share.
        let sh = Shape::of("tell me about it", ["some knowledge"]);
        let claims = [(Status::Supported, 0.6), (Status::Unverifiable, 0.6)];
        let mut rows = Vec::new();
        for i in 0..400 {
            let unread = i % 2;
            let ok = if unread == 1 { i % 10 < 3 } else { i % 10 < 8 };
            rows.push((claims.to_vec(), unread, sh, ok));
        }
        let fit = ResponseFit::fit(&rows);
        let (read, unread) = (fit.predict(&claims, 0, &sh), fit.predict(&claims, 1, &sh));
        assert!(read > 0.7 && unread < 0.4, "read {read} unread {unread}");
        assert_eq!(
            response_confidence(&claims, 1, &sh, Some(&fit), 1.0),
            unread
        );
    }

    #[test]
    fn response_fit_takes_the_request_shape_in() {
        // Replies (a prompt was sent) are right at lower claim confidences than summaries (no
        // prompt): the same confidences must come out higher for a reply.
        let reply = Shape::of("tell me about it", ["some knowledge"]);
        let summary = Shape::of("", ["a long article"]);
        let mut rows = Vec::new();
        for i in 0..400 {
            let c = 0.1 + 0.8 * f64::from(i % 20) / 20.0;
            let is_reply = i % 2 == 0;
            let ok = if is_reply { c > 0.25 } else { c > 0.65 };
            let claims = vec![(Status::Unverifiable, c); 2];
            rows.push((claims, 0, if is_reply { reply } else { summary }, ok));
        }
        let fit = ResponseFit::fit(&rows);
        let (r, s) = (
            fit.predict(&[(Status::Unverifiable, 0.45); 2], 0, &reply),
            fit.predict(&[(Status::Unverifiable, 0.45); 2], 0, &summary),
        );
        assert!(r > 0.7 && s < 0.3, "reply {r} summary {s}");
        assert_eq!(
            Shape::of("  ", ["one two", "three"]),
            Shape {
                prompt_given: false,
                context_words: 3,
            }
        );
    }

    #[test]
    fn fit_learns_a_separable_signal_and_roundtrips() {
        // Symbolic contradiction -> CONTRADICTED; high context support -> SUPPORTED; else NEI.
        let mut x = Vec::new();
        let mut y = Vec::new();
        for i in 0..300 {
            let mut s = Signals::default();
            let label = match i % 3 {
                0 => {
                    s.context = Some([0.9, 0.05, 0.05]);
                    0
                }
                1 => {
                    s.symbolic = Some(Status::Contradicted);
                    1
                }
                _ => {
                    s.context = Some([0.1, 0.1, 0.8]);
                    2
                }
            };
            x.push(s.features());
            y.push(label);
        }
        let w = fit(&x, &y, &vec![1.0; x.len()], 1e-3, 300);
        let c = Calibration::new(
            w,
            Prior {
                context: 0.2,
                reply: 0.4,
                unread: 0.6,
                none: 0.6,
            },
        );
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("c.json");
        std::fs::write(&path, serde_json::to_string(&c).expect("json")).expect("write");
        let back = Calibration::load(&path).expect("load");
        assert_eq!(back, c);
        // A hand-edited threshold under 0.5 would let status and confidence disagree: refused,
        // naming the field.
        let refusal = |bad: &Calibration| {
            std::fs::write(&path, serde_json::to_string(bad).expect("json")).expect("write");
            Calibration::load(&path)
                .expect_err("threshold under 0.5")
                .to_string()
        };
        let mut bad = c.clone();
        bad.contradict_threshold = Some(ContradictThreshold {
            answer: 0.5,
            long: 0.3,
            other: 0.6,
        });
        let e = refusal(&bad);
        assert!(e.contains("contradict_threshold"), "{e}");
        bad.contradict_threshold = None;
        bad.support_threshold = Some(SupportThreshold {
            answer: 0.45,
            other: 0.5,
            response: 0.5,
        });
        let e = refusal(&bad);
        assert!(e.contains("support_threshold"), "{e}");
        bad.support_threshold = Some(SupportThreshold {
            answer: 0.6,
            other: 0.5,
            response: 0.4,
        });
        let e = refusal(&bad);
        assert!(e.contains("response: 0.4"), "{e}");
        // A confidence map that would turn the order of the confidences round is refused too.
        bad.support_threshold = None;
        bad.context_map = Some(ConfidenceMap {
            knots: ConfidenceMap::KNOTS.to_vec(),
            at_zero: 0.0,
            slopes: vec![1.0, 1.0, 1.0, -0.5, 1.0, 1.0, 1.0, 1.0],
            rows: 1000,
        });
        let e = refusal(&bad);
        assert!(e.contains("context_map"), "{e}");
        // A file fitted before the response threshold existed loads with 0.5 for it.
        let mut old: serde_json::Value = serde_json::to_value(&c).expect("json");
        old["support_threshold"] = serde_json::json!({"answer": 0.6, "other": 0.5});
        std::fs::write(&path, old.to_string()).expect("write");
        let t = Calibration::load(&path)
            .expect("older file")
            .support_threshold;
        assert_eq!(t.map(|t| t.response), Some(0.5));
        let s = Signals {
            symbolic: Some(Status::Contradicted),
            ..Signals::default()
        };
        let p = back.predict(&s);
        assert!(p[1] > 0.9, "{p:?}");
    }

    #[test]
    fn the_confidence_map_bends_an_overconfident_middle_back_and_keeps_the_order() {
        // Rows whose confidence runs above their accuracy in the middle: among claims at
        // log-odds x, the share correct has log-odds x / 3 within |x| = 2 and climbs 1.5 per
        // unit beyond, so 0.73 (x = 1) is right 58 % of the time.
        let truth = |x: f64| {
            let z = if x.abs() <= 2.0 {
                x / 3.0
            } else {
                x.signum() * (2.0 / 3.0 + 1.5 * (x.abs() - 2.0))
            };
            1.0 / (1.0 + (-z).exp())
        };
        let mut rows = Vec::new();
        for i in 0..=120 {
            let x = -6.0 + 0.1 * f64::from(i);
            let c = 1.0 / (1.0 + (-x).exp());
            let correct = (truth(x) * 20.0).round() as usize;
            rows.extend((0..20).map(|k| (c, k < correct)));
        }
        let m = ConfidenceMap::fit(&rows).expect("enough rows");
        let at = |x: f64| m.apply(1.0 / (1.0 + (-x).exp()));
        for x in [-1.0, 1.0, 1.5] {
            assert!(
                (at(x) - truth(x)).abs() < 0.05,
                "log-odds {x}: mapped {:.3}, share correct {:.3}",
                at(x),
                truth(x)
            );
        }
        assert!((at(4.0) - truth(4.0)).abs() < 0.03, "{}", at(4.0));
        // Strictly increasing over the range of log-odds read (confidences are held within
        // 1e-4 of 0 and 1), so the ranking (AUROC) is the one before.
        let grid: Vec<f64> = (0..=900).map(|i| at(-9.0 + 0.02 * f64::from(i))).collect();
        assert!(grid.windows(2).all(|w| w[0] < w[1]));
        assert!(m.slopes.iter().all(|s| *s >= ConfidenceMap::MIN_SLOPE));
        // Too few rows: no map (the confidence is left as it is).
        assert_eq!(
            ConfidenceMap::fit(&rows[..ConfidenceMap::MIN_ROWS - 1]),
            None
        );
    }

    #[test]
    fn the_confidence_map_reaches_only_claims_read_against_passages() {
        let passage = Signals {
            context: Some([0.6, 0.1, 0.3]),
            context_given: true,
            ..Signals::default()
        };
        assert!(ConfidenceMap::applies(&passage));
        let answer = Signals {
            question: true,
            ..passage
        };
        let mut reply = passage;
        reply.shape.prompt_given = true;
        let graph = Signals {
            symbolic: Some(Status::Supported),
            ..passage
        };
        let open = Signals::default();
        for s in [answer, reply, graph, open] {
            assert!(!ConfidenceMap::applies(&s), "{s:?}");
        }
        // In a calibration, the map changes those claims' confidence and no other's.
        let mut c = Calibration::new(
            vec![vec![0.0; N_FEATURES]; 3],
            Prior {
                context: 0.1,
                reply: 0.3,
                unread: 0.5,
                none: 0.6,
            },
        );
        let p = [0.6, 0.1, 0.3];
        let before = [passage, answer, reply].map(|s| c.confidence(&p, &s));
        c.context_map = Some(ConfidenceMap {
            knots: ConfidenceMap::KNOTS.to_vec(),
            at_zero: -0.5,
            slopes: vec![1.0; ConfidenceMap::KNOTS.len() + 1],
            rows: 1000,
        });
        let after = [passage, answer, reply].map(|s| c.confidence(&p, &s));
        assert!(after[0] < before[0] - 0.05, "{before:?} {after:?}");
        assert_eq!(after[1..], before[1..]);
    }

    #[test]
    fn metrics_on_a_small_fixture() {
        use Status::*;
        // Two perfect predictions at confidence 0.9/0.1, one wrong.
        let row = |confidence, predicted, label, correct| Scored {
            confidence,
            predicted,
            label,
            correct,
        };
        let rows = [
            row(0.9, Supported, Supported, Some(true)),
            row(0.1, Contradicted, Contradicted, Some(false)),
            row(0.8, Supported, Unverifiable, Some(false)),
            // Correctness unknown: counted in accuracy, left out of ECE / Brier / AUROC.
            row(0.5, Unverifiable, Unverifiable, None),
        ];
        let m = metrics(&rows);
        assert_eq!((m.n, m.n_scored), (4, 3));
        // SUPPORTED-or-not: 1/1 supported rows found, 1 of 3 others reported SUPPORTED.
        assert!((m.false_supported_rate - 1.0 / 3.0).abs() < 1e-12);
        assert!((m.supported_balanced_accuracy - (1.0 + 2.0 / 3.0) / 2.0).abs() < 1e-12);
        let m = metrics(&rows[..3]);
        assert!((m.accuracy - 2.0 / 3.0).abs() < 1e-12);
        // Bins: 0.9 -> observed 1, 0.1 -> observed 0, 0.8 -> observed 0.
        let expect_ece = (0.1 + 0.1 + 0.8) / 3.0;
        assert!((m.ece - expect_ece).abs() < 1e-12, "{}", m.ece);
        assert!((m.brier - (0.01 + 0.01 + 0.64) / 3.0).abs() < 1e-12);
        assert!((m.auroc - 1.0).abs() < 1e-12);
        assert_eq!(m.confusion[2][0], 1);
        assert!(reliability_svg("t", &m).starts_with("<svg"));
    }

    #[test]
    fn ece_floor_is_the_expected_ece_of_a_calibrated_predictor() {
        // Certain confidences leave nothing to chance.
        assert_eq!(ece_floor(&[0.0, 1.0, 1.0]), 0.0);
        assert_eq!(ece_floor(&[]), 0.0);
        // One row at 0.5: observed 0 or 1, always 0.5 away.
        assert!((ece_floor(&[0.5]) - 0.5).abs() < 1e-12);
        // Two rows at 0.5: 0, 1 or 2 correct with 1/4, 1/2, 1/4 -> 0.5 / 4 + 0.5 / 4.
        assert!((ece_floor(&[0.5, 0.5]) - 0.25).abs() < 1e-12);
        // Two bins of one row each (0.1 and 0.9): each 0.1 away with P 0.9, 0.9 with P 0.1.
        assert!((ece_floor(&[0.1, 0.9]) - 0.18).abs() < 1e-12);
        // It shrinks as 1/sqrt(n), and the normal form above EXACT_FLOOR_ROWS joins the exact
        // one: sqrt(0.25 / n) * sqrt(2 / pi) at 0.5.
        let at = |n: usize| ece_floor(&vec![0.5; n]);
        let normal = |n: usize| (0.25 / n as f64 * 2.0 / std::f64::consts::PI).sqrt();
        assert!((at(EXACT_FLOOR_ROWS) - normal(EXACT_FLOOR_ROWS)).abs() < 2e-4);
        assert!((at(EXACT_FLOOR_ROWS + 1) - normal(EXACT_FLOOR_ROWS + 1)).abs() < 1e-12);
        assert!(at(100) > at(400) && at(400) > at(1600));
        // Reported with the metrics.
        let rows: Vec<Scored> = [0.3, 0.6, 0.6]
            .iter()
            .map(|&confidence| Scored {
                confidence,
                predicted: Status::Supported,
                label: Status::Supported,
                correct: Some(true),
            })
            .collect();
        assert_eq!(metrics(&rows).ece_floor, ece_floor(&[0.3, 0.6, 0.6]));
    }

    #[test]
    fn windows_aggregate_to_strongest_support_and_contradiction() {
        let probs = [[0.1, 0.2, 0.7], [0.8, 0.1, 0.1], [0.05, 0.6, 0.35]];
        let (agg, sup, refute) = aggregate_windows(&probs).expect("three windows");
        assert_eq!((sup, refute), (1, 2));
        assert_eq!(agg, [0.8, 0.6, 0.1]);
        assert_eq!(
            aggregate_windows(&[]),
            None,
            "no window read, no context signal"
        );
    }

    #[test]
    fn status_and_confidence_never_disagree() {
        for c in [0.0, 0.2, 0.49, 0.5, 0.63, 1.0] {
            assert!(agree(Status::Contradicted, c) < 0.5);
            assert!(agree(Status::Supported, c) > 0.5);
            assert_eq!(agree(Status::Unverifiable, c), c);
        }
        assert_eq!(
            agree(Status::Supported, 0.9),
            0.9,
            "agreeing values are kept"
        );
    }

    #[test]
    fn prior_is_fitted_and_absence_of_evidence_is_not_zero_confidence() {
        // All mass on UNVERIFIABLE: the prior is the fraction correct (7 of 10).
        let rows: Vec<([f64; 3], bool)> = (0..10).map(|i| ([0.0, 0.0, 1.0], i < 7)).collect();
        assert!((fit_prior(&rows) - 0.7).abs() < 1e-12);
        assert_eq!(fit_prior(&[([0.9, 0.1, 0.0], true)]), 0.5, "no information");
        let c = Calibration::new(
            vec![vec![0.0; FEATURES.len()]; 3],
            Prior {
                context: 0.2,
                reply: 0.4,
                unread: 0.6,
                none: 0.7,
            },
        );
        let p = [0.05, 0.05, 0.9];
        let none = Signals::default();
        let ctx = Signals {
            context_given: true,
            ..Signals::default()
        };
        assert!((c.confidence(&p, &none) - (0.05 + 0.7 * 0.9)).abs() < 1e-12);
        assert!((c.confidence(&p, &ctx) - (0.05 + 0.2 * 0.9)).abs() < 1e-12);
        // A reply (a prompt, not a short answer) with context takes the reply prior when a
        // window was read for it, the unread prior when none was; a short answer read with its
        // question is held to the passages like any context claim, read or not.
        let mut reply = ctx;
        reply.shape.prompt_given = true;
        reply.context = Some([0.05, 0.05, 0.9]);
        assert_eq!(reply.prior_kind(), PriorKind::Reply);
        assert!((c.confidence(&p, &reply) - (0.05 + 0.4 * 0.9)).abs() < 1e-12);
        let mut unread = reply;
        unread.context = None;
        assert!(unread.unread() && !reply.unread() && !none.unread());
        assert_eq!(unread.prior_kind(), PriorKind::Unread);
        assert!((c.confidence(&p, &unread) - (0.05 + 0.6 * 0.9)).abs() < 1e-12);
        for read in [true, false] {
            let mut answer = reply;
            answer.question = true;
            answer.context = read.then_some([0.05, 0.05, 0.9]);
            assert_eq!(answer.prior_kind(), PriorKind::Context);
            assert!((c.confidence(&p, &answer) - (0.05 + 0.2 * 0.9)).abs() < 1e-12);
        }
    }

    #[test]
    fn corrupt_calibration_file_is_named() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("cal.json");
        std::fs::write(&path, "{not json").expect("write");
        let e = Calibration::load(&path).expect_err("corrupt");
        assert!(e.to_string().contains("cal.json"));
    }
}
