#!/bin/sh
# The container's entrypoint (also runnable in a plain directory: test/e2e/deploy-container.test.ts).
#   entrypoint.sh                 ferry serve on the data dir ($FERRY_DATA, /data in the image)
#   entrypoint.sh ARGS...         ferry ARGS... (user add, repo create, backup...) on that data dir
# Settings come from FERRY_<SECTION>_<KEY> variables (docs/configuration.md); on the first start
# with no users, FERRY_BOOTSTRAP_ADMIN_KEYS (public key lines; "\n" between keys in an env file)
# or the file named by FERRY_BOOTSTRAP_ADMIN_KEYS_FILE (an authorized_keys file, a secret) makes
# the `admin` user with those keys.
set -eu

ferry_home=${FERRY_HOME:-$(CDPATH= cd -- "$(dirname -- "$0")/../.." && pwd)}
: "${FERRY_DATA:=/data}"
export FERRY_DATA

if [ -n "${FERRY_BOOTSTRAP_ADMIN_KEYS_FILE:-}" ]; then
  if [ ! -r "$FERRY_BOOTSTRAP_ADMIN_KEYS_FILE" ]; then
    echo "ferry: cannot read FERRY_BOOTSTRAP_ADMIN_KEYS_FILE=$FERRY_BOOTSTRAP_ADMIN_KEYS_FILE: mount the authorized_keys file there, readable by uid $(id -u)" >&2
    exit 1
  fi
  FERRY_BOOTSTRAP_ADMIN_KEYS=$(cat -- "$FERRY_BOOTSTRAP_ADMIN_KEYS_FILE")
  export FERRY_BOOTSTRAP_ADMIN_KEYS
fi

mkdir -p -- "$FERRY_DATA" 2>/dev/null || true
if [ ! -d "$FERRY_DATA" ] || [ ! -w "$FERRY_DATA" ]; then
  echo "ferry: the data dir $FERRY_DATA is not writable by uid $(id -u): give the volume to that user (chown $(id -u):$(id -g)) or mount another" >&2
  exit 1
fi

[ $# -eq 0 ] && set -- serve
exec node "$ferry_home/bin/ferry.js" "$@"
