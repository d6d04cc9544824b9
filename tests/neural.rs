//! The neural stage in the pipeline: context grounding, prompt + short answer, calibrated
//! confidence, injected verifier failures, and `factgate eval` on a fixture.

use std::sync::{Arc, OnceLock};

use factgate::calibrate::Calibration;
use factgate::pipeline::{CheckInput, Checker, Passage};
use factgate::reason::Status;
use factgate::verify::{load_files, Backend, Batch, Verifier, VerifyConfig, VerifyError};

use crate::common;

fn verifier() -> Arc<Verifier> {
    static V: OnceLock<Arc<Verifier>> = OnceLock::new();
    V.get_or_init(|| {
        Arc::new(Verifier::load(&VerifyConfig::default()).expect("committed verifier loads"))
    })
    .clone()
}

fn calibration() -> Arc<Calibration> {
    Arc::new(
        Calibration::load(&VerifyConfig::default().calibration)
            .expect("committed calibration loads"),
    )
}

fn neural_checker() -> Checker {
    common::checker(None, "", None).with_neural(verifier(), Some(calibration()))
}

#[test]
fn context_passages_ground_faithful_and_hallucinated_answers() {
    let c = neural_checker();
    let context = vec![Passage {
        id: "doc-7".into(),
        text: "Acme Corp reported revenue of 12 million dollars in 2023. \
               The company was founded in 1998 by Jane Doe in Oslo. It employs 85 people."
            .into(),
    }];
    let run = |text: &str| {
        c.check(&CheckInput {
            response: text.into(),
            context: context.clone(),
            ..Default::default()
        })
        .expect("valid")
    };
    let faithful = run("Acme Corp was founded in 1998 by Jane Doe.");
    assert_eq!(
        faithful.claims[0].status,
        Status::Supported,
        "{}",
        faithful.claims[0].explanation
    );
    let ev = &faithful.claims[0].evidence[0];
    assert_eq!(ev.source, "context");
    assert_eq!(ev.passage_id, "doc-7");
    let span = ev.passage_span.expect("passage span");
    assert_eq!(&context[0].text[span.start..span.end], ev.text);
    assert!(ev.text.contains("1998"));
    let hallucinated = run("Acme Corp was founded in 2011 by John Smith.");
    assert_ne!(
        hallucinated.claims[0].status,
        Status::Supported,
        "{}",
        hallucinated.claims[0].explanation
    );
    assert!(
        hallucinated.claims[0].confidence < faithful.claims[0].confidence,
        "{} vs {}",
        hallucinated.claims[0].confidence,
        faithful.claims[0].confidence
    );
    // Checked together (each claim's pairs go to the model as its symbolic pass ends), each
    // claim gets exactly its own result: the same verifier reading and the same calibration.
    let both = run(
        "Acme Corp was founded in 1998 by Jane Doe. Acme Corp was founded in 2011 by John Smith.",
    );
    assert_eq!(both.claims.len(), 2);
    for (together, alone) in both.claims.iter().zip([&faithful, &hallucinated]) {
        assert_eq!(together.status, alone.claims[0].status);
        let read = |c: &factgate::pipeline::ClaimResult| c.signals.and_then(|s| s.context);
        assert!(read(together).is_some());
        assert_eq!(read(together), read(&alone.claims[0]));
        assert_eq!(together.confidence, alone.claims[0].confidence);
        assert_eq!(together.evidence, alone.claims[0].evidence);
    }
    assert_ne!(faithful.versions.model, "none");
    assert!(faithful.versions.calibration.starts_with("cal-"));
    assert!(faithful.timings.contains_key("verify"));
}

#[test]
fn short_answers_are_read_with_the_prompt() {
    let c = neural_checker();
    let ask = |answer: &str| {
        c.check(&CheckInput {
            response: answer.into(),
            prompt: "What is the capital of Kenya?".into(),
            ..Default::default()
        })
        .expect("valid")
    };
    let right = ask("Nairobi.");
    assert_eq!(
        right.claims[0].status,
        Status::Supported,
        "{}",
        right.claims[0].explanation
    );
    assert_eq!(
        right.claims[0].evidence[0].subject,
        "https://factgate.dev/id/country/KE"
    );
    let wrong = ask("Yamoussoukro.");
    assert_eq!(
        wrong.claims[0].status,
        Status::Contradicted,
        "{}",
        wrong.claims[0].explanation
    );
    assert!(wrong.confidence < 0.5);
}

