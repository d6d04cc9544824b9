//! Logging: `tracing` to stderr, text or JSON, filtered by `RUST_LOG` (default `info`); metrics:
//! Prometheus counters and histograms of every decision ([`record_check`]), served at the HTTP
//! port's `/metrics` ([`crate::serve::http`]).

use tracing_subscriber::EnvFilter;

/// Log output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

/// Installs the global subscriber (idempotent: a second call is ignored). With the `otlp`
/// feature and `OTEL_EXPORTER_OTLP_ENDPOINT` (or `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`) set,
/// spans are also exported as OTLP/HTTP JSON (see [`shutdown`]).
pub fn init(format: LogFormat) {
    use tracing_subscriber::layer::SubscriberExt as _;
    use tracing_subscriber::util::SubscriberInitExt as _;
    use tracing_subscriber::Layer as _;
    // RUST_LOG filters the log lines only; exported spans have their own filter.
    let filter =
        || EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,ort=warn"));
    // Colours only on a terminal: logs that go to files and collectors stay plain text.
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let text = (format == LogFormat::Text).then(|| {
        tracing_subscriber::fmt::layer()
            .with_ansi(ansi)
            .with_writer(std::io::stderr)
            .with_filter(filter())
    });
    let json = (format == LogFormat::Json).then(|| {
        tracing_subscriber::fmt::layer()
            .json()
            .with_ansi(ansi)
            .with_writer(std::io::stderr)
            .with_filter(filter())
    });
    let registry = tracing_subscriber::registry().with(text).with(json);
    #[cfg(feature = "otlp")]
    let registry = registry.with(otlp::layer().map(|l| {
        l.with_filter(
            tracing_subscriber::filter::Targets::new()
                .with_target("factgate", tracing::Level::INFO),
        )
    }));
    let _ = registry.try_init();
}

/// Flushes and stops the span exporter (`otlp` feature); call before the process exits.
pub fn shutdown() {
    #[cfg(feature = "otlp")]
    otlp::shutdown();
}

#[cfg(feature = "otlp")]
mod otlp {
    use opentelemetry::trace::TracerProvider as _;

    static PROVIDER: std::sync::OnceLock<opentelemetry_sdk::trace::SdkTracerProvider> =
        std::sync::OnceLock::new();

    /// The OpenTelemetry layer when an OTLP endpoint is configured in the environment.
    pub(super) fn layer<S>() -> Option<impl tracing_subscriber::Layer<S>>
    where
        S: tracing::Subscriber + for<'a> tracing_subscriber::registry::LookupSpan<'a>,
    {
        std::env::var_os("OTEL_EXPORTER_OTLP_ENDPOINT")
            .or_else(|| std::env::var_os("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"))?;
        use opentelemetry_otlp::WithExportConfig as _;
        let exporter = match opentelemetry_otlp::SpanExporter::builder()
            .with_http()
            .with_protocol(opentelemetry_otlp::Protocol::HttpJson)
            .build()
        {
            Ok(e) => e,
            Err(e) => {
                eprintln!("warning: OTLP span exporter not started: {e}");
                return None;
            }
        };
        let provider = opentelemetry_sdk::trace::SdkTracerProvider::builder()
            .with_batch_exporter(exporter)
            .with_resource(
                opentelemetry_sdk::Resource::builder()
                    .with_service_name("factgate")
                    .build(),
            )
            .build();
        let tracer = provider.tracer("factgate");
        let _ = PROVIDER.set(provider);
        Some(tracing_opentelemetry::layer().with_tracer(tracer))
    }

    pub(super) fn shutdown() {
        if let Some(p) = PROVIDER.get() {
            if let Err(e) = p.shutdown() {
                eprintln!("warning: OTLP span exporter shutdown: {e}");
            }
        }
    }
}

/// The Prometheus recorder, installed once per process on first use (the server's `/metrics`
/// renders it; without it the `metrics` macros record nothing, as in `factgate check`).
static PROMETHEUS: std::sync::OnceLock<Option<metrics_exporter_prometheus::PrometheusHandle>> =
    std::sync::OnceLock::new();

