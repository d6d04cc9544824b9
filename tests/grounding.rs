//! Grounding with the committed verifier on realistic passages: faithful paraphrases and
//! unsupported additions are not called CONTRADICTED, real contradictions are; a short answer
//! is read with its question; answers with only unverifiable claims are ALLOWed under the
//! default profile and FLAGged under `strict`; status and confidence never disagree; and
//! `factgate check --context FILE` runs the same from the command line.

use std::sync::Arc;

use factgate::calibrate::Calibration;
use factgate::decide::Action;
use factgate::pipeline::{CheckInput, CheckOutcome, Checker, Passage};
use factgate::reason::Status;
use factgate::verify::{Verifier, VerifyConfig};

use crate::common;

const BIOGRAPHY: &str = "Marie Curie was a Polish and naturalised-French physicist and chemist \
who conducted pioneering research on radioactivity. She was born in Warsaw in 1867 and moved to \
Paris in 1891 to study at the University of Paris. She was the first woman to win a Nobel Prize, \
the first person to win a Nobel Prize twice, and the only person to win a Nobel Prize in two \
scientific fields. She shared the 1903 Nobel Prize in Physics with her husband Pierre Curie and \
the physicist Henri Becquerel. In 1911 she won the Nobel Prize in Chemistry for the discovery of \
polonium and radium. During the First World War she developed mobile radiography units to \
provide X-ray services to field hospitals. She died in 1934 at a sanatorium in France.";

const REFUND_POLICY: &str = "Refund policy. If you are not satisfied with your purchase, you can \
return it within 30 days of delivery for a full refund. Items must be unused and in their \
original packaging. Refunds are issued to the original payment method within 5 business days \
after we receive the return. Shipping costs are not refundable, except when the item arrived \
damaged. Gift cards and downloadable software cannot be returned.";

fn checker() -> Checker {
    let config = VerifyConfig::default();
    let verifier = Arc::new(Verifier::load(&config).expect("committed verifier loads"));
    let calibration = Arc::new(Calibration::load(&config.calibration).expect("calibration loads"));
    common::checker(None, "", None).with_neural(verifier, Some(calibration))
}

fn shared() -> &'static Checker {
    static C: std::sync::OnceLock<Checker> = std::sync::OnceLock::new();
    C.get_or_init(checker)
}

fn check(response: &str, prompt: &str, passages: &[(&str, &str)], policy: &str) -> CheckOutcome {
    let o = shared()
        .check(&CheckInput {
            response: response.into(),
            prompt: prompt.into(),
            context: passages
                .iter()
                .map(|(id, text)| Passage {
                    id: (*id).into(),
                    text: (*text).into(),
                })
                .collect(),
            policy: policy.into(),
            ..Default::default()
        })
        .expect("valid request");
    assert_invariants(&o);
    o
}

/// What a UI relies on: a red badge never says "likely correct", a green one never "likely
/// wrong"; context evidence points at the exact passage text.
fn assert_invariants(o: &CheckOutcome) {
    match o.status {
        Status::Contradicted => {
            assert!(o.confidence < 0.5 && o.claims.iter().any(|c| c.status == Status::Contradicted))
        }
        Status::Supported => assert!(
            o.confidence > 0.5
                && o.claims.iter().any(|c| c.status == Status::Supported)
                && o.claims.iter().all(|c| c.status != Status::Contradicted),
            "{o:?}"
        ),
        Status::Unverifiable => {
            assert!(o.claims.iter().all(|c| c.status != Status::Contradicted))
        }
    }
    for c in &o.claims {
        match c.status {
            Status::Contradicted => assert!(c.confidence < 0.5, "{c:?}"),
            Status::Supported => assert!(c.confidence > 0.5, "{c:?}"),
            Status::Unverifiable => assert!((0.0..=1.0).contains(&c.confidence)),
        }
        for e in c.evidence.iter().filter(|e| e.source == "context") {
            let span = e.passage_span.expect("context evidence has a span");
            assert!(span.end > span.start && !e.passage_id.is_empty());
        }
    }
}

