//! OTLP traces (`--features otlp`, `make test-otlp`): one span per check with a child span per
//! stage, exported as OTLP/HTTP JSON to the collector in `OTEL_EXPORTER_OTLP_ENDPOINT` and
//! flushed before the process exits.

use std::sync::{Arc, Mutex};

use crate::common;

/// A collector that keeps every `POST /v1/traces` body.
fn collector() -> (String, Arc<Mutex<Vec<serde_json::Value>>>) {
    let got: Arc<Mutex<Vec<serde_json::Value>>> = Arc::default();
    let store = got.clone();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.set_nonblocking(true).expect("nonblocking");
    let addr = listener.local_addr().expect("addr");
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        rt.block_on(async move {
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
            let l = tokio::net::TcpListener::from_std(listener).expect("listener");
            let _ = axum::serve(l, app).await;
        });
    });
    (format!("http://{addr}"), got)
}

#[test]
fn a_check_exports_one_span_with_a_child_span_per_stage() {
    let (endpoint, got) = collector();
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
