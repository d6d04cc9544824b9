//! Guard/Check end to end over gRPC, plus the CLI and the audit log.

use std::sync::{Arc, Mutex};

use factgate::knowledge::{Fact, FactSource, GraphError, Knowledge};
use factgate::pb::{self, CheckRequest, ClaimStatus, Verdict};
use factgate::pipeline::Checker;
use tonic::Code;

use crate::common::{self, TestServer};

fn req(text: &str) -> CheckRequest {
    CheckRequest {
        response: text.into(),
        ..Default::default()
    }
}

fn statuses(r: &pb::CheckResponse) -> Vec<ClaimStatus> {
    r.claims.iter().map(|c| c.status()).collect()
}

#[tokio::test]
async fn supported_contradicted_and_unverifiable_with_evidence() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = TestServer::start(dir.path()).await;
    let mut client = server.client().await;
    let r = client
        .check(req(
            "Nairobi is Kenya's capital. The capital of France is Berlin. Berlin has a famous zoo.",
        ))
        .await
        .expect("check")
        .into_inner();
    assert_eq!(
        statuses(&r),
        vec![
            ClaimStatus::ClaimSupported,
            ClaimStatus::ClaimContradicted,
            ClaimStatus::ClaimUnverifiable
        ]
    );
    assert_eq!(r.verdict(), Verdict::Block);
    assert_eq!(r.status(), ClaimStatus::ClaimContradicted);
    assert!(r.reasons.iter().any(|x| x.code == "CONTRADICTED_CLAIM"));
    let supported = &r.claims[0].evidence[0];
    assert_eq!(supported.subject, "https://factgate.dev/id/country/KE");
    assert_eq!(supported.predicate, "https://factgate.dev/ns#capital");
    assert_eq!(supported.object, "https://factgate.dev/id/city/184745");
    assert_eq!(supported.graph, "https://factgate.dev/graph/world");
    assert_eq!(supported.text, "The capital of Kenya is Nairobi.");
    // The contradiction points at the fact that refutes it.
    let refuting = &r.claims[1].evidence[0];
    assert_eq!(refuting.object_label, "Paris");
    assert!(r.claims[2].evidence.is_empty());
    assert!(r.claims[0].confidence > 0.9 && r.claims[1].confidence < 0.1);
    assert!(
        (r.confidence - r.claims[1].confidence).abs() < 1e-9,
        "response = weakest claim"
    );
    let v = r.versions.as_ref().expect("versions");
    assert_eq!(v.model, "none");
    assert_eq!(v.calibration, "none");
    assert_eq!(v.graph.len(), 64);
    assert!(v.policy.starts_with("default@1+"));
    for stage in [
        "claims", "link", "retrieve", "reason", "decide", "audit", "total",
    ] {
        assert!(r.timings.contains_key(stage), "missing timing {stage}");
    }
    assert!(!r.audit_id.is_empty());
    server.stop().await.expect("clean stop");
}

#[tokio::test]
async fn numbers_tolerance_scale_words_and_units() {
    let c = common::checker(None, "", None);
    let check = |t: &str| {
        c.check(&factgate::pipeline::CheckInput {
            response: t.into(),
            ..Default::default()
        })
        .expect("valid")
    };
    use factgate::reason::Status::*;
    let cases = [
        // Kenya: 47,564,296 (through owl:sameAs), tolerance 15 %.
        ("Kenya has a population of 47.5 million.", Supported),
        ("Kenya has about 50 million inhabitants.", Supported),
        ("Kenya has 47,564,296 inhabitants.", Supported),
        ("Kenya has a population of 30 million.", Contradicted),
        ("Kenya has more than 40 million inhabitants.", Supported),
        ("Kenya has fewer than 10 million inhabitants.", Contradicted),
        ("Iron has the atomic number 26.", Supported),
        ("Iron has the atomic number 27.", Contradicted),
        // 1811 K; °C and °F are converted.
        ("Iron melts at 1538 °C.", Supported),
        ("Iron melts at 2800 °F.", Supported),
        ("Iron melts at 500 °C.", Contradicted),
        ("Oxygen was discovered in 1774.", Supported),
        ("Oxygen was discovered in 1775.", Contradicted),
        ("Oxygen was discovered on 1 August 1774.", Supported),
        ("Oxygen was discovered on August 1, 1775.", Contradicted),
    ];
    for (text, want) in cases {
        let o = check(text);
        assert_eq!(
            o.claims[0].status, want,
            "{text}: {}",
            o.claims[0].explanation
        );
    }
}

