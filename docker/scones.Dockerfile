# The scones CLI (Python 3.11) for the one-shot `deploy` service of docker-compose.yml, and for any
# other command run against the stack: `docker compose run --rm deploy <command>`.
#
# Installed as tools/setup.py installs the project venv (same constraints file, editable, so the CLI
# finds lambdas/ and statemachine/ next to its package) but without the `dev` and `train` extras:
# deploying needs boto3 and the artifact on disk, not torch. Build context: the repository root.

FROM python:3.11-slim-trixie AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /opt/scones
COPY constraints/project.txt constraints/project.txt
COPY pyproject.toml ./
# The dependencies pyproject.toml lists (no extras) in a layer of their own, so that editing the sources
# reinstalls only the project (seconds), not every wheel.
RUN python3.11 -m venv .venv \
 && .venv/bin/python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" > /tmp/requirements.txt \
 && .venv/bin/python -m pip install --no-cache-dir -c constraints/project.txt -r /tmp/requirements.txt \
 && rm /tmp/requirements.txt
COPY README.md ./
COPY scones/ scones/
COPY training/ training/
COPY local_endpoint/ local_endpoint/
COPY lambdas/ lambdas/
COPY statemachine/ statemachine/
RUN .venv/bin/python -m pip install --no-cache-dir -c constraints/project.txt -e . \
 && .venv/bin/scones --help > /dev/null

FROM python:3.11-slim-trixie
COPY --from=build /opt/scones/ /opt/scones/
COPY docker/cli-entrypoint.sh /opt/scones/docker/cli-entrypoint.sh
RUN groupadd --system --gid 10001 scones \
 && useradd --system --uid 10001 --gid scones --create-home --home-dir /home/scones scones \
 && mkdir -p /opt/scones/.scones \
 && chown scones:scones /opt/scones/.scones
# No AWS settings baked in: docker-compose.yml gives `deploy` the local stack's; `--target aws` users
# pass their own.
ENV PATH=/opt/scones/.venv/bin:$PATH \
    PYTHONUNBUFFERED=1
USER 10001:10001
WORKDIR /opt/scones
# `scones "$@"`; under compose, a plain `deploy` with no model yet says so and exits 0 (see the script).
ENTRYPOINT ["/opt/scones/docker/cli-entrypoint.sh"]
CMD ["--help"]
