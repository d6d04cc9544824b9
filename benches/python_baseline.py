#!/usr/bin/env python3
"""The usual Python stack as a baseline for factgate's verifier: the same pairs, the same model.

Reads the (premise, claim) pairs that `cargo bench --bench e2e` wrote (target/bench-pairs.json:
exactly what factgate's pipeline sends for responses of 1, 5 and 20 claims) and scores them the
way a typical Python guard would: per response, tokenize with the Hugging Face tokenizer, one
forward pass over the claims' pairs as one padded batch, softmax. Concurrency 1, 2 threads.

Backends (columns):
  torch_fp32  the fine-tuned checkpoint (models/train/work/ckpt/model.pt) in PyTorch, fp32, the
              model class from models/train/model.py, `transformers` BertTokenizerFast: what a
              Python user of this model would run;
  ort_int8    onnxruntime-python on the shipped int8 model (models/verifier/model.onnx), same
              tokenizer: the same runtime and model as factgate, so Rust vs Python is visible
              apart from fp32 vs int8;
  ort_fp32    onnxruntime-python on the fp32 export (models/train/work/onnx/model_fp32.onnx),
              when present.

Run with the training venv (torch, transformers, onnxruntime):
  models/train/.venv/bin/python benches/python_baseline.py target/bench-pairs.json [--out F]
"""
import argparse
import hashlib
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TRAIN = ROOT / "models" / "train"
THREADS = 2


def loadavg():
    try:
        return " ".join(open("/proc/loadavg").read().split()[:3])
    except OSError:
        return "?"


