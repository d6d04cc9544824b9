//! `factgate audit report` and `audit show`: what compliance teams read out of the audit log.
//!
//! The report verifies the chain first (a broken chain is an error, not a report), then groups
//! the `check` records by profile, by the request label `model` or `tenant`, and gives per group:
//! checks, the verdict mix, claims, contradicted claims and their rate among claims, responses
//! with at least one contradicted claim (the "hallucination rate" per response), checks stopped
//! early (internal error, budget, shutdown) and partial ones, and the graph facts that
//! contradicted claims most often. `--since` / `--until` compare the records' RFC 3339 UTC `time`
//! as text, so a date (`2026-12-03`) or any prefix of a timestamp works.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::Serialize;
use serde_json::Value;

/// How checks are grouped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum GroupBy {
    /// The policy profile (`versions.policy` before `@`).
    Profile,
    /// The request label `model` (the LLM that wrote the response).
    Model,
    /// The request label `tenant`.
    Tenant,
}

/// The figures of one group.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Group {
    /// Checks.
    pub checks: u64,
    /// Verdict counts (`allow`, `flag`, `block`).
    pub verdicts: BTreeMap<String, u64>,
    /// Claims in those checks.
    pub claims: u64,
    /// Claims reported CONTRADICTED.
    pub contradicted_claims: u64,
    /// `contradicted_claims / claims`.
    pub contradicted_claim_rate: f64,
    /// Checks with at least one contradicted claim.
    pub responses_with_contradiction: u64,
    /// `responses_with_contradiction / checks`.
    pub hallucination_rate: f64,
    /// Checks that did not complete, by reason code (INTERNAL_ERROR, BUDGET_EXCEEDED, ...).
    pub errors: BTreeMap<String, u64>,
    /// Checks audited as partial.
    pub partial: u64,
    /// Graph facts behind contradictions, most frequent first: (`s p o`, count), at most 10.
    pub top_contradicting_facts: Vec<(String, u64)>,
    #[serde(skip)]
    facts: BTreeMap<String, u64>,
}

/// The whole report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    /// Records the chain verification covered.
    pub records_verified: u64,
    /// Check records in the time window.
    pub checks: u64,
    /// The grouping.
    pub by: String,
    /// Groups by key (`(none)` when a check has no such label).
    pub groups: BTreeMap<String, Group>,
}

/// Reads every record of `files` (in order), as JSON.
pub fn records(files: &[PathBuf]) -> Result<Vec<Value>, String> {
    let mut out = Vec::new();
    for f in files {
        let text =
            std::fs::read_to_string(f).map_err(|e| format!("cannot read {}: {e}", f.display()))?;
        for (i, line) in text.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            out.push(
                serde_json::from_str(line)
                    .map_err(|e| format!("{}:{}: not JSON: {e}", f.display(), i + 1))?,
            );
        }
    }
    Ok(out)
}

/// The report over `records` (already verified: `records_verified` is what the caller checked).
pub fn build(
    records: &[Value],
    by: GroupBy,
    since: Option<&str>,
    until: Option<&str>,
    records_verified: u64,
) -> Report {
    let mut groups: BTreeMap<String, Group> = BTreeMap::new();
    let mut checks = 0;
    for r in records.iter().filter(|r| r["kind"] == "check") {
        let time = r["time"].as_str().unwrap_or("");
        if since.is_some_and(|s| time < s)
            || until.is_some_and(|u| time >= u && !time.starts_with(u))
        {
            continue;
        }
        checks += 1;
        let key = match by {
            GroupBy::Profile => r["versions"]["policy"]
                .as_str()
                .and_then(|p| p.split('@').next())
                .unwrap_or("(none)")
                .to_string(),
            GroupBy::Model => label(r, "model"),
            GroupBy::Tenant => label(r, "tenant"),
        };
        let g = groups.entry(key).or_default();
        g.checks += 1;
        *g.verdicts
            .entry(r["verdict"].as_str().unwrap_or("?").to_string())
            .or_default() += 1;
        let claims = r["claims"].as_array().map(Vec::as_slice).unwrap_or(&[]);
        g.claims += claims.len() as u64;
        let contradicted: Vec<&Value> = claims
            .iter()
            .filter(|c| c["status"] == "CONTRADICTED")
            .collect();
        g.contradicted_claims += contradicted.len() as u64;
        if !contradicted.is_empty() {
            g.responses_with_contradiction += 1;
        }
        for c in contradicted {
            for e in c["evidence"].as_array().map(Vec::as_slice).unwrap_or(&[]) {
                if e["source"] == "graph" {
                    let fact = format!(
                        "{} {} {}",
                        e["s"].as_str().unwrap_or(""),
                        e["p"].as_str().unwrap_or(""),
                        e["o"].as_str().unwrap_or("")
                    );
                    *g.facts.entry(fact).or_default() += 1;
                }
            }
        }
        if !r["error"].is_null() {
            let code = r["reasons"][0]["code"].as_str().unwrap_or("ERROR");
            *g.errors.entry(code.to_string()).or_default() += 1;
        }
        if r["partial"] == true {
            g.partial += 1;
        }
    }
    for g in groups.values_mut() {
        g.contradicted_claim_rate = ratio(g.contradicted_claims, g.claims);
        g.hallucination_rate = ratio(g.responses_with_contradiction, g.checks);
        let mut facts: Vec<(String, u64)> = std::mem::take(&mut g.facts).into_iter().collect();
        facts.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        facts.truncate(10);
        g.top_contradicting_facts = facts;
    }
    Report {
        records_verified,
        checks,
        by: format!("{by:?}").to_lowercase(),
        groups,
    }
}

