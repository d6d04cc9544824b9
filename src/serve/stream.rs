//! Streamed checks: an LLM response that arrives in pieces, checked sentence by sentence.
//!
//! [`StreamCheck`] owns the incremental state: it reassembles UTF-8 split across chunks,
//! enforces the policy's `max_response_bytes` on the whole stream, and checks each claim as soon
//! as its sentence is complete (followed by more text, or by the end of input), with spans
//! relative to the whole response. [`run`] drives it for `Guard/CheckStream`; the Envoy
//! ext_proc service ([`super::extproc`]) drives it for server-sent-event streams.
//!
//! Completeness is decided on [`claims::split`] of the unchecked tail: a claim is complete when a
//! newline follows it, or when a later claim starts after a sentence boundary (whitespace after
//! a stop) and that later claim's first word is complete (the abbreviation rules read the next
//! word: "the U.S. It" splits, "the U.S. Italy" does not), or when the claim was cut by the claim
//! length cap and the next piece has started (so a run without stops is not re-split on every
//! chunk: work per chunk stays bounded). Text before the last such boundary is
//! never split again, so every claim is checked once and work per chunk is bounded by the tail.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Instant;

use tokio::sync::{mpsc, watch, OwnedSemaphorePermit};
use tokio_stream::{Stream, StreamExt};
use tonic::Status;

use super::convert::{claim_to_pb, outcome_to_pb, span_pb};
use crate::claims::{self, Span, Utf16Index};
use crate::decide::{self, Reason, Verdict};
use crate::pb;
use crate::pipeline::{self, CheckError, CheckInput, CheckOutcome, Checker, ClaimResult, Passage};

/// Reassembles UTF-8 text from byte chunks that may end inside a character.
#[derive(Debug, Default)]
pub struct Utf8Assembler {
    /// The bytes of an incomplete character at the end of the last chunk (at most 3).
    tail: Vec<u8>,
    /// Bytes consumed so far (for error offsets).
    consumed: usize,
}

impl Utf8Assembler {
    /// The complete characters that `chunk` finishes. `Err` is the byte offset (in the whole
    /// stream) of the first invalid sequence.
    pub fn push(&mut self, chunk: &[u8]) -> Result<String, usize> {
        let mut buf = std::mem::take(&mut self.tail);
        buf.extend_from_slice(chunk);
        let start = self.consumed;
        match std::str::from_utf8(&buf) {
            Ok(s) => {
                self.consumed += buf.len();
                Ok(s.to_string())
            }
            // An incomplete sequence at the very end: keep it for the next chunk.
            Err(e) if e.error_len().is_none() => {
                let valid = e.valid_up_to();
                self.tail = buf[valid..].to_vec();
                buf.truncate(valid);
                self.consumed += valid;
                // `valid_up_to` is a char boundary of valid UTF-8.
                String::from_utf8(buf).map_err(|_| start + valid)
            }
            Err(e) => Err(start + e.valid_up_to()),
        }
    }

    /// True when no incomplete character is pending.
    pub fn is_clean(&self) -> bool {
        self.tail.is_empty()
    }

    /// Byte offset (in the whole stream) of the pending incomplete character.
    pub fn offset(&self) -> usize {
        self.consumed
    }
}

/// Incremental check of one response.
pub struct StreamCheck {
    checker: Arc<Checker>,
    /// `response` is the text accepted so far.
    input: CheckInput,
    limit: usize,
    utf8: Utf8Assembler,
    /// Byte offset of the checked prefix: every claim before it is in `results`.
    checked: usize,
    checked_utf16: usize,
    results: Vec<ClaimResult>,
    /// Why claims went unchecked, the first time it happened (passed on to `finish`).
    error: Option<pipeline::Shortfall>,
    /// Claims and model pairs are spent over the whole stream; wall time per piece of work.
    budget: pipeline::Budget,
    timings: BTreeMap<String, u64>,
    started: Instant,
}