class CpuSnap:
    """Machine and own CPU ticks: how much of the machine other processes took meanwhile."""

    def __init__(self):
        f = [int(v) for v in open("/proc/stat").readline().split()[1:]]
        self.busy = f[0] + f[1] + f[2] + f[5] + f[6] + f[7]
        self.total = self.busy + f[3] + f[4]
        rest = open("/proc/self/stat").read().rsplit(")", 1)[1].split()
        self.own = int(rest[11]) + int(rest[12])

    def load_since(self):
        now = CpuSnap()
        total = max(now.total - self.total, 1)
        others = (now.busy - self.busy) - (now.own - self.own)
        return f"load {loadavg()}, others {max(0.0, 100.0 * others / total):.0f} %"


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def pct(sorted_ms, p):
    rank = min(max(int(-(-p * len(sorted_ms) // 1)), 1), len(sorted_ms))
    return sorted_ms[rank - 1]


def measure(score_pairs, sizes, warmup=5):
    """Per response: score(premises, hypotheses) -> probs. Returns figures per size and the probs."""
    def score(*columns):
        # A response whose claims need no verifier pair costs no model call, as in factgate.
        return score_pairs(*columns) if columns else []

    out, probs = {}, {}
    for s in sizes:
        responses = s["responses"]
        for r in responses[:warmup]:
            score(*zip(*r["pairs"]))
        cpu = CpuSnap()
        lat = []
        t_all = time.perf_counter()
        for i in range(s["n"]):
            r = responses[i % len(responses)]
            t = time.perf_counter()
            score(*zip(*r["pairs"]))
            lat.append((time.perf_counter() - t) * 1e3)
        wall = time.perf_counter() - t_all
        load = cpu.load_since()
        lat.sort()
        out[str(s["claims"])] = {
            "n": s["n"],
            "p50_ms": pct(lat, 0.50),
            "p99_ms": pct(lat, 0.99),
            "mean_ms": sum(lat) / len(lat),
            "resp_per_s": s["n"] / wall,
            "claims_per_s": s["n"] * s["claims"] / wall,
            "load": load,
        }
        probs[str(s["claims"])] = [score(*zip(*r["pairs"])) for r in responses]
        f = out[str(s["claims"])]
        print(f"  {s['claims']:>2} claims n={s['n']:<4} p50 {f['p50_ms']:.2f} ms p99 {f['p99_ms']:.2f} ms "
              f"{f['resp_per_s']:.1f} resp/s ({load})", flush=True)
    return out, probs


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("pairs", nargs="?", default=str(ROOT / "target" / "bench-pairs.json"))
    ap.add_argument("--out", default=str(ROOT / "target" / "bench-python.json"))
    ap.add_argument("--ckpt", default=str(TRAIN / "work" / "ckpt"))
    ap.add_argument("--encoder", default=str(TRAIN / "work" / "src" / "minilm"),
                    help="the base MiniLM directory (config + HF tokenizer) the training used")
    ap.add_argument("--fp32-onnx", default=str(TRAIN / "work" / "onnx" / "model_fp32.onnx"))
    ap.add_argument("--scale", type=float, default=1.0, help="multiply the request counts")
    a = ap.parse_args()

    import numpy as np
    import torch
    import onnxruntime as ort
    import transformers
    from transformers import AutoTokenizer

    torch.set_num_threads(THREADS)
    torch.set_num_interop_threads(1)
    doc = json.load(open(a.pairs))
    m = doc["model"]
    sizes = doc["sizes"]
    for s in sizes:
        s["n"] = max(10, round(s["n"] * a.scale))
    temperature, max_length = m["temperature"], m["max_length"]
    print(f"python {sys.version.split()[0]}, torch {torch.__version__}, transformers {transformers.__version__}, "
          f"onnxruntime {ort.__version__}; {THREADS} threads; load {loadavg()}", flush=True)

    # The HF tokenizer of the base model, with the truncation the verifier uses (premise first).
    tok = AutoTokenizer.from_pretrained(a.encoder)

    def tokenize(premises, hypotheses, kind):
        return tok(list(premises), list(hypotheses), padding=True, truncation="only_first",
                   max_length=max_length, return_tensors=kind)

    backends = {}

    # --- PyTorch fp32: the training checkpoint.
    sys.path.insert(0, str(TRAIN))
    from model import CrossEncoder  # noqa: E402  (models/train/model.py)
    meta = json.load(open(os.path.join(a.ckpt, "train_meta.json")))
    model = CrossEncoder(a.encoder, pool=meta["args"]["pool"])
    model.load_state_dict(torch.load(os.path.join(a.ckpt, "model.pt"), map_location="cpu"))
    model.eval()

    def score_torch(premises, hypotheses):
        with torch.inference_mode():
            enc = tokenize(premises, hypotheses, "pt")
            logits = model(enc["input_ids"], enc["attention_mask"], enc["token_type_ids"])
            return torch.softmax(logits / temperature, dim=-1).tolist()

    # --- onnxruntime-python on the shipped int8 model and the fp32 export.
    def ort_scorer(path):
        so = ort.SessionOptions()
        so.intra_op_num_threads = THREADS
        so.inter_op_num_threads = 1
        sess = ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])

        def score(premises, hypotheses):
            enc = tokenize(premises, hypotheses, "np")
            feed = {k: enc[k].astype(np.int64) for k in ("input_ids", "attention_mask", "token_type_ids")}
            logits = sess.run(["logits"], feed)[0]
            z = logits / temperature
            e = np.exp(z - z.max(axis=1, keepdims=True))
            return (e / e.sum(axis=1, keepdims=True)).tolist()

        return score, sess

    plan = [("torch_fp32", "PyTorch fp32", score_torch)]
    int8_score, int8_sess = ort_scorer(m["onnx"])
    plan.append(("ort_int8", "ORT-py int8", int8_score))
    if os.path.exists(a.fp32_onnx):
        plan.append(("ort_fp32", "ORT-py fp32", ort_scorer(a.fp32_onnx)[0]))

    all_probs = {}
    for key, label, score in plan:
        print(f"{label}:", flush=True)
        figures, probs = measure(score, sizes)
        backends[key] = {"label": label, "sizes": figures}
        all_probs[key] = probs

    # --- Agreement: same pairs, same tokenization? (ORT-py int8 logits vs factgate's.)
    checks = {}
    max_diff = 0.0
    for s in sizes:
        for r in s["responses"]:
            if not r["pairs"]:
                continue
            enc = tokenize(*zip(*r["pairs"]), "np")
            feed = {k: enc[k].astype(np.int64) for k in ("input_ids", "attention_mask", "token_type_ids")}
            py = int8_sess.run(["logits"], feed)[0]
            max_diff = max(max_diff, float(np.abs(py - np.array(r["rust_logits"])).max()))
    checks["int8_logits_max_abs_diff_python_vs_rust"] = max_diff
    # fp32 (PyTorch) vs int8 (shipped) decisions on the bench pairs.
    agree, total = 0, 0
    for k in all_probs["torch_fp32"]:
        for a_resp, b_resp in zip(all_probs["torch_fp32"][k], all_probs["ort_int8"][k]):
            for pa, pb in zip(a_resp, b_resp):
                agree += int(np.argmax(pa) == np.argmax(pb))
                total += 1
    checks["argmax_agreement_torch_fp32_vs_int8"] = agree / max(total, 1)
    # Is the checkpoint the source of the shipped int8 model?
    int8_export = TRAIN / "work" / "onnx" / "model_int8.onnx"
    shipped = sha256(m["onnx"])
    checks["checkpoint_is_shipped_model"] = int8_export.exists() and sha256(int8_export) == shipped
    print(f"checks: int8 logits Python vs Rust max |diff| {max_diff:.2e} (same pairs and tokenization if ~0); "
          f"PyTorch fp32 vs int8 argmax agreement {checks['argmax_agreement_torch_fp32_vs_int8']:.3f} "
          f"on {total} pairs; checkpoint exported to the shipped model: {checks['checkpoint_is_shipped_model']}",
          flush=True)
    if not checks["checkpoint_is_shipped_model"]:
        print("  note: models/verifier/model.onnx was not exported from this checkpoint (same architecture and "
              "shapes, so the timings compare; the agreement figure does not)", flush=True)

    json.dump({"backends": backends, "checks": checks, "threads": THREADS,
               "versions": {"torch": torch.__version__, "transformers": transformers.__version__,
                            "onnxruntime": ort.__version__}},
              open(a.out, "w"), indent=2)
    print(f"written {a.out}", flush=True)


if __name__ == "__main__":
    main()