/// The fixture graph with `extra` Turtle appended to its lexicon.
fn fixture_with_lexicon(extra: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    for f in ["lexicon.ttl", "world.ttl"] {
        std::fs::copy(common::fixture_graph().join(f), dir.path().join(f)).expect("copy");
    }
    let lexicon = dir.path().join("lexicon.ttl");
    let mut text = std::fs::read_to_string(&lexicon).expect("read lexicon");
    text.push_str(extra);
    std::fs::write(&lexicon, text).expect("write lexicon");
    dir
}

#[test]
fn a_number_within_the_contradiction_factor_is_neither_supported_nor_contradicted() {
    let dir = fixture_with_lexicon("\nfg:population fg:contradictionFactor 2.0 .\n");
    let kg = Arc::new(Knowledge::load(&[dir.path().to_path_buf()]).expect("loads"));
    let c = Checker::new(kg.clone(), kg, common::profiles(""), None);
    use factgate::reason::Status::*;
    // Kenya: 47,564,296, tolerance 15 %, factor 2 (23.8 to 95.1 million).
    for (text, want) in [
        ("Kenya has a population of 47.5 million.", Supported),
        ("Kenya has a population of 30 million.", Unverifiable),
        ("Kenya has a population of 90 million.", Unverifiable),
        ("Kenya has a population of 20 million.", Contradicted),
        ("Kenya has a population of 100 million.", Contradicted),
        ("Kenya has more than 90 million inhabitants.", Unverifiable),
        ("Kenya has more than 100 million inhabitants.", Contradicted),
        ("Kenya has fewer than 25 million inhabitants.", Unverifiable),
        ("Kenya has fewer than 20 million inhabitants.", Contradicted),
    ] {
        let o = c
            .check(&factgate::pipeline::CheckInput {
                response: text.into(),
                ..Default::default()
            })
            .expect("valid");
        let claim = &o.claims[0];
        assert_eq!(claim.status, want, "{text}: {}", claim.explanation);
        if want == Unverifiable {
            assert!(claim.evidence.is_empty(), "{text}: no evidence either way");
            assert!(
                claim.confidence < 0.5,
                "{text}: the graph's figure still disagrees: {}",
                claim.confidence
            );
            assert!(
                claim.explanation.contains("within a factor of 2"),
                "{text}: the explanation names the factor: {}",
                claim.explanation
            );
        }
    }
    // A factor of 1 or less, or on a predicate that is not a number, is a lexicon error.
    for bad in [
        "\nfg:population fg:contradictionFactor 0.5 .\n",
        "\nfg:capital fg:contradictionFactor 2.0 .\n",
    ] {
        let dir = fixture_with_lexicon(bad);
        let err = Knowledge::load(&[dir.path().to_path_buf()])
            .err()
            .expect("a bad factor does not load")
            .to_string();
        assert!(err.contains("fg:contradictionFactor"), "{err}");
    }
}

#[tokio::test]
async fn unicode_spans_bytes_and_utf16_over_grpc() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = TestServer::start(dir.path()).await;
    let mut client = server.client().await;
    let text = "🎉 Côte d'Ivoire is in Africa. Zürich is lovely 🇨🇭. São Paulo is in Brazil.";
    let r = client.check(req(text)).await.expect("check").into_inner();
    assert_eq!(r.claims.len(), 3);
    let u16: Vec<u16> = text.encode_utf16().collect();
    for c in &r.claims {
        let s = c.span.as_ref().expect("span");
        assert_eq!(&text[s.start as usize..s.end as usize], c.text);
        let via16 = String::from_utf16(&u16[s.start_utf16 as usize..s.end_utf16 as usize])
            .expect("utf16 slice on boundaries");
        assert_eq!(via16, c.text);
    }
    assert_eq!(
        r.claims[0].status(),
        ClaimStatus::ClaimSupported,
        "{}",
        r.claims[0].explanation
    );
    assert_eq!(r.claims[1].status(), ClaimStatus::ClaimUnverifiable);
    server.stop().await.expect("clean stop");
}

