# Every target that needs an environment runs the idempotent set-up first (fast when nothing changed).
PY := .venv/bin/python
SETUP := python3 tools/setup.py

.PHONY: setup test test-clients test-compose demo lint lint-ruff lint-mypy lint-mypy-localstack lint-actionlint \
  bench clean

setup:
	@$(SETUP)

# Two pytest-xdist workers, whole files each (a module's fixtures stay in one process), each with a stack
# of its own: about 1.4x faster on 2 cores, since much of a test is waiting on LocalStack or a function.
# `make test PYTEST_WORKERS=0` runs everything in one process.
PYTEST_WORKERS ?= 2

test: setup lint
	$(PY) -m pytest -n $(PYTEST_WORKERS) --dist loadfile --ignore=tests/clients $(PYTEST_ARGS)

# The real-client tests (AWS CLI v1; the SageMaker Python SDK v2 in its own venv, built here): a target of
# their own so `make test` stays within 10 minutes on 2 cores. .ci/run runs both.
test-clients: setup
	@$(SETUP) sdk
	$(PY) -m pytest tests/clients $(PYTEST_ARGS)

# `docker compose up` from a fresh clone on a real Docker engine (tests/compose, docs/docker.md): it builds
# the images, so it is not part of `make test`; it skips, saying why, where no engine answers.
test-compose: setup
	$(PY) -m pytest tests/compose -s $(PYTEST_ARGS)

# The checks are independent. The two mypy runs take most of the time (a fresh clone has no .mypy_cache:
# 30 s and 17 s of CPU), so they run side by side; -O prints each check's output in one piece.
LINTS := lint-ruff lint-mypy lint-mypy-localstack lint-actionlint

lint: setup
	@$(MAKE) --no-print-directory -j2 -O $(LINTS)

lint-ruff:
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .

lint-mypy:
	.venv/bin/mypy scones training local_endpoint lambdas tests/localstack_ext/standins/*.py

lint-mypy-localstack:
	.venv-localstack/bin/mypy --config-file localstack_ext/pyproject.toml localstack_ext/scones_localstack

lint-actionlint:
	.venv/bin/actionlint -shellcheck=.venv/bin/shellcheck .github/workflows/*.yml

# Offline machines: point SCONES_CIFAR_ARCHIVE at a local CIFAR-100 python archive. On the project's own
# machines (no internet) the vehicles-only archive in ../shared is used when nothing else is set.
SHARED_ARCHIVE := $(wildcard ../shared/data/cifar-100-python-vehicles.tar.gz)
ifneq ($(SHARED_ARCHIVE),)
export SCONES_CIFAR_ARCHIVE ?= $(abspath $(SHARED_ARCHIVE))
endif

demo: setup
	.venv/bin/scones demo $(DEMO_ARGS)

bench: setup
	@for b in benchmarks/bench_*.py; do echo "== $$b"; $(PY) $$b || exit 1; done

clean:
	rm -rf .venv .venv-localstack .venv-lambda .venv-endpoint .venv-sdk .venv-installer .scones
