//! Envoy ext_proc: a tonic client sends exactly the message sequence Envoy sends (request
//! headers, response headers, body chunks with end_of_stream, trailers) and checks the replies.

use std::sync::atomic::Ordering;

use envoy_types::pb::envoy::config::core::v3::{HeaderMap, HeaderValue};
use envoy_types::pb::envoy::extensions::filters::http::ext_proc::v3::processing_mode::BodySendMode;
use envoy_types::pb::envoy::service::ext_proc::v3::external_processor_client::ExternalProcessorClient;
use envoy_types::pb::envoy::service::ext_proc::v3::{
    body_mutation, processing_request, processing_response, CommonResponse, HeaderMutation,
    HttpBody, HttpHeaders, HttpTrailers, ProcessingRequest, ProcessingResponse,
};
use factgate::serve::extproc::{counters, PassReason};
use serde_json::{json, Value};
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;
use tonic::Streaming;

use crate::common::{self, TestServer};

const SUPPORTED: &str = "Nairobi is Kenya's capital.";
const CONTRADICTED: &str = "The capital of France is Berlin.";
const SOFT: &str = "[profiles.soft]\nblock_on_contradiction = false\n";

async fn server(dir: &std::path::Path) -> TestServer {
    let audit = common::audit_config(dir);
    TestServer::start_with(
        Box::new(move || Ok(common::checker(None, SOFT, Some(audit)))),
        64,
    )
    .await
}

/// One HTTP exchange as Envoy drives it: one Process stream, one reply per message.
struct Envoy {
    tx: mpsc::Sender<ProcessingRequest>,
    rx: Streaming<ProcessingResponse>,
}

impl Envoy {
    async fn open(server: &TestServer) -> Self {
        server.wait_serving().await;
        let mut client = ExternalProcessorClient::connect(server.url.clone())
            .await
            .expect("connect");
        let (tx, rx) = mpsc::channel(16);
        let rx = client
            .process(ReceiverStream::new(rx))
            .await
            .expect("Process starts")
            .into_inner();
        Self { tx, rx }
    }

    async fn send(&mut self, r: processing_request::Request) -> processing_response::Response {
        self.tx
            .send(ProcessingRequest {
                request: Some(r),
                ..Default::default()
            })
            .await
            .expect("send");
        self.reply().await.response.expect("a response case")
    }

    async fn reply(&mut self) -> ProcessingResponse {
        self.rx
            .message()
            .await
            .expect("reply, not an error")
            .expect("a reply")
    }

    /// Request headers as Envoy sends them (values in `raw_value`).
    async fn request(&mut self, policy: Option<&str>, request_id: &str) {
        let mut h = vec![
            (":method", "POST"),
            (":path", "/v1/chat/completions?key=secret"),
            ("content-type", "application/json"),
            ("x-request-id", request_id),
        ];
        if let Some(p) = policy {
            h.push(("x-factgate-policy", p));
        }
        match self
            .send(processing_request::Request::RequestHeaders(headers(&h)))
            .await
        {
            processing_response::Response::RequestHeaders(_) => {}
            other => panic!("expected a request-headers reply, got {other:?}"),
        }
    }

    /// Response headers; returns the reply's common response and the body mode asked for.
    async fn response(&mut self, status: &str, content_type: &str) -> (CommonResponse, i32) {
        self.tx
            .send(ProcessingRequest {
                request: Some(processing_request::Request::ResponseHeaders(headers(&[
                    (":status", status),
                    ("content-type", content_type),
                    ("content-length", "123"),
                ]))),
                ..Default::default()
            })
            .await
            .expect("send");
        let reply = self.reply().await;
        let mode = reply
            .mode_override
            .expect("a mode override")
            .response_body_mode;
        match reply.response.expect("a response case") {
            processing_response::Response::ResponseHeaders(h) => {
                (h.response.expect("common response"), mode)
            }
            other => panic!("expected a response-headers reply, got {other:?}"),
        }
    }

    async fn body(&mut self, bytes: &[u8], end_of_stream: bool) -> processing_response::Response {
        self.send(processing_request::Request::ResponseBody(HttpBody {
            body: bytes.to_vec(),
            end_of_stream,
            ..Default::default()
        }))
        .await
    }
}

fn headers(pairs: &[(&str, &str)]) -> HttpHeaders {
    HttpHeaders {
        headers: Some(HeaderMap {
            headers: pairs
                .iter()
                .map(|(k, v)| HeaderValue {
                    key: k.to_string(),
                    value: String::new(),
                    raw_value: v.as_bytes().to_vec(),
                })
                .collect(),
        }),
        end_of_stream: false,
        ..Default::default()
    }
}

fn get(m: &HeaderMutation, key: &str) -> Option<String> {
    m.set_headers
        .iter()
        .filter_map(|o| o.header.as_ref())
        .find(|h| h.key == key)
        .map(|h| String::from_utf8_lossy(&h.raw_value).into_owned())
}

