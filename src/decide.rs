//! Decide stage: applies a policy profile to the checked claims and returns the verdict with
//! its reason codes. Every verdict carries at least one reason.

use serde::{Deserialize, Serialize};

use crate::reason::Status;

/// What to do with a class of finding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Let it through.
    Allow,
    /// Let it through with a warning.
    Flag,
    /// Stop it.
    Block,
}

impl Action {
    /// The name as in the audit log and the metrics (`allow`, `flag`, `block`).
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Allow => "allow",
            Action::Flag => "flag",
            Action::Block => "block",
        }
    }
}

/// The decision for a response (ordered by severity).
pub type Verdict = Action;

/// What an internal failure of factgate turns into.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OnError {
    /// BLOCK (the safe default for a guard).
    FailClosed,
    /// ALLOW, still with the INTERNAL_ERROR reason code.
    FailOpen,
}

/// A policy profile. Defaults are the built-in `default` profile.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Policy {
    /// Bumped by whoever edits the profile; reported as `name@version+hash`.
    pub version: u32,
    /// FLAG when the response confidence is below this.
    pub flag_below: f64,
    /// BLOCK when the response confidence is below this.
    pub block_below: f64,
    /// BLOCK (instead of FLAG) when any claim is contradicted.
    pub block_on_contradiction: bool,
    /// What an unverifiable claim means.
    pub unverifiable: Action,
    /// What an internal failure means.
    pub on_error: OnError,
    /// Keep the raw text in the audit log (otherwise only SHA-256 hashes).
    pub store_text: bool,
    /// Largest accepted `response`, in bytes.
    pub max_response_bytes: usize,
    /// Largest accepted total size of `context` passages, in bytes.
    pub max_context_bytes: usize,
    /// Most accepted `context` passages.
    pub max_passages: usize,
    /// Largest accepted `prompt`, in bytes.
    pub max_prompt_bytes: usize,
    /// Most accepted `labels`.
    pub max_labels: usize,
    /// Largest accepted label key and label value, in bytes each.
    pub max_label_bytes: usize,
    /// Largest accepted `request_id`, in bytes.
    pub max_request_id_bytes: usize,
    /// Most claims one check examines; the rest are reported unchecked (BUDGET_EXCEEDED).
    pub max_claims: usize,
    /// Most (premise, claim) pairs one check sends to the verifier model.
    pub max_model_pairs: usize,
    /// Wall time one check may spend, in milliseconds (0 = no limit); no new claim or model
    /// work starts after it.
    pub max_check_ms: u64,
}

impl Default for Policy {
    fn default() -> Self {
        Self {
            version: 1,
            flag_below: 0.3,
            block_below: 0.0,
            block_on_contradiction: true,
            unverifiable: Action::Allow,
            on_error: OnError::FailClosed,
            store_text: false,
            max_response_bytes: 64 * 1024,
            max_context_bytes: 256 * 1024,
            max_passages: 32,
            max_prompt_bytes: 32 * 1024,
            max_labels: 32,
            max_label_bytes: 256,
            max_request_id_bytes: 128,
            max_claims: 2048,
            max_model_pairs: 2048,
            max_check_ms: 5000,
        }
    }
}

impl Policy {
    /// The built-in `strict` profile: unverifiable claims are flagged, low confidence blocks.
    pub fn strict() -> Self {
        Self {
            unverifiable: Action::Flag,
            flag_below: 0.6,
            block_below: 0.2,
            ..Self::default()
        }
    }

    /// Checks the thresholds make sense.
    pub fn validate(&self, name: &str) -> Result<(), String> {
        for (k, v) in [
            ("flag_below", self.flag_below),
            ("block_below", self.block_below),
        ] {
            if !(0.0..=1.0).contains(&v) {
                return Err(format!("profile {name}: {k} = {v} is outside 0..1"));
            }
        }
        if self.block_below > self.flag_below {
            return Err(format!(
                "profile {name}: block_below ({}) is above flag_below ({})",
                self.block_below, self.flag_below
            ));
        }
        for (k, v) in [
            ("max_response_bytes", self.max_response_bytes),
            ("max_claims", self.max_claims),
            ("max_model_pairs", self.max_model_pairs),
        ] {
            if v == 0 {
                return Err(format!("profile {name}: {k} must be > 0"));
            }
        }
        Ok(())
    }
}

/// A reason code with its message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Reason {
    /// Stable code.
    pub code: &'static str,
    /// Explanation.
    pub message: String,
}

