import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import SqliteDriver from 'better-sqlite3';
import { Kysely, PostgresDialect, SqliteDialect, sql, type LogEvent, type SqliteDatabase, type SqliteStatement } from 'kysely';
import pg from 'pg';
import type { Logger } from 'pino';
import type { DatabaseConfig, PostgresDatabaseConfig, SqliteDatabaseConfig } from '../config/index.js';
import { ServiceUnavailableError } from '../errors/index.js';
import type { DB } from './schema.js';

export type Dialect = 'sqlite' | 'postgres';

export interface QueryEvent {
  sql: string;
  durationMs: number;
  failed: boolean;
}

export interface PoolStats {
  total: number;
  idle: number;
  waiting: number;
}

export interface Database {
  readonly db: Kysely<DB>;
  readonly dialect: Dialect;
  /** Subscribes to every executed query (timings, failures); returns the unsubscribe function. */
  onQuery: (listener: (event: QueryEvent) => void) => () => void;
  poolStats(): PoolStats;
  /** Round-trips a trivial query; rejects with ServiceUnavailableError after `timeoutMs`. */
  ping(timeoutMs: number): Promise<void>;
  destroy(): Promise<void>;
}

export function createDatabase(config: DatabaseConfig, logger?: Logger): Database {
  return config.kind === 'sqlite' ? createSqlite(config) : createPostgres(config, logger);
}

/** Kysely's log hook fanned out to listeners (metrics, slow-query warnings). */
function queryEvents() {
  const listeners = new Set<(event: QueryEvent) => void>();
  return {
    log: (event: LogEvent) => {
      if (listeners.size === 0) return;
      const e = { sql: event.query.sql, durationMs: event.queryDurationMillis, failed: event.level === 'error' };
      for (const listener of listeners) listener(e);
    },
    onQuery: (listener: (event: QueryEvent) => void) => {
      listeners.add(listener);
      return () => void listeners.delete(listener);
    },
  };
}

function createSqlite(config: SqliteDatabaseConfig): Database {
  if (config.file !== ':memory:') mkdirSync(dirname(config.file), { recursive: true });
  const driver = new SqliteDriver(config.file);
  driver.pragma('journal_mode = WAL');
  driver.pragma('foreign_keys = ON');
  driver.pragma(`busy_timeout = ${Math.trunc(config.busyTimeoutMs)}`);
  // WAL + NORMAL is durable across application crashes; only an OS crash may lose the last commit.
  driver.pragma('synchronous = NORMAL');
  const events = queryEvents();
  const db = new Kysely<DB>({ dialect: new SqliteDialect({ database: bindableSqlite(driver) }), log: events.log });
  return {
    db,
    dialect: 'sqlite',
    onQuery: events.onQuery,
    // One connection, used in turn: Kysely queues callers itself.
    poolStats: () => ({ total: 1, idle: 1, waiting: 0 }),
    async ping() {
      await sql`select 1`.execute(db);
    },
    destroy: () => db.destroy(),
  };
}

/**
 * better-sqlite3 refuses to bind JavaScript booleans; SQLite stores them as 0/1 anyway. Converting at
 * the driver boundary lets repositories write `is_active: true` on both dialects.
 */
function bindableSqlite(driver: SqliteDriver.Database): SqliteDatabase {
  const toSqlite = (params: ReadonlyArray<unknown>) => params.map((p) => (typeof p === 'boolean' ? (p ? 1 : 0) : p));
  return {
    close: () => driver.close(),
    prepare(query: string): SqliteStatement {
      const statement = driver.prepare(query);
      return {
        reader: statement.reader,
        all: (params) => statement.all(...toSqlite(params)),
        run: (params) => statement.run(...toSqlite(params)),
        iterate: (params) => statement.iterate(...toSqlite(params)),
      };
    },
  };
}

const PG_INT8 = 20;
const PG_TIMESTAMP = 1114;
const PG_TIMESTAMPTZ = 1184;

/**
 * Both dialects return the same JavaScript values: 64-bit integers as numbers (byte sizes stay far
 * below 2^53) and timestamps as ISO-8601 strings, exactly what SQLite stores.
 */
const pgTypes = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === PG_INT8) return (value: string) => Number(value);
    if (oid === PG_TIMESTAMPTZ) return (value: string) => new Date(value).toISOString();
    if (oid === PG_TIMESTAMP) return (value: string) => new Date(`${value}Z`).toISOString();
    return pg.types.getTypeParser(oid, format) as (value: string) => unknown;
  },
};

function createPostgres(config: PostgresDatabaseConfig, logger?: Logger): Database {
  const pool = new pg.Pool({
    connectionString: config.url,
    max: config.poolMax,
    idleTimeoutMillis: config.idleTimeoutMs,
    connectionTimeoutMillis: config.connectTimeoutMs,
    statement_timeout: config.statementTimeoutMs,
    application_name: 'baluhost',
    types: pgTypes,
  });
  // An idle client whose server went away emits 'error' on the pool; unhandled, it would kill the process.
  pool.on('error', (err) =>
    logger?.warn({ err: { message: err.message, code: (err as { code?: string }).code } }, 'PostgreSQL idle client error'),
  );
  const events = queryEvents();
  const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool }), log: events.log });
  return {
    db,
    dialect: 'postgres',
    onQuery: events.onQuery,
    poolStats: () => ({ total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount }),
    async ping(timeoutMs: number) {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new ServiceUnavailableError(`Database did not answer within ${timeoutMs} ms`, 'database_unavailable')),
          timeoutMs,
        );
      });
      try {
        await Promise.race([sql`select 1`.execute(db), timeout]);
      } finally {
        clearTimeout(timer);
      }
    },
    destroy: () => db.destroy(),
  };
}