fn one(o: &CheckOutcome) -> &factgate::pipeline::ClaimResult {
    assert_eq!(o.claims.len(), 1, "{:?}", o.claims);
    &o.claims[0]
}

#[test]
fn faithful_paraphrase_and_unsupported_addition_are_not_contradicted() {
    let bio = [("bio-1", BIOGRAPHY)];
    let faithful = check(
        "Curie is the only person who has won Nobel Prizes in two different sciences.",
        "",
        &bio,
        "",
    );
    let c = one(&faithful);
    assert_ne!(c.status, Status::Contradicted, "{}", c.explanation);
    assert_ne!(faithful.verdict, Action::Block);

    let addition = check(
        "Marie Curie enjoyed playing the piano in her spare time.",
        "",
        &bio,
        "",
    );
    let c = one(&addition);
    assert_ne!(c.status, Status::Contradicted, "{}", c.explanation);
    assert!(
        !addition
            .reasons
            .iter()
            .any(|r| r.code == "CONTRADICTED_CLAIM"),
        "{:?}",
        addition.reasons
    );
    // The explanation says which window was read, not a graph remark about entities.
    assert!(c.explanation.contains("bio-1"), "{}", c.explanation);
    assert!(
        !c.explanation.starts_with("no known entity"),
        "{}",
        c.explanation
    );

    let refund = [("policy", REFUND_POLICY)];
    let paraphrase = check(
        "You can get your money back if you return the item within a month of delivery.",
        "",
        &refund,
        "",
    );
    assert_ne!(one(&paraphrase).status, Status::Contradicted);
}

#[test]
fn a_real_contradiction_is_contradicted_with_the_window_as_evidence() {
    let o = check(
        "Refunds are issued within 90 business days.",
        "",
        &[("policy", REFUND_POLICY)],
        "",
    );
    let c = one(&o);
    assert_eq!(c.status, Status::Contradicted, "{}", c.explanation);
    assert_eq!(o.verdict, Action::Block);
    let e = &c.evidence[0];
    assert_eq!(e.passage_id, "policy");
    let span = e.passage_span.expect("span");
    assert_eq!(&REFUND_POLICY[span.start..span.end], e.text);
    assert!(e.text.contains("5 business days"), "{}", e.text);
}

#[test]
fn a_wrong_number_in_faithful_wording_is_not_supported_and_the_explanation_names_it() {
    // The verifier reads the wording around a number more than the number: "60 days" against a
    // policy that says 30 is what a RAG answer gets wrong. The number check against the passage
    // read (numbers::check, a feature of the calibrated claim model) keeps it from SUPPORTED.
    let refund = [("policy", REFUND_POLICY)];
    let right = check(
        "You can return your purchase within 30 days of delivery for a full refund.",
        "",
        &refund,
        "",
    );
    let c = one(&right);
    assert_eq!(c.status, Status::Supported, "{}", c.explanation);
    assert_eq!(c.signals.and_then(|s| s.numbers), Some(true));

    let wrong = check(
        "You can return your purchase within 60 days of delivery for a full refund.",
        "",
        &refund,
        "",
    );
    let c = one(&wrong);
    assert_ne!(c.status, Status::Supported, "{}", c.explanation);
    assert!(c.confidence < 0.5, "{} {}", c.confidence, c.explanation);
    assert_eq!(c.signals.and_then(|s| s.numbers), Some(false));
    assert!(
        c.explanation
            .contains("the claim's \"60\" matches no figure of the passage(s) read"),
        "{}",
        c.explanation
    );
    assert_ne!(wrong.verdict, Action::Allow);
}

