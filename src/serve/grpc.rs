//! The `factgate.v1.Guard` gRPC service: `Check` and `CheckStream` over the shared state.

use std::pin::Pin;
use std::sync::Arc;

use tokio_stream::wrappers::ReceiverStream;
use tonic::{Request, Response, Status, Streaming};

use super::convert::{input_from_pb, outcome_to_pb};
use super::state::{client_deadline, GuardState};
use super::stream;
use crate::pb;
use crate::pipeline::Checker;

/// The Guard service.
#[derive(Clone)]
pub struct GuardService {
    pub(super) state: Arc<GuardState>,
}

impl GuardService {
    fn checker(&self) -> Result<Arc<Checker>, Status> {
        self.state.checker()
    }
}

/// The response stream of CheckStream.
pub type CheckStreamOut =
    Pin<Box<dyn tokio_stream::Stream<Item = Result<pb::CheckStreamResponse, Status>> + Send>>;

#[tonic::async_trait]
impl pb::guard_server::Guard for GuardService {
    type CheckStreamStream = CheckStreamOut;

    #[tracing::instrument(skip_all)]
    async fn check_stream(
        &self,
        request: Request<Streaming<pb::CheckStreamRequest>>,
    ) -> Result<Response<Self::CheckStreamStream>, Status> {
        let checker = self.checker()?;
        let permit = self.state.permit()?;
        let (tx, rx) = tokio::sync::mpsc::channel(16);
        // Own task, holding the permit: a cancelled stream still writes its partial audit
        // record, and shutdown waits for it.
        let closing = self.state.closing();
        let deadline = client_deadline(request.metadata());
        tokio::spawn(stream::run(
            checker,
            permit,
            request.into_inner(),
            tx,
            closing,
            deadline,
        ));
        Ok(Response::new(Box::pin(ReceiverStream::new(rx))))
    }

    #[tracing::instrument(skip_all, fields(request_id))]
    async fn check(
        &self,
        request: Request<pb::CheckRequest>,
    ) -> Result<Response<pb::CheckResponse>, Status> {
        let checker = self.checker()?;
        let permit = self.state.permit()?;
        let deadline = client_deadline(request.metadata());
        let mut input = input_from_pb(request.into_inner());
        input.deadline = deadline;
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
