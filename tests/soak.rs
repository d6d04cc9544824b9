//! Soak and fault test against the real `factgate serve` binary.
//!
//! K concurrent gRPC clients send varied `Check` requests (each with its own request_id and a
//! deadline) while the server is SIGKILLed at seeded random moments and restarted on the same
//! audit log, a few times; at the end it gets SIGTERM under load. Afterwards:
//! - the SIGTERMed server exited with status 0 within `shutdown_grace + 2 s`;
//! - every acknowledged check (an OK reply) is in the audit log: a `check` record with the
//!   reply's request_id whose `<seq>-<first 16 hex of hash>` is the reply's audit_id, and no
//!   request_id is recorded twice;
//! - `factgate audit verify <log>` exits 0 and prints OK (torn tails left by SIGKILL are moved
//!   aside with a `recovery` record, which keeps the chain intact);
//! - no client call hung past its deadline.
//!
//! After every other SIGKILL a torn record (no newline) is appended to the log, as a crash in
//! the middle of a write leaves it; each restart must move it aside with a `recovery` record.
//!
//! Length: `FACTGATE_SOAK_SECS` seconds of load (default 20, the short form for `make test`);
//! the long form is `FACTGATE_SOAK_SECS=600 cargo test --release --test main soak -- --nocapture`
//! (`scripts/soak.sh`). `FACTGATE_SOAK_SEED` replays a run's kill schedule (the seed is printed).
//!
//! Graph: a release build serves the default graph (`knowledge/`, ~2 s per start). A debug build
//! serves the fixture graph (`tests/fixtures/graph`), since the default graph takes ~25 s to load
//! unoptimized and four starts would not fit the short form's time; `FACTGATE_SOAK_KNOWLEDGE=<dir>`
//! picks another graph.

use std::collections::{BTreeMap, HashMap};
use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use factgate::pb::guard_client::GuardClient;
use factgate::pb::CheckRequest;
use tonic::transport::{Channel, Endpoint};
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;
use tonic_health::pb::HealthCheckRequest;

/// `--shutdown-grace-s` of every server started here.
const GRACE_S: u64 = 3;
/// Concurrent clients.
const CLIENTS: usize = 8;
/// Deadline of every call (sent as grpc-timeout and enforced by the client channel).
const CALL_DEADLINE: Duration = Duration::from_secs(5);
/// A call still unanswered this long after it was sent counts as hung.
const HUNG_AFTER: Duration = Duration::from_secs(15);
/// Longest wait for a (re)started server to report SERVING (a debug build loads slowly).
const START_LIMIT: Duration = Duration::from_secs(180);

/// Sentences from the default graph's domain: supported, contradicted, unverifiable, several
/// claims, non-ASCII and a question.
const SENTENCES: &[&str] = &[
    "Nairobi is the capital of Kenya.",
    "Kenya is in Europe.",
    "Paris is the capital of France.",
    "Sydney is the capital of Australia.",
    "Iron has the atomic number 26.",
    "Iron has the atomic number 27.",
    "The atomic number of carbon is 6.",
    "Germany has a population of 83 million.",
    "Germany has a population of 20 million.",
    "Gold has the chemical symbol Au.",
    "The currency of Japan is the yen.",
    "Paris has a famous opera house.",
    "Heathrow Airport is in the United Kingdom.",
    "Nairobi is the capital of Kenya. Kenya is in Europe.\n- Gold has the chemical symbol Au.",
    "São Paulo is in Brazil, and Lima is the capital of Peru.",
    "What is the capital of Kenya?",
];

/// What a record cut off by a crash looks like (appended after every other SIGKILL).
const TORN_TAIL: &[u8] = br#"{"claims":[],"confidence":0.5,"input":{"resp"#;

/// splitmix64: a small seeded generator (the schedule must be replayable from the seed).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [lo, hi).
    fn between(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (self.next() >> 11) as f64 / (1u64 << 53) as f64 * (hi - lo)
    }
}