impl StreamCheck {
    /// Starts a check for `head` (its `response` is ignored). Fails like `Check` for an unknown
    /// policy or context over the policy's limits.
    pub fn new(checker: Arc<Checker>, mut head: CheckInput) -> Result<Self, CheckError> {
        // `validate` also insists on a non-empty response, which a stream does not have yet:
        // validate the head with a placeholder so every other rule stays in one place.
        head.response = "-".into();
        let validated = checker.validate(&head);
        head.response.clear();
        validated?;
        let policy = checker.policy(&head.policy)?.1;
        let limit = policy.max_response_bytes;
        let budget = pipeline::Budget::new(policy, head.deadline);
        Ok(Self {
            checker,
            input: head,
            limit,
            utf8: Utf8Assembler::default(),
            checked: 0,
            checked_utf16: 0,
            results: Vec::new(),
            error: None,
            budget,
            timings: BTreeMap::new(),
            started: Instant::now(),
        })
    }

    /// Appends raw bytes (UTF-8, possibly split inside a character). On error nothing of
    /// `chunk` is accepted. `field` names the request field in error messages.
    pub fn push_bytes(&mut self, field: &str, chunk: &[u8]) -> Result<(), CheckError> {
        let text = self.utf8.push(chunk).map_err(|at| {
            CheckError::InvalidArgument(format!(
                "{field}: invalid UTF-8 at byte {at} of the response stream"
            ))
        })?;
        self.push_str(&text)
    }

    /// Appends text. On error (over the limit) nothing of `text` is accepted.
    pub fn push_str(&mut self, text: &str) -> Result<(), CheckError> {
        let total = self.input.response.len() + text.len();
        if total > self.limit {
            return Err(CheckError::InvalidArgument(format!(
                "response: the stream is over the limit of {} bytes (policy max_response_bytes); \
                 {} bytes were accepted before this chunk",
                self.limit,
                self.input.response.len()
            )));
        }
        self.input.response.push_str(text);
        Ok(())
    }

    /// The text accepted so far.
    pub fn text(&self) -> &str {
        &self.input.response
    }

    /// The checked prefix `[0, end)` of the response.
    pub fn checked(&self) -> Span {
        Span {
            start: 0,
            end: self.checked,
            start_utf16: 0,
            end_utf16: self.checked_utf16,
        }
    }

    /// All claims checked so far.
    pub fn results(&self) -> &[ClaimResult] {
        &self.results
    }

    /// Checks the claims whose sentences are now complete and returns them (spans relative to
    /// the whole response). Blocking (runs the pipeline): call on a blocking thread.
    pub fn advance(&mut self) -> Vec<ClaimResult> {
        let rest = &self.input.response[self.checked..];
        let t = Instant::now();
        let claims = claims::split(rest);
        let cut = settled(rest, &claims).map(|(n, cut)| (n, cut, Utf16Index::new(rest).utf16(cut)));
        self.add_timing("claims", t.elapsed().as_micros() as u64);
        let Some((n, cut, cut_utf16)) = cut else {
            return Vec::new();
        };
        let fresh = self.check(claims.into_iter().take(n).collect());
        self.checked += cut;
        self.checked_utf16 += cut_utf16;
        fresh
    }

    /// The decision the claims checked so far call for (before the end of the response). Used
    /// to stop a stream early; the final decision is [`StreamCheck::finish`]'s.
    pub fn provisional(&self) -> (Verdict, Vec<Reason>) {
        let policy = match self.checker.policy(&self.input.policy) {
            Ok((_, p)) => p,
            // Validated in `new`; a missing profile here is a bug, decided as an error.
            Err(e) => return decide::on_error(&decide::Policy::default(), &e.to_string()),
        };
        if let Some(pipeline::Shortfall::Internal(message)) = &self.error {
            return decide::on_error(policy, message);
        }
        if self.results.is_empty() {
            return (decide::Action::Allow, Vec::new());
        }
        let claims: Vec<_> = self
            .results
            .iter()
            .map(|c| (c.status, c.confidence))
            .collect();
        decide::decide(policy, &claims)
    }

