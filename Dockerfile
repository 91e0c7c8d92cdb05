# Ferry's container image (README.md, "Deploy"). Build:  podman build -t ferry .   (or docker build)
# BASE is any Debian 13 (trixie) image: Node 20 and Mercurial come from Debian's own packages.
# Without a registry, make one from Debian's mirror (test/e2e/deploy-container.test.ts does):
#   mmdebstrap --variant=apt trixie base.tar && podman import base.tar ferry-debian-base
#   podman build --build-arg BASE=localhost/ferry-debian-base -t ferry .
ARG BASE=docker.io/library/debian:trixie-slim

# ---- build: node modules (native addons compiled here), TypeScript → dist/ ----
FROM ${BASE} AS build
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      nodejs npm node-gyp libnode-dev build-essential python3 ca-certificates \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
# Node's headers from Debian's libnode-dev, not a download from nodejs.org.
ENV npm_config_nodedir=/usr
COPY package.json package-lock.json binding.gyp ./
COPY patches patches
COPY native native
COPY scripts scripts
# Behind a TLS-inspecting proxy, pass its CA certificates (PEM text) to reach the npm registry:
#   --build-arg EXTRA_CA_CERTS="$(cat /usr/local/share/ca-certificates/*.crt)"   (build stage only)
ARG EXTRA_CA_CERTS=""
RUN if [ -n "$EXTRA_CA_CERTS" ]; then printf '%s\n' "$EXTRA_CA_CERTS" > /tmp/extra-ca.pem; export NODE_EXTRA_CA_CERTS=/tmp/extra-ca.pem; fi \
 && npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY src src
COPY bin bin
COPY test test
COPY bench bench
RUN npm run --silent build && npm prune --omit=dev --no-audit --no-fund \
 && rm -rf dist/test dist/bench

# ---- runtime: node, hg (with evolve and chg), git, git-lfs; no compiler ----
FROM ${BASE}
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      nodejs mercurial mercurial-evolve git git-lfs openssh-client ca-certificates tini \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --user-group --home-dir /data --no-create-home --shell /usr/sbin/nologin ferry \
 && mkdir -p /data && chown ferry:ferry /data && chmod 0750 /data
WORKDIR /opt/ferry
COPY --from=build /src/package.json ./
COPY --from=build /src/node_modules node_modules
COPY --from=build /src/build/Release build/Release
COPY --from=build /src/dist dist
COPY bin bin
COPY deploy/docker deploy/docker
# Every setting can be given as FERRY_<SECTION>_<KEY> (docs/configuration.md); these make the
# container reachable through its published ports.
ENV FERRY_DATA=/data \
    FERRY_SSH_LISTEN=0.0.0.0 FERRY_SSH_PORT=2222 \
    FERRY_HTTP_LISTEN=0.0.0.0 FERRY_HTTP_PORT=8080
USER ferry
VOLUME ["/data"]
EXPOSE 2222 8080
HEALTHCHECK --interval=30s --timeout=10s --start-period=30s --retries=3 CMD ["node", "/opt/ferry/deploy/docker/healthcheck.mjs"]
ENTRYPOINT ["/usr/bin/tini", "--", "/opt/ferry/deploy/docker/entrypoint.sh"]
CMD ["serve"]
