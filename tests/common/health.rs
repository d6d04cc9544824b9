//! Waiting for a server to report SERVING through gRPC health (shared by the integration tests
//! and `benches/e2e.rs`, which includes this file with `#[path]`).

use tonic::transport::Channel;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;
use tonic_health::pb::HealthCheckRequest;

/// Waits (through health Watch, no sleeps) until the server at `url` reports SERVING.
pub async fn wait_serving(url: &str) {
    let channel = Channel::from_shared(url.to_string())
        .expect("url")
        .connect()
        .await
        .expect("connect");
    let mut stream = HealthClient::new(channel)
        .watch(HealthCheckRequest {
            service: String::new(),
        })
        .await
        .expect("watch")
        .into_inner();
    while let Some(msg) = stream.message().await.expect("health stream") {
        if msg.status == ServingStatus::Serving as i32 {
            return;
        }
    }
    panic!("health stream ended before SERVING (start-up failed: see the log)");
}
