//! Property tests: the claim splitter, the number parser and the RDF loader's error paths on
//! generated input (proptest; case counts kept small so the suite stays fast in debug builds).

use std::io::Write;
use std::path::{Path, PathBuf};

use factgate::claims::{self, MAX_CLAIM_BYTES};
use factgate::knowledge::Knowledge;
use factgate::link::{self, Bound};
use proptest::prelude::*;

fn config(cases: u32) -> ProptestConfig {
    ProptestConfig {
        cases,
        // Failures print the shrunk input; no regression files in the source tree.
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// Pieces a response is made of: words, numbers, abbreviations, sentence stops (Latin and CJK),
/// quotes and brackets, line breaks, bullets, emoji (ZWJ sequences, flags), combining marks,
/// other scripts and long runs without a stop.
const PIECES: &[&str] = &[
    "Paris",
    "is",
    "the",
    "capital",
    "of",
    "France",
    "Kenya",
    "Dr.",
    "e.g.",
    "U.S.",
    "J.",
    "3.5",
    "1,234.5",
    "million",
    " ",
    " ",
    " ",
    "  ",
    "\t",
    ".",
    ". ",
    "! ",
    "? ",
    "?!",
    "。",
    "！",
    "？",
    "…",
    "\"",
    "'",
    "”",
    "»",
    "「",
    "」",
    "(",
    ")",
    "]",
    ", ",
    "; ",
    " and ",
    ", and ",
    "\n",
    "\r\n",
    "\n\n",
    "\u{2028}",
    "\u{2029}",
    "- ",
    "* ",
    "• ",
    "1. ",
    "2) ",
    "a) ",
    "😀",
    "👨‍👩‍👧",
    "🇰🇪",
    "e\u{301}",
    "\u{301}",
    "\u{20DD}",
    "\u{200D}",
    "日本は島国です",
    "Ελλάδα",
    "ﷺ",
    "\u{FEFF}",
    "\0",
];

/// Text mixing [`PIECES`] with arbitrary short strings and long runs without a stop.
fn response() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        8 => prop::sample::select(PIECES).prop_map(str::to_string),
        2 => ".{0,12}",
        1 => (prop::sample::select(&["a", "é", "word ", "日", "😀", "x,", "w; "][..]), 100usize..700)
            .prop_map(|(s, n)| s.repeat(n)),
    ];
    prop::collection::vec(piece, 0..60).prop_map(|v| v.concat())
}

/// Any text: fully arbitrary Unicode or the mixed generator above.
fn any_text() -> impl Strategy<Value = String> {
    prop_oneof![any::<String>(), response()]
}

fn utf16_len(s: &str) -> usize {
    s.encode_utf16().count()
}

proptest! {
    #![proptest_config(config(256))]

    /// `claims::split`: never panics; each claim is exactly its span of the input (bytes on
    /// char boundaries, UTF-16 offsets decoding to the same text), trimmed, holds a letter or
    /// digit, has no line break, is at most MAX_CLAIM_BYTES, lies inside one sentence of
    /// `sentence_spans`; claims are in order and do not overlap.
    #[test]
    fn split_spans_are_exact_ordered_and_bounded(text in any_text()) {
        let claims = claims::split(&text);
        let sentences = claims::sentence_spans(&text);
        let utf16: Vec<u16> = text.encode_utf16().collect();
        let mut prev_end = 0;
        for c in &claims {
            let s = c.span;
            prop_assert!(s.start < s.end, "empty span {:?}", s);
            prop_assert!(text.is_char_boundary(s.start) && text.is_char_boundary(s.end), "{:?}", s);
            prop_assert_eq!(&text[s.start..s.end], c.text.as_str());
            prop_assert_eq!(s.start_utf16, utf16_len(&text[..s.start]));
            prop_assert_eq!(s.end_utf16, utf16_len(&text[..s.end]));
            let decoded = String::from_utf16(&utf16[s.start_utf16..s.end_utf16]).ok();
            prop_assert_eq!(decoded.as_deref(), Some(c.text.as_str()));
            prop_assert!(s.start >= prev_end, "claims overlap or are out of order at {:?}", s);
            prev_end = s.end;
            prop_assert!(c.text.len() <= MAX_CLAIM_BYTES, "claim of {} bytes", c.text.len());
            prop_assert_eq!(c.text.trim(), c.text.as_str());
            prop_assert!(c.text.chars().any(char::is_alphanumeric), "{:?}", c.text);
            prop_assert!(
                !c.text.contains(['\n', '\u{2028}', '\u{2029}']),
                "claim spans a line break: {:?}", c.text
            );
            prop_assert!(
                sentences.iter().any(|&(a, b)| a <= s.start && s.end <= b),
                "claim {:?} is in no sentence of {:?}", s, sentences
            );
        }
    }

    /// `claims::sentence_spans`: never panics; spans on char boundaries, in order, not
    /// overlapping, trimmed, non-empty with a letter or digit, at most MAX_CLAIM_BYTES.
    #[test]
    fn sentence_spans_are_ordered_and_bounded(text in any_text()) {
        let mut prev_end = 0;
        for (a, b) in claims::sentence_spans(&text) {
            prop_assert!(a < b && a >= prev_end, "span {}..{} after {}", a, b, prev_end);
            prop_assert!(text.is_char_boundary(a) && text.is_char_boundary(b));
            let s = &text[a..b];
            prop_assert!(s.len() <= MAX_CLAIM_BYTES, "sentence of {} bytes", s.len());
            prop_assert_eq!(s.trim(), s);
            prop_assert!(s.chars().any(char::is_alphanumeric), "{:?}", s);
            prev_end = b;
        }
    }

    /// `link::quantities` and `link::convert` never panic, and spans are on char boundaries.
    #[test]
    fn quantities_never_panic(text in any_text(), unit in prop::option::of(".{0,12}")) {
        for q in link::quantities(&text) {
            prop_assert!(q.start < q.end && q.end <= text.len());
            prop_assert!(text.is_char_boundary(q.start) && text.is_char_boundary(q.end));
            let _ = link::convert(&q, unit.as_deref());
            for u in ["K", "km²", "ft", "m", "kelvin", ""] {
                let _ = link::convert(&q, Some(u));
            }
        }
    }
}

