//! The remote SPARQL backend (`[graph] endpoint`): the same answers as in process, failures as
//! INTERNAL_ERROR (audited, health NOT_SERVING) and recovery, index refresh and version.
//!
//! Every test runs against an in-process SPARQL endpoint over an Oxigraph store (its default
//! graph the union of the named graphs, as in Virtuoso), and the equivalence and failure tests
//! also against a real endpoint when `FACTGATE_TEST_SPARQL` is its query URL
//! (`scripts/virtuoso-test.sh` starts a Virtuoso loaded with the default graph and sets it).

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use factgate::knowledge::Knowledge;
use factgate::pb::{CheckRequest, Verdict};
use factgate::pipeline::{CheckInput, Checker};
use factgate::remote::{BreakerState, RemoteGraph, RemoteSettings};
use oxigraph::sparql::results::{QueryResultsFormat, QueryResultsSerializer};
use oxigraph::sparql::{QueryResults, SparqlEvaluator};
use oxigraph::store::Store;

use crate::common;
use crate::default_graph;

/// The real endpoint's URL, if the test run has one.
const REAL_ENDPOINT_ENV: &str = "FACTGATE_TEST_SPARQL";

fn real_endpoint() -> Option<String> {
    match std::env::var(REAL_ENDPOINT_ENV) {
        Ok(u) if !u.is_empty() => Some(u),
        _ => {
            eprintln!(
                "NOTICE: {REAL_ENDPOINT_ENV} is not set: remote-backend tests run against the \
                 in-process endpoint only (scripts/virtuoso-test.sh runs them against Virtuoso)"
            );
            None
        }
    }
}

const JSON: &str = "application/sparql-results+json";

/// A SPARQL protocol endpoint (POST, form-encoded `query`) answering from `store`.
struct FakeEndpoint {
    url: String,
    _stop: tokio::sync::oneshot::Sender<()>,
}

/// Answers a query; at most `cap` rows or triples (as an endpoint's ResultSetMaxRows does,
/// silently).
fn answer(store: &Store, body: &[u8], cap: usize) -> Result<(&'static str, Vec<u8>), String> {
    let form: Vec<(String, String)> =
        serde_urlencoded::from_bytes(body).map_err(|e| e.to_string())?;
    let query = form
        .into_iter()
        .find(|(k, _)| k == "query")
        .map(|(_, v)| v)
        .ok_or("no query parameter")?;
    let mut prepared = SparqlEvaluator::new()
        .parse_query(&query)
        .map_err(|e| e.to_string())?;
    prepared.dataset_mut().set_default_graph_as_union();
    let serializer = QueryResultsSerializer::from_format(QueryResultsFormat::Json);
    match prepared
        .on_store(store)
        .execute()
        .map_err(|e| e.to_string())?
    {
        QueryResults::Boolean(b) => serializer
            .serialize_boolean_to_writer(Vec::new(), b)
            .map(|b| (JSON, b))
            .map_err(|e| e.to_string()),
        QueryResults::Solutions(solutions) => {
            let mut w = serializer
                .serialize_solutions_to_writer(Vec::new(), solutions.variables().to_vec())
                .map_err(|e| e.to_string())?;
            for s in solutions.take(cap) {
                w.serialize(&s.map_err(|e| e.to_string())?)
                    .map_err(|e| e.to_string())?;
            }
            w.finish().map(|b| (JSON, b)).map_err(|e| e.to_string())
        }
        QueryResults::Graph(triples) => {
            let mut w = oxigraph::io::RdfSerializer::from_format(oxigraph::io::RdfFormat::NTriples)
                .for_writer(Vec::new());
            for t in triples.take(cap) {
                w.serialize_triple(&t.map_err(|e| e.to_string())?)
                    .map_err(|e| e.to_string())?;
            }
            w.finish()
                .map(|b| ("application/n-triples", b))
                .map_err(|e| e.to_string())
        }
    }
}

fn fake_endpoint(store: Store) -> FakeEndpoint {
    capped_endpoint(store, usize::MAX)
}

