//! Bounded work per request and bounded shutdown (issue #14): the per-check budget, the client's
//! deadline and the shutdown grace end a check early with a reason, never a silent ALLOW, and
//! the audit log says what was left unchecked.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use factgate::knowledge::{Fact, FactSource, GraphError};
use factgate::pb::CheckRequest;
use factgate::pipeline::CheckInput;

use crate::common::{self, TestServer};

/// Five claims the fixture graph decides: four supported, the third contradicted.
const FIVE: &str = "Paris is in France. Berlin is in Germany. The capital of France is Berlin. \
                    Paris is in France. Berlin is in Germany.";

fn input(text: &str, policy: &str) -> CheckInput {
    CheckInput {
        response: text.into(),
        policy: policy.into(),
        ..CheckInput::default()
    }
}

const PROFILES: &str = "[profiles.two]\nmax_claims = 2\n\
                        [profiles.two_open]\nmax_claims = 2\non_error = \"fail_open\"\n\
                        [profiles.three_open]\nmax_claims = 3\non_error = \"fail_open\"\n";

#[test]
fn claim_budget_ends_the_check_with_a_reason_and_the_on_error_verdict() {
    let dir = tempfile::tempdir().expect("tempdir");
    let c = common::checker(None, PROFILES, Some(common::audit_config(dir.path())));

    let o = c.check(&input(FIVE, "two")).expect("checked");
    assert_eq!(o.verdict, factgate::decide::Action::Block, "fail_closed");
    assert_eq!(o.reasons[0].code, "BUDGET_EXCEEDED");
    let m = &o.reasons[0].message;
    assert!(
        m.contains("max_claims") && m.contains("after 2 of 5"),
        "{m}"
    );
    assert!(m.contains("claims 3..5 were not checked"), "{m}");
    assert_eq!(o.claims.len(), 5, "every claim is reported");
    for c in &o.claims[..2] {
        assert_eq!(c.status, factgate::reason::Status::Supported);
    }
    for c in &o.claims[2..] {
        assert_eq!(c.status, factgate::reason::Status::Unverifiable);
        assert_eq!(c.confidence, 0.0);
        assert_eq!(c.explanation, "not checked (BUDGET_EXCEEDED)");
    }

    // fail_open: what was checked decides; the reason still says the check was cut short.
    let o = c.check(&input(FIVE, "two_open")).expect("checked");
    assert_eq!(o.verdict, factgate::decide::Action::Allow);
    assert_eq!(o.reasons[0].code, "BUDGET_EXCEEDED");
    assert!(
        o.reasons.iter().all(|r| r.code != "ALL_SUPPORTED"),
        "{:?}",
        o.reasons
    );
    // ... and a contradiction among the checked claims blocks whatever on_error says.
    let o = c.check(&input(FIVE, "three_open")).expect("checked");
    assert_eq!(o.verdict, factgate::decide::Action::Block);
    let codes: Vec<_> = o.reasons.iter().map(|r| r.code).collect();
    assert_eq!(codes[0], "BUDGET_EXCEEDED");
    assert!(codes.contains(&"CONTRADICTED_CLAIM"), "{codes:?}");

    c.shutdown();
    let records = common::audit_records(&dir.path().join("audit.jsonl"));
    assert_eq!(records.len(), 3);
    let r = &records[0];
    assert_eq!(r["verdict"], "block");
    assert_eq!(r["reasons"][0]["code"], "BUDGET_EXCEEDED");
    assert!(r["error"]
        .as_str()
        .expect("what was left unchecked is audited")
        .contains("claims 3..5 were not checked"));
    assert_eq!(r["claims"].as_array().expect("claims").len(), 5);
    assert_eq!(r["partial"], false);
}

#[test]
fn a_passed_client_deadline_starts_no_work() {
    let c = common::checker(None, "", None);
    let mut i = input(FIVE, "");
    i.deadline = Some(Instant::now());
    let o = c.check(&i).expect("checked");
    assert_eq!(o.verdict, factgate::decide::Action::Block);
    assert_eq!(o.reasons[0].code, "BUDGET_EXCEEDED");
    assert!(
        o.reasons[0]
            .message
            .contains("client's deadline passed after 0 of 5"),
        "{}",
        o.reasons[0].message
    );
    assert!(o
        .claims
        .iter()
        .all(|c| c.status == factgate::reason::Status::Unverifiable));
}

#[test]
fn budget_settings_are_validated_by_name() {
    for bad in ["max_claims = 0", "max_model_pairs = 0"] {
        let f: factgate::config::FileConfig =
            toml::from_str(&format!("[profiles.x]\n{bad}\n")).expect("toml");
        let e = factgate::config::Config::validate(f).expect_err("rejected");
        assert!(
            e.to_string().contains(bad.split(' ').next().expect("key")),
            "{e}"
        );
    }
}

#[test]
fn grpc_timeout_header_is_read_as_the_client_deadline() {
    use factgate::serve::state::client_deadline;
    let mut m = tonic::metadata::MetadataMap::new();
    assert!(client_deadline(&m).is_none());
    for (v, d) in [
        ("250m", Duration::from_millis(250)),
        ("3S", Duration::from_secs(3)),
        ("2M", Duration::from_secs(120)),
        ("1H", Duration::from_secs(3600)),
        ("5000u", Duration::from_millis(5)),
        ("7000000n", Duration::from_millis(7)),
    ] {
        m.insert("grpc-timeout", v.parse().expect("ascii"));
        let before = Instant::now();
        let at = client_deadline(&m).expect(v);
        assert!(at >= before + d && at <= Instant::now() + d, "{v}");
    }
    for junk in ["", "S", "12", "12x", "-1S", "99999999999999999999H"] {
        m.insert("grpc-timeout", junk.parse().expect("ascii"));
        assert!(client_deadline(&m).is_none(), "{junk:?}");
    }
}

