//! Logging: `tracing` to stderr, text or JSON, filtered by `RUST_LOG` (default `info`); metrics:
//! Prometheus counters and histograms of every decision ([`record_check`]), served at the HTTP
//! port's `/metrics` ([`crate::http`]).

use tracing_subscriber::EnvFilter;

/// Log output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

/// Installs the global subscriber (idempotent: a second call is ignored).
pub fn init(format: LogFormat) {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,ort=warn"));
    // Colours only on a terminal: logs that go to files and collectors stay plain text.
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(ansi)
        .with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().try_init(),
    };
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
            metrics_exporter_prometheus::PrometheusBuilder::new()
                .set_buckets(&seconds)
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

/// Records one decision (called by [`crate::pipeline::Checker::finish`] for every check, from
/// every transport):
/// - `factgate_checks_total{profile, verdict, reason}` (reason: the first reason code),
/// - `factgate_claims_total{profile, status}`,
/// - `factgate_check_errors_total{profile, kind}` (INTERNAL_ERROR, BUDGET_EXCEEDED, SHUTDOWN,
///   AUDIT_WRITE_FAILED),
/// - `factgate_check_duration_seconds{profile}` and `factgate_stage_duration_seconds{stage}`
///   histograms (the response's `timings`).
///
/// Profile names come from the config, so the label sets stay bounded.
pub fn record_check(profile: &str, outcome: &crate::pipeline::CheckOutcome) {
    let profile = profile.to_string();
    let verdict = match outcome.verdict {
        crate::decide::Action::Allow => "allow",
        crate::decide::Action::Flag => "flag",
        crate::decide::Action::Block => "block",
    };
    let reason = outcome.reasons.first().map_or("NONE", |r| r.code);
    metrics::counter!("factgate_checks_total", "profile" => profile.clone(), "verdict" => verdict, "reason" => reason)
        .increment(1);
    for c in &outcome.claims {
        let status = match c.status {
            crate::reason::Status::Supported => "supported",
            crate::reason::Status::Contradicted => "contradicted",
            crate::reason::Status::Unverifiable => "unverifiable",
        };
        metrics::counter!("factgate_claims_total", "profile" => profile.clone(), "status" => status)
            .increment(1);
    }
    for r in &outcome.reasons {
        if matches!(
            r.code,
            "INTERNAL_ERROR" | "BUDGET_EXCEEDED" | "SHUTDOWN" | "AUDIT_WRITE_FAILED"
        ) {
            metrics::counter!("factgate_check_errors_total", "profile" => profile.clone(), "kind" => r.code)
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
