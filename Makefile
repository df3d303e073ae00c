# Two commands on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cksum < pyproject.toml | cut -d' ' -f1)
OUT    ?= out

.PHONY: setup demo test test-fast notebooks bench lint clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev,data,scale]'
	rm -f $(VENV)/.installed-*
	touch $@

demo: $(STAMP)
	$(BIN)/orchestria demo --out $(OUT)

test: $(STAMP)
	$(BIN)/python -m pytest
	if ls notebooks/*.ipynb >/dev/null 2>&1; then \
	  $(BIN)/python -m pytest -p no:cacheprovider --nbval-lax --sanitize-with notebooks/sanitize.cfg notebooks/ -o addopts= ; fi

test-fast: $(STAMP)
	$(BIN)/python -m pytest -x -m "not slow"

bench: $(STAMP)
	$(BIN)/python -m pip install -q -e '.[dev,data,bench]'
	$(BIN)/python -m benchmarks

lint: $(STAMP)
	$(BIN)/ruff check orchestria_lab tests benchmarks

clean:
	rm -rf $(OUT) .orchestria orchestria.db* .pytest_cache
