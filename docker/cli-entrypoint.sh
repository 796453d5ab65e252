#!/bin/sh
# Entrypoint of the scones CLI image: `scones "$@"`, with one exception for `docker compose up` on a fresh
# clone. docker-compose.yml sets SCONES_COMPOSE_MODEL to where the checkout's model would be; when the
# command is a plain `deploy` (no --model) and nothing is there yet, deploying is skipped with one line
# saying how to get a model, and the service exits 0, so LocalStack stays up and usable. Outside compose
# (SCONES_COMPOSE_MODEL unset) or with an explicit --model, `scones deploy` behaves as everywhere else:
# a missing model is an error.
set -eu
if [ "${1:-}" = deploy ] && [ -n "${SCONES_COMPOSE_MODEL:-}" ]; then
    explicit=no
    for arg in "$@"; do
        case $arg in --model | --model=*) explicit=yes ;; esac
    done
    if [ "$explicit" = no ]; then
        if [ ! -e "$SCONES_COMPOSE_MODEL" ]; then
            echo "scones: no model at ./artifacts/model, nothing deployed (LocalStack is up): train one with" \
                "'docker compose --profile train run --rm train' (or 'make demo'), then 'docker compose up deploy'"
            exit 0
        fi
        set -- "$@" --model "$SCONES_COMPOSE_MODEL"
    fi
fi
exec scones "$@"
