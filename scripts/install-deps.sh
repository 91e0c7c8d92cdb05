#!/usr/bin/env bash
# Installs what Ferry and its tests need on a fresh Debian machine, skipping what is there, and
# says what it does: one line per step, with apt-get's and npm's progress summarized.
#   scripts/install-deps.sh          runtime: mercurial (with mercurial-evolve), git, openssh-client, a C compiler for the
#                                    native addons, node modules, build
#   scripts/install-deps.sh --test   also what the tests drive: chromium, curl, git-lfs, ssh-audit and
#                                    Dropbear's dbclient (the SSH algorithm tests), unzip (the API archive test),
#                                    systemd-analyze and setpriv (the systemd unit test), postgresql
#                                    (a throwaway server for the PostgreSQL store tests); with
#                                    FERRY_TEST_CONTAINER=1 podman, mmdebstrap and runc (the image test)
set -euo pipefail
cd "$(dirname "$0")/.."
step() { printf 'ferry: %s\n' "$*"; }

want=(mercurial:hg mercurial-evolve:@evolve git:git openssh-client:ssh curl:curl build-essential:cc make:make python3:python3)
if [ "${1:-}" = "--test" ]; then
  want+=(chromium:chromium ssh-audit:ssh-audit dropbear-bin:dbclient unzip:unzip git-lfs:git-lfs)
  # The PostgreSQL store tests and e2e runs: a throwaway server (test/support/postgres.ts).
  want+=(postgresql:@postgresql)
  # The multi-node e2e test: haproxy in front of three nodes (deploy/haproxy.cfg).
  want+=(haproxy:haproxy)
  # The deploy tests: the systemd unit (systemd-analyze, setpriv), and when asked for
  # (FERRY_TEST_CONTAINER=1) the container image (podman, a Debian base made by mmdebstrap; runc
  # where crun refuses the host's cgroups).
  want+=(systemd:systemd-analyze util-linux:setpriv strace:strace procps:ps e2fsprogs:chattr openssl:openssl)
  # netavark (podman's network stack, which --no-install-recommends would swap for the older CNI
  # plugins) and iptables publish the container's ports (-p).
  if [ "${FERRY_TEST_CONTAINER:-}" = "1" ]; then want+=(podman:podman mmdebstrap:mmdebstrap runc:runc netavark:/usr/lib/podman/netavark iptables:iptables); fi
fi
missing=()
# A pair names a package and the command that shows it is there; `@evolve` means the evolve and
# topic extensions (Debian's mercurial-evolve, no command of its own) that Ferry's hg loads.
have() {
  case "$1" in
    @evolve) dpkg-query -W -f='${Status}' mercurial-evolve 2>/dev/null | grep -q 'ok installed' ;;
    @postgresql) compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null ;;
    *) command -v "$1" >/dev/null 2>&1 ;;
  esac
}
for pair in "${want[@]}"; do
  have "${pair#*:}" || missing+=("${pair%%:*}")
done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=; [ "$(id -u)" -ne 0 ] && SUDO=sudo
  step "[1/4] Debian packages: installing ${missing[*]} (apt-get; this is the slow step, a few minutes)"
  echo "      apt-get update"
  $SUDO apt-get update -q | sed -un 's/^\(Get\|Hit\|Err\):[0-9]* *\([^ ]*\) \([^ ]*\).*/      \1 \2 \3/p'
  # One line per package as apt-get fetches and sets it up; errors go to stderr as apt-get wrote them.
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends -o Dpkg::Progress-Fancy=0 "${missing[@]}" |
    sed -un -e 's/^Get:[0-9]* [^ ]* [^ ]* [^ ]* \([^ ]*\) [^ ]* \([^ ]*\).*/      fetched \1 \2/p' -e 's/^Setting up \([^ ]*\).*/      set up \1/p' \
      -e 's/^\([0-9]* upgraded, [0-9]* newly installed.*\)/      \1/p'
else
  step "[1/4] Debian packages: all there (${want[*]%%:*})"
fi
# What node_modules is installed from: the lock file and each patch to a dependency (patches/, e.g.
# ssh2's SSH algorithms, applied by npm ci's postinstall). npm ci records it in $deps_stamp.
deps_stamp=node_modules/.ferry-deps
deps_fingerprint() {
  cat package-lock.json
  local patch
  for patch in patches/*.patch; do
    [ -e "$patch" ] && printf '\n== %s\n' "$patch" && cat "$patch"
  done
  return 0
}
# node_modules is stale when missing or installed from another lock file or patches. Contents are
# compared, not times: a checkout or a copy gives the lock file a new time and nothing else, and
# npm ci takes minutes. With no record yet (node_modules from before the record), the old rule:
# stale when older than the lock file or a patch.
stale_modules() {
  [ -d node_modules ] || return 0
  if [ -f "$deps_stamp" ]; then
    [ "$(deps_fingerprint)" = "$(cat "$deps_stamp")" ] && return 1
    return 0
  fi
  [ package-lock.json -nt node_modules/.package-lock.json ] && return 0
  local patch
  for patch in patches/*.patch; do
    [ -e "$patch" ] && [ "$patch" -nt node_modules/.package-lock.json ] && return 0
  done
  return 1
}
if stale_modules; then
  step "[2/4] node modules: npm ci (downloads and builds them; a minute or two)"
  # npm prints "added N packages in Ts" (and its warnings); install scripts stay quiet unless they fail.
  npm ci --no-audit --no-fund --loglevel=notice 2>&1 | sed -u -e "/^\s*$/d" -e "s/^/      /"
  if [ -d node_modules ]; then deps_fingerprint >"$deps_stamp"; fi
else
  step "[2/4] node modules: up to date"
  [ -f "$deps_stamp" ] || deps_fingerprint >"$deps_stamp"
fi
# The CDN workers' addon (native/, built by npm ci too): again when its source is newer.
addon=build/Release/cdn_syscalls.node
if [ ! -f $addon ] || [ native/cdn_syscalls.c -nt $addon ] || [ binding.gyp -nt $addon ]; then
  step "[3/4] native addon: building native/cdn_syscalls.c (node-gyp)"
  npm run --silent build:native 2>&1 | grep -E '^(ferry:|gyp ERR!)' | sed -u 's/^/      /' || true
else
  step "[3/4] native addon: up to date"
fi
step "[4/4] compiling TypeScript (npm run build)"
npm run --silent build
