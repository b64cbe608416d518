# Two entry points a new machine needs: `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)

.PHONY: demo test check lint types unit bench docs clean test-aiohttp-oldest test-niquests bench-pytest-plugin

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
	$(OLDEST_VENV)/bin/python -m pip install --quiet -e '.[aiohttp,requests,httpx,httpx2]' 'aiohttp==3.10.*' \
		'pytest>=8.2' 'pytest-asyncio>=0.24' 'trustme>=1.1' packaging
	rm -f $(OLDEST_VENV)/.installed-* && touch $@

test-aiohttp-oldest: $(OLDEST_STAMP)
	$(OLDEST_VENV)/bin/python -m pytest tests/aiointercept tests/http/test_aiohttp.py -q -p no:cacheprovider

# niquests in a venv of its own: it installs urllib3-future, which replaces
# the venv's urllib3 package, so the requests/urllib3 tests here run on
# urllib3-future (and the main venv keeps real urllib3). pycurl comes too, for
# tornado's curl client. INTERPOSITION_REQUIRE_CLIENTS turns test_niquests.py's
# importorskip (and a missing pycurl) into a failure; -rs with the grep fails
# the run if anything was skipped anyway. The first run installs in about 15 s.
NIQUESTS_VENV ?= .venv-niquests
NIQUESTS_STAMP := $(NIQUESTS_VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)
NIQUESTS_TESTS := tests/http/test_niquests.py tests/http/test_tornado.py \
	tests/http/test_clients.py tests/http/test_cross_client.py \
	tests/http/test_streaming.py tests/http/test_https.py \
	tests/http/test_redaction.py tests/http/test_record_modes.py

$(NIQUESTS_STAMP): pyproject.toml Makefile
	test -x $(NIQUESTS_VENV)/bin/python || $(PYTHON) -m venv $(NIQUESTS_VENV)
	echo '*' > $(NIQUESTS_VENV)/.gitignore
	$(NIQUESTS_VENV)/bin/python -m pip install --quiet -e '.[niquests,requests,httpx,httpx2,brotli,tornado,pycurl]' \
		'pytest>=8.2' 'pytest-asyncio>=0.24' 'trustme>=1.1' 'hypothesis>=6.100'
	rm -f $(NIQUESTS_VENV)/.installed-* && touch $@

test-niquests: $(NIQUESTS_STAMP)
	INTERPOSITION_REQUIRE_CLIENTS=niquests,pycurl $(NIQUESTS_VENV)/bin/python -m pytest $(NIQUESTS_TESTS) \
		-q -p no:cacheprovider -rs > $(NIQUESTS_VENV)/last-run.txt 2>&1; \
		status=$$?; cat $(NIQUESTS_VENV)/last-run.txt; test $$status -eq 0
	! grep -q -i -E '(^SKIPPED|[0-9]+ skipped)' $(NIQUESTS_VENV)/last-run.txt
	$(NIQUESTS_VENV)/bin/python -c 'import urllib3; assert urllib3.__version__.split(".")[-1].isdigit() and int(urllib3.__version__.split(".")[-1]) >= 900, urllib3.__version__'

test check: lint types unit test-aiohttp-oldest test-niquests

# The peers measured beside us in a venv of their own: cassetter ships a
# pytest plugin with its own --record-mode, which would stop `make test` from
# starting if it were installed into .venv.
BENCH_VENV ?= .venv-bench
BENCH_STAMP := $(BENCH_VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)

$(BENCH_STAMP): pyproject.toml
	test -x $(BENCH_VENV)/bin/python || $(PYTHON) -m venv $(BENCH_VENV)
	echo '*' > $(BENCH_VENV)/.gitignore
	$(BENCH_VENV)/bin/python -m pip install --quiet -e '.[dev,bench]'
	rm -f $(BENCH_VENV)/.installed-* && touch $@

bench: $(BENCH_STAMP)
	$(BENCH_VENV)/bin/python -m benchmarks

# pytest-recording + vcrpy in a venv of their own, without interposition: both
# plugins define --record-mode and the vcr marker, so pytest-recording never
# goes into .venv. The pytest-plugin benchmark runs the same generated suite
# with each.
RECORDING_VENV ?= .venv-recording

$(RECORDING_VENV)/.installed: Makefile
	test -x $(RECORDING_VENV)/bin/python || $(PYTHON) -m venv $(RECORDING_VENV)
	echo '*' > $(RECORDING_VENV)/.gitignore
	$(RECORDING_VENV)/bin/python -m pip install --quiet 'pytest-recording==0.14.*' 'vcrpy>=8' requests pyyaml pytest
	touch $@

bench-pytest-plugin: $(BENCH_STAMP) $(RECORDING_VENV)/.installed
	INTERPOSITION_BENCH_RECORDING_PYTHON=$(abspath $(RECORDING_VENV))/bin/python $(BENCH_VENV)/bin/python -m benchmarks pytest-plugin

# The documentation site (mkdocs-material, the `docs` extra), built with
# --strict (a broken link fails; --quiet would hide the warnings that
# --strict counts) into site/.
$(VENV)/.docs-installed: $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[dev,docs]'
	touch $@

docs: $(VENV)/.docs-installed
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict

clean:
	rm -rf $(VENV) $(OLDEST_VENV) $(BENCH_VENV) $(NIQUESTS_VENV) $(RECORDING_VENV) .mypy_cache .ruff_cache .pytest_cache build dist site
