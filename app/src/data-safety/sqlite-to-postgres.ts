import { mkdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type SqliteDriver from 'better-sqlite3';
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { sha256File } from '../backups/checksum.js';
import { DATA_TABLES, migrateToLatest } from '../db/index.js';
import { DigestAccumulator, type TableDigest } from './canonical-hash.js';
import { maskUrl } from './connection-url.js';
import { readTableShapes, type TableShape } from './pg-catalog.js';
import type { ProgressReporter } from './progress.js';
import { canonicalRows, countRows, openBaluhostSqlite, snapshotSqlite } from './sqlite-source.js';
import { copyField } from './value-conversion.js';
import { verifyTables, VerificationError, type TableVerification } from './verify.js';

export const STATE_TABLE = 'baluhost_migration_state';
/** pg_try_advisory_lock key: one migration per target server at a time. */
const LOCK_KEY = 7_340_221_001;
const ROWS_PER_CHUNK = 500;

export class TargetError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TargetError';
  }
}

export interface MigrateOptions {
  source: string;
  target: string;
  workDir: string;
  resume: boolean;
  dryRun: boolean;
  progress: ProgressReporter;
}

export interface TableReport {
  table: string;
  rows: number;
  copied: boolean;
  seconds: number;
}

export interface MigrationReport {
  ok: boolean;
  dry_run: boolean;
  source: { file: string; snapshot: string | null; sha256: string | null };
  target: string;
  started_at: string;
  finished_at: string;
  plan: { table: string; rows: number }[];
  tables: TableReport[];
  verification: TableVerification[];
  timings: { snapshot_s: number; schema_s: number; copy_s: number; verify_s: number; total_s: number };
}

const seconds = (since: bigint) => Number(process.hrtime.bigint() - since) / 1e9;

async function connect(url: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000, application_name: 'baluhost-migrate' });
  try {
    await client.connect();
  } catch (err) {
    throw new TargetError(`Cannot reach the target ${maskUrl(url)}: ${(err as Error).message}`);
  }
  client.on('error', () => undefined);
  return client;
}

async function targetState(client: pg.Client): Promise<{ hasData: boolean; hasState: boolean }> {
  const hasState =
    (await client.query<{ present: boolean }>(`select to_regclass($1) is not null as present`, [STATE_TABLE])).rows[0]?.present === true;
  let hasData = false;
  for (const table of DATA_TABLES) {
    const present =
      (await client.query<{ present: boolean }>(`select to_regclass($1) is not null as present`, [table])).rows[0]?.present === true;
    if (present && (await client.query<{ any: boolean }>(`select exists (select 1 from "${table}") as any`)).rows[0]?.any) {
      hasData = true;
      break;
    }
  }
  return { hasData, hasState };
}

async function copyTable(
  client: pg.Client,
  source: SqliteDriver.Database,
  shape: TableShape,
  snapshotSha: string,
  progress: ProgressReporter,
): Promise<TableDigest> {
  const total = countRows(source, shape.name);
  progress.start(shape.name, total);
  const digest = new DigestAccumulator();
  let done = 0;
  const columns = shape.columns.map((c) => `"${c.name}"`).join(', ');
  function* chunks(): Generator<string> {
    let lines: string[] = [];
    for (const row of canonicalRows(source, shape)) {
      digest.add(row);
      lines.push(`${row.map(copyField).join('\t')}\n`);
      if (lines.length >= ROWS_PER_CHUNK) {
        done += lines.length;
        progress.update(shape.name, done);
        yield lines.join('');
        lines = [];
      }
    }
    if (lines.length) {
      done += lines.length;
      yield lines.join('');
    }
  }
  await client.query('begin');
  try {
    // A folder may have been moved under one created after it: check parents at commit.
    await client.query('set constraints all deferred');
    // Only reachable on --resume after an earlier run committed nothing for this table; kept so a
    // recopy can never duplicate rows.
    await client.query(`delete from "${shape.name}"`);
    // Building an index once over all rows is far cheaper than updating it row by row. Indexes
    // that back constraints (primary keys, unique keys) stay; the rest are rebuilt from their own
    // definitions in this same transaction, so an interruption rolls everything back.
    const indexes = (
      await client.query<{ indexname: string; indexdef: string }>(
        `select i.indexname, i.indexdef from pg_indexes i
          where i.schemaname = current_schema() and i.tablename = $1
            and not exists (select 1 from pg_constraint c where c.conname = i.indexname)`,
        [shape.name],
      )
    ).rows;
    for (const index of indexes) await client.query(`drop index "${index.indexname}"`);
    await pipeline(Readable.from(chunks()), client.query(copyFrom(`copy "${shape.name}" (${columns}) from stdin`)));
    // The parent checks deferred for the copy run now (PostgreSQL builds no index over pending ones).
    await client.query('set constraints all immediate');
    for (const index of indexes) await client.query(index.indexdef);
    const result = digest.result();
    await client.query(
      `insert into ${STATE_TABLE} (table_name, rows, hash, source_sha256, completed_at) values ($1, $2, $3, $4, now())
       on conflict (table_name) do update set rows = excluded.rows, hash = excluded.hash, source_sha256 = excluded.source_sha256, completed_at = excluded.completed_at`,
      [shape.name, result.rows, result.hash, snapshotSha],
    );
    await client.query('commit');
    return result;
  } catch (err) {
    await client.query('rollback').catch(() => undefined);
    throw err;
  }
}