    /// Checks that the input ended cleanly: some text, no half character.
    pub fn end_of_input(&self, field: &str) -> Result<(), CheckError> {
        if !self.utf8.is_clean() {
            return Err(CheckError::InvalidArgument(format!(
                "{field}: the stream ended inside a multi-byte UTF-8 character at byte {}",
                self.utf8.offset()
            )));
        }
        if self.input.response.trim().is_empty() {
            return Err(CheckError::InvalidArgument(format!(
                "{field}: the stream ended without any response text"
            )));
        }
        Ok(())
    }

    /// Checks the rest (the last sentence, complete or not), decides and writes the audit
    /// record. `partial` marks a stream that did not reach its end (cancelled, or stopped by an
    /// error). Blocking: call on a blocking thread.
    pub fn finish(mut self, partial: bool) -> Result<CheckOutcome, CheckError> {
        let rest = &self.input.response[self.checked..];
        let t = Instant::now();
        let claims = claims::split(rest);
        self.add_timing("claims", t.elapsed().as_micros() as u64);
        self.check(claims);
        let StreamCheck {
            checker,
            input,
            results,
            error,
            timings,
            started,
            ..
        } = self;
        let partial = partial || matches!(error, Some(pipeline::Shortfall::Shutdown(_)));
        checker.finish(&input, results, error, partial, timings, started)
    }

    /// Runs the pipeline on claims of the unchecked tail (local spans), records and returns
    /// the results with spans relative to the whole response.
    fn check(&mut self, local: Vec<claims::Claim>) -> Vec<ClaimResult> {
        if local.is_empty() {
            return Vec::new();
        }
        let claims: Vec<claims::Claim> = local
            .into_iter()
            .map(|mut c| {
                c.span.start += self.checked;
                c.span.end += self.checked;
                c.span.start_utf16 += self.checked_utf16;
                c.span.end_utf16 += self.checked_utf16;
                c
            })
            .collect();
        let mut timings = BTreeMap::new();
        let fresh = if let Some(first) = &self.error {
            // Once the budget ran out (or an internal error happened), nothing more is checked.
            pipeline::unchecked(&claims, first.code())
        } else {
            self.budget.restart_clock();
            let checked =
                self.checker
                    .check_claims(&self.input, &claims, &mut self.budget, &mut timings);
            if let Some(s) = checked.shortfall {
                self.error = Some(s);
            }
            checked.results
        };
        for (k, v) in timings {
            self.add_timing(&k, v);
        }
        self.results.extend(fresh.iter().cloned());
        fresh
    }

    fn add_timing(&mut self, stage: &str, micros: u64) {
        *self.timings.entry(stage.to_string()).or_default() += micros;
    }
}

fn ends_with_stop(claim: &str) -> bool {
    claim
        .trim_end_matches(['"', '\'', ')', ']', '”', '’', '»', '」'])
        .ends_with(['.', '!', '?', '。', '！', '？'])
}

fn is_newline(c: char) -> bool {
    matches!(c, '\n' | '\u{2028}' | '\u{2029}')
}

/// Where the text after the last line break of `s` starts; `None` without one.
fn after_last_newline(s: &str) -> Option<usize> {
    s.char_indices()
        .rev()
        .find(|&(_, c)| is_newline(c))
        .map(|(i, c)| i + c.len_utf8())
}