/// Installs the Prometheus recorder (idempotent). `None` when another recorder was installed
/// first.
pub fn install_metrics() -> Option<&'static metrics_exporter_prometheus::PrometheusHandle> {
    PROMETHEUS
        .get_or_init(|| {
            let seconds = [
                0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
            ];
            let pairs = [1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0];
            metrics_exporter_prometheus::PrometheusBuilder::new()
                .set_buckets(&seconds)
                .ok()?
                .set_buckets_for_metric(
                    metrics_exporter_prometheus::Matcher::Full("factgate_model_batch_pairs".into()),
                    &pairs,
                )
                .ok()?
                .install_recorder()
                .map_err(|e| tracing::warn!(error = %e, "metrics recorder not installed"))
                .ok()
        })
        .as_ref()
}

/// The metrics in Prometheus text format.
pub fn render_metrics() -> String {
    install_metrics().map(|h| h.render()).unwrap_or_default()
}

/// Most distinct values of each request label (`model`, `tenant`) that metrics carry; later
/// values share `other`. Set from `[server] metrics_label_values` at start (0: no such labels).
pub static LABEL_VALUES: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
/// Default of [`LABEL_VALUES`].
pub const DEFAULT_LABEL_VALUES: usize = 16;

/// The metric value of a request label: the label (`(none)` when absent) while fewer than
/// [`LABEL_VALUES`] distinct values were seen for that label, else `other`.
fn bounded_label(name: &'static str, value: Option<&str>) -> String {
    static SEEN: std::sync::Mutex<
        std::collections::BTreeMap<&'static str, std::collections::BTreeSet<String>>,
    > = std::sync::Mutex::new(std::collections::BTreeMap::new());
    let cap = *LABEL_VALUES.get().unwrap_or(&DEFAULT_LABEL_VALUES);
    if cap == 0 {
        return String::new();
    }
    let value = value.unwrap_or("(none)");
    let Ok(mut seen) = SEEN.lock() else {
        return "other".into();
    };
    let set = seen.entry(name).or_default();
    if set.contains(value) {
        return value.to_string();
    }
    if set.len() < cap {
        set.insert(value.to_string());
        return value.to_string();
    }
    "other".into()
}

/// Records one decision (called by [`crate::pipeline::Checker::finish`] for every check, from
/// every transport):
/// - `factgate_checks_total{profile, model, tenant, verdict, reason}` (reason: the first reason
///   code; `model` / `tenant`: the request labels, bounded by [`LABEL_VALUES`]),
/// - `factgate_claims_total{profile, model, tenant, status}`,
/// - `factgate_check_errors_total{profile, model, tenant, kind}` (INTERNAL_ERROR,
///   BUDGET_EXCEEDED, SHUTDOWN, AUDIT_WRITE_FAILED),
/// - `factgate_check_duration_seconds{profile}` and `factgate_stage_duration_seconds{stage}`
///   histograms (the response's `timings`).
///
/// Profile names come from the config, so the label sets stay bounded.
pub fn record_check(
    profile: &str,
    labels: &std::collections::BTreeMap<String, String>,
    outcome: &crate::pipeline::CheckOutcome,
) {
    let profile = profile.to_string();
    let model = bounded_label("model", labels.get("model").map(String::as_str));
    let tenant = bounded_label("tenant", labels.get("tenant").map(String::as_str));
    let verdict = outcome.verdict.as_str();
    let reason = outcome.reasons.first().map_or("NONE", |r| r.code);
    metrics::counter!("factgate_checks_total", "profile" => profile.clone(), "model" => model.clone(), "tenant" => tenant.clone(), "verdict" => verdict, "reason" => reason)
        .increment(1);
    for c in &outcome.claims {
        let status = match c.status {
            crate::reason::Status::Supported => "supported",
            crate::reason::Status::Contradicted => "contradicted",
            crate::reason::Status::Unverifiable => "unverifiable",
        };
        metrics::counter!("factgate_claims_total", "profile" => profile.clone(), "model" => model.clone(), "tenant" => tenant.clone(), "status" => status)
            .increment(1);
    }
    for r in &outcome.reasons {
        if matches!(
            r.code,
            "INTERNAL_ERROR" | "BUDGET_EXCEEDED" | "SHUTDOWN" | "AUDIT_WRITE_FAILED"
        ) {
            metrics::counter!("factgate_check_errors_total", "profile" => profile.clone(), "model" => model.clone(), "tenant" => tenant.clone(), "kind" => r.code)
                .increment(1);
        }
    }
    for (stage, micros) in &outcome.timings {
        let secs = *micros as f64 / 1e6;
        if stage == "total" {
            metrics::histogram!("factgate_check_duration_seconds", "profile" => profile.clone())
                .record(secs);
        } else {
            metrics::histogram!("factgate_stage_duration_seconds", "stage" => stage.clone())
                .record(secs);
        }
    }
}

