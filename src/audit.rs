//! Audit stage: a hash-chained, append-only JSON Lines log of every decision.
//!
//! Each record carries `seq`, `prev_hash` and `hash` = SHA-256 over the record's canonical JSON
//! encoding (keys sorted, no whitespace) without the `hash` field. The first record of a chain
//! has `prev_hash` = 64 zeros. One writer thread owns the file; callers wait until their record
//! is durable according to the sync mode (`batch`: group commit, one fsync for all records that
//! arrived together, before any of them is acknowledged). Rotation renames the full file to
//! `<path>.<n>` and the chain continues in the new file. A torn last line (crash mid-write) is
//! detected at start-up, moved to `<path>.torn-<unix time>`, and a `recovery` record naming it
//! is written, so nothing disappears silently.

use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::sync::Mutex;
use std::thread::JoinHandle;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

/// `prev_hash` of the first record of a chain.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// When appended records are fsynced.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum SyncMode {
    /// fsync after every record.
    Always,
    /// Group commit: one fsync per batch, before the batch is acknowledged (default).
    Batch,
    /// Never fsync (the OS decides); records can be lost on power failure.
    None,
}

/// Audit log settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AuditConfig {
    /// Active log file.
    pub path: PathBuf,
    /// Durability mode.
    pub sync: SyncMode,
    /// Rotate when the active file would grow beyond this many bytes.
    pub rotate_bytes: u64,
}

impl Default for AuditConfig {
    fn default() -> Self {
        Self {
            path: PathBuf::from("factgate-audit.jsonl"),
            sync: SyncMode::Batch,
            rotate_bytes: 256 * 1024 * 1024,
        }
    }
}

/// Audit failures.
#[derive(Debug, Clone, thiserror::Error)]
pub enum AuditError {
    /// The log file could not be read or written.
    #[error("audit log {path}: {message}")]
    Io {
        /// The file.
        path: PathBuf,
        /// What failed.
        message: String,
    },
    /// The existing log is damaged in a way start-up must not paper over.
    #[error("audit log {path} is corrupt at line {line}: {message}")]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// 1-based line.
        line: usize,
        /// What is wrong.
        message: String,
    },
    /// The writer thread is gone (shut down or crashed).
    #[error("audit writer is not running")]
    Closed,
}

fn io_err(path: &Path, e: impl std::fmt::Display) -> AuditError {
    AuditError::Io {
        path: path.to_path_buf(),
        message: e.to_string(),
    }
}

/// What a caller gets back once its record is durable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Receipt {
    /// Record id returned to clients: `<seq>-<first 16 hex of hash>`.
    pub audit_id: String,
    /// Sequence number.
    pub seq: u64,
    /// Record hash.
    pub hash: String,
}

/// Canonical JSON: object keys sorted at every level, compact.
pub fn canonical(v: &Value) -> String {
    fn write(v: &Value, out: &mut String) {
        match v {
            Value::Object(m) => {
                let mut keys: Vec<&String> = m.keys().collect();
                keys.sort();
                out.push('{');
                for (i, k) in keys.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    out.push_str(&Value::String((*k).clone()).to_string());
                    out.push(':');
                    write(&m[*k], out);
                }
                out.push('}');
            }
            Value::Array(a) => {
                out.push('[');
                for (i, x) in a.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    write(x, out);
                }
                out.push(']');
            }
            other => out.push_str(&other.to_string()),
        }
    }
    let mut s = String::new();
    write(v, &mut s);
    s
}

/// SHA-256 hex of the record's canonical form without `hash`.
pub fn record_hash(record: &Map<String, Value>) -> String {
    let mut m = record.clone();
    m.remove("hash");
    hex::encode(Sha256::digest(canonical(&Value::Object(m)).as_bytes()))
}

/// SHA-256 hex of some text (for input hashes).
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

enum Msg {
    Append(
        Map<String, Value>,
        tokio::sync::oneshot::Sender<Result<Receipt, AuditError>>,
    ),
    Flush(tokio::sync::oneshot::Sender<Result<(), AuditError>>),
}

