import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Database } from '../db/index.js';
import type { Repositories, Storage } from '../repositories/index.js';

export interface MetricsSources {
  database: Database;
  storage: Storage;
  repos: Repositories;
  release: string;
  /** Told once when the database stops answering scrapes, and once when it answers again. */
  onDatabaseStateChange?: (up: boolean, err?: unknown) => void;
}

/** The catalogue facts the backup gauges show, remembered between scrapes. */
interface BackupFacts {
  lastSuccessSeconds: number;
  lastResult: number;
}

/**
 * Every metric BaluHost exports, on a registry of its own (one per app, so tests can build
 * several). Gauges about state (storage, quota, backups, pool) are read when scraped. A scrape
 * never fails because the database does: `baluhost_database_up` says 0, and the gauges read from
 * the database keep their last good values, so Prometheus still sees the process (`up == 1`) and
 * the alert that fires is the database one.
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
  // One database read per scrape, shared by every gauge that needs it.
  let databaseUp: boolean | null = null;
  let quotas: { username: string; usedBytes: number }[] = [];
  let backups: BackupFacts = { lastSuccessSeconds: 0, lastResult: -1 };
  let pendingRead: Promise<void> | null = null;

  async function readDatabase(): Promise<void> {
    try {
      // Bounded by the database's own connect and statement timeouts, like every other query.
      const [users, catalogue] = await Promise.all([
        sources.repos.users.list({ sortBy: 'id', sortOrder: 'asc' }),
        sources.repos.backups.list(),
      ]);
      quotas = users.map((u) => ({ username: u.username, usedBytes: u.usedBytes }));
      const done = catalogue.find((b) => b.status === 'completed' && b.completedAt);
      const last = catalogue.find((b) => b.status === 'completed' || b.status === 'failed');
      backups = {
        lastSuccessSeconds: done?.completedAt ? new Date(done.completedAt).getTime() / 1000 : 0,
        lastResult: last ? (last.status === 'completed' ? 1 : 0) : -1,
      };
      if (databaseUp === false) sources.onDatabaseStateChange?.(true);
      databaseUp = true;
    } catch (err) {
      if (databaseUp !== false) sources.onDatabaseStateChange?.(false, err);
      databaseUp = false;
    }
  }

  /** Reads the database at most once per scrape, however many gauges ask. */
  function fromDatabase(): Promise<void> {
    pendingRead ??= readDatabase().finally(() => {
      pendingRead = null;
    });
    return pendingRead;
  }

  new Gauge({
    name: 'baluhost_database_up',
    help: 'Whether the database answered this scrape (1) or not (0); the database-backed gauges then show their last good values.',
    registers,
    async collect() {
      await fromDatabase();
      this.set(databaseUp ? 1 : 0);
    },
  });
  new Gauge({
    name: 'baluhost_quota_used_bytes',
    help: 'Bytes each user stores (as counted for quotas).',
    labelNames: ['user'] as const,
    registers,
    async collect() {
      await fromDatabase();
      this.reset();
      for (const user of quotas) this.set({ user: user.username }, user.usedBytes);
    },
  });
  new Gauge({
    name: 'baluhost_backup_last_success_timestamp_seconds',
    help: 'When the newest completed backup in the catalogue finished, whoever started it (0: never).',
    registers,
    async collect() {
      await fromDatabase();
      this.set(backups.lastSuccessSeconds);
    },
  });
  new Gauge({
    name: 'baluhost_backup_last_result',
    help: 'Outcome of the newest finished backup in the catalogue: 1 completed, 0 failed, -1 none yet.',
    registers,
    async collect() {
      await fromDatabase();
      this.set(backups.lastResult);
    },
  });

  sources.database.onQuery((event) => metrics.queryDuration.observe({ outcome: event.failed ? 'error' : 'ok' }, event.durationMs / 1000));
  return metrics;
}

export type Metrics = ReturnType<typeof createMetrics>;
