//! Transport security: TLS, mutual TLS and bearer tokens on the gRPC port, with a CA, a server
//! certificate (127.0.0.1 / localhost) and a client certificate generated at test time.

use std::path::{Path, PathBuf};

use envoy_types::pb::envoy::service::ext_proc::v3::external_processor_client::ExternalProcessorClient;
use envoy_types::pb::envoy::service::ext_proc::v3::ProcessingRequest;
use factgate::config::{ServerSection, TlsSection};
use factgate::pb::guard_client::GuardClient;
use factgate::pb::{CheckRequest, Verdict};
use factgate::serve::ServeOptions;
use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair, KeyUsagePurpose,
};
use tokio::sync::oneshot;
use tonic::transport::{Certificate, Channel, ClientTlsConfig, Endpoint, Identity};
use tonic::{Code, Request};
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;
use tonic_health::pb::HealthCheckRequest;

use crate::common;

/// PEM files of a test PKI in a temporary directory.
struct Pki {
    _dir: tempfile::TempDir,
    ca: PathBuf,
    server_cert: PathBuf,
    server_key: PathBuf,
    client_cert: String,
    client_key: String,
    /// A client certificate from a CA the server does not trust.
    rogue_cert: String,
    rogue_key: String,
}

fn ca(name: &str) -> CertifiedIssuer<'static, KeyPair> {
    let mut p = CertificateParams::new(Vec::<String>::new()).expect("params");
    p.distinguished_name.push(DnType::CommonName, name);
    p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    p.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    CertifiedIssuer::self_signed(p, KeyPair::generate().expect("key")).expect("CA")
}

fn leaf(
    issuer: &CertifiedIssuer<'static, KeyPair>,
    names: &[&str],
    usage: ExtendedKeyUsagePurpose,
) -> (String, String) {
    let mut p = CertificateParams::new(names.iter().map(|s| s.to_string()).collect::<Vec<_>>())
        .expect("params");
    p.distinguished_name.push(
        DnType::CommonName,
        names.first().copied().unwrap_or("client"),
    );
    p.extended_key_usages = vec![usage];
    let key = KeyPair::generate().expect("key");
    let cert = p.signed_by(&key, issuer).expect("signed");
    (cert.pem(), key.serialize_pem())
}

fn pki() -> Pki {
    let dir = tempfile::tempdir().expect("tempdir");
    let ca = ca("factgate test CA");
    let (server_cert, server_key) = leaf(
        &ca,
        &["localhost", "127.0.0.1"],
        ExtendedKeyUsagePurpose::ServerAuth,
    );
    let (client_cert, client_key) = leaf(&ca, &["client"], ExtendedKeyUsagePurpose::ClientAuth);
    let rogue = self::ca("rogue CA");
    let (rogue_cert, rogue_key) = leaf(&rogue, &["rogue"], ExtendedKeyUsagePurpose::ClientAuth);
    let write = |name: &str, text: &str| {
        let p = dir.path().join(name);
        std::fs::write(&p, text).expect("write pem");
        p
    };
    Pki {
        ca: write("ca.pem", &ca.pem()),
        server_cert: write("server.pem", &server_cert),
        server_key: write("server.key", &server_key),
        client_cert,
        client_key,
        rogue_cert,
        rogue_key,
        _dir: dir,
    }
}

impl Pki {
    fn tls(&self, mtls: bool) -> TlsSection {
        TlsSection {
            cert: self.server_cert.clone(),
            key: self.server_key.clone(),
            client_ca: mtls.then(|| self.ca.clone()),
        }
    }

    /// Client TLS trusting the test CA, optionally presenting a certificate.
    fn client(&self, identity: Option<(&str, &str)>) -> ClientTlsConfig {
        let ca = std::fs::read(&self.ca).expect("ca");
        let c = ClientTlsConfig::new()
            .ca_certificate(Certificate::from_pem(ca))
            .domain_name("localhost");
        match identity {
            Some((cert, key)) => c.identity(Identity::from_pem(cert, key)),
            None => c,
        }
    }
}