/// Handle to the audit writer. Cheap to share behind an `Arc`.
pub struct AuditLog {
    tx: Mutex<Option<mpsc::Sender<Msg>>>,
    handle: Mutex<Option<JoinHandle<()>>>,
    path: PathBuf,
}

struct Writer {
    cfg: AuditConfig,
    file: File,
    size: u64,
    seq: u64,
    last_hash: String,
}

/// Rotated siblings `<path>.<n>` sorted by n.
pub fn rotated_files(path: &Path) -> Vec<PathBuf> {
    let (Some(dir), Some(name)) = (path.parent(), path.file_name().and_then(|n| n.to_str())) else {
        return Vec::new();
    };
    let dir = if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    };
    let Ok(rd) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut out: Vec<(u64, PathBuf)> = rd
        .filter_map(Result::ok)
        .filter_map(|e| {
            let n = e
                .file_name()
                .to_str()?
                .strip_prefix(name)?
                .strip_prefix('.')?
                .parse::<u64>()
                .ok()?;
            Some((n, e.path()))
        })
        .collect();
    out.sort();
    out.into_iter().map(|(_, p)| p).collect()
}

/// What start-up learns from the end of a log file.
type TailState = (Option<(u64, String)>, u64, Vec<u8>);

/// Last complete record (seq, hash), byte length of the complete part, and the torn bytes after it.
fn tail_state(path: &Path) -> Result<TailState, AuditError> {
    let mut bytes = Vec::new();
    match File::open(path) {
        Ok(mut f) => {
            f.read_to_end(&mut bytes).map_err(|e| io_err(path, e))?;
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok((None, 0, Vec::new())),
        Err(e) => return Err(io_err(path, e)),
    }
    let complete = bytes.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
    let torn = bytes[complete..].to_vec();
    let body = &bytes[..complete];
    let line_count = body.iter().filter(|&&b| b == b'\n').count();
    let last_line = body[..complete.saturating_sub(1)]
        .rsplit(|&b| b == b'\n')
        .next()
        .filter(|l| !l.is_empty());
    let last = match last_line {
        None => None,
        Some(l) => {
            let v: Value = serde_json::from_slice(l).map_err(|e| AuditError::Corrupt {
                path: path.to_path_buf(),
                line: line_count,
                message: format!("last complete line is not JSON: {e}"),
            })?;
            let seq = v.get("seq").and_then(Value::as_u64);
            let hash = v.get("hash").and_then(Value::as_str);
            match (seq, hash) {
                (Some(s), Some(h)) => Some((s, h.to_string())),
                _ => {
                    return Err(AuditError::Corrupt {
                        path: path.to_path_buf(),
                        line: line_count,
                        message: "last record has no seq/hash".into(),
                    })
                }
            }
        }
    };
    Ok((last, complete as u64, torn))
}

fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// RFC 3339 UTC timestamp with milliseconds.
pub fn now_rfc3339() -> String {
    let now = time::OffsetDateTime::now_utc();
    now.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|_| now.unix_timestamp().to_string())
}