#[tokio::test]
async fn ambiguous_labels_use_type_then_population() {
    let c = common::checker(None, "", None);
    let o = c
        .check(&factgate::pipeline::CheckInput {
            response:
                "Paris is in France. Paris is in the USA. Paris, Texas is in the United States. \
                       The capital of the United States is Washington."
                    .into(),
            ..Default::default()
        })
        .expect("valid");
    use factgate::reason::Status::*;
    let got: Vec<_> = o.claims.iter().map(|c| c.status).collect();
    assert_eq!(got, vec![Supported, Contradicted, Supported, Supported]);
    assert_eq!(
        o.claims[2].evidence[0].subject,
        "https://factgate.dev/id/city/4717560"
    );
    // "USA" is an alias of the United States; "Washington" an alias of Washington, D.C.
    assert_eq!(o.claims[1].evidence[0].object_label, "France");
}

#[tokio::test]
async fn bad_input_is_invalid_argument_naming_the_field() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = TestServer::start(dir.path()).await;
    let mut client = server.client().await;
    let e = client.check(req("   ")).await.expect_err("empty");
    assert_eq!(e.code(), Code::InvalidArgument);
    assert!(e.message().starts_with("response:"), "{}", e.message());
    let big = "Paris is nice. ".repeat(5000);
    let e = client.check(req(&big)).await.expect_err("too big");
    assert_eq!(e.code(), Code::InvalidArgument);
    assert!(e.message().contains("65536"), "{}", e.message());
    let mut r = req("Paris is in France.");
    r.policy = "nope".into();
    let e = client.check(r).await.expect_err("unknown profile");
    assert_eq!(e.code(), Code::InvalidArgument);
    assert!(
        e.message().contains("policy") && e.message().contains("strict"),
        "{}",
        e.message()
    );
    let mut r = req("Paris is in France.");
    r.context = (0..40)
        .map(|i| pb::Passage {
            id: i.to_string(),
            text: "x".into(),
        })
        .collect();
    let e = client.check(r).await.expect_err("too many passages");
    assert_eq!(e.code(), Code::InvalidArgument);
    assert!(e.message().starts_with("context:"), "{}", e.message());
    // Every other field is bounded too, and the message names the field and the limit.
    let mut r = req("Paris is in France.");
    r.prompt = "x".repeat(40_000);
    let e = client.check(r).await.expect_err("prompt too big");
    assert_eq!(e.code(), Code::InvalidArgument);
    assert!(
        e.message().starts_with("prompt") && e.message().contains("32768"),
        "{}",
        e.message()
    );
    let mut r = req("Paris is in France.");
    r.request_id = "r".repeat(1000);
    let e = client.check(r).await.expect_err("request id too big");
    assert!(e.message().starts_with("request_id"), "{}", e.message());
    let mut r = req("Paris is in France.");
    r.labels = (0..100).map(|i| (i.to_string(), "v".into())).collect();
    let e = client.check(r).await.expect_err("too many labels");
    assert!(
        e.message().starts_with("labels") && e.message().contains("32"),
        "{}",
        e.message()
    );
    let mut r = req("Paris is in France.");
    r.labels = [("model".to_string(), "v".repeat(10_000))].into();
    let e = client.check(r).await.expect_err("label value too big");
    assert_eq!(e.code(), Code::InvalidArgument);
    assert!(
        e.message().contains("labels[\"model\"] value") && e.message().contains("256"),
        "{}",
        e.message()
    );
    let mut r = req("Paris is in France.");
    r.labels = [("k".repeat(300), "v".to_string())].into();
    let e = client.check(r).await.expect_err("label key too big");
    assert_eq!(e.code(), Code::InvalidArgument);
    assert!(
        e.message().starts_with("labels key (bytes): 300") && e.message().contains("256"),
        "{}",
        e.message()
    );
    // Nothing was audited for rejected requests, and the server still works.
    let ok = client
        .check(req("Paris is in France."))
        .await
        .expect("ok")
        .into_inner();
    assert_eq!(ok.verdict(), Verdict::Allow);
    assert_eq!(ok.status(), ClaimStatus::ClaimSupported);
    server.stop().await.expect("clean stop");
    assert_eq!(
        common::audit_records(&dir.path().join("audit.jsonl")).len(),
        1
    );
}

