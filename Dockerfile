# BaluHost API image: built on the NAS by the Pulumi program (or in CI), run as blue/green slots.
# Build stage: dev dependencies and the TypeScript compiler never reach the runtime image.
FROM node:20-bookworm-slim AS build
WORKDIR /app
RUN apt-get update \
    && apt-get install -y --no-install-recommends python3 make g++ \
    && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY app ./app
COPY scripts ./scripts
RUN npm run build \
    && npm prune --omit=dev --no-audit --no-fund

# Runtime: slim Node 20, pg_dump/pg_restore 15 for backups (same major as the database image), non-root.
FROM node:20-bookworm-slim
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=8000
RUN apt-get update \
    && apt-get install -y --no-install-recommends postgresql-client curl tini ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --system --gid 10001 baluhost \
    && useradd --system --uid 10001 --gid baluhost --home-dir /nonexistent --no-create-home --shell /usr/sbin/nologin baluhost \
    && install -d -o baluhost -g baluhost -m 0750 /var/lib/baluhost /srv/storage /var/log/baluhost /backups
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/package.json ./package.json
USER baluhost
EXPOSE 8000
# Liveness only (/api/health needs no database); the deploy health gate uses /api/ready.
HEALTHCHECK --interval=15s --timeout=5s --retries=4 \
    CMD curl -fsS http://127.0.0.1:8000/api/health || exit 1
# tini forwards SIGTERM so the app drains in-flight requests before the container stops.
ENTRYPOINT ["tini", "--"]
CMD ["node", "dist/app/src/server.js"]
