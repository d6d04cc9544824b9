//! End-to-end `Check` over gRPC with the verifier on, the raw model time of the same pairs, and a
//! side-by-side Python baseline.
//!
//! `cargo bench --bench e2e` starts the real server in-process on `127.0.0.1:0` (default graph
//! `knowledge/`, verifier on the CPU with the default workers — one single-threaded ONNX session
//! per core — audit log with the default `batch` sync in a temp dir), waits for SERVING through health, and for responses of 1, 5 and 20 claims
//! at concurrency 1 and 16 prints p50 / p99 latency and throughput, the server's own stage timings
//! (`CheckResponse.timings`) averaged, and the time the ONNX session spent inside the server.
//! Then, with the server stopped, it times the raw model on exactly the pairs the server sent
//! (batched as the server batches them, on as many sessions in parallel as the server has
//! workers, and as one padded batch per response on one session), writes those pairs
//! to `target/bench-pairs.json`, and runs `benches/python_baseline.py` on them (PyTorch fp32 and
//! onnxruntime-python) for the side-by-side table. Figures, not assertions: the machine is shared
//! and noisy, so every figure is printed with the load average and the share of the CPUs other
//! processes took while it was measured. Results and analysis: `benches/README.md`.
//!
//! What a claim costs: the response carries one context passage, so the verifier reads every
//! claim against its best-matching passage sentence (when it shares a content word with it), plus
//! its verbalized graph facts when the claim links to some: 0 to 2 (premise, claim) pairs per
//! claim (1.47 on average here), each one ORT run on CPU (the production row limit: 0 = by
//! provider, 1 on CPU).
//!
//! The no-context row: the 5-claim responses with no `context` at all, at concurrency 1 (the
//! goal of issue #11 is for this shape): only claims that link to graph facts are read by the
//! verifier, one pair each.
//!
//! The long-context row: a 5-claim answer about a made-up city ([`LONG_ANSWER`]) checked against
//! four encyclopedic passages of about 1,500 MiniLM tokens in all ([`LONG_CONTEXT`]), at
//! concurrency 1 and 16, with the same columns, plus its pairs per claim: the (premise, claim)
//! pairs `Checker::verifier_pairs` plans for the request divided by its claims (and, as a check,
//! the rows the server's model ran per response divided by the same).
//!
//! Knobs (environment): `FACTGATE_BENCH_SCALE` multiplies the request counts (default 1);
//! `FACTGATE_BENCH_PYTHON` is the Python to run the baseline with (default the training venv
//! `models/train/.venv/bin/python`; `0` skips it).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use factgate::audit::{AuditConfig, AuditLog};
use factgate::calibrate::Calibration;
use factgate::config::{Config, FileConfig};
use factgate::knowledge::Knowledge;
use factgate::pb;
use factgate::pb::guard_client::GuardClient;
use factgate::pipeline::{CheckInput, Checker, Passage};
use factgate::verify::{self, Backend, Batch, Encoded, OrtBackend, Verifier, VerifyError};
use serde_json::{json, Value};
use tokenizers::Tokenizer;
use tonic::transport::Channel;

#[path = "../tests/common/health.rs"]
mod health;
use health::wait_serving;

/// Sentences responses are built from: graph facts (true and false), claims the graph cannot
/// decide, and free text. Response `i` of size `k` is sentences `i..i+k` (wrapping), so every
/// sentence appears equally often at every size.
const SENTENCES: &[&str] = &[
    "Nairobi is the capital of Kenya.",
    "Iron has the atomic number 26.",
    "Mount Everest is the highest mountain on Earth.",
    "Kenya is in Africa.",
    "Tokyo has about 37 million inhabitants.",
    "Many travellers visit Nairobi National Park every year.",
    "The capital of France is Paris.",
    "Gold has the chemical symbol Au.",
    "The Amazon rainforest produces a large share of the oxygen on the planet.",
    "Berlin is the capital of Germany.",
    "Canberra is the capital of Australia.",
    "Iron is a metal that rusts when it is exposed to moisture.",
    "Oxygen has the atomic number 8.",
    "Japan uses the yen as its currency.",
    "Lagos is the capital of Nigeria.",
    "The river Nile flows north through Egypt.",
    "Helium was discovered in 1868.",
    "Spain is in Europe.",
    "Water boils at 100 degrees Celsius at sea level.",
    "Cairo has more than 7 million inhabitants.",
    "The Eiffel Tower attracts millions of visitors each year.",
    "Copper has the symbol Cu.",
    "Mexico City is the capital of Mexico.",
    "Brazil is the largest country in South America.",
];

/// The context passage sent with every request (retrieval-augmented generation).
const CONTEXT: &str =
    "Kenya is a country in East Africa. Its capital and largest city is Nairobi. \
    Iron is a chemical element with the symbol Fe and atomic number 26. \
    Mount Everest is the highest mountain above sea level. \
    The Amazon is the largest tropical rainforest in the world. \
    Tokyo is the capital of Japan.";

