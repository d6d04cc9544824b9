//! HTTP/JSON next to gRPC, on its own port (`[server] http_listen`, default 127.0.0.1:8080):
//!
//! - `POST /v1/check`: the JSON mapping of `CheckRequest` / `CheckResponse` (proto3 JSON names:
//!   `requestId`, `auditId`, `startUtf16`, ...; `request_id` style is accepted too; enums as their
//!   names, `VERDICT_BLOCK`; 64-bit timings as strings). Errors keep their gRPC meaning: a JSON
//!   body `{"code": "INVALID_ARGUMENT", "message": ...}` with 400, `RESOURCE_EXHAUSTED` 429,
//!   `UNAVAILABLE` 503 (still loading), `INTERNAL` 500.
//! - `GET /healthz` (the process answers), `GET /readyz` (200 once the graph is loaded, else
//!   503; 503 too while a remote graph endpoint's circuit breaker is open), `GET /metrics`
//!   (Prometheus text format, see [`crate::telemetry`]).
//! - `GET /`: the demo page (`[server] demo_page`, `--no-demo-page`): paste an answer, see each
//!   claim highlighted by status and confidence, its evidence on click. It calls `/v1/check`
//!   only, so it is an example a UI can copy.
//! - CORS for the configured origins (`[server] cors_origins`), here and for grpc-web on the
//!   gRPC port (`cors`); the gRPC port answers non-gRPC traffic 415 (`GrpcOnlyLayer`).
//!
//! Anything else gets a JSON 404 (unknown path) or 405 (wrong method), never an internal error.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use serde::Deserialize;
use serde_json::json;

use super::convert::{outcome_to_pb, response_json};
use super::state::GuardState;
use crate::pipeline::{CheckInput, Passage};

/// `CheckRequest` as JSON.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct CheckBody {
    response: String,
    #[serde(default)]
    prompt: String,
    #[serde(default)]
    context: Vec<PassageBody>,
    #[serde(default)]
    policy: String,
    #[serde(default)]
    labels: BTreeMap<String, String>,
    #[serde(default, alias = "request_id")]
    request_id: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PassageBody {
    #[serde(default)]
    id: String,
    text: String,
}

/// An error as the gRPC status it stands for.
fn error(status: StatusCode, code: &str, message: impl Into<String>) -> Response {
    (
        status,
        axum::Json(json!({"code": code, "message": message.into()})),
    )
        .into_response()
}

fn from_status(s: &tonic::Status) -> Response {
    let (http, code) = match s.code() {
        tonic::Code::InvalidArgument => (StatusCode::BAD_REQUEST, "INVALID_ARGUMENT"),
        tonic::Code::ResourceExhausted => (StatusCode::TOO_MANY_REQUESTS, "RESOURCE_EXHAUSTED"),
        tonic::Code::Unavailable => (StatusCode::SERVICE_UNAVAILABLE, "UNAVAILABLE"),
        tonic::Code::Unauthenticated => (StatusCode::UNAUTHORIZED, "UNAUTHENTICATED"),
        _ => (StatusCode::INTERNAL_SERVER_ERROR, "INTERNAL"),
    };
    error(http, code, s.message())
}

/// What the handlers share: the gRPC server's state (same checker, same concurrency limit)
/// and its bearer tokens (`/v1/check` needs one when they are configured, as gRPC calls do).
#[derive(Clone)]
pub(crate) struct Http {
    state: Arc<GuardState>,
    tokens: Option<super::auth::Tokens>,
}

/// The demo page (`router` serves it at `GET /` unless turned off).
pub const DEMO_PAGE: &str = include_str!("web/index.html");

/// CORS for the HTTP port and grpc-web: only the configured origins (`*`: any) may call from a
/// browser page of another origin; with none configured, no CORS headers are sent.
pub(crate) fn cors(origins: &[String]) -> tower_http::cors::CorsLayer {
    use axum::http::{HeaderName, HeaderValue, Method};
    use tower_http::cors::{AllowOrigin, CorsLayer};
    let allow = if origins.iter().any(|o| o == "*") {
        AllowOrigin::any()
    } else {
        // Validated by the config (`scheme://host[:port]`), so each is a valid header value.
        AllowOrigin::list(origins.iter().filter_map(|o| HeaderValue::from_str(o).ok()))
    };
    let h = HeaderName::from_static;
    CorsLayer::new()
        .allow_origin(allow)
        .allow_methods([Method::GET, Method::POST, Method::OPTIONS])
        .allow_headers([
            header::CONTENT_TYPE,
            header::AUTHORIZATION,
            h("x-grpc-web"),
            h("x-user-agent"),
            h("grpc-timeout"),
        ])
        .expose_headers([
            h("grpc-status"),
            h("grpc-message"),
            h("grpc-status-details-bin"),
        ])
        .max_age(std::time::Duration::from_secs(600))
}

/// On the gRPC port: a request that is neither gRPC nor grpc-web (`content-type:
/// application/grpc…`; plain HTTP/1.1, JSON over HTTP/2, a browser) gets `415` with a pointer to
/// the HTTP API, instead of a gRPC decode error or a bare 400.
#[derive(Debug, Clone, Copy)]
pub(crate) struct GrpcOnlyLayer;

impl<S> tower::Layer<S> for GrpcOnlyLayer {
    type Service = GrpcOnly<S>;
    fn layer(&self, inner: S) -> Self::Service {
        GrpcOnly(inner)
    }
}

