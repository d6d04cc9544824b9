#!/usr/bin/env python3
"""Re-measure ONNX Runtime latency (2 threads) of both variants and store it in metrics.json."""
import json, os
from common import *
from evaluate import latency, session

m = json.load(open(VERIFIER / "metrics.json", encoding="utf-8"))
tok = load_pair_tokenizer(VERIFIER / "tokenizer.json", m["config"]["max_length"])
rows = read_jsonl(WORK / "vitc_test.jsonl")
load = os.getloadavg()[0]
for v in ("fp32", "int8"):
    r = latency(session(str(WORK / "onnx" / f"model_{v}.onnx")), tok, rows, reps=20)
    r["loadavg_1min_before"] = round(load, 2)
    m["variants"][v]["latency_2threads_remeasured"] = r
    print(v, r)
json.dump(m, open(VERIFIER / "metrics.json", "w", encoding="utf-8"), indent=2, ensure_ascii=False)