/// `n` with thousands separators: 1234567 -> "1,234,567".
fn with_commas(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Qualifier words and the bound each one means.
const QUALIFIERS: &[(&str, Bound)] = &[
    ("", Bound::Approx),
    ("about ", Bound::Approx),
    ("roughly ", Bound::Approx),
    ("nearly ", Bound::Approx),
    ("more than ", Bound::AtLeast),
    ("over ", Bound::AtLeast),
    ("at least ", Bound::AtLeast),
    ("less than ", Bound::AtMost),
    ("under ", Bound::AtMost),
    ("at most ", Bound::AtMost),
];

/// Scale words and their factors.
const SCALES: &[(&str, f64)] = &[
    ("thousand", 1e3),
    ("million", 1e6),
    ("billion", 1e9),
    ("trillion", 1e12),
    ("bn", 1e9),
    ("mn", 1e6),
];

/// The one quantity of `text`, which must start at byte `start`.
fn only_quantity(text: &str, start: usize) -> Result<link::Quantity, TestCaseError> {
    let qs = link::quantities(text);
    prop_assert_eq!(qs.len(), 1, "{:?} -> {:?}", text, qs);
    prop_assert_eq!(qs[0].start, start, "{:?}", text);
    Ok(qs[0].clone())
}

proptest! {
    #![proptest_config(config(256))]

    /// "1,234,567" (with a qualifier) parses to exactly the generated integer, with the
    /// qualifier's bound and no unit.
    #[test]
    fn comma_grouped_integers_parse_exactly(
        n in 0u64..1_000_000_000_000_000,
        q in prop::sample::select(QUALIFIERS),
    ) {
        let prefix = "Its population is ";
        let text = format!("{prefix}{}{} people.", q.0, with_commas(n));
        let got = only_quantity(&text, prefix.len())?;
        prop_assert_eq!(got.value, n as f64, "{:?}", text);
        prop_assert_eq!(got.bound, q.1, "{:?}", text);
        prop_assert_eq!(&got.unit, &None);
        prop_assert_eq!(link::convert(&got, None), Some(n as f64));
    }

    /// "3.5 million" parses to the decimal times the scale word's factor.
    #[test]
    fn scaled_decimals_parse_exactly(
        whole in 0u64..1000,
        frac in 0u64..100,
        scale in prop::sample::select(SCALES),
        q in prop::sample::select(QUALIFIERS),
    ) {
        let number = format!("{whole}.{frac:02}");
        let text = format!("The city had {}{number} {} inhabitants.", q.0, scale.0);
        let got = only_quantity(&text, "The city had ".len())?;
        let want = number.parse::<f64>().map_err(|e| TestCaseError::fail(e.to_string()))? * scale.1;
        prop_assert_eq!(got.value, want, "{:?}", text);
        prop_assert_eq!(got.bound, q.1, "{:?}", text);
    }

    /// Units are kept and converted: km² as is, square miles to km², °C and °F to kelvin,
    /// metres and feet into each other; an incompatible unit converts to None.
    #[test]
    fn units_convert(n in 0u32..100_000, q in prop::sample::select(QUALIFIERS)) {
        let v = n as f64;
        let cases: &[(&str, &str, Option<f64>)] = &[
            ("km²", "km²", Some(v)),
            ("square miles", "km²", Some(v * 2.589_988)),
            ("°C", "K", Some(v + 273.15)),
            ("°F", "K", Some((v - 32.0) * 5.0 / 9.0 + 273.15)),
            ("metres", "ft", Some(v * 3.280_84)),
            ("feet", "m", Some(v / 3.280_84)),
            ("feet", "km²", None),
            ("°C", "ft", None),
        ];
        for (written, target, want) in cases {
            let text = format!("It is {}{n} {written} here.", q.0);
            let got = only_quantity(&text, "It is ".len())?;
            prop_assert_eq!(got.value, v, "{:?}", text);
            prop_assert_eq!(got.bound, q.1, "{:?}", text);
            prop_assert!(got.unit.is_some(), "{:?} lost its unit", text);
            let converted = link::convert(&got, Some(target));
            match (converted, want) {
                (Some(c), Some(w)) => prop_assert!((c - w).abs() <= 1e-9 * w.abs().max(1.0),
                    "{:?} to {}: {} != {}", text, target, c, w),
                (c, w) => prop_assert_eq!(c, *w, "{:?} to {}", text, target),
            }
        }
    }
}

/// A temp dir holding the fixture graph (a valid lexicon and facts) plus `name` = `bytes`.
fn graph_with(name: &str, bytes: &[u8]) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("tempdir");
    for f in ["lexicon.ttl", "world.ttl"] {
        std::fs::copy(crate::common::fixture_graph().join(f), dir.path().join(f))
            .expect("copy fixture graph");
    }
    let path = dir.path().join(name);
    std::fs::write(&path, bytes).expect("write test file");
    (dir, path)
}

