//! Signed audit checkpoints: keygen, checkpoint records, `audit verify --public-key`.

use std::path::{Path, PathBuf};

use factgate::audit::{
    keygen, record_hash, verify, verify_with, AuditConfig, AuditError, AuditLog, CheckpointKey,
    SyncMode, Verification,
};
use serde_json::{Map, Value};

use crate::common::{audit_records, factgate_bin};

fn rec(n: u64) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("kind".into(), "check".into());
    m.insert("verdict".into(), "ALLOW".into());
    m.insert("n".into(), n.into());
    m
}

fn signed_cfg(dir: &Path, key: &Path, every: u64) -> AuditConfig {
    AuditConfig {
        path: dir.join("audit.jsonl"),
        sync: SyncMode::Batch,
        rotate_bytes: 1 << 20,
        signing_key: Some(key.to_path_buf()),
        checkpoint_every: every,
        checkpoint_interval_s: 3600.0,
    }
}

/// Writes `n` records with a signing key and closes the log.
fn write_signed(cfg: &AuditConfig, n: u64) {
    let log = AuditLog::open(cfg.clone()).expect("open signed log");
    for i in 0..n {
        log.append(rec(i)).expect("append");
    }
    log.close();
}

fn verify_cli(key: Option<&Path>, log: &Path) -> (i32, String, String) {
    let mut cmd = factgate_bin();
    cmd.args(["audit", "verify"]);
    if let Some(k) = key {
        cmd.arg("--public-key").arg(k);
    }
    let out = cmd.arg(log).output().expect("run factgate audit verify");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn new_key(dir: &Path, name: &str) -> (PathBuf, PathBuf, String) {
    let k = keygen(&dir.join(name)).expect("keygen");
    (k.private, k.public, k.key_id)
}

fn write_lines(path: &Path, recs: &[Map<String, Value>]) {
    let text: String = recs
        .iter()
        .map(|m| factgate::audit::canonical(&Value::Object(m.clone())) + "\n")
        .collect();
    std::fs::write(path, text).expect("write log");
}

fn read_maps(path: &Path) -> Vec<Map<String, Value>> {
    audit_records(path)
        .into_iter()
        .map(|v| match v {
            Value::Object(m) => m,
            other => panic!("record is not an object: {other}"),
        })
        .collect()
}

/// Re-links every record from `from` on, as a forger with write access would.
fn rechain(recs: &mut [Map<String, Value>], from: usize) {
    for i in from..recs.len() {
        if i > 0 {
            let prev = recs[i - 1]["hash"].clone();
            recs[i].insert("prev_hash".into(), prev);
        }
        let h = record_hash(&recs[i]);
        recs[i].insert("hash".into(), h.into());
    }
}

#[test]
fn keygen_writes_both_files_and_refuses_to_overwrite() {
    let dir = tempfile::tempdir().expect("tempdir");
    let key = dir.path().join("audit.key");
    let out = factgate_bin()
        .args(["audit", "keygen", "--out"])
        .arg(&key)
        .output()
        .expect("run keygen");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let private = std::fs::read_to_string(&key).expect("private key written");
    let public = std::fs::read_to_string(dir.path().join("audit.key.pub")).expect("public key");
    let lines: Vec<&str> = private.lines().collect();
    assert_eq!(lines[0], "factgate-audit-ed25519-secret-v1");
    assert_eq!(lines[1].len(), 64);
    assert!(public.starts_with("factgate-audit-ed25519-public-v1\n"));
    assert_ne!(private.lines().nth(1), public.lines().nth(1));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&key).expect("meta").permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "private key mode {mode:o}");
    }
    let pk = CheckpointKey::load(&dir.path().join("audit.key.pub")).expect("public key loads");
    assert!(String::from_utf8_lossy(&out.stdout).contains(pk.key_id()));

    // A second run refuses, names the file and leaves the key untouched.
    let again = factgate_bin()
        .args(["audit", "keygen", "--out"])
        .arg(&key)
        .output()
        .expect("run keygen");
    assert!(!again.status.success());
    let err = String::from_utf8_lossy(&again.stderr);
    assert!(err.contains(&key.display().to_string()), "{err}");
    assert!(err.contains("refusing to overwrite"), "{err}");
    assert_eq!(std::fs::read_to_string(&key).expect("read"), private);

    // Only the .pub exists: still refused, and no private key appears.
    let other = dir.path().join("other.key");
    std::fs::write(dir.path().join("other.key.pub"), "x").expect("write");
    match keygen(&other) {
        Err(AuditError::Key { path, .. }) => assert!(path.ends_with("other.key.pub")),
        r => panic!("expected refusal, got {r:?}"),
    }
    assert!(!other.exists());
}

