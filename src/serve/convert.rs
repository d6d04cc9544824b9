//! Conversions between the pipeline's types and the wire: protobuf messages (`factgate.v1`)
//! and their proto3 JSON mapping (the HTTP API). One place, so that every transport answers the
//! same.

use serde_json::{json, Value};

use crate::decide::Action;
use crate::pb;
use crate::pipeline::{CheckInput, CheckOutcome, ClaimResult, Passage};
use crate::reason;

/// Request message -> pipeline input.
pub fn input_from_pb(r: pb::CheckRequest) -> CheckInput {
    CheckInput {
        response: r.response,
        prompt: r.prompt,
        context: r
            .context
            .into_iter()
            .map(|p| Passage {
                id: p.id,
                text: p.text,
            })
            .collect(),
        policy: r.policy,
        labels: r.labels.into_iter().collect(),
        request_id: r.request_id,
        deadline: None,
    }
}

/// Span -> proto.
pub fn span_pb(s: &crate::claims::Span) -> pb::Span {
    pb::Span {
        start: s.start as u32,
        end: s.end as u32,
        start_utf16: s.start_utf16 as u32,
        end_utf16: s.end_utf16 as u32,
    }
}

/// Pipeline verdict -> proto enum.
pub fn verdict_pb(v: Action) -> pb::Verdict {
    match v {
        Action::Allow => pb::Verdict::Allow,
        Action::Flag => pb::Verdict::Flag,
        Action::Block => pb::Verdict::Block,
    }
}

/// Pipeline status -> proto enum.
pub fn status_pb(s: reason::Status) -> pb::ClaimStatus {
    match s {
        reason::Status::Supported => pb::ClaimStatus::ClaimSupported,
        reason::Status::Contradicted => pb::ClaimStatus::ClaimContradicted,
        reason::Status::Unverifiable => pb::ClaimStatus::ClaimUnverifiable,
    }
}

/// Pipeline outcome -> response message.
pub fn outcome_to_pb(o: CheckOutcome) -> pb::CheckResponse {
    pb::CheckResponse {
        verdict: verdict_pb(o.verdict) as i32,
        confidence: o.confidence,
        status: status_pb(o.status) as i32,
        reasons: o
            .reasons
            .into_iter()
            .map(|r| pb::Reason {
                code: r.code.to_string(),
                message: r.message,
            })
            .collect(),
        claims: o.claims.into_iter().map(claim_to_pb).collect(),
        audit_id: o.audit_id,
        versions: Some(pb::Versions {
            graph: o.versions.graph,
            policy: o.versions.policy,
            model: o.versions.model,
            calibration: o.versions.calibration,
            factgate: o.versions.factgate,
        }),
        timings: o.timings.into_iter().collect(),
        request_id: o.request_id,
    }
}

/// Claim result -> proto.
pub fn claim_to_pb(c: ClaimResult) -> pb::Claim {
    pb::Claim {
        text: c.text,
        span: Some(span_pb(&c.span)),
        status: status_pb(c.status) as i32,
        confidence: c.confidence,
        support: c.support,
        evidence: c
            .evidence
            .into_iter()
            .map(|e| pb::Evidence {
                subject: e.subject,
                predicate: e.predicate,
                object: e.object,
                subject_label: e.subject_label,
                object_label: e.object_label,
                graph: e.graph,
                text: e.text,
                source: e.source.to_string(),
                passage_id: e.passage_id,
                passage_span: e.passage_span.as_ref().map(span_pb),
            })
            .collect(),
        explanation: c.explanation,
    }
}

fn status_name(s: i32) -> &'static str {
    pb::ClaimStatus::try_from(s)
        .map(|s| s.as_str_name())
        .unwrap_or("CLAIM_STATUS_UNSPECIFIED")
}

fn span_json(s: &Option<pb::Span>) -> Value {
    match s {
        Some(s) => json!({
            "start": s.start, "end": s.end, "startUtf16": s.start_utf16, "endUtf16": s.end_utf16,
        }),
        None => Value::Null,
    }
}

/// The proto3 JSON mapping of a `CheckResponse`.
pub fn response_json(r: &pb::CheckResponse) -> Value {
    let claims: Vec<Value> = r
        .claims
        .iter()
        .map(|c| {
            let mut v = json!({
                "text": c.text,
                "span": span_json(&c.span),
                "status": status_name(c.status),
                "confidence": c.confidence,
                "evidence": c.evidence.iter().map(|e| json!({
                    "subject": e.subject, "predicate": e.predicate, "object": e.object,
                    "subjectLabel": e.subject_label, "objectLabel": e.object_label,
                    "graph": e.graph, "text": e.text, "source": e.source,
                    "passageId": e.passage_id, "passageSpan": span_json(&e.passage_span),
                })).collect::<Vec<_>>(),
                "explanation": c.explanation,
            });
            if let Some(s) = c.support {
                v["support"] = s.into();
            }
            v
        })
        .collect();
    let versions = r.versions.as_ref().map_or(Value::Null, |v| {
        json!({
            "graph": v.graph, "policy": v.policy, "model": v.model,
            "calibration": v.calibration, "factgate": v.factgate,
        })
    });
    json!({
        "verdict": pb::Verdict::try_from(r.verdict)
            .map(|v| v.as_str_name())
            .unwrap_or("VERDICT_UNSPECIFIED"),
        "confidence": r.confidence,
        "status": status_name(r.status),
        "reasons": r.reasons.iter().map(|x| json!({"code": x.code, "message": x.message})).collect::<Vec<_>>(),
        "claims": claims,
        "auditId": r.audit_id,
        "versions": versions,
        // uint64 is a JSON string in the proto3 mapping.
        "timings": r.timings.iter().map(|(k, v)| (k.clone(), Value::String(v.to_string()))).collect::<serde_json::Map<_, _>>(),
        "requestId": r.request_id,
    })
}
