# Entry points for newcomers and CI. Everything a target needs it installs itself.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
DEV_VENV := .venv
DEV_PY := $(DEV_VENV)/bin/python

.PHONY: test test-core demo bench docs dev test-agent clean

# Set up and run every suite of the matrix (core suites on CPython 3.9-3.13). The runner
# installs what it needs itself (uv under .riot/, the test agent under .test-agent/).
test:
	$(PYTHON) scripts/matrix.py $(if $(SUITE),-s $(SUITE)) $(if $(PY),-p $(PY))

test-core:
	$(PYTHON) scripts/matrix.py -s core -p 3.11

# A development venv (CPython 3.11) with the package, test and docs extras.
$(DEV_VENV)/.stamp: pyproject.toml setup.py
	$(PYTHON) -m venv $(DEV_VENV)
	$(DEV_PY) -m pip install -q --upgrade pip "setuptools>=77" wheel "cython>=3.0.10,<4"
	$(DEV_PY) -m pip install -q -e ".[test,docs,demo]"
	touch $@

dev: $(DEV_VENV)/.stamp
	$(DEV_PY) setup.py -q build_ext --inplace

# Datadog's test agent, in a venv of its own so its pins never decide our test libraries.
test-agent:
	$(PYTHON) scripts/test_agent.py install

demo: dev test-agent
	$(DEV_PY) scripts/demo.py

bench: dev
	$(DEV_PY) benchmarks/run.py

docs: dev
	$(DEV_VENV)/bin/sphinx-build -W --keep-going -b html docs docs/_build/html

clean:
	rm -rf .riot $(DEV_VENV) build docs/_build ddtrace/**/*.so ddtrace/**/*.c