/// Loads `dir`; an error must be a message naming `bad`.
fn load_names_file_on_error(dir: &Path, bad: &Path) -> Result<bool, TestCaseError> {
    match Knowledge::load(&[dir.to_path_buf()]) {
        Ok(_) => Ok(true),
        Err(e) => {
            let msg = e.to_string();
            prop_assert!(
                msg.contains(&bad.display().to_string()),
                "error does not name {}: {}",
                bad.display(),
                msg
            );
            Ok(false)
        }
    }
}

/// A small Turtle document: a prefix line and `n` statements, each on its own line and ending
/// with " .", no numbers or " ." inside literals (so completeness is visible in the text).
fn turtle(n: usize) -> String {
    let mut s = String::from("@prefix ex: <https://example.org/ns/> .\n");
    for i in 0..n {
        s.push_str(&format!(
            "ex:s{i} ex:label \"thing {i} in Zürich, 東京\" ; ex:near <https://example.org/o{i}> .\n"
        ));
    }
    s
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(bytes).expect("gzip in memory");
    enc.finish().expect("gzip in memory")
}

proptest! {
    #![proptest_config(config(32))]

    /// Arbitrary bytes in a .ttl / .nt / .rdf file: never a panic; either they happen to be
    /// valid RDF or the error names the file. Behind an invalid UTF-8 byte they must fail.
    #[test]
    fn arbitrary_bytes_fail_naming_the_file(
        bytes in prop::collection::vec(any::<u8>(), 0..512),
        ext in prop::sample::select(&["ttl", "nt", "nq", "rdf", "trig"][..]),
        invalid_utf8 in any::<bool>(),
    ) {
        let mut content = if invalid_utf8 { vec![0xFF] } else { Vec::new() };
        content.extend(&bytes);
        let (dir, bad) = graph_with(&format!("bad.{ext}"), &content);
        let loaded = load_names_file_on_error(dir.path(), &bad)?;
        prop_assert!(!(invalid_utf8 && loaded), "invalid UTF-8 in {} was accepted", bad.display());
    }

    /// A Turtle document cut anywhere: complete statements load, a cut inside a statement
    /// fails with an error naming the file.
    #[test]
    fn truncated_turtle_fails_naming_the_file(n in 1usize..6, cut in any::<prop::sample::Index>()) {
        let doc = turtle(n);
        let mut at = cut.index(doc.len() + 1);
        while !doc.is_char_boundary(at) {
            at -= 1;
        }
        let head = doc[..at].trim_end();
        let complete = head.is_empty() || head.ends_with(" .");
        let (dir, bad) = graph_with("cut.ttl", &doc.as_bytes()[..at]);
        let loaded = load_names_file_on_error(dir.path(), &bad)?;
        prop_assert_eq!(loaded, complete, "cut at {} of {:?}", at, doc);
    }

    /// A .ttl.gz that is not gzip, or a gzip stream cut short, fails naming the file; the
    /// whole stream loads.
    #[test]
    fn bad_gzip_fails_naming_the_file(
        junk in prop::collection::vec(any::<u8>(), 1..256),
        n in 1usize..6,
        cut in any::<prop::sample::Index>(),
    ) {
        if junk.starts_with(&[0x1f, 0x8b]) {
            return Ok(());
        }
        let (dir, bad) = graph_with("junk.ttl.gz", &junk);
        prop_assert!(!load_names_file_on_error(dir.path(), &bad)?, "junk gzip accepted");

        let gz = gzip(turtle(n).as_bytes());
        let at = cut.index(gz.len());
        let (dir, bad) = graph_with("cut.ttl.gz", &gz[..at]);
        prop_assert!(
            !load_names_file_on_error(dir.path(), &bad)?,
            "gzip cut at {} of {} bytes accepted", at, gz.len()
        );
        let (dir, whole) = graph_with("whole.ttl.gz", &gz);
        prop_assert!(load_names_file_on_error(dir.path(), &whole)?, "whole gzip rejected");
    }
}