/// The body reply's common response.
fn body_common(r: processing_response::Response) -> CommonResponse {
    match r {
        processing_response::Response::ResponseBody(b) => b.response.expect("common response"),
        other => panic!("expected a body reply, got {other:?}"),
    }
}

/// The chunk that goes downstream: `None` = the original chunk, unchanged.
fn replaced(c: &CommonResponse) -> Option<Vec<u8>> {
    match c.body_mutation.as_ref()?.mutation.as_ref()? {
        body_mutation::Mutation::Body(b) => Some(b.clone()),
        other => panic!("unexpected body mutation {other:?}"),
    }
}

fn completion(content: &str) -> Vec<u8> {
    json!({
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "model": "test",
        "choices": [{
            "index": 0,
            "message": {"role": "assistant", "content": content},
            "finish_reason": "stop"
        }]
    })
    .to_string()
    .into_bytes()
}

fn event(delta: Value) -> String {
    let chunk = json!({
        "id": "chatcmpl-2",
        "object": "chat.completion.chunk",
        "choices": [{"index": 0, "delta": delta, "finish_reason": null}]
    });
    format!("data: {chunk}\n\n")
}

/// A BUFFERED JSON completion: the body comes whole with end_of_stream.
async fn buffered(
    server: &TestServer,
    policy: Option<&str>,
    request_id: &str,
    content: &str,
) -> processing_response::Response {
    let mut envoy = Envoy::open(server).await;
    envoy.request(policy, request_id).await;
    let (common, mode) = envoy.response("200", "application/json").await;
    assert_eq!(mode, BodySendMode::Buffered as i32);
    assert_eq!(
        common.header_mutation.expect("mutation").remove_headers,
        ["content-length"]
    );
    envoy.body(&completion(content), true).await
}

#[tokio::test]
async fn buffered_json_allow_continues_with_verdict_headers() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = server(dir.path()).await;
    let c = body_common(buffered(&server, None, "json-allow", SUPPORTED).await);
    let h = c.header_mutation.expect("verdict headers");
    assert_eq!(get(&h, "x-factgate-verdict").as_deref(), Some("ALLOW"));
    let confidence: f64 = get(&h, "x-factgate-confidence")
        .expect("confidence")
        .parse()
        .expect("a number");
    assert!((0.0..=1.0).contains(&confidence));
    let audit_id = get(&h, "x-factgate-audit-id").expect("audit id");
    assert!(c.body_mutation.is_none(), "the body goes through unchanged");
    server.stop().await.expect("clean stop");
    let records = common::audit_records(&dir.path().join("audit.jsonl"));
    let rec = records
        .iter()
        .find(|r| r["request_id"] == "json-allow")
        .expect("audit record");
    assert_eq!(rec["verdict"], "allow");
    assert_eq!(rec["labels"]["via"], "envoy-ext-proc");
    assert_eq!(rec["labels"]["path"], "/v1/chat/completions");
    assert!(audit_id.starts_with(&format!("{}-", rec["seq"])));
}

#[tokio::test]
async fn buffered_json_block_is_an_immediate_openai_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = server(dir.path()).await;
    let blocked = counters().blocked.load(Ordering::Relaxed);
    let r = buffered(&server, None, "json-block", CONTRADICTED).await;
    let processing_response::Response::ImmediateResponse(imm) = r else {
        panic!("expected an immediate response, got {r:?}");
    };
    assert_eq!(imm.status.expect("status").code, 422);
    let h = imm.headers.expect("headers");
    assert_eq!(get(&h, "content-type").as_deref(), Some("application/json"));
    assert_eq!(get(&h, "x-factgate-verdict").as_deref(), Some("BLOCK"));
    let body: Value = serde_json::from_slice(&imm.body).expect("JSON error body");
    let err = &body["error"];
    assert_eq!(err["type"], "factgate_blocked");
    assert_eq!(err["code"], "CONTRADICTED_CLAIM");
    let audit_id = err["audit_id"].as_str().expect("audit id");
    assert!(!audit_id.is_empty());
    assert!(err["message"].as_str().expect("message").contains(audit_id));
    assert_eq!(get(&h, "x-factgate-audit-id").as_deref(), Some(audit_id));
    assert!(counters().blocked.load(Ordering::Relaxed) > blocked);
    server.stop().await.expect("clean stop");
}

