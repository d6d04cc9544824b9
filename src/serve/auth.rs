//! Bearer-token authentication of Guard and ext_proc calls (`[server] auth_tokens_file`).
//!
//! Every call must carry `authorization: Bearer <token>` metadata naming one of the configured
//! tokens. The check is a tonic [`Interceptor`] wrapped around the Guard and ext_proc services
//! only: `grpc.health.v1.Health` and server reflection stay open, so that load-balancer and
//! Kubernetes probes need no secret (they reveal the serving status and the API schema, nothing
//! else).
//!
//! Tokens are kept as SHA-256 digests and the presented token is hashed too, so every comparison
//! is over 32 bytes in constant time ([`subtle::ConstantTimeEq`]) and runs over every configured
//! token: neither the position of the first wrong byte, the length, nor which token matched shows
//! in the timing. A refusal never says which part was wrong.

use std::path::Path;
use std::sync::Arc;

use sha2::{Digest, Sha256};
use subtle::{Choice, ConstantTimeEq};
use tonic::service::Interceptor;
use tonic::{Request, Status};

use crate::config::ConfigError;

/// The setting that names the tokens file (for error messages).
const SETTING: &str = "server.auth_tokens_file (--auth-tokens-file)";

/// Message of a call without `authorization` metadata.
pub const MISSING: &str = "missing authorization metadata (Bearer token)";
/// Message of a call whose credentials are not accepted (never says which part was wrong).
pub const REFUSED: &str = "invalid credentials";

/// The accepted bearer tokens (SHA-256 digests), never empty.
#[derive(Clone)]
pub struct Tokens {
    digests: Arc<Vec<[u8; 32]>>,
}

impl std::fmt::Debug for Tokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print tokens or their digests.
        write!(f, "Tokens({} configured)", self.digests.len())
    }
}

fn digest(token: &[u8]) -> [u8; 32] {
    Sha256::digest(token).into()
}

impl Tokens {
    /// Parses a tokens file's text: one token per line, surrounding whitespace trimmed, blank
    /// lines and lines starting with `#` ignored. A token must be visible ASCII without spaces
    /// (what fits in `Bearer <token>` metadata); no token at all is an error.
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut digests = Vec::new();
        for (i, line) in text.lines().enumerate() {
            let t = line.trim();
            if t.is_empty() || t.starts_with('#') {
                continue;
            }
            if !t.bytes().all(|b| b.is_ascii_graphic()) {
                return Err(format!(
                    "line {}: a token must be visible ASCII without spaces",
                    i + 1
                ));
            }
            digests.push(digest(t.as_bytes()));
        }
        if digests.is_empty() {
            return Err("no tokens (the file is empty or only comments)".into());
        }
        Ok(Self {
            digests: Arc::new(digests),
        })
    }

    /// Reads and parses a tokens file; errors name the file and the setting.
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let file_error = |message: String| ConfigError::File {
            setting: SETTING,
            path: path.to_path_buf(),
            message,
        };
        let text =
            std::fs::read_to_string(path).map_err(|e| file_error(format!("cannot read: {e}")))?;
        Self::parse(&text).map_err(file_error)
    }

    /// How many tokens are configured.
    pub fn len(&self) -> usize {
        self.digests.len()
    }

    /// Always false (an empty token list is rejected when loading); for clippy's `len_without_is_empty`.
    pub fn is_empty(&self) -> bool {
        self.digests.is_empty()
    }

    /// Whether `token` is one of the configured tokens, in constant time over all of them.
    pub fn accepts(&self, token: &[u8]) -> bool {
        let presented = digest(token);
        let mut ok = Choice::from(0);
        for d in self.digests.iter() {
            ok |= d.ct_eq(&presented);
        }
        ok.into()
    }

    /// Checks the `authorization` metadata of a call.
    pub fn check(&self, metadata: &tonic::metadata::MetadataMap) -> Result<(), Status> {
        let Some(value) = metadata.get("authorization") else {
            return Err(Status::unauthenticated(MISSING));
        };
        let bytes = value.as_bytes();
        // The scheme is case-insensitive (RFC 9110 §11.1); one space before the token.
        let token = match bytes.split_at_checked(7) {
            Some((scheme, token)) if scheme.eq_ignore_ascii_case(b"bearer ") => token,
            _ => return Err(Status::unauthenticated(REFUSED)),
        };
        if self.accepts(token) {
            Ok(())
        } else {
            Err(Status::unauthenticated(REFUSED))
        }
    }
}

