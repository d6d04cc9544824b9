//! The serving layer, one room: every transport over one shared state, the check stages free of
//! transport code.
//!
//! - [`grpc`]: `factgate.v1.Guard` (Check and CheckStream, streamed checks in [`stream`]);
//!   [`extproc`]: Envoy's `envoy.service.ext_proc.v3.ExternalProcessor`; `grpc.health.v1.Health`
//!   and server reflection; grpc-web and CORS on the same port.
//! - [`http`]: HTTP/JSON, the demo page, `/healthz`, `/readyz`, `/metrics` on their own port.
//! - [`state`]: what they share; [`convert`]: pipeline types <-> protobuf and proto3 JSON;
//!   [`auth`]: bearer tokens; [`codec`]: the gRPC codec (decode errors as INVALID_ARGUMENT).
//!
//! Imports run one way: `state`, `convert` <- `stream` <- `extproc`, `grpc`; `http` <- this
//! module, which wires them up ([`serve`]).
//!
//! The listener is bound first and health says NOT_SERVING while the knowledge graph loads; the
//! Guard service answers UNAVAILABLE until then. Overload is rejected at once with
//! RESOURCE_EXHAUSTED (a semaphore, no queueing). Each check runs on a blocking thread in its
//! own task, so a client that goes away (or whose deadline passes) does not cancel the audit
//! write of a decision already being made. On shutdown: NOT_SERVING, open streams end at once
//! (audited as partial), running checks get `shutdown_grace` to finish; after it they are
//! cancelled at their next claim (reason SHUTDOWN, audited as partial) and given
//! [`CANCEL_WAIT`] more, then the audit log is flushed and fsynced and `run` returns.
//!
//! Transport security ([`ServeOptions`], all off by default): TLS or mutual TLS through rustls
//! (`[server.tls]`), and bearer tokens on the Guard and ext_proc services (see [`auth`];
//! health and reflection stay open for probes). Listening beyond loopback without TLS logs a
//! warning at start-up.

pub mod auth;
pub mod codec;
pub mod convert;
pub mod extproc;
pub mod grpc;
pub mod http;
pub mod state;
pub mod stream;

use std::future::Future;
use std::sync::Arc;

use tokio::net::TcpListener;
use tonic::service::interceptor::InterceptedService;

use crate::config::{ConfigError, ServerSection, TlsSection};
use crate::pb;
use crate::pipeline::Checker;
use auth::{Auth, Tokens};
use grpc::GuardService;
use state::GuardState;

/// Builds the checker (loads the graph, opens the audit log). Runs on a blocking thread.
pub type Loader = Box<dyn FnOnce() -> Result<Checker, String> + Send>;

/// How `run` serves: limits, shutdown grace and transport security.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// Most checks in flight; more get RESOURCE_EXHAUSTED at once.
    pub max_concurrency: usize,
    /// Time running checks get to finish after shutdown is requested.
    pub shutdown_grace: std::time::Duration,
    /// TLS (and with a client CA, mutual TLS); `None` serves plaintext.
    pub tls: Option<tonic::transport::ServerTlsConfig>,
    /// Accepted bearer tokens for Guard, ext_proc and HTTP `/v1/check`; `None`: no
    /// authentication.
    pub auth_tokens: Option<Tokens>,
    /// The HTTP/JSON listener ([`http`]), already bound; `None`: no HTTP port.
    pub http: Option<Arc<std::net::TcpListener>>,
    /// Browser origins allowed by CORS on the HTTP port and for grpc-web (`["*"]`: any).
    pub cors_origins: Vec<String>,
    /// Serve the demo page at `GET /` on the HTTP port.
    pub demo_page: bool,
}

