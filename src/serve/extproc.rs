//! Envoy external processing (`envoy.service.ext_proc.v3.ExternalProcessor/Process`): factgate
//! in front of an OpenAI-compatible upstream, without changing the application.
//!
//! One `Process` stream is one HTTP exchange. factgate reads the policy profile from the
//! request header `x-factgate-policy` (an unknown profile is answered at once with a 400), then
//! looks at the response:
//!
//! - `application/json` (a chat completion, best in BUFFERED mode): the text of every choice
//!   (`choices[].message.content`, or `choices[].text`) is checked. ALLOW and FLAG continue, with
//!   `x-factgate-verdict`, `x-factgate-confidence` and `x-factgate-audit-id` response headers;
//!   BLOCK is an `ImmediateResponse` 422 with an OpenAI-style error body naming the reason and
//!   the audit id. If the body arrives in STREAMED mode it is held back until the decision.
//! - `text/event-stream` (a streamed completion, STREAMED mode): `data:` events are parsed and
//!   `choices[].delta.content` is checked sentence by sentence ([`super::stream::StreamCheck`]).
//!   Events are released downstream only once every sentence they carry has been checked
//!   ("verify, then release"). On BLOCK the held events are dropped, an error event
//!   (`data: {"error": {...}}`) ends what the client sees, and every later chunk is dropped.
//!   Headers are already sent when the body is checked, so the verdict headers cannot be set;
//!   they are sent as trailers when Envoy sends the response trailers.
//!
//! Everything else — other content types, non-2xx statuses, compressed bodies, malformed JSON,
//! JSON that is not a completion — passes through untouched, counted in [`counters`] and logged.
//! factgate answers each response-headers message with a `mode_override` (BUFFERED for JSON,
//! STREAMED for event streams, NONE otherwise) that Envoy applies when `allow_mode_override` is
//! set; without it every mode still works. An LLM response counts as one check in flight for
//! the concurrency limit; over the limit, or over the policy's size limit, the Process stream
//! ends with an error status and Envoy's `failure_mode_allow` decides what the client gets.

use std::collections::{BTreeMap, VecDeque};
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use envoy_types::pb::envoy::config::core::v3::header_value_option::HeaderAppendAction;
use envoy_types::pb::envoy::config::core::v3::{HeaderValue, HeaderValueOption};
use envoy_types::pb::envoy::extensions::filters::http::ext_proc::v3::processing_mode::{
    BodySendMode, HeaderSendMode,
};
use envoy_types::pb::envoy::extensions::filters::http::ext_proc::v3::ProcessingMode;
use envoy_types::pb::envoy::r#type::v3::{HttpStatus, StatusCode};
use envoy_types::pb::envoy::service::ext_proc::v3::external_processor_server::{
    ExternalProcessor, ExternalProcessorServer,
};
use envoy_types::pb::envoy::service::ext_proc::v3::{
    body_mutation, processing_request, processing_response, BodyMutation, BodyResponse,
    CommonResponse, HeaderMutation, HeadersResponse, HttpBody, HttpHeaders, ImmediateResponse,
    ProcessingRequest, ProcessingResponse, TrailersResponse,
};
use serde_json::{json, Value};
use tokio::sync::{mpsc, watch, OwnedSemaphorePermit};
use tokio_stream::wrappers::ReceiverStream;
use tokio_stream::{Stream, StreamExt};
use tonic::{Request, Response, Status, Streaming};

use super::state::GuardState;
use super::stream::StreamCheck;
use crate::decide::{Action, Reason, Verdict};
use crate::pipeline::{CheckError, CheckInput, CheckOutcome, Checker};

/// Request header that selects the policy profile.
pub const POLICY_HEADER: &str = "x-factgate-policy";
/// Response header: ALLOW, FLAG or BLOCK.
pub const VERDICT_HEADER: &str = "x-factgate-verdict";
/// Response header: the response confidence (0..1, three decimals).
pub const CONFIDENCE_HEADER: &str = "x-factgate-confidence";
/// Response header: the audit record id (comma-separated when several choices were checked).
pub const AUDIT_ID_HEADER: &str = "x-factgate-audit-id";

/// Why a response passed through unchecked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PassReason {
    /// The content type is neither JSON nor an event stream.
    ContentType,
    /// The HTTP status is not 2xx.
    Status,
    /// The body is compressed (`content-encoding`).
    Encoding,
    /// The body is not valid JSON (or an event's data is not).
    Malformed,
    /// Valid JSON, but not a completion with text (no `choices`, or no text in them).
    NotCompletion,
}

impl PassReason {
    /// Name used in logs.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ContentType => "content_type",
            Self::Status => "status",
            Self::Encoding => "encoding",
            Self::Malformed => "malformed",
            Self::NotCompletion => "not_completion",
        }
    }
}