/// The service of [`GrpcOnlyLayer`].
#[derive(Debug, Clone)]
pub(crate) struct GrpcOnly<S>(S);

type BoxFuture<T> = std::pin::Pin<Box<dyn std::future::Future<Output = T> + Send>>;

impl<S, B> tower::Service<axum::http::Request<B>> for GrpcOnly<S>
where
    S: tower::Service<axum::http::Request<B>, Response = axum::http::Response<tonic::body::Body>>,
    S::Future: Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = BoxFuture<Result<Self::Response, Self::Error>>;

    fn poll_ready(
        &mut self,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Result<(), Self::Error>> {
        self.0.poll_ready(cx)
    }

    fn call(&mut self, req: axum::http::Request<B>) -> Self::Future {
        let grpc = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/grpc"));
        if grpc {
            return Box::pin(self.0.call(req));
        }
        let message = format!(
            "this is factgate's gRPC port: it speaks gRPC (content-type application/grpc) and \
             grpc-web, not {} {}; for JSON use POST /v1/check, and for /metrics, /healthz, \
             /readyz and the demo page use the HTTP port (server.http_listen, default \
             127.0.0.1:8080)\n",
            req.method(),
            req.uri().path()
        );
        Box::pin(async move {
            let mut res = axum::http::Response::new(tonic::body::Body::new(message));
            *res.status_mut() = StatusCode::UNSUPPORTED_MEDIA_TYPE;
            res.headers_mut().insert(
                header::CONTENT_TYPE,
                axum::http::HeaderValue::from_static("text/plain; charset=utf-8"),
            );
            Ok(res)
        })
    }
}

/// The routes (`demo_page`: serve the demo page at `GET /`).
pub(crate) fn router(
    state: Arc<GuardState>,
    tokens: Option<super::auth::Tokens>,
    demo_page: bool,
) -> Router {
    let mut r = Router::new();
    if demo_page {
        r = r.route(
            "/",
            get(|| async {
                (
                    [
                        (header::CONTENT_TYPE, "text/html; charset=utf-8"),
                        (header::CACHE_CONTROL, "no-cache"),
                    ],
                    DEMO_PAGE,
                )
            }),
        );
    }
    r.route("/v1/check", post(check))
        .route("/healthz", get(|| async { "ok\n" }))
        .route("/readyz", get(ready))
        .route("/metrics", get(metrics))
        .fallback(|| async {
            error(
                StatusCode::NOT_FOUND,
                "NOT_FOUND",
                "no such endpoint; factgate serves POST /v1/check, GET / (demo page, unless off), /healthz, /readyz, /metrics",
            )
        })
        .method_not_allowed_fallback(|| async {
            error(
                StatusCode::METHOD_NOT_ALLOWED,
                "METHOD_NOT_ALLOWED",
                "wrong method for this endpoint (POST /v1/check; GET for the others)",
            )
        })
        .with_state(Http { state, tokens })
}

async fn ready(State(http): State<Http>) -> Response {
    match http.state.checker() {
        Ok(_) if !http.state.facts_ready() => error(
            StatusCode::SERVICE_UNAVAILABLE,
            "UNAVAILABLE",
            "the graph cannot answer (SPARQL endpoint circuit breaker open): checks get \
             INTERNAL_ERROR and the profile's on_error verdict",
        ),
        Ok(_) => "ready\n".into_response(),
        Err(s) => from_status(&s),
    }
}

async fn metrics() -> Response {
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        crate::telemetry::render_metrics(),
    )
        .into_response()
}

async fn check(
    State(Http { state, tokens }): State<Http>,
    headers: axum::http::HeaderMap,
    body: Bytes,
) -> Response {
    if let Some(t) = &tokens {
        if let Err(s) = t.check(&tonic::metadata::MetadataMap::from_headers(headers)) {
            return from_status(&s);
        }
    }
    let req: CheckBody = match serde_json::from_slice(&body) {
        Ok(r) => r,
        Err(e) => {
            return error(
                StatusCode::BAD_REQUEST,
                "INVALID_ARGUMENT",
                format!("request body is not a CheckRequest in JSON: {e}"),
            )
        }
    };
    let checker = match state.checker() {
        Ok(c) => c,
        Err(s) => return from_status(&s),
    };
    let permit = match state.permit() {
        Ok(p) => p,
        Err(s) => return from_status(&s),
    };
    let input = CheckInput {
        response: req.response,
        prompt: req.prompt,
        context: req
            .context
            .into_iter()
            .map(|p| Passage {
                id: p.id,
                text: p.text,
            })
            .collect(),
        policy: req.policy,
        labels: req.labels,
        request_id: req.request_id,
        deadline: None,
    };
    if let Err(e) = checker.validate(&input) {
        return from_status(&e.into());
    }
    // Own task, as for gRPC: a client that leaves does not cancel the audited decision.
    let task = tokio::task::spawn_blocking(move || {
        let _permit = permit;
        checker.check(&input)
    });
    match task.await {
        Ok(Ok(outcome)) => axum::Json(response_json(&outcome_to_pb(outcome))).into_response(),
        Ok(Err(e)) => from_status(&e.into()),
        Err(e) => error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "INTERNAL",
            format!("check task failed: {e}"),
        ),
    }
}