/// The decision for claims given as (status, confidence): verdict and reasons.
///
/// Unverifiable claims are governed by the profile's `unverifiable` action alone; the confidence
/// thresholds (`flag_below`, `block_below`) apply to the lowest confidence among the claims the
/// evidence decided (SUPPORTED or CONTRADICTED), so an answer whose claims are merely outside
/// the evidence is not flagged twice, once as UNVERIFIABLE_CLAIM and again as LOW_CONFIDENCE.
pub fn decide(policy: &Policy, claims: &[(Status, f64)]) -> (Verdict, Vec<Reason>) {
    let mut verdict = Action::Allow;
    let mut reasons = Vec::new();
    let statuses: Vec<Status> = claims.iter().map(|c| c.0).collect();
    let count = |s: Status| statuses.iter().filter(|&&x| x == s).count();
    if statuses.is_empty() {
        verdict = verdict.max(policy.unverifiable);
        reasons.push(Reason {
            code: "NO_CLAIMS",
            message: "the response contains no checkable statement".into(),
        });
    }
    let contradicted = count(Status::Contradicted);
    if contradicted > 0 {
        verdict = verdict.max(if policy.block_on_contradiction {
            Action::Block
        } else {
            Action::Flag
        });
        reasons.push(Reason {
            code: "CONTRADICTED_CLAIM",
            message: format!("{contradicted} claim(s) contradicted by the evidence"),
        });
    }
    let unverifiable = count(Status::Unverifiable);
    if unverifiable > 0 {
        verdict = verdict.max(policy.unverifiable);
        reasons.push(Reason {
            code: "UNVERIFIABLE_CLAIM",
            message: format!("{unverifiable} claim(s) could not be checked"),
        });
    }
    let decided = claims
        .iter()
        .filter(|c| c.0 != Status::Unverifiable)
        .map(|c| c.1)
        .reduce(f64::min);
    if let Some(confidence) = decided {
        if confidence < policy.block_below {
            verdict = Action::Block;
            reasons.push(Reason {
                code: "LOW_CONFIDENCE",
                message: format!(
                    "lowest confidence of a checked claim {confidence:.3} is below block_below {}",
                    policy.block_below
                ),
            });
        } else if confidence < policy.flag_below {
            verdict = verdict.max(Action::Flag);
            reasons.push(Reason {
                code: "LOW_CONFIDENCE",
                message: format!(
                    "lowest confidence of a checked claim {confidence:.3} is below flag_below {}",
                    policy.flag_below
                ),
            });
        }
    }
    if reasons.is_empty() {
        reasons.push(Reason {
            code: "ALL_SUPPORTED",
            message: format!("all {} claim(s) supported by the evidence", statuses.len()),
        });
    }
    (verdict, reasons)
}

/// The verdict and reason for an internal failure.
pub fn on_error(policy: &Policy, message: &str) -> (Verdict, Vec<Reason>) {
    let verdict = match policy.on_error {
        OnError::FailClosed => Action::Block,
        OnError::FailOpen => Action::Allow,
    };
    (
        verdict,
        vec![Reason {
            code: "INTERNAL_ERROR",
            message: format!(
                "factgate could not complete the check ({message}); on_error = {:?}",
                policy.on_error
            ),
        }],
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn action_names_are_the_serialized_ones() {
        for a in [Action::Allow, Action::Flag, Action::Block] {
            assert_eq!(serde_json::to_value(a).expect("json"), a.as_str());
        }
    }

    #[test]
    fn contradiction_blocks_and_unverifiable_follows_policy() {
        let p = Policy::default();
        let (v, r) = decide(
            &p,
            &[(Status::Supported, 0.9), (Status::Contradicted, 0.05)],
        );
        assert_eq!(v, Action::Block);
        assert!(r.iter().any(|r| r.code == "CONTRADICTED_CLAIM"));
        let (v, r) = decide(&p, &[(Status::Unverifiable, 0.5)]);
        assert_eq!(v, Action::Allow);
        assert_eq!(r[0].code, "UNVERIFIABLE_CLAIM");
        let (v, _) = decide(&Policy::strict(), &[(Status::Unverifiable, 0.5)]);
        assert_eq!(v, Action::Flag);
    }

    #[test]
    fn low_confidence_is_about_checked_claims_only() {
        let p = Policy::default();
        // Claims outside the evidence with a low prior: the `unverifiable` action decides.
        let (v, r) = decide(
            &p,
            &[(Status::Unverifiable, 0.1), (Status::Unverifiable, 0.2)],
        );
        assert_eq!(v, Action::Allow);
        assert_eq!(
            r.iter().map(|r| r.code).collect::<Vec<_>>(),
            ["UNVERIFIABLE_CLAIM"]
        );
        // A weakly supported claim under strict is flagged for its confidence.
        let (v, r) = decide(
            &Policy::strict(),
            &[(Status::Supported, 0.55), (Status::Unverifiable, 0.1)],
        );
        assert_eq!(v, Action::Flag);
        assert!(r.iter().any(|r| r.code == "LOW_CONFIDENCE"));
    }

    #[test]
    fn fail_closed_never_allows() {
        let (v, r) = on_error(&Policy::default(), "boom");
        assert_eq!(v, Action::Block);
        assert_eq!(r[0].code, "INTERNAL_ERROR");
    }
}