fn env_u64(name: &str) -> Option<u64> {
    std::env::var(name).ok().map(|v| {
        v.trim()
            .parse()
            .unwrap_or_else(|e| panic!("{name}={v:?} is not a whole number: {e}"))
    })
}

/// A free local port (bound and released; every restart reuses it).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind 127.0.0.1:0")
        .local_addr()
        .expect("local addr")
        .port()
}

/// The graph the servers load (see the module docs).
fn knowledge_dir() -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    match std::env::var_os("FACTGATE_SOAK_KNOWLEDGE") {
        Some(dir) => root.join(dir),
        None if cfg!(debug_assertions) => crate::common::fixture_graph(),
        None => root.join("knowledge"),
    }
}

/// Starts `factgate serve` on `port` with the audit log `log`, stderr appended to `stderr`.
fn spawn_server(port: u16, log: &Path, stderr: &Path) -> Child {
    let err = File::options()
        .create(true)
        .append(true)
        .open(stderr)
        .expect("server stderr file");
    crate::common::factgate_bin()
        // knowledge_dir() is the whole graph (the default one, or the fixture with its lexicon).
        .args([
            "serve",
            "--verifier",
            "off",
            "--no-default-graph",
            "--knowledge",
        ])
        .arg(knowledge_dir())
        .arg("--listen")
        .arg(format!("127.0.0.1:{port}"))
        .arg("--audit-log")
        .arg(log)
        .args(["--shutdown-grace-s", &GRACE_S.to_string()])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::from(err))
        .spawn()
        .expect("factgate serve starts")
}

fn server_log(stderr: &Path) -> String {
    std::fs::read_to_string(stderr).unwrap_or_default()
}