/// How many of `claims` (split from `rest`) are complete, and where the unchecked tail starts
/// afterwards; `None` when nothing new is settled.
fn settled(rest: &str, claims: &[claims::Claim]) -> Option<(usize, usize)> {
    let mut cut = None;
    for i in 1..claims.len() {
        let (prev, next) = (&claims[i - 1], &claims[i]);
        let gap = &rest[prev.span.end..next.span.start];
        // Lines always split. A sentence boundary needs the next claim's first word complete:
        // the abbreviation rules read the next word.
        let line = gap.contains(is_newline);
        // A length cut is final once the next piece exists (the cap's window is complete).
        let sentence = gap.chars().all(char::is_whitespace)
            && (prev.cut
                || (ends_with_stop(&prev.text)
                    && rest[next.span.start..].contains(char::is_whitespace)));
        if line || sentence {
            cut = Some((i, next.span.start));
        }
    }
    // A newline after the last claim ends it whatever follows.
    let last_end = claims.last().map_or(0, |c| c.span.end);
    if let Some(i) = after_last_newline(&rest[last_end..]) {
        cut = Some((claims.len(), last_end + i));
    }
    // A table row's line may be a header, which only the next line (its "|---|") tells: the
    // cut waits before it until that line is complete.
    let (n, c) = cut?;
    let head = rest[..c].trim_end();
    let start = after_last_newline(head).unwrap_or(0);
    if claims::table_line(&head[start..]) && !rest[c..].contains(is_newline) {
        let n = claims.iter().take_while(|cl| cl.span.end <= start).count();
        return (start > 0).then_some((n, start));
    }
    Some((n, c))
}

/// The error status for a stream stopped after text was accepted: the partial audit record of
/// that text is written first and named in the message. Blocking.
pub fn fail(state: Option<StreamCheck>, error: CheckError) -> Status {
    let mut status: Status = error.into();
    if let Some(state) = state {
        match state.finish(true) {
            Ok(o) if !o.audit_id.is_empty() => {
                status = Status::new(
                    status.code(),
                    format!(
                        "{}; the part received was checked and audited as partial (audit id {})",
                        status.message(),
                        o.audit_id
                    ),
                );
            }
            Ok(_) => {}
            Err(e) => tracing::error!(error = %e, "partial audit of a failed stream failed"),
        }
    }
    status
}

fn head_from_pb(r: &mut pb::CheckStreamRequest) -> CheckInput {
    CheckInput {
        response: String::new(),
        prompt: std::mem::take(&mut r.prompt),
        context: std::mem::take(&mut r.context)
            .into_iter()
            .map(|p| Passage {
                id: p.id,
                text: p.text,
            })
            .collect(),
        policy: std::mem::take(&mut r.policy),
        labels: std::mem::take(&mut r.labels).into_iter().collect(),
        request_id: std::mem::take(&mut r.request_id),
        deadline: None,
    }
}

/// The first-message-only field set in a later message, if any.
fn misplaced_head_field(r: &pb::CheckStreamRequest) -> Option<&'static str> {
    [
        ("prompt", !r.prompt.is_empty()),
        ("context", !r.context.is_empty()),
        ("policy", !r.policy.is_empty()),
        ("labels", !r.labels.is_empty()),
        ("request_id", !r.request_id.is_empty()),
    ]
    .into_iter()
    .find(|(_, set)| *set)
    .map(|(name, _)| name)
}

/// Runs `f` with the state on a blocking thread and gives the state back.
async fn blocking<T: Send + 'static>(
    state: StreamCheck,
    f: impl FnOnce(&mut StreamCheck) -> T + Send + 'static,
) -> Result<(StreamCheck, T), Status> {
    tokio::task::spawn_blocking(move || {
        let mut state = state;
        let out = f(&mut state);
        (state, out)
    })
    .await
    .map_err(|e| Status::internal(format!("stream check task failed: {e}")))
}

