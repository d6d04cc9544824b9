//! What the transports share: the checker (once loaded), the concurrency limit, the shutdown
//! signal, the fact source's readiness; and the client deadline of a gRPC call.

use std::sync::{Arc, OnceLock};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tonic::Status;

use crate::pipeline::{CheckError, Checker};

impl From<CheckError> for Status {
    fn from(e: CheckError) -> Self {
        match e {
            CheckError::InvalidArgument(m) => Status::invalid_argument(m),
        }
    }
}

/// What the gRPC services share: the checker (once loaded) and the concurrency limit.
pub(crate) struct GuardState {
    pub(super) checker: OnceLock<Arc<Checker>>,
    pub(super) limit: Arc<Semaphore>,
    pub(super) max_concurrency: usize,
    /// Set at shutdown: open streams stop, audit what they received, and end.
    pub(super) closing: tokio::sync::watch::Sender<bool>,
    /// Whether the fact source can answer (false while a remote endpoint's circuit breaker is
    /// open); kept by the graph watch, read by `/readyz`.
    pub(super) facts_ready: std::sync::atomic::AtomicBool,
}

impl GuardState {
    /// A state with no checker yet (UNAVAILABLE until the loader sets it).
    pub(super) fn new(max_concurrency: usize) -> Self {
        Self {
            checker: OnceLock::new(),
            limit: Arc::new(Semaphore::new(max_concurrency)),
            max_concurrency,
            closing: tokio::sync::watch::channel(false).0,
            facts_ready: std::sync::atomic::AtomicBool::new(true),
        }
    }

    /// The checker, or UNAVAILABLE while the graph loads.
    pub(crate) fn checker(&self) -> Result<Arc<Checker>, Status> {
        self.checker.get().cloned().ok_or_else(|| {
            Status::unavailable("factgate is starting: the knowledge graph is still loading")
        })
    }

    /// False while the fact source cannot answer (a remote endpoint's circuit breaker is open).
    pub(crate) fn facts_ready(&self) -> bool {
        self.facts_ready.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// Becomes true when the server shuts down.
    pub(crate) fn closing(&self) -> tokio::sync::watch::Receiver<bool> {
        self.closing.subscribe()
    }

    /// One check in flight, or RESOURCE_EXHAUSTED at once (no queueing).
    pub(crate) fn permit(&self) -> Result<OwnedSemaphorePermit, Status> {
        self.limit.clone().try_acquire_owned().map_err(|_| {
            Status::resource_exhausted(format!(
                "factgate is at its limit of {} concurrent checks; retry with backoff",
                self.max_concurrency
            ))
        })
    }
}

/// The client's deadline from the `grpc-timeout` header (`<digits><H|M|S|m|u|n>`), if any.
/// An unreadable value is ignored (the profile's budget still bounds the work).
pub fn client_deadline(metadata: &tonic::metadata::MetadataMap) -> Option<std::time::Instant> {
    let v = metadata.get("grpc-timeout")?.to_str().ok()?;
    let (digits, unit) = v.split_at(v.len().checked_sub(1)?);
    let n: u64 = digits.parse().ok()?;
    let d = match unit {
        "H" => std::time::Duration::from_secs(n.checked_mul(3600)?),
        "M" => std::time::Duration::from_secs(n.checked_mul(60)?),
        "S" => std::time::Duration::from_secs(n),
        "m" => std::time::Duration::from_millis(n),
        "u" => std::time::Duration::from_micros(n),
        "n" => std::time::Duration::from_nanos(n),
        _ => return None,
    };
    std::time::Instant::now().checked_add(d)
}