/// Polls gRPC health until SERVING; panics (with the server's stderr) if the process exits or
/// the limit passes.
async fn wait_serving(url: &str, child: &mut Child, stderr: &Path) {
    let started = Instant::now();
    loop {
        if let Some(status) = child.try_wait().expect("try_wait") {
            panic!(
                "server exited with {status} before SERVING; stderr:\n{}",
                server_log(stderr)
            );
        }
        assert!(
            started.elapsed() < START_LIMIT,
            "server not SERVING after {START_LIMIT:?}; stderr:\n{}",
            server_log(stderr)
        );
        let probe = async {
            let channel = Endpoint::from_shared(url.to_string())
                .ok()?
                .connect_timeout(Duration::from_secs(1))
                .connect()
                .await
                .ok()?;
            let reply = HealthClient::new(channel)
                .check(HealthCheckRequest {
                    service: String::new(),
                })
                .await
                .ok()?;
            Some(reply.into_inner().status == ServingStatus::Serving as i32)
        };
        if let Ok(Some(true)) = tokio::time::timeout(Duration::from_secs(2), probe).await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// What the clients saw.
#[derive(Default)]
struct Tally {
    /// request_id -> audit_id of every acknowledged check.
    acked: Vec<(String, String)>,
    /// Acknowledged checks per server generation.
    acked_per_generation: BTreeMap<u64, u64>,
    /// Failed calls by gRPC code.
    errors: BTreeMap<String, u64>,
    /// The first message of each failing code (and when it came: server generation).
    error_samples: BTreeMap<String, String>,
    /// Longest call, answered or failed.
    slowest: Duration,
    /// Calls unanswered after [`HUNG_AFTER`].
    hung: u64,
    /// OK replies that were not what was asked for (wrong request_id, no audit_id).
    bad_replies: Vec<String>,
}

/// One client: sends checks until `stop`, recording every reply.
async fn client_loop(
    id: usize,
    url: String,
    stop: Arc<AtomicBool>,
    generation: Arc<AtomicU64>,
    tally: Arc<Mutex<Tally>>,
) {
    let channel: Channel = Endpoint::from_shared(url)
        .expect("url")
        .connect_timeout(Duration::from_secs(1))
        .timeout(CALL_DEADLINE)
        .connect_lazy();
    let mut client = GuardClient::new(channel);
    let mut n = 0usize;
    while !stop.load(Ordering::SeqCst) {
        let request_id = format!("soak-{id}-{n}");
        let mut req = tonic::Request::new(CheckRequest {
            response: SENTENCES[(id * 7 + n) % SENTENCES.len()].to_string(),
            request_id: request_id.clone(),
            labels: [("client".to_string(), id.to_string())].into(),
            ..Default::default()
        });
        req.set_timeout(CALL_DEADLINE);
        n += 1;
        let sent = Instant::now();
        let result = tokio::time::timeout(HUNG_AFTER, client.check(req)).await;
        let gen = generation.load(Ordering::SeqCst);
        let failed = {
            let mut t = tally.lock().expect("tally lock");
            t.slowest = t.slowest.max(sent.elapsed());
            match result {
                Err(_) => {
                    t.hung += 1;
                    true
                }
                Ok(Err(status)) => {
                    let code = format!("{:?}", status.code());
                    *t.errors.entry(code.clone()).or_default() += 1;
                    t.error_samples.entry(code).or_insert_with(|| {
                        format!("server {gen}, {:?}: {}", sent.elapsed(), status.message())
                    });
                    true
                }
                Ok(Ok(reply)) => {
                    let reply = reply.into_inner();
                    if reply.request_id != request_id || reply.audit_id.is_empty() {
                        t.bad_replies.push(format!(
                            "sent {request_id}, got request_id {:?} audit_id {:?} reasons {:?}",
                            reply.request_id, reply.audit_id, reply.reasons
                        ));
                    }
                    t.acked.push((request_id, reply.audit_id));
                    *t.acked_per_generation.entry(gen).or_default() += 1;
                    false
                }
            }
        };
        if failed {
            // The server is down or loading: do not spin on the shared CPUs.
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

/// Every record of the log and its rotated siblings, oldest first.
fn all_records(log: &Path) -> Vec<serde_json::Value> {
    factgate::audit::files_to_verify(&[log.to_path_buf()])
        .iter()
        .flat_map(|f| crate::common::audit_records(f))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn soak_sigkill_restarts_then_sigterm_lose_no_acknowledged_check() {
    let secs = env_u64("FACTGATE_SOAK_SECS").unwrap_or(20).max(4);
    let seed = env_u64("FACTGATE_SOAK_SEED").unwrap_or_else(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(1)
    });
    // A few kills in the short form, one a minute in the long form.
    let kills = (secs / 60).max(3);
    let segment = secs as f64 / (kills + 1) as f64;
    println!(
        "soak: FACTGATE_SOAK_SEED={seed} FACTGATE_SOAK_SECS={secs}: {kills} SIGKILLs, then SIGTERM, {CLIENTS} clients, graph {}",
        knowledge_dir().display()
    );
    let mut rng = Rng(seed);
    let mut injected_tears = 0;

    let dir = tempfile::tempdir().expect("tempdir");
    let log: PathBuf = dir.path().join("audit.jsonl");
    let stderr = dir.path().join("server.stderr");
    let port = free_port();
    let url = format!("http://127.0.0.1:{port}");

    let stop = Arc::new(AtomicBool::new(false));
    let generation = Arc::new(AtomicU64::new(0));
    let tally = Arc::new(Mutex::new(Tally::default()));
    let mut child = spawn_server(port, &log, &stderr);
    wait_serving(&url, &mut child, &stderr).await;
    let clients: Vec<_> = (0..CLIENTS)
        .map(|id| {
            tokio::spawn(client_loop(
                id,
                url.clone(),
                stop.clone(),
                generation.clone(),
                tally.clone(),
            ))
        })
        .collect();

    for k in 0..kills {
        let at = rng.between(0.3 * segment, segment);
        tokio::time::sleep(Duration::from_secs_f64(at)).await;
        child.kill().expect("SIGKILL");
        let status = child.wait().expect("wait for the killed server");
        println!("soak: SIGKILL {} after {at:.2} s ({status})", k + 1);
        if k % 2 == 0 {
            // A crash in the middle of a write: a record without its end. Start-up must move
            // it aside with a recovery record and continue the chain.
            let mut f = File::options()
                .append(true)
                .open(&log)
                .expect("open audit log");
            f.write_all(TORN_TAIL).expect("append torn tail");
            injected_tears += 1;
        }
        child = spawn_server(port, &log, &stderr);
        wait_serving(&url, &mut child, &stderr).await;
        generation.fetch_add(1, Ordering::SeqCst);
    }

    let at = rng.between(0.3 * segment, segment);
    tokio::time::sleep(Duration::from_secs_f64(at)).await;
    let term = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill -TERM runs");
    assert!(term.success(), "kill -TERM failed: {term}");
    let sent = Instant::now();
    let limit = Duration::from_secs(GRACE_S + 2);
    let exit = loop {
        if let Some(status) = child.try_wait().expect("try_wait") {
            break status;
        }
        if sent.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "server still running {limit:?} after SIGTERM (grace {GRACE_S} s); stderr:\n{}",
                server_log(&stderr)
            );
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    println!(
        "soak: SIGTERM after {at:.2} s under load; exited in {:.2} s ({exit})",
        sent.elapsed().as_secs_f64()
    );
    assert!(
        exit.success(),
        "server exited with {exit} after SIGTERM; stderr:\n{}",
        server_log(&stderr)
    );

    stop.store(true, Ordering::SeqCst);
    for c in clients {
        c.await.expect("client task");
    }
    let tally = std::mem::take(&mut *tally.lock().expect("tally lock"));
    println!(
        "soak: {} acknowledged, per server {:?}; failed calls {:?} (first of each: {:?}); slowest call {:?}; hung {}",
        tally.acked.len(),
        tally.acked_per_generation,
        tally.errors,
        tally.error_samples,
        tally.slowest,
        tally.hung
    );
    assert_eq!(tally.hung, 0, "calls hung past their deadline");
    assert!(tally.bad_replies.is_empty(), "{:?}", tally.bad_replies);
    for g in 0..=kills {
        assert!(
            tally.acked_per_generation.get(&g).copied().unwrap_or(0) > 0,
            "server {g} acknowledged nothing: {:?}",
            tally.acked_per_generation
        );
    }

    // Every acknowledged check is in the log, under its audit_id.
    let records = all_records(&log);
    let mut by_request: HashMap<String, String> = HashMap::new();
    let mut recoveries = 0;
    for r in &records {
        match r["kind"].as_str() {
            Some("check") => {
                let request_id = r["request_id"].as_str().expect("request_id").to_string();
                let hash = r["hash"].as_str().expect("hash");
                let audit_id = format!("{}-{}", r["seq"].as_u64().expect("seq"), &hash[..16]);
                if let Some(old) = by_request.insert(request_id.clone(), audit_id) {
                    panic!("{request_id} recorded twice (first as {old})");
                }
            }
            Some("recovery") => {
                recoveries += 1;
                let kept = r["kept_at"].as_str().expect("kept_at");
                assert!(
                    Path::new(kept).is_file(),
                    "torn bytes not kept at {kept}: {r}"
                );
            }
            other => panic!("unexpected record kind {other:?}: {r}"),
        }
    }
    println!(
        "soak: {} records in the log ({recoveries} recovery records)",
        records.len()
    );
    assert!(
        recoveries >= injected_tears,
        "{injected_tears} torn tails injected, {recoveries} recovery records"
    );
    let missing: Vec<_> = tally
        .acked
        .iter()
        .filter(|(req, audit_id)| by_request.get(req) != Some(audit_id))
        .map(|(req, audit_id)| format!("{req} ({audit_id}): {:?}", by_request.get(req)))
        .collect();
    assert!(
        missing.is_empty(),
        "{} of {} acknowledged checks are not in the log as acknowledged: {:?}",
        missing.len(),
        tally.acked.len(),
        &missing[..missing.len().min(10)]
    );

    let out = crate::common::factgate_bin()
        .args(["audit", "verify"])
        .arg(&log)
        .output()
        .expect("factgate audit verify runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    println!("soak: audit verify: {}", stdout.trim());
    assert!(
        out.status.success() && stdout.starts_with("OK"),
        "audit verify failed ({}): {stdout}{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
}