impl Writer {
    fn open(cfg: AuditConfig) -> Result<(Self, Option<Map<String, Value>>), AuditError> {
        let path = cfg.path.clone();
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| io_err(dir, e))?;
        }
        let (mut last, complete, torn) = tail_state(&path)?;
        let mut recovery = None;
        if !torn.is_empty() {
            let aside = PathBuf::from(format!("{}.torn-{}", path.display(), unix_now()));
            std::fs::write(&aside, &torn).map_err(|e| io_err(&aside, e))?;
            let f = OpenOptions::new()
                .write(true)
                .open(&path)
                .map_err(|e| io_err(&path, e))?;
            f.set_len(complete).map_err(|e| io_err(&path, e))?;
            f.sync_all().map_err(|e| io_err(&path, e))?;
            tracing::warn!(
                log = %path.display(),
                bytes = torn.len(),
                kept_at = %aside.display(),
                "audit log had a torn last line (crash during a write); kept it aside and continuing the chain from the last good record"
            );
            let mut m = Map::new();
            m.insert("kind".into(), "recovery".into());
            m.insert("time".into(), now_rfc3339().into());
            m.insert(
                "message".into(),
                "torn last line found at start-up; the chain continues from the last complete record".into(),
            );
            m.insert("torn_bytes".into(), (torn.len() as u64).into());
            m.insert("torn_sha256".into(), sha256_hex(&torn).into());
            m.insert("kept_at".into(), aside.display().to_string().into());
            recovery = Some(m);
        }
        if last.is_none() {
            // Fresh active file: continue from the newest rotated file, if any.
            if let Some(prev) = rotated_files(&path).last() {
                last = tail_state(prev)?.0;
            }
        }
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .map_err(|e| io_err(&path, e))?;
        let size = file.metadata().map_err(|e| io_err(&path, e))?.len();
        let (seq, last_hash) = match last {
            Some((s, h)) => (s + 1, h),
            None => (0, GENESIS.to_string()),
        };
        Ok((
            Self {
                cfg,
                file,
                size,
                seq,
                last_hash,
            },
            recovery,
        ))
    }

    fn rotate(&mut self) -> Result<(), AuditError> {
        let path = self.cfg.path.clone();
        self.file.sync_all().map_err(|e| io_err(&path, e))?;
        let next = rotated_files(&path)
            .last()
            .and_then(|p| p.extension()?.to_str()?.parse::<u64>().ok())
            .map_or(1, |n| n + 1);
        let target = PathBuf::from(format!("{}.{}", path.display(), next));
        std::fs::rename(&path, &target).map_err(|e| io_err(&target, e))?;
        self.file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .map_err(|e| io_err(&path, e))?;
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            if let Ok(d) = File::open(dir) {
                let _ = d.sync_all();
            }
        }
        self.size = 0;
        tracing::info!(rotated_to = %target.display(), "audit log rotated");
        Ok(())
    }

    fn append(&mut self, mut record: Map<String, Value>) -> Result<Receipt, AuditError> {
        record.insert("seq".into(), self.seq.into());
        record.insert("prev_hash".into(), self.last_hash.clone().into());
        record.remove("hash");
        let hash = record_hash(&record);
        record.insert("hash".into(), hash.clone().into());
        let mut line = canonical(&Value::Object(record));
        line.push('\n');
        if self.size > 0 && self.size + line.len() as u64 > self.cfg.rotate_bytes {
            self.rotate()?;
        }
        let path = &self.cfg.path;
        self.file
            .write_all(line.as_bytes())
            .map_err(|e| io_err(path, e))?;
        if self.cfg.sync == SyncMode::Always {
            self.file.sync_data().map_err(|e| io_err(path, e))?;
        }
        self.size += line.len() as u64;
        let receipt = Receipt {
            audit_id: format!("{}-{}", self.seq, &hash[..16]),
            seq: self.seq,
            hash: hash.clone(),
        };
        self.seq += 1;
        self.last_hash = hash;
        Ok(receipt)
    }

    fn sync(&mut self) -> Result<(), AuditError> {
        if self.cfg.sync == SyncMode::None {
            return Ok(());
        }
        self.file.sync_data().map_err(|e| io_err(&self.cfg.path, e))
    }

    fn run(mut self, rx: mpsc::Receiver<Msg>) {
        while let Ok(first) = rx.recv() {
            // Group commit: take everything that is already waiting.
            let mut batch = vec![first];
            while let Ok(m) = rx.try_recv() {
                batch.push(m);
                if batch.len() >= 1024 {
                    break;
                }
            }
            let mut replies = Vec::new();
            let mut flushes = Vec::new();
            for m in batch {
                match m {
                    Msg::Append(rec, reply) => replies.push((self.append(rec), reply)),
                    Msg::Flush(reply) => flushes.push(reply),
                }
            }
            let synced = self.sync();
            for (result, reply) in replies {
                let result = match (&synced, result) {
                    (Err(e), Ok(_)) => Err(e.clone()),
                    (_, r) => r,
                };
                let _ = reply.send(result);
            }
            for reply in flushes {
                let _ = reply.send(synced.clone());
            }
        }
        // Channel closed: final fsync.
        if let Err(e) = self.file.sync_all() {
            tracing::error!(error = %e, "final audit fsync failed");
        }
    }
}

