//! What browsers meet: the demo page, CORS for configured origins, grpc-web on the gRPC port,
//! and a clear answer to non-gRPC traffic there. (The page itself is driven in headless
//! Chromium by tests/browser/, run from `make test`.)

use prost::Message;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::common;
use crate::http::{http, start};

/// A raw HTTP/1.1 exchange; (status, lower-cased headers, body with chunked encoding removed).
async fn raw(addr: &str, request: &[u8]) -> (u16, Vec<(String, String)>, Vec<u8>) {
    let mut s = tokio::net::TcpStream::connect(addr).await.expect("connect");
    s.write_all(request).await.expect("write");
    let mut out = Vec::new();
    s.read_to_end(&mut out).await.expect("read");
    let split = out
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("end of headers");
    let head = String::from_utf8_lossy(&out[..split]).to_string();
    let mut body = out[split + 4..].to_vec();
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        .expect("status line");
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    if headers
        .iter()
        .any(|(k, v)| k == "transfer-encoding" && v.contains("chunked"))
    {
        let mut plain = Vec::new();
        let mut rest = &body[..];
        loop {
            let nl = rest
                .windows(2)
                .position(|w| w == b"\r\n")
                .expect("chunk size");
            let size = usize::from_str_radix(
                String::from_utf8_lossy(&rest[..nl])
                    .split(';')
                    .next()
                    .unwrap_or("")
                    .trim(),
                16,
            )
            .expect("hex chunk size");
            rest = &rest[nl + 2..];
            if size == 0 {
                break;
            }
            plain.extend_from_slice(&rest[..size]);
            rest = &rest[size + 2..];
        }
        body = plain;
    }
    (status, headers, body)
}

fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

fn options(cors: &[&str], demo_page: bool) -> factgate::serve::ServeOptions {
    factgate::serve::ServeOptions {
        cors_origins: cors.iter().map(|s| s.to_string()).collect(),
        demo_page,
        ..Default::default()
    }
}

#[tokio::test]
async fn demo_page_is_served_at_root_and_can_be_turned_off() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (stop, join, addr, _) = start(dir.path(), options(&[], true)).await;
    let (status, headers, body) = raw(
        &addr.to_string(),
        b"GET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n",
    )
    .await;
    assert_eq!(status, 200);
    assert!(header(&headers, "content-type").is_some_and(|v| v.starts_with("text/html")));
    let page = String::from_utf8(body).expect("utf-8");
    assert!(
        page.contains("fetch(\"v1/check\""),
        "the page calls the public API"
    );
    assert!(
        page.contains("startUtf16"),
        "the page slices by UTF-16 spans"
    );
    let _ = stop.send(());
    join.await.expect("join").expect("stop");

    let dir = tempfile::tempdir().expect("tempdir");
    let (stop, join, addr, _) = start(dir.path(), options(&[], false)).await;
    let (status, body) = http(addr, "GET", "/", "", "").await;
    assert_eq!(status, 404, "{body}");
    let _ = stop.send(());
    join.await.expect("join").expect("stop");
}

#[tokio::test]
async fn cors_allows_only_the_configured_origins() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (stop, join, addr, grpc) = start(dir.path(), options(&["https://app.example"], true)).await;
    let grpc = grpc.trim_start_matches("http://").to_string();
    let preflight = |origin: &str, path: &str| {
        format!(
            "OPTIONS {path} HTTP/1.1\r\nHost: t\r\nConnection: close\r\nOrigin: {origin}\r\n\
             Access-Control-Request-Method: POST\r\n\
             Access-Control-Request-Headers: content-type,authorization\r\n\r\n"
        )
    };
    for target in [addr.to_string(), grpc.clone()] {
        let path = if target == grpc {
            "/factgate.v1.Guard/Check"
        } else {
            "/v1/check"
        };
        let (status, headers, _) =
            raw(&target, preflight("https://app.example", path).as_bytes()).await;
        assert_eq!(status, 200, "preflight to {target}{path}");
        assert_eq!(
            header(&headers, "access-control-allow-origin"),
            Some("https://app.example"),
            "{target}{path}: {headers:?}"
        );
        let allowed = header(&headers, "access-control-allow-headers").unwrap_or("");
        assert!(allowed.contains("authorization"), "{allowed}");
        let (_, headers, _) =
            raw(&target, preflight("https://evil.example", path).as_bytes()).await;
        assert_eq!(
            header(&headers, "access-control-allow-origin"),
            None,
            "other origins get no CORS grant: {headers:?}"
        );
    }
    // An actual call from the allowed origin carries the grant too.
    let body = r#"{"response": "Paris is in France."}"#;
    let req = format!(
        "POST /v1/check HTTP/1.1\r\nHost: t\r\nConnection: close\r\nOrigin: https://app.example\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    let (status, headers, _) = raw(&addr.to_string(), req.as_bytes()).await;
    assert_eq!(status, 200);
    assert_eq!(
        header(&headers, "access-control-allow-origin"),
        Some("https://app.example")
    );
    let _ = stop.send(());
    join.await.expect("join").expect("stop");
}

