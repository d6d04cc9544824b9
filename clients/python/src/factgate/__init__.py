"""Python client of factgate, the LLM fact-checking sidecar (gRPC API factgate.v1.Guard).

    import factgate

    with factgate.Client("127.0.0.1:50051") as client:
        result = client.check("The capital of France is Berlin.")
        if result.verdict is factgate.Verdict.BLOCK:
            ...

`factgate.langchain.FactgateGuard` (extra `langchain`) guards a LangChain chain. The raw gRPC stubs
generated from the repository's proto/ at build time are `factgate.v1.guard_pb2` and
`factgate.v1.guard_pb2_grpc`.
"""
from ._client import Client
from ._errors import (
    Blocked,
    DeadlineExceeded,
    FactgateError,
    InvalidArgument,
    ResourceExhausted,
    RpcError,
    Unauthenticated,
    Unavailable,
)
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

__version__ = "0.1.0"

__all__ = [
    "Blocked",
    "CheckResult",
    "Claim",
    "ClaimStatus",
    "Client",
    "DeadlineExceeded",
    "Evidence",
    "FactgateError",
    "InvalidArgument",
    "Passage",
    "Reason",
    "ResourceExhausted",
    "RpcError",
    "Span",
    "StreamUpdate",
    "Unauthenticated",
    "Unavailable",
    "Verdict",
    "Versions",
]
