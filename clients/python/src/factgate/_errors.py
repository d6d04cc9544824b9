"""Exceptions raised by the factgate client."""
from __future__ import annotations

from typing import TYPE_CHECKING, Dict, Optional, Type

import grpc

if TYPE_CHECKING:  # pragma: no cover
    from ._types import CheckResult


class FactgateError(Exception):
    """Base class of every factgate client error.

    `code` is the gRPC status code (`grpc.StatusCode`) of a failed call, None for errors that
    are not call failures (such as `Blocked`); `message` is the server's status message.
    """

    def __init__(self, message: str, code: Optional[grpc.StatusCode] = None):
        super().__init__(message if code is None else f"{code.name}: {message}")
        self.code = code
        self.message = message


class RpcError(FactgateError):
    """A Guard call failed with a gRPC status (base of the per-code classes below)."""

    code: grpc.StatusCode


class InvalidArgument(RpcError):
    """INVALID_ARGUMENT: a bad request (empty response, size limits, unknown policy...)."""


class Unauthenticated(RpcError):
    """UNAUTHENTICATED: missing or wrong bearer token."""


class ResourceExhausted(RpcError):
    """RESOURCE_EXHAUSTED: the server is at its concurrency limit; retry later."""


class Unavailable(RpcError):
    """UNAVAILABLE: server starting, shutting down, or not reachable."""


class DeadlineExceeded(RpcError):
    """DEADLINE_EXCEEDED: the call's timeout passed."""


class Blocked(FactgateError):
    """Raised by guards when a response is not to be shown; `result` is the decision."""

    def __init__(self, result: "CheckResult", text: str = ""):
        reasons = "; ".join(f"{r.code}: {r.message}" for r in result.reasons)
        super().__init__(f"factgate {result.verdict.name} (audit {result.audit_id}): {reasons}")
        self.result = result
        self.text = text

    @property
    def verdict(self):
        return self.result.verdict


_BY_CODE: Dict[grpc.StatusCode, Type[RpcError]] = {
    grpc.StatusCode.INVALID_ARGUMENT: InvalidArgument,
    grpc.StatusCode.UNAUTHENTICATED: Unauthenticated,
    grpc.StatusCode.RESOURCE_EXHAUSTED: ResourceExhausted,
    grpc.StatusCode.UNAVAILABLE: Unavailable,
    grpc.StatusCode.DEADLINE_EXCEEDED: DeadlineExceeded,
}


def from_grpc(err: grpc.RpcError) -> RpcError:
    """The FactgateError for a failed grpc call."""
    code = err.code() if hasattr(err, "code") else grpc.StatusCode.UNKNOWN
    details = err.details() if hasattr(err, "details") else str(err)
    cls = _BY_CODE.get(code, RpcError)
    return cls(details or "", code)
