"""The gRPC client: `Client.check` and `Client.check_stream` over factgate.v1.Guard."""
from __future__ import annotations

from typing import Any, Iterable, Iterator, List, Mapping, Optional, Sequence, Tuple, Union

import grpc

from ._errors import from_grpc
from ._types import (
    CheckResult,
    Claim,
    ClaimStatus,
    Evidence,
    Passage,
    Reason,
    Span,
    StreamUpdate,
    Verdict,
    Versions,
)

try:
    from .v1 import guard_pb2, guard_pb2_grpc
except ImportError as e:  # pragma: no cover - only without a build step
    raise ImportError(
        "factgate's gRPC stubs (factgate/v1/guard_pb2.py) are missing: they are generated from "
        "proto/ when the package is built; install it with `pip install ./clients/python` "
        "instead of putting clients/python/src on sys.path"
    ) from e

PassageLike = Union[Passage, str, Tuple[str, str], Mapping[str, str]]
Chunk = Union[str, bytes]

_UNSET: Any = object()


class Client:
    """A client of a factgate server (`factgate serve`).

    `addr` is ``host:port`` (plaintext, the default server setting), ``http://host:port``
    (plaintext) or ``https://host:port`` (TLS; trusts the system roots, or `root_certificates`
    (PEM bytes) when given). `token` is sent as ``authorization: Bearer <token>`` on every call,
    for a server started with ``--auth-tokens-file``. `timeout` (seconds) is the default deadline
    of each call (for `check_stream`: of the whole stream); None means no deadline.
    `credentials` (a `grpc.ChannelCredentials`) overrides the TLS set-up, `options` are passed to
    the grpc channel.

    Use as a context manager, or call `close()`, to close the channel.
    """

    def __init__(
        self,
        addr: str = "127.0.0.1:50051",
        token: Optional[str] = None,
        timeout: Optional[float] = None,
        *,
        root_certificates: Optional[bytes] = None,
        credentials: Optional[grpc.ChannelCredentials] = None,
        options: Optional[Sequence[Tuple[str, Any]]] = None,
    ):
        target, tls = _parse_addr(addr)
        if credentials is None and (tls or root_certificates is not None):
            credentials = grpc.ssl_channel_credentials(root_certificates=root_certificates)
        opts = list(options or ())
        if credentials is not None:
            self._channel = grpc.secure_channel(target, credentials, options=opts)
        else:
            self._channel = grpc.insecure_channel(target, options=opts)
        self._stub = guard_pb2_grpc.GuardStub(self._channel)
        self.addr = addr
        self.timeout = timeout
        self._metadata: Tuple[Tuple[str, str], ...] = (
            (("authorization", f"Bearer {token}"),) if token else ()
        )

    # -- lifecycle -------------------------------------------------------------------------

    def close(self) -> None:
        self._channel.close()

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"factgate.Client({self.addr!r})"

    # -- calls -----------------------------------------------------------------------------

    def check(
        self,
        response: str,
        prompt: Optional[str] = None,
        context: Optional[Iterable[PassageLike]] = None,
        policy: Optional[str] = None,
        labels: Optional[Mapping[str, Any]] = None,
        request_id: Optional[str] = None,
        *,
        timeout: Optional[float] = _UNSET,
    ) -> CheckResult:
        """Checks one complete LLM response (Guard/Check) and returns the decision.

        `context` passages may be `Passage`s, ``{"id": ..., "text": ...}`` dicts, ``(id, text)``
        pairs or plain strings (their id is then their index). Raises a `FactgateError`
        subclass (`InvalidArgument`, `Unauthenticated`, ...) when the call fails.
        """
        req = guard_pb2.CheckRequest(
            response=response,
            prompt=prompt or "",
            context=_passages(context),
            policy=policy or "",
            labels=_labels(labels),
            request_id=request_id or "",
        )
        try:
            reply = self._stub.Check(req, timeout=self._timeout(timeout), metadata=self._metadata)
        except grpc.RpcError as e:
            raise from_grpc(e) from None
        return result_from_proto(reply)

    def check_stream(
        self,
        chunks: Iterable[Chunk],
        prompt: Optional[str] = None,
        context: Optional[Iterable[PassageLike]] = None,
        policy: Optional[str] = None,
        labels: Optional[Mapping[str, Any]] = None,
        request_id: Optional[str] = None,
        *,
        timeout: Optional[float] = _UNSET,
    ) -> Iterator[StreamUpdate]:
        """Checks a response while it is produced (Guard/CheckStream).

        `chunks` is the LLM output as it arrives (str or UTF-8 bytes; a bytes chunk may end
        inside a character). Yields a `StreamUpdate` each time sentences complete, with their
        claims and the checked prefix (`update.checked.end`, UTF-8 bytes), and a last one whose
        `result` is the decision for the whole response. Stopping the iteration early cancels
        the stream (the server audits what it received as partial). An exception raised by
        `chunks` cancels the stream and is re-raised here.
        """
        first = guard_pb2.CheckStreamRequest(
            prompt=prompt or "",
            context=_passages(context),
            policy=policy or "",
            labels=_labels(labels),
            request_id=request_id or "",
        )
        failure: List[BaseException] = []

        def requests() -> Iterator[Any]:
            yield first
            try:
                for chunk in chunks:
                    data = chunk.encode("utf-8") if isinstance(chunk, str) else bytes(chunk)
                    if data:
                        yield guard_pb2.CheckStreamRequest(chunk=data)
            except Exception as e:
                # The producer failed: grpc cancels the call (it must not look like the end of
                # the response, which would get a decision); the error is re-raised below.
                failure.append(e)
                raise

        call = self._stub.CheckStream(
            requests(), timeout=self._timeout(timeout), metadata=self._metadata
        )
        try:
            for msg in call:
                yield StreamUpdate(
                    claims=tuple(claim_from_proto(c) for c in msg.claims),
                    checked=span_from_proto(msg.checked) if msg.HasField("checked") else None,
                    result=result_from_proto(msg.result) if msg.HasField("result") else None,
                )
        except grpc.RpcError as e:
            if failure:
                raise failure[0] from None
            raise from_grpc(e) from None
        finally:
            call.cancel()  # no-op once the stream has finished

    def _timeout(self, timeout: Optional[float]) -> Optional[float]:
        return self.timeout if timeout is _UNSET else timeout