fn capped_endpoint(store: Store, cap: usize) -> FakeEndpoint {
    let app = axum::Router::new().route(
        "/sparql",
        axum::routing::post(move |body: axum::body::Bytes| {
            let store = store.clone();
            async move {
                use axum::response::IntoResponse;
                match tokio::task::spawn_blocking(move || answer(&store, &body, cap))
                    .await
                    .expect("query task")
                {
                    Ok((content_type, body)) => {
                        ([("content-type", content_type)], body).into_response()
                    }
                    Err(e) => (axum::http::StatusCode::BAD_REQUEST, e).into_response(),
                }
            }
        }),
    );
    let (addr, stop) = common::serve_on_thread(app);
    FakeEndpoint {
        url: format!("http://{addr}/sparql"),
        _stop: stop,
    }
}

/// The in-process endpoint over the fixture graph (shared by the tests of this binary).
fn fixture_endpoint() -> &'static str {
    static E: std::sync::OnceLock<FakeEndpoint> = std::sync::OnceLock::new();
    &E.get_or_init(|| fake_endpoint(common::knowledge().store().clone()))
        .url
}

/// Sentences over the fixture graph (their statuses are whatever the in-process run says).
const FIXTURE_SENTENCES: &[&str] = &[
    "Nairobi is Kenya's capital.",
    "The capital of France is Berlin.",
    "Paris is in France.",
    "Paris, Texas is in the United States.",
    "Germany borders France.",
    "The currency of Kenya is the euro.",
    "Kenya has a population of 30 million.",
    "Berlin has a famous zoo.",
];

/// A graph both in process and behind an endpoint, with sentences to check through both.
struct Case {
    local: Arc<Knowledge>,
    endpoint: String,
    /// Sentence and, where known, the status it must get.
    sentences: Vec<(&'static str, Option<&'static str>)>,
    /// `factgate check` arguments for the in-process graph and for the endpoint.
    local_args: Vec<String>,
    remote_args: Vec<String>,
    _config: Option<tempfile::TempDir>,
}

/// The fixture graph through the in-process endpoint (always), and the default graph through
/// the real endpoint when there is one (with the default settings and the verifier on).
fn cases() -> Vec<Case> {
    let config = tempfile::tempdir().expect("tempdir");
    let path = config.path().join("remote.toml");
    std::fs::write(
        &path,
        format!(
            "[graph]\nendpoint = \"{}\"\npage_size = 7\n",
            fixture_endpoint()
        ),
    )
    .expect("write config");
    let fixture = common::fixture_graph().display().to_string();
    let mut out = vec![Case {
        local: common::knowledge(),
        endpoint: fixture_endpoint().to_string(),
        sentences: FIXTURE_SENTENCES.iter().map(|s| (*s, None)).collect(),
        local_args: [
            "--verifier",
            "off",
            "--no-default-graph",
            "--knowledge",
            &fixture,
        ]
        .map(String::from)
        .to_vec(),
        remote_args: vec![
            "--verifier".into(),
            "off".into(),
            "--config".into(),
            path.display().to_string(),
        ],
        _config: Some(config),
    }];
    if let Some(url) = real_endpoint() {
        out.push(Case {
            local: default_graph::kg(),
            sentences: default_graph::SENTENCES
                .iter()
                .map(|(s, w)| (*s, Some(*w)))
                .collect(),
            local_args: vec![
                "--knowledge".into(),
                default_graph::knowledge_dir().display().to_string(),
            ],
            remote_args: vec!["--sparql-endpoint".into(), url.clone()],
            endpoint: url,
            _config: None,
        });
    }
    out
}

/// A TCP proxy in front of an endpoint that the test can cut (connections refused and open
/// ones dropped) and restore.
struct Proxy {
    url: String,
    cut: Arc<AtomicBool>,
    generation: tokio::sync::watch::Sender<u64>,
}

