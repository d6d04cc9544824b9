//! Guard/CheckStream: incremental claims, chunks split anywhere, cancellation, limits.

use factgate::pb::{self, guard_client::GuardClient};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;
use tonic::transport::Channel;
use tonic::{Code, Streaming};

use crate::common::{self, TestServer};

const SUPPORTED: &str = "Nairobi is Kenya's capital.";
const CONTRADICTED: &str = "The capital of France is Berlin.";

/// A server over the fixture graph with extra profiles and an audit log in `dir`.
async fn server(dir: &std::path::Path, profiles: &'static str) -> TestServer {
    let audit = common::audit_config(dir);
    TestServer::start_with(
        Box::new(move || Ok(common::checker(None, profiles, Some(audit)))),
        64,
    )
    .await
}

fn chunk(bytes: &[u8]) -> pb::CheckStreamRequest {
    pb::CheckStreamRequest {
        chunk: bytes.to_vec(),
        ..Default::default()
    }
}

/// Opens a stream; returns the sender for requests and the response stream.
async fn open(
    client: &mut GuardClient<Channel>,
) -> (
    mpsc::Sender<pb::CheckStreamRequest>,
    Streaming<pb::CheckStreamResponse>,
) {
    let (tx, rx) = mpsc::channel(64);
    let responses = client
        .check_stream(ReceiverStream::new(rx))
        .await
        .expect("CheckStream starts")
        .into_inner();
    (tx, responses)
}

fn status_of(c: &pb::Claim) -> pb::ClaimStatus {
    pb::ClaimStatus::try_from(c.status).expect("known status")
}

/// Every claim's span points at its text, in bytes and in UTF-16 units.
fn assert_spans(text: &str, claims: &[pb::Claim]) {
    let utf16: Vec<u16> = text.encode_utf16().collect();
    for c in claims {
        let s = c.span.expect("span");
        assert_eq!(&text[s.start as usize..s.end as usize], c.text);
        let from16 = String::from_utf16(&utf16[s.start_utf16 as usize..s.end_utf16 as usize])
            .expect("utf16");
        assert_eq!(from16, c.text);
    }
}

#[tokio::test]
async fn a_sentence_is_answered_as_soon_as_it_is_complete() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = server(dir.path(), "").await;
    let mut client = server.client().await;
    let (tx, mut responses) = open(&mut client).await;

    // The first sentence is followed by the first word of the next one: it is complete.
    let first = format!("{SUPPORTED} The ");
    tx.send(pb::CheckStreamRequest {
        chunk: first.as_bytes()[..10].to_vec(),
        request_id: "stream-1".into(),
        ..Default::default()
    })
    .await
    .expect("send");
    tx.send(chunk(&first.as_bytes()[10..])).await.expect("send");
    let msg = responses.message().await.expect("ok").expect("a message");
    assert_eq!(msg.claims.len(), 1, "{msg:?}");
    assert_eq!(msg.claims[0].text, SUPPORTED);
    assert_eq!(status_of(&msg.claims[0]), pb::ClaimStatus::ClaimSupported);
    assert_eq!(
        msg.checked.expect("checked").end as usize,
        SUPPORTED.len() + 1
    );
    assert!(msg.result.is_none());

    // The rest; the last sentence is complete at the end of input.
    tx.send(chunk(b"capital of France is Berlin."))
        .await
        .expect("send");
    drop(tx);
    let mut last = None;
    while let Some(msg) = responses.message().await.expect("ok") {
        last = Some(msg);
    }
    let last = last.expect("final message");
    let text = format!("{SUPPORTED} {CONTRADICTED}");
    assert_eq!(last.claims.len(), 1);
    assert_eq!(last.claims[0].text, CONTRADICTED);
    let result = last.result.expect("result in the last message");
    assert_eq!(result.verdict, pb::Verdict::Block as i32);
    assert_eq!(result.request_id, "stream-1");
    assert!(!result.audit_id.is_empty());
    assert_eq!(result.claims.len(), 2);
    assert_spans(&text, &result.claims);
    assert_eq!(last.checked.expect("checked").end as usize, text.len());
    server.stop().await.expect("clean stop");
    let records = common::audit_records(&dir.path().join("audit.jsonl"));
    let rec = records.last().expect("a record");
    assert_eq!(rec["partial"], false);
    assert_eq!(rec["verdict"], "block");
}

