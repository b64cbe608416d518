# Two entry points a new machine needs: `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)

.PHONY: demo test check lint types unit bench clean test-aiohttp-oldest

$(STAMP): pyproject.toml
	$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11+ is required"'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	rm -f $(VENV)/.installed-* && touch $@

demo: $(STAMP)
	$(BIN)/python examples/demo.py

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

types: $(STAMP)
	$(BIN)/mypy

unit: $(STAMP)
	$(BIN)/python -m pytest -q -p no:cacheprovider

# aiointercept and the aiohttp adapter on the oldest aiohttp they support, in
# a venv of their own (the first run installs it in about 20 s; later runs
# take seconds).
OLDEST_VENV ?= .venv-aiohttp310
OLDEST_STAMP := $(OLDEST_VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)

$(OLDEST_STAMP): pyproject.toml Makefile
	test -x $(OLDEST_VENV)/bin/python || $(PYTHON) -m venv $(OLDEST_VENV)
	echo '*' > $(OLDEST_VENV)/.gitignore
	$(OLDEST_VENV)/bin/python -m pip install --quiet -e '.[aiohttp,requests,httpx]' 'aiohttp==3.10.*' \
		'pytest>=8.2' 'pytest-asyncio>=0.24' 'trustme>=1.1' packaging
	rm -f $(OLDEST_VENV)/.installed-* && touch $@

test-aiohttp-oldest: $(OLDEST_STAMP)
	$(OLDEST_VENV)/bin/python -m pytest tests/aiointercept tests/http/test_aiohttp.py -q -p no:cacheprovider

test check: lint types unit test-aiohttp-oldest

$(VENV)/.bench-installed: $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[dev,bench]'
	touch $@

bench: $(VENV)/.bench-installed
	$(BIN)/python -m benchmarks

clean:
	rm -rf $(VENV) $(OLDEST_VENV) .mypy_cache .ruff_cache .pytest_cache build dist
