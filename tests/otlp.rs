//! OTLP traces (`--features otlp`, `make test-otlp`): one span per check with a child span per
//! stage, exported as OTLP/HTTP JSON to the collector in `OTEL_EXPORTER_OTLP_ENDPOINT` and
//! flushed before the process exits.

use std::sync::{Arc, Mutex};

use crate::common;

/// A collector that keeps every `POST /v1/traces` body (until the sender is dropped).
fn collector() -> (
    String,
    Arc<Mutex<Vec<serde_json::Value>>>,
    tokio::sync::oneshot::Sender<()>,
) {
    let got: Arc<Mutex<Vec<serde_json::Value>>> = Arc::default();
    let store = got.clone();
    let app = axum::Router::new().route(
        "/v1/traces",
        axum::routing::post(move |body: axum::body::Bytes| {
            let store = store.clone();
            async move {
                if let Ok(v) = serde_json::from_slice(&body) {
                    store.lock().expect("lock").push(v);
                }
                "{}"
            }
        }),
    );
    let (addr, stop) = common::serve_on_thread(app);
    (format!("http://{addr}"), got, stop)
}

#[test]
fn a_check_exports_one_span_with_a_child_span_per_stage() {
    let (endpoint, got, _stop) = collector();
    let out = common::factgate_bin()
        .args([
            "check",
            "--verifier",
            "off",
            "--no-default-graph",
            "--knowledge",
        ])
        .arg(common::fixture_graph())
        .arg("The capital of France is Berlin. Paris is in France.")
        .env("OTEL_EXPORTER_OTLP_ENDPOINT", &endpoint)
        .output()
        .expect("runs");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let bodies = got.lock().expect("lock").clone();
    let spans: Vec<&serde_json::Value> = bodies
        .iter()
        .flat_map(|b| b["resourceSpans"].as_array().into_iter().flatten())
        .flat_map(|r| r["scopeSpans"].as_array().into_iter().flatten())
        .flat_map(|s| s["spans"].as_array().into_iter().flatten())
        .collect();
    let check = spans
        .iter()
        .find(|s| s["name"] == "check")
        .unwrap_or_else(|| panic!("a check span among {spans:?}"));
    let attrs = check["attributes"].to_string();
    assert!(
        attrs.contains("\"verdict\"") && attrs.contains("block"),
        "{attrs}"
    );
    assert!(attrs.contains("\"claims\""), "{attrs}");
    for stage in ["claims", "symbolic", "calibrate", "decide"] {
        let s = spans
            .iter()
            .find(|s| s["name"] == stage)
            .unwrap_or_else(|| panic!("a {stage} span among {spans:?}"));
        assert_eq!(
            s["parentSpanId"], check["spanId"],
            "{stage} is a child of check"
        );
        assert_eq!(s["traceId"], check["traceId"]);
    }
}