#[test]
fn signed_log_verifies_and_reports_signed_position_and_unsigned_tail() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (private, public, key_id) = new_key(dir.path(), "k");
    let cfg = signed_cfg(dir.path(), &private, 4);
    write_signed(&cfg, 10);
    // Reopened without the key, two more records are an unsigned tail of the same chain.
    let log = AuditLog::open(AuditConfig {
        signing_key: None,
        ..cfg.clone()
    })
    .expect("reopen unsigned");
    log.append(rec(10)).expect("append");
    log.append(rec(11)).expect("append");
    log.close();

    let recs = read_maps(&cfg.path);
    let kinds: Vec<(u64, &str)> = recs
        .iter()
        .map(|m| {
            (
                m["seq"].as_u64().expect("seq"),
                m["kind"].as_str().expect("kind"),
            )
        })
        .filter(|(_, k)| *k == "checkpoint")
        .collect();
    // 4 records, checkpoint, 4 records, checkpoint, 2 records, checkpoint at close, 2 unsigned.
    assert_eq!(
        kinds,
        vec![(4, "checkpoint"), (9, "checkpoint"), (12, "checkpoint")]
    );
    let cp = &recs[4];
    assert_eq!(cp["signed_seq"], 3);
    assert_eq!(cp["signed_hash"], recs[3]["hash"]);
    assert_eq!(cp["prev_hash"], recs[3]["hash"]);
    assert_eq!(cp["key_id"], key_id.as_str());
    assert_eq!(cp["reason"], "count");
    assert_eq!(recs[12]["reason"], "close");
    assert_eq!(recs.len(), 15);

    let key = CheckpointKey::load(&public).expect("load public key");
    match verify_with(std::slice::from_ref(&cfg.path), Some(&key)).expect("verify") {
        Verification::Intact {
            records: 15,
            checkpoints: 3,
            signed: Some(h),
            ..
        } => {
            assert_eq!(
                (h.signed_seq, h.checkpoint_seq, h.unsigned_tail),
                (11, 12, 2)
            );
        }
        other => panic!("expected intact + signed, got {other:?}"),
    }
    let (code, stdout, stderr) = verify_cli(Some(&public), &cfg.path);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(stdout.starts_with("OK: 15 records"), "{stdout}");
    assert!(stdout.contains("signed up to seq 11"), "{stdout}");
    assert!(
        stdout.contains("2 records after its checkpoint are an unsigned tail"),
        "{stdout}"
    );
    // Without a key, the old behaviour: checkpoints are ordinary chain records.
    let (code, stdout, _) = verify_cli(None, &cfg.path);
    assert_eq!(code, 0);
    assert!(stdout.starts_with("OK: 15 records"), "{stdout}");
    assert!(!stdout.contains("signed"), "{stdout}");
}

#[test]
fn checkpoint_at_close_only_when_records_arrived() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (private, public, _) = new_key(dir.path(), "k");
    let cfg = signed_cfg(dir.path(), &private, 1000);
    write_signed(&cfg, 3);
    let recs = read_maps(&cfg.path);
    assert_eq!(recs.len(), 4);
    assert_eq!(recs[3]["kind"], "checkpoint");
    assert_eq!(recs[3]["reason"], "close");
    assert_eq!(recs[3]["signed_seq"], 2);
    // Open and close with nothing new: no second checkpoint.
    AuditLog::open(cfg.clone()).expect("reopen").close();
    assert_eq!(read_maps(&cfg.path).len(), 4);
    let (code, stdout, _) = verify_cli(Some(&public), &cfg.path);
    assert_eq!(code, 0, "{stdout}");
    assert!(
        stdout.contains("signed up to seq 2") && stdout.contains("0 records after"),
        "{stdout}"
    );
}