#[tokio::test]
async fn chunks_split_mid_sentence_and_mid_character() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = server(dir.path(), "").await;
    let mut client = server.client().await;
    let text = "The capital of Côte d'Ivoire is Yamoussoukro. Zürich 🇨🇭 is a city.\n\
                São Paulo is in Brazil. Nairobi is Kenya's capital.";
    // 3-byte chunks: splits land inside "ô", "ü", "ã" and the 4-byte flag characters.
    let bytes = text.as_bytes();
    assert!(bytes
        .chunks(3)
        .scan(0, |at, c| {
            *at += c.len();
            Some(*at)
        })
        .any(|end| !text.is_char_boundary(end)));
    let (tx, mut responses) = open(&mut client).await;
    let feeder = tokio::spawn(async move {
        for c in bytes.chunks(3) {
            tx.send(chunk(c)).await.expect("send");
        }
    });
    let mut streamed = Vec::new();
    let mut result = None;
    let mut messages = 0;
    while let Some(msg) = responses.message().await.expect("ok") {
        messages += 1;
        streamed.extend(msg.claims);
        if msg.result.is_some() {
            result = msg.result;
        }
    }
    feeder.await.expect("feeder");
    let result = result.expect("final result");
    assert!(
        messages > 2,
        "claims come before the end: {messages} messages"
    );
    assert_eq!(streamed, result.claims, "streamed claims = final claims");
    let texts: Vec<&str> = result.claims.iter().map(|c| c.text.as_str()).collect();
    assert_eq!(
        texts,
        [
            "The capital of Côte d'Ivoire is Yamoussoukro.",
            "Zürich 🇨🇭 is a city.",
            "São Paulo is in Brazil.",
            "Nairobi is Kenya's capital."
        ]
    );
    assert_spans(text, &result.claims);
    assert_eq!(
        status_of(&result.claims[0]),
        pb::ClaimStatus::ClaimSupported
    );
    assert_eq!(result.verdict, pb::Verdict::Allow as i32, "{result:?}");
    server.stop().await.expect("clean stop");
}

/// Copies bytes from `from` to `to` until either side closes.
async fn pump(from: OwnedReadHalf, to: OwnedWriteHalf) {
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        if from.readable().await.is_err() {
            return;
        }
        let n = match from.try_read(&mut buf) {
            Ok(0) => return,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => continue,
            Err(_) => return,
        };
        let mut sent = 0;
        while sent < n {
            if to.writable().await.is_err() {
                return;
            }
            match to.try_write(&buf[sent..n]) {
                Ok(k) => sent += k,
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => continue,
                Err(_) => return,
            }
        }
    }
}

/// A TCP relay to `target` for one connection; aborting the task cuts the connection, as a
/// client that crashes or loses its network does.
async fn relay(target: &str) -> (String, tokio::task::JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    let target = target.trim_start_matches("http://").to_string();
    let task = tokio::spawn(async move {
        let (client, _) = listener.accept().await.expect("accept");
        let upstream = TcpStream::connect(target).await.expect("connect");
        let (cr, cw) = client.into_split();
        let (ur, uw) = upstream.into_split();
        tokio::join!(pump(cr, uw), pump(ur, cw));
    });
    (url, task)
}