#[tokio::test]
async fn the_policy_header_selects_the_profile_per_request() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = server(dir.path()).await;
    // The same contradicted answer: FLAG under "soft", BLOCK under the default.
    let c = body_common(buffered(&server, Some("soft"), "json-flag", CONTRADICTED).await);
    let h = c.header_mutation.expect("verdict headers");
    assert_eq!(get(&h, "x-factgate-verdict").as_deref(), Some("FLAG"));
    assert!(get(&h, "x-factgate-audit-id").is_some());
    assert!(c.body_mutation.is_none());
    let r = buffered(&server, None, "json-default", CONTRADICTED).await;
    assert!(matches!(
        r,
        processing_response::Response::ImmediateResponse(_)
    ));

    // An unknown profile is refused before the request goes upstream.
    let mut envoy = Envoy::open(&server).await;
    let mut h = headers(&[(":path", "/v1/chat/completions")]);
    if let Some(map) = h.headers.as_mut() {
        map.headers.push(HeaderValue {
            key: "x-factgate-policy".into(),
            value: String::new(),
            raw_value: b"nope".to_vec(),
        });
    }
    let r = envoy
        .send(processing_request::Request::RequestHeaders(h))
        .await;
    let processing_response::Response::ImmediateResponse(imm) = r else {
        panic!("expected an immediate response, got {r:?}");
    };
    assert_eq!(imm.status.expect("status").code, 400);
    let body: Value = serde_json::from_slice(&imm.body).expect("JSON error body");
    assert_eq!(body["error"]["param"], "x-factgate-policy");
    assert!(body["error"]["message"]
        .as_str()
        .expect("message")
        .contains("nope"));
    server.stop().await.expect("clean stop");
}

#[tokio::test]
async fn sse_stream_is_released_sentence_by_sentence_and_blocked_midway() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = server(dir.path()).await;
    let mut envoy = Envoy::open(&server).await;
    envoy.request(None, "sse-block").await;
    let (_, mode) = envoy.response("200", "text/event-stream").await;
    assert_eq!(mode, BodySendMode::Streamed as i32);

    let role = event(json!({"role": "assistant", "content": ""}));
    let e1 = event(json!({"content": "Nairobi is "}));
    let e2 = event(json!({"content": "Kenya's capital."}));
    let e3 = event(json!({"content": " The capital"}));
    let e4 = event(json!({"content": " of France is Berlin."}));
    let e5 = event(json!({"content": " Paris is"}));
    let e6 = event(json!({"content": " in France."}));

    let mut seen = Vec::new();
    let mut step = |r: processing_response::Response| {
        let out = replaced(&body_common(r)).expect("streamed chunks are replaced");
        seen.extend_from_slice(&out);
        out
    };
    // Events without text go straight through.
    assert_eq!(
        step(envoy.body(role.as_bytes(), false).await),
        role.as_bytes()
    );
    // Text is held until its sentence is complete (one event split across two chunks).
    assert!(step(envoy.body(e1.as_bytes(), false).await).is_empty());
    let (a, b) = e2.as_bytes().split_at(20);
    assert!(step(envoy.body(a, false).await).is_empty());
    assert!(step(envoy.body(b, false).await).is_empty());
    // The next sentence's first word completes the first sentence: release it.
    let out = step(envoy.body(e3.as_bytes(), false).await);
    assert_eq!(out, [e1.as_bytes(), e2.as_bytes()].concat());
    assert!(step(envoy.body(e4.as_bytes(), false).await).is_empty());
    // "... is Berlin." is complete: contradicted, so the stream ends with an error event.
    let out = step(envoy.body(e5.as_bytes(), false).await);
    let text = String::from_utf8(out).expect("utf8");
    let data = text
        .strip_prefix("data: ")
        .and_then(|t| t.strip_suffix("\n\n"))
        .expect("one SSE event");
    let err: Value = serde_json::from_str(data).expect("JSON event");
    assert_eq!(err["error"]["code"], "CONTRADICTED_CLAIM");
    let audit_id = err["error"]["audit_id"]
        .as_str()
        .expect("audit id")
        .to_string();
    // Everything after the block is dropped.
    assert!(step(envoy.body(e6.as_bytes(), false).await).is_empty());
    assert!(step(envoy.body(b"data: [DONE]\n\n", true).await).is_empty());
    let seen = String::from_utf8(seen).expect("utf8");
    assert!(seen.contains("Kenya's capital."));
    assert!(
        !seen.contains("Berlin"),
        "the contradicted sentence never went out"
    );
    drop(envoy);
    server.stop().await.expect("clean stop");
    let records = common::audit_records(&dir.path().join("audit.jsonl"));
    let rec = records
        .iter()
        .find(|r| r["request_id"] == "sse-block")
        .expect("audit record");
    assert_eq!(rec["verdict"], "block");
    assert_eq!(rec["partial"], true);
    assert!(audit_id.starts_with(&format!("{}-", rec["seq"])));
}