fn label(r: &Value, name: &str) -> String {
    r["labels"][name].as_str().unwrap_or("(none)").to_string()
}

fn ratio(a: u64, b: u64) -> f64 {
    if b == 0 {
        0.0
    } else {
        a as f64 / b as f64
    }
}

/// The report as text.
pub fn render(r: &Report) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "chain verified: {} records; {} checks, by {}",
        r.records_verified, r.checks, r.by
    );
    for (key, g) in &r.groups {
        let verdicts: Vec<String> = g.verdicts.iter().map(|(v, n)| format!("{v} {n}")).collect();
        let _ = writeln!(
            out,
            "\n{key}: {} checks ({})",
            g.checks,
            verdicts.join(", ")
        );
        let _ = writeln!(
            out,
            "  claims {}, contradicted {} ({:.1} %); responses with a contradiction {} ({:.1} %)",
            g.claims,
            g.contradicted_claims,
            100.0 * g.contradicted_claim_rate,
            g.responses_with_contradiction,
            100.0 * g.hallucination_rate
        );
        if !g.errors.is_empty() || g.partial > 0 {
            let errors: Vec<String> = g.errors.iter().map(|(k, n)| format!("{k} {n}")).collect();
            let _ = writeln!(
                out,
                "  not completed: {}; partial {}",
                if errors.is_empty() {
                    "none".to_string()
                } else {
                    errors.join(", ")
                },
                g.partial
            );
        }
        for (fact, n) in &g.top_contradicting_facts {
            let _ = writeln!(out, "  contradicted by {fact} ({n}×)");
        }
    }
    out
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Verdicts in chart order, with their colours (as the demo page's badges).
const VERDICT_COLOURS: [(&str, &str); 3] = [
    ("allow", "#1e8e3e"),
    ("flag", "#c77700"),
    ("block", "#c5221f"),
];

/// One group's chart: the verdict mix as a stacked bar and the two contradiction rates as bars,
/// as inline SVG (rendered by any browser or SVG viewer; no script). Every bar carries
/// `data-*` attributes with the figure it draws.
fn group_svg(g: &Group) -> String {
    use std::fmt::Write as _;
    const W: f64 = 480.0;
    const X0: f64 = 180.0;
    let mut svg = String::new();
    let _ = write!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="720" height="96" font-family="sans-serif" font-size="12" role="img">"#
    );
    let _ = write!(svg, r#"<text x="0" y="16">verdicts</text>"#);
    let mut x = X0;
    for (v, colour) in VERDICT_COLOURS {
        let n = g.verdicts.get(v).copied().unwrap_or(0);
        let w = W * ratio(n, g.checks);
        if n > 0 {
            let _ = write!(
                svg,
                r#"<rect class="verdict" data-verdict="{v}" data-count="{n}" x="{x:.1}" y="4" width="{w:.1}" height="16" fill="{colour}"><title>{v} {n}</title></rect>"#
            );
        }
        x += w;
    }
    for (i, (name, rate)) in [
        ("contradicted claims", g.contradicted_claim_rate),
        ("responses w/ contradiction", g.hallucination_rate),
    ]
    .into_iter()
    .enumerate()
    {
        let y = 36.0 + 26.0 * i as f64;
        let _ = write!(
            svg,
            r##"<text x="0" y="{ty:.0}">{name}</text><rect x="{X0:.0}" y="{y:.0}" width="{W:.0}" height="16" fill="#eceff3"/><rect class="rate" data-rate="{rate:.4}" x="{X0:.0}" y="{y:.0}" width="{w:.1}" height="16" fill="#c5221f"/><text x="{tx:.0}" y="{ty:.0}">{pct:.1} %</text>"##,
            ty = y + 12.0,
            w = W * rate,
            tx = X0 + W + 6.0,
            pct = 100.0 * rate
        );
    }
    svg.push_str("</svg>");
    svg
}

/// The report as a self-contained HTML page (no script, no external resources): a table and a
/// chart per group.
pub fn render_html(r: &Report) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    let _ = write!(
        out,
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>factgate audit report</title>\
         <style>body{{font-family:system-ui,sans-serif;max-width:980px;margin:1.5rem auto;padding:0 1rem;color:#1d2433}}\
         table{{border-collapse:collapse}}td,th{{border-top:1px solid #dde1e7;padding:.25rem .6rem;text-align:left}}\
         section{{margin:1.2rem 0;padding-top:.4rem;border-top:2px solid #1d2433}}code{{font-size:.85rem}}</style></head><body>\
         <h1>factgate audit report</h1><p>chain verified: {} records; {} checks, grouped by {}</p>",
        r.records_verified,
        r.checks,
        escape(&r.by)
    );
    for (key, g) in &r.groups {
        let _ = write!(
            out,
            "<section class=\"group\" data-group=\"{k}\"><h2>{k}</h2>{svg}<table>\
             <tr><th>checks</th><td>{}</td></tr><tr><th>verdicts</th><td>{}</td></tr>\
             <tr><th>claims</th><td>{}</td></tr><tr><th>contradicted claims</th><td>{} ({:.1} %)</td></tr>\
             <tr><th>responses with a contradiction</th><td>{} ({:.1} %)</td></tr>\
             <tr><th>not completed</th><td>{}</td></tr><tr><th>partial</th><td>{}</td></tr></table>",
            g.checks,
            escape(
                &g.verdicts
                    .iter()
                    .map(|(v, n)| format!("{v} {n}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            g.claims,
            g.contradicted_claims,
            100.0 * g.contradicted_claim_rate,
            g.responses_with_contradiction,
            100.0 * g.hallucination_rate,
            if g.errors.is_empty() {
                "none".to_string()
            } else {
                escape(
                    &g.errors
                        .iter()
                        .map(|(k, n)| format!("{k} {n}"))
                        .collect::<Vec<_>>()
                        .join(", "),
                )
            },
            g.partial,
            k = escape(key),
            svg = group_svg(g),
        );
        if !g.top_contradicting_facts.is_empty() {
            out.push_str("<h3>facts behind contradictions</h3><ol>");
            for (fact, n) in &g.top_contradicting_facts {
                let _ = write!(out, "<li><code>{}</code> ({n}×)</li>", escape(fact));
            }
            out.push_str("</ol>");
        }
        out.push_str("</section>");
    }
    out.push_str("</body></html>\n");
    out
}

/// The record whose `audit_id` (`<seq>-<first 16 hex of hash>`) or `request_id` is `id`.
pub fn find<'a>(records: &'a [Value], id: &str) -> Option<&'a Value> {
    records.iter().find(|r| {
        let audit_id = format!(
            "{}-{}",
            r["seq"].as_u64().map(|s| s.to_string()).unwrap_or_default(),
            r["hash"].as_str().unwrap_or("").get(..16).unwrap_or("")
        );
        audit_id == id || r["request_id"].as_str() == Some(id)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_escapes_labels_and_draws_bars_to_scale() {
        let records: Vec<Value> = ["allow", "block", "block", "flag"]
            .iter()
            .map(|v| {
                serde_json::json!({"kind": "check", "time": "2026-12-03T00:00:00Z", "verdict": v,
                    "labels": {"model": "<script>x</script>"}, "claims": []})
            })
            .collect();
        let r = build(&records, GroupBy::Model, None, None, 4);
        let html = render_html(&r);
        assert!(!html.contains("<script>"), "{html}");
        assert!(html.contains("&lt;script&gt;x&lt;/script&gt;"));
        // 480 px for all checks: block is 2 of 4.
        assert!(
            html.contains(r#"data-verdict="block" data-count="2" x="420.0" y="4" width="240.0""#),
            "{html}"
        );
    }
}