impl Proxy {
    fn start(upstream: &str) -> Self {
        let rest = upstream.strip_prefix("http://").expect("http:// endpoint");
        let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
        let upstream_addr = authority.to_string();
        let cut = Arc::new(AtomicBool::new(false));
        let (generation, _) = tokio::sync::watch::channel(0u64);
        let (url_tx, url_rx) = std::sync::mpsc::channel();
        let (cut2, gen2) = (cut.clone(), generation.clone());
        let path = path.to_string();
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .expect("runtime");
            rt.block_on(async move {
                let l = tokio::net::TcpListener::bind("127.0.0.1:0")
                    .await
                    .expect("bind");
                url_tx
                    .send(format!("http://{}/{path}", l.local_addr().expect("addr")))
                    .expect("send");
                loop {
                    let Ok((mut client, _)) = l.accept().await else {
                        continue;
                    };
                    if cut2.load(Ordering::SeqCst) {
                        drop(client);
                        continue;
                    }
                    let mut killed = gen2.subscribe();
                    let upstream_addr = upstream_addr.clone();
                    tokio::spawn(async move {
                        let Ok(mut upstream) = tokio::net::TcpStream::connect(&upstream_addr).await
                        else {
                            return;
                        };
                        tokio::select! {
                            _ = tokio::io::copy_bidirectional(&mut client, &mut upstream) => {}
                            _ = killed.changed() => {}
                        }
                    });
                }
            });
        });
        Self {
            url: url_rx.recv().expect("proxy up"),
            cut,
            generation,
        }
    }

    fn cut(&self) {
        self.cut.store(true, Ordering::SeqCst);
        self.generation.send_modify(|g| *g += 1);
    }

    fn restore(&self) {
        self.cut.store(false, Ordering::SeqCst);
    }
}

fn settings(url: &str) -> RemoteSettings {
    RemoteSettings::new(url)
}

/// Loads the index from `url` on a plain thread (the blocking HTTP client stays out of async
/// contexts).
fn index_from(s: RemoteSettings) -> (Arc<RemoteGraph>, Knowledge) {
    std::thread::spawn(move || {
        let r = RemoteGraph::new(s).expect("client");
        let kg = r.load_knowledge().expect("index from the endpoint");
        (Arc::new(r), kg)
    })
    .join()
    .expect("index thread")
}

/// What linking knows about an entity, independent of ids.
fn entity_view(kg: &Knowledge) -> BTreeMap<String, (String, Vec<String>, Vec<String>, bool)> {
    kg.entities
        .iter()
        .map(|e| {
            let mut types = e.types.clone();
            types.sort();
            types.dedup();
            let mut labels = e.folded_labels.clone();
            labels.sort();
            (
                e.iri.clone(),
                (e.label.clone(), labels, types, e.common_noun),
            )
        })
        .collect()
}

#[test]
fn remote_index_is_the_in_process_index() {
    for case in cases() {
        let (local, url) = (case.local.clone(), case.endpoint.clone());
        let (_, kg) = index_from(settings(&url));
        let (a, b) = (entity_view(&local), entity_view(&kg));
        assert_eq!(a.len(), b.len(), "{url}: entity count");
        for (iri, e) in &a {
            assert_eq!(Some(e), b.get(iri), "{url}: {iri}");
        }
        for (l, r) in local.entities.iter().zip(&kg.entities) {
            let r2 = kg.entity(&l.iri).expect("same entities");
            assert_eq!(l.rank, r2.rank, "{url}: rank of {}", l.iri);
            let _ = r;
        }
        assert_eq!(local.predicates.len(), kg.predicates.len(), "{url}");
        for p in &local.predicates {
            let q = kg.predicate(&p.iri).expect("same lexicon");
            assert_eq!(
                (
                    &p.phrases,
                    &p.subject_types,
                    &p.object_types,
                    p.kind,
                    p.functional
                ),
                (
                    &q.phrases,
                    &q.subject_types,
                    &q.object_types,
                    q.kind,
                    q.functional
                ),
                "{url}: {}",
                p.iri
            );
            assert_eq!(
                (
                    &p.unit,
                    p.tolerance,
                    p.abs_tolerance,
                    p.contradiction_factor
                ),
                (
                    &q.unit,
                    q.tolerance,
                    q.abs_tolerance,
                    q.contradiction_factor
                ),
                "{url}: {}",
                p.iri
            );
        }
        // Mentions, phrases and values are found the same way in every sentence.
        for (sentence, _) in &case.sentences {
            let iris = |kg: &Knowledge| -> Vec<(usize, usize, Vec<String>)> {
                kg.find_entities(sentence)
                    .into_iter()
                    .map(|h| {
                        (
                            h.start,
                            h.end,
                            h.candidates
                                .iter()
                                .map(|&c| kg.entities[c as usize].iri.clone())
                                .collect(),
                        )
                    })
                    .collect()
            };
            assert_eq!(iris(&local), iris(&kg), "{url}: {sentence}");
            let phrases = |kg: &Knowledge| -> Vec<(usize, usize, Vec<String>)> {
                kg.find_phrases(sentence)
                    .into_iter()
                    .map(|(s, e, ps)| {
                        (
                            s,
                            e,
                            ps.iter().map(|&p| kg.predicates[p].iri.clone()).collect(),
                        )
                    })
                    .collect()
            };
            assert_eq!(phrases(&local), phrases(&kg), "{url}: {sentence}");
            assert_eq!(
                local.find_values(sentence).len(),
                kg.find_values(sentence).len(),
                "{url}: {sentence}"
            );
        }
        assert_eq!(kg.snapshot.len(), 64, "sha256 hex by default");
    }
}