/// Records one model batch (called by the verifier's workers): `factgate_model_batch_pairs`
/// (pairs per ONNX Runtime call) and `factgate_model_batch_seconds` histograms.
pub fn record_model_batch(pairs: usize, seconds: f64) {
    metrics::histogram!("factgate_model_batch_pairs").record(pairs as f64);
    metrics::histogram!("factgate_model_batch_seconds").record(seconds);
}

/// Sets `factgate_model_queue_depth`: pairs waiting for a model worker.
pub fn record_model_queue(depth: usize) {
    metrics::gauge!("factgate_model_queue_depth").set(depth as f64);
}

/// Records one audit fsync: `factgate_audit_fsync_seconds` histogram.
pub fn record_audit_fsync(seconds: f64) {
    metrics::histogram!("factgate_audit_fsync_seconds").record(seconds);
}

/// Confidence bins of the drift monitor (`[0, 0.1)`, … `[0.9, 1]`).
pub const DRIFT_BINS: usize = 10;
/// Claims per model label in the rolling window the drift gauge compares.
pub const DRIFT_WINDOW: usize = 1000;
/// Distinct `model` labels tracked; more share the label `other` (bounded cardinality).
pub const DRIFT_MAX_MODELS: usize = 16;

/// The reference distribution of claim confidence (fractions per bin), as `factgate eval`
/// writes it (`drift-reference.json` in the report directory).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct DriftReference {
    /// Fraction of claims per confidence bin; sums to 1.
    pub confidence_bins: Vec<f64>,
    /// Claims it was computed from.
    pub claims: u64,
    /// Where it came from (calibration id, files).
    pub source: String,
}

impl DriftReference {
    /// The reference of a set of claim confidences.
    pub fn from_confidences(confidences: &[f64], source: String) -> Self {
        let mut bins = vec![0.0; DRIFT_BINS];
        for &c in confidences {
            bins[bin(c)] += 1.0;
        }
        let n = confidences.len().max(1) as f64;
        Self {
            confidence_bins: bins.into_iter().map(|b| b / n).collect(),
            claims: confidences.len() as u64,
            source,
        }
    }
}

fn bin(confidence: f64) -> usize {
    ((confidence.clamp(0.0, 1.0) * DRIFT_BINS as f64) as usize).min(DRIFT_BINS - 1)
}

/// Population stability index of `actual` against `expected` (fractions per bin; empty bins
/// count as 0.0001): below 0.1 stable, 0.1 to 0.25 a shift worth a look, above 0.25 drift.
pub fn psi(expected: &[f64], actual: &[f64]) -> f64 {
    expected
        .iter()
        .zip(actual)
        .map(|(&e, &a)| {
            let (e, a) = (e.max(1e-4), a.max(1e-4));
            (a - e) * (a / e).ln()
        })
        .sum()
}