/// The long-context row's context: four encyclopedic passages about a made-up harbour city
/// (written for this bench), sent as four `context` passages — 1,476 MiniLM tokens, 1,282 words
/// in all (the bench prints the count it measures).
const LONG_CONTEXT: &[(&str, &str)] = &[
    (
        "city-history",
        "Halvorsund is a harbour city on the western shore of a long, narrow fjord, about forty \
        kilometres from the open sea. The old town sits on a low peninsula between two rivers, the \
        Strand and the Ossa, which meet below the cathedral hill before they flow into the harbour \
        basin. Steep wooded slopes rise behind the city to a plateau of lakes and moorland. In \
        winter the fjord rarely freezes, because a branch of a warm ocean current reaches its mouth. \
        The settlement is first mentioned in a church record of 1183, which describes a fishing \
        village of some thirty households gathered around a wooden chapel. Over the next two \
        centuries it grew into a market town where farmers from the inland valleys traded wool, \
        hides and timber for salted fish and imported grain. A charter granted in 1342 gave the \
        merchants the right to elect their own council and to collect a toll on every ship that \
        anchored in the harbour. Much of the medieval town burned in the great fire of 1716, which \
        started in a bakery near the fish market and spread along the wooden quays for three days. \
        The council rebuilt the centre in stone and brick on a regular grid of streets, and several \
        warehouses from that period still stand along the eastern quay. During the nineteenth \
        century Halvorsund became an industrial centre with shipyards, a rope works and two large \
        canneries, and its population rose from about 9,000 in 1820 to more than 60,000 by 1900. \
        Today the municipality has roughly 214,000 inhabitants, which makes it the third largest \
        city in the region, while the wider metropolitan area is home to about 310,000 people. The \
        name is usually explained as the sound of Halvor, after a landowner who is said to have held \
        the peninsula before the town existed, although historians regard the story as a later \
        invention. Between 1640 and 1660 the town was occupied twice during wars between \
        neighbouring kingdoms, and its fortress on the northern headland dates from that time.",
    ),
    (
        "city-economy",
        "The port remains the backbone of the local economy. It handles around 14 million tonnes of \
        cargo a year, most of it containers, forest products and refined fuel. It is also the \
        busiest ferry harbour on the coast, with daily crossings to three island communities and a \
        weekly service abroad. In 1994 the container terminal moved from the old inner harbour to a \
        deep-water site at Kvarnvik, twelve kilometres further down the fjord, so that the largest \
        vessels can call without waiting for the tide. Shipbuilding declined sharply in the 1980s \
        and the last of the big yards closed in 1991, although several smaller firms still build and \
        repair fishing boats, research ships and offshore supply vessels. The city council estimates \
        that about one job in six is linked to the sea, counting fishing, fish processing, \
        logistics, marine engineering and the ferry lines. In recent decades the economy has \
        broadened. A technology park opened next to the university in 2003 and now hosts more than \
        120 companies, many of them working on sensors, ocean monitoring and software for shipping. \
        Tourism has grown as well: cruise ships brought some 280,000 passengers in the last season \
        before the pandemic, and the old warehouse district has been turned into a quarter of \
        restaurants, galleries and small shops. The largest private employer is Nordlys Foods, a \
        seafood company founded in the city in 1957, which employs about 2,300 people in its \
        processing plants and its head office. Unemployment has stayed below the national average \
        for most of the last twenty years, although wages in the fishing industry remain lower than \
        in the technology sector. The port authority plans to extend the quays at Kvarnvik by \
        another 400 metres before 2030 and to supply shore power to all berths, so that ships \
        alongside can switch off their engines. Fish farming in the outer fjord has also grown \
        quickly, although it remains controversial because of its effect on wild salmon in the \
        rivers.",
    ),
    (
        "city-transport",
        "Public transport in Halvorsund is run by a company that the city and the county own \
        together. The tram system opened in 1904 and was electric from the start. It has four lines \
        with a combined length of about 27 kilometres and carries roughly 31 million passengers a \
        year. Trams run every six minutes on the two central lines during the day and every quarter \
        of an hour in the evening. A fleet of some 190 buses serves the suburbs and the surrounding \
        villages. Since 2021 all city buses have been battery electric, charged overnight at two \
        depots and at fast chargers at the main terminals. Bicycles are common despite the hills: \
        the city has built more than 80 kilometres of separated cycle paths, and a bike sharing \
        scheme with 1,400 bicycles started in 2016. The central railway station, rebuilt in 1938 in \
        a functionalist style, has direct trains to the capital, a journey of just under five hours, \
        as well as regional trains along the coast. The airport lies on a plateau 18 kilometres \
        north of the centre. In its busiest year it handled about 4.5 million passengers, with most \
        flights going to the capital and to a handful of European hubs. A road tunnel under the \
        fjord, opened in 2008, cut the drive to the southern districts from forty minutes to about \
        ten, and its tolls paid for the construction within fifteen years. Ferries to the islands \
        leave from the inner harbour, a short walk from the tram stop at the fish market. A second \
        road tunnel, to the western suburbs, has been planned since 2015 but has not yet been \
        approved. During the summer months a water bus links the old town with the beaches on the \
        northern side of the fjord, and it is popular with residents and visitors alike.",
    ),
    (
        "city-culture",
        "The University of Halvorsund was founded in 1897 as a college of navigation and engineering \
        and received full university status in 1946. It now has about 18,000 students and is known \
        in particular for marine biology, naval architecture and climate research. Its research \
        station on the outer islands has recorded the sea temperature every day since 1925. The city \
        also has a school of art and design, a music conservatory and a large vocational college. \
        The cathedral, a Romanesque stone church begun in the late twelfth century, is the oldest \
        building in the city and survived the fire of 1716 with only its roof damaged. The maritime \
        museum, housed in a former cannery on the eastern quay, tells the history of fishing and \
        shipbuilding on the coast and keeps a restored steam trawler that visitors can board in the \
        summer. Every August the city holds a harbour festival that lasts ten days and draws about \
        150,000 visitors to concerts, boat races and a market along the quays. The symphony \
        orchestra, founded in 1919, plays in a concert hall that opened on the waterfront in 2012, \
        and its glass front has become one of the most photographed views of the city. The local \
        football club has played in the top division for most seasons since the 1970s and has won \
        the national championship twice. Halvorsund is often called the rainiest city in the \
        country. It receives about 2,200 millimetres of precipitation a year, spread over more than \
        two hundred wet days, which local people describe with a mixture of pride and resignation. \
        The public library, which moved into a new building next to the railway station in 2019, \
        lends more than a million items a year. The city's best known writer, the poet Ingrid \
        Mossberg, lived in a house on the cathedral hill that is now a small museum dedicated to her \
        work.",
    ),
];

/// The long-context row's answer: one claim per sentence — three supported paraphrases (the
/// twelfth-century fishing village, the cargo tonnage, the four tram lines), one contradiction
/// (the university was founded in 1897, not 1921) and one addition the passages do not support.
const LONG_ANSWER: &str = "Halvorsund began as a small fishing village in the twelfth century. \
    The port handles about 14 million tonnes of cargo every year. \
    The city's tram network consists of four lines. \
    The University of Halvorsund was founded in 1921. \
    Halvorsund hosted the European Rowing Championships in 2014.";

/// Requests of the long-context row at concurrency 1 and 16 (as the 5-claim row).
const LONG_PLAN: (usize, usize) = (300, 400);

/// (claims per response, requests at concurrency 1, requests at concurrency 16).
const PLAN: &[(usize, usize, usize)] = &[(1, 300, 600), (5, 300, 400), (20, 100, 160)];
const CONCURRENCY: [usize; 2] = [1, 16];

fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|| "?".into())
}

/// CPU ticks of the whole machine and of this process, to tell how much of the machine other
/// processes took during a measurement (the load average alone lags by a minute).
#[derive(Debug, Clone, Copy, Default)]
struct CpuSnap {
    busy: u64,
    total: u64,
    own: u64,
}

impl CpuSnap {
    fn now() -> Self {
        let stat = std::fs::read_to_string("/proc/stat").unwrap_or_default();
        let cpu: Vec<u64> = stat
            .lines()
            .next()
            .unwrap_or_default()
            .split_whitespace()
            .skip(1)
            .filter_map(|v| v.parse().ok())
            .collect();
        // user nice system idle iowait irq softirq steal ...
        let field = |i: usize| cpu.get(i).copied().unwrap_or(0);
        let busy = field(0) + field(1) + field(2) + field(5) + field(6) + field(7);
        let total = busy + field(3) + field(4);
        // /proc/self/stat: utime and stime are fields 14 and 15, counted after the ")" of comm.
        let own = std::fs::read_to_string("/proc/self/stat")
            .ok()
            .and_then(|s| {
                let rest = s.rsplit_once(')')?.1.to_string();
                let f: Vec<u64> = rest
                    .split_whitespace()
                    .map(|v| v.parse().unwrap_or(0))
                    .collect();
                Some(f.get(11)? + f.get(12)?)
            })
            .unwrap_or(0);
        Self { busy, total, own }
    }

    /// "load a b c, others x % of the CPUs" since `self`.
    fn load_since(&self) -> String {
        let now = Self::now();
        let total = now.total.saturating_sub(self.total).max(1) as f64;
        let others =
            now.busy.saturating_sub(self.busy) as f64 - now.own.saturating_sub(self.own) as f64;
        format!(
            "load {}, others {:.0} %",
            loadavg(),
            (100.0 * others / total).max(0.0)
        )
    }
}

fn scale() -> f64 {
    std::env::var("FACTGATE_BENCH_SCALE")
        .ok()
        .and_then(|s| s.parse().ok())
        .filter(|s: &f64| *s > 0.0)
        .unwrap_or(1.0)
}

fn scaled(n: usize) -> usize {
    ((n as f64 * scale()).round() as usize).max(10)
}

fn response_text(size: usize, variant: usize) -> String {
    (0..size)
        .map(|j| SENTENCES[(variant + j) % SENTENCES.len()])
        .collect::<Vec<_>>()
        .join(" ")
}

fn check_request(response: String, context: &[(&str, &str)]) -> pb::CheckRequest {
    pb::CheckRequest {
        response,
        context: context
            .iter()
            .map(|&(id, text)| pb::Passage {
                id: id.into(),
                text: text.into(),
            })
            .collect(),
        labels: [("tenant".to_string(), "bench".to_string())].into(),
        ..Default::default()
    }
}

fn request(size: usize, variant: usize) -> pb::CheckRequest {
    check_request(response_text(size, variant), &[("doc-1", CONTEXT)])
}