/// A literal's value, numbers compared by value (stores may write `0.0` as `0`).
fn same_object(a: &serde_json::Value, b: &serde_json::Value) -> bool {
    match (
        a.as_str().and_then(|s| s.parse::<f64>().ok()),
        b.as_str().and_then(|s| s.parse::<f64>().ok()),
    ) {
        (Some(x), Some(y)) => x == y,
        _ => a == b,
    }
}

fn strs(a: &[String]) -> Vec<&str> {
    a.iter().map(String::as_str).collect()
}

fn check_json(args: &[&str], text: &str) -> serde_json::Value {
    let out = common::factgate_bin()
        .args(["check", "--json"])
        .args(args)
        .arg(text)
        .output()
        .expect("runs");
    serde_json::from_str(&common::stdout_ok(out)).expect("json")
}

#[test]
fn sentences_through_an_endpoint_get_the_in_process_statuses_and_evidence() {
    for case in cases() {
        let url = &case.endpoint;
        let text: String = case
            .sentences
            .iter()
            .map(|(s, _)| *s)
            .collect::<Vec<_>>()
            .join("\n");
        let local = check_json(&strs(&case.local_args), &text);
        let via = check_json(&strs(&case.remote_args), &text);
        let (lc, rc) = (
            local["claims"].as_array().expect("claims"),
            via["claims"].as_array().expect("claims"),
        );
        assert_eq!(lc.len(), rc.len());
        for ((l, r), (sentence, want)) in lc.iter().zip(rc).zip(&case.sentences) {
            if let Some(want) = want {
                assert_eq!(
                    r["status"], *want,
                    "{url}: {sentence}: {}",
                    r["explanation"]
                );
            }
            assert_eq!(l["status"], r["status"], "{url}: {sentence}");
            // The same facts; a predicate's values are unordered in RDF, so each side's come
            // in its store's order ("Russia is in Africa.": Europe and Asia).
            let in_order = |v: &serde_json::Value| {
                let mut facts = v.as_array().expect("evidence").clone();
                facts.sort_by_key(|f| {
                    ["subject", "predicate", "object_label"].map(|k| f[k].to_string())
                });
                facts
            };
            let (le, re) = (in_order(&l["evidence"]), in_order(&r["evidence"]));
            assert_eq!(le.len(), re.len(), "{url}: {sentence}: {le:?} vs {re:?}");
            for (a, b) in le.iter().zip(re) {
                for key in [
                    "subject",
                    "predicate",
                    "graph",
                    "subject_label",
                    "object_label",
                ] {
                    assert_eq!(a[key], b[key], "{url}: {sentence}: {key}");
                }
                assert!(
                    same_object(&a["object"], &b["object"]),
                    "{url}: {sentence}: {} vs {}",
                    a["object"],
                    b["object"]
                );
                if a["text"] != b["text"] {
                    eprintln!(
                        "NOTE {url}: {sentence}: verbalized differently (another fg:template): {} / {}",
                        a["text"], b["text"]
                    );
                }
            }
        }
        let graph = via["versions"]["graph"].as_str().expect("graph version");
        assert_eq!(graph.len(), 64, "{graph}");
        assert_ne!(graph, local["versions"]["graph"].as_str().expect("local"));
    }
}

fn request(text: &str, policy: &str) -> CheckRequest {
    CheckRequest {
        response: text.into(),
        policy: policy.into(),
        ..Default::default()
    }
}