/// Process-wide ext_proc counters (monotonic).
#[derive(Debug)]
pub struct Counters {
    /// LLM responses whose check was completed.
    pub checked: AtomicU64,
    /// Responses blocked.
    pub blocked: AtomicU64,
    /// Passed through: content type.
    pub passthrough_content_type: AtomicU64,
    /// Passed through: non-2xx status.
    pub passthrough_status: AtomicU64,
    /// Passed through: compressed body.
    pub passthrough_encoding: AtomicU64,
    /// Passed through: malformed JSON.
    pub passthrough_malformed: AtomicU64,
    /// Passed through: not a completion with text.
    pub passthrough_not_completion: AtomicU64,
}

impl Counters {
    /// The pass-through counter for `reason`.
    pub fn passthrough(&self, reason: PassReason) -> &AtomicU64 {
        match reason {
            PassReason::ContentType => &self.passthrough_content_type,
            PassReason::Status => &self.passthrough_status,
            PassReason::Encoding => &self.passthrough_encoding,
            PassReason::Malformed => &self.passthrough_malformed,
            PassReason::NotCompletion => &self.passthrough_not_completion,
        }
    }
}

static COUNTERS: Counters = Counters {
    checked: AtomicU64::new(0),
    blocked: AtomicU64::new(0),
    passthrough_content_type: AtomicU64::new(0),
    passthrough_status: AtomicU64::new(0),
    passthrough_encoding: AtomicU64::new(0),
    passthrough_malformed: AtomicU64::new(0),
    passthrough_not_completion: AtomicU64::new(0),
};

/// The ext_proc counters.
pub fn counters() -> &'static Counters {
    &COUNTERS
}

/// The ExternalProcessor service over the Guard service's state.
pub(crate) fn server(state: Arc<GuardState>) -> ExternalProcessorServer<ExtProcService> {
    ExternalProcessorServer::new(ExtProcService { state })
}

/// `envoy.service.ext_proc.v3.ExternalProcessor`.
#[derive(Clone)]
pub struct ExtProcService {
    state: Arc<GuardState>,
}

/// The response stream of Process.
pub type ProcessOut = Pin<Box<dyn Stream<Item = Result<ProcessingResponse, Status>> + Send>>;

#[tonic::async_trait]
impl ExternalProcessor for ExtProcService {
    type ProcessStream = ProcessOut;

    async fn process(
        &self,
        request: Request<Streaming<ProcessingRequest>>,
    ) -> Result<Response<Self::ProcessStream>, Status> {
        let (tx, rx) = mpsc::channel(16);
        let closing = self.state.closing();
        tokio::spawn(run(self.state.clone(), request.into_inner(), tx, closing));
        Ok(Response::new(Box::pin(ReceiverStream::new(rx))))
    }
}

async fn run<S>(
    state: Arc<GuardState>,
    mut inbound: S,
    tx: mpsc::Sender<Result<ProcessingResponse, Status>>,
    mut closing: watch::Receiver<bool>,
) where
    S: Stream<Item = Result<ProcessingRequest, Status>> + Unpin + Send + 'static,
{
    let mut ex = Exchange {
        state,
        policy: String::new(),
        request_id: String::new(),
        path: String::new(),
        body: Body::Waiting,
    };
    loop {
        let next = tokio::select! {
            next = inbound.next() => next,
            () = super::stream::closed(&mut closing) => {
                // Shutdown: audit what was checked; Envoy's failure mode decides the rest.
                ex.abandon().await;
                let _ = tx.send(Err(Status::unavailable("factgate is shutting down"))).await;
                return;
            }
        };
        let req = match next {
            Some(Ok(req)) => req,
            Some(Err(status)) => {
                tracing::info!(code = ?status.code(), "ext_proc stream ended by Envoy");
                ex.abandon().await;
                return;
            }
            None => {
                ex.abandon().await;
                return;
            }
        };
        // In observability mode Envoy does not wait for (or accept) replies.
        let quiet = req.observability_mode;
        match ex.handle(req).await {
            Ok(Some(resp)) if !quiet => {
                if tx.send(Ok(resp)).await.is_err() {
                    ex.abandon().await;
                    return;
                }
            }
            Ok(_) => {}
            Err(status) => {
                ex.abandon().await;
                let _ = tx.send(Err(status)).await;
                return;
            }
        }
    }
}

/// A checker and the permit that counts this response as a check in flight.
struct Lease {
    checker: Arc<Checker>,
    _permit: OwnedSemaphorePermit,
}

/// The decision for a whole HTTP response (all its choices).
#[derive(Debug, Clone)]
struct Decision {
    verdict: Verdict,
    confidence: f64,
    audit_ids: Vec<String>,
    reasons: Vec<Reason>,
}

impl Decision {
    fn from_outcomes(outcomes: &[CheckOutcome]) -> Self {
        let mut reasons: Vec<Reason> = Vec::new();
        for o in outcomes {
            for r in &o.reasons {
                if !reasons.contains(r) {
                    reasons.push(r.clone());
                }
            }
        }
        Self {
            verdict: outcomes
                .iter()
                .map(|o| o.verdict)
                .max()
                .unwrap_or(Action::Allow),
            confidence: outcomes.iter().map(|o| o.confidence).fold(1.0, f64::min),
            audit_ids: outcomes
                .iter()
                .filter(|o| !o.audit_id.is_empty())
                .map(|o| o.audit_id.clone())
                .collect(),
            reasons,
        }
    }

