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
//!
//! # Signed checkpoints
//!
//! A hash chain alone only shows that the file is self-consistent: whoever can write the file can
//! edit a record and re-hash everything after it. With `signing_key` set (an Ed25519 key from
//! `factgate audit keygen`), the writer also appends `kind: "checkpoint"` records into the chain
//! (they have `seq`, `prev_hash` and `hash` like every record) that sign the chain head:
//!
//! ```text
//! {"kind":"checkpoint","reason":"count"|"interval"|"close","time":"…",
//!  "signed_seq":<seq of the record just before the checkpoint>,
//!  "signed_hash":"<that record's hash>",
//!  "key_id":"<first 16 hex of SHA-256 of the 32-byte public key>",
//!  "signature":"<128 hex: Ed25519 signature>", "seq":…, "prev_hash":…, "hash":…}
//! ```
//!
//! The signed message is the UTF-8 text `factgate-audit-checkpoint-v1\n<signed_seq>\n<signed_hash>`
//! (decimal seq, lowercase hex hash, no trailing newline). A checkpoint always signs the record
//! immediately before it, so `signed_seq = seq - 1` and `signed_hash = prev_hash`. Checkpoints are
//! written after every `checkpoint_every` records, when the oldest unsigned record is
//! `checkpoint_interval_s` seconds old, and at close when records arrived since the last one.
//! After a restart, a log whose last record is not a checkpoint gets one at the next trigger.
//!
//! Key files are two lines of text: a header, then 64 lowercase hex digits (the 32-byte Ed25519
//! seed for the private key, the 32-byte public key for `<key>.pub`):
//!
//! ```text
//! factgate-audit-ed25519-secret-v1        factgate-audit-ed25519-public-v1
//! <64 hex>                                <64 hex>
//! ```
//!
//! [`verify_with`] and a public key check every checkpoint's signature and that it signs the
//! chain it sits in. What this proves: the key holder saw the chain up to `signed_seq` with
//! exactly these contents. What it does not: records after the last checkpoint (the unsigned
//! tail) can still be edited, and cutting the file back to an earlier checkpoint (dropping the
//! later records and checkpoints) is not visible from the file alone; compare the reported signed
//! position with one recorded elsewhere.

use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::sync::Mutex;
use std::thread::JoinHandle;

use ed25519_dalek::Signer as _;
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
    /// Ed25519 private key file (`factgate audit keygen`); when set, signed checkpoints are
    /// appended to the chain. Missing or malformed is a start-up error naming the file.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signing_key: Option<PathBuf>,
    /// Checkpoint after this many records since the last checkpoint (at least 1).
    pub checkpoint_every: u64,
    /// Checkpoint when the oldest unsigned record is this many seconds old (greater than 0).
    pub checkpoint_interval_s: f64,
}

