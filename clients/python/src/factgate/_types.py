"""Typed results of a check: plain dataclasses and Enums, no protobuf objects."""
from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any, Dict, Mapping, Optional, Tuple


class Verdict(enum.Enum):
    """The decision for a response (proto `factgate.v1.Verdict`)."""

    UNSPECIFIED = 0
    ALLOW = 1
    FLAG = 2
    BLOCK = 3


class ClaimStatus(enum.Enum):
    """What factgate concluded about one claim (proto `factgate.v1.ClaimStatus`)."""

    UNSPECIFIED = 0
    SUPPORTED = 1
    CONTRADICTED = 2
    UNVERIFIABLE = 3


@dataclass(frozen=True)
class Span:
    """A half-open range [start, end) of the checked text, in UTF-8 bytes and UTF-16 units.

    `start`/`end` index the UTF-8 encoding (``text.encode()[start:end]``); `start_utf16` /
    `end_utf16` index UTF-16 code units (JavaScript). `char_range(text)` converts to Python
    string indices.
    """

    start: int
    end: int
    start_utf16: int
    end_utf16: int

    def char_range(self, text: str) -> Tuple[int, int]:
        """Python `str` indices (code points) of this span inside `text`."""
        raw = text.encode("utf-8")
        return (len(raw[: self.start].decode("utf-8")), len(raw[: self.end].decode("utf-8")))

    def slice(self, text: str) -> str:
        """The part of `text` this span covers."""
        return text.encode("utf-8")[self.start : self.end].decode("utf-8")


@dataclass(frozen=True)
class Passage:
    """A grounding document supplied with the request (for example a retrieved passage)."""

    id: str
    text: str


@dataclass(frozen=True)
class Evidence:
    """A knowledge-graph fact (source "graph") or a context excerpt (source "context")."""

    text: str
    source: str
    subject: str = ""
    predicate: str = ""
    object: str = ""
    subject_label: str = ""
    object_label: str = ""
    graph: str = ""
    passage_id: str = ""
    passage_span: Optional[Span] = None


@dataclass(frozen=True)
class Claim:
    """One checkable statement of the response and its conclusion."""

    text: str
    span: Span
    status: ClaimStatus
    confidence: float
    evidence: Tuple[Evidence, ...] = ()
    explanation: str = ""
    support: Optional[float] = None


@dataclass(frozen=True)
class Reason:
    """Why a verdict was reached: a stable code and a human-readable message."""

    code: str
    message: str


@dataclass(frozen=True)
class Versions:
    """Versions of everything the decision depended on."""

    graph: str = ""
    policy: str = ""
    model: str = ""
    calibration: str = ""
    factgate: str = ""


@dataclass(frozen=True)
class CheckResult:
    """The decision for one response (proto `CheckResponse`)."""

    verdict: Verdict
    confidence: float
    reasons: Tuple[Reason, ...]
    claims: Tuple[Claim, ...]
    audit_id: str
    versions: Versions
    timings: Mapping[str, int] = field(default_factory=dict)
    request_id: str = ""
    # Status of the whole response: CONTRADICTED when a claim is; SUPPORTED when evidence backs
    # at least one claim, contradicts none and `confidence` > 0.5; else UNVERIFIABLE.
    status: ClaimStatus = ClaimStatus.UNSPECIFIED

    @property
    def allowed(self) -> bool:
        return self.verdict is Verdict.ALLOW

    @property
    def flagged(self) -> bool:
        return self.verdict is Verdict.FLAG

    @property
    def blocked(self) -> bool:
        return self.verdict is Verdict.BLOCK

    @property
    def reason_codes(self) -> Tuple[str, ...]:
        return tuple(r.code for r in self.reasons)

    def to_dict(self) -> Dict[str, Any]:
        """JSON-friendly form (Enums as their names), e.g. for logs or message metadata."""
        return _plain(self)


@dataclass(frozen=True)
class StreamUpdate:
    """One message of a streamed check.

    `claims` are the claims whose sentences completed since the previous update; every claim
    ending at or before `checked.end` (UTF-8 bytes of the whole response) has been sent. The last
    update has `result` set: the decision for the whole response, exactly as `Client.check`
    returns it.
    """

    claims: Tuple[Claim, ...]
    checked: Optional[Span]
    result: Optional[CheckResult] = None

    @property
    def is_final(self) -> bool:
        return self.result is not None


def _plain(value: Any) -> Any:
    if isinstance(value, enum.Enum):
        return value.name
    if hasattr(value, "__dataclass_fields__"):
        return {name: _plain(getattr(value, name)) for name in value.__dataclass_fields__}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    return value