    fn headers(&self) -> HeaderMutation {
        let mut set = vec![
            set_header(VERDICT_HEADER, verdict_name(self.verdict)),
            set_header(CONFIDENCE_HEADER, &format!("{:.3}", self.confidence)),
        ];
        if !self.audit_ids.is_empty() {
            set.push(set_header(AUDIT_ID_HEADER, &self.audit_ids.join(",")));
        }
        HeaderMutation {
            set_headers: set,
            remove_headers: Vec::new(),
        }
    }

    /// The OpenAI-style error object for a BLOCK.
    fn error_json(&self) -> Value {
        let main = self
            .reasons
            .iter()
            .find(|r| r.code != "PARTIAL")
            .or(self.reasons.first());
        let audit = self.audit_ids.join(",");
        let why = self
            .reasons
            .iter()
            .map(|r| r.message.as_str())
            .collect::<Vec<_>>()
            .join("; ");
        json!({
            "error": {
                "message": format!("factgate blocked this response: {why} (audit id {audit})"),
                "type": "factgate_blocked",
                "code": main.map_or("BLOCKED", |r| r.code),
                "param": null,
                "audit_id": audit,
                "reasons": self.reasons.iter()
                    .map(|r| json!({"code": r.code, "message": r.message}))
                    .collect::<Vec<_>>(),
            }
        })
    }
}

/// ALLOW / FLAG / BLOCK.
pub fn verdict_name(v: Verdict) -> &'static str {
    match v {
        Action::Allow => "ALLOW",
        Action::Flag => "FLAG",
        Action::Block => "BLOCK",
    }
}

fn set_header(key: &str, value: &str) -> HeaderValueOption {
    HeaderValueOption {
        header: Some(HeaderValue {
            key: key.to_string(),
            value: String::new(),
            raw_value: value.as_bytes().to_vec(),
        }),
        append_action: HeaderAppendAction::OverwriteIfExistsOrAdd as i32,
        ..Default::default()
    }
}

/// A header's value (Envoy sends `raw_value`; older versions `value`).
fn header(h: &HttpHeaders, name: &str) -> Option<String> {
    h.headers
        .as_ref()?
        .headers
        .iter()
        .find(|v| v.key.eq_ignore_ascii_case(name))
        .map(|v| {
            if v.raw_value.is_empty() {
                v.value.clone()
            } else {
                String::from_utf8_lossy(&v.raw_value).into_owned()
            }
        })
}

fn common(
    header_mutation: Option<HeaderMutation>,
    body: Option<Vec<u8>>,
) -> Option<CommonResponse> {
    Some(CommonResponse {
        header_mutation,
        body_mutation: body.map(|b| BodyMutation {
            mutation: Some(body_mutation::Mutation::Body(b)),
        }),
        ..Default::default()
    })
}

fn reply(r: processing_response::Response) -> ProcessingResponse {
    ProcessingResponse {
        response: Some(r),
        ..Default::default()
    }
}

/// Reply to a response-body message: continue, optionally with headers and a replacement chunk.
fn body_reply(headers: Option<HeaderMutation>, body: Option<Vec<u8>>) -> ProcessingResponse {
    reply(processing_response::Response::ResponseBody(BodyResponse {
        response: common(headers, body),
    }))
}

fn immediate(
    status: StatusCode,
    headers: Vec<HeaderValueOption>,
    body: &Value,
) -> ProcessingResponse {
    let mut set = vec![set_header("content-type", "application/json")];
    set.extend(headers);
    reply(processing_response::Response::ImmediateResponse(
        ImmediateResponse {
            status: Some(HttpStatus {
                code: status as i32,
            }),
            headers: Some(HeaderMutation {
                set_headers: set,
                remove_headers: Vec::new(),
            }),
            body: body.to_string().into_bytes(),
            grpc_status: None,
            details: "factgate".into(),
        },
    ))
}

fn pass_through(reason: PassReason, request_id: &str, detail: &str) {
    counters()
        .passthrough(reason)
        .fetch_add(1, Ordering::Relaxed);
    tracing::info!(
        reason = reason.as_str(),
        request_id,
        detail,
        "ext_proc: response passed through unchecked"
    );
}

/// Where the response body is.
enum Body {
    /// Before the response headers.
    Waiting,
    /// Not checked: every chunk continues untouched.
    PassThrough,
    /// A JSON completion being collected.
    Json(Box<JsonBody>),
    /// An event stream being checked.
    Sse(Box<SseBody>),
    /// A stream stopped by BLOCK: later chunks are dropped.
    Blocked,
    /// Decided; the decision goes into trailers if Envoy sends them.
    Done(Option<Decision>),
}

struct JsonBody {
    lease: Lease,
    head: CheckInput,
    buf: Vec<u8>,
    chunks: usize,
    raw_limit: usize,
}