/// The no-context row's request: the same responses with no `context` (the graph's facts are
/// the only evidence; a claim that links to none is not read by the verifier at all).
fn no_context_request(size: usize, variant: usize) -> pb::CheckRequest {
    check_request(response_text(size, variant), &[])
}

/// The long-context row's request (one variant: [`LONG_ANSWER`] against [`LONG_CONTEXT`]).
fn long_context_request(_size: usize, _variant: usize) -> pb::CheckRequest {
    check_request(LONG_ANSWER.into(), LONG_CONTEXT)
}

// ---------------------------------------------------------------------------------------------
// Model time inside the server: the real ORT backend, wrapped to time each batch.

#[derive(Debug, Clone)]
struct BatchRecord {
    /// When the run started.
    start: Instant,
    rows: usize,
    cols: usize,
    micros: u64,
    /// Unpadded token ids of each row (only while capturing, to check the pairs).
    ids: Option<Vec<Vec<i64>>>,
}

#[derive(Default)]
struct Recorder {
    batches: Mutex<Vec<BatchRecord>>,
    capture_ids: AtomicBool,
}

impl Recorder {
    fn take(&self) -> Vec<BatchRecord> {
        std::mem::take(&mut *self.batches.lock().expect("recorder lock; this is a bug"))
    }
}

/// The server's own ORT backend, timed around `predict` (an `Instant` pair and a push per batch).
struct Recording {
    inner: OrtBackend,
    rec: Arc<Recorder>,
}

/// Wall time during which at least one worker ran the model (the union of the runs' intervals):
/// with several workers the runs of one request overlap.
fn model_wall_ms(runs: &[BatchRecord]) -> f64 {
    let mut iv: Vec<(Instant, Instant)> = runs
        .iter()
        .map(|r| {
            (
                r.start,
                r.start + std::time::Duration::from_micros(r.micros),
            )
        })
        .collect();
    iv.sort();
    let mut total = std::time::Duration::ZERO;
    let mut current: Option<(Instant, Instant)> = None;
    for (s, e) in iv {
        current = match current {
            Some((cs, ce)) if s <= ce => Some((cs, ce.max(e))),
            Some((cs, ce)) => {
                total += ce - cs;
                Some((s, e))
            }
            None => Some((s, e)),
        };
    }
    if let Some((cs, ce)) = current {
        total += ce - cs;
    }
    total.as_secs_f64() * 1e3
}

fn unpadded_rows(b: &Batch) -> Vec<Vec<i64>> {
    (0..b.rows)
        .map(|r| {
            let row = r * b.cols..(r + 1) * b.cols;
            let len = b.attention_mask[row.clone()]
                .iter()
                .filter(|&&m| m == 1)
                .count();
            b.input_ids[row][..len].to_vec()
        })
        .collect()
}

impl Backend for Recording {
    fn predict(&mut self, b: &Batch) -> Result<Vec<[f32; 3]>, VerifyError> {
        let start = Instant::now();
        let out = self.inner.predict(b);
        let micros = start.elapsed().as_micros() as u64;
        let ids = self
            .rec
            .capture_ids
            .load(Ordering::Relaxed)
            .then(|| unpadded_rows(b));
        self.rec
            .batches
            .lock()
            .expect("recorder lock; this is a bug")
            .push(BatchRecord {
                start,
                rows: b.rows,
                cols: b.cols,
                micros,
                ids,
            });
        out
    }
}

// ---------------------------------------------------------------------------------------------
// The pairs the pipeline sends come from `Checker::verifier_pairs` (the planning code the server
// runs), and are checked token for token against what the server's backend received.

fn pipeline_pairs(
    checker: &Checker,
    response: &str,
    context: &[(&str, &str)],
) -> Vec<(String, String)> {
    let input = CheckInput {
        response: response.into(),
        context: context
            .iter()
            .map(|&(id, text)| Passage {
                id: id.into(),
                text: text.into(),
            })
            .collect(),
        ..CheckInput::default()
    };
    checker
        .verifier_pairs(&input)
        .expect("the default graph answers the bench claims")
}

/// As `Verifier::encode`.
fn encode(tok: &Tokenizer, premise: &str, hypothesis: &str) -> Encoded {
    let enc = tok
        .encode((premise, hypothesis), true)
        .expect("tokenizer encodes a bench pair");
    Encoded::from(&enc)
}

/// The long-context request and what the verifier reads for it.
struct LongContext {
    /// Claims of [`LONG_ANSWER`], split as the server splits them.
    claims: usize,
    /// MiniLM tokens of the [`LONG_CONTEXT`] passages (untruncated, no special tokens).
    context_tokens: usize,
    /// The (premise, claim) pairs `Checker::verifier_pairs` plans for the request.
    pairs: Vec<(String, String)>,
    /// Mean tokens of a pair as the model reads it (special tokens in, truncated as the server
    /// truncates); NaN when there is no pair.
    pair_tokens: f64,
}

impl LongContext {
    fn plan(planner: &Checker, tok: &Tokenizer) -> Self {
        let pairs = pipeline_pairs(planner, LONG_ANSWER, LONG_CONTEXT);
        let mut whole = tok.clone();
        whole
            .with_truncation(None)
            .expect("the tokenizer accepts no truncation");
        let context_tokens = LONG_CONTEXT
            .iter()
            .map(|&(_, text)| {
                whole
                    .encode(text, false)
                    .expect("tokenizer encodes a bench passage")
                    .len()
            })
            .sum();
        let pair_tokens = mean(
            &pairs
                .iter()
                .map(|(p, h)| encode(tok, p, h).ids.len() as f64)
                .collect::<Vec<_>>(),
        );
        Self {
            claims: factgate::claims::split(LONG_ANSWER).len(),
            context_tokens,
            pairs,
            pair_tokens,
        }
    }

    /// Pairs the verifier reads for the request / its claims.
    fn pairs_per_claim(&self) -> f64 {
        self.pairs.len() as f64 / self.claims.max(1) as f64
    }
}

