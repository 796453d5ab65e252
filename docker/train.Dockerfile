# The `train` service of docker-compose.yml (profile `train`): the scones CLI with the `train` extra, for
# Docker users with no Python 3.11 or torch on the host. `docker compose --profile train run --rm train`
# stages the CIFAR-100 vehicle images and trains the model into the checkout's ./artifacts/model, as
# `make demo`'s first two steps do on a host (docker/train.sh).
#
# Installed from the same constraints file as tools/setup.py's project venv. torch 2.14.1 from PyPI brings
# its CUDA libraries (the same wheels the host venv gets), so the image is large (docs/docker.md says how
# large); training runs on the CPU. The dependencies are installed from pyproject.toml alone first, so
# editing the sources does not download torch again. Build context: the repository root.

FROM python:3.11-slim-trixie
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /opt/scones
COPY constraints/project.txt constraints/project.txt
COPY pyproject.toml README.md ./
# The project's dependencies plus the train extra, as pyproject.toml lists them (no sources needed yet).
RUN python3.11 -m venv .venv \
 && .venv/bin/python -c "import tomllib; p = tomllib.load(open('pyproject.toml', 'rb'))['project']; print('\n'.join(p['dependencies'] + p['optional-dependencies']['train']))" > /tmp/requirements.txt \
 && .venv/bin/python -m pip install --no-cache-dir -c constraints/project.txt -r /tmp/requirements.txt \
 && rm /tmp/requirements.txt
COPY scones/ scones/
COPY training/ training/
COPY local_endpoint/ local_endpoint/
COPY lambdas/ lambdas/
COPY statemachine/ statemachine/
COPY docker/train.sh docker/train.sh
RUN .venv/bin/python -m pip install --no-cache-dir --no-deps -c constraints/project.txt -e . \
 && .venv/bin/python -c "import torch, torchvision, onnx, training.train, training.stage" \
 && .venv/bin/scones train --help > /dev/null
# Starts as root only to take on the owner of the mounted checkout (docker/train.sh), so what it writes
# into ./data and ./artifacts belongs to the host user; HOME is writable by any user (torch's caches).
ENV PATH=/opt/scones/.venv/bin:$PATH \
    HOME=/tmp \
    PYTHONUNBUFFERED=1
WORKDIR /workspace
ENTRYPOINT ["/opt/scones/docker/train.sh"]
