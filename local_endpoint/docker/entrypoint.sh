#!/bin/sh
# SageMaker starts the container as `<image> serve`; anything else runs as a command (e.g. a shell to debug).
# The model is /opt/ml/model unless SCONES_MODEL_DIR / SCONES_MODEL_DATA_URL say otherwise; the port is
# SCONES_ENDPOINT_PORT, else SAGEMAKER_BIND_TO_PORT, else 8080 (local_endpoint.settings).
set -e
if [ "$1" = "serve" ]; then
    shift
    exec python -m local_endpoint serve "$@"
fi
exec "$@"