// ---------------------------------------------------------------------------------------------
// Statistics.

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((p * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

fn mean(v: &[f64]) -> f64 {
    if v.is_empty() {
        f64::NAN
    } else {
        v.iter().sum::<f64>() / v.len() as f64
    }
}

#[derive(Debug, Clone, Default)]
struct Dist {
    p50: f64,
    p99: f64,
    mean: f64,
}

fn dist(values_ms: &[f64]) -> Dist {
    let mut s = values_ms.to_vec();
    s.sort_by(f64::total_cmp);
    Dist {
        p50: percentile(&s, 0.50),
        p99: percentile(&s, 0.99),
        mean: mean(&s),
    }
}

// ---------------------------------------------------------------------------------------------
// Load generation.

#[derive(Debug, Default)]
struct Sample {
    latency_ms: f64,
    /// Model time of this request's batches inside the server (concurrency 1 only).
    model_ms: Option<f64>,
    batches: usize,
    timings: BTreeMap<String, u64>,
}

#[derive(Debug)]
struct LoadResult {
    size: usize,
    concurrency: usize,
    samples: Vec<Sample>,
    wall_s: f64,
    /// ONNX time and batches inside the server over the whole run.
    model_busy_ms: f64,
    batches: usize,
    rows: usize,
    /// Sum of the padded widths of the batches.
    cols: usize,
    load: String,
}

impl LoadResult {
    /// The distribution of its end-to-end latencies.
    fn latency(&self) -> Dist {
        dist(
            &self
                .samples
                .iter()
                .map(|s| s.latency_ms)
                .collect::<Vec<_>>(),
        )
    }

    /// Responses per second over the run.
    fn resp_per_s(&self) -> f64 {
        self.samples.len() as f64 / self.wall_s
    }
}

async fn check_once(
    client: &mut GuardClient<Channel>,
    req: pb::CheckRequest,
    size: usize,
) -> (f64, BTreeMap<String, u64>) {
    let t = Instant::now();
    let resp = client
        .check(req)
        .await
        .expect("Check succeeds under the bench load")
        .into_inner();
    let ms = t.elapsed().as_secs_f64() * 1e3;
    assert_eq!(
        resp.claims.len(),
        size,
        "a bench response has {size} claims"
    );
    (ms, resp.timings.into_iter().collect())
}

/// `make(size, variant)` builds request `variant` (of `variants`) with `size` claims.
async fn run_load(
    url: &str,
    rec: &Arc<Recorder>,
    size: usize,
    concurrency: usize,
    n: usize,
    make: fn(usize, usize) -> pb::CheckRequest,
    variants: usize,
) -> LoadResult {
    // Warm-up: every variant once per worker connection, not measured.
    let mut clients = Vec::with_capacity(concurrency);
    for _ in 0..concurrency {
        clients.push(
            GuardClient::connect(url.to_string())
                .await
                .expect("connect"),
        );
    }
    for (w, c) in clients.iter_mut().enumerate() {
        for v in 0..variants.min(if concurrency == 1 { variants } else { 2 }) {
            check_once(c, make(size, (v + w) % variants), size).await;
        }
    }
    rec.take();
    let cpu = CpuSnap::now();
    let started = Instant::now();
    let mut all: Vec<BatchRecord> = Vec::new();
    let samples = if concurrency == 1 {
        let c = &mut clients[0];
        let mut out = Vec::with_capacity(n);
        for i in 0..n {
            let req = make(size, i % variants);
            rec.take();
            let (latency_ms, timings) = check_once(c, req, size).await;
            let b = rec.take();
            let model_ms = model_wall_ms(&b);
            out.push(Sample {
                latency_ms,
                model_ms: Some(model_ms),
                batches: b.len(),
                timings,
            });
            all.extend(b);
        }
        out
    } else {
        let next = Arc::new(AtomicUsize::new(0));
        let mut tasks = Vec::new();
        for mut c in clients {
            let next = next.clone();
            tasks.push(tokio::spawn(async move {
                let mut out = Vec::new();
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= n {
                        break out;
                    }
                    let (latency_ms, timings) =
                        check_once(&mut c, make(size, i % variants), size).await;
                    out.push(Sample {
                        latency_ms,
                        timings,
                        ..Sample::default()
                    });
                }
            }));
        }
        let mut out = Vec::with_capacity(n);
        for t in tasks {
            out.extend(t.await.expect("load task"));
        }
        out
    };
    let wall_s = started.elapsed().as_secs_f64();
    all.extend(rec.take());
    let load = cpu.load_since();
    LoadResult {
        size,
        concurrency,
        samples,
        wall_s,
        model_busy_ms: all.iter().map(|r| r.micros as f64 / 1e3).sum(),
        batches: all.len(),
        rows: all.iter().map(|r| r.rows).sum(),
        cols: all.iter().map(|r| r.cols).sum(),
        load,
    }
}

// ---------------------------------------------------------------------------------------------
// Raw model time on the same pairs, server stopped.

struct RawResult {
    size: usize,
    /// ORT `run` time of one response's pairs, batched as the server batches them.
    model: Dist,
    /// ORT runs per response with the server's batching.
    runs: f64,
    /// ORT `run` on one padded batch per response (for comparison).
    one_batch: Dist,
    /// Tokenizing the pairs of one response.
    tokenize: Dist,
    /// Tokenize + pad + one batch: the same work as the Python baseline's loop.
    tok_one_batch: Dist,
    pairs_per_response: f64,
    load: String,
}

/// The server's batches for one response's pairs arriving together: `verify::State`, the
/// server's own queue, with its token budget and row limit, each claim's pairs queued as
/// `Verifier::submit` queues them (`verify::longest_first`), claim after claim. A claim's pairs
/// are the consecutive ones with its hypothesis (`plan_claim` gives all of them the claim's
/// hypothesis; the bench's sentences are distinct).
fn server_batches(
    pairs: &[(String, String)],
    encs: &[Encoded],
    max_tokens: usize,
    max_rows: usize,
    pad_id: i64,
) -> Vec<Batch> {
    let mut state = verify::State::default();
    let mut keep = Vec::new();
    let mut start = 0;
    while start < encs.len() {
        let end = (start..encs.len())
            .find(|&i| pairs[i].1 != pairs[start].1)
            .unwrap_or(encs.len());
        let mut claim: Vec<verify::Entry> = encs[start..end]
            .iter()
            .map(|e| {
                let (reply, rx) = tokio::sync::oneshot::channel();
                keep.push(rx);
                verify::Entry {
                    encoded: e.clone(),
                    reply,
                }
            })
            .collect();
        verify::longest_first(&mut claim);
        for e in claim {
            state.append(e);
        }
        start = end;
    }
    let mut out = Vec::new();
    while let Some(batch) = state.next_batch(max_tokens, max_rows) {
        out.push(Batch::pad(
            &batch.iter().map(|e| &e.encoded).collect::<Vec<_>>(),
            pad_id,
        ));
    }
    out
}

struct RawSetup<'a> {
    /// One session per server worker, same settings.
    pool: &'a RawPool,
    /// One session with all the workers' threads, for the one-padded-batch figures.
    one: &'a mut OrtBackend,
    tok: &'a Tokenizer,
    pad_id: i64,
    max_tokens: usize,
    max_rows: usize,
}

/// Raw sessions run as the server's workers run them: one thread per session, each taking the
/// next batch of a job, no tokenization or queue.
struct RawPool {
    jobs: Vec<std::sync::mpsc::Sender<Arc<RawJob>>>,
    done: std::sync::mpsc::Receiver<()>,
    threads: Vec<std::thread::JoinHandle<OrtBackend>>,
}

struct RawJob {
    batches: Vec<Batch>,
    next: AtomicUsize,
}

impl RawPool {
    fn new(backends: Vec<OrtBackend>) -> Self {
        let (done_tx, done) = std::sync::mpsc::channel();
        let (mut jobs, mut threads) = (Vec::new(), Vec::new());
        for mut be in backends {
            let (tx, rx) = std::sync::mpsc::channel::<Arc<RawJob>>();
            let done_tx = done_tx.clone();
            jobs.push(tx);
            threads.push(std::thread::spawn(move || {
                while let Ok(job) = rx.recv() {
                    while let Some(b) = job.batches.get(job.next.fetch_add(1, Ordering::Relaxed)) {
                        be.predict(b).expect("raw predict");
                    }
                    done_tx.send(()).expect("bench main thread waits");
                }
                be
            }));
        }
        Self {
            jobs,
            done,
            threads,
        }
    }

    /// Runs the batches on all sessions in parallel and waits for them.
    fn run(&self, batches: &[Batch]) {
        let job = Arc::new(RawJob {
            batches: batches.to_vec(),
            next: AtomicUsize::new(0),
        });
        for tx in &self.jobs {
            tx.send(job.clone()).expect("raw worker alive");
        }
        for _ in &self.jobs {
            self.done.recv().expect("raw worker done");
        }
    }

    fn close(self) {
        drop(self.jobs);
        for t in self.threads {
            t.join().expect("raw worker");
        }
    }
}