/// The interceptor on the Guard and ext_proc services: checks tokens when configured, passes
/// every call through when not (the default).
#[derive(Clone, Debug, Default)]
pub struct Auth {
    tokens: Option<Tokens>,
}

impl Auth {
    /// Requires one of `tokens` when `Some`; lets everything through when `None`.
    pub fn new(tokens: Option<Tokens>) -> Self {
        Self { tokens }
    }

    /// Whether calls must carry a token.
    pub fn enabled(&self) -> bool {
        self.tokens.is_some()
    }
}

impl Interceptor for Auth {
    fn call(&mut self, request: Request<()>) -> Result<Request<()>, Status> {
        if let Some(tokens) = &self.tokens {
            tokens.check(request.metadata())?;
        }
        Ok(request)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn md(value: &str) -> tonic::metadata::MetadataMap {
        let mut m = tonic::metadata::MetadataMap::new();
        m.insert("authorization", value.parse().expect("ascii"));
        m
    }

    #[test]
    fn comments_and_blank_lines_are_ignored_and_every_token_is_accepted() {
        let t = Tokens::parse("# ops\n\n  alpha-1  \n#beta\nbeta-2\n").expect("two tokens");
        assert_eq!(t.len(), 2);
        assert!(t.accepts(b"alpha-1"));
        assert!(t.accepts(b"beta-2"));
        assert!(!t.accepts(b"#beta"));
        assert!(!t.accepts(b"alpha-"));
        assert!(!t.accepts(b""));
    }

    #[test]
    fn empty_or_comment_only_files_are_errors() {
        for text in ["", "\n\n", "# only a comment\n   \n"] {
            let err = Tokens::parse(text).expect_err("no tokens");
            assert!(err.contains("no tokens"), "{err}");
        }
        let err = Tokens::parse("good\nhas space\n").expect_err("space");
        assert!(err.contains("line 2"), "{err}");
    }

    #[test]
    fn load_errors_name_the_file_and_the_setting() {
        let dir = tempfile::tempdir().expect("tempdir");
        let missing = dir.path().join("nope.txt");
        let err = Tokens::load(&missing).expect_err("missing").to_string();
        assert!(
            err.contains("nope.txt") && err.contains("auth_tokens_file"),
            "{err}"
        );
        let empty = dir.path().join("empty.txt");
        std::fs::write(&empty, "# none\n").expect("write");
        let err = Tokens::load(&empty).expect_err("empty").to_string();
        assert!(
            err.contains("empty.txt") && err.contains("no tokens"),
            "{err}"
        );
    }

    #[test]
    fn metadata_check_distinguishes_missing_from_refused_only() {
        let t = Tokens::parse("s3cret\n").expect("token");
        let missing = t
            .check(&tonic::metadata::MetadataMap::new())
            .expect_err("missing");
        assert_eq!(missing.code(), tonic::Code::Unauthenticated);
        assert_eq!(missing.message(), MISSING);
        for bad in [
            "Bearer wrong",
            "Basic s3cret",
            "s3cret",
            "Bearer  s3cret",
            "Bearer",
        ] {
            let e = t.check(&md(bad)).expect_err(bad);
            assert_eq!(e.code(), tonic::Code::Unauthenticated, "{bad}");
            assert_eq!(e.message(), REFUSED, "{bad}");
        }
        assert!(t.check(&md("Bearer s3cret")).is_ok());
        assert!(t.check(&md("bearer s3cret")).is_ok());
    }

    #[test]
    fn disabled_auth_passes_everything() {
        let mut auth = Auth::new(None);
        assert!(!auth.enabled());
        assert!(auth.call(Request::new(())).is_ok());
        let mut on = Auth::new(Some(Tokens::parse("x\n").expect("token")));
        assert!(on.enabled());
        assert!(on.call(Request::new(())).is_err());
    }
}
