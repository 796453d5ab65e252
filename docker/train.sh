#!/bin/sh
# Entrypoint of the train image: `docker compose --profile train run --rm train [scones train options]`.
# The checkout is mounted at /workspace; this stages the CIFAR-100 vehicle images into
# data/cifar100-vehicles (once) and runs `scones train` there, so the model lands in ./artifacts/model as
# with `make demo` on a host. Offline: put a CIFAR-100 python archive in the checkout and pass
# `-e SCONES_CIFAR_ARCHIVE=<its path relative to the checkout>`. Runs as the checkout's owner (taken from
# the mount), so the files it writes are the host user's, not root's.
set -eu
cd /workspace
owner=$(stat -c %u /workspace):$(stat -c %g /workspace)
if [ "$(id -u)" = 0 ] && [ "$owner" != 0:0 ]; then
    exec setpriv --reuid="${owner%:*}" --regid="${owner#*:}" --clear-groups -- "$0" "$@"
fi
data=data/cifar100-vehicles
if [ ! -f "$data/train.lst" ] || [ ! -f "$data/test.lst" ]; then
    scones stage --out "$data"
fi
exec scones train --data-dir "$data" --out artifacts/model "$@"