fn raw_model(
    s: &mut RawSetup,
    size: usize,
    pairs: &[Vec<(String, String)>],
    n: usize,
) -> (RawResult, Vec<Vec<[f32; 3]>>) {
    let encoded: Vec<Vec<Encoded>> = pairs
        .iter()
        .map(|ps| ps.iter().map(|(p, h)| encode(s.tok, p, h)).collect())
        .collect();
    let as_server: Vec<Vec<Batch>> = pairs
        .iter()
        .zip(&encoded)
        .map(|(p, e)| server_batches(p, e, s.max_tokens, s.max_rows, s.pad_id))
        .collect();
    // A response whose claims need no verifier pair has no batch: it costs no model call.
    let one: Vec<Option<Batch>> = encoded
        .iter()
        .map(|e| (!e.is_empty()).then(|| Batch::pad(&e.iter().collect::<Vec<_>>(), s.pad_id)))
        .collect();
    // The one-batch logits: the Python baseline runs exactly these batches.
    let logits: Vec<Vec<[f32; 3]>> = one
        .iter()
        .map(|b| {
            b.as_ref()
                .map_or_else(Vec::new, |b| s.one.predict(b).expect("raw predict"))
        })
        .collect();
    let cpu = CpuSnap::now();
    let (mut model, mut one_batch, mut tokenize, mut tok_one) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    // Separate loops: the one-batch session's spinning threads would slow the parallel sessions.
    for i in 0..n {
        let v = i % pairs.len();
        let t = Instant::now();
        s.pool.run(&as_server[v]);
        model.push(t.elapsed().as_secs_f64() * 1e3);
    }
    for i in 0..n {
        let v = i % pairs.len();

        let t = Instant::now();
        if let Some(b) = &one[v] {
            s.one.predict(b).expect("raw predict");
        }
        one_batch.push(t.elapsed().as_secs_f64() * 1e3);

        let t = Instant::now();
        let enc: Vec<Encoded> = pairs[v].iter().map(|(p, h)| encode(s.tok, p, h)).collect();
        tokenize.push(t.elapsed().as_secs_f64() * 1e3);
        if !enc.is_empty() {
            let b = Batch::pad(&enc.iter().collect::<Vec<_>>(), s.pad_id);
            s.one.predict(&b).expect("raw predict");
        }
        tok_one.push(t.elapsed().as_secs_f64() * 1e3);
    }
    let result = RawResult {
        size,
        model: dist(&model),
        runs: mean(&as_server.iter().map(|b| b.len() as f64).collect::<Vec<_>>()),
        one_batch: dist(&one_batch),
        tokenize: dist(&tokenize),
        tok_one_batch: dist(&tok_one),
        pairs_per_response: mean(&pairs.iter().map(|p| p.len() as f64).collect::<Vec<_>>()),
        load: cpu.load_since(),
    };
    (result, logits)
}

// ---------------------------------------------------------------------------------------------

fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("target"))
}

fn stage_order() -> [&'static str; 10] {
    [
        "claims",
        "link",
        "retrieve",
        "reason",
        "retrieve_context",
        "verify",
        "calibrate",
        "decide",
        "audit",
        "total",
    ]
}

fn print_stage_header() {
    print!("{:>6}", "claims");
    for s in stage_order() {
        print!(" {:>9}", s.replace("retrieve_context", "ctx_chunk"));
    }
    println!(
        " {:>9} {:>9} {:>9} {:>9}",
        "e2e", "grpc+rt", "ort(srv)", "vfy-ort"
    );
}

fn print_stage_row(r: &LoadResult) {
    print!("{:>6}", r.size);
    let stage = |s: &str| {
        mean(
            &r.samples
                .iter()
                .map(|x| x.timings.get(s).copied().unwrap_or(0) as f64 / 1e3)
                .collect::<Vec<_>>(),
        )
    };
    for s in stage_order() {
        print!(" {:>9.3}", stage(s));
    }
    let e2e = mean(&r.samples.iter().map(|x| x.latency_ms).collect::<Vec<_>>());
    let model = mean(
        &r.samples
            .iter()
            .filter_map(|x| x.model_ms)
            .collect::<Vec<_>>(),
    );
    println!(
        " {:>9.3} {:>9.3} {:>9.3} {:>9.3}",
        e2e,
        e2e - stage("total"),
        model,
        stage("verify") - model
    );
}

fn print_load_header() {
    println!(
        "{:>6} {:>3} {:>5} {:>8} {:>8} {:>8} {:>8} {:>9} {:>10} {:>9} {:>7} {:>7}  load",
        "claims",
        "c",
        "n",
        "p50 ms",
        "p99 ms",
        "mean ms",
        "resp/s",
        "claims/s",
        "model ms",
        "batches",
        "rows/b",
        "cols/b"
    );
}

fn print_load_row(r: &LoadResult) {
    let d = r.latency();
    let n = r.samples.len() as f64;
    println!(
        "{:>6} {:>3} {:>5} {:>8.2} {:>8.2} {:>8.2} {:>8.1} {:>9.1} {:>10.2} {:>9.2} {:>7.1} {:>7.1}  {}",
        r.size,
        r.concurrency,
        r.samples.len(),
        d.p50,
        d.p99,
        d.mean,
        r.resp_per_s(),
        r.resp_per_s() * r.size as f64,
        r.model_busy_ms / n,
        r.batches as f64 / n,
        r.rows as f64 / r.batches.max(1) as f64,
        r.cols as f64 / r.batches.max(1) as f64,
        r.load
    );
}

fn print_load_table(results: &[LoadResult], raw: &[RawResult], workers: usize) {
    println!();
    println!("## End-to-end Check over gRPC (in-process server, verifier on, audit sync=batch)");
    print_load_header();
    for r in results {
        print_load_row(r);
    }
    println!(
        "  model ms = ONNX Runtime `run` time inside the server per response, summed over the workers (whole run / n);"
    );
    println!("  batches = ORT runs per response; rows/b = pairs per ORT run (concurrency 16 merges requests), cols/b = padded tokens per row.");
    println!(
        "  model workers busy at c=16: {}",
        results
            .iter()
            .filter(|r| r.concurrency > 1)
            .map(|r| format!(
                "{} claims {:.0} %",
                r.size,
                100.0 * r.model_busy_ms / (r.wall_s * 1e3 * workers as f64)
            ))
            .collect::<Vec<_>>()
            .join(", ")
    );

    println!();
    println!("## Raw model on the same pairs (server stopped, same session settings)");
    println!(
        "{:>6} {:>6} {:>5} {:>9} {:>9} {:>9} {:>11} {:>11} {:>9} {:>12}  load",
        "claims",
        "pairs",
        "runs",
        "p50 ms",
        "p99 ms",
        "mean ms",
        "1-batch p50",
        "1-batch p99",
        "tok p50",
        "tok+1b p50"
    );
    for r in raw {
        println!(
            "{:>6} {:>6.1} {:>5.1} {:>9.2} {:>9.2} {:>9.2} {:>11.2} {:>11.2} {:>9.3} {:>12.2}  {}",
            r.size,
            r.pairs_per_response,
            r.runs,
            r.model.p50,
            r.model.p99,
            r.model.mean,
            r.one_batch.p50,
            r.one_batch.p99,
            r.tokenize.p50,
            r.tok_one_batch.p50,
            r.load
        );
    }
    println!("  p50/p99/mean: the pairs of one response in `runs` ORT runs, batched as the server batches them, on as many sessions in parallel as it has workers;");
    println!("  1-batch: all pairs of a response as one padded batch on one session with all the workers' threads; tok+1b: tokenize + pad + 1 batch (the Python loop's work).");

    println!();
    println!("## Where the time goes at concurrency 1 (mean per response, ms; stage timings from CheckResponse.timings)");
    print_stage_header();
    for r in results.iter().filter(|r| r.concurrency == 1) {
        print_stage_row(r);
    }
    println!("  grpc+rt = e2e − server `total` (client, HTTP/2, tonic, spawn_blocking hand-off);");
    println!("  ort(srv) = wall time with at least one ORT `run` going inside the server; vfy-ort = `verify` − ORT: tokenization, queue,");
    println!("  batching, softmax (negative when the graph stages of later claims overlapped the model runs of earlier ones).");

    println!();
    println!("## Pipeline overhead at concurrency 1: e2e − ORT time of the same request, % of that ORT time");
    for r in results.iter().filter(|r| r.concurrency == 1) {
        let o = overhead(r);
        println!(
            "  {:>2} claims: ORT {:.2} ms in {:.1} runs; overhead mean {:.2} ms = {:.0} %, p50 {:.2} ms \
             (gRPC+runtime {:.2}, tokenize+queue {:.2}, audit {:.2}, graph stages {:.2}, rest {:.2})",
            r.size,
            o.model,
            o.runs,
            o.mean,
            o.percent,
            o.p50,
            o.grpc,
            o.verify_rest,
            o.audit,
            o.symbolic,
            o.mean - o.grpc - o.verify_rest - o.audit - o.symbolic
        );
        if let Some(raw) = raw.iter().find(|x| x.size == r.size) {
            println!(
                "            standalone raw, same batches, server stopped: p50 {:.2} ms, mean {:.2} ms \
                 (e2e p50 − raw p50 = {:+.0} % of raw; measured minutes apart, so CPU contention differs)",
                raw.model.p50,
                raw.model.mean,
                100.0
                    * (r.latency().p50
                        - raw.model.p50)
                    / raw.model.p50
            );
        }
    }
}

