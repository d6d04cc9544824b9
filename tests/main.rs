//! Integration tests: one binary, modules per area, helpers in `common`.

mod common;

mod audit_sign;
mod check;
mod default_graph;
mod extproc;
mod graph_store;
mod grounding;
mod http;
mod limits;
mod neural;
#[cfg(feature = "otlp")]
mod otlp;
mod props;
mod remote;
mod report;
mod soak;
mod stream;
mod tls;
mod verifier;
mod web;