/// An in-process server with the given security settings (no audit log).
struct Server {
    addr: std::net::SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    join: tokio::task::JoinHandle<Result<(), factgate::serve::ServeError>>,
}

impl Server {
    async fn start(section: ServerSection) -> Self {
        let options = ServeOptions::from_config(&section).expect("valid security settings");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        let (tx, rx) = oneshot::channel::<()>();
        let join = tokio::spawn(factgate::serve::serve(
            listener,
            options,
            Box::new(|| Ok(common::checker(None, "", None))),
            async {
                let _ = rx.await;
            },
        ));
        Self {
            addr,
            stop: Some(tx),
            join,
        }
    }

    fn endpoint(&self, tls: Option<ClientTlsConfig>) -> Endpoint {
        let scheme = if tls.is_some() { "https" } else { "http" };
        let e = Endpoint::from_shared(format!("{scheme}://{}", self.addr)).expect("url");
        match tls {
            Some(t) => e.tls_config(t).expect("client tls"),
            None => e,
        }
    }

    /// A channel once the server says SERVING (health Watch over the same transport).
    async fn channel(&self, tls: Option<ClientTlsConfig>) -> Channel {
        let channel = self.endpoint(tls).connect().await.expect("connect");
        wait_serving(channel.clone()).await;
        channel
    }

    async fn stop(mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        self.join.await.expect("server task").expect("clean stop");
    }
}

async fn wait_serving(channel: Channel) {
    let mut stream = HealthClient::new(channel)
        .watch(HealthCheckRequest {
            service: String::new(),
        })
        .await
        .expect("health watch")
        .into_inner();
    while let Some(msg) = stream.message().await.expect("health stream") {
        if msg.status == ServingStatus::Serving as i32 {
            return;
        }
    }
    panic!("health stream ended before SERVING");
}

fn contradiction() -> CheckRequest {
    CheckRequest {
        response: "The capital of France is Berlin.".into(),
        ..Default::default()
    }
}

fn with_token(token: Option<&str>) -> Request<CheckRequest> {
    let mut r = Request::new(contradiction());
    if let Some(t) = token {
        r.metadata_mut()
            .insert("authorization", t.parse().expect("ascii metadata"));
    }
    r
}

/// Whether a plain or TLS connection attempt followed by a call succeeds.
async fn call_ok(server: &Server, tls: Option<ClientTlsConfig>) -> Result<(), String> {
    let channel = server
        .endpoint(tls)
        .connect()
        .await
        .map_err(|e| format!("connect: {e:?}"))?;
    GuardClient::new(channel)
        .check(contradiction())
        .await
        .map(|_| ())
        .map_err(|s| format!("call: {s:?}"))
}

#[tokio::test]
async fn tls_client_with_the_ca_gets_answers_and_plaintext_clients_fail() {
    let pki = pki();
    let server = Server::start(ServerSection {
        tls: Some(pki.tls(false)),
        ..Default::default()
    })
    .await;
    let mut client = GuardClient::new(server.channel(Some(pki.client(None))).await);
    let r = client
        .check(contradiction())
        .await
        .expect("check over TLS")
        .into_inner();
    assert_eq!(r.verdict(), Verdict::Block);
    // A plaintext client cannot talk to the TLS port.
    let plain = call_ok(&server, None).await;
    assert!(plain.is_err(), "plaintext call must fail: {plain:?}");
    // Nor can a TLS client that does not trust the server's CA.
    let other_ca = ClientTlsConfig::new()
        .ca_certificate(Certificate::from_pem(ca("unrelated CA").pem()))
        .domain_name("localhost");
    let untrusted = call_ok(&server, Some(other_ca)).await;
    assert!(
        untrusted
            .as_ref()
            .is_err_and(|e| e.contains("UnknownIssuer")),
        "untrusted server cert: {untrusted:?}"
    );
    server.stop().await;
}

