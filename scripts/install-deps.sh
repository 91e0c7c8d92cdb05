#!/usr/bin/env bash
# Installs what Ferry and its tests need on a fresh Debian machine, skipping what is there.
#   scripts/install-deps.sh          runtime: mercurial (with mercurial-evolve), git, openssh-client, a C compiler for the
#                                    native addons, node modules, build
#   scripts/install-deps.sh --test   also what the tests drive: chromium, curl, ssh-audit and
#                                    Dropbear's dbclient (the SSH algorithm tests)
set -euo pipefail
cd "$(dirname "$0")/.."
want=(mercurial:hg mercurial-evolve:@evolve git:git openssh-client:ssh curl:curl build-essential:cc make:make python3:python3)
if [ "${1:-}" = "--test" ]; then
  want+=(chromium:chromium ssh-audit:ssh-audit dropbear-bin:dbclient)
fi
missing=()
# A pair names a package and the command that shows it is there; `@evolve` means the evolve and
# topic extensions (Debian's mercurial-evolve, no command of its own) that Ferry's hg loads.
have() {
  case "$1" in
    @evolve) python3 -c 'import hgext3rd.evolve, hgext3rd.topic' >/dev/null 2>&1 ;;
    *) command -v "$1" >/dev/null 2>&1 ;;
  esac
}
for pair in "${want[@]}"; do
  have "${pair#*:}" || missing+=("${pair%%:*}")
done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=; [ "$(id -u)" -ne 0 ] && SUDO=sudo
  echo "installing Debian packages: ${missing[*]}"
  $SUDO apt-get update -q >/dev/null
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
fi
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
# Fixes to dependencies (patches/, e.g. ssh2's SSH algorithms): npm ci applies them; again here for
# a node_modules that predates a patch. Applying an applied patch is a no-op.
npx --no-install patch-package >/dev/null
# The CDN workers' addon (native/, built by npm ci too): again when its source is newer.
addon=build/Release/cdn_syscalls.node
if [ ! -f $addon ] || [ native/cdn_syscalls.c -nt $addon ] || [ binding.gyp -nt $addon ]; then
  npm run --silent build:native >/dev/null
fi
npm run --silent build
