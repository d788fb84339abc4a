import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Database } from '../db/index.js';
import type { Repositories, Storage } from '../repositories/index.js';

export interface MetricsSources {
  database: Database;
  storage: Storage;
  repos: Repositories;
  release: string;
}

/**
 * Every metric BaluHost exports, on a registry of its own (one per app, so tests can build
 * several). Gauges about state (storage, quota, backups, pool) are read when scraped.
 */
export function createMetrics(sources: MetricsSources) {
  const registry = new Registry();
  registry.setDefaultLabels({ release: sources.release });
  collectDefaultMetrics({ register: registry, prefix: 'baluhost_' });
  const registers = [registry];

  const metrics = {
    registry,
    httpDuration: new Histogram({
      name: 'baluhost_http_request_duration_seconds',
      help: 'HTTP request duration by route pattern, method and status.',
      labelNames: ['method', 'route', 'status'] as const,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    }),
    inFlight: new Gauge({ name: 'baluhost_http_requests_in_flight', help: 'Requests being handled now.', registers }),
    errors: new Counter({
      name: 'baluhost_http_errors_total',
      help: 'Error responses by stable error code.',
      labelNames: ['code', 'status'] as const,
      registers,
    }),
    queryDuration: new Histogram({
      name: 'baluhost_db_query_duration_seconds',
      help: 'Database query duration.',
      labelNames: ['outcome'] as const,
      buckets: [0.0005, 0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5],
      registers,
    }),
    authFailures: new Counter({
      name: 'baluhost_auth_failures_total',
      help: 'Failed authentications by reason.',
      labelNames: ['reason'] as const,
      registers,
    }),
    authLockouts: new Counter({ name: 'baluhost_auth_lockouts_total', help: 'Accounts locked after repeated failures.', registers }),
    uploadBytes: new Counter({ name: 'baluhost_upload_bytes_total', help: 'Bytes stored by uploads.', registers }),
    downloadBytes: new Counter({ name: 'baluhost_download_bytes_total', help: 'Bytes served by downloads and share links.', registers }),
  };

  new Gauge({
    name: 'baluhost_db_pool_connections',
    help: 'Database connections by state.',
    labelNames: ['state'] as const,
    registers,
    collect() {
      const s = sources.database.poolStats();
      this.set({ state: 'total' }, s.total);
      this.set({ state: 'idle' }, s.idle);
      this.set({ state: 'waiting' }, s.waiting);
    },
  });
  new Gauge({
    name: 'baluhost_storage_bytes',
    help: 'Storage filesystem size, used and free (available to BaluHost) bytes.',
    labelNames: ['state'] as const,
    registers,
    async collect() {
      const u = await sources.storage.usage();
      this.set({ state: 'total' }, u.totalBytes);
      this.set({ state: 'used' }, u.totalBytes - u.freeBytes);
      this.set({ state: 'free' }, u.availableBytes);
    },
  });
  new Gauge({
    name: 'baluhost_quota_used_bytes',
    help: 'Bytes each user stores (as counted for quotas).',
    labelNames: ['user'] as const,
    registers,
    async collect() {
      this.reset();
      for (const user of await sources.repos.users.list({ sortBy: 'id', sortOrder: 'asc' }))
        this.set({ user: user.username }, user.usedBytes);
    },
  });
  new Gauge({
    name: 'baluhost_backup_last_success_timestamp_seconds',
    help: 'When the newest completed backup finished (0: never).',
    registers,
    async collect() {
      const done = (await sources.repos.backups.list()).find((b) => b.status === 'completed' && b.completedAt);
      this.set(done?.completedAt ? new Date(done.completedAt).getTime() / 1000 : 0);
    },
  });
  new Gauge({
    name: 'baluhost_backup_last_result',
    help: 'Outcome of the newest finished backup: 1 completed, 0 failed, -1 none yet.',
    registers,
    async collect() {
      const last = (await sources.repos.backups.list()).find((b) => b.status === 'completed' || b.status === 'failed');
      this.set(last ? (last.status === 'completed' ? 1 : 0) : -1);
    },
  });

  sources.database.onQuery((event) => metrics.queryDuration.observe({ outcome: event.failed ? 'error' : 'ok' }, event.durationMs / 1000));
  return metrics;
}

export type Metrics = ReturnType<typeof createMetrics>;
