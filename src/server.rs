//! gRPC server: `factgate.v1.Guard`, `grpc.health.v1.Health` and server reflection.
//!
//! The listener is bound first and health says NOT_SERVING while the knowledge graph loads; the
//! Guard service answers UNAVAILABLE until then. Overload is rejected at once with
//! RESOURCE_EXHAUSTED (a semaphore, no queueing). Each check runs on a blocking thread in its
//! own task, so a client that goes away (or whose deadline passes) does not cancel the audit
//! write of a decision already being made. On shutdown: NOT_SERVING, drain, flush the audit.

use std::future::Future;
use std::sync::{Arc, OnceLock};

use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tokio_stream::wrappers::TcpListenerStream;
use tonic::{Request, Response, Status};

use crate::decide::Action;
use crate::pb;
use crate::pipeline::{CheckError, CheckInput, CheckOutcome, Checker, Passage};
use crate::reason;

/// Builds the checker (loads the graph, opens the audit log). Runs on a blocking thread.
pub type Loader = Box<dyn FnOnce() -> Result<Checker, String> + Send>;

/// Server failures.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// Start-up failed (graph, lexicon, audit log...).
    #[error("start-up failed: {0}")]
    Startup(String),
    /// The transport failed.
    #[error("gRPC server failed: {0}")]
    Transport(#[from] tonic::transport::Error),
}

impl From<CheckError> for Status {
    fn from(e: CheckError) -> Self {
        match e {
            CheckError::InvalidArgument(m) => Status::invalid_argument(m),
        }
    }
}

struct GuardState {
    checker: OnceLock<Arc<Checker>>,
    limit: Arc<Semaphore>,
    max_concurrency: usize,
}

/// The Guard service.
#[derive(Clone)]
pub struct GuardService {
    state: Arc<GuardState>,
}

impl GuardService {
    fn checker(&self) -> Result<Arc<Checker>, Status> {
        self.state.checker.get().cloned().ok_or_else(|| {
            Status::unavailable("factgate is starting: the knowledge graph is still loading")
        })
    }
}

/// Request message -> pipeline input.
pub fn input_from_pb(r: pb::CheckRequest) -> CheckInput {
    CheckInput {
        response: r.response,
        prompt: r.prompt,
        context: r
            .context
            .into_iter()
            .map(|p| Passage {
                id: p.id,
                text: p.text,
            })
            .collect(),
        policy: r.policy,
        labels: r.labels.into_iter().collect(),
        request_id: r.request_id,
    }
}

fn span_pb(s: &crate::claims::Span) -> pb::Span {
    pb::Span {
        start: s.start as u32,
        end: s.end as u32,
        start_utf16: s.start_utf16 as u32,
        end_utf16: s.end_utf16 as u32,
    }
}

/// Pipeline verdict -> proto enum.
pub fn verdict_pb(v: Action) -> pb::Verdict {
    match v {
        Action::Allow => pb::Verdict::Allow,
        Action::Flag => pb::Verdict::Flag,
        Action::Block => pb::Verdict::Block,
    }
}

/// Pipeline outcome -> response message.
pub fn outcome_to_pb(o: CheckOutcome) -> pb::CheckResponse {
    pb::CheckResponse {
        verdict: verdict_pb(o.verdict) as i32,
        confidence: o.confidence,
        reasons: o
            .reasons
            .into_iter()
            .map(|r| pb::Reason {
                code: r.code.to_string(),
                message: r.message,
            })
            .collect(),
        claims: o
            .claims
            .into_iter()
            .map(|c| pb::Claim {
                text: c.text,
                span: Some(span_pb(&c.span)),
                status: match c.status {
                    reason::Status::Supported => pb::ClaimStatus::ClaimSupported,
                    reason::Status::Contradicted => pb::ClaimStatus::ClaimContradicted,
                    reason::Status::Unverifiable => pb::ClaimStatus::ClaimUnverifiable,
                } as i32,
                confidence: c.confidence,
                evidence: c
                    .evidence
                    .into_iter()
                    .map(|e| pb::Evidence {
                        subject: e.subject,
                        predicate: e.predicate,
                        object: e.object,
                        subject_label: e.subject_label,
                        object_label: e.object_label,
                        graph: e.graph,
                        text: e.text,
                        source: e.source.to_string(),
                        passage_id: e.passage_id,
                        passage_span: e.passage_span.as_ref().map(span_pb),
                    })
                    .collect(),
                explanation: c.explanation,
            })
            .collect(),
        audit_id: o.audit_id,
        versions: Some(pb::Versions {
            graph: o.versions.graph,
            policy: o.versions.policy,
            model: o.versions.model,
            calibration: o.versions.calibration,
            factgate: o.versions.factgate,
        }),
        timings: o.timings.into_iter().collect(),
        request_id: o.request_id,
    }
}