impl Default for AuditConfig {
    fn default() -> Self {
        Self {
            path: PathBuf::from("factgate-audit.jsonl"),
            sync: SyncMode::Batch,
            rotate_bytes: 256 * 1024 * 1024,
            signing_key: None,
            checkpoint_every: 1000,
            checkpoint_interval_s: 60.0,
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
    /// A key file is missing, unreadable or malformed, or cannot be written.
    #[error("audit key file {path}: {message}")]
    Key {
        /// The key file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// An `[audit]` setting is out of range.
    #[error("audit.{field}: {message}")]
    Config {
        /// The setting.
        field: &'static str,
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

/// Header line of a private key file.
pub const SECRET_KEY_HEADER: &str = "factgate-audit-ed25519-secret-v1";
/// Header line of a public key file.
pub const PUBLIC_KEY_HEADER: &str = "factgate-audit-ed25519-public-v1";
/// First line of the message a checkpoint signs (the format version).
pub const CHECKPOINT_CONTEXT: &str = "factgate-audit-checkpoint-v1";

/// The exact bytes a checkpoint signs for the chain head `(signed_seq, signed_hash)`.
pub fn checkpoint_message(signed_seq: u64, signed_hash: &str) -> String {
    format!("{CHECKPOINT_CONTEXT}\n{signed_seq}\n{signed_hash}")
}

/// Key id: first 16 hex digits of SHA-256 of the 32-byte public key.
fn key_id(public: &ed25519_dalek::VerifyingKey) -> String {
    sha256_hex(public.as_bytes())[..16].to_string()
}

fn key_err(path: &Path, message: impl Into<String>) -> AuditError {
    AuditError::Key {
        path: path.to_path_buf(),
        message: message.into(),
    }
}

/// Reads a two-line key file (header, 64 hex digits) into its 32 bytes.
fn read_key_file(path: &Path, header: &str) -> Result<[u8; 32], AuditError> {
    let text = std::fs::read_to_string(path).map_err(|e| key_err(path, e.to_string()))?;
    let mut lines = text.lines().map(str::trim).filter(|l| !l.is_empty());
    match lines.next() {
        Some(h) if h == header => {}
        Some(h) => {
            return Err(key_err(
                path,
                format!(
                "first line is {:?}, expected {header:?} (not a factgate key file of this kind)",
                h.chars().take(48).collect::<String>()
            ),
            ))
        }
        None => return Err(key_err(path, "empty file")),
    }
    let Some(hex_line) = lines.next() else {
        return Err(key_err(path, "no key line after the header"));
    };
    if lines.next().is_some() {
        return Err(key_err(path, "unexpected lines after the key line"));
    }
    let bytes =
        hex::decode(hex_line).map_err(|e| key_err(path, format!("key line is not hex: {e}")))?;
    <[u8; 32]>::try_from(bytes.as_slice()).map_err(|_| {
        key_err(
            path,
            format!(
                "key line has {} bytes, expected 32 (64 hex digits)",
                bytes.len()
            ),
        )
    })
}

/// `<path>.pub`.
pub fn public_key_path(private: &Path) -> PathBuf {
    let mut s = private.as_os_str().to_owned();
    s.push(".pub");
    PathBuf::from(s)
}

/// Where `factgate audit keygen` wrote a new key pair.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyPairFiles {
    /// The private key (mode 0600).
    pub private: PathBuf,
    /// The public key, `<private>.pub`.
    pub public: PathBuf,
    /// Key id the checkpoints will carry.
    pub key_id: String,
}

fn create_new(path: &Path, mode: u32) -> Result<File, AuditError> {
    let mut opts = OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(mode);
    }
    #[cfg(not(unix))]
    let _ = mode;
    opts.open(path).map_err(|e| {
        if e.kind() == std::io::ErrorKind::AlreadyExists {
            key_err(path, "already exists; refusing to overwrite a key")
        } else {
            key_err(path, e.to_string())
        }
    })
}

/// Generates a new Ed25519 key pair from OS randomness and writes the private key to `out`
/// (mode 0600) and the public key to `<out>.pub` (mode 0644). Refuses to overwrite either file.
pub fn keygen(out: &Path) -> Result<KeyPairFiles, AuditError> {
    let public_path = public_key_path(out);
    for p in [out, public_path.as_path()] {
        if p.exists() {
            return Err(key_err(p, "already exists; refusing to overwrite a key"));
        }
    }
    let mut seed = [0u8; 32];
    getrandom::fill(&mut seed).map_err(|e| key_err(out, format!("no OS randomness: {e}")))?;
    let key = ed25519_dalek::SigningKey::from_bytes(&seed);
    seed.fill(0);
    let public = key.verifying_key();
    let write = |path: &Path, mode: u32, text: String| -> Result<(), AuditError> {
        let mut f = create_new(path, mode)?;
        f.write_all(text.as_bytes())
            .and_then(|()| f.sync_all())
            .map_err(|e| key_err(path, e.to_string()))
    };
    write(
        out,
        0o600,
        format!("{SECRET_KEY_HEADER}\n{}\n", hex::encode(key.to_bytes())),
    )?;
    if let Err(e) = write(
        &public_path,
        0o644,
        format!("{PUBLIC_KEY_HEADER}\n{}\n", hex::encode(public.as_bytes())),
    ) {
        // Leave no half pair behind.
        let _ = std::fs::remove_file(out);
        return Err(e);
    }
    Ok(KeyPairFiles {
        private: out.to_path_buf(),
        public: public_path,
        key_id: key_id(&public),
    })
}

/// A loaded private key that signs checkpoints.
pub struct CheckpointSigner {
    key: ed25519_dalek::SigningKey,
    key_id: String,
}

impl std::fmt::Debug for CheckpointSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CheckpointSigner")
            .field("key_id", &self.key_id)
            .finish_non_exhaustive()
    }
}

impl CheckpointSigner {
    /// Loads a private key file written by [`keygen`]; the error names the file.
    pub fn load(path: &Path) -> Result<Self, AuditError> {
        let seed = read_key_file(path, SECRET_KEY_HEADER)?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            if let Ok(m) = std::fs::metadata(path) {
                if m.permissions().mode() & 0o077 != 0 {
                    tracing::warn!(key = %path.display(), "audit signing key is readable by group or others; chmod 600 it");
                }
            }
        }
        let key = ed25519_dalek::SigningKey::from_bytes(&seed);
        let key_id = key_id(&key.verifying_key());
        Ok(Self { key, key_id })
    }