struct Exchange {
    state: Arc<GuardState>,
    policy: String,
    request_id: String,
    path: String,
    body: Body,
}

impl Exchange {
    async fn handle(
        &mut self,
        req: ProcessingRequest,
    ) -> Result<Option<ProcessingResponse>, Status> {
        use processing_request::Request as In;
        use processing_response::Response as Out;
        let Some(r) = req.request else {
            // Flow-control-only message: nothing to answer.
            return Ok(None);
        };
        Ok(Some(match r {
            In::RequestHeaders(h) => self.on_request_headers(&h)?,
            In::RequestBody(_) => reply(Out::RequestBody(BodyResponse {
                response: common(None, None),
            })),
            In::RequestTrailers(_) => reply(Out::RequestTrailers(TrailersResponse::default())),
            In::ResponseHeaders(h) => self.on_response_headers(&h)?,
            In::ResponseBody(b) => self.on_response_body(b).await?,
            In::ResponseTrailers(_) => self.on_response_trailers().await?,
        }))
    }

    fn on_request_headers(&mut self, h: &HttpHeaders) -> Result<ProcessingResponse, Status> {
        self.policy = header(h, POLICY_HEADER).unwrap_or_default();
        self.request_id = header(h, "x-request-id").unwrap_or_default();
        // The path without its query string (which may hold secrets), for the audit labels.
        self.path = header(h, ":path")
            .map(|p| p.split('?').next().unwrap_or_default().to_string())
            .unwrap_or_default();
        let checker = self.state.checker()?;
        if let Err(e) = checker.policy(&self.policy) {
            let body = json!({
                "error": {
                    "message": format!("{POLICY_HEADER} header: {e}"),
                    "type": "invalid_request_error",
                    "code": "factgate_unknown_policy",
                    "param": POLICY_HEADER,
                }
            });
            return Ok(immediate(StatusCode::BadRequest, Vec::new(), &body));
        }
        Ok(reply(processing_response::Response::RequestHeaders(
            HeadersResponse {
                response: common(None, None),
            },
        )))
    }

    fn head(&self) -> CheckInput {
        let mut labels = BTreeMap::new();
        labels.insert("via".to_string(), "envoy-ext-proc".to_string());
        if !self.path.is_empty() {
            labels.insert("path".to_string(), self.path.clone());
        }
        CheckInput {
            policy: self.policy.clone(),
            labels,
            request_id: self.request_id.clone(),
            ..CheckInput::default()
        }
    }

    fn on_response_headers(&mut self, h: &HttpHeaders) -> Result<ProcessingResponse, Status> {
        let status = header(h, ":status").unwrap_or_default();
        let content_type = header(h, "content-type")
            .unwrap_or_default()
            .to_ascii_lowercase();
        let encoding = header(h, "content-encoding").unwrap_or_default();
        let kind = if !status.starts_with('2') {
            Err((PassReason::Status, format!(":status {status}")))
        } else if !encoding.is_empty() && !encoding.eq_ignore_ascii_case("identity") {
            Err((PassReason::Encoding, format!("content-encoding {encoding}")))
        } else if content_type.starts_with("application/json") {
            Ok(BodySendMode::Buffered)
        } else if content_type.starts_with("text/event-stream") {
            Ok(BodySendMode::Streamed)
        } else {
            Err((
                PassReason::ContentType,
                format!("content-type {content_type:?}"),
            ))
        };
        let (mode, mutation) = match kind {
            Err((reason, detail)) => {
                pass_through(reason, &self.request_id, &detail);
                self.body = Body::PassThrough;
                (BodySendMode::None, None)
            }
            Ok(mode) => {
                let checker = self.state.checker()?;
                let permit = self.state.permit()?;
                let limit = checker
                    .policy(&self.policy)
                    .map_err(Status::from)?
                    .1
                    .max_response_bytes;
                let lease = Lease {
                    checker,
                    _permit: permit,
                };
                let head = self.head();
                self.body = if mode == BodySendMode::Buffered {
                    Body::Json(Box::new(JsonBody {
                        lease,
                        head,
                        buf: Vec::new(),
                        chunks: 0,
                        // A completion's JSON is its text plus metadata and escapes.
                        raw_limit: limit.saturating_mul(8).saturating_add(64 * 1024),
                    }))
                } else {
                    Body::Sse(Box::new(SseBody::new(lease, head, limit)))
                };
                // The body may be replaced (held back, or an error): its length is not known.
                let remove = HeaderMutation {
                    set_headers: Vec::new(),
                    remove_headers: vec!["content-length".into()],
                };
                (mode, Some(remove))
            }
        };
        Ok(ProcessingResponse {
            response: Some(processing_response::Response::ResponseHeaders(
                HeadersResponse {
                    response: common(mutation, None),
                },
            )),
            // Only the response modes still matter here. Trailers: wanted for LLM responses
            // (the verdict goes there when the headers are already gone).
            mode_override: Some(ProcessingMode {
                response_body_mode: mode as i32,
                response_trailer_mode: if mode == BodySendMode::None {
                    HeaderSendMode::Skip
                } else {
                    HeaderSendMode::Send
                } as i32,
                ..Default::default()
            }),
            ..Default::default()
        })
    }

