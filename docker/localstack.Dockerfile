# LocalStack for `docker compose up`: our pinned localstack-core plus our extensions, run in host mode
# inside the container exactly as `scones up` runs it without Docker. The image also carries the
# stand-in endpoint's venv (Python 3.11) and the Lambda function-runtime venv (Python 3.13), because
# LocalStack launches both as its own child processes: no Docker socket, no auth token.
#
# /opt/scones is laid out like a checkout after `python3 tools/setup.py localstack lambda endpoint`:
# the same venv names, built with the same pip arguments from the same constraints files as
# tools/setup.py's ENVS (tests/test_docker_static.py fails if they drift). Build context: repo root.

# --- Python 3.11 + the stand-in endpoint's venv (constraints/endpoint.txt) -------------------------
FROM python:3.11-slim-trixie AS endpoint-venv
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /opt/scones
COPY constraints/endpoint.txt constraints/endpoint.txt
COPY local_endpoint/requirements.txt local_endpoint/requirements.txt
# `python3.11` by name, so the venv's interpreter link still resolves next to Python 3.13.
RUN python3.11 -m venv .venv-endpoint \
 && .venv-endpoint/bin/python -m pip install --no-cache-dir -c constraints/endpoint.txt -r local_endpoint/requirements.txt

# --- LocalStack's venv + our extensions, and the function-runtime venv (Python 3.13) ----------------
FROM python:3.13-slim-trixie AS localstack-venvs
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /opt/scones
COPY constraints/localstack.txt constraints/function-runtime.txt constraints/
# tools/setup.py's one `pip install -r constraints/localstack.txt -e ./localstack_ext`, split in two layers:
# the pinned set first, so that editing the extensions reinstalls only them (seconds, not minutes).
RUN python3.13 -m venv .venv-localstack \
 && .venv-localstack/bin/python -m pip install --no-cache-dir -c constraints/localstack.txt -r constraints/localstack.txt
RUN python3.13 -m venv .venv-lambda \
 && .venv-lambda/bin/python -m pip install --no-cache-dir -c constraints/function-runtime.txt boto3
COPY localstack_ext/ localstack_ext/
RUN .venv-localstack/bin/python -m pip install --no-cache-dir -c constraints/localstack.txt -e ./localstack_ext

# --- runtime -----------------------------------------------------------------------------------------
FROM python:3.13-slim-trixie
# Same Debian release as the 3.11 stage, so its interpreter finds the same shared libraries here.
COPY --from=endpoint-venv /usr/local/bin/python3.11 /usr/local/bin/python3.11
COPY --from=endpoint-venv /usr/local/lib/python3.11/ /usr/local/lib/python3.11/
COPY --from=endpoint-venv /usr/local/lib/libpython3.11.so.1.0 /usr/local/lib/libpython3.11.so.1.0
WORKDIR /opt/scones
COPY --from=endpoint-venv /opt/scones/.venv-endpoint/ .venv-endpoint/
COPY --from=localstack-venvs /opt/scones/.venv-localstack/ .venv-localstack/
COPY --from=localstack-venvs /opt/scones/.venv-lambda/ .venv-lambda/
# The editable install of our extensions points here; the SageMaker extension derives <repo> from it
# and starts stand-ins with PYTHONPATH=<repo> (docs/contracts.md §2), which finds local_endpoint/.
COPY --from=localstack-venvs /opt/scones/localstack_ext/ localstack_ext/
COPY local_endpoint/ local_endpoint/
RUN ldconfig \
 && PYTHONPATH=/opt/scones .venv-endpoint/bin/python -c "import onnxruntime, PIL, starlette, uvicorn, boto3, local_endpoint" \
 && .venv-lambda/bin/python -c "import boto3" \
 && .venv-localstack/bin/python -c "import localstack.runtime.main, scones_localstack" \
 && groupadd --system --gid 10001 scones \
 && useradd --system --uid 10001 --gid scones --create-home --home-dir /home/scones scones \
 && mkdir -p /var/lib/scones/localstack \
 && chown -R scones:scones /var/lib/scones

# The environment `scones up` gives LocalStack (scones/stack/settings.py, localstack_environment), with
# this image's paths; tests/test_docker_static.py compares the two. OVERRIDE_IN_DOCKER=0 keeps LocalStack
# in host mode instead of its container layout (/var/lib/localstack as root, Docker-network look-ups):
# its filesystem lives under FILESYSTEM_ROOT, a named volume writable by `scones`. GATEWAY_LISTEN binds
# all interfaces of the container, so the compose network reaches it as localstack:4566. Functions
# and stand-ins run in this container: HOSTNAME_FROM_LAMBDA and the GATEWAY_LISTEN port make the
# AWS_ENDPOINT_URL LocalStack injects into functions http://127.0.0.1:4566, and the SageMaker
# extension maps the 0.0.0.0 listen address to 127.0.0.1 for stand-ins. IN_MEMORY_CLIENT: LocalStack's
# own service-to-service calls (Step Functions -> Lambda, logs, events) skip the HTTP loopback.
ENV OVERRIDE_IN_DOCKER=0 \
    FILESYSTEM_ROOT=/var/lib/scones/localstack \
    GATEWAY_LISTEN=0.0.0.0:4566 \
    HOSTNAME_FROM_LAMBDA=127.0.0.1 \
    SERVICES=s3,lambda,stepfunctions,iam,sts,logs,events,sagemaker,sagemaker-runtime \
    DISABLE_EVENTS=1 \
    DNS_ADDRESS=0 \
    SKIP_SSL_CERT_DOWNLOAD=1 \
    LAMBDA_RUNTIME_EXECUTOR=process \
    LAMBDA_PROCESS_PYTHON_MAPPING='{"python3.13": "/opt/scones/.venv-lambda/bin/python"}' \
    LAMBDA_PROCESS_SANDBOX_STATE_FILE=/var/lib/scones/localstack/lambda-sandbox.json \
    SCONES_IAM_ENFORCE=1 \
    SCONES_IAM_DENY_LOG=/var/lib/scones/localstack/iam-denials.jsonl \
    SCONES_ENDPOINT_CMD="/opt/scones/.venv-endpoint/bin/python -m local_endpoint serve" \
    SCONES_PROJECT_ROOT=/opt/scones \
    PYTHONUNBUFFERED=1 \
    IN_MEMORY_CLIENT=1

USER 10001:10001
EXPOSE 4566
HEALTHCHECK --interval=5s --timeout=3s --start-period=30s --retries=12 \
  CMD ["/opt/scones/.venv-localstack/bin/python", "-c", "import urllib.request as u; u.urlopen('http://127.0.0.1:4566/_localstack/health', timeout=2)"]
ENTRYPOINT ["/opt/scones/.venv-localstack/bin/python", "-m", "localstack.runtime.main"]