#[test]
fn interval_checkpoint_signs_an_idle_tail() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (private, _, _) = new_key(dir.path(), "k");
    let cfg = AuditConfig {
        checkpoint_interval_s: 0.05,
        ..signed_cfg(dir.path(), &private, 1000)
    };
    let log = AuditLog::open(cfg.clone()).expect("open");
    log.append(rec(0)).expect("append");
    // Generous bound: the writer signs within 0.05 s; allow 20 s on a loaded machine.
    let start = std::time::Instant::now();
    let found = loop {
        let recs = read_maps(&cfg.path);
        if let Some(cp) = recs.iter().find(|m| m["kind"] == "checkpoint") {
            break Some(cp.clone());
        }
        if start.elapsed() > std::time::Duration::from_secs(20) {
            break None;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    let cp = found.expect("an interval checkpoint was written");
    assert_eq!(cp["reason"], "interval");
    assert_eq!(cp["signed_seq"], 0);
    log.close();
    // Nothing new since the interval checkpoint: none at close.
    assert_eq!(read_maps(&cfg.path).len(), 2);
}

#[test]
fn forged_chain_passes_plain_verify_but_fails_with_the_public_key() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (private, public, _) = new_key(dir.path(), "k");
    let cfg = signed_cfg(dir.path(), &private, 4);
    write_signed(&cfg, 10);
    let original = read_maps(&cfg.path);
    let key = CheckpointKey::load(&public).expect("key");
    let files = std::slice::from_ref(&cfg.path);

    // Forgery 1: flip one verdict and re-hash everything after it.
    let mut forged = original.clone();
    forged[1].insert("verdict".into(), "BLOCK".into());
    rechain(&mut forged, 1);
    write_lines(&cfg.path, &forged);
    assert!(
        matches!(
            verify(files).expect("verify"),
            Verification::Intact { records: 13, .. }
        ),
        "plain verify must be fooled by a full re-hash"
    );
    let (code, stdout, _) = verify_cli(None, &cfg.path);
    assert_eq!(code, 0, "{stdout}");
    match verify_with(files, Some(&key)).expect("verify") {
        Verification::Broken { line, seq, .. } => assert_eq!((line, seq), (5, Some(4))),
        other => panic!("forgery not detected: {other:?}"),
    }
    let (code, stdout, _) = verify_cli(Some(&public), &cfg.path);
    assert_eq!(code, 1, "{stdout}");
    assert!(stdout.starts_with("BROKEN: "), "{stdout}");
    assert!(stdout.contains(":5 (seq 4): checkpoint"), "{stdout}");

    // Forgery 2: also point the checkpoints at the forged heads; the signatures then fail.
    let mut forged = original.clone();
    forged[1].insert("verdict".into(), "BLOCK".into());
    for i in 1..forged.len() {
        let prev = forged[i - 1]["hash"].clone();
        forged[i].insert("prev_hash".into(), prev);
        if forged[i]["kind"] == "checkpoint" {
            let head = forged[i - 1]["hash"].clone();
            forged[i].insert("signed_hash".into(), head);
        }
        let h = record_hash(&forged[i]);
        forged[i].insert("hash".into(), h.into());
    }
    write_lines(&cfg.path, &forged);
    assert!(matches!(
        verify(files).expect("verify"),
        Verification::Intact { .. }
    ));
    let (code, stdout, _) = verify_cli(Some(&public), &cfg.path);
    assert_eq!(code, 1, "{stdout}");
    assert!(
        stdout.contains(&format!(
            ":5 (seq 4): checkpoint signature does not verify with {}",
            public.display()
        )),
        "{stdout}"
    );
}