    /// Key id the checkpoints carry.
    pub fn key_id(&self) -> &str {
        &self.key_id
    }

    /// Hex signature of [`checkpoint_message`] for this head.
    pub fn sign_head(&self, signed_seq: u64, signed_hash: &str) -> String {
        hex::encode(
            self.key
                .sign(checkpoint_message(signed_seq, signed_hash).as_bytes())
                .to_bytes(),
        )
    }
}

/// A loaded public key that checks checkpoints.
#[derive(Debug, Clone)]
pub struct CheckpointKey {
    key: ed25519_dalek::VerifyingKey,
    key_id: String,
    path: PathBuf,
}

impl CheckpointKey {
    /// Loads a public key file (`<key>.pub` from [`keygen`]); the error names the file.
    pub fn load(path: &Path) -> Result<Self, AuditError> {
        let bytes = read_key_file(path, PUBLIC_KEY_HEADER)?;
        let key = ed25519_dalek::VerifyingKey::from_bytes(&bytes)
            .map_err(|e| key_err(path, format!("not a valid Ed25519 public key: {e}")))?;
        Ok(Self {
            key_id: key_id(&key),
            key,
            path: path.to_path_buf(),
        })
    }

    /// Key id (first 16 hex of SHA-256 of the public key).
    pub fn key_id(&self) -> &str {
        &self.key_id
    }