/// Serves one `Guard/CheckStream` call: reads `inbound`, writes to `tx`. Holds `permit` until
/// the audit record is written, also when the client goes away. When `closing` turns true
/// (server shutdown) the stream ends with UNAVAILABLE after a partial audit record.
pub async fn run<S>(
    checker: Arc<Checker>,
    permit: OwnedSemaphorePermit,
    mut inbound: S,
    tx: mpsc::Sender<Result<pb::CheckStreamResponse, Status>>,
    mut closing: watch::Receiver<bool>,
    deadline: Option<Instant>,
) where
    S: Stream<Item = Result<pb::CheckStreamRequest, Status>> + Unpin + Send + 'static,
{
    let _permit = permit;
    let mut state: Option<StreamCheck> = None;
    loop {
        let next = tokio::select! {
            next = inbound.next() => next,
            () = closed(&mut closing) => {
                let audit = cancelled(state).await;
                let _ = tx.send(Err(Status::unavailable(format!(
                    "factgate is shutting down; the part received was checked and audited as \
                     partial{audit}"
                )))).await;
                return;
            }
        };
        let mut req = match next {
            Some(Ok(req)) => req,
            Some(Err(status)) => {
                // Cancelled by the client, or its connection dropped: audit what was received.
                tracing::info!(code = ?status.code(), "CheckStream ended before end of input");
                cancelled(state).await;
                return;
            }
            None => break,
        };
        let st = match state.take() {
            Some(st) => {
                if let Some(field) = misplaced_head_field(&req) {
                    let e = CheckError::InvalidArgument(format!(
                        "{field}: only allowed in the first message of the stream"
                    ));
                    send_failure(&tx, Some(st), e).await;
                    return;
                }
                st
            }
            None => {
                let mut head = head_from_pb(&mut req);
                head.deadline = deadline;
                match StreamCheck::new(checker.clone(), head) {
                    Ok(st) => st,
                    Err(e) => {
                        let _ = tx.send(Err(e.into())).await;
                        return;
                    }
                }
            }
        };
        let before = st.checked().end;
        let chunk = req.chunk;
        let step = blocking(st, move |st| {
            st.push_bytes("chunk", &chunk)
                .map(|()| st.advance())
                .map(|fresh| (fresh, st.checked()))
        })
        .await;
        let (st, result) = match step {
            Ok(x) => x,
            Err(status) => {
                let _ = tx.send(Err(status)).await;
                return;
            }
        };
        match result {
            Ok((fresh, checked)) => {
                if !fresh.is_empty() || checked.end > before {
                    let msg = pb::CheckStreamResponse {
                        claims: fresh.into_iter().map(claim_to_pb).collect(),
                        checked: Some(span_pb(&checked)),
                        result: None,
                    };
                    if tx.send(Ok(msg)).await.is_err() {
                        tracing::info!("CheckStream client went away");
                        cancelled(Some(st)).await;
                        return;
                    }
                }
                state = Some(st);
            }
            Err(e) => {
                send_failure(&tx, Some(st), e).await;
                return;
            }
        }
    }

    // End of input.
    let Some(st) = state else {
        let e =
            CheckError::InvalidArgument("chunk: the stream ended without any response text".into());
        let _ = tx.send(Err(e.into())).await;
        return;
    };
    if let Err(e) = st.end_of_input("chunk") {
        send_failure(&tx, Some(st), e).await;
        return;
    }
    let before = st.checked().end;
    let finished = tokio::task::spawn_blocking(move || {
        let checked = Span {
            start: 0,
            end: st.text().len(),
            start_utf16: 0,
            end_utf16: st.text().encode_utf16().count(),
        };
        st.finish(false).map(|o| (o, checked))
    })
    .await;
    let msg = match finished {
        Ok(Ok((outcome, checked))) => {
            // The claims of the last sentence, completed by the end of input.
            let fresh = outcome
                .claims
                .iter()
                .filter(|c| c.span.start >= before)
                .cloned()
                .map(claim_to_pb)
                .collect();
            Ok(pb::CheckStreamResponse {
                claims: fresh,
                checked: Some(span_pb(&checked)),
                result: Some(outcome_to_pb(outcome)),
            })
        }
        Ok(Err(e)) => Err(e.into()),
        Err(e) => Err(Status::internal(format!("stream check task failed: {e}"))),
    };
    let _ = tx.send(msg).await;
}

/// Resolves once `closing` is true (never, if its sender is gone without closing).
pub(crate) async fn closed(closing: &mut watch::Receiver<bool>) {
    if closing.wait_for(|c| *c).await.is_err() {
        std::future::pending::<()>().await;
    }
}

