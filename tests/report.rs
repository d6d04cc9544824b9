//! `factgate audit report` / `audit show`: per-LLM figures out of a verified audit log.

use factgate::pipeline::CheckInput;

use crate::common;

fn check(c: &factgate::pipeline::Checker, text: &str, model: &str) -> String {
    c.check(&CheckInput {
        response: text.into(),
        labels: [("model".to_string(), model.to_string())].into(),
        request_id: format!("{model}-{}", text.len()),
        ..CheckInput::default()
    })
    .expect("checked")
    .audit_id
}

#[test]
fn report_by_model_counts_contradictions_and_show_prints_one_decision() {
    let dir = tempfile::tempdir().expect("tempdir");
    let log = dir.path().join("audit.jsonl");
    let c = common::checker(None, "", Some(common::audit_config(dir.path())));
    let id = check(
        &c,
        "The capital of France is Berlin. Paris is in France.",
        "llm-a",
    );
    check(&c, "Paris is in France.", "llm-a");
    check(&c, "Berlin is in Germany.", "llm-b");
    c.shutdown();

    let out = common::factgate_bin()
        .args(["audit", "report", "--by", "model", "--json"])
        .arg(&log)
        .output()
        .expect("runs");
    let r: serde_json::Value = serde_json::from_str(&common::stdout_ok(out)).expect("json");
    assert_eq!(r["checks"], 3);
    let a = &r["groups"]["llm-a"];
    assert_eq!(a["checks"], 2);
    assert_eq!(a["verdicts"]["block"], 1);
    assert_eq!(a["claims"], 3);
    assert_eq!(a["contradicted_claims"], 1);
    assert_eq!(a["responses_with_contradiction"], 1);
    assert_eq!(a["hallucination_rate"], 0.5);
    assert!(a["top_contradicting_facts"][0][0]
        .as_str()
        .expect("fact")
        .contains("https://factgate.dev/ns#capital"));
    assert_eq!(r["groups"]["llm-b"]["contradicted_claims"], 0);

    let out = common::factgate_bin()
        .args(["audit", "report"])
        .arg(&log)
        .output()
        .expect("runs");
    let text = common::stdout_ok(out);
    assert!(text.contains("chain verified: 3 records"), "{text}");
    assert!(text.contains("default: 3 checks"), "{text}");

    let out = common::factgate_bin()
        .args(["audit", "show", &id])
        .arg(&log)
        .output()
        .expect("runs");
    let one: serde_json::Value = serde_json::from_str(&common::stdout_ok(out)).expect("json");
    assert_eq!(one["labels"]["model"], "llm-a");
    assert_eq!(one["verdict"], "block");
    let out = common::factgate_bin()
        .args(["audit", "show", "no-such-id"])
        .arg(&log)
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(1));

    // The HTML report: a section and a chart per group, each bar carrying its figure.
    let out = common::factgate_bin()
        .args(["audit", "report", "--by", "model", "--html"])
        .arg(&log)
        .output()
        .expect("runs");
    let html = common::stdout_ok(out);
    assert!(html.starts_with("<!doctype html>"), "{html}");
    assert!(html.contains(r#"data-group="llm-a""#) && html.contains(r#"data-group="llm-b""#));
    let a = &html[html.find(r#"data-group="llm-a""#).expect("llm-a")..];
    let a = &a[..a.find("</section>").expect("section end")];
    assert!(a.contains(r#"data-verdict="block" data-count="1""#), "{a}");
    assert!(
        a.contains(r#"data-rate="0.5000""#),
        "half the responses: {a}"
    );
    // A tampered log is not reported on.
    let text = std::fs::read_to_string(&log).expect("read");
    std::fs::write(&log, text.replacen("\"block\"", "\"allow\"", 1)).expect("write");
    let out = common::factgate_bin()
        .args(["audit", "report"])
        .arg(&log)
        .output()
        .expect("runs");
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("does not verify"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