    async fn on_response_body(&mut self, b: HttpBody) -> Result<ProcessingResponse, Status> {
        match std::mem::replace(&mut self.body, Body::Waiting) {
            Body::Json(j) => self.json_chunk(j, b).await,
            Body::Sse(s) => self.sse_chunk(s, b).await,
            Body::Blocked => {
                self.body = Body::Blocked;
                Ok(body_reply(None, Some(Vec::new())))
            }
            other => {
                self.body = other;
                Ok(body_reply(None, None))
            }
        }
    }

    async fn json_chunk(
        &mut self,
        mut j: Box<JsonBody>,
        b: HttpBody,
    ) -> Result<ProcessingResponse, Status> {
        j.chunks += 1;
        j.buf.extend_from_slice(&b.body);
        if j.buf.len() > j.raw_limit {
            self.body = Body::Done(None);
            return Err(Status::invalid_argument(format!(
                "response body: over {} bytes, the limit for a completion under the policy's \
                 max_response_bytes",
                j.raw_limit
            )));
        }
        // BUFFERED mode sends the whole body in the first message: the headers have not gone
        // downstream yet, so they can still be set (or the response replaced). A first message
        // that is not complete JSON is taken for STREAMED mode and held back. (BUFFERED with
        // upstream trailers and a malformed body would be dropped by that; see the trailers.)
        let buffered = j.chunks == 1;
        let parsed: Option<Result<Value, serde_json::Error>> = if b.end_of_stream || buffered {
            match serde_json::from_slice::<Value>(&j.buf) {
                Ok(v) => Some(Ok(v)),
                Err(e) if b.end_of_stream => Some(Err(e)),
                Err(_) => None,
            }
        } else {
            None
        };
        let Some(parsed) = parsed else {
            // STREAMED mode: hold the chunk back until the body is complete and decided.
            self.body = Body::Json(j);
            return Ok(body_reply(None, Some(Vec::new())));
        };
        // What the client gets when the body is let through unchanged.
        let release = |j: &JsonBody| (!buffered).then(|| j.buf.clone());
        let value = match parsed {
            Ok(v) => v,
            Err(e) => {
                pass_through(PassReason::Malformed, &self.request_id, &e.to_string());
                self.body = Body::Done(None);
                return Ok(body_reply(None, release(&j)));
            }
        };
        let texts = match completion_texts(&value) {
            Some(t) if !t.is_empty() => t,
            _ => {
                pass_through(
                    PassReason::NotCompletion,
                    &self.request_id,
                    "no choices with text",
                );
                self.body = Body::Done(None);
                return Ok(body_reply(None, release(&j)));
            }
        };
        let checker = j.lease.checker.clone();
        let head = j.head.clone();
        let outcomes = tokio::task::spawn_blocking(move || {
            texts
                .into_iter()
                .map(|(index, text)| {
                    let mut input = head.clone();
                    input.response = text;
                    input.labels.insert("choice".into(), index.to_string());
                    checker.check(&input)
                })
                .collect::<Result<Vec<_>, CheckError>>()
        })
        .await
        .map_err(|e| Status::internal(format!("check task failed: {e}")))?
        .map_err(Status::from)?;
        let decision = Decision::from_outcomes(&outcomes);
        counters().checked.fetch_add(1, Ordering::Relaxed);
        tracing::info!(
            request_id = %self.request_id,
            verdict = verdict_name(decision.verdict),
            audit_id = %decision.audit_ids.join(","),
            "ext_proc: completion checked"
        );
        if decision.verdict == Action::Block {
            counters().blocked.fetch_add(1, Ordering::Relaxed);
            let body = decision.error_json();
            if buffered {
                self.body = Body::Done(None);
                return Ok(immediate(
                    StatusCode::UnprocessableEntity,
                    decision.headers().set_headers,
                    &body,
                ));
            }
            // Streamed: the status line is gone; replace the held body with the error.
            self.body = Body::Done(Some(decision));
            return Ok(body_reply(None, Some(body.to_string().into_bytes())));
        }
        let headers = buffered.then(|| decision.headers());
        let body = release(&j);
        self.body = Body::Done((!buffered).then_some(decision));
        Ok(body_reply(headers, body))
    }

