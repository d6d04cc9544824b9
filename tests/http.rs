//! HTTP/JSON next to gRPC: POST /v1/check with proto3 JSON names, errors with their gRPC
//! meaning, health/readiness, Prometheus metrics, bearer tokens, unknown traffic.

use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::common;

/// One HTTP/1.1 request over a fresh connection; (status, body).
pub(crate) async fn http(
    addr: std::net::SocketAddr,
    method: &str,
    path: &str,
    headers: &str,
    body: &str,
) -> (u16, String) {
    let mut s = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let req = format!(
        "{method} {path} HTTP/1.1\r\nHost: test\r\nConnection: close\r\nContent-Type: application/json\r\n{headers}Content-Length: {}\r\n\r\n{body}",
        body.len()
    );
    s.write_all(req.as_bytes()).await.expect("write");
    let mut out = String::new();
    s.read_to_string(&mut out).await.expect("read");
    let status = out
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .expect("status line");
    let body = out
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    (status, body)
}

/// A started server: (stop, join, HTTP address, gRPC URL).
pub(crate) type Started = (
    tokio::sync::oneshot::Sender<()>,
    tokio::task::JoinHandle<Result<(), factgate::serve::ServeError>>,
    std::net::SocketAddr,
    String,
);

/// A server over the fixture graph with an HTTP port (`options.http` is set here); returns it
/// with the HTTP address and the gRPC URL.
pub(crate) async fn start(
    dir: &std::path::Path,
    options: factgate::serve::ServeOptions,
) -> Started {
    let audit = common::audit_config(dir);
    start_with(
        Box::new(move || Ok(common::checker(None, "", Some(audit)))),
        options,
    )
    .await
}

/// A server of `loader`'s checker with an HTTP port, once SERVING.
pub(crate) async fn start_with(
    loader: factgate::serve::Loader,
    options: factgate::serve::ServeOptions,
) -> Started {
    let grpc = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}", grpc.local_addr().expect("addr"));
    let http = std::net::TcpListener::bind("127.0.0.1:0").expect("bind http");
    let http_addr = http.local_addr().expect("addr");
    let options = factgate::serve::ServeOptions {
        http: Some(Arc::new(http)),
        ..options
    };
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let join = tokio::spawn(factgate::serve::serve(grpc, options, loader, async {
        let _ = rx.await;
    }));
    common::health::wait_serving(&url).await;
    (tx, join, http_addr, url)
}