#[tokio::test]
async fn a_cancelled_stream_writes_a_partial_audit_record() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = server(dir.path(), "").await;
    server.wait_serving().await;
    let (url, cut) = relay(&server.url).await;
    let mut client = GuardClient::connect(url).await.expect("connect");
    let (tx, mut responses) = open(&mut client).await;
    let sent = format!("{SUPPORTED} The capital ");
    tx.send(pb::CheckStreamRequest {
        chunk: sent.clone().into_bytes(),
        request_id: "cancelled-1".into(),
        ..Default::default()
    })
    .await
    .expect("send");
    let msg = responses.message().await.expect("ok").expect("a message");
    assert_eq!(msg.claims.len(), 1);
    // The client goes away mid-stream, without ending its input.
    cut.abort();
    let _ = cut.await;
    // Stopping drains: it returns once the cancelled stream's audit record is written.
    server.stop().await.expect("clean stop");
    drop((tx, responses));
    let records = common::audit_records(&dir.path().join("audit.jsonl"));
    let rec = records
        .iter()
        .find(|r| r["request_id"] == "cancelled-1")
        .expect("audit record of the cancelled stream");
    assert_eq!(rec["partial"], true);
    assert!(rec["reasons"]
        .as_array()
        .expect("reasons")
        .iter()
        .any(|r| r["code"] == "PARTIAL"));
    assert_eq!(rec["input"]["response_bytes"], sent.len());
    assert_eq!(rec["claims"].as_array().expect("claims").len(), 2);
}

#[tokio::test]
async fn shutdown_ends_an_open_stream_with_unavailable_and_a_partial_record() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = server(dir.path(), "").await;
    let mut client = server.client().await;
    let (tx, mut responses) = open(&mut client).await;
    tx.send(pb::CheckStreamRequest {
        chunk: format!("{SUPPORTED}\n").into_bytes(),
        request_id: "at-shutdown".into(),
        ..Default::default()
    })
    .await
    .expect("send");
    let msg = responses.message().await.expect("ok").expect("a message");
    assert_eq!(msg.claims.len(), 1, "a newline completes the sentence");
    let stopping = tokio::spawn(server.stop());
    let err = responses.message().await.expect_err("stream is cut");
    assert_eq!(err.code(), Code::Unavailable);
    assert!(err.message().contains("audit id"), "{err:?}");
    stopping.await.expect("join").expect("clean stop");
    drop(tx);
    let records = common::audit_records(&dir.path().join("audit.jsonl"));
    let rec = records
        .iter()
        .find(|r| r["request_id"] == "at-shutdown")
        .expect("audit record");
    assert_eq!(rec["partial"], true);
}

#[tokio::test]
async fn over_the_limit_is_invalid_argument_and_what_was_accepted_is_audited() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = server(dir.path(), "[profiles.tiny]\nmax_response_bytes = 40\n").await;
    let mut client = server.client().await;
    let (tx, mut responses) = open(&mut client).await;
    tx.send(pb::CheckStreamRequest {
        chunk: format!("{SUPPORTED} ").into_bytes(),
        policy: "tiny".into(),
        request_id: "too-long".into(),
        ..Default::default()
    })
    .await
    .expect("send");
    tx.send(chunk(CONTRADICTED.as_bytes())).await.expect("send");
    let err = loop {
        match responses.message().await {
            Ok(Some(_)) => continue,
            Ok(None) => panic!("stream ended without the limit error"),
            Err(status) => break status,
        }
    };
    assert_eq!(err.code(), Code::InvalidArgument);
    assert!(err.message().contains("limit of 40 bytes"), "{err:?}");
    assert!(err.message().contains("max_response_bytes"), "{err:?}");
    assert!(err.message().contains("audit id"), "{err:?}");
    drop(tx);
    server.stop().await.expect("clean stop");
    let records = common::audit_records(&dir.path().join("audit.jsonl"));
    let rec = records
        .iter()
        .find(|r| r["request_id"] == "too-long")
        .expect("audit record of the accepted part");
    assert_eq!(rec["partial"], true);
    assert_eq!(rec["input"]["response_bytes"], SUPPORTED.len() + 1);
    assert_eq!(rec["claims"].as_array().expect("claims").len(), 1);
}