impl Default for ServeOptions {
    /// As `factgate serve` with no settings: 64 checks, 10 s grace, plaintext, no tokens.
    fn default() -> Self {
        let s = ServerSection::default();
        Self {
            max_concurrency: s.max_concurrency,
            shutdown_grace: std::time::Duration::from_secs_f64(s.shutdown_grace_s),
            tls: None,
            auth_tokens: None,
            http: None,
            cors_origins: s.cors_origins,
            demo_page: s.demo_page,
        }
    }
}

impl ServeOptions {
    /// Options for a validated server section: reads and checks the TLS files and the tokens
    /// file (errors name the file and its setting).
    pub fn from_config(server: &ServerSection) -> Result<Self, ConfigError> {
        Ok(Self {
            max_concurrency: server.max_concurrency,
            shutdown_grace: std::time::Duration::from_secs_f64(server.shutdown_grace_s),
            tls: server.tls.as_ref().map(tls_config).transpose()?,
            auth_tokens: server
                .auth_tokens_file
                .as_deref()
                .map(Tokens::load)
                .transpose()?,
            http: None,
            cors_origins: server.cors_origins.clone(),
            demo_page: server.demo_page,
        })
    }
}

/// Reads a PEM file named by `setting` and checks it holds what the setting needs, so a bad
/// file is reported by name before rustls sees it.
fn read_pem(
    setting: &'static str,
    path: &std::path::Path,
    key: bool,
) -> Result<Vec<u8>, ConfigError> {
    use rustls_pki_types::pem::PemObject;
    use rustls_pki_types::{CertificateDer, PrivateKeyDer};
    let file_error = |message: String| ConfigError::File {
        setting,
        path: path.to_path_buf(),
        message,
    };
    let pem = std::fs::read(path).map_err(|e| file_error(format!("cannot read: {e}")))?;
    if key {
        PrivateKeyDer::from_pem_slice(&pem)
            .map_err(|e| file_error(format!("no PEM private key found ({e})")))?;
    } else {
        let mut n = 0;
        for cert in CertificateDer::pem_slice_iter(&pem) {
            cert.map_err(|e| file_error(format!("invalid PEM certificate ({e})")))?;
            n += 1;
        }
        if n == 0 {
            return Err(file_error("no PEM certificate found".into()));
        }
    }
    Ok(pem)
}

/// The rustls server configuration of a `[server.tls]` section: identity from `cert` + `key`,
/// and when `client_ca` is set, client certificates required and verified against it.
pub fn tls_config(tls: &TlsSection) -> Result<tonic::transport::ServerTlsConfig, ConfigError> {
    use tonic::transport::{Certificate, Identity, ServerTlsConfig};
    let cert = read_pem("server.tls.cert (--tls-cert)", &tls.cert, false)?;
    let key = read_pem("server.tls.key (--tls-key)", &tls.key, true)?;
    let mut config = ServerTlsConfig::new().identity(Identity::from_pem(cert, key));
    if let Some(ca) = &tls.client_ca {
        let ca = read_pem("server.tls.client_ca (--tls-client-ca)", ca, false)?;
        config = config.client_ca_root(Certificate::from_pem(ca));
    }
    // Build the acceptor once now, so a key that does not match the certificate (or a CA
    // rustls rejects) is a start-up error, not a failure of every handshake.
    tonic::transport::Server::builder()
        .tls_config(config.clone())
        .map_err(|e| ConfigError::File {
            setting: "server.tls (--tls-cert / --tls-key / --tls-client-ca)",
            path: tls.cert.clone(),
            message: format!(
                "rustls rejected the certificate, key or client CA: {}",
                crate::error_chain(&e)
            ),
        })?;
    Ok(config)
}

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

