//! Shared helpers: an in-process server on 127.0.0.1:0 over the fixture graph.

pub mod health;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use factgate::audit::{AuditConfig, AuditLog, SyncMode};
use factgate::config::{Config, FileConfig};
use factgate::knowledge::{FactSource, Knowledge};
use factgate::pb::guard_client::GuardClient;
use factgate::pipeline::Checker;
use factgate::serve::Loader;
use tokio::sync::oneshot;
use tonic::transport::Channel;

/// `app` served on 127.0.0.1:0 by a thread with its own runtime, so that blocking code under
/// test (the remote backend's client, the `factgate` binary) can call it; the server stops when
/// the returned sender is dropped or sent to.
pub fn serve_on_thread(app: axum::Router) -> (std::net::SocketAddr, oneshot::Sender<()>) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.set_nonblocking(true).expect("nonblocking");
    let addr = listener.local_addr().expect("addr");
    let (stop, stopped) = oneshot::channel::<()>();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime");
        rt.block_on(async move {
            let l = tokio::net::TcpListener::from_std(listener).expect("listener");
            let _ = axum::serve(l, app)
                .with_graceful_shutdown(async {
                    let _ = stopped.await;
                })
                .await;
        });
    });
    (addr, stop)
}

/// The fixture graph directory.
pub fn fixture_graph() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/graph")
}

/// The fixture graph, loaded once per test binary.
pub fn knowledge() -> Arc<Knowledge> {
    static KG: std::sync::OnceLock<Arc<Knowledge>> = std::sync::OnceLock::new();
    KG.get_or_init(|| Arc::new(Knowledge::load(&[fixture_graph()]).expect("fixture graph loads")))
        .clone()
}

/// Built-in profiles plus `extra` (TOML `[profiles.*]` text).
pub fn profiles(extra: &str) -> BTreeMap<String, factgate::decide::Policy> {
    let f: FileConfig = toml::from_str(extra).expect("valid profile TOML");
    Config::validate(f).expect("valid config").profiles
}

/// Audit config in `dir`.
pub fn audit_config(dir: &Path) -> AuditConfig {
    AuditConfig {
        path: dir.join("audit.jsonl"),
        sync: SyncMode::Batch,
        rotate_bytes: 1 << 20,
        ..AuditConfig::default()
    }
}

/// A checker over the fixture graph (and optionally another fact source).
pub fn checker(
    facts: Option<Arc<dyn FactSource>>,
    profiles_toml: &str,
    audit: Option<AuditConfig>,
) -> Checker {
    let kg = knowledge();
    let facts = facts.unwrap_or_else(|| kg.clone());
    let audit = audit.map(|a| Arc::new(AuditLog::open(a).expect("audit log opens")));
    Checker::new(kg, facts, profiles(profiles_toml), audit)
}

/// A running in-process server.
pub struct TestServer {
    /// Base URL.
    pub url: String,
    stop: Option<oneshot::Sender<()>>,
    join: Option<tokio::task::JoinHandle<Result<(), factgate::serve::ServeError>>>,
}

impl TestServer {
    /// Starts a server whose checker comes from `loader`.
    pub async fn start_with(loader: Loader, max_concurrency: usize) -> Self {
        Self::start_with_grace(loader, max_concurrency, std::time::Duration::from_secs(10)).await
    }

    /// As [`TestServer::start_with`], with the given shutdown grace.
    pub async fn start_with_grace(
        loader: Loader,
        max_concurrency: usize,
        grace: std::time::Duration,
    ) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        let (tx, rx) = oneshot::channel::<()>();
        let join = tokio::spawn(factgate::serve::run(
            listener,
            max_concurrency,
            grace,
            loader,
            async {
                let _ = rx.await;
            },
        ));
        Self {
            url,
            stop: Some(tx),
            join: Some(join),
        }
    }

    /// Starts a server over the fixture graph with an audit log in `dir`.
    pub async fn start(dir: &Path) -> Self {
        let audit = audit_config(dir);
        Self::start_with(Box::new(move || Ok(checker(None, "", Some(audit)))), 64).await
    }

    /// A Guard client, once the server is SERVING.
    pub async fn client(&self) -> GuardClient<Channel> {
        self.wait_serving().await;
        GuardClient::connect(self.url.clone())
            .await
            .expect("connect")
    }

    /// Waits (through health Watch, no sleeps) until the server reports SERVING.
    pub async fn wait_serving(&self) {
        health::wait_serving(&self.url).await;
    }

    /// Stops the server and waits for it to finish (drain + audit flush).
    pub async fn stop(mut self) -> Result<(), factgate::serve::ServeError> {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        self.join
            .take()
            .expect("joined once")
            .await
            .expect("server task")
    }
}

/// Reads the audit log as JSON values.
pub fn audit_records(path: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).expect("audit line is JSON"))
        .collect()
}

/// The `factgate` binary of this build, with quiet logs.
pub fn factgate_bin() -> std::process::Command {
    let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_factgate"));
    c.env("RUST_LOG", "warn");
    // Servers started by tests run in parallel: no fixed HTTP port.
    c.env("FACTGATE_HTTP_LISTEN", "127.0.0.1:0");
    c
}

/// Stdout of a run that must have succeeded (stderr in the panic message otherwise).
pub fn stdout_ok(out: std::process::Output) -> String {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}
