//! Calibrate stage: turns the signals of a claim into the probability that it is correct.
//!
//! Until a fitted calibration exists, confidence comes from the symbolic result alone with the
//! fixed values below (`versions.calibration = "none"`). They are deliberately conservative
//! round numbers, not fitted on anything:
//!
//! | symbolic result                          | confidence |
//! |------------------------------------------|-----------:|
//! | SUPPORTED, exact match                    | 0.95 |
//! | SUPPORTED, number within tolerance        | 0.90 |
//! | CONTRADICTED                              | 0.05 |
//! | UNVERIFIABLE                              | 0.50 |

use crate::reason::{MatchKind, Status};

/// Identifier reported in `versions.calibration` for the fixed table.
pub const NONE_ID: &str = "none";

/// Confidence that a claim with this symbolic result is correct.
pub fn symbolic_confidence(status: Status, strength: MatchKind) -> f64 {
    match (status, strength) {
        (Status::Supported, MatchKind::WithinTolerance) => 0.90,
        (Status::Supported, _) => 0.95,
        (Status::Contradicted, _) => 0.05,
        (Status::Unverifiable, _) => 0.50,
    }
}

/// Response confidence: the lowest claim confidence (a response is only as trustworthy as its
/// weakest claim); 0.5 when there are no claims (nothing was checked).
pub fn response_confidence(claims: &[f64]) -> f64 {
    claims
        .iter()
        .copied()
        .fold(None, |acc: Option<f64>, c| {
            Some(acc.map_or(c, |a| a.min(c)))
        })
        .unwrap_or(0.5)
}