async fn health(url: &str) -> i32 {
    let channel = tonic::transport::Channel::from_shared(url.to_string())
        .expect("url")
        .connect()
        .await
        .expect("connect");
    let mut c = tonic_health::pb::health_client::HealthClient::new(channel);
    c.check(tonic_health::pb::HealthCheckRequest {
        service: String::new(),
    })
    .await
    .expect("health")
    .into_inner()
    .status
}

async fn readyz(addr: std::net::SocketAddr) -> u16 {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut s = tokio::net::TcpStream::connect(addr).await.expect("connect");
    s.write_all(b"GET /readyz HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
        .await
        .expect("write");
    let mut out = String::new();
    s.read_to_string(&mut out).await.expect("read");
    out.split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .expect("status")
}

/// Polls `f` until it returns `want` (at most `within`).
async fn eventually<T: PartialEq + std::fmt::Debug, F: std::future::Future<Output = T>>(
    want: T,
    within: Duration,
    mut f: impl FnMut() -> F,
) {
    let end = Instant::now() + within;
    loop {
        let got = f().await;
        if got == want {
            return;
        }
        assert!(Instant::now() < end, "still {got:?}, wanted {want:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn endpoint_cut_mid_run_is_internal_error_audited_then_recovers() {
    use tonic_health::pb::health_check_response::ServingStatus;
    // The real endpoint when there is one, else the in-process one.
    let upstream = real_endpoint().unwrap_or_else(|| fixture_endpoint().to_string());
    let proxy = Proxy::start(&upstream);
    let dir = tempfile::tempdir().expect("tempdir");
    let audit = common::audit_config(dir.path());
    let mut s = settings(&proxy.url);
    s.breaker_failures = 2;
    s.breaker_cooldown = Duration::from_millis(500);
    let loader: factgate::serve::Loader = Box::new(move || {
        let remote = Arc::new(RemoteGraph::new(s).map_err(|e| e.to_string())?);
        let kg = Arc::new(remote.load_knowledge().map_err(|e| e.to_string())?);
        Ok(Checker::new(
            kg,
            remote,
            common::profiles("[profiles.open]\non_error = \"fail_open\"\n"),
            Some(Arc::new(
                factgate::audit::AuditLog::open(audit).expect("audit"),
            )),
        ))
    });
    let (stop, join, http_addr, url) = crate::http::start_with(loader, Default::default()).await;
    let mut client = factgate::pb::guard_client::GuardClient::connect(url.clone())
        .await
        .expect("connect");
    let sentence = "Nairobi is the capital of Kenya.";

    let ok = client
        .check(request(sentence, ""))
        .await
        .expect("answer")
        .into_inner();
    assert_eq!(ok.verdict(), Verdict::Allow, "{ok:?}");
    assert_eq!(readyz(http_addr).await, 200);

    proxy.cut();
    let r = client
        .check(request(sentence, ""))
        .await
        .expect("answer")
        .into_inner();
    assert_eq!(r.verdict(), Verdict::Block, "fail_closed by default: {r:?}");
    assert_eq!(r.reasons[0].code, "INTERNAL_ERROR");
    assert!(
        r.reasons[0].message.contains("SPARQL endpoint"),
        "{}",
        r.reasons[0].message
    );
    let r = client
        .check(request(sentence, "open"))
        .await
        .expect("answer")
        .into_inner();
    assert_eq!(r.verdict(), Verdict::Allow, "fail_open lets it pass ...");
    assert_eq!(r.reasons[0].code, "INTERNAL_ERROR", "... and says why");
    // Two failed queries in a row: the breaker is open, queries fail at once.
    let t = Instant::now();
    let r = client
        .check(request(sentence, ""))
        .await
        .expect("answer")
        .into_inner();
    assert_eq!(r.reasons[0].code, "INTERNAL_ERROR");
    assert!(
        r.reasons[0].message.contains("circuit breaker open"),
        "{}",
        r.reasons[0].message
    );
    assert!(t.elapsed() < Duration::from_millis(300), "fails fast");
    eventually(
        ServingStatus::NotServing as i32,
        Duration::from_secs(5),
        || health(&url),
    )
    .await;
    assert_eq!(readyz(http_addr).await, 503);

    // Back: after the cool-down the watch's probe closes the breaker.
    proxy.restore();
    eventually(
        ServingStatus::Serving as i32,
        Duration::from_secs(10),
        || health(&url),
    )
    .await;
    assert_eq!(readyz(http_addr).await, 200);
    let r = client
        .check(request(sentence, ""))
        .await
        .expect("answer")
        .into_inner();
    assert_eq!(r.verdict(), Verdict::Allow, "recovered: {r:?}");

    let _ = stop.send(());
    join.await.expect("server task").expect("clean stop");
    let records = common::audit_records(&dir.path().join("audit.jsonl"));
    assert_eq!(records.len(), 5, "every check audited");
    let errors: Vec<&str> = records.iter().filter_map(|r| r["error"].as_str()).collect();
    assert_eq!(errors.len(), 3, "{records:?}");
    assert!(errors.iter().all(|e| e.contains("SPARQL endpoint")));
    assert_eq!(records[1]["verdict"], "block");
    assert_eq!(records[2]["verdict"], "allow");
}

#[test]
fn index_refresh_picks_up_new_labels_and_changes_the_version() {
    // Its own store: the fixture graph, which this test then changes.
    let store = Knowledge::load(&[common::fixture_graph()])
        .expect("fixture")
        .store()
        .clone();
    let endpoint = fake_endpoint(store.clone());
    // Small pages: paging is exercised (and must stop only on an empty page).
    let mut small = settings(&endpoint.url);
    small.page_size = 7;
    let (remote, kg) = index_from(small);
    let before = kg.snapshot.clone();
    let checker = Checker::new(Arc::new(kg), remote.clone(), common::profiles(""), None);
    let status = |c: &Checker| {
        c.check(&CheckInput {
            response: "Freedonia is in Europe.".into(),
            ..Default::default()
        })
        .expect("checked")
        .claims[0]
            .status
    };
    let c = Arc::new(checker);
    let c2 = c.clone();
    let first = std::thread::spawn(move || status(&c2))
        .join()
        .expect("check");
    assert_eq!(first, factgate::reason::Status::Unverifiable);

    store
        .load_from_reader(
            oxigraph::io::RdfParser::from_format(oxigraph::io::RdfFormat::TriG),
            r#"@prefix fg: <https://factgate.dev/ns#> .
               @prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
               @prefix schema: <https://schema.org/> .
               <https://factgate.dev/graph/freedonia> {
                 <https://factgate.dev/id/country/FD> a schema:Country ;
                   rdfs:label "Freedonia" ;
                   fg:continent <https://factgate.dev/id/continent/EU> .
               }"#
            .as_bytes(),
        )
        .expect("insert");
    let (r, h) = (remote.clone(), c.knowledge_handle());
    let changed = std::thread::spawn(move || factgate::remote::refresh_once(&r, &h))
        .join()
        .expect("refresh")
        .expect("refreshed");
    assert!(changed);
    assert_ne!(c.knowledge().snapshot, before, "new index, new version");
    let c2 = c.clone();
    let second = std::thread::spawn(move || status(&c2))
        .join()
        .expect("check");
    assert_eq!(second, factgate::reason::Status::Supported);
    let (r, h) = (remote.clone(), c.knowledge_handle());
    let again = std::thread::spawn(move || factgate::remote::refresh_once(&r, &h))
        .join()
        .expect("refresh")
        .expect("refreshed");
    assert!(!again, "same content, same version: nothing swapped");

    // A configured version is used as given.
    let mut s = settings(&endpoint.url);
    s.version = Some("kg-2026-05".into());
    let (_, kg) = index_from(s);
    assert_eq!(kg.snapshot, "kg-2026-05");
    assert_eq!(remote.client().breaker().state(), BreakerState::Closed);
}

#[test]
fn an_endpoint_that_caps_rows_below_the_page_size_still_gives_the_whole_index() {
    // 5 rows per answer, whatever LIMIT asks: pages come back short, and only an empty page
    // ends a pattern.
    let endpoint = capped_endpoint(common::knowledge().store().clone(), 5);
    let (_, kg) = index_from(settings(&endpoint.url));
    let local = common::knowledge();
    assert_eq!(entity_view(&local), entity_view(&kg));
    assert_eq!(local.predicates.len(), kg.predicates.len());
}