#[test]
fn a_claim_reversing_a_sentence_polarity_is_contradicted_by_that_sentence() {
    // The verifier takes "Gift cards can be returned." for a paraphrase of the policy's "cannot
    // be returned" (it said SUPPORTED 0.9 to such pairs); the polarity check points at the
    // sentence and accuses.
    let refund = [("policy", REFUND_POLICY)];
    let o = check("Gift cards can be returned.", "", &refund, "");
    let c = one(&o);
    assert_eq!(c.status, Status::Contradicted, "{}", c.explanation);
    assert_eq!(o.verdict, Action::Block);
    assert!(
        c.confidence <= factgate::polarity::CONFIDENCE,
        "{}",
        c.confidence
    );
    let e = &c.evidence[0];
    let span = e.passage_span.expect("span");
    assert_eq!(
        e.text,
        "Gift cards and downloadable software cannot be returned."
    );
    assert_eq!(&REFUND_POLICY[span.start..span.end], e.text);
    assert!(
        c.explanation.contains(
            "the claim's words with the opposite polarity (the passage negates \"returned\")"
        ),
        "{}",
        c.explanation
    );
    // A claim that says more than the sentence it reverses, picking one item of its subject.
    let o = check(
        "Gift cards can be returned for a full refund.",
        "",
        &refund,
        "",
    );
    let c = one(&o);
    assert_eq!(c.status, Status::Contradicted, "{}", c.explanation);
    assert_eq!(
        c.evidence[0].text,
        "Gift cards and downloadable software cannot be returned."
    );
    // Directions: "up 7 percent" against "fell 7 percent".
    let report = [(
        "q4",
        "Northwind Foods reported revenue of 4.2 billion dollars for fiscal 2025, up 7 percent \
         from the previous year. Operating profit fell to 310 million dollars.",
    )];
    let o = check("Revenue fell 7 percent in fiscal 2025.", "", &report, "");
    assert_eq!(
        one(&o).status,
        Status::Contradicted,
        "{}",
        one(&o).explanation
    );

    // Saying what the passage says, negation and all, is no contradiction; nor is a negation
    // the passage bends with "except".
    for faithful in [
        "Downloadable software cannot be returned.",
        "Gift cards can't be returned.",
    ] {
        let c = check(faithful, "", &refund, "");
        assert_ne!(
            one(&c).status,
            Status::Contradicted,
            "{faithful}: {}",
            one(&c).explanation
        );
    }
    let c = check("Shipping costs are refundable.", "", &refund, "");
    assert!(
        !one(&c).explanation.contains("opposite polarity"),
        "{}",
        one(&c).explanation
    );
}

#[test]
fn supported_claim_in_a_long_passage_points_at_its_window() {
    let long = format!("{BIOGRAPHY} {REFUND_POLICY} {BIOGRAPHY}");
    let o = check(
        "In 1911 Marie Curie won the Nobel Prize in Chemistry.",
        "",
        &[("long", &long)],
        "",
    );
    let c = one(&o);
    assert_eq!(c.status, Status::Supported, "{}", c.explanation);
    let e = &c.evidence[0];
    let span = e.passage_span.expect("span");
    assert_eq!(
        &long[span.start..span.end],
        e.text,
        "the span maps back exactly"
    );
    assert!(e.text.contains("1911") && e.text.len() < long.len() / 2);
    assert!(c.support.is_some_and(|s| s > 0.5));
}

#[test]
fn short_answer_is_read_with_its_question_and_passage() {
    let passage = [(
        "film",
        "Mommy is a 2014 Canadian drama film written and directed by Xavier Dolan. It stars \
         Anne Dorval, Antoine-Olivier Pilon and Suzanne Clement. The film premiered at the \
         Cannes Film Festival, where it won the Jury Prize.",
    )];
    let right = check(
        "Xavier Dolan.",
        "Who directed the film Mommy?",
        &passage,
        "",
    );
    assert_eq!(
        one(&right).status,
        Status::Supported,
        "{}",
        one(&right).explanation
    );
    let wrong = check(
        "Denis Villeneuve.",
        "Who directed the film Mommy?",
        &passage,
        "",
    );
    assert_ne!(
        one(&wrong).status,
        Status::Supported,
        "{}",
        one(&wrong).explanation
    );
    assert!(one(&wrong).confidence < one(&right).confidence);
}