impl AuditLog {
    /// Opens (or creates) the log, recovering a torn tail, and starts the writer thread.
    pub fn open(cfg: AuditConfig) -> Result<Self, AuditError> {
        let path = cfg.path.clone();
        let (mut writer, recovery) = Writer::open(cfg)?;
        if let Some(rec) = recovery {
            writer.append(rec)?;
            writer.file.sync_all().map_err(|e| io_err(&path, e))?;
        }
        let (tx, rx) = mpsc::channel();
        let handle = std::thread::Builder::new()
            .name("factgate-audit".into())
            .spawn(move || writer.run(rx))
            .map_err(|e| io_err(&path, e))?;
        Ok(Self {
            tx: Mutex::new(Some(tx)),
            handle: Mutex::new(Some(handle)),
            path,
        })
    }

    /// The active log path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn sender(&self) -> Result<mpsc::Sender<Msg>, AuditError> {
        self.tx
            .lock()
            .map_err(|_| AuditError::Closed)?
            .as_ref()
            .cloned()
            .ok_or(AuditError::Closed)
    }

    /// Appends a record (without `seq`/`prev_hash`/`hash`, which the writer adds) and waits
    /// until it is durable per the sync mode. Blocking: call from a blocking context.
    pub fn append(&self, record: Map<String, Value>) -> Result<Receipt, AuditError> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        self.sender()?
            .send(Msg::Append(record, tx))
            .map_err(|_| AuditError::Closed)?;
        rx.blocking_recv().map_err(|_| AuditError::Closed)?
    }

    /// Waits until everything appended so far is fsynced.
    pub fn flush(&self) -> Result<(), AuditError> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        self.sender()?
            .send(Msg::Flush(tx))
            .map_err(|_| AuditError::Closed)?;
        rx.blocking_recv().map_err(|_| AuditError::Closed)?
    }

    /// Stops the writer after the records already queued, fsyncs and closes the file.
    pub fn close(&self) {
        if let Ok(mut tx) = self.tx.lock() {
            tx.take();
        }
        if let Some(h) = self.handle.lock().ok().and_then(|mut h| h.take()) {
            let _ = h.join();
        }
    }
}

impl Drop for AuditLog {
    fn drop(&mut self) {
        self.close();
    }
}

/// Result of verifying a chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verification {
    /// Every record checks out.
    Intact {
        /// Records verified.
        records: u64,
        /// First seq (non-zero when the oldest files were rotated away).
        first_seq: Option<u64>,
        /// Hash of the last record.
        last_hash: Option<String>,
    },
    /// The first problem found.
    Broken {
        /// File.
        path: PathBuf,
        /// 1-based line.
        line: usize,
        /// Seq of the bad record when readable.
        seq: Option<u64>,
        /// What is wrong.
        message: String,
    },
}

/// Files to verify for the given arguments: a single active log path brings its rotated
/// siblings (oldest first) with it.
pub fn files_to_verify(paths: &[PathBuf]) -> Vec<PathBuf> {
    if let [one] = paths {
        let mut v = rotated_files(one);
        v.push(one.clone());
        return v;
    }
    paths.to_vec()
}

