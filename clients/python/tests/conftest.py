"""Fixtures: real factgate servers (the binary in $FACTGATE_BIN, default target/debug/factgate) on
ports the OS chooses, serving the small fixture graph tests/fixtures/graph."""
from __future__ import annotations

import os
import re
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

import factgate

REPO = Path(__file__).resolve().parents[3]
BIN = Path(os.environ.get("FACTGATE_BIN", REPO / "target" / "debug" / "factgate"))
ADDR_RE = re.compile(r"addr=Some\(([0-9.]+:[0-9]+)\)")
ANSI_RE = re.compile(r"\x1b\[[0-9;]*m")
START_TIMEOUT_S = float(os.environ.get("FACTGATE_TEST_START_TIMEOUT", "120"))


@dataclass
class Server:
    addr: str
    proc: subprocess.Popen
    log: Path
    audit_log: Path

    def audit_record(self, request_id: str) -> dict:
        """The audit record of the decision for `request_id` (written before the reply)."""
        import json

        for line in self.audit_log.read_text().splitlines():
            rec = json.loads(line)
            if rec.get("request_id") == request_id:
                return rec
        raise AssertionError(f"no audit record with request_id {request_id!r}")

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode


def start_server(workdir: Path, *extra: str) -> Server:
    if not BIN.is_file():
        pytest.fail(f"factgate binary {BIN} not found: build it (cargo build) or set FACTGATE_BIN")
    workdir.mkdir(parents=True, exist_ok=True)
    log = workdir / "server.log"
    audit = workdir / "audit.jsonl"
    cmd = [
        str(BIN), "serve",
        "--listen", "127.0.0.1:0",
        "--http-listen", "off",
        "--no-default-graph",
        "--knowledge", str(REPO / "tests" / "fixtures" / "graph"),
        "--audit-log", str(audit),
        *extra,
    ]
    env = {**os.environ, "RUST_LOG": "info", "NO_COLOR": "1"}
    with open(log, "wb") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, cwd=REPO, env=env)
    deadline = time.monotonic() + START_TIMEOUT_S
    addr = None
    while time.monotonic() < deadline:
        text = ANSI_RE.sub("", log.read_text(errors="replace"))
        if addr is None:
            m = ADDR_RE.search(text)
            addr = m.group(1) if m else None
        if addr and "SERVING" in text:
            return Server(addr=addr, proc=proc, log=log, audit_log=audit)
        if proc.poll() is not None:
            pytest.fail(f"factgate serve exited with {proc.returncode}:\n{text}")
        time.sleep(0.1)
    proc.kill()
    pytest.fail(f"factgate serve not SERVING after {START_TIMEOUT_S}s:\n{log.read_text()}")


@pytest.fixture(scope="session")
def server(tmp_path_factory):
    """The main server (verifier as configured by default); its audit log must verify at the end."""
    srv = start_server(tmp_path_factory.mktemp("factgate"))
    yield srv
    rc = srv.stop()
    assert rc == 0, f"factgate serve exited with {rc}:\n{srv.log.read_text()}"
    verify = subprocess.run(
        [str(BIN), "audit", "verify", str(srv.audit_log)], capture_output=True, text=True
    )
    assert verify.returncode == 0, f"audit verify failed:\n{verify.stdout}{verify.stderr}"


@pytest.fixture(scope="session")
def client(server):
    with factgate.Client(server.addr, timeout=60) as c:
        yield c


TOKEN = "py-client-test-token"


@pytest.fixture(scope="session")
def token_server(tmp_path_factory):
    """A second server that requires `authorization: Bearer TOKEN` (symbolic stage only)."""
    work = tmp_path_factory.mktemp("factgate-auth")
    tokens = work / "tokens.txt"
    tokens.write_text(f"# test tokens\n{TOKEN}\n")
    srv = start_server(work, "--verifier", "off", "--auth-tokens-file", str(tokens))
    yield srv
    srv.stop()


@pytest.fixture(scope="session")
def tls_server(tmp_path_factory):
    """A third server with TLS on a self-signed certificate for 127.0.0.1 (symbolic stage only).

    Yields (server, certificate PEM bytes)."""
    import shutil

    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("openssl not installed: no certificate for the TLS test")
    work = tmp_path_factory.mktemp("factgate-tls")
    cert, key = work / "cert.pem", work / "key.pem"
    subprocess.run(
        [openssl, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
         "-nodes", "-keyout", str(key), "-out", str(cert), "-days", "2", "-subj", "/CN=localhost",
         "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
         "-addext", "basicConstraints=critical,CA:FALSE"],
        check=True, capture_output=True,
    )
    srv = start_server(work, "--verifier", "off", "--tls-cert", str(cert), "--tls-key", str(key))
    yield srv, cert.read_bytes()
    srv.stop()