#[tokio::test]
async fn invalid_utf8_and_late_head_fields_name_the_field() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = server(dir.path(), "").await;
    let mut client = server.client().await;

    let (tx, mut responses) = open(&mut client).await;
    tx.send(chunk(b"Paris is \xff big.")).await.expect("send");
    let err = responses.message().await.expect_err("invalid UTF-8");
    assert_eq!(err.code(), Code::InvalidArgument);
    assert!(err.message().starts_with("chunk:"), "{err:?}");
    drop(tx);

    let (tx, mut responses) = open(&mut client).await;
    tx.send(chunk(b"Paris is big. ")).await.expect("send");
    tx.send(pb::CheckStreamRequest {
        policy: "strict".into(),
        ..Default::default()
    })
    .await
    .expect("send");
    let err = loop {
        match responses.message().await {
            Ok(Some(_)) => continue,
            Ok(None) => panic!("no error"),
            Err(e) => break e,
        }
    };
    assert_eq!(err.code(), Code::InvalidArgument);
    assert!(err.message().starts_with("policy:"), "{err:?}");
    drop(tx);

    // A stream that ends inside a character.
    let (tx, mut responses) = open(&mut client).await;
    tx.send(chunk("Zürich".as_bytes())).await.expect("send");
    tx.send(chunk(&"é".as_bytes()[..1])).await.expect("send");
    drop(tx);
    let err = loop {
        match responses.message().await {
            Ok(Some(_)) => continue,
            Ok(None) => panic!("no error"),
            Err(e) => break e,
        }
    };
    assert_eq!(err.code(), Code::InvalidArgument);
    assert!(err.message().contains("inside a multi-byte"), "{err:?}");
    server.stop().await.expect("clean stop");
}

#[tokio::test]
async fn the_claim_budget_is_spent_over_the_whole_stream() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = server(dir.path(), "[profiles.two]\nmax_claims = 2\n").await;
    let mut client = server.client().await;
    let (tx, mut responses) = open(&mut client).await;
    let sentences = [SUPPORTED, SUPPORTED, CONTRADICTED, SUPPORTED];
    let feeder = tokio::spawn(async move {
        for (i, s) in sentences.iter().enumerate() {
            tx.send(pb::CheckStreamRequest {
                chunk: format!("{s}\n").into_bytes(),
                policy: if i == 0 { "two".into() } else { String::new() },
                ..Default::default()
            })
            .await
            .expect("send");
        }
    });
    let mut result = None;
    while let Some(msg) = responses.message().await.expect("ok") {
        if msg.result.is_some() {
            result = msg.result;
        }
    }
    feeder.await.expect("feeder");
    let result = result.expect("final result");
    assert_eq!(result.verdict(), pb::Verdict::Block, "fail_closed");
    assert_eq!(result.reasons[0].code, "BUDGET_EXCEEDED");
    let statuses: Vec<_> = result.claims.iter().map(status_of).collect();
    assert_eq!(
        statuses,
        [
            pb::ClaimStatus::ClaimSupported,
            pb::ClaimStatus::ClaimSupported,
            pb::ClaimStatus::ClaimUnverifiable,
            pb::ClaimStatus::ClaimUnverifiable,
        ],
        "the contradiction past the budget was not checked"
    );
    server.stop().await.expect("clean stop");
    let records = common::audit_records(&dir.path().join("audit.jsonl"));
    assert_eq!(records[0]["reasons"][0]["code"], "BUDGET_EXCEEDED");
}

#[tokio::test]
async fn a_long_run_without_stops_is_streamed_in_length_cut_claims() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = server(dir.path(), "").await;
    let mut client = server.client().await;
    let text = "Paris is the capital of Paris ".repeat(140);
    let expected: Vec<String> = factgate::claims::split(&text)
        .into_iter()
        .map(|c| c.text)
        .collect();
    assert!(expected.len() >= 8, "{}", expected.len());
    let (tx, mut responses) = open(&mut client).await;
    let bytes = text.clone().into_bytes();
    let feeder = tokio::spawn(async move {
        for c in bytes.chunks(7) {
            tx.send(chunk(c)).await.expect("send");
        }
    });
    let mut early = 0;
    let mut result = None;
    while let Some(msg) = responses.message().await.expect("ok") {
        if msg.result.is_some() {
            result = msg.result;
        } else {
            early += msg.claims.len();
        }
    }
    feeder.await.expect("feeder");
    let result = result.expect("final result");
    let texts: Vec<String> = result.claims.iter().map(|c| c.text.clone()).collect();
    assert_eq!(texts, expected, "the same claims as a whole-response check");
    assert_spans(&text, &result.claims);
    assert!(
        early >= expected.len() - 1,
        "pieces are checked before the end: {early} of {}",
        expected.len()
    );
    server.stop().await.expect("clean stop");
}

