"""Calls factgate's Guard/Check from Python with the `factgate` client package (clients/python).

    python3 -m venv .venv && .venv/bin/pip install ./clients/python
    .venv/bin/python examples/python_client.py 127.0.0.1:50051 "Kenya is in Europe."

(The package generates its gRPC stubs from proto/ when it is installed; nothing to generate by
hand. Add `--token TOKEN` for a server started with --auth-tokens-file.)
"""
import argparse
import sys

import factgate


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("addr", nargs="?", default="127.0.0.1:50051")
    ap.add_argument("text", nargs="?", default="The capital of France is Berlin.")
    ap.add_argument("--token", help="bearer token (server started with --auth-tokens-file)")
    args = ap.parse_args()
    with factgate.Client(args.addr, token=args.token, timeout=30) as client:
        try:
            r = client.check(args.text, labels={"tenant": "demo"})
        except factgate.FactgateError as e:
            print(f"error: {e}", file=sys.stderr)
            return 1
    print(r.verdict.name, f"{r.confidence:.2f}", r.audit_id)
    for reason in r.reasons:
        print(f"  reason {reason.code}: {reason.message}")
    for claim in r.claims:
        print(f"  {claim.status.name} {claim.confidence:.2f} {claim.text!r}"
              f" [{claim.span.start_utf16}:{claim.span.end_utf16}]")
        for ev in claim.evidence:
            print(f"    evidence: {ev.text} <{ev.subject}> <{ev.predicate}> {ev.object}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