#[test]
fn only_unverifiable_claims_follow_the_profile_not_low_confidence() {
    let text = "The Great Wall of China is visible from many places in northern China. \
                Pandas eat mostly bamboo.";
    let default = check(text, "", &[], "");
    assert!(default
        .claims
        .iter()
        .all(|c| c.status == Status::Unverifiable));
    assert_eq!(default.verdict, Action::Allow, "{:?}", default.reasons);
    let codes: Vec<&str> = default.reasons.iter().map(|r| r.code).collect();
    assert_eq!(codes, ["UNVERIFIABLE_CLAIM"]);
    // Absence of evidence is not evidence of falsehood: the fitted prior, not ~0.
    for c in &default.claims {
        assert!(c.confidence > 0.3, "{c:?}");
    }
    let strict = check(text, "", &[], "strict");
    assert_eq!(strict.verdict, Action::Flag);
    assert!(strict
        .reasons
        .iter()
        .any(|r| r.code == "UNVERIFIABLE_CLAIM"));
}

#[test]
fn check_command_reads_context_files() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("refund-policy.txt");
    std::fs::write(&path, REFUND_POLICY).expect("write");
    let out = common::factgate_bin()
        .args(["check", "--json", "--no-default-graph", "--knowledge"])
        .arg(common::fixture_graph())
        .arg("--context")
        .arg(&path)
        .arg("Refunds are issued within 90 business days.")
        .output()
        .expect("runs");
    let v: serde_json::Value = serde_json::from_str(&common::stdout_ok(out)).expect("json");
    let claim = &v["claims"][0];
    assert_eq!(claim["status"], "CONTRADICTED", "{claim}");
    assert_eq!(claim["evidence"][0]["passage_id"], "refund-policy.txt");
    let missing = common::factgate_bin()
        .args([
            "check",
            "--context",
            "/nonexistent/passage.txt",
            "Some text.",
        ])
        .output()
        .expect("runs");
    assert!(!missing.status.success());
    let err = String::from_utf8_lossy(&missing.stderr);
    assert!(
        err.contains("--context") && err.contains("/nonexistent/passage.txt"),
        "{err}"
    );
}

const ARTICLE: &str = "The city council of Riverton voted on Tuesday to build a new public library on the site of the old bus depot. The project will cost 14 million dollars and is expected to open in 2027. Mayor Linda Ortiz said the library would include a children's wing, a makerspace and study rooms for students. Construction will begin next spring after the depot is demolished. Some residents had argued that the money should go to road repairs instead, but the council approved the plan by a vote of seven to two. The library will replace the current branch on Main Street, which opened in 1962 and has become too small for the growing town.";

#[test]
fn a_faithful_summary_is_supported_sentence_by_sentence_and_an_altered_one_is_not() {
    // A multi-sentence summary of a news article: the calibration has seen such responses
    // (multi-claim dev rows), so a faithful one is not left UNVERIFIABLE or accused.
    let article = [("news-1", ARTICLE)];
    // The same three sentences around a middle one that is right or wrong.
    let summary = |middle: &str| {
        check(
            &format!(
                "Riverton's council approved a new public library on the old bus depot site. \
                 {middle} The vote was seven to two."
            ),
            "",
            &article,
            "",
        )
    };
    let faithful = summary("It will cost 14 million dollars and should open in 2027.");
    assert_eq!(faithful.claims.len(), 3);
    for c in &faithful.claims {
        assert_eq!(c.status, Status::Supported, "{}: {}", c.text, c.explanation);
    }
    assert_eq!(faithful.verdict, Action::Allow);
    assert!(faithful.confidence > 0.5, "{}", faithful.confidence);
    assert_eq!(faithful.status, Status::Supported);
    // The same summary with the cost and the year changed: that sentence is not SUPPORTED, the
    // others still are, and the response is less likely correct than not.
    let altered = summary("It will cost 40 million dollars and should open in 2030.");
    assert_ne!(
        altered.claims[1].status,
        Status::Supported,
        "{}",
        altered.claims[1].explanation
    );
    assert_eq!(altered.claims[0].status, Status::Supported);
    assert_eq!(altered.claims[2].status, Status::Supported);
    assert!(altered.confidence < 0.5, "{}", altered.confidence);
    assert_ne!(
        altered.status,
        Status::Supported,
        "two of three backed is not enough here"
    );
    assert_ne!(altered.verdict, Action::Allow);
}