#[test]
fn a_contradiction_read_in_full_caps_the_response() {
    // The response model was fitted on summaries whose sentences, read against part of a long
    // article, the verifier misread as contradicted. A contradiction the graph decided, or one
    // read in passages short enough to be read whole, is not that: a response is never more
    // likely right than such a claim of it.
    let c = neural_checker();
    let refund = "Refund policy. If you are not satisfied with your purchase, you can return it \
                  within 30 days of delivery for a full refund. Items must be unused and in their \
                  original packaging. Refunds are issued to the original payment method within 5 \
                  business days after we receive the return.";
    let passage = |text: &str| {
        vec![Passage {
            id: "p".into(),
            text: text.into(),
        }]
    };
    let graph_wrong = "Nairobi is the capital of Kenya. The capital of Kenya is Yamoussoukro.";
    let context_wrong = "You can return an unused item within 30 days for a full refund. \
                         Refunds are issued within 90 business days.";
    for (response, context) in [
        (graph_wrong, vec![]),
        (
            graph_wrong,
            passage("Nairobi is the capital and largest city of Kenya."),
        ),
        (context_wrong, passage(refund)),
    ] {
        let out = c
            .check(&CheckInput {
                response: response.into(),
                context,
                ..Default::default()
            })
            .expect("valid");
        let wrong = &out.claims[1];
        assert_eq!(wrong.status, Status::Contradicted, "{}", wrong.explanation);
        assert!(
            out.confidence <= wrong.confidence && out.confidence < 0.5,
            "{response}: response {} above its contradicted claim {}",
            out.confidence,
            wrong.confidence
        );
    }
}

struct Broken;

impl Backend for Broken {
    fn predict(&mut self, _: &Batch) -> Result<Vec<[f32; 3]>, VerifyError> {
        Err(VerifyError::Inference("injected: device lost".into()))
    }
}

#[test]
fn injected_verifier_failure_is_never_allow_under_fail_closed() {
    let (config, tokenizer, _) = load_files(&VerifyConfig::default().model_dir).expect("files");
    let broken = Verifier::with_backend(
        config,
        tokenizer,
        Box::new(Broken),
        "test".into(),
        &VerifyConfig::default(),
    )
    .expect("starts");
    let dir = tempfile::tempdir().expect("tempdir");
    let c = common::checker(
        None,
        "[profiles.open]\non_error = \"fail_open\"\n",
        Some(common::audit_config(dir.path())),
    )
    .with_neural(Arc::new(broken), Some(calibration()));
    for text in ["Nairobi is Kenya's capital.", "Berlin has a famous zoo."] {
        let o = c
            .check(&CheckInput {
                response: text.into(),
                context: vec![Passage {
                    id: "p".into(),
                    text: "Berlin Zoo opened in 1844.".into(),
                }],
                ..Default::default()
            })
            .expect("valid");
        assert_eq!(o.verdict, factgate::decide::Action::Block, "{text}");
        assert_eq!(o.reasons[0].code, "INTERNAL_ERROR");
        assert!(o.reasons[0].message.contains("device lost"));
    }
    let open = c
        .check(&CheckInput {
            response: "Nairobi is Kenya's capital.".into(),
            policy: "open".into(),
            ..Default::default()
        })
        .expect("valid");
    assert_eq!(open.verdict, factgate::decide::Action::Allow);
    assert_eq!(
        open.reasons[0].code, "INTERNAL_ERROR",
        "fail_open still reports the failure"
    );
    c.shutdown();
    let records = common::audit_records(&dir.path().join("audit.jsonl"));
    assert_eq!(records.len(), 3);
    assert!(records.iter().all(|r| r["error"]
        .as_str()
        .is_some_and(|e| e.contains("device lost"))));
}

#[test]
fn eval_command_on_a_fixture_writes_metrics_and_diagram() {
    use std::io::Write;
    let dir = tempfile::tempdir().expect("tempdir");
    let fixture =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/labeled.jsonl");
    // The same rows gzipped (how the project ships its larger files) read the same.
    let zipped = dir.path().join("zipped.jsonl.gz");
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(&std::fs::read(&fixture).expect("fixture"))
        .expect("gzip");
    std::fs::write(&zipped, gz.finish().expect("gzip")).expect("write");
    let out = common::factgate_bin()
        .args(["eval", "--no-default-graph", "--knowledge"])
        .arg(common::fixture_graph())
        .arg("--data")
        .arg(&fixture)
        .arg(&zipped)
        .arg("--report")
        .arg(dir.path())
        .output()
        .expect("runs");
    let text = common::stdout_ok(out);
    assert!(
        text.contains("accuracy")
            && text.contains("ECE(15)")
            && text.contains("noise floor")
            && text.contains("AUROC"),
        "{text}"
    );
    let m: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join("metrics.json")).expect("metrics"),
    )
    .expect("json");
    let file = &m["files"][0]["metrics"];
    assert_eq!(file["n"], 8);
    // The symbolic rows of the fixture are decided by the graph: at least those are right.
    assert!(file["accuracy"].as_f64().expect("acc") >= 0.5, "{file}");
    // The ECE's noise floor is reported beside it, for the same rows.
    let floor = file["ece_floor"].as_f64().expect("ece_floor");
    assert!((0.0..=1.0).contains(&floor), "{file}");
    let svg = std::fs::read_to_string(dir.path().join("reliability-labeled.svg")).expect("svg");
    assert!(svg.starts_with("<svg") && svg.contains("ECE"));
    assert_eq!(
        m["files"][1]["metrics"], *file,
        "gzipped rows score the same"
    );
    assert!(dir.path().join("reliability-zipped.svg").exists());
}