/// The long-context row: the end-to-end table's columns, its pairs per claim, where the time
/// goes at concurrency 1 and the raw model on the same pairs.
fn print_long_context(long: &LongContext, results: &[LoadResult], raw: &RawResult) {
    println!();
    println!(
        "## {} claims against a {}-token context ({} passages in `context`; same server, same columns)",
        long.claims,
        long.context_tokens,
        LONG_CONTEXT.len()
    );
    print_load_header();
    for r in results {
        print_load_row(r);
    }
    println!(
        "  pairs per claim: {:.2} ({} (premise, claim) pairs from `Checker::verifier_pairs` / {} claims), {:.1} tokens per pair",
        long.pairs_per_claim(),
        long.pairs.len(),
        long.claims,
        long.pair_tokens
    );
    if long.pairs.is_empty() {
        println!("  no verifier pair for this request: the verifier reads nothing, so the model columns are 0 and the row times the symbolic path only.");
    }
    if let Some(c1) = results.iter().find(|r| r.concurrency == 1) {
        let read = c1.rows as f64 / c1.samples.len().max(1) as f64;
        println!(
            "  read by the server's model at c=1: {:.2} rows per response = {:.2} per claim",
            read,
            read / long.claims.max(1) as f64
        );
        if c1.rows == 0 && !long.pairs.is_empty() {
            println!("  the server's model ran no pair (verifier off?): the latencies are without the model, pairs per claim is what it would read.");
        }
        println!("  where the time goes at c=1 (mean ms, as above):");
        print_stage_header();
        print_stage_row(c1);
    }
    println!(
        "  raw model, same pairs, server stopped: p50 {:.2} ms, p99 {:.2} ms in {:.1} runs; 1-batch p50 {:.2} ms; tok p50 {:.3} ms  {}",
        raw.model.p50, raw.model.p99, raw.runs, raw.one_batch.p50, raw.tokenize.p50, raw.load
    );
}

/// Overhead of a concurrency-1 run against the ORT time of the same requests.
struct Overhead {
    model: f64,
    runs: f64,
    mean: f64,
    p50: f64,
    percent: f64,
    grpc: f64,
    verify_rest: f64,
    audit: f64,
    symbolic: f64,
}

fn overhead(r: &LoadResult) -> Overhead {
    let per = |f: &dyn Fn(&Sample) -> f64| mean(&r.samples.iter().map(f).collect::<Vec<_>>());
    let stage = |x: &Sample, k: &str| x.timings.get(k).copied().unwrap_or(0) as f64 / 1e3;
    let model = per(&|x| x.model_ms.unwrap_or(0.0));
    let over: Vec<f64> = r
        .samples
        .iter()
        .map(|x| x.latency_ms - x.model_ms.unwrap_or(0.0))
        .collect();
    let mean_over = mean(&over);
    Overhead {
        model,
        runs: per(&|x| x.batches as f64),
        mean: mean_over,
        p50: dist(&over).p50,
        percent: 100.0 * mean_over / model,
        grpc: per(&|x| x.latency_ms - stage(x, "total")),
        verify_rest: per(&|x| stage(x, "verify") - x.model_ms.unwrap_or(0.0)),
        audit: per(&|x| stage(x, "audit")),
        symbolic: per(&|x| {
            [
                "claims",
                "link",
                "retrieve",
                "reason",
                "retrieve_context",
                "calibrate",
                "decide",
            ]
            .iter()
            .map(|k| stage(x, k))
            .sum()
        }),
    }
}

fn python_baseline(pairs_json: &Path, out_json: &Path) -> Option<Value> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let python = match std::env::var("FACTGATE_BENCH_PYTHON") {
        Ok(p) if p == "0" => {
            println!("\nPython baseline skipped (FACTGATE_BENCH_PYTHON=0)");
            return None;
        }
        Ok(p) => PathBuf::from(p),
        Err(_) => root.join("models/train/.venv/bin/python"),
    };
    if !python.exists() && python.components().count() > 1 {
        println!(
            "\nPython baseline skipped: {} not found (make -C models venv, or set FACTGATE_BENCH_PYTHON)",
            python.display()
        );
        return None;
    }
    println!(
        "\n## Python baseline ({}), same pairs, same 2 cores (one 2-thread session), load {}",
        python.display(),
        loadavg()
    );
    let status = std::process::Command::new(&python)
        .arg(root.join("benches/python_baseline.py"))
        .arg(pairs_json)
        .arg("--out")
        .arg(out_json)
        .status();
    match status {
        Ok(s) if s.success() => std::fs::read_to_string(out_json)
            .ok()
            .and_then(|t| serde_json::from_str(&t).ok()),
        Ok(s) => {
            println!("Python baseline failed: {s}");
            None
        }
        Err(e) => {
            println!("Python baseline could not start: {e}");
            None
        }
    }
}

fn print_side_by_side(results: &[LoadResult], raw: &[RawResult], py: &Value) {
    println!();
    println!("## Side by side, same pairs (p50/p99 ms per response, throughput in responses/s)");
    let cols = [
        ("torch_fp32", "PyTorch fp32"),
        ("ort_fp32", "ORT-py fp32"),
        ("ort_int8", "ORT-py int8"),
    ];
    let cell = |p50: f64, p99: f64, rps: f64| format!("{p50:.1}/{p99:.1} {rps:.1}");
    print!(
        "{:>6} {:>19} {:>9} {:>19}",
        "claims", "factgate e2e c=1", "c=16 r/s", "Rust ORT 1-batch"
    );
    for (_, label) in cols {
        print!(" {:>19}", label);
    }
    println!(" {:>13}", "best/PyTorch");
    for size in PLAN.iter().map(|p| p.0) {
        let get = |c: usize| {
            results
                .iter()
                .find(|r| r.size == size && r.concurrency == c)
        };
        let (Some(c1), Some(c16), Some(r)) = (get(1), get(16), raw.iter().find(|r| r.size == size))
        else {
            continue;
        };
        let d = c1.latency();
        let rps1 = c1.resp_per_s();
        let rps16 = c16.resp_per_s();
        print!(
            "{:>6} {:>19} {:>9.1} {:>19}",
            size,
            cell(d.p50, d.p99, rps1),
            rps16,
            cell(r.one_batch.p50, r.one_batch.p99, 1e3 / r.one_batch.mean)
        );
        for (key, _) in cols {
            let f = &py["backends"][key]["sizes"][size.to_string()];
            let g = |k: &str| f[k].as_f64().unwrap_or(f64::NAN);
            print!(" {:>19}", cell(g("p50_ms"), g("p99_ms"), g("resp_per_s")));
        }
        let torch = py["backends"]["torch_fp32"]["sizes"][size.to_string()]["resp_per_s"]
            .as_f64()
            .unwrap_or(f64::NAN);
        println!(" {:>12.1}×", rps1.max(rps16) / torch);
    }
    println!("  Python: per response tokenize (HF fast tokenizer) + one padded batch + softmax, concurrency 1;");
    println!("  Rust ORT 1-batch: the same batches through the Rust ORT session (model only); best = max(c=1, c=16) r/s.");
}

