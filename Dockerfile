# docker-fleet-exporter: build with `docker build -t docker-fleet-exporter .`
# Behind a TLS-intercepting proxy, give npm the proxy's CA (PEM text; certificates are public, and
# the argument stays in the build stage, never in the final image):
#   docker build --build-arg EXTRA_CA_CERTS="$(cat proxy-ca.pem)" -t docker-fleet-exporter .
FROM node:20-bookworm-slim AS build
WORKDIR /app
ARG EXTRA_CA_CERTS=""
COPY package.json package-lock.json tsconfig.json ./
# npm has exited 0 after a failed install ("Exit handler never called!"), so the install is checked
# here, in the same step: a failed `npm ci` stops the build now, not later as "tsc: not found".
RUN set -e; \
    if [ -n "$EXTRA_CA_CERTS" ]; then \
      export NODE_EXTRA_CA_CERTS="$PWD/.extra-ca.pem"; \
      printf '%s\n' "$EXTRA_CA_CERTS" >"$NODE_EXTRA_CA_CERTS"; \
      grep -q 'BEGIN CERTIFICATE' "$NODE_EXTRA_CA_CERTS" || { echo "EXTRA_CA_CERTS holds no PEM certificate" >&2; exit 1; }; \
    fi; \
    npm ci --no-audit --no-fund || { echo "npm ci failed (exit $?)" >&2; exit 1; }; \
    test -x node_modules/.bin/tsc || { echo "npm ci installed no node_modules/.bin/tsc: the install failed (behind a TLS-intercepting proxy, pass its CA with --build-arg EXTRA_CA_CERTS)" >&2; exit 1; }; \
    rm -f .extra-ca.pem
COPY src src
COPY workers workers
# --offline: npm ci's cache has all prune needs; online, prune went back to the registry (without
# the proxy CA here) and spent ~2 min in retries. /out: what the runtime stage needs, for one COPY
# (each step of the classic builder copies the whole image on the vfs storage driver).
RUN npm run build && npm prune --omit=dev --offline --no-audit --no-fund && mkdir /out && mv package.json node_modules dist /out/

FROM node:20-bookworm-slim
WORKDIR /app
# MALLOC_ARENA_MAX, NODE_OPTIONS: peak memory at fleet scale (docs/performance.md): fewer glibc
# arenas and a smaller V8 young generation took a 2,000-container scrape from ~255 to ~216 MB RSS.
# DOCKER_FLEET_EXPORTER_*: settings in the environment, not in CMD, because Docker runs the
# HEALTHCHECK with the container's environment but without CMD's arguments, and `healthcheck`
# reads the same variables as the server. Change the address with
# `docker run -e DOCKER_FLEET_EXPORTER_WEB_LISTEN_ADDRESS=:9500 ...` (a --web.listen-address
# argument would move the server but not the healthcheck).
ENV NODE_ENV=production MALLOC_ARENA_MAX=2 NODE_OPTIONS=--max-semi-space-size=4 \
    DOCKER_FLEET_EXPORTER_CONFIG_FILE=/etc/docker-fleet-exporter/config.yml \
    DOCKER_FLEET_EXPORTER_WEB_LISTEN_ADDRESS=:9417
COPY --from=build /out /app
# The default fleet is this host's own socket; mount your fleet over this file.
COPY config/docker-default.yml /etc/docker-fleet-exporter/config.yml
# Non-root. To read /var/run/docker.sock the container needs the socket's group:
#   docker run --group-add "$(stat -c %g /var/run/docker.sock)" -v /var/run/docker.sock:/var/run/docker.sock ...
USER node
EXPOSE 9417
HEALTHCHECK --interval=30s --timeout=3s CMD ["node", "/app/dist/src/cli.js", "healthcheck"]
ENTRYPOINT ["node", "/app/dist/src/cli.js"]
# Flags for the server go here (`docker run IMAGE --log.level=debug`); none by default.
CMD []
