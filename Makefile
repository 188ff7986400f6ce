# Two commands do all set-up on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip install -q --disable-pip-version-check
export NM_DISABLE_ANALYTICS := 1

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(PIP) --upgrade pip

# editable as a path entry (compat): the default finder costs every start-up ~10 ms
EDITABLE := --config-settings editable_mode=compat -e

# the core tool: lint, show, schema (no torch, no sparseml)
$(VENV)/.core: pyproject.toml | $(VENV)/bin/python
	$(PIP) $(EDITABLE) .
	touch $@

# everything: dev tools and the runner stack (sparseml 1.8 with its LLM modifiers,
# torch 2.13 CPU)
$(VENV)/.full: pyproject.toml | $(VENV)/bin/python
	$(PIP) $(EDITABLE) '.[dev,runner,sparseml-llm,planner]'
	touch $(VENV)/.core $@

# llm-compressor 0.14.0.1, the oracle of its recipe dialect, in its own environment:
# it needs numpy 2, sparseml numpy < 2 (torch is the machine's CPU wheel); this
# checkout beside it (the llm extra), as a user of the LLM runner installs it
LLMC ?= .venv-llmc
$(LLMC)/.done: pyproject.toml
	test -x $(LLMC)/bin/python || $(PYTHON) -m venv $(LLMC)
	$(LLMC)/bin/python -m pip install -q --disable-pip-version-check \
	  $(EDITABLE) '.[llm]'
	touch $@

.PHONY: demo run test lint bench clean browser
demo: $(VENV)/.full
	$(VENV)/bin/recipe lint recipes/
	$(VENV)/bin/recipe show recipes/yolov5s-gmp.md
	$(VENV)/bin/recipe plan recipes/yolov5s-gmp.md --steps-per-epoch 1849
	$(VENV)/bin/recipe rescale recipes/yolov5s-gmp.md --epochs 300 --lr 0.01:0.0001 --diff
	mkdir -p out
	$(VENV)/bin/recipe rescale recipes/yolov5s-gmp.md --epochs 300 --lr 0.01:0.0001 -o out/yolov5s-gmp-300.md
	$(VENV)/bin/recipe preview recipes/yolov5s-gmp.md out/yolov5s-gmp-300.md --steps-per-epoch 1849 -o out/preview.html
	$(VENV)/bin/recipe run recipes/digits-gmp.yaml --model digits-cnn --rescale 18 -o out/digits --overwrite --bench
	$(VENV)/bin/recipe run recipes/digits-gmp-qat.yaml --model digits-cnn --rescale 18 -o out/digits-qat --overwrite --bench
	@echo
	@echo "Now plan one in the browser: edit it, move its knobs, watch the schedule redraw, save it back:"
	@echo "  $(VENV)/bin/recipe planner out/yolov5s-gmp-300.md --steps-per-epoch 1849"

# the runner on scikit-learn's digits: dense training, the GMP recipe, ONNX export
run: $(VENV)/.full
	$(VENV)/bin/recipe run recipes/digits-gmp.yaml --model digits-cnn --rescale 18 -o out/digits --overwrite

# the browser tests drive Debian's chromium through its chromedriver
browser:
	@if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null; \
	  else \
	    echo "make test: the browser tests need chromium and chromedriver: sudo apt-get install chromium chromium-driver"; \
	  fi; \
	fi

test: $(VENV)/.full $(LLMC)/.done browser
	RECIPE_REQUIRE_RUNNER=1 $(PY) -m pytest -q

lint: $(VENV)/.full
	$(VENV)/bin/ruff check recipe_compiler tests benchmarks
	$(VENV)/bin/mypy recipe_compiler
	$(VENV)/bin/recipe schema --check
	$(VENV)/bin/recipe lint recipes/

bench: $(VENV)/.full $(LLMC)/.done browser
	$(PY) benchmarks/lint_speed.py
	$(PY) benchmarks/differential_llmc.py 5000  # exits 1 on a disagreement
	$(PY) benchmarks/differential_core.py 5000  # exits 1 on a disagreement
	$(PY) benchmarks/lint_instructions.py
	-$(PY) benchmarks/differential.py 5200  # exits 1 on a disagreement
	$(PY) benchmarks/plan_speed.py
	$(PY) benchmarks/preview_speed.py
	$(PY) benchmarks/planner_latency.py
	$(PY) benchmarks/llm_run.py
	$(PY) benchmarks/digits_quality.py
	$(PY) benchmarks/yolo_bench.py s
	$(PY) benchmarks/yolo_quality.py
	$(PY) benchmarks/serve_load.py

clean:
	rm -rf $(VENV) $(LLMC) build *.egg-info