fn print_goals(results: &[LoadResult], no_context: &LoadResult, py: Option<&Value>) {
    println!();
    println!("## Goals (issues #5 and #11): 5-claim c=1 p50 ≤ 25 ms, p99 ≤ 60 ms; overhead ≤ 10 % of raw model; ≥ 5× Python");
    let Some(c1) = results.iter().find(|r| r.size == 5 && r.concurrency == 1) else {
        return;
    };
    let verdict = |ok: bool| if ok { "met" } else { "MISSED" };
    for (what, r) in [("with the context passage", c1), ("no context", no_context)] {
        let d = r.latency();
        println!(
            "  {what}: p50 {:.2} ms (goal 25): {}; p99 {:.2} ms (goal 60): {}",
            d.p50,
            verdict(d.p50 <= 25.0),
            d.p99,
            verdict(d.p99 <= 60.0)
        );
    }
    let o = overhead(c1);
    println!(
        "  overhead {:.2} ms = {:.0} % of the request's ORT time {:.2} ms (goal ≤ 10 %): {}",
        o.mean,
        o.percent,
        o.model,
        verdict(o.percent <= 10.0)
    );
    if let Some(py) = py {
        for size in PLAN.iter().map(|p| p.0) {
            let torch =
                py["backends"]["torch_fp32"]["sizes"][size.to_string()]["resp_per_s"].as_f64();
            let best = results
                .iter()
                .filter(|r| r.size == size)
                .map(|r| r.resp_per_s())
                .fold(0.0, f64::max);
            if let Some(t) = torch {
                println!(
                    "  {size:>2} claims: factgate best {best:.1} r/s vs PyTorch {t:.1} r/s = {:.1}× (goal ≥ 5×): {}",
                    best / t,
                    verdict(best / t >= 5.0)
                );
            }
        }
    }
}