#[tokio::test]
async fn mutual_tls_refuses_clients_without_a_certificate_from_the_client_ca() {
    let pki = pki();
    let server = Server::start(ServerSection {
        tls: Some(pki.tls(true)),
        ..Default::default()
    })
    .await;
    let good = pki.client(Some((&pki.client_cert, &pki.client_key)));
    let mut client = GuardClient::new(server.channel(Some(good)).await);
    let r = client
        .check(contradiction())
        .await
        .expect("check with client cert")
        .into_inner();
    assert_eq!(r.verdict(), Verdict::Block);

    let anonymous = call_ok(&server, Some(pki.client(None))).await;
    // Refused in the handshake, before any call.
    assert!(
        anonymous
            .as_ref()
            .is_err_and(|e| e.contains("CertificateRequired")),
        "no client cert must fail: {anonymous:?}"
    );
    let rogue = pki.client(Some((&pki.rogue_cert, &pki.rogue_key)));
    let rogue = call_ok(&server, Some(rogue)).await;
    assert!(
        rogue.as_ref().is_err_and(|e| e.contains("UnknownCA")),
        "cert from another CA must fail: {rogue:?}"
    );
    server.stop().await;
}

#[tokio::test]
async fn bearer_tokens_guard_check_and_ext_proc_but_not_health() {
    let dir = tempfile::tempdir().expect("tempdir");
    let tokens = dir.path().join("tokens.txt");
    std::fs::write(&tokens, "# rotated 2026-12\n\nold-token\nnew-token-42\n").expect("write");
    let server = Server::start(ServerSection {
        auth_tokens_file: Some(tokens),
        ..Default::default()
    })
    .await;
    // Health works without a token (the channel waits for SERVING through it).
    let channel = server.channel(None).await;
    let mut client = GuardClient::new(channel.clone());

    let missing = client.check(with_token(None)).await.expect_err("no token");
    assert_eq!(missing.code(), Code::Unauthenticated);
    assert_eq!(
        missing.message(),
        "missing authorization metadata (Bearer token)"
    );
    for wrong in ["Bearer nope", "Bearer new-token-4", "Basic new-token-42"] {
        let e = client
            .check(with_token(Some(wrong)))
            .await
            .expect_err(wrong);
        assert_eq!(e.code(), Code::Unauthenticated, "{wrong}");
        // One message for every wrong credential: it never says which part was wrong.
        assert_eq!(e.message(), "invalid credentials", "{wrong}");
    }
    for right in ["Bearer new-token-42", "Bearer old-token"] {
        let r = client
            .check(with_token(Some(right)))
            .await
            .expect(right)
            .into_inner();
        assert_eq!(r.verdict(), Verdict::Block);
    }

    // ext_proc needs the token too (Envoy sends it as grpc_service initial_metadata).
    let mut ext = ExternalProcessorClient::new(channel);
    let e = ext
        .process(tokio_stream::iter(Vec::<ProcessingRequest>::new()))
        .await
        .expect_err("ext_proc without token");
    assert_eq!(e.code(), Code::Unauthenticated);
    let mut authed = Request::new(tokio_stream::iter(Vec::<ProcessingRequest>::new()));
    authed
        .metadata_mut()
        .insert("authorization", "Bearer old-token".parse().expect("ascii"));
    ext.process(authed).await.expect("ext_proc with token");
    server.stop().await;
}

#[tokio::test]
async fn tls_and_tokens_together() {
    let pki = pki();
    let dir = tempfile::tempdir().expect("tempdir");
    let tokens = dir.path().join("tokens.txt");
    std::fs::write(&tokens, "t0k\n").expect("write");
    let server = Server::start(ServerSection {
        tls: Some(pki.tls(false)),
        auth_tokens_file: Some(tokens),
        ..Default::default()
    })
    .await;
    let mut client = GuardClient::new(server.channel(Some(pki.client(None))).await);
    let e = client.check(with_token(None)).await.expect_err("no token");
    assert_eq!(e.code(), Code::Unauthenticated);
    client
        .check(with_token(Some("Bearer t0k")))
        .await
        .expect("token over TLS");
    server.stop().await;
}

fn file_error(section: ServerSection) -> String {
    ServeOptions::from_config(&section)
        .expect_err("bad file must fail")
        .to_string()
}