#[tokio::test]
async fn profile_selection_changes_the_verdict() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = TestServer::start(dir.path()).await;
    let mut client = server.client().await;
    let text = "Berlin has a famous zoo.";
    let r = client.check(req(text)).await.expect("default").into_inner();
    assert_eq!(r.verdict(), Verdict::Allow);
    assert!(
        r.reasons.iter().any(|x| x.code == "UNVERIFIABLE_CLAIM"),
        "said, not silent"
    );
    let mut strict = req(text);
    strict.policy = "strict".into();
    let r = client.check(strict).await.expect("strict").into_inner();
    assert_eq!(r.verdict(), Verdict::Flag);
    assert!(r
        .versions
        .expect("versions")
        .policy
        .starts_with("strict@1+"));
    server.stop().await.expect("clean stop");
}

/// A fact source that fails, or blocks until released.
struct Faulty {
    fail: bool,
    gate: Mutex<Option<std::sync::mpsc::Receiver<()>>>,
    entered: Mutex<Option<std::sync::mpsc::Sender<()>>>,
}

impl FactSource for Faulty {
    fn facts(&self, subject: &str, predicate: &str) -> Result<Vec<Fact>, GraphError> {
        if let Some(tx) = self.entered.lock().expect("lock").take() {
            let _ = tx.send(());
        }
        if let Some(rx) = self.gate.lock().expect("lock").take() {
            let _ = rx.recv();
        }
        if self.fail {
            return Err(GraphError::Query(
                "injected fault: endpoint unreachable".into(),
            ));
        }
        common::knowledge().facts(subject, predicate)
    }
}

#[tokio::test]
async fn internal_failure_is_never_a_silent_allow() {
    let dir = tempfile::tempdir().expect("tempdir");
    let faulty: Arc<dyn FactSource> = Arc::new(Faulty {
        fail: true,
        gate: Mutex::new(None),
        entered: Mutex::new(None),
    });
    let audit = common::audit_config(dir.path());
    let server = TestServer::start_with(
        Box::new(move || {
            Ok(common::checker(
                Some(faulty),
                "[profiles.open]\non_error = \"fail_open\"\n",
                Some(audit),
            ))
        }),
        8,
    )
    .await;
    let mut client = server.client().await;
    let r = client
        .check(req("Paris is in France."))
        .await
        .expect("answer")
        .into_inner();
    assert_eq!(r.verdict(), Verdict::Block, "fail_closed by default");
    assert_eq!(r.reasons[0].code, "INTERNAL_ERROR");
    assert!(r.reasons[0].message.contains("injected fault"));
    let mut open = req("Paris is in France.");
    open.policy = "open".into();
    let r = client.check(open).await.expect("answer").into_inner();
    assert_eq!(r.verdict(), Verdict::Allow);
    assert_eq!(
        r.reasons[0].code, "INTERNAL_ERROR",
        "fail_open still says why"
    );
    server.stop().await.expect("clean stop");
    let records = common::audit_records(&dir.path().join("audit.jsonl"));
    assert_eq!(records.len(), 2);
    assert!(records[0]["error"]
        .as_str()
        .expect("error recorded")
        .contains("injected fault"));
    assert_eq!(records[0]["verdict"], "block");
}

#[tokio::test]
async fn overload_is_rejected_at_once_and_deadlines_are_honoured() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (release, gate) = std::sync::mpsc::channel();
    let (entered_tx, entered) = std::sync::mpsc::channel();
    let slow: Arc<dyn FactSource> = Arc::new(Faulty {
        fail: false,
        gate: Mutex::new(Some(gate)),
        entered: Mutex::new(Some(entered_tx)),
    });
    let audit = common::audit_config(dir.path());
    let server = TestServer::start_with(
        Box::new(move || Ok(common::checker(Some(slow), "", Some(audit)))),
        1,
    )
    .await;
    let mut client = server.client().await;
    // First call occupies the only slot and hangs in the graph until released; its client
    // deadline passes meanwhile.
    let mut first = tonic::Request::new(req("Paris is in France."));
    first.set_timeout(std::time::Duration::from_millis(300));
    let mut c1 = client.clone();
    let first = tokio::spawn(async move { c1.check(first).await });
    tokio::task::spawn_blocking(move || entered.recv().expect("first call entered the graph"))
        .await
        .expect("join");
    let e = client
        .check(req("Paris is in France."))
        .await
        .expect_err("overloaded");
    assert_eq!(e.code(), Code::ResourceExhausted);
    let e = first.await.expect("join").expect_err("deadline");
    assert!(
        matches!(e.code(), Code::DeadlineExceeded | Code::Cancelled),
        "{e:?}"
    );
    // The decision in flight still completes and is audited once released.
    release.send(()).expect("release");
    server.stop().await.expect("clean stop");
    let records = common::audit_records(&dir.path().join("audit.jsonl"));
    assert_eq!(records.len(), 1, "the timed-out decision is still recorded");
}