#[tokio::test]
async fn grpc_web_checks_and_non_grpc_traffic_gets_a_clear_answer() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (stop, join, _, grpc) = start(dir.path(), options(&[], true)).await;
    let grpc = grpc.trim_start_matches("http://").to_string();

    // grpc-web (binary) over HTTP/1.1, as a browser's grpc-web client sends it.
    let msg = factgate::pb::CheckRequest {
        response: "The capital of France is Berlin.".into(),
        request_id: "web-1".into(),
        ..Default::default()
    }
    .encode_to_vec();
    let mut frame = vec![0u8];
    frame.extend_from_slice(&u32::try_from(msg.len()).expect("len").to_be_bytes());
    frame.extend_from_slice(&msg);
    let mut req = format!(
        "POST /factgate.v1.Guard/Check HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\
         Content-Type: application/grpc-web+proto\r\nX-Grpc-Web: 1\r\n\
         Content-Length: {}\r\n\r\n",
        frame.len()
    )
    .into_bytes();
    req.extend_from_slice(&frame);
    let (status, headers, body) = raw(&grpc, &req).await;
    assert_eq!(status, 200, "{headers:?}");
    assert!(header(&headers, "content-type").is_some_and(|v| v.starts_with("application/grpc-web")));
    // First frame: the message; then a trailer frame (flag 0x80) with grpc-status.
    assert_eq!(body[0], 0, "a data frame first");
    let len = u32::from_be_bytes([body[1], body[2], body[3], body[4]]) as usize;
    let resp = factgate::pb::CheckResponse::decode(&body[5..5 + len]).expect("CheckResponse");
    assert_eq!(resp.verdict, factgate::pb::Verdict::Block as i32);
    assert_eq!(resp.request_id, "web-1");
    assert_eq!(
        resp.claims[0].status,
        factgate::pb::ClaimStatus::ClaimContradicted as i32
    );
    let trailer = &body[5 + len..];
    assert_eq!(trailer[0], 0x80, "trailer frame");
    let trailer = String::from_utf8_lossy(&trailer[5..]).to_ascii_lowercase();
    assert!(trailer.contains("grpc-status:0"), "{trailer}");

    // Not gRPC: a plain GET, JSON posted to the gRPC method: 415 with a pointer, not INTERNAL.
    for req in [
        "GET /metrics HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n".to_string(),
        "POST /factgate.v1.Guard/Check HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\
         Content-Type: application/json\r\nContent-Length: 2\r\n\r\n{}"
            .to_string(),
    ] {
        let (status, _, body) = raw(&grpc, req.as_bytes()).await;
        let body = String::from_utf8_lossy(&body);
        assert_eq!(status, 415, "{body}");
        assert!(body.contains("POST /v1/check"), "{body}");
        assert!(body.contains("server.http_listen"), "{body}");
    }
    // Real gRPC still works on the same port.
    let mut client = factgate::pb::guard_client::GuardClient::connect(format!("http://{grpc}"))
        .await
        .expect("connect");
    let r = client
        .check(factgate::pb::CheckRequest {
            response: "Paris is in France.".into(),
            ..Default::default()
        })
        .await
        .expect("check")
        .into_inner();
    assert_eq!(r.verdict, factgate::pb::Verdict::Allow as i32);
    let _ = stop.send(());
    join.await.expect("join").expect("stop");
    assert_eq!(
        common::audit_records(&dir.path().join("audit.jsonl")).len(),
        2,
        "the grpc-web and the gRPC check are audited; rejected traffic is not"
    );
}