/// The stream stopped before the end of input: write the partial audit record. Returns
/// " (audit id ...)" for messages, or "".
async fn cancelled(state: Option<StreamCheck>) -> String {
    let Some(st) = state else {
        return String::new();
    };
    match tokio::task::spawn_blocking(move || st.finish(true)).await {
        Ok(Ok(o)) => {
            tracing::info!(audit_id = %o.audit_id, "partial check audited");
            if o.audit_id.is_empty() {
                String::new()
            } else {
                format!(" (audit id {})", o.audit_id)
            }
        }
        Ok(Err(e)) => {
            tracing::error!(error = %e, "partial audit failed");
            String::new()
        }
        Err(e) => {
            tracing::error!(error = %e, "partial audit task failed");
            String::new()
        }
    }
}

async fn send_failure(
    tx: &mpsc::Sender<Result<pb::CheckStreamResponse, Status>>,
    state: Option<StreamCheck>,
    error: CheckError,
) {
    let status = match tokio::task::spawn_blocking(move || fail(state, error)).await {
        Ok(s) => s,
        Err(e) => Status::internal(format!("stream check task failed: {e}")),
    };
    let _ = tx.send(Err(status)).await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf8_split_inside_a_character_is_reassembled() {
        let mut a = Utf8Assembler::default();
        let bytes = "Zürich 🇨🇭".as_bytes();
        let mut out = String::new();
        for b in bytes {
            out.push_str(&a.push(&[*b]).expect("valid"));
        }
        assert_eq!(out, "Zürich 🇨🇭");
        assert!(a.is_clean());
        assert_eq!(a.push(&bytes[..2]).expect("valid"), "Z");
        assert!(!a.is_clean());
        let mut b = Utf8Assembler::default();
        assert_eq!(b.push(b"ab"), Ok("ab".to_string()));
        assert_eq!(b.push(b"c\xffd"), Err(3));
    }

    fn cut(text: &str) -> Option<(usize, usize)> {
        settled(text, &claims::split(text))
    }

    #[test]
    fn a_sentence_is_settled_once_the_next_word_is_complete() {
        assert_eq!(cut("Paris is big."), None);
        assert_eq!(cut("Paris is big. The"), None);
        assert_eq!(cut("Paris is big. The city"), Some((1, 14)));
        // "U.S. It" ends a sentence but "U.S. Italy" does not: wait for the whole word.
        assert_eq!(cut("He lives in the U.S. It"), None);
        assert_eq!(cut("He lives in the U.S. Italy is far"), None);
        assert_eq!(cut("He lives in the U.S. It is far"), Some((1, 21)));
        // A coordination inside a sentence is not a sentence boundary.
        assert_eq!(cut("Paris is big; Rome is old"), None);
        // A newline ends a claim whatever follows.
        assert_eq!(cut("Berlin is in Germany\n- Ro"), Some((1, 23)));
        assert_eq!(cut("Berlin is in Germany.\n"), Some((1, 22)));
    }

    #[test]
    fn a_table_line_waits_for_the_next_line_which_may_make_it_a_header() {
        let intro = "Capitals:\n";
        let header = "| Country | Capital |\n";
        let rule = "|---|---|\n";
        // The header line waits until the line after it is complete.
        assert_eq!(cut(&format!("{intro}{header}")), Some((1, intro.len())));
        assert_eq!(cut(&format!("{intro}{header}|--")), Some((1, intro.len())));
        // Then it is no claim: the text up to the rule is settled with the intro's claim.
        let to_rule = format!("{intro}{header}{rule}");
        assert_eq!(cut(&to_rule), Some((1, intro.len() + header.len())));
        // A row is checked once the line after it is complete, and is one claim.
        let row = "| France | Paris |\n";
        let text = format!("{to_rule}{row}| Kenya");
        assert_eq!(cut(&text), Some((1, to_rule.len())));
        let text = format!("{to_rule}{row}| Kenya | Nairobi |\n");
        assert_eq!(cut(&text), Some((2, to_rule.len() + row.len())));
    }
}