    /// The file it was loaded from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Whether `signature_hex` is this key's signature over the head.
    pub fn verifies(&self, signed_seq: u64, signed_hash: &str, signature_hex: &str) -> bool {
        let Ok(bytes) = hex::decode(signature_hex) else {
            return false;
        };
        let Ok(sig) = ed25519_dalek::Signature::from_slice(&bytes) else {
            return false;
        };
        self.key
            .verify_strict(checkpoint_message(signed_seq, signed_hash).as_bytes(), &sig)
            .is_ok()
    }
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
    signer: Option<CheckpointSigner>,
    /// Records appended since the last checkpoint (at least 1 if the log ended unsigned).
    unsigned: u64,
    /// When the oldest unsigned record was appended (start-up time for an unsigned old tail).
    unsigned_since: Option<std::time::Instant>,
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
type TailState = (Option<(u64, String, bool)>, u64, Vec<u8>);

/// Last complete record (seq, hash, whether it is a checkpoint), byte length of the complete part, and the torn bytes after it.
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
                (Some(s), Some(h)) => Some((
                    s,
                    h.to_string(),
                    v.get("kind").and_then(Value::as_str) == Some("checkpoint"),
                )),
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
        if cfg.checkpoint_every == 0 {
            return Err(AuditError::Config {
                field: "checkpoint_every",
                message: "must be at least 1 record".into(),
            });
        }
        if !(cfg.checkpoint_interval_s.is_finite() && cfg.checkpoint_interval_s > 0.0) {
            return Err(AuditError::Config {
                field: "checkpoint_interval_s",
                message: format!(
                    "must be a positive number of seconds, got {}",
                    cfg.checkpoint_interval_s
                ),
            });
        }
        let signer = match &cfg.signing_key {
            Some(k) => Some(CheckpointSigner::load(k)?),
            None => None,
        };
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
        let unsigned = u64::from(matches!(last, Some((_, _, false))));
        let (seq, last_hash) = match last {
            Some((s, h, _)) => (s + 1, h),
            None => (0, GENESIS.to_string()),
        };
        Ok((
            Self {
                cfg,
                file,
                size,
                seq,
                last_hash,
                signer,
                unsigned,
                unsigned_since: (unsigned > 0).then(std::time::Instant::now),
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

    /// Appends an ordinary record, then a checkpoint if `checkpoint_every` is reached.
    fn append(&mut self, record: Map<String, Value>) -> Result<Receipt, AuditError> {
        let receipt = self.append_raw(record)?;
        self.unsigned += 1;
        self.unsigned_since
            .get_or_insert_with(std::time::Instant::now);
        if self.unsigned >= self.cfg.checkpoint_every {
            // The record itself is written; a failed checkpoint is retried at the next trigger.
            if let Err(e) = self.checkpoint("count") {
                tracing::error!(error = %e, "audit checkpoint failed");
            }
        }
        Ok(receipt)
    }

    /// When the interval trigger fires, if signing and anything is unsigned.
    fn checkpoint_deadline(&self) -> Option<std::time::Instant> {
        self.signer.as_ref()?;
        Some(
            self.unsigned_since?
                + std::time::Duration::from_secs_f64(self.cfg.checkpoint_interval_s),
        )
    }

    /// Appends a signed checkpoint over the current chain head (no-op without a key or when
    /// nothing is unsigned).
    fn checkpoint(&mut self, reason: &str) -> Result<(), AuditError> {
        let Some(signer) = &self.signer else {
            return Ok(());
        };
        if self.unsigned == 0 || self.seq == 0 {
            return Ok(());
        }
        let signed_seq = self.seq - 1;
        let signed_hash = self.last_hash.clone();
        let mut m = Map::new();
        m.insert("kind".into(), "checkpoint".into());
        m.insert("reason".into(), reason.into());
        m.insert("time".into(), now_rfc3339().into());
        m.insert("signed_seq".into(), signed_seq.into());
        m.insert(
            "signature".into(),
            signer.sign_head(signed_seq, &signed_hash).into(),
        );
        m.insert("signed_hash".into(), signed_hash.into());
        m.insert("key_id".into(), signer.key_id().into());
        self.append_raw(m)?;
        self.unsigned = 0;
        self.unsigned_since = None;
        Ok(())
    }

    fn append_raw(&mut self, mut record: Map<String, Value>) -> Result<Receipt, AuditError> {
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
            let t = std::time::Instant::now();
            self.file.sync_data().map_err(|e| io_err(path, e))?;
            crate::telemetry::record_audit_fsync(t.elapsed().as_secs_f64());
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
        let t = std::time::Instant::now();
        self.file
            .sync_data()
            .map_err(|e| io_err(&self.cfg.path, e))?;
        crate::telemetry::record_audit_fsync(t.elapsed().as_secs_f64());
        Ok(())
    }

    fn run(mut self, rx: mpsc::Receiver<Msg>) {
        loop {
            let first = match self.checkpoint_deadline() {
                None => match rx.recv() {
                    Ok(m) => m,
                    Err(_) => break,
                },
                Some(deadline) => {
                    let wait = deadline.saturating_duration_since(std::time::Instant::now());
                    match rx.recv_timeout(wait) {
                        Ok(m) => m,
                        Err(mpsc::RecvTimeoutError::Timeout) => {
                            let r = self.checkpoint("interval").and_then(|()| self.sync());
                            if let Err(e) = r {
                                tracing::error!(error = %e, "audit checkpoint failed");
                                // Do not spin on a failing disk: wait for the next record.
                                self.unsigned_since = None;
                            }
                            continue;
                        }
                        Err(mpsc::RecvTimeoutError::Disconnected) => break,
                    }
                }
            };
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
            if self
                .checkpoint_deadline()
                .is_some_and(|d| d <= std::time::Instant::now())
            {
                if let Err(e) = self.checkpoint("interval") {
                    tracing::error!(error = %e, "audit checkpoint failed");
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
        // Channel closed: sign what is unsigned, then the final fsync.
        if let Err(e) = self.checkpoint("close") {
            tracing::error!(error = %e, "final audit checkpoint failed");
        }
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
            writer.append_raw(rec)?;
            writer.unsigned += 1;
            writer
                .unsigned_since
                .get_or_insert_with(std::time::Instant::now);
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
        /// Checkpoint records seen (their signatures are only checked with a key).
        checkpoints: u64,
        /// With a key: the last signed position; `None` if no checkpoint was found.
        /// Always `None` without a key.
        signed: Option<SignedHead>,
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

/// The last chain position a verified checkpoint signs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedHead {
    /// Seq of the last signed record.
    pub signed_seq: u64,
    /// Seq of the checkpoint record that signs it.
    pub checkpoint_seq: u64,
    /// Records after that checkpoint (the unsigned tail).
    pub unsigned_tail: u64,
    /// Key id of the signature.
    pub key_id: String,
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

/// Verifies the files as one chain, in order (checkpoints are checked as ordinary records).
pub fn verify(paths: &[PathBuf]) -> Result<Verification, AuditError> {
    verify_with(paths, None)
}

/// Checks one checkpoint record (seq `s`, `prev_hash` `ph`) against `key`.
fn check_checkpoint(
    m: &Map<String, Value>,
    s: u64,
    ph: &str,
    key: &CheckpointKey,
) -> Result<(), String> {
    let signed_seq = m.get("signed_seq").and_then(Value::as_u64);
    let signed_hash = m.get("signed_hash").and_then(Value::as_str);
    let signature = m.get("signature").and_then(Value::as_str);
    let (Some(signed_seq), Some(signed_hash), Some(signature)) =
        (signed_seq, signed_hash, signature)
    else {
        return Err("checkpoint lacks signed_seq, signed_hash or signature".into());
    };
    if !key.verifies(signed_seq, signed_hash, signature) {
        let id = m.get("key_id").and_then(Value::as_str).unwrap_or("?");
        let which = if id == key.key_id() {
            String::new()
        } else {
            format!(
                " (checkpoint names key_id {id}, this key is {})",
                key.key_id()
            )
        };
        return Err(format!(
            "checkpoint signature does not verify with {}{which}",
            key.path().display()
        ));
    }
    if s.checked_sub(1) != Some(signed_seq) || signed_hash != ph {
        return Err(format!(
            "checkpoint signs seq {signed_seq} hash {signed_hash}, but the chain before it ends at seq {} hash {ph} (chain rewritten)",
            s.saturating_sub(1)
        ));
    }
    Ok(())
}

/// Verifies the files as one chain, in order. With `key`, every checkpoint's signature must
/// verify with it and sign the record just before it; the result reports the last signed head.
pub fn verify_with(
    paths: &[PathBuf],
    key: Option<&CheckpointKey>,
) -> Result<Verification, AuditError> {
    let mut checkpoints = 0u64;
    let mut signed: Option<SignedHead> = None;
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
            if let Some(sh) = signed.as_mut() {
                sh.unsigned_tail += 1;
            }
            if m.get("kind").and_then(Value::as_str) == Some("checkpoint") {
                checkpoints += 1;
                if let Some(key) = key {
                    if let Err(message) = check_checkpoint(&m, s, ph, key) {
                        return Ok(broken(seq, message));
                    }
                    signed = Some(SignedHead {
                        signed_seq: s.saturating_sub(1),
                        checkpoint_seq: s,
                        unsigned_tail: 0,
                        key_id: key.key_id().to_string(),
                    });
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
        checkpoints,
        signed,
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
    fn checkpoint_signature_binds_seq_and_hash() {
        let dir = tempfile::tempdir().expect("tempdir");
        let k = keygen(&dir.path().join("k")).expect("keygen");
        let signer = CheckpointSigner::load(&k.private).expect("private key");
        let key = CheckpointKey::load(&k.public).expect("public key");
        assert_eq!(signer.key_id(), key.key_id());
        assert_eq!(key.key_id(), k.key_id);
        assert_eq!(
            checkpoint_message(7, "ab"),
            "factgate-audit-checkpoint-v1\n7\nab"
        );
        let sig = signer.sign_head(7, GENESIS);
        assert!(key.verifies(7, GENESIS, &sig));
        assert!(!key.verifies(8, GENESIS, &sig));
        assert!(!key.verifies(7, &"1".repeat(64), &sig));
        assert!(!key.verifies(7, GENESIS, "zz"));
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
            ..AuditConfig::default()
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