async function resetSequences(client: pg.Client, shapes: TableShape[]): Promise<void> {
  for (const shape of shapes.filter((s) => s.identity)) {
    await client.query(`select setval(pg_get_serial_sequence($1, 'id'), coalesce((select max(id) from "${shape.name}"), 0) + 1, false)`, [
      shape.name,
    ]);
  }
}

/**
 * Moves a BaluHost SQLite database into PostgreSQL and proves it: every table's row count and
 * content digest must match. Resumable after a crash at any point (`resume`), never duplicates rows.
 */
export async function migrateSqliteToPostgres(options: MigrateOptions): Promise<MigrationReport> {
  const started = process.hrtime.bigint();
  const startedAt = new Date().toISOString();
  const timings = { snapshot_s: 0, schema_s: 0, copy_s: 0, verify_s: 0, total_s: 0 };
  openBaluhostSqlite(options.source).close();
  const client = await connect(options.target);
  let snapshot: SqliteDriver.Database | undefined;
  try {
    if (!(await client.query<{ locked: boolean }>('select pg_try_advisory_lock($1) as locked', [LOCK_KEY])).rows[0]?.locked) {
      throw new TargetError(
        `Another migration into ${maskUrl(options.target)} is running (advisory lock held); wait for it or stop it first`,
      );
    }
    const state = await targetState(client);
    if (!options.resume && (state.hasData || state.hasState)) {
      throw new TargetError(
        `Target ${maskUrl(options.target)} already holds BaluHost data${state.hasState ? ' from an interrupted migration (rerun with --resume)' : '; migrate into an empty database'}`,
      );
    }
    if (options.resume && state.hasData && !state.hasState) {
      throw new TargetError(
        `Target ${maskUrl(options.target)} holds data that no interrupted migration left; --resume only continues a migration`,
      );
    }

    const snapshotPath = join(options.workDir, 'snapshot.sqlite');
    if (options.dryRun) {
      const source = openBaluhostSqlite(options.source);
      try {
        const plan = DATA_TABLES.map((table) => ({ table, rows: countRows(source, table) }));
        options.progress.note(
          `Dry run: would copy ${plan.reduce((n, p) => n + p.rows, 0)} rows in ${plan.length} tables into ${maskUrl(options.target)}`,
        );
        return {
          ok: true,
          dry_run: true,
          source: { file: options.source, snapshot: null, sha256: null },
          target: maskUrl(options.target),
          started_at: startedAt,
          finished_at: new Date().toISOString(),
          plan,
          tables: [],
          verification: [],
          timings,
        };
      } finally {
        source.close();
      }
    }

    await mkdir(options.workDir, { recursive: true });
    let t = process.hrtime.bigint();
    const haveSnapshot = await stat(snapshotPath).then(
      () => true,
      () => false,
    );
    if (!(options.resume && haveSnapshot)) {
      if (options.resume && state.hasState)
        throw new TargetError(
          `Cannot resume: the snapshot ${snapshotPath} of the interrupted run is gone; drop the target database and start again`,
        );
      await snapshotSqlite(options.source, `${snapshotPath}.partial`);
      await rename(`${snapshotPath}.partial`, snapshotPath);
    }
    const snapshotSha = await sha256File(snapshotPath);
    timings.snapshot_s = seconds(t);

    t = process.hrtime.bigint();
    const pool = new pg.Pool({ connectionString: options.target, max: 1 });
    const kysely = new Kysely<unknown>({ dialect: new PostgresDialect({ pool }) });
    try {
      await migrateToLatest(kysely, 'postgres');
    } finally {
      await kysely.destroy();
    }
    await client.query(
      `create table if not exists ${STATE_TABLE} (table_name text primary key, rows bigint not null, hash text not null, source_sha256 text not null, completed_at timestamptz not null)`,
    );
    const done = new Map(
      (
        await client.query<{ table_name: string; rows: string; hash: string; source_sha256: string }>(`select * from ${STATE_TABLE}`)
      ).rows.map((r) => [r.table_name, r]),
    );
    const foreign = [...done.values()].find((r) => r.source_sha256 !== snapshotSha);
    if (foreign)
      throw new TargetError(`Cannot resume: table ${foreign.table_name} was copied from a different snapshot than ${snapshotPath}`);
    const shapes = await readTableShapes(client, DATA_TABLES);
    timings.schema_s = seconds(t);

    snapshot = openBaluhostSqlite(snapshotPath);
    const digests = new Map<string, TableDigest>();
    const tables: TableReport[] = [];
    t = process.hrtime.bigint();
    for (const shape of shapes) {
      const previous = done.get(shape.name);
      if (previous) {
        digests.set(shape.name, { rows: Number(previous.rows), hash: previous.hash });
        tables.push({ table: shape.name, rows: Number(previous.rows), copied: false, seconds: 0 });
        options.progress.note(`${shape.name}: already copied (${previous.rows} rows), skipped`);
        continue;
      }
      const tableStart = process.hrtime.bigint();
      const digest = await copyTable(client, snapshot, shape, snapshotSha, options.progress);
      digests.set(shape.name, digest);
      tables.push({ table: shape.name, rows: digest.rows, copied: true, seconds: seconds(tableStart) });
      options.progress.finish(shape.name, digest.rows, seconds(tableStart));
    }
    await resetSequences(client, shapes);
    timings.copy_s = seconds(t);

    t = process.hrtime.bigint();
    const verification = await verifyTables(snapshot, client, shapes, digests);
    timings.verify_s = seconds(t);
    timings.total_s = seconds(started);
    const ok = verification.every((v) => v.ok);
    const report: MigrationReport = {
      ok,
      dry_run: false,
      source: { file: options.source, snapshot: snapshotPath, sha256: snapshotSha },
      target: maskUrl(options.target),
      started_at: startedAt,
      finished_at: new Date().toISOString(),
      plan: tables.map((r) => ({ table: r.table, rows: r.rows })),
      tables,
      verification,
      timings,
    };
    await writeFile(join(options.workDir, 'migration-report.json'), `${JSON.stringify(report, null, 2)}\n`);
    if (!ok) throw new VerificationError(verification.filter((v) => !v.ok));
    // Done and proven: the checkpoints and the snapshot have served their purpose.
    await client.query(`drop table ${STATE_TABLE}`);
    snapshot.close();
    snapshot = undefined;
    await rm(snapshotPath, { force: true });
    return report;
  } finally {
    snapshot?.close();
    await client.end().catch(() => undefined);
  }
}

/** The verification step alone, any time later: a SQLite file against a PostgreSQL database. */
export async function verifyMigration(source: string, target: string): Promise<TableVerification[]> {
  const db = openBaluhostSqlite(source);
  const client = await connect(target);
  try {
    return await verifyTables(db, client, await readTableShapes(client, DATA_TABLES));
  } finally {
    db.close();
    await client.end().catch(() => undefined);
  }
}