/// Serves plaintext without authentication until `shutdown` resolves (see [`serve`]).
pub async fn run(
    listener: TcpListener,
    max_concurrency: usize,
    shutdown_grace: std::time::Duration,
    loader: Loader,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ServeError> {
    let options = ServeOptions {
        max_concurrency,
        shutdown_grace,
        ..ServeOptions::default()
    };
    serve(listener, options, loader, shutdown).await
}

/// Serves until `shutdown` resolves. The graph is loaded by `loader` after the listener is up.
pub async fn serve(
    listener: TcpListener,
    options: ServeOptions,
    loader: Loader,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ServeError> {
    let ServeOptions {
        max_concurrency,
        shutdown_grace,
        tls,
        auth_tokens,
        http,
        cors_origins,
        demo_page,
    } = options;
    let cors = http::cors(&cors_origins);
    let http_tokens = auth_tokens.clone();
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
    let state = Arc::new(GuardState::new(max_concurrency));
    let service = GuardService {
        state: state.clone(),
    };
    if let Some(l) = http {
        let l = l
            .try_clone()
            .and_then(|l| {
                l.set_nonblocking(true)?;
                TcpListener::from_std(l)
            })
            .map_err(|e| ServeError::Startup(format!("HTTP listener: {e}")))?;
        let http_addr = l.local_addr().ok();
        crate::telemetry::install_metrics();
        tracing::info!(addr = ?http_addr, demo_page, "HTTP/JSON listening (POST /v1/check, /healthz, /readyz, /metrics)");
        let mut closing = state.closing();
        let app = http::router(state.clone(), http_tokens, demo_page).layer(cors.clone());
        tokio::spawn(async move {
            let stop = async move {
                while !*closing.borrow() {
                    if closing.changed().await.is_err() {
                        break;
                    }
                }
            };
            if let Err(e) = axum::serve(l, app).with_graceful_shutdown(stop).await {
                tracing::error!(error = %e, "HTTP server failed");
            }
        });
    }
    let addr = listener.local_addr().ok();
    let auth = Auth::new(auth_tokens);
    tracing::info!(
        ?addr,
        tls = tls.is_some(),
        auth = auth.enabled(),
        "listening; loading knowledge graph"
    );
    if tls.is_none() && addr.is_some_and(|a| !a.ip().is_loopback()) {
        tracing::warn!(
            ?addr,
            "listening beyond loopback without TLS: checked text, verdicts and bearer tokens travel in clear text; set [server.tls] (--tls-cert/--tls-key)"
        );
    }

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
                tokio::spawn(watch_graph(load_state, load_reporter));
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
    let stop_state = state.clone();
    let (stopping_tx, stopping_rx) = tokio::sync::oneshot::channel::<tokio::time::Instant>();
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
        // Open CheckStream / ext_proc streams end now (audited as partial), not at the grace.
        stop_state.closing.send_replace(true);
        let _ = stopping_tx.send(tokio::time::Instant::now() + shutdown_grace);
    };

    let mut builder = tonic::transport::Server::builder();
    if let Some(tls) = tls {
        builder = builder.tls_config(tls)?;
    }
    // HTTP/1.1 for grpc-web (browsers); CORS outermost (it answers preflights), then anything
    // that is neither gRPC nor grpc-web answered 415 with a pointer to the HTTP API, then
    // grpc-web translated to gRPC.
    let mut builder = builder
        .accept_http1(true)
        .layer(cors)
        .layer(http::GrpcOnlyLayer)
        .layer(tonic_web::GrpcWebLayer::new());
    // Health and reflection stay unauthenticated (probes); Guard and ext_proc pass `auth`.
    let serve = builder
        .add_service(health)
        .add_service(reflection)
        .add_service(InterceptedService::new(
            pb::guard_server::GuardServer::new(service),
            auth.clone(),
        ))
        .add_service(InterceptedService::new(
            extproc::server(state.clone()),
            auth,
        ))
        .serve_with_incoming_shutdown(
            // Without TCP_NODELAY small replies wait for the peer's delayed ACK (~40 ms each).
            tonic::transport::server::TcpIncoming::from(listener).with_nodelay(Some(true)),
            stop,
        );
    // Long-lived streams (health Watch) would hold a graceful shutdown open forever: at the end
    // of the grace the connections are cut. Checks already running hold permits (below).
    let grace_end = std::sync::Arc::new(std::sync::OnceLock::new());
    let grace_end2 = grace_end.clone();
    tokio::select! {
        r = serve => r?,
        _ = async move {
            if let Ok(end) = stopping_rx.await {
                let _ = grace_end2.set(end);
                tokio::time::sleep_until(end).await;
            }
        } => tracing::warn!(grace_s = shutdown_grace.as_secs_f64(), "shutdown grace expired; closing remaining connections"),
    }

    // Drain: every check still in flight (a cancelled stream writing its partial audit record)
    // holds a permit until its audit record is written. Past the grace, running checks are
    // cancelled and get CANCEL_WAIT to write their (partial) audit records.
    let all = u32::try_from(max_concurrency).unwrap_or(u32::MAX);
    let end = grace_end
        .get()
        .copied()
        .unwrap_or_else(|| tokio::time::Instant::now() + shutdown_grace);
    if tokio::time::timeout_at(end, state.limit.acquire_many(all))
        .await
        .is_err()
    {
        let running = all as usize - state.limit.available_permits();
        tracing::warn!(running, "shutdown grace expired: cancelling running checks");
        if let Some(checker) = state.checker.get() {
            checker.cancel_all();
        }
        if tokio::time::timeout(CANCEL_WAIT, state.limit.acquire_many(all))
            .await
            .is_err()
        {
            let running = all as usize - state.limit.available_permits();
            tracing::error!(
                running,
                "checks did not stop within {CANCEL_WAIT:?} of cancellation; exiting without their audit records (none of them was answered)"
            );
        }
    }

    if let Some(checker) = state.checker.get() {
        checker.shutdown();
        tracing::info!("audit log flushed and closed");
    }
    if let Some(e) = startup_error.lock().ok().and_then(|mut s| s.take()) {
        return Err(ServeError::Startup(e));
    }
    Ok(())
}

/// How often the graph watch asks the fact source whether it can answer.
pub const GRAPH_WATCH_EVERY: std::time::Duration = std::time::Duration::from_millis(250);

/// Keeps health (overall and Guard) and `/readyz` in step with the fact source: NOT_SERVING
/// while it cannot answer (a remote endpoint's circuit breaker is open; once its cool-down is
/// over the watch's own probe query can close it), SERVING again when it can. Ends at shutdown.
async fn watch_graph(state: Arc<GuardState>, reporter: tonic_health::server::HealthReporter) {
    let Some(checker) = state.checker.get().cloned() else {
        return;
    };
    let closing = state.closing();
    let mut ready = true;
    loop {
        tokio::time::sleep(GRAPH_WATCH_EVERY).await;
        if *closing.borrow() {
            return;
        }
        let c = checker.clone();
        let now = tokio::task::spawn_blocking(move || c.facts_ready())
            .await
            .unwrap_or(false);
        if now == ready {
            continue;
        }
        ready = now;
        state
            .facts_ready
            .store(now, std::sync::atomic::Ordering::SeqCst);
        // Shutdown owns the status from the moment it starts.
        if *closing.borrow() {
            return;
        }
        let status = if now {
            tonic_health::ServingStatus::Serving
        } else {
            tonic_health::ServingStatus::NotServing
        };
        reporter
            .set_service_status(
                <pb::guard_server::GuardServer<GuardService> as tonic::server::NamedService>::NAME,
                status,
            )
            .await;
        reporter.set_service_status("", status).await;
        if now {
            tracing::info!("graph answers again: SERVING");
        } else {
            tracing::warn!(
                "graph cannot answer (SPARQL endpoint circuit breaker open): NOT_SERVING"
            );
        }
    }
}

/// How long a cancelled check may take to stop at its next claim and write its audit record.
pub const CANCEL_WAIT: std::time::Duration = std::time::Duration::from_secs(2);

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
