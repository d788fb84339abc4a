import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe } from 'vitest';
import { buildApp } from '../../app/src/app.js';
import { parseConfig, type Config } from '../../app/src/config/index.js';
import type { Clock } from '../../app/src/repositories/index.js';
import { createDatabase, migrateToLatest, type Database, type Dialect } from '../../app/src/db/index.js';
import { createLogger } from '../../app/src/logger.js';
import { createThrowawayDatabase, type ThrowawayDatabase } from './postgres.js';
import { leakedSecrets } from './secrets.js';

export const DIALECTS: readonly Dialect[] = ['sqlite', 'postgres'];
export const TEST_SECRET_KEY = 'test-secret-key-0123456789-abcdefghijklmnop';

/** Captures every log line the app writes, parsed, so tests can look for fields and for leaks. */
export class LogCapture extends Writable {
  readonly lines: string[] = [];
  override _write(chunk: Buffer, _enc: string, done: () => void): void {
    this.lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
    done();
  }
  get entries(): Record<string, unknown>[] {
    return this.lines.map((l) => JSON.parse(l) as Record<string, unknown>);
  }
  get text(): string {
    return this.lines.join('\n');
  }
}

export interface TestEnv {
  dialect: Dialect;
  dir: string;
  config: Config;
  database: Database;
  app: FastifyInstance;
  logs: LogCapture;
}

export interface TestEnvOptions {
  env?: Record<string, string>;
  /** Use this PostgreSQL server's admin URL instead of the shared one (a throwaway database is still made). */
  postgresAdminUrl?: string;
  migrate?: boolean;
  /** A controllable clock (lockouts, session timeouts). */
  clock?: Clock;
}

/** A database (temp SQLite file or throwaway PostgreSQL database), migrated, and an app on it. */
export async function createTestEnv(dialect: Dialect, options: TestEnvOptions = {}): Promise<TestEnv & { close(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'baluhost-test-'));
  let pgDb: ThrowawayDatabase | undefined;
  if (dialect === 'postgres') pgDb = await createThrowawayDatabase('baluhost_t', options.postgresAdminUrl);
  const config = parseConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: 'info',
    BALUHOST_DATA_DIR: dir,
    BALUHOST_SECRET_KEY: TEST_SECRET_KEY,
    BALUHOST_TELEMETRY_INTERVAL_MS: '0',
    // A busy 2-core CI box lags the event loop by seconds; load shedding is tested on its own.
    BALUHOST_MAX_EVENT_LOOP_DELAY_MS: '0',
    // Every inject comes from one address: per-address limits are on by default in production and
    // proven in tests/security; feature tests log in dozens of times a minute.
    BALUHOST_AUTH_RATE_LIMIT_PER_MINUTE: '0',
    BALUHOST_API_RATE_LIMIT_PER_MINUTE: '0',
    ...(pgDb ? { DATABASE_URL: pgDb.url } : {}),
    ...options.env,
  });
  const logs = new LogCapture();
  const logger = createLogger(config, logs);
  const database = createDatabase(config.database, logger);
  if (options.migrate !== false) await migrateToLatest(database.db, database.dialect);
  const app = await buildApp({ config, database, logger, ...(options.clock ? { clock: options.clock } : {}) });
  await app.ready();
  return {
    dialect,
    dir,
    config,
    database,
    app,
    logs,
    async close() {
      await app.close();
      await database.destroy();
      await pgDb?.drop();
      await rm(dir, { recursive: true, force: true });
      const leaked = leakedSecrets(logs.text);
      if (leaked.length > 0)
        throw new Error(
          `Secrets appeared in the logs of a ${dialect} test environment: ${leaked.map((l) => `${l.slice(0, 6)}…`).join(', ')}`,
        );
    },
  };
}

/** The app's address on loopback, listening once per test environment (for what inject cannot do: real connections). */
export async function baseUrl(e: TestEnv): Promise<string> {
  const bound = e.app.server.address();
  return bound && typeof bound === 'object' ? `http://127.0.0.1:${bound.port}` : e.app.listen({ port: 0, host: '127.0.0.1' });
}

/**
 * Runs the same suite once per dialect. Each run gets its own database; the title names the dialect
 * so the output shows both were executed.
 */
export function describeEachDialect(title: string, suite: (env: () => TestEnv) => void, options: TestEnvOptions = {}): void {
  for (const dialect of DIALECTS) {
    describe(`${title} [${dialect}]`, () => {
      let current: (TestEnv & { close(): Promise<void> }) | undefined;
      beforeAll(async () => {
        current = await createTestEnv(dialect, options);
      });
      afterAll(async () => {
        await current?.close();
      });
      suite(() => {
        if (!current) throw new Error('test env not ready');
        return current;
      });
    });
  }
}