#[test]
fn missing_calibration_is_a_startup_error_naming_the_file() {
    let mut file = factgate::config::FileConfig::default();
    file.graph.default_graph = false;
    file.graph.dirs = vec![common::fixture_graph()];
    file.verifier.calibration = "/nonexistent/calibration.json".into();
    let config = factgate::config::Config::validate(file).expect("valid");
    let e = factgate::cli::build_checker(&config, None, true)
        .err()
        .expect("start-up error");
    assert!(e.contains("/nonexistent/calibration.json"), "{e}");
}

/// Writes labeled rows as JSON Lines into `dir/name`.
fn labeled_file(
    dir: &std::path::Path,
    name: &str,
    rows: &[serde_json::Value],
) -> std::path::PathBuf {
    let path = dir.join(name);
    let text: String = rows.iter().map(|r| format!("{r}\n")).collect();
    std::fs::write(&path, text).expect("write labeled file");
    path
}

#[test]
fn response_data_feeds_only_the_response_fits_and_is_recorded() {
    let dir = tempfile::tempdir().expect("tempdir");
    let passage = "Acme Corp reported revenue of 12 million dollars in 2023. The company was \
                   founded in 1998 by Jane Doe in Oslo. It employs 85 people.";
    let ctx = serde_json::json!([{"id": "doc", "text": passage}]);
    // Single-claim rows for the claim model: grounded and hallucinated, about the passage.
    let mut claims = Vec::new();
    for i in 0..20 {
        claims.push(serde_json::json!({"id": format!("s{i}"), "context": ctx,
            "text": "Acme Corp was founded in 1998.", "label": "SUPPORTED"}));
        claims.push(serde_json::json!({"id": format!("u{i}"), "context": ctx,
            "text": "Acme Corp sells garden furniture in Peru.", "label": "UNVERIFIABLE"}));
    }
    let data = labeled_file(dir.path(), "claims.jsonl", &claims);
    // Whole responses of several sentences, right and hallucinated, plus one single-claim row
    // that the response fits cannot use.
    let mut responses = vec![serde_json::json!({"id": "one", "context": ctx,
        "text": "Acme Corp employs 85 people.", "label": "SUPPORTED", "correct": true})];
    for i in 0..20 {
        responses.push(
            serde_json::json!({"id": format!("r{i}"), "context": ctx, "correct": true,
            "text": "Acme Corp was founded in 1998 by Jane Doe. It employs 85 people.",
            "label": "SUPPORTED"}),
        );
        responses.push(
            serde_json::json!({"id": format!("h{i}"), "context": ctx, "correct": false,
            "text": "Acme Corp was founded in 1998 by Jane Doe. It sells garden furniture in Peru.",
            "label": "UNVERIFIABLE"}),
        );
    }
    let more = labeled_file(dir.path(), "responses.jsonl", &responses);
    let fit = |response_files: &[std::path::PathBuf]| {
        let mut c = common::checker(None, "", None).with_neural(verifier(), None);
        factgate::eval::calibrate(&mut c, std::slice::from_ref(&data), response_files)
    };
    let without = fit(&[]).expect("fits on the claim rows alone");
    let with = fit(std::slice::from_ref(&more)).expect("fits with response data");
    // The claim model, its priors and its SUPPORTED bars do not see the response files.
    assert_eq!(with.weights, without.weights);
    assert_eq!(with.unverifiable_prior, without.unverifiable_prior);
    let (a, b) = (
        with.support_threshold.expect("set"),
        without.support_threshold.expect("set"),
    );
    assert_eq!((a.answer, a.other), (b.answer, b.other));
    // Each bar is recorded with what it costs on the rows it was chosen on.
    let bars = &with.metrics["support_bars"];
    assert_eq!(bars["other"]["bar"], a.other);
    assert_eq!(bars["response"]["bar"], a.response);
    assert_eq!(bars["response"]["rows"], 40);
    let fs = bars["other"]["false_supported"].as_f64().expect("a share");
    assert!((0.0..=1.0).contains(&fs), "{fs}");
    // The response combination is fitted on their multi-claim rows only, and recorded.
    assert!(
        without.response.is_none(),
        "no multi-claim rows without them"
    );
    assert_eq!(with.response.as_ref().map(|r| r.rows), Some(40));
    let on = &with.fitted_on;
    assert_eq!(on["response_rows_used"], 40);
    assert_eq!(on["response_rows_unused"], 1);
    assert_eq!(on["response_files"][0]["rows"], 41);
    assert_eq!(
        on["response_files"][0]["sha256"].as_str().map(str::len),
        Some(64)
    );
    assert_eq!(on["files"].as_array().map(Vec::len), Some(1));
    assert_ne!(with.id, without.id);
    // A response file that cannot be read is an error naming it; nothing is fitted.
    let missing = dir.path().join("nope.jsonl");
    let e = fit(std::slice::from_ref(&missing)).expect_err("missing file");
    assert!(e.contains("nope.jsonl"), "{e}");
}