#[tonic::async_trait]
impl pb::guard_server::Guard for GuardService {
    #[tracing::instrument(skip_all, fields(request_id))]
    async fn check(
        &self,
        request: Request<pb::CheckRequest>,
    ) -> Result<Response<pb::CheckResponse>, Status> {
        let checker = self.checker()?;
        let permit = self.state.limit.clone().try_acquire_owned().map_err(|_| {
            Status::resource_exhausted(format!(
                "factgate is at its limit of {} concurrent checks; retry with backoff",
                self.state.max_concurrency
            ))
        })?;
        let input = input_from_pb(request.into_inner());
        tracing::Span::current().record("request_id", input.request_id.as_str());
        checker.validate(&input)?;
        // Own task: if the client leaves, the decision still completes and is audited.
        let task = tokio::task::spawn_blocking(move || {
            let _permit = permit;
            checker.check(&input)
        });
        match task.await {
            Ok(Ok(outcome)) => Ok(Response::new(outcome_to_pb(outcome))),
            Ok(Err(e)) => Err(e.into()),
            Err(e) => Err(Status::internal(format!("check task failed: {e}"))),
        }
    }
}

/// Serves until `shutdown` resolves. The graph is loaded by `loader` after the listener is up.
pub async fn run(
    listener: TcpListener,
    max_concurrency: usize,
    loader: Loader,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ServeError> {
    let (reporter, health) = tonic_health::server::health_reporter();
    reporter
        .set_not_serving::<pb::guard_server::GuardServer<GuardService>>()
        .await;
    reporter
        .set_service_status("", tonic_health::ServingStatus::NotServing)
        .await;
    let reflection = tonic_reflection::server::Builder::configure()
        .register_encoded_file_descriptor_set(pb::FILE_DESCRIPTOR_SET)
        .build_v1()
        .map_err(|e| ServeError::Startup(format!("reflection: {e}")))?;
    let state = Arc::new(GuardState {
        checker: OnceLock::new(),
        limit: Arc::new(Semaphore::new(max_concurrency)),
        max_concurrency,
    });
    let service = GuardService {
        state: state.clone(),
    };
    let addr = listener.local_addr().ok();
    tracing::info!(?addr, "listening; loading knowledge graph");

    let (fail_tx, fail_rx) = tokio::sync::oneshot::channel::<String>();
    let load_state = state.clone();
    let load_reporter = reporter.clone();
    tokio::spawn(async move {
        match tokio::task::spawn_blocking(loader).await {
            Ok(Ok(checker)) => {
                let _ = load_state.checker.set(Arc::new(checker));
                load_reporter
                    .set_serving::<pb::guard_server::GuardServer<GuardService>>()
                    .await;
                load_reporter
                    .set_service_status("", tonic_health::ServingStatus::Serving)
                    .await;
                tracing::info!("SERVING");
            }
            Ok(Err(e)) => {
                let _ = fail_tx.send(e);
            }
            Err(e) => {
                let _ = fail_tx.send(format!("loader panicked: {e}"));
            }
        }
    });

    let startup_error: Arc<std::sync::Mutex<Option<String>>> = Arc::default();
    let startup_error2 = startup_error.clone();
    let stop_reporter = reporter.clone();
    let stop = async move {
        tokio::select! {
            _ = shutdown => tracing::info!("shutdown requested: NOT_SERVING, draining"),
            Ok(e) = fail_rx => {
                tracing::error!(error = %e, "start-up failed");
                if let Ok(mut slot) = startup_error2.lock() {
                    *slot = Some(e);
                }
            }
        }
        stop_reporter
            .set_not_serving::<pb::guard_server::GuardServer<GuardService>>()
            .await;
        stop_reporter
            .set_service_status("", tonic_health::ServingStatus::NotServing)
            .await;
    };

    tonic::transport::Server::builder()
        .add_service(health)
        .add_service(reflection)
        .add_service(pb::guard_server::GuardServer::new(service))
        .serve_with_incoming_shutdown(TcpListenerStream::new(listener), stop)
        .await?;

    if let Some(checker) = state.checker.get() {
        checker.shutdown();
        tracing::info!("audit log flushed and closed");
    }
    if let Some(e) = startup_error.lock().ok().and_then(|mut s| s.take()) {
        return Err(ServeError::Startup(e));
    }
    Ok(())
}

/// Resolves on SIGTERM or Ctrl-C.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
}
