//! factgate: a gRPC sidecar that checks LLM responses against a knowledge graph, gives every
//! claim a confidence, decides ALLOW / FLAG / BLOCK and keeps a tamper-evident audit log.
//!
//! Pipeline stages, one module each, data flowing one way:
//! [`claims`] -> [`link`] -> [`retrieve`] -> [`reason`] -> [`verify`] (with [`numbers`] for
//! the figures the model reads poorly) -> [`calibrate`] -> [`decide`] -> [`audit`],
//! orchestrated by [`pipeline`]; served by [`serve`] (gRPC, streamed checks, Envoy
//! ext_proc, grpc-web, HTTP/JSON and the demo page), driven by [`cli`]. The graph is in process ([`knowledge`]) or a
//! remote SPARQL endpoint ([`remote`]).

pub mod audit;
pub mod calibrate;
pub mod claims;
pub mod cli;
pub mod config;
pub mod decide;
pub mod eval;
pub mod int8;
pub mod knowledge;
pub mod lexicon;
pub mod link;
pub mod numbers;
pub mod pipeline;
pub mod polarity;
pub mod reason;
pub mod remote;
pub mod report;
pub mod retrieve;
pub mod serve;
pub mod telemetry;
pub mod verify;

/// An error and its sources, `: `-separated (tonic's transport errors and reqwest's "error
/// sending request" say little on their own).
pub(crate) fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        s.push_str(": ");
        s.push_str(&c.to_string());
        cur = c.source();
    }
    s
}

/// The message of a caught panic (`&str` or `String` payloads; anything else is "unknown panic").
pub(crate) fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".into())
}

/// Generated protobuf and gRPC code for `factgate.v1`.
#[allow(missing_docs, clippy::all)]
pub mod pb {
    tonic::include_proto!("factgate.v1");

    /// Encoded file descriptor set, served by gRPC reflection.
    pub const FILE_DESCRIPTOR_SET: &[u8] =
        tonic::include_file_descriptor_set!("factgate_descriptor");
}
