# Every target creates .venv on first use, so a fresh clone needs nothing but Python 3.11+.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

# The other supported Pythons: tested when present (pyenv's, else on PATH), each in its own venv.
PYENV_ROOT ?= $(HOME)/.pyenv
find_python = $(firstword $(wildcard $(PYENV_ROOT)/versions/$(1).*/bin/python$(1)) $(shell command -v python$(1) 2>/dev/null))
PY312 ?= $(call find_python,3.12)
PY313 ?= $(call find_python,3.13)
OTHER_PYTHONS := $(if $(PY312),3.12) $(if $(PY313),3.13)

# Dependency wheels for the installed-tool test (tests/install): filled once from the index,
# so the test itself installs the freshly built wheel into a fresh venv with --no-index.
WHEELHOUSE := .cache/wheelhouse
CHROMIUM := /usr/bin/chromium

.PHONY: demo test test-all test-3.11 $(addprefix test-,$(OTHER_PYTHONS)) lint typecheck fmt \
	bench wheel chromium clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/letrade stream BTCUSDT ETHUSDT --venue sim --duration 20

# ruff, lint-imports and mypy once, then the suite on every supported Python present, JOBS of them
# at a time (each suite's output is printed whole when it ends).
JOBS ?= 2
test: lint typecheck test-all

test-all: chromium
	$(MAKE) --no-print-directory -j$(JOBS) --output-sync=target \
		test-3.11 $(addprefix test-,$(OTHER_PYTHONS))
	@echo "tested on: 3.11 $(OTHER_PYTHONS)"

# The main interpreter runs everything: the installed-tool test and the browser pages too.
test-3.11: $(STAMP) $(WHEELHOUSE)/.stamp chromium
	LETRADE_WHEELHOUSE=$(WHEELHOUSE) $(BIN)/pytest -q

# Other Pythons: the same suite in .venv-3.X (the wheel is built and installed once, above; the
# chaos trials, subprocesses under faults, run once, on the main interpreter).
test-3.12 test-3.13: test-%: .venv-%/.installed chromium
	.venv-$*/bin/pytest -q -p no:cacheprovider -m "not install and not chaos"

.venv-%/.installed: pyproject.toml
	$(or $(PY$(subst .,,$*)),python$*) -m venv .venv-$*
	.venv-$*/bin/pip install --quiet --upgrade pip
	.venv-$*/bin/pip install --quiet -e '.[dev]'
	touch $@

$(WHEELHOUSE)/.stamp: pyproject.toml | $(STAMP)
	mkdir -p $(WHEELHOUSE)
	$(BIN)/python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" > $(WHEELHOUSE)/requirements.txt
	$(BIN)/pip wheel --quiet --wheel-dir $(WHEELHOUSE) -r $(WHEELHOUSE)/requirements.txt
	touch $@

# Headless Chromium for tests/browser (Debian's package; never a downloaded browser). `make test`
# never installs system packages: without it the browser tests skip with one line (.ci/run
# installs it with apt-get).
chromium:
	@test -x $(CHROMIUM) || echo "no $(CHROMIUM): the browser tests skip (apt-get install chromium to run them)"

# dist/: the wheel and sdist, e.g. for `pipx install dist/letrade_cli-*.whl`.
wheel: $(STAMP)
	rm -rf dist
	$(BIN)/python -m build --no-isolation --outdir dist .

# lint-imports: the layer contracts in pyproject.toml [tool.importlinter].
lint: $(STAMP)
	$(BIN)/ruff check letrade_cli tests benchmarks
	$(BIN)/ruff format --check letrade_cli tests benchmarks
	$(BIN)/lint-imports --cache-dir .cache/import-linter

typecheck: $(STAMP)
	$(BIN)/mypy

fmt: $(STAMP)
	$(BIN)/ruff format letrade_cli tests benchmarks
	$(BIN)/ruff check --fix letrade_cli tests benchmarks

bench: $(STAMP)
	$(BIN)/letrade bench all --out benchmarks/results/bench-all.json

clean:
	rm -rf $(VENV) .venv-3.* .cache dist build *.egg-info .pytest_cache .mypy_cache .ruff_cache