#[tokio::test]
async fn first_message_fields_have_the_same_limits_as_check() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = server(dir.path(), "").await;
    let mut client = server.client().await;
    for (first, field) in [
        (
            pb::CheckStreamRequest {
                prompt: "x".repeat(40_000),
                ..chunk(SUPPORTED.as_bytes())
            },
            "prompt (bytes): 40000",
        ),
        (
            pb::CheckStreamRequest {
                request_id: "r".repeat(1000),
                ..chunk(SUPPORTED.as_bytes())
            },
            "request_id (bytes): 1000",
        ),
        (
            pb::CheckStreamRequest {
                labels: (0..100).map(|i| (i.to_string(), "v".into())).collect(),
                ..chunk(SUPPORTED.as_bytes())
            },
            "labels (entries): 100",
        ),
    ] {
        let (tx, mut responses) = open(&mut client).await;
        tx.send(first).await.expect("send");
        drop(tx);
        let err = loop {
            match responses.message().await {
                Ok(Some(_)) => continue,
                Ok(None) => panic!("{field}: stream ended without an error"),
                Err(e) => break e,
            }
        };
        assert_eq!(err.code(), Code::InvalidArgument, "{err:?}");
        assert!(err.message().starts_with(field), "{err:?}");
    }
    server.stop().await.expect("clean stop");
    assert!(common::audit_records(&dir.path().join("audit.jsonl")).is_empty());
}

#[tokio::test]
async fn it_in_a_later_chunk_is_read_as_the_name_an_earlier_sentence_opened_with() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = server(dir.path(), "").await;
    let mut client = server.client().await;
    let (tx, mut responses) = open(&mut client).await;

    // The first sentence is answered before the second is sent: it is checked on its own.
    tx.send(chunk(b"France is a country in Europe. Its "))
        .await
        .expect("send");
    let msg = responses.message().await.expect("ok").expect("a message");
    assert_eq!(msg.claims.len(), 1, "{msg:?}");
    tx.send(chunk(b"capital is Berlin.")).await.expect("send");
    drop(tx);
    let mut last = None;
    while let Some(msg) = responses.message().await.expect("ok") {
        last = Some(msg);
    }
    let last = last.expect("final message");
    assert_eq!(last.claims.len(), 1);
    assert_eq!(last.claims[0].text, "Its capital is Berlin.");
    assert_eq!(
        status_of(&last.claims[0]),
        pb::ClaimStatus::ClaimContradicted,
        "{:?}",
        last.claims[0]
    );
    server.stop().await.expect("clean stop");
}

#[tokio::test]
async fn a_streamed_table_header_is_no_claim_and_its_rows_are_read_under_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = server(dir.path(), "").await;
    let mut client = server.client().await;
    let (tx, mut responses) = open(&mut client).await;

    // The header line is complete before its "|---|" line arrives: it must wait for it.
    for piece in [
        "Capitals:\n| Country | Capital |\n",
        "|---|---|\n| France | Paris |\n",
        "| Germany | Madrid |",
    ] {
        tx.send(chunk(piece.as_bytes())).await.expect("send");
    }
    drop(tx);
    let mut claims = Vec::new();
    while let Some(msg) = responses.message().await.expect("ok") {
        claims.extend(msg.claims);
    }
    let read: Vec<(&str, pb::ClaimStatus)> = claims
        .iter()
        .map(|c| (c.text.as_str(), status_of(c)))
        .collect();
    assert_eq!(
        read,
        [
            ("Capitals:", pb::ClaimStatus::ClaimUnverifiable),
            ("| France | Paris |", pb::ClaimStatus::ClaimSupported),
            ("| Germany | Madrid |", pb::ClaimStatus::ClaimContradicted),
        ],
        "{claims:?}"
    );
    server.stop().await.expect("clean stop");
}