#[tokio::test]
async fn health_is_not_serving_until_loaded_and_after_shutdown() {
    use tonic_health::pb::health_check_response::ServingStatus;
    use tonic_health::pb::health_client::HealthClient;
    use tonic_health::pb::HealthCheckRequest;
    let dir = tempfile::tempdir().expect("tempdir");
    let (release, gate) = std::sync::mpsc::channel::<()>();
    let audit = common::audit_config(dir.path());
    let server = TestServer::start_with(
        Box::new(move || {
            let _ = gate.recv();
            Ok(common::checker(None, "", Some(audit)))
        }),
        8,
    )
    .await;
    let channel = tonic::transport::Channel::from_shared(server.url.clone())
        .expect("url")
        .connect()
        .await
        .expect("connect");
    let mut health = HealthClient::new(channel.clone());
    let status = |svc: &str| HealthCheckRequest {
        service: svc.to_string(),
    };
    let r = health
        .check(status("factgate.v1.Guard"))
        .await
        .expect("health")
        .into_inner();
    assert_eq!(r.status(), ServingStatus::NotServing);
    let mut guard = pb::guard_client::GuardClient::new(channel.clone());
    let e = guard
        .check(req("Paris is in France."))
        .await
        .expect_err("not ready");
    assert_eq!(e.code(), Code::Unavailable);
    let mut watch = health.watch(status("")).await.expect("watch").into_inner();
    release.send(()).expect("release loader");
    loop {
        let m = watch.message().await.expect("stream").expect("message");
        if m.status() == ServingStatus::Serving {
            break;
        }
    }
    guard
        .check(req("Paris is in France."))
        .await
        .expect("serving now");
    // Reflection is served too.
    let r = health
        .check(status("factgate.v1.Guard"))
        .await
        .expect("health")
        .into_inner();
    assert_eq!(r.status(), ServingStatus::Serving);
    drop(watch);
    server.stop().await.expect("clean stop");
    // Shutdown flushed the audit record.
    assert_eq!(
        common::audit_records(&dir.path().join("audit.jsonl")).len(),
        1
    );
}

#[tokio::test]
async fn startup_failure_is_reported() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let r = factgate::serve::run(
        listener,
        4,
        std::time::Duration::from_secs(10),
        Box::new(|| Err("cannot load /nope/lexicon.ttl".to_string())),
        std::future::pending(),
    )
    .await;
    let e = r.expect_err("start-up error");
    assert!(e.to_string().contains("/nope/lexicon.ttl"), "{e}");
}

#[test]
fn cli_check_reports_contradiction_with_evidence() {
    let out = common::factgate_bin()
        .args(["check", "--json", "--no-default-graph", "--knowledge"])
        .arg(common::fixture_graph())
        .arg("The capital of France is Berlin.")
        .output()
        .expect("runs");
    let v: serde_json::Value = serde_json::from_str(&common::stdout_ok(out)).expect("json");
    assert_eq!(v["verdict"], "block");
    assert_eq!(v["claims"][0]["status"], "CONTRADICTED");
    assert_eq!(
        v["claims"][0]["evidence"][0]["text"],
        "The capital of France is Paris."
    );
    let table = common::factgate_bin()
        .args(["check", "--no-default-graph", "--knowledge"])
        .arg(common::fixture_graph())
        .arg("The capital of France is Berlin.")
        .output()
        .expect("runs");
    let table = String::from_utf8_lossy(&table.stdout);
    assert!(
        table.contains("CONTRADICTED")
            && table.contains("evidence: The capital of France is Paris."),
        "{table}"
    );
}