#[test]
fn a_numeric_contradiction_after_a_faithful_sentence_is_not_supported() {
    // The second sentence contradicts the passage (5 business days, not 90). Checked after a
    // faithful sentence it must not come out SUPPORTED: the calibration may not learn that
    // sentences of longer responses are right whatever the passage says.
    let refund = [("policy", REFUND_POLICY)];
    let both = check(
        "You can return an unused item within 30 days for a full refund. \
         Refunds are issued within 90 business days.",
        "",
        &refund,
        "",
    );
    assert_eq!(both.claims.len(), 2);
    assert_eq!(
        both.claims[0].status,
        Status::Supported,
        "{}",
        both.claims[0].explanation
    );
    let wrong = &both.claims[1];
    assert_ne!(wrong.status, Status::Supported, "{}", wrong.explanation);
    assert!(wrong.confidence < 0.5, "{}", wrong.confidence);
    assert_ne!(both.verdict, Action::Allow);
    assert_ne!(both.status, Status::Supported);
}

#[test]
fn a_long_article_needs_a_clear_contradiction_to_accuse() {
    // Read against a context longer than the windows the verifier reads (here 324 words), a
    // CONTRADICTED call needs the calibration's higher bar for long contexts (chosen on dev,
    // where such calls on faithful summaries were more often wrong than right). "Eight years
    // after her first" is right (1903, 1911) but takes arithmetic the verifier does not do: it
    // leans to contradicted (about 0.75) and must not be called CONTRADICTED, and the
    // explanation says why. A plain contradiction in the same article still is.
    let long = format!("{BIOGRAPHY} {REFUND_POLICY} {BIOGRAPHY}");
    assert!(long.split_whitespace().count() > 300);
    let article = [("article", long.as_str())];
    let inferred = check(
        "Curie won her second Nobel Prize eight years after her first.",
        "",
        &article,
        "",
    );
    let c = one(&inferred);
    assert_ne!(c.status, Status::Contradicted, "{}", c.explanation);
    assert!(
        c.explanation
            .contains("CONTRADICTED needs P(contradicted) >")
            && c.explanation.contains("longer than the windows read"),
        "{}",
        c.explanation
    );
    assert_ne!(inferred.verdict, Action::Block);
    let wrong = check("Marie Curie died in 1955.", "", &article, "");
    let w = one(&wrong);
    assert_eq!(w.status, Status::Contradicted, "{}", w.explanation);
    assert!(
        w.evidence[0].text.contains("1934"),
        "{}",
        w.evidence[0].text
    );
    assert_eq!(wrong.verdict, Action::Block);
}

#[test]
fn a_reply_sharing_no_word_with_a_short_context_is_still_read_against_it() {
    // A reply need not repeat its knowledge's words to be checked against it: a context that
    // fits in the windows the verifier reads anyway is read for a claim that shares no word
    // with it.
    let knowledge = [("kb", "Paula Hawkins wrote The Girl on the Train.")];
    let reply = check(
        "I hear it is a great thriller.",
        "Do you know any good books?",
        &knowledge,
        "",
    );
    let c = one(&reply);
    assert!(c.signals.is_some_and(|s| s.context.is_some()), "{c:?}");
    assert!(
        c.explanation.contains("read 1 of 1 context window(s)"),
        "{}",
        c.explanation
    );
    // Of a context longer than that, a claim sharing no content word reads nothing, and
    // says so.
    let long = format!("{BIOGRAPHY} {REFUND_POLICY} {BIOGRAPHY}");
    let unrelated = check(
        "I hear it is a great thriller.",
        "",
        &[("article", long.as_str())],
        "",
    );
    let c = one(&unrelated);
    assert!(c.signals.is_some_and(|s| s.context.is_none()), "{c:?}");
    assert!(
        c.explanation
            .contains("no context window shares a content word with the claim"),
        "{}",
        c.explanation
    );
}