#[tokio::test]
async fn sse_stream_allowed_goes_through_whole_and_trailers_carry_the_verdict() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = server(dir.path()).await;
    let mut envoy = Envoy::open(&server).await;
    envoy.request(None, "sse-allow").await;
    envoy
        .response("200", "text/event-stream; charset=utf-8")
        .await;
    let stream = [
        event(json!({"role": "assistant"})),
        event(json!({"content": "Nairobi is Kenya"})),
        event(json!({"content": "'s capital."})),
        ": keep-alive\r\n\r\n".to_string(),
        event(json!({"content": "\nThe capital of Côte d'Ivoire is Yamoussoukro."})),
        event(json!({})),
        "data: [DONE]\n\n".to_string(),
    ]
    .concat();
    // Chunks of 7 bytes: events and characters are split across chunks. Trailers follow, so
    // the last chunk does not carry end_of_stream.
    let mut out = Vec::new();
    for c in stream.as_bytes().chunks(7) {
        let common = body_common(envoy.body(c, false).await);
        out.extend(replaced(&common).expect("streamed chunks are replaced"));
    }
    assert_eq!(String::from_utf8(out).expect("utf8"), stream);
    let r = envoy
        .send(processing_request::Request::ResponseTrailers(
            HttpTrailers::default(),
        ))
        .await;
    let processing_response::Response::ResponseTrailers(t) = r else {
        panic!("expected a trailers reply, got {r:?}");
    };
    let h = t.header_mutation.expect("verdict trailers");
    assert_eq!(get(&h, "x-factgate-verdict").as_deref(), Some("ALLOW"));
    assert!(get(&h, "x-factgate-audit-id").is_some());
    drop(envoy);
    server.stop().await.expect("clean stop");
    let records = common::audit_records(&dir.path().join("audit.jsonl"));
    let rec = records
        .iter()
        .find(|r| r["request_id"] == "sse-allow")
        .expect("audit record");
    assert_eq!(rec["partial"], false);
    assert_eq!(rec["claims"].as_array().expect("claims").len(), 2);
}

#[tokio::test]
async fn non_llm_and_malformed_bodies_pass_through_untouched() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = server(dir.path()).await;
    let count = |r: PassReason| counters().passthrough(r).load(Ordering::Relaxed);

    // Another content type: no body wanted, nothing changed.
    let before = count(PassReason::ContentType);
    let mut envoy = Envoy::open(&server).await;
    envoy.request(None, "html").await;
    let (common, mode) = envoy.response("200", "text/html").await;
    assert_eq!(mode, BodySendMode::None as i32);
    assert!(common.header_mutation.is_none());
    // Without allow_mode_override Envoy still sends the body: it goes through unchanged.
    let c = body_common(
        envoy
            .body(b"<p>The capital of France is Berlin.</p>", true)
            .await,
    );
    assert!(c.header_mutation.is_none() && c.body_mutation.is_none());
    assert!(count(PassReason::ContentType) > before);

    // An upstream error.
    let before = count(PassReason::Status);
    let mut envoy = Envoy::open(&server).await;
    envoy.request(None, "status").await;
    let (_, mode) = envoy.response("500", "application/json").await;
    assert_eq!(mode, BodySendMode::None as i32);
    let c = body_common(envoy.body(&completion(CONTRADICTED), true).await);
    assert!(c.header_mutation.is_none() && c.body_mutation.is_none());
    assert!(count(PassReason::Status) > before);

    // Malformed JSON, and JSON that is not a completion.
    for (body, reason) in [
        (&b"{\"choices\": [oops"[..], PassReason::Malformed),
        (
            &b"{\"object\": \"list\", \"data\": []}"[..],
            PassReason::NotCompletion,
        ),
    ] {
        let before = count(reason);
        let mut envoy = Envoy::open(&server).await;
        envoy.request(None, "odd").await;
        envoy.response("200", "application/json").await;
        let c = body_common(envoy.body(body, true).await);
        assert!(c.header_mutation.is_none() && c.body_mutation.is_none());
        assert!(count(reason) > before, "{reason:?}");
    }

    // A malformed event in a stream: what was held goes out, the rest passes through.
    let before = count(PassReason::Malformed);
    let mut envoy = Envoy::open(&server).await;
    envoy.request(None, "odd-sse").await;
    envoy.response("200", "text/event-stream").await;
    let e1 = event(json!({"content": "Nairobi is Kenya's capital."}));
    let c = body_common(envoy.body(e1.as_bytes(), false).await);
    assert_eq!(replaced(&c).expect("replaced"), b"");
    let c = body_common(envoy.body(b"data: {oops\n\nrest", false).await);
    assert_eq!(
        replaced(&c).expect("replaced"),
        [e1.as_bytes(), b"data: {oops\n\nrest"].concat()
    );
    let c = body_common(envoy.body(b"data: [DONE]\n\n", true).await);
    assert!(c.body_mutation.is_none());
    assert!(count(PassReason::Malformed) > before);
    server.stop().await.expect("clean stop");
}