/// Verifies the files as one chain, in order.
pub fn verify(paths: &[PathBuf]) -> Result<Verification, AuditError> {
    let mut prev: Option<String> = None;
    let mut expected_seq: Option<u64> = None;
    let mut first_seq = None;
    let mut records = 0u64;
    for (fi, path) in paths.iter().enumerate() {
        let mut f = File::open(path).map_err(|e| io_err(path, e))?;
        let len = f.metadata().map_err(|e| io_err(path, e))?.len();
        if len > 0 {
            f.seek(SeekFrom::Start(len - 1))
                .map_err(|e| io_err(path, e))?;
            let mut last = [0u8; 1];
            f.read_exact(&mut last).map_err(|e| io_err(path, e))?;
            f.seek(SeekFrom::Start(0)).map_err(|e| io_err(path, e))?;
            if last[0] != b'\n' {
                let lines = BufReader::new(File::open(path).map_err(|e| io_err(path, e))?)
                    .lines()
                    .count();
                let _ = fi;
                return Ok(Verification::Broken {
                    path: path.clone(),
                    line: lines,
                    seq: None,
                    message: "torn last line (no trailing newline): the writer crashed mid-record"
                        .into(),
                });
            }
        }
        for (i, line) in BufReader::new(f).lines().enumerate() {
            let line = line.map_err(|e| io_err(path, e))?;
            let broken = |seq: Option<u64>, message: String| Verification::Broken {
                path: path.clone(),
                line: i + 1,
                seq,
                message,
            };
            let v: Value = match serde_json::from_str(&line) {
                Ok(v) => v,
                Err(e) => return Ok(broken(None, format!("not JSON: {e}"))),
            };
            let Value::Object(m) = v else {
                return Ok(broken(None, "not a JSON object".into()));
            };
            let seq = m.get("seq").and_then(Value::as_u64);
            let (Some(s), Some(h), Some(ph)) = (
                seq,
                m.get("hash").and_then(Value::as_str),
                m.get("prev_hash").and_then(Value::as_str),
            ) else {
                return Ok(broken(seq, "missing seq, hash or prev_hash".into()));
            };
            if record_hash(&m) != h {
                return Ok(broken(
                    seq,
                    "hash does not match the record's contents (record edited)".into(),
                ));
            }
            match &prev {
                Some(p) if p != ph => {
                    return Ok(broken(seq, "prev_hash does not match the previous record (record removed, reordered or inserted)".into()))
                }
                None if s == 0 && ph != GENESIS => {
                    return Ok(broken(seq, "first record's prev_hash is not the genesis value".into()))
                }
                _ => {}
            }
            if let Some(e) = expected_seq {
                if s != e {
                    return Ok(broken(seq, format!("seq {s} follows {}", e - 1)));
                }
            }
            first_seq.get_or_insert(s);
            expected_seq = Some(s + 1);
            prev = Some(h.to_string());
            records += 1;
        }
    }
    Ok(Verification::Intact {
        records,
        first_seq,
        last_hash: prev,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(n: u64) -> Map<String, Value> {
        let mut m = Map::new();
        m.insert("kind".into(), "check".into());
        m.insert("n".into(), n.into());
        m.insert("z".into(), serde_json::json!({"b": 1.5, "a": [1, "x"]}));
        // Floats must survive parse + re-serialize exactly, or verify would report edits.
        m.insert(
            "f".into(),
            serde_json::json!([0.1 + 0.2, 1.0 / 3.0, 0.7123456789012345 * n as f64]),
        );
        m
    }

    #[test]
    fn canonical_sorts_keys() {
        let v = serde_json::json!({"b": {"d": 1, "c": 2}, "a": 0.1});
        assert_eq!(canonical(&v), r#"{"a":0.1,"b":{"c":2,"d":1}}"#);
    }

    #[test]
    fn chain_verifies_and_detects_edits() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("a.jsonl");
        let log = AuditLog::open(AuditConfig {
            path: path.clone(),
            sync: SyncMode::Batch,
            rotate_bytes: 1 << 20,
        })
        .expect("open");
        for i in 0..5 {
            assert_eq!(log.append(rec(i)).expect("append").seq, i);
        }
        log.close();
        assert!(matches!(
            verify(std::slice::from_ref(&path)).expect("verify"),
            Verification::Intact { records: 5, .. }
        ));
        let text = std::fs::read_to_string(&path).expect("read");
        std::fs::write(&path, text.replacen("\"n\":3", "\"n\":4", 1)).expect("write");
        match verify(&[path]).expect("verify") {
            Verification::Broken { line, seq, .. } => {
                assert_eq!(line, 4);
                assert_eq!(seq, Some(3));
            }
            other => panic!("expected broken, got {other:?}"),
        }
    }
}