    async fn sse_chunk(
        &mut self,
        sse: Box<SseBody>,
        b: HttpBody,
    ) -> Result<ProcessingResponse, Status> {
        let (sse, step) = tokio::task::spawn_blocking(move || {
            let mut sse = sse;
            let step = sse.step(&b.body, b.end_of_stream);
            (sse, step)
        })
        .await
        .map_err(|e| Status::internal(format!("stream check task failed: {e}")))?;
        let first = sse.chunks == 1;
        match step {
            SseStep::Release(bytes) => {
                self.body = Body::Sse(sse);
                Ok(body_reply(None, Some(bytes)))
            }
            SseStep::PassThrough(bytes, detail) => {
                pass_through(PassReason::Malformed, &self.request_id, &detail);
                self.body = Body::Done(None);
                Ok(body_reply(None, Some(bytes)))
            }
            SseStep::NoText(bytes) => {
                pass_through(
                    PassReason::NotCompletion,
                    &self.request_id,
                    "event stream without completion text",
                );
                self.body = Body::Done(None);
                Ok(body_reply(None, Some(bytes)))
            }
            SseStep::Finished(bytes, decision) => {
                counters().checked.fetch_add(1, Ordering::Relaxed);
                tracing::info!(
                    request_id = %self.request_id,
                    verdict = verdict_name(decision.verdict),
                    audit_id = %decision.audit_ids.join(","),
                    "ext_proc: event stream checked"
                );
                // Only a stream that came in one piece (BUFFERED) still has its headers.
                let headers = (first && b.end_of_stream).then(|| decision.headers());
                self.body = Body::Done(Some(decision));
                Ok(body_reply(headers, Some(bytes)))
            }
            SseStep::Blocked(decision) => {
                counters().checked.fetch_add(1, Ordering::Relaxed);
                counters().blocked.fetch_add(1, Ordering::Relaxed);
                tracing::info!(
                    request_id = %self.request_id,
                    audit_id = %decision.audit_ids.join(","),
                    "ext_proc: event stream blocked"
                );
                let error = decision.error_json();
                if first && b.end_of_stream {
                    self.body = Body::Done(None);
                    return Ok(immediate(
                        StatusCode::UnprocessableEntity,
                        decision.headers().set_headers,
                        &error,
                    ));
                }
                self.body = Body::Blocked;
                Ok(body_reply(
                    None,
                    Some(format!("data: {error}\n\n").into_bytes()),
                ))
            }
            SseStep::Failed(status) => {
                self.body = Body::Done(None);
                Err(status)
            }
        }
    }

    async fn on_response_trailers(&mut self) -> Result<ProcessingResponse, Status> {
        // A body still open here ended without end_of_stream: decide now. What is held back
        // can no longer be released (the body is over), which the log says.
        let decision = match std::mem::replace(&mut self.body, Body::Done(None)) {
            Body::Done(d) => d,
            Body::Sse(mut sse) => {
                let held = sse.held_bytes();
                let d = tokio::task::spawn_blocking(move || sse.finish_all(false))
                    .await
                    .map_err(|e| Status::internal(format!("stream check task failed: {e}")))?
                    .map_err(Status::from)?;
                if held > 0 {
                    tracing::warn!(
                        request_id = %self.request_id,
                        held,
                        "ext_proc: event stream ended by trailers without [DONE]; held bytes dropped"
                    );
                }
                d
            }
            Body::Json(j) => {
                // Never complete JSON before the trailers: not a completion we can check.
                pass_through(
                    PassReason::Malformed,
                    &self.request_id,
                    &format!("{} bytes of JSON ended by trailers", j.buf.len()),
                );
                None
            }
            other => {
                self.body = other;
                None
            }
        };
        Ok(reply(processing_response::Response::ResponseTrailers(
            TrailersResponse {
                header_mutation: decision.map(|d| d.headers()),
            },
        )))
    }

    /// The exchange ended before the body did (the client went away, or Envoy gave up):
    /// audit what was checked as partial.
    async fn abandon(&mut self) {
        if let Body::Sse(mut sse) = std::mem::replace(&mut self.body, Body::Done(None)) {
            if sse.choices.is_empty() {
                return;
            }
            match tokio::task::spawn_blocking(move || sse.finish_all(true)).await {
                Ok(Ok(Some(d))) => tracing::info!(
                    request_id = %self.request_id,
                    audit_id = %d.audit_ids.join(","),
                    "ext_proc: event stream ended early; partial check audited"
                ),
                Ok(Ok(None)) => {}
                Ok(Err(e)) => tracing::error!(error = %e, "partial audit failed"),
                Err(e) => tracing::error!(error = %e, "partial audit task failed"),
            }
        }
    }
}

/// The text of each choice of a completion body: `None` when the JSON is not a completion.
/// Choices without text (tool calls, `null` content) are left out.
pub fn completion_texts(v: &Value) -> Option<Vec<(u64, String)>> {
    v.get("choices")?.as_array()?;
    Some(choice_texts(v, "message"))
}

/// (choice index, text) of every choice with text under `field` ("message" in a completion,
/// "delta" in a streamed chunk), or the legacy `text` field.
fn choice_texts(v: &Value, field: &str) -> Vec<(u64, String)> {
    let Some(choices) = v.get("choices").and_then(Value::as_array) else {
        return Vec::new();
    };
    choices
        .iter()
        .enumerate()
        .filter_map(|(i, c)| {
            let index = c.get("index").and_then(Value::as_u64).unwrap_or(i as u64);
            let text = c
                .get(field)
                .and_then(|m| m.get("content"))
                .and_then(content_text)
                .or_else(|| c.get("text").and_then(Value::as_str).map(str::to_string))?;
            (!text.is_empty()).then_some((index, text))
        })
        .collect()
}

