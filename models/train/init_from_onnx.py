#!/usr/bin/env python3
"""Rebuild a torch state_dict for the cross-encoder from an exported int8 ONNX verifier.

The fp32 training checkpoint is not committed (90 MB); the int8 model is. Dynamic int8 export keeps
every bias and LayerNorm in fp32 under its torch name, and stores each weight matrix as int8 with a
scale and zero point (per output channel for MatMul weights, per tensor for embeddings). This script
dequantizes them back into `CrossEncoder`'s parameter names, so a refinement run (`train.py --init`)
can continue from the shipped model. The result differs from the lost fp32 weights by the int8
rounding (at most half a quantization step per weight); the script reports how far its logits are
from the ONNX model's on dev pairs.

    .venv/bin/python init_from_onnx.py --onnx ../verifier/model.onnx --out work/init.pt
"""
import argparse, random
import numpy as np
import onnx
import torch
from onnx import numpy_helper
from common import *
from model import CrossEncoder


def dequantized(inits, base):
    q = inits[f"{base}_quantized"].astype(np.float32)
    zp = inits[f"{base}_zero_point"].astype(np.float32)
    return (q - zp) * inits[f"{base}_scale"].astype(np.float32)


def state_from_onnx(path, model):
    g = onnx.load(path).graph
    inits = {i.name: numpy_helper.to_array(i) for i in g.initializer}
    state = {}
    for name, arr in inits.items():  # fp32 biases and LayerNorms keep their torch names
        if name in model.state_dict() and arr.dtype == np.float32:
            state[name] = torch.from_numpy(arr.copy())
    for name in list(model.state_dict()):
        if name.endswith("embeddings.weight") and f"{name}_quantized" in inits:
            state[name] = torch.from_numpy(dequantized(inits, name))
    for n in g.node:  # MatMul weights: named after the node ("/bert/encoder/layer.0/.../query/MatMul_quant")
        if n.op_type != "MatMulInteger":
            continue
        base = n.input[1][: -len("_quantized")]
        module = n.name.strip("/").rsplit("/", 1)[0].replace("/", ".")
        module = "head" if module == "head" else module
        state[f"{module}.weight"] = torch.from_numpy(dequantized(inits, base).T.copy())
    missing = [k for k in model.state_dict() if k not in state and not k.endswith("position_ids")]
    if missing:
        raise SystemExit(f"{path}: no weights for {missing}")
    return state


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--onnx", default=str(VERIFIER / "model.onnx"))
    ap.add_argument("--out", default=str(WORK / "init.pt"))
    ap.add_argument("--pool", default="mean")
    ap.add_argument("--max-length", type=int, default=256)
    a = ap.parse_args()
    torch.set_num_threads(2)
    model = CrossEncoder(SRC / "minilm", pool=a.pool)
    state = state_from_onnx(a.onnx, model)
    model.load_state_dict(state, strict=False)
    model.eval()
    torch.save(model.state_dict(), a.out)
    # how close the rebuilt fp32 model is to the int8 ONNX model it came from
    from evaluate import pad, session
    tok = load_pair_tokenizer(max_length=a.max_length)
    rows = random.Random(SEED).sample(read_jsonl(WORK / "vitc_dev.jsonl"), 64)
    feed = pad(tok.encode_batch([(r["premise"], r["hypothesis"]) for r in rows]))
    ids, am, tt = feed["input_ids"], feed["attention_mask"], feed["token_type_ids"]
    out = session(a.onnx).run(["logits"], feed)[0]
    with torch.no_grad():
        ref = model(*(torch.from_numpy(x) for x in (ids, am, tt))).numpy()
    print(f"{a.out}: rebuilt fp32 vs {a.onnx} on {len(rows)} dev pairs: max abs logit diff "
          f"{np.abs(out - ref).max():.3f}, argmax agreement {(out.argmax(1) == ref.argmax(1)).mean():.3f}")


if __name__ == "__main__":
    main()