#[test]
fn bad_tls_and_token_files_are_start_up_errors_naming_file_and_setting() {
    let pki = pki();
    let dir = tempfile::tempdir().expect("tempdir");
    let missing = dir.path().join("missing-server.pem");
    let garbage = dir.path().join("garbage.pem");
    std::fs::write(&garbage, "not a certificate\n").expect("write");
    let tls = |cert: &Path, key: &Path, ca: Option<&Path>| ServerSection {
        tls: Some(TlsSection {
            cert: cert.to_path_buf(),
            key: key.to_path_buf(),
            client_ca: ca.map(Path::to_path_buf),
        }),
        ..Default::default()
    };
    let e = file_error(tls(&missing, &pki.server_key, None));
    assert!(
        e.contains("missing-server.pem") && e.contains("server.tls.cert"),
        "{e}"
    );
    let e = file_error(tls(&garbage, &pki.server_key, None));
    assert!(
        e.contains("garbage.pem") && e.contains("no PEM certificate"),
        "{e}"
    );
    let e = file_error(tls(&pki.server_cert, &garbage, None));
    assert!(
        e.contains("garbage.pem") && e.contains("server.tls.key"),
        "{e}"
    );
    let e = file_error(tls(&pki.server_cert, &pki.server_key, Some(&missing)));
    assert!(
        e.contains("missing-server.pem") && e.contains("server.tls.client_ca"),
        "{e}"
    );
    // A key that does not belong to the certificate: rustls refuses it at start-up.
    let other_key = dir.path().join("other.key");
    std::fs::write(
        &other_key,
        KeyPair::generate().expect("key").serialize_pem(),
    )
    .expect("write");
    let e = file_error(tls(&pki.server_cert, &other_key, None));
    assert!(e.contains("server.tls") && e.contains("server.pem"), "{e}");

    let empty = dir.path().join("tokens.txt");
    std::fs::write(&empty, "# no tokens yet\n\n").expect("write");
    let e = file_error(ServerSection {
        auth_tokens_file: Some(empty),
        ..Default::default()
    });
    assert!(
        e.contains("tokens.txt") && e.contains("auth_tokens_file"),
        "{e}"
    );
}

#[test]
fn the_binary_refuses_to_start_on_a_bad_cert_path() {
    let dir = tempfile::tempdir().expect("tempdir");
    let key = dir.path().join("server.key");
    std::fs::write(&key, KeyPair::generate().expect("key").serialize_pem()).expect("write");
    let out = common::factgate_bin()
        .args(["serve", "--listen", "127.0.0.1:0", "--tls-cert"])
        .arg(dir.path().join("no-such-cert.pem"))
        .arg("--tls-key")
        .arg(&key)
        .arg("--audit-log")
        .arg(dir.path().join("audit.jsonl"))
        .output()
        .expect("runs");
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("no-such-cert.pem") && stderr.contains("--tls-cert"),
        "{stderr}"
    );

    let out = common::factgate_bin()
        .args(["serve", "--listen", "127.0.0.1:0", "--tls-key"])
        .arg(&key)
        .output()
        .expect("runs");
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("--tls-cert"), "{stderr}");
}

/// Stderr of `serve` on `listen` with a graph that cannot load (so it exits right after the
/// start-up checks, with the warnings already logged).
fn serve_stderr(listen: &str) -> String {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = common::factgate_bin()
        .args([
            "serve",
            "--verifier",
            "off",
            "--listen",
            listen,
            "--knowledge",
        ])
        .arg(dir.path().join("no-graph-here"))
        .arg("--audit-log")
        .arg(dir.path().join("audit.jsonl"))
        .output()
        .expect("runs");
    assert!(!out.status.success(), "the graph cannot load");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn listening_beyond_loopback_without_tls_warns_about_clear_text() {
    let open = serve_stderr("0.0.0.0:0");
    assert!(
        open.contains("WARN") && open.contains("clear text"),
        "{open}"
    );
    let local = serve_stderr("127.0.0.1:0");
    assert!(!local.contains("clear text"), "{local}");
}