# -- conversions -------------------------------------------------------------------------------


def _parse_addr(addr: str) -> Tuple[str, bool]:
    if addr.startswith("https://"):
        return addr[len("https://") :].rstrip("/"), True
    if addr.startswith("http://"):
        return addr[len("http://") :].rstrip("/"), False
    return addr, False


def _passages(context: Optional[Iterable[PassageLike]]) -> List[Any]:
    out = []
    for i, p in enumerate(context or ()):
        if isinstance(p, Passage):
            pid, text = p.id, p.text
        elif isinstance(p, str):
            pid, text = str(i), p
        elif isinstance(p, Mapping):
            pid, text = str(p.get("id", i)), p["text"]
        else:
            pid, text = p
        out.append(guard_pb2.Passage(id=pid, text=text))
    return out


def _labels(labels: Optional[Mapping[str, Any]]) -> Mapping[str, str]:
    return {str(k): str(v) for k, v in (labels or {}).items()}


def span_from_proto(s: Any) -> Span:
    return Span(start=s.start, end=s.end, start_utf16=s.start_utf16, end_utf16=s.end_utf16)


def evidence_from_proto(e: Any) -> Evidence:
    return Evidence(
        text=e.text,
        source=e.source,
        subject=e.subject,
        predicate=e.predicate,
        object=e.object,
        subject_label=e.subject_label,
        object_label=e.object_label,
        graph=e.graph,
        passage_id=e.passage_id,
        passage_span=span_from_proto(e.passage_span) if e.HasField("passage_span") else None,
    )


def claim_from_proto(c: Any) -> Claim:
    return Claim(
        text=c.text,
        span=span_from_proto(c.span),
        status=ClaimStatus(c.status),
        confidence=c.confidence,
        evidence=tuple(evidence_from_proto(e) for e in c.evidence),
        explanation=c.explanation,
        support=c.support if c.HasField("support") else None,
    )


def result_from_proto(r: Any) -> CheckResult:
    v = r.versions
    return CheckResult(
        verdict=Verdict(r.verdict),
        confidence=r.confidence,
        reasons=tuple(Reason(code=x.code, message=x.message) for x in r.reasons),
        claims=tuple(claim_from_proto(c) for c in r.claims),
        audit_id=r.audit_id,
        versions=Versions(
            graph=v.graph,
            policy=v.policy,
            model=v.model,
            calibration=v.calibration,
            factgate=v.factgate,
        ),
        timings=dict(r.timings),
        request_id=r.request_id,
        status=ClaimStatus(r.status),
    )