/// Rolling claim-confidence windows per `model` label (the last [`DRIFT_WINDOW`] claims),
/// compared with a reference: exported as the gauges `factgate_confidence_psi{model}` and
/// `factgate_confidence_window_claims{model}` from the first claim on (alarm only on full
/// windows: a PSI over a few claims is noise).
pub struct Drift {
    reference: DriftReference,
    windows: std::sync::Mutex<std::collections::BTreeMap<String, std::collections::VecDeque<u8>>>,
}

impl Drift {
    /// A monitor against `reference`.
    pub fn new(reference: DriftReference) -> Self {
        Self {
            reference,
            windows: std::sync::Mutex::new(std::collections::BTreeMap::new()),
        }
    }

    /// Adds the claims of one decision; returns the model label used, the PSI of its window
    /// and how many claims the window holds (at most [`DRIFT_WINDOW`]).
    pub fn observe(
        &self,
        model: Option<&str>,
        confidences: &[f64],
    ) -> Option<(String, f64, usize)> {
        let mut windows = self.windows.lock().ok()?;
        let mut key = model.unwrap_or("(none)").to_string();
        if !windows.contains_key(&key) && windows.len() >= DRIFT_MAX_MODELS {
            key = "other".into();
        }
        let w = windows.entry(key.clone()).or_default();
        for &c in confidences {
            if w.len() == DRIFT_WINDOW {
                w.pop_front();
            }
            w.push_back(bin(c) as u8);
        }
        if w.is_empty() {
            return None;
        }
        let mut actual = vec![0.0; DRIFT_BINS];
        for &b in w.iter() {
            actual[b as usize] += 1.0 / w.len() as f64;
        }
        Some((key, psi(&self.reference.confidence_bins, &actual), w.len()))
    }
}

/// The process's drift monitor, set by the server at start when a reference is available.
pub static DRIFT: std::sync::OnceLock<Drift> = std::sync::OnceLock::new();

/// Feeds a decision to the drift monitor (if any) and updates its gauge.
pub fn record_drift(labels: &std::collections::BTreeMap<String, String>, confidences: &[f64]) {
    if let Some(d) = DRIFT.get() {
        if let Some((model, v, n)) = d.observe(labels.get("model").map(String::as_str), confidences)
        {
            metrics::gauge!("factgate_confidence_psi", "model" => model.clone()).set(v);
            metrics::gauge!("factgate_confidence_window_claims", "model" => model).set(n as f64);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn psi_is_zero_for_the_reference_and_large_for_a_shift() {
        let reference = DriftReference::from_confidences(
            &(0..1000).map(|i| f64::from(i) / 1000.0).collect::<Vec<_>>(),
            "uniform".into(),
        );
        assert!((reference.confidence_bins.iter().sum::<f64>() - 1.0).abs() < 1e-9);
        let d = Drift::new(reference);
        let same: Vec<f64> = (0..1000).map(|i| f64::from(i) / 1000.0).collect();
        assert!(d.observe(Some("m"), &[]).is_none(), "nothing seen yet");
        let (_, _, n) = d.observe(Some("m"), &same[..500]).expect("half a window");
        assert_eq!(n, 500, "reported with the window's size before it is full");
        let (m, v, n) = d.observe(Some("m"), &same[500..]).expect("full");
        assert_eq!((m.as_str(), n), ("m", DRIFT_WINDOW));
        assert!(v < 1e-6, "{v}");
        // Every claim now at 0.05: a drift far above 0.25; the window stays bounded.
        let (_, v, n) = d.observe(Some("m"), &[0.05; 1500]).expect("full");
        assert!(v > 1.0, "{v}");
        assert_eq!(n, DRIFT_WINDOW);
        // Bounded label set.
        for i in 0..DRIFT_MAX_MODELS + 3 {
            d.observe(Some(&format!("model-{i}")), &[0.5]);
        }
        let keys = d.windows.lock().expect("lock").len();
        assert_eq!(keys, DRIFT_MAX_MODELS + 1, "the rest share `other`");
    }
}