/// `content` as a string, or an array of parts whose `text` fields are joined.
fn content_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Array(parts) => {
            let texts: Vec<&str> = parts
                .iter()
                .filter_map(|p| p.get("text").and_then(Value::as_str))
                .collect();
            (!texts.is_empty()).then(|| texts.join(""))
        }
        _ => None,
    }
}

/// The text deltas of one streamed chunk: (choice index, text).
fn delta_texts(v: &Value) -> Vec<(u64, String)> {
    choice_texts(v, "delta")
}

/// A complete server-sent event, held until the text it carries has been checked.
struct Held {
    bytes: Vec<u8>,
    /// (choice, length of that choice's text once this event is added).
    needs: Vec<(u64, usize)>,
}

/// One event's payload.
enum Event {
    /// `data: [DONE]`.
    Done,
    /// `data:` lines parsed as JSON.
    Json(Value),
    /// No `data:` (comments, keep-alives).
    Empty,
}

fn parse_event(raw: &[u8]) -> Result<Event, String> {
    let text = std::str::from_utf8(raw).map_err(|e| format!("event is not UTF-8: {e}"))?;
    let data: Vec<&str> = text
        .lines()
        .filter_map(|l| l.strip_prefix("data:"))
        .map(|d| d.strip_prefix(' ').unwrap_or(d))
        .collect();
    if data.is_empty() {
        return Ok(Event::Empty);
    }
    let data = data.join("\n");
    if data.trim() == "[DONE]" {
        return Ok(Event::Done);
    }
    serde_json::from_str(&data)
        .map(Event::Json)
        .map_err(|e| format!("event data is not JSON: {e}"))
}

/// The end of the first complete event in `buf` (after its blank line), if any.
fn event_end(buf: &[u8]) -> Option<usize> {
    let mut line_start = 0;
    for (i, &b) in buf.iter().enumerate() {
        if b == b'\n' {
            let line = &buf[line_start..i];
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            if line.is_empty() && line_start > 0 {
                return Some(i + 1);
            }
            if line.is_empty() {
                // A blank line before any field: skip it (stray newline between events).
                line_start = i + 1;
                continue;
            }
            line_start = i + 1;
        }
    }
    None
}

/// What one chunk of an event stream leads to.
enum SseStep {
    /// Continue: send these bytes (the events now checked; possibly none).
    Release(Vec<u8>),
    /// Not a completion stream after all (malformed data): send everything, stop checking.
    PassThrough(Vec<u8>, String),
    /// The stream ended without completion text: send everything.
    NoText(Vec<u8>),
    /// The stream is complete and not blocked: send the rest.
    Finished(Vec<u8>, Decision),
    /// BLOCK: drop what is held, send the error event, drop the rest of the stream.
    Blocked(Decision),
    /// Over a limit: end the Process stream with this status (the partial audit is written).
    Failed(Status),
}

struct SseBody {
    lease: Lease,
    head: CheckInput,
    /// Bytes not yet split into events.
    scan: Vec<u8>,
    held: VecDeque<Held>,
    choices: BTreeMap<u64, StreamCheck>,
    chunks: usize,
    raw_limit: usize,
}

impl SseBody {
    fn new(lease: Lease, head: CheckInput, limit: usize) -> Self {
        Self {
            lease,
            head,
            scan: Vec::new(),
            held: VecDeque::new(),
            choices: BTreeMap::new(),
            chunks: 0,
            // Each token of text comes wrapped in ~150 bytes of event JSON; only the events of
            // the sentence being written are held, but bound them anyway.
            raw_limit: limit.saturating_mul(64).max(1 << 20),
        }
    }

    fn held_bytes(&self) -> usize {
        self.held.iter().map(|h| h.bytes.len()).sum::<usize>() + self.scan.len()
    }

    /// Everything held, in order.
    fn drain_all(&mut self) -> Vec<u8> {
        let mut out: Vec<u8> = self.held.drain(..).flat_map(|h| h.bytes).collect();
        out.append(&mut self.scan);
        out
    }

