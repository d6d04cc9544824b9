#!/usr/bin/env python3
"""Rewrite the int8 verifier's MatMulInteger weights from signed (QInt8, zero point 0) to unsigned
(QUInt8, zero point 128): the same integers after the zero point is taken off, so the same model.

Why: with signed weights ONNX Runtime's x86 kernels for u8 x s8 on CPUs without AVX-VNNI add pairs
of products in 16 bits and saturate, so the logits depend on the CPU's instruction set (on an AMD
EPYC with AVX2 only, up to 0.44 logit from the fixture written on the earlier development machine).
u8 x u8 products are widened before they are added on every x86 path, so the integer arithmetic is
exact everywhere. Also rewrites models/verifier/config.json (sha256, version) and the logits of
tests/fixtures/verifier_parity.json (same pairs and token ids, run through onnxruntime here).

Usage: python3 models/train/requantize_u8.py   (needs onnx, numpy, onnxruntime==1.31.1)
"""
import hashlib, json
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
from onnx import numpy_helper

REPO = Path(__file__).resolve().parents[2]
MODEL = REPO / "models" / "verifier" / "model.onnx"
CONFIG = REPO / "models" / "verifier" / "config.json"
FIXTURE = REPO / "tests" / "fixtures" / "verifier_parity.json"


def main():
    m = onnx.load(MODEL)
    inits = {i.name: i for i in m.graph.initializer}
    users = {}
    for n in m.graph.node:
        for x in n.input:
            users.setdefault(x, set()).add(n.op_type)
    done = set()
    for n in m.graph.node:
        if n.op_type != "MatMulInteger":
            continue
        for name in (n.input[1], n.input[3]):  # weights and their zero points
            if name in done:
                continue
            t = inits[name]
            if t.data_type == onnx.TensorProto.UINT8:
                continue  # already rewritten
            assert t.data_type == onnx.TensorProto.INT8 and users[name] == {"MatMulInteger"}, name
            t.CopyFrom(numpy_helper.from_array(
                (numpy_helper.to_array(t).astype(np.int16) + 128).astype(np.uint8), name))
            done.add(name)
    onnx.checker.check_model(m)
    onnx.save(m, MODEL)
    sha = hashlib.sha256(MODEL.read_bytes()).hexdigest()
    cfg = json.loads(CONFIG.read_text())
    cfg["onnx_sha256"] = sha
    cfg["version"] = cfg["version"].rsplit("-", 1)[0] + "-" + sha[:8]
    CONFIG.write_text(json.dumps(cfg, indent=2) + "\n")
    so = ort.SessionOptions()
    so.intra_op_num_threads = 1
    sess = ort.InferenceSession(str(MODEL), so, providers=["CPUExecutionProvider"])
    cases = json.loads(FIXTURE.read_text())
    for c in cases:
        feed = {k: np.array([c[k]], dtype=np.int64) for k in ("input_ids", "attention_mask", "token_type_ids")}
        c["logits"] = [float(x) for x in sess.run(["logits"], feed)[0][0]]
    FIXTURE.write_text(json.dumps(cases, indent=1, ensure_ascii=False))
    print(f"rewrote {len(done)} initializers; {cfg['version']} sha256 {sha}; fixture {len(cases)} pairs")


if __name__ == "__main__":
    main()