#[test]
fn audit_verify_detects_tampering_and_names_the_record() {
    let dir = tempfile::tempdir().expect("tempdir");
    let log = dir.path().join("audit.jsonl");
    for text in [
        "Paris is in France.",
        "Kenya is in Europe.",
        "Iron has the atomic number 26.",
    ] {
        let st = common::factgate_bin()
            .args(["check", "--no-default-graph", "--knowledge"])
            .arg(common::fixture_graph())
            .arg("--audit-log")
            .arg(&log)
            .arg(text)
            .status()
            .expect("runs");
        assert!(st.success());
    }
    let verify = || {
        common::factgate_bin()
            .args(["audit", "verify"])
            .arg(&log)
            .output()
            .expect("runs")
    };
    let ok = verify();
    assert!(ok.status.success());
    assert!(String::from_utf8_lossy(&ok.stdout).starts_with("OK: 3 records"));
    // Change one byte of the second record.
    let mut bytes = std::fs::read(&log).expect("read");
    let second = bytes.iter().position(|&b| b == b'\n').expect("newline") + 1;
    let at = second
        + bytes[second..]
            .windows(7)
            .position(|w| w == b"\"block\"")
            .expect("verdict")
        + 1;
    bytes[at] = b'B';
    std::fs::write(&log, bytes).expect("write");
    let bad = verify();
    assert!(!bad.status.success());
    let msg = String::from_utf8_lossy(&bad.stdout);
    assert!(msg.contains(":2 (seq 1)"), "{msg}");
}

#[test]
fn torn_tail_is_kept_aside_and_the_chain_continues() {
    use factgate::audit::{verify, AuditLog, Verification};
    let dir = tempfile::tempdir().expect("tempdir");
    let cfg = common::audit_config(dir.path());
    let rec = |n: u64| {
        let mut m = serde_json::Map::new();
        m.insert("kind".into(), "check".into());
        m.insert("n".into(), n.into());
        m
    };
    {
        let log = AuditLog::open(cfg.clone()).expect("open");
        log.append(rec(0)).expect("append");
        log.append(rec(1)).expect("append");
    }
    // Simulate a crash in the middle of writing record 2.
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(&cfg.path)
        .expect("open");
    std::io::Write::write_all(&mut f, b"{\"kind\":\"check\",\"n\":2,\"se").expect("write");
    drop(f);
    let broken = verify(std::slice::from_ref(&cfg.path)).expect("verify");
    assert!(matches!(broken, Verification::Broken { ref message, .. } if message.contains("torn")));
    {
        let log = AuditLog::open(cfg.clone()).expect("reopen recovers");
        log.append(rec(3)).expect("append");
    }
    let records = common::audit_records(&cfg.path);
    assert_eq!(records.len(), 4);
    assert_eq!(records[2]["kind"], "recovery");
    let aside = std::path::PathBuf::from(records[2]["kept_at"].as_str().expect("kept_at"));
    assert_eq!(
        std::fs::read(&aside).expect("kept aside"),
        b"{\"kind\":\"check\",\"n\":2,\"se"
    );
    assert!(matches!(
        verify(std::slice::from_ref(&cfg.path)).expect("verify"),
        Verification::Intact { records: 4, .. }
    ));
}

#[test]
fn rotation_continues_the_chain_across_files() {
    use factgate::audit::{
        files_to_verify, rotated_files, verify, AuditConfig, AuditLog, SyncMode, Verification,
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let cfg = AuditConfig {
        path: dir.path().join("audit.jsonl"),
        sync: SyncMode::Always,
        rotate_bytes: 4096,
        ..AuditConfig::default()
    };
    let log = AuditLog::open(cfg.clone()).expect("open");
    for n in 0..100u64 {
        let mut m = serde_json::Map::new();
        m.insert("kind".into(), "check".into());
        m.insert("payload".into(), "x".repeat(100).into());
        m.insert("n".into(), n.into());
        log.append(m).expect("append");
    }
    log.close();
    let rotated = rotated_files(&cfg.path);
    assert!(rotated.len() >= 2, "expected rotation, got {rotated:?}");
    for p in &rotated {
        assert!(std::fs::metadata(p).expect("meta").len() <= 4096);
    }
    let all = files_to_verify(std::slice::from_ref(&cfg.path));
    assert!(matches!(
        verify(&all).expect("verify"),
        Verification::Intact {
            records: 100,
            first_seq: Some(0),
            ..
        }
    ));
    // Dropping a middle file breaks the chain at the next file's first record.
    let mut gap = all.clone();
    gap.remove(1);
    assert!(matches!(
        verify(&gap).expect("verify"),
        Verification::Broken { line: 1, .. }
    ));
    // Reopening continues the chain from the last record.
    let log = AuditLog::open(cfg.clone()).expect("reopen");
    assert_eq!(log.append(serde_json::Map::new()).expect("append").seq, 100);
}
