# Two commands from a fresh clone: `make demo` and `make test`. Each creates (or reuses) a virtualenv
# in .venv, installs what it needs, then runs. `make bench` compares with micrograd; `make notebooks`
# re-executes the teaching notebooks in place. `make demo DEMO_ARGS=--compiled` trains with the compiled
# batch mode; `make bench BENCH_ARGS=--quick` is a shorter benchmark run.

PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip install --quiet --disable-pip-version-check

.PHONY: demo test bench notebooks system-deps clean

$(PY):
	$(PYTHON) -m venv $(VENV)

# One stamp per set of extras, remade when pyproject.toml changes.
$(VENV)/.installed-%: pyproject.toml | $(PY)
	$(PIP) -e ".[$(subst +,$(comma),$*)]"
	@touch $@

comma := ,

# Graphviz's `dot` renders the graph pictures; headless Chromium runs the backprop-view tests.
system-deps:
	@missing=""; \
	command -v dot >/dev/null 2>&1 || missing="$$missing graphviz"; \
	command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || missing="$$missing chromium"; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing$$missing with apt-get"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	  else \
	    echo "note: missing system packages:$$missing. Install them with 'sudo apt-get install$$missing'"; \
	    echo "      (macOS: 'brew install graphviz'); tests that need them are skipped."; \
	  fi; \
	fi

DEMO_ARGS ?=
demo: system-deps $(VENV)/.installed-notebooks
	$(PY) -m nn.demo $(DEMO_ARGS)

test: system-deps $(VENV)/.installed-dev+notebooks
	$(PY) -m pytest

bench: $(VENV)/.installed-bench
	$(PY) benchmarks/bench.py $(BENCH_ARGS)
	$(PY) benchmarks/bench_compile.py $(BENCH_ARGS)
	$(PY) benchmarks/bench_gc.py $(BENCH_ARGS)
	$(PY) benchmarks/bench_fit.py

notebooks: system-deps $(VENV)/.installed-dev+notebooks
	$(PY) notebooks/run_notebooks.py

clean:
	rm -rf $(VENV) out .pytest_cache .hypothesis