#[tokio::test]
async fn check_over_http_json_with_proto3_names_and_grpc_meaning_errors() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (stop, join, addr, _) = start(dir.path(), Default::default()).await;

    let (status, body) = http(addr, "GET", "/readyz", "", "").await;
    assert_eq!((status, body.trim()), (200, "ready"));
    assert_eq!(http(addr, "GET", "/healthz", "", "").await.0, 200);

    let (status, body) = http(
        addr,
        "POST",
        "/v1/check",
        "",
        r#"{"response": "The capital of France is Berlin. Paris is in France.", "requestId": "http-1", "labels": {"model": "m1"}}"#,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let v: serde_json::Value = serde_json::from_str(&body).expect("json");
    assert_eq!(v["verdict"], "VERDICT_BLOCK");
    assert_eq!(
        v["status"], "CLAIM_CONTRADICTED",
        "the response's own status"
    );
    assert_eq!(v["requestId"], "http-1");
    assert_eq!(v["claims"][0]["status"], "CLAIM_CONTRADICTED");
    assert_eq!(v["claims"][1]["status"], "CLAIM_SUPPORTED");
    assert_eq!(v["claims"][0]["span"]["endUtf16"], 32);
    assert_eq!(
        v["claims"][0]["evidence"][0]["text"],
        "The capital of France is Paris."
    );
    assert!(v["claims"][0]["evidence"][0]["subjectLabel"].is_string());
    assert!(
        v["timings"]["total"].is_string(),
        "uint64 as a JSON string: {}",
        v["timings"]
    );
    assert!(!v["auditId"].as_str().expect("auditId").is_empty());
    // snake_case is accepted as well.
    let (status, body) = http(
        addr,
        "POST",
        "/v1/check",
        "",
        r#"{"response": "Paris is in France.", "request_id": "http-2"}"#,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("\"requestId\":\"http-2\""), "{body}");

    // Errors: the same messages as gRPC, as HTTP statuses.
    let (status, body) = http(addr, "POST", "/v1/check", "", r#"{"response": ""}"#).await;
    assert_eq!(status, 400);
    let e: serde_json::Value = serde_json::from_str(&body).expect("json");
    assert_eq!(e["code"], "INVALID_ARGUMENT");
    assert!(
        e["message"]
            .as_str()
            .expect("message")
            .starts_with("response: must not be empty"),
        "{e}"
    );
    let (status, body) = http(addr, "POST", "/v1/check", "", r#"{"respons": "x"}"#).await;
    assert_eq!(status, 400);
    assert!(body.contains("unknown field `respons`"), "{body}");
    let (status, body) = http(addr, "POST", "/v1/check", "", "not json").await;
    assert_eq!(status, 400, "{body}");
    let (status, body) = http(
        addr,
        "POST",
        "/v1/check",
        "",
        r#"{"response": "x", "policy": "nope"}"#,
    )
    .await;
    assert_eq!(status, 400);
    assert!(body.contains("unknown profile"), "{body}");
    // Unknown traffic gets a clear answer, never an internal error.
    let (status, body) = http(addr, "GET", "/nope", "", "").await;
    assert_eq!(status, 404);
    assert!(body.contains("POST /v1/check"), "{body}");
    assert_eq!(http(addr, "GET", "/v1/check", "", "").await.0, 405);

    // The drift gauge: a reference of confident claims, then a window of 1000 claims the fixture
    // graph decides (the server sets this from server.drift_reference at start).
    let reference =
        factgate::telemetry::DriftReference::from_confidences(&[0.95; 100], "test".into());
    let _ = factgate::telemetry::DRIFT.set(factgate::telemetry::Drift::new(reference));
    let many = serde_json::json!({
        "response": "Kenya is in Europe.\n".repeat(1000),
        "labels": {"model": "drifty"},
    });
    let (status, body) = http(addr, "POST", "/v1/check", "", &many.to_string()).await;
    assert_eq!(status, 200, "{body}");

    // Metrics after those checks.
    let (status, metrics) = http(addr, "GET", "/metrics", "", "").await;
    assert_eq!(status, 200);
    assert!(
        metrics.contains("factgate_checks_total{profile=\"default\",model=\"m1\",tenant=\"(none)\",verdict=\"block\",reason=\"CONTRADICTED_CLAIM\"}"),
        "{metrics}"
    );
    assert!(
        metrics.contains("factgate_claims_total{profile=\"default\",model=\"m1\",tenant=\"(none)\",status=\"contradicted\"}"),
        "{metrics}"
    );
    assert!(
        metrics.contains("factgate_check_duration_seconds_bucket"),
        "{metrics}"
    );
    assert!(
        metrics.contains("factgate_audit_fsync_seconds_count"),
        "group commits are timed: {metrics}"
    );
    assert!(
        metrics.contains("factgate_stage_duration_seconds_bucket{stage=\"link\""),
        "{metrics}"
    );
    assert!(
        metrics.contains("factgate_confidence_window_claims{model=\"drifty\"} 1000"),
        "{metrics}"
    );
    let psi: f64 = metrics
        .lines()
        .find(|l| l.starts_with("factgate_confidence_psi{model=\"drifty\"}"))
        .and_then(|l| l.split_whitespace().last()?.parse().ok())
        .expect("drift gauge for the model label");
    assert!(
        psi > 0.25,
        "contradicted claims against a confident reference: {psi}"
    );

    let _ = stop.send(());
    join.await.expect("join").expect("clean stop");
    let records = common::audit_records(&dir.path().join("audit.jsonl"));
    assert_eq!(records.len(), 3, "only the accepted checks are audited");
    assert_eq!(records[0]["labels"]["model"], "m1");
    assert_eq!(
        records[0]["status"], "CONTRADICTED",
        "the response status is audited"
    );
}

#[tokio::test]
async fn http_check_needs_the_bearer_token_when_tokens_are_configured() {
    let dir = tempfile::tempdir().expect("tempdir");
    let tokens = factgate::serve::auth::Tokens::parse("s3cret\n").expect("tokens");
    let options = factgate::serve::ServeOptions {
        auth_tokens: Some(tokens),
        ..Default::default()
    };
    let (stop, join, addr, _) = start(dir.path(), options).await;
    let body = r#"{"response": "Paris is in France."}"#;
    let (status, out) = http(addr, "POST", "/v1/check", "", body).await;
    assert_eq!(status, 401, "{out}");
    assert!(out.contains("UNAUTHENTICATED"), "{out}");
    assert_eq!(
        http(
            addr,
            "POST",
            "/v1/check",
            "Authorization: Bearer wrong\r\n",
            body
        )
        .await
        .0,
        401
    );
    let (status, out) = http(
        addr,
        "POST",
        "/v1/check",
        "Authorization: Bearer s3cret\r\n",
        body,
    )
    .await;
    assert_eq!(status, 200, "{out}");
    // Probes stay open.
    assert_eq!(http(addr, "GET", "/readyz", "", "").await.0, 200);
    let _ = stop.send(());
    tokio::time::timeout(Duration::from_secs(30), join)
        .await
        .expect("stops")
        .expect("join")
        .expect("clean stop");
}