#[test]
fn wrong_public_key_and_unsigned_log_fail() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (private, _, _) = new_key(dir.path(), "right");
    let (_, wrong_pub, wrong_id) = new_key(dir.path(), "wrong");
    let cfg = signed_cfg(dir.path(), &private, 2);
    write_signed(&cfg, 3);
    let (code, stdout, _) = verify_cli(Some(&wrong_pub), &cfg.path);
    assert_eq!(code, 1, "{stdout}");
    assert!(
        stdout.contains(&format!(
            ":3 (seq 2): checkpoint signature does not verify with {}",
            wrong_pub.display()
        )),
        "{stdout}"
    );
    assert!(stdout.contains(&wrong_id), "{stdout}");

    // A log written without a key has nothing signed: exit 1 with a clear message.
    let plain = dir.path().join("plain.jsonl");
    let log = AuditLog::open(AuditConfig {
        path: plain.clone(),
        ..AuditConfig::default()
    })
    .expect("open");
    log.append(rec(0)).expect("append");
    log.close();
    let (code, stdout, _) = verify_cli(Some(&wrong_pub), &plain);
    assert_eq!(code, 1, "{stdout}");
    assert!(stdout.contains("nothing is signed"), "{stdout}");
}

#[test]
fn malformed_or_missing_key_files_are_clear_errors() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (private, public, _) = new_key(dir.path(), "k");
    let bad = dir.path().join("bad.key");
    std::fs::write(&bad, "factgate-audit-ed25519-secret-v1\nnot-hex\n").expect("write");
    let short = dir.path().join("short.key");
    std::fs::write(&short, "factgate-audit-ed25519-secret-v1\nabcd\n").expect("write");
    let missing = dir.path().join("missing.key");
    for (key, needle) in [
        (&bad, "not hex"),
        (&short, "expected 32"),
        (&missing, "No such file"),
        // The public key where the private key belongs.
        (&public, "expected \"factgate-audit-ed25519-secret-v1\""),
    ] {
        match AuditLog::open(signed_cfg(dir.path(), key, 10)) {
            Err(e @ AuditError::Key { .. }) => {
                let msg = e.to_string();
                assert!(msg.contains(&key.display().to_string()), "{msg}");
                assert!(msg.contains(needle), "{msg}");
            }
            Err(e) => panic!("wrong error for {}: {e}", key.display()),
            Ok(_) => panic!("{} was accepted", key.display()),
        }
    }
    // Nothing was created for a log that could not be opened.
    assert!(!dir.path().join("audit.jsonl").exists());

    // The private key where the public key belongs.
    let (code, _, stderr) = verify_cli(Some(&private), &dir.path().join("x.jsonl"));
    assert_ne!(code, 0);
    assert!(stderr.contains(&private.display().to_string()), "{stderr}");

    // `serve` refuses to start with a bad key, naming the file, before listening.
    let out = factgate_bin()
        .args([
            "serve",
            "--verifier",
            "off",
            "--listen",
            "127.0.0.1:0",
            "--knowledge",
        ])
        .arg(crate::common::fixture_graph())
        .arg("--audit-log")
        .arg(dir.path().join("serve.jsonl"))
        .arg("--audit-signing-key")
        .arg(&bad)
        .output()
        .expect("run serve");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&bad.display().to_string()) && err.contains("not hex"),
        "{err}"
    );

    // Bad checkpoint settings name the field.
    match AuditLog::open(signed_cfg(dir.path(), &private, 0)) {
        Err(e) => assert!(e.to_string().contains("checkpoint_every"), "{e}"),
        Ok(_) => panic!("checkpoint_every = 0 accepted"),
    }
}

#[test]
fn audit_section_reads_signing_settings() {
    let f: factgate::config::FileConfig = toml::from_str(
        "[audit]\nsigning_key = \"keys/audit.key\"\ncheckpoint_every = 50\ncheckpoint_interval_s = 5\n",
    )
    .expect("config parses");
    assert_eq!(f.audit.signing_key, Some(PathBuf::from("keys/audit.key")));
    assert_eq!(f.audit.checkpoint_every, 50);
    assert!((f.audit.checkpoint_interval_s - 5.0).abs() < 1e-9);
    let defaults = factgate::config::FileConfig::default().audit;
    assert_eq!(
        (defaults.signing_key, defaults.checkpoint_every),
        (None, 1000)
    );
    assert!(
        toml::from_str::<factgate::config::FileConfig>("[audit]\nsigning_keys = \"k\"\n").is_err()
    );
}
