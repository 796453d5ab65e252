# Every target that needs an environment runs the idempotent set-up first (fast when nothing changed).
PY := .venv/bin/python
SETUP := python3 tools/setup.py

.PHONY: setup test demo lint bench clean

setup:
	@$(SETUP)

test: setup
	$(PY) -m pytest $(PYTEST_ARGS)

lint: setup
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .
	.venv/bin/mypy scones training local_endpoint lambdas

demo: setup
	.venv/bin/scones demo

bench: setup
	@for b in benchmarks/bench_*.py; do echo "== $$b"; $(PY) $$b || exit 1; done

clean:
	rm -rf .venv .venv-localstack .venv-lambda .venv-endpoint .scones