fn main() {
    // `cargo test --all-targets` runs bench binaries without `--bench`: compile-check only.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    std::env::set_current_dir(root).expect("cd to the package root");
    println!("factgate e2e bench; load average at start: {}", loadavg());

    let mut config = Config::validate(FileConfig::default()).expect("default config is valid");
    config.verifier.enabled = true;
    // As `Verifier::load`: zeros mean "by provider" (CPU: one pair per run, one worker per core).
    let vcfg = config.verifier.for_provider("cpu");
    let tmp = tempfile::tempdir().expect("temp dir");
    let audit_cfg = AuditConfig {
        path: tmp.path().join("audit.jsonl"),
        ..AuditConfig::default()
    };
    println!(
        "graph {:?}, model {}, provider {:?}, {} workers × {} intra-op threads, batches ≤ {} pairs and ≤ {} padded tokens, audit {} (sync {:?})",
        config.graph.sources().expect("graph sources"),
        vcfg.model_dir.display(),
        vcfg.provider,
        vcfg.workers,
        vcfg.intra_threads,
        vcfg.max_batch_size,
        vcfg.max_batch_tokens,
        audit_cfg.path.display(),
        audit_cfg.sync
    );

    let t = Instant::now();
    let kg = Arc::new(
        Knowledge::load(&config.graph.sources().expect("graph sources"))
            .expect("default graph loads"),
    );
    println!(
        "graph loaded: {} triples in {:.2} s",
        kg.triples,
        t.elapsed().as_secs_f64()
    );
    let (model_cfg, tokenizer, onnx) =
        verify::load_files(&vcfg.model_dir).expect("verifier files load");
    // The int8 weights as the server loads them (signed where the CPU has AVX-VNNI).
    let onnx = onnx.for_this_cpu();
    let calibration = match Calibration::load(&vcfg.calibration) {
        Ok(c) => Some(Arc::new(c)),
        Err(e) => {
            println!(
                "note: no calibration ({e}); the fixed symbolic table is used (costs the same)"
            );
            None
        }
    };
    // What `for_this_cpu` chose (it logs a warning where it could not rewrite the file).
    let vnni = factgate::int8::cpu_has_vnni();
    let int8_weights = if vnni { "signed" } else { "unsigned" };
    println!(
        "model {} ({}), int8 weights {int8_weights} (AVX-VNNI: {vnni})",
        model_cfg.version,
        onnx.path.display()
    );

    // The pairs each response variant sends.
    let planner = Checker::new(kg.clone(), kg.clone(), config.profiles.clone(), None);
    let sizes: Vec<usize> = PLAN.iter().map(|p| p.0).collect();
    let pairs: BTreeMap<usize, Vec<Vec<(String, String)>>> = sizes
        .iter()
        .map(|&k| {
            (
                k,
                (0..SENTENCES.len())
                    .map(|v| pipeline_pairs(&planner, &response_text(k, v), &[("doc-1", CONTEXT)]))
                    .collect(),
            )
        })
        .collect();
    let long = LongContext::plan(&planner, &tokenizer);
    println!(
        "long-context row: {} claims against {} passages of {} tokens in all; {} verifier pairs ({:.2} per claim, {:.1} tokens each)",
        long.claims,
        LONG_CONTEXT.len(),
        long.context_tokens,
        long.pairs.len(),
        long.pairs_per_claim(),
        long.pair_tokens
    );

    let rec = Arc::new(Recorder::default());
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    let (results, long_results, no_context) = rt.block_on(async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let loader: factgate::serve::Loader = {
            let (kg, rec, vcfg, profiles) = (kg.clone(), rec.clone(), vcfg.clone(), config.profiles.clone());
            let (model_cfg, tokenizer, onnx) = (model_cfg.clone(), tokenizer.clone(), onnx.clone());
            let calibration = calibration.clone();
            Box::new(move || {
                let audit = Arc::new(AuditLog::open(audit_cfg).map_err(|e| e.to_string())?);
                let mut backends: Vec<Box<dyn Backend>> = Vec::new();
                for _ in 0..vcfg.workers {
                    let (inner, _) = OrtBackend::new(&onnx, &vcfg).map_err(|e| e.to_string())?;
                    backends.push(Box::new(Recording { inner, rec: rec.clone() }));
                }
                let verifier =
                    Verifier::with_backends(model_cfg, tokenizer, backends, "cpu".into(), &vcfg)
                        .map_err(|e| e.to_string())?;
                // Warm-up before SERVING, as Verifier::load does (it runs one pair on every session).
                let warm = ("Paris is the capital of France.".to_string(), "Paris is in France.".to_string());
                verifier
                    .score(&vec![warm; vcfg.workers])
                    .map_err(|e| e.to_string())?;
                Ok(Checker::new(kg.clone(), kg, profiles, Some(audit))
                    .with_neural(Arc::new(verifier), calibration))
            })
        };
        let server = tokio::spawn(factgate::serve::run(listener, 64, std::time::Duration::from_secs(10), loader, async {
            let _ = stop_rx.await;
        }));
        wait_serving(&url).await;
        println!("server SERVING at {url}; load {}", loadavg());

        // The pairs check: every variant once, token ids as the backend received them.
        rec.capture_ids.store(true, Ordering::Relaxed);
        rec.take();
        let mut client = GuardClient::connect(url.clone()).await.expect("connect");
        let (mut same, mut total) = (0, 0);
        // (what, request, claims, the pairs `Checker::verifier_pairs` planned for it)
        let mut checks = Vec::new();
        for &k in &sizes {
            for (v, rebuilt) in pairs[&k].iter().enumerate() {
                checks.push((format!("{k} claims, variant {v}"), request(k, v), k, rebuilt));
            }
        }
        checks.push((
            "the long-context request".into(),
            long_context_request(long.claims, 0),
            long.claims,
            &long.pairs,
        ));
        for (what, req, k, rebuilt) in checks {
            check_once(&mut client, req, k).await;
            // Workers finish in any order: compare the pairs as sorted lists.
            let mut got: Vec<Vec<i64>> = rec
                .take()
                .into_iter()
                .flat_map(|b| b.ids.unwrap_or_default())
                .collect();
            let mut want: Vec<Vec<i64>> = rebuilt
                .iter()
                .map(|(p, h)| encode(&tokenizer, p, h).ids)
                .collect();
            got.sort();
            want.sort();
            total += 1;
            if got == want {
                same += 1;
            } else if total - same <= 3 {
                println!(
                    "WARNING: pairs differ for {what}: server sent {} rows, rebuilt {} \
                    ",
                    got.len(),
                    want.len()
                );
            }
        }
        rec.capture_ids.store(false, Ordering::Relaxed);
        println!("pairs check: {same}/{total} responses, rebuilt pairs identical (token ids) to what the server's model received");

        let mut results = Vec::new();
        for &(size, n1, n16) in PLAN {
            for c in CONCURRENCY {
                let n = scaled(if c == 1 { n1 } else { n16 });
                let r = run_load(&url, &rec, size, c, n, request, SENTENCES.len()).await;
                let d = r.latency();
                println!(
                    "  {size:>2} claims c={c:<2} n={n:<4} p50 {:.2} ms p99 {:.2} ms, {:.1} resp/s ({})",
                    d.p50,
                    d.p99,
                    r.resp_per_s(),
                    r.load
                );
                results.push(r);
            }
        }
        // The goal's own row: 5 claims with no context passage, concurrency 1.
        let n = scaled(PLAN[1].1);
        let r = run_load(&url, &rec, 5, 1, n, no_context_request, SENTENCES.len()).await;
        let d = r.latency();
        println!(
            "   5 claims, no context c=1  n={n:<4} p50 {:.2} ms p99 {:.2} ms, {:.1} resp/s, {:.2} pairs per claim, ORT {:.2} ms per response summed over the workers ({})",
            d.p50,
            d.p99,
            r.resp_per_s(),
            r.rows as f64 / (5 * r.samples.len()) as f64,
            r.model_busy_ms / r.samples.len() as f64,
            r.load
        );
        let no_context = r;
        let mut long_results = Vec::new();
        for c in CONCURRENCY {
            let n = scaled(if c == 1 { LONG_PLAN.0 } else { LONG_PLAN.1 });
            let r = run_load(&url, &rec, long.claims, c, n, long_context_request, 1).await;
            let d = r.latency();
            println!(
                "  {:>2} claims + {}-token context c={c:<2} n={n:<4} p50 {:.2} ms p99 {:.2} ms, {:.1} resp/s ({})",
                long.claims,
                long.context_tokens,
                d.p50,
                d.p99,
                r.resp_per_s(),
                r.load
            );
            long_results.push(r);
        }
        let _ = stop_tx.send(());
        server.await.expect("server task").expect("server stops cleanly");
        (results, long_results, no_context)
    });
    drop(rt);

    // Raw model on the same pairs, same thread count, server stopped.
    let pool = RawPool::new(
        (0..vcfg.workers)
            .map(|_| OrtBackend::new(&onnx, &vcfg).expect("raw ORT session").0)
            .collect(),
    );
    let all_threads = factgate::verify::VerifyConfig {
        intra_threads: vcfg.workers * vcfg.intra_threads,
        ..vcfg.clone()
    };
    let (mut one, _) = OrtBackend::new(&onnx, &all_threads).expect("raw ORT session");
    let mut setup = RawSetup {
        pool: &pool,
        one: &mut one,
        tok: &tokenizer,
        pad_id: i64::from(model_cfg.pad_id),
        max_tokens: vcfg.max_batch_tokens.max(1),
        max_rows: vcfg.max_batch_size.max(1),
    };
    let mut raw = Vec::new();
    let mut logits = BTreeMap::new();
    for &(size, n1, _) in PLAN {
        let (r, l) = raw_model(&mut setup, size, &pairs[&size], scaled(n1));
        raw.push(r);
        logits.insert(size, l);
    }
    let (long_raw, long_logits) = raw_model(
        &mut setup,
        long.claims,
        std::slice::from_ref(&long.pairs),
        scaled(LONG_PLAN.0),
    );
    pool.close();
    drop(one);
    print_load_table(&results, &raw, vcfg.workers);
    print_long_context(&long, &long_results, &long_raw);

    // The pairs for the Python baseline, with the Rust logits to compare against.
    let out = target_dir();
    std::fs::create_dir_all(&out).expect("target dir");
    let pairs_json = out.join("bench-pairs.json");
    let d = no_context.latency();
    let no_context_json = json!({"claims": 5, "concurrency": 1, "p50_ms": d.p50, "p99_ms": d.p99,
        "resp_per_s": no_context.resp_per_s(),
        "pairs_per_claim": no_context.rows as f64 / (5 * no_context.samples.len()) as f64,
        "load": no_context.load});
    let doc = json!({
        "model": {
            "version": model_cfg.version,
            "onnx": onnx.path,
            "int8_weights": int8_weights,
            "tokenizer": vcfg.model_dir.join("tokenizer.json"),
            "temperature": model_cfg.temperature,
            "max_length": model_cfg.max_length,
            "intra_threads": vcfg.intra_threads,
            "workers": vcfg.workers,
        },
        "context": CONTEXT,
        "sizes": PLAN.iter().map(|&(size, n1, _)| json!({
            "claims": size,
            "n": scaled(n1),
            "responses": (0..SENTENCES.len()).map(|v| json!({
                "response": response_text(size, v),
                "pairs": pairs[&size][v],
                "rust_logits": logits[&size][v],
            })).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
        "long_context": {
            "passages": LONG_CONTEXT.iter().map(|&(id, text)| json!({"id": id, "text": text})).collect::<Vec<_>>(),
            "context_tokens": long.context_tokens,
            "response": LONG_ANSWER,
            "claims": long.claims,
            "pairs": long.pairs,
            "pairs_per_claim": long.pairs_per_claim(),
            "rust_logits": long_logits.first(),
            "rust": long_results.iter().map(|r| {
                let d = r.latency();
                json!({"concurrency": r.concurrency, "p50_ms": d.p50, "p99_ms": d.p99,
                       "resp_per_s": r.resp_per_s(), "load": r.load})
            }).collect::<Vec<_>>(),
        },
        "no_context": no_context_json,
        "rust": results.iter().map(|r| {
            let d = r.latency();
            json!({"claims": r.size, "concurrency": r.concurrency, "p50_ms": d.p50, "p99_ms": d.p99,
                   "resp_per_s": r.resp_per_s(), "load": r.load})
        }).collect::<Vec<_>>(),
    });
    std::fs::write(
        &pairs_json,
        serde_json::to_string_pretty(&doc).expect("json"),
    )
    .expect("write pairs");
    println!("\npairs written to {}", pairs_json.display());

    let py = python_baseline(&pairs_json, &out.join("bench-python.json"));
    if let Some(py) = &py {
        print_side_by_side(&results, &raw, py);
    }
    print_goals(&results, &no_context, py.as_ref());
    println!("\nload average at end: {}", loadavg());
}
