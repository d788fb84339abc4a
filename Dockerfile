# BaluHost API image: built on the NAS by the Pulumi program (or in CI), run as blue/green slots.
# Build stage: dev dependencies, the compiler and the PostgreSQL client package never reach the runtime image.
FROM node:20-bookworm-slim AS build
WORKDIR /app
RUN apt-get update \
    && apt-get install -y --no-install-recommends python3 make g++ postgresql-client-15 \
    && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY app ./app
COPY scripts ./scripts
# Production dependencies only, without what no running process reads (type declarations, source
# maps, docs, and better-sqlite3's C sources once its addon is built).
RUN npm run build \
    && npm prune --omit=dev --no-audit --no-fund \
    && find node_modules -type f \( -name '*.ts' -o -name '*.cts' -o -name '*.mts' -o -name '*.map' -o -name '*.md' \) -delete \
    && find node_modules -depth -type d -empty -delete \
    && rm -rf node_modules/better-sqlite3/deps node_modules/better-sqlite3/src node_modules/better-sqlite3/build/Release/obj* \
    && chmod 0755 dist/scripts/baluhost.js \
    && mkdir -p /pg-tools \
    && cp /usr/lib/postgresql/15/bin/pg_dump /usr/lib/postgresql/15/bin/pg_restore /usr/lib/postgresql/15/bin/psql /pg-tools/

# Runtime: slim Node 20, pg_dump/pg_restore/psql 15 (same major as the database image) on libpq, non-root.
FROM node:20-bookworm-slim
# Everything the app writes lives under one folder, so one volume keeps it all; the stack mounts
# storage and backups separately and sets these paths itself.
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=8000 \
    BALUHOST_DATA_DIR=/var/lib/baluhost \
    BALUHOST_SHUTDOWN_TIMEOUT_MS=25000
RUN apt-get update \
    && apt-get install -y --no-install-recommends libpq5 libreadline8 tini \
    && rm -rf /var/lib/apt/lists/* /var/cache/apt/* /var/log/apt /var/log/dpkg.log \
    && groupadd --system --gid 10001 baluhost \
    && useradd --system --uid 10001 --gid baluhost --home-dir /nonexistent --no-create-home --shell /usr/sbin/nologin baluhost \
    && install -d -o baluhost -g baluhost -m 0750 /var/lib/baluhost /srv/storage /var/log/baluhost /backups
COPY --from=build /pg-tools/ /usr/local/bin/
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/package.json ./package.json
RUN ln -s /app/dist/scripts/baluhost.js /usr/local/bin/baluhost
USER baluhost
EXPOSE 8000
# Liveness only (/api/health needs no database); the deploy health gate uses /api/ready.
HEALTHCHECK --interval=15s --timeout=5s --retries=4 CMD ["baluhost", "health"]
# tini forwards SIGTERM so the app drains in-flight requests before the container stops; give the
# container a stop grace longer than BALUHOST_SHUTDOWN_TIMEOUT_MS (docker stop -t 30, the stack sets 45).
ENTRYPOINT ["tini", "--"]
CMD ["baluhost", "serve"]