    /// Blocking: parses, checks and decides what to release.
    fn step(&mut self, chunk: &[u8], end_of_stream: bool) -> SseStep {
        self.chunks += 1;
        self.scan.extend_from_slice(chunk);
        if self.held_bytes() > self.raw_limit {
            let limit = self.raw_limit;
            return SseStep::Failed(self.fail(CheckError::InvalidArgument(format!(
                "response body: over {limit} bytes of events held without a complete sentence"
            ))));
        }
        let mut done = false;
        while let Some(end) = event_end(&self.scan) {
            let raw: Vec<u8> = self.scan.drain(..end).collect();
            let mut needs = Vec::new();
            match parse_event(&raw) {
                Ok(Event::Done) => done = true,
                Ok(Event::Empty) => {}
                Ok(Event::Json(v)) => {
                    for (index, text) in delta_texts(&v) {
                        let st = match self.choices.entry(index) {
                            std::collections::btree_map::Entry::Occupied(e) => e.into_mut(),
                            std::collections::btree_map::Entry::Vacant(e) => {
                                let mut head = self.head.clone();
                                head.labels.insert("choice".into(), index.to_string());
                                match StreamCheck::new(self.lease.checker.clone(), head) {
                                    Ok(st) => e.insert(st),
                                    Err(err) => return SseStep::Failed(self.fail(err)),
                                }
                            }
                        };
                        if let Err(err) = st.push_str(&text) {
                            return SseStep::Failed(self.fail(err));
                        }
                        needs.push((index, st.text().len()));
                    }
                }
                Err(detail) => {
                    // Not what an OpenAI-compatible stream sends: stop checking, let it
                    // through, and keep an audit record of what was checked.
                    if !self.choices.is_empty() {
                        if let Err(e) = self.finish_all(true) {
                            tracing::error!(error = %e, "partial audit failed");
                        }
                    }
                    let mut out: Vec<u8> = self.held.drain(..).flat_map(|h| h.bytes).collect();
                    out.extend(raw);
                    out.append(&mut self.scan);
                    return SseStep::PassThrough(out, detail);
                }
            }
            self.held.push_back(Held { bytes: raw, needs });
        }

        if done || end_of_stream {
            if self.choices.is_empty() {
                return SseStep::NoText(self.drain_all());
            }
            return match self.finish_all(false) {
                Ok(Some(d)) if d.verdict == Action::Block => SseStep::Blocked(d),
                Ok(Some(d)) => SseStep::Finished(self.drain_all(), d),
                Ok(None) => SseStep::NoText(self.drain_all()),
                Err(e) => SseStep::Failed(e.into()),
            };
        }
        for st in self.choices.values_mut() {
            st.advance();
        }
        let block = self
            .choices
            .values()
            .any(|st| st.provisional().0 == Action::Block);
        if block {
            // Stopped before its end: the record says partial.
            return match self.finish_all(true) {
                Ok(Some(d)) => SseStep::Blocked(d),
                Ok(None) => SseStep::Failed(Status::internal("blocked stream has no checks")),
                Err(e) => SseStep::Failed(e.into()),
            };
        }
        // Release, in order, every event whose text has all been checked.
        let mut out = Vec::new();
        while let Some(h) = self.held.front() {
            let checked = h.needs.iter().all(|(index, end)| {
                self.choices
                    .get(index)
                    .is_some_and(|st| st.checked().end >= *end)
            });
            if !checked {
                break;
            }
            if let Some(h) = self.held.pop_front() {
                out.extend(h.bytes);
            }
        }
        SseStep::Release(out)
    }

    /// Finishes every choice's check (writing their audit records) and decides.
    fn finish_all(&mut self, partial: bool) -> Result<Option<Decision>, CheckError> {
        let choices = std::mem::take(&mut self.choices);
        if choices.is_empty() {
            return Ok(None);
        }
        let outcomes = choices
            .into_values()
            .map(|st| st.finish(partial))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Some(Decision::from_outcomes(&outcomes)))
    }

    /// Stops on an error: audits what was checked as partial and names it in the status.
    fn fail(&mut self, error: CheckError) -> Status {
        let status: Status = error.into();
        match self.finish_all(true) {
            Ok(Some(d)) if !d.audit_ids.is_empty() => Status::new(
                status.code(),
                format!(
                    "{}; the part received was checked and audited as partial (audit id {})",
                    status.message(),
                    d.audit_ids.join(",")
                ),
            ),
            Ok(_) => status,
            Err(e) => {
                tracing::error!(error = %e, "partial audit failed");
                status
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_split_on_blank_lines_with_lf_or_crlf() {
        assert_eq!(event_end(b"data: a\n\ndata: b"), Some(9));
        assert_eq!(event_end(b"data: a\r\n\r\nx"), Some(11));
        assert_eq!(event_end(b"data: a\n"), None);
        assert_eq!(event_end(b"\ndata: a\n\n"), Some(10));
    }

    #[test]
    fn completion_and_delta_texts() {
        let v: Value = serde_json::from_str(
            r#"{"choices":[{"index":0,"message":{"role":"assistant","content":"Hi."}},
                {"index":1,"message":{"content":null,"tool_calls":[]}}]}"#,
        )
        .expect("json");
        assert_eq!(completion_texts(&v), Some(vec![(0, "Hi.".to_string())]));
        assert_eq!(completion_texts(&json!({"data": []})), None);
        let d: Value =
            serde_json::from_str(r#"{"choices":[{"index":0,"delta":{"content":"Na"}}]}"#)
                .expect("json");
        assert_eq!(delta_texts(&d), vec![(0, "Na".to_string())]);
        assert!(matches!(parse_event(b"data: [DONE]\n\n"), Ok(Event::Done)));
        assert!(matches!(parse_event(b": keep-alive\n\n"), Ok(Event::Empty)));
        assert!(parse_event(b"data: {oops\n\n").is_err());
    }
}