/// A fact source that takes `delay` per query and counts its queries.
struct Slow {
    delay: Duration,
    queries: AtomicUsize,
}

impl FactSource for Slow {
    fn facts(&self, subject: &str, predicate: &str) -> Result<Vec<Fact>, GraphError> {
        self.queries.fetch_add(1, Ordering::SeqCst);
        std::thread::sleep(self.delay);
        common::knowledge().facts(subject, predicate)
    }
}

#[test]
fn wall_time_budget_stops_a_slow_check() {
    let slow = Arc::new(Slow {
        delay: Duration::from_millis(40),
        queries: AtomicUsize::new(0),
    });
    let c = common::checker(
        Some(slow.clone()),
        "[profiles.quick]\nmax_check_ms = 100\n",
        None,
    );
    let text = "Paris is in France. ".repeat(100);
    let o = c.check(&input(&text, "quick")).expect("checked");
    assert_eq!(o.reasons[0].code, "BUDGET_EXCEEDED");
    assert!(
        o.reasons[0].message.contains("max_check_ms"),
        "{}",
        o.reasons[0].message
    );
    let checked = o
        .claims
        .iter()
        .filter(|c| c.status != factgate::reason::Status::Unverifiable)
        .count();
    assert!((1..100).contains(&checked), "{checked}");
    // No work after the budget: at most the claim in progress when it ran out.
    assert!(
        slow.queries.load(Ordering::SeqCst) <= checked + 1,
        "{} queries for {checked} checked claims",
        slow.queries.load(Ordering::SeqCst)
    );
}

#[tokio::test]
async fn shutdown_cancels_a_long_check_after_the_grace_and_audits_it_as_partial() {
    let dir = tempfile::tempdir().expect("tempdir");
    let slow = Arc::new(Slow {
        delay: Duration::from_millis(50),
        queries: AtomicUsize::new(0),
    });
    let audit = common::audit_config(dir.path());
    let facts: Arc<dyn FactSource> = slow.clone();
    // No wall-time budget: only the shutdown grace stops this check (200 claims × 50 ms).
    let server = TestServer::start_with_grace(
        Box::new(move || {
            Ok(common::checker(
                Some(facts),
                "[profiles.unbounded]\nmax_check_ms = 0\n",
                Some(audit),
            ))
        }),
        8,
        Duration::from_millis(300),
    )
    .await;
    let mut client = server.client().await;
    let long = tokio::spawn(async move {
        client
            .check(CheckRequest {
                response: "Paris is in France. ".repeat(200),
                policy: "unbounded".into(),
                ..Default::default()
            })
            .await
    });
    while slow.queries.load(Ordering::SeqCst) == 0 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let t = Instant::now();
    server.stop().await.expect("clean stop");
    let took = t.elapsed();
    assert!(
        took < Duration::from_millis(300) + factgate::serve::CANCEL_WAIT,
        "stopped in {took:?}"
    );
    // The client saw its connection go; the decision is in the audit log, marked partial.
    let _ = long.await.expect("join");
    let records = common::audit_records(&dir.path().join("audit.jsonl"));
    assert_eq!(records.len(), 1);
    let r = &records[0];
    assert_eq!(r["reasons"][0]["code"], "SHUTDOWN");
    assert_eq!(r["partial"], true);
    assert_eq!(r["verdict"], "block");
    let claims = r["claims"].as_array().expect("claims");
    assert_eq!(claims.len(), 200);
    assert!(claims.iter().any(|c| c["status"] == "UNVERIFIABLE"));
    assert!(r["error"]
        .as_str()
        .expect("error")
        .contains("shutdown grace ran out"));
}

/// `CheckRequest` with `response` as raw bytes, to send a string field that is not UTF-8.
#[derive(Clone, PartialEq, prost::Message)]
struct RawCheckRequest {
    #[prost(bytes = "vec", tag = "1")]
    response: Vec<u8>,
}

#[tokio::test]
async fn a_string_field_that_is_not_utf8_is_invalid_argument_naming_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = TestServer::start(dir.path()).await;
    let _ready = server.client().await;
    let channel = tonic::transport::Channel::from_shared(server.url.clone())
        .expect("url")
        .connect()
        .await
        .expect("connect");
    let mut grpc = tonic::client::Grpc::new(channel);
    grpc.ready().await.expect("ready");
    let path = tonic::codegen::http::uri::PathAndQuery::from_static("/factgate.v1.Guard/Check");
    let e = grpc
        .unary::<_, factgate::pb::CheckResponse, _>(
            tonic::Request::new(RawCheckRequest {
                response: b"Paris is in \xff\xfe France.".to_vec(),
            }),
            path,
            tonic_prost::ProstCodec::default(),
        )
        .await
        .expect_err("not UTF-8");
    assert_eq!(e.code(), tonic::Code::InvalidArgument, "{e:?}");
    assert!(
        e.message().contains("CheckRequest.response") && e.message().contains("UTF-8"),
        "{}",
        e.message()
    );
    server.stop().await.expect("clean stop");
    assert!(
        common::audit_records(&dir.path().join("audit.jsonl")).is_empty(),
        "a request that does not decode is not a decision"
    );
}
