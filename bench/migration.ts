/**
 * npm run bench:migration — on one generated database of ≥1M rows, in one run:
 *   our migration with verification  vs  pgloader 3.6.9 (data only, into our schema)  vs  raw COPY
 *   (`sqlite3 -csv | psql COPY`, the audit_log table), with rows/s, ratios and peak RSS;
 *   then our database backup (with and without scratch verification) vs a raw `pg_dump -Fc`.
 * BENCH_AUDIT_ROWS (default 1,000,000) sizes it; BENCH_SOURCE reuses a generated file.
 */
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { migrateToLatest } from '../app/src/db/index.js';
import { fmt } from './lib/server.js';
import { measure } from './lib/process-stats.js';
import { benchSize } from './lib/sizes.js';

const ROOT = resolve(import.meta.dirname, '..');
const ADMIN = process.env['BENCH_PG_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const AUDIT_ROWS = benchSize('BENCH_AUDIT_ROWS', 1_000_000, 2_000);
const USERS = benchSize('BENCH_USERS', 60, 5);
const FILES_PER_USER = benchSize('BENCH_FILES_PER_USER', 300, 20);

async function admin(sql: string): Promise<void> {
  const c = new pg.Client({ connectionString: ADMIN });
  await c.connect();
  try {
    await c.query(sql);
  } finally {
    await c.end();
  }
}

function urlOf(db: string): string {
  const u = new URL(ADMIN);
  u.pathname = `/${db}`;
  return u.toString();
}

async function freshDatabase(name: string, withSchema: boolean): Promise<string> {
  await admin(`drop database if exists ${name} with (force)`);
  await admin(`create database ${name}`);
  const url = urlOf(name);
  if (withSchema) {
    const k = new Kysely<unknown>({ dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: url, max: 1 }) }) });
    await migrateToLatest(k, 'postgres');
    await k.destroy();
  }
  return url;
}

async function main(): Promise<void> {
  const work = await mkdtemp(join(tmpdir(), 'baluhost-bench-mig-'));
  const tsx = [process.execPath, '--import', 'tsx'];
  try {
    const source = process.env['BENCH_SOURCE'] ?? join(work, 'source.db');
    if (!process.env['BENCH_SOURCE']) {
      const gen = await measure([
        ...tsx,
        join(ROOT, 'scripts/dev/generate-data.ts'),
        '--out',
        source,
        '--users',
        String(USERS),
        '--files-per-user',
        String(FILES_PER_USER),
        '--audit-rows',
        String(AUDIT_ROWS),
      ]);
      if (gen.code !== 0) throw new Error(`generate-data failed: ${gen.stderr}`);
    }
    const sizeMiB = (await stat(source)).size / 1048576;

    // Ours, with verification (the whole run: snapshot, schema, copy, verify).
    const oursUrl = await freshDatabase('bench_ours', false);
    const ours = await measure([
      ...tsx,
      join(ROOT, 'scripts/migrate-to-postgres.ts'),
      '--source',
      source,
      '--target',
      oursUrl,
      '--work-dir',
      join(work, 'ours'),
    ]);
    if (ours.code !== 0) throw new Error(`our migration failed: ${ours.stderr}`);
    const report = JSON.parse(
      await (await import('node:fs/promises')).readFile(join(work, 'ours', 'migration-report.json'), 'utf8').catch(() => '{}'),
    ) as { timings?: Record<string, number>; tables?: { table: string; rows: number; seconds: number }[] };
    const rows = (report.tables ?? []).reduce((n, t) => n + t.rows, 0);
    const auditCopy = report.tables?.find((t) => t.table === 'audit_log');

    // pgloader, data only into the schema our migrations create (its own DDL would drop NOT NULLs).
    const loaderUrl = await freshDatabase('bench_pgloader', true);
    const load = join(work, 'load.pgl');
    await writeFile(
      load,
      `LOAD DATABASE FROM sqlite://${source} INTO ${loaderUrl}\n WITH data only, truncate, reset sequences, disable triggers\n EXCLUDING TABLE NAMES LIKE 'kysely_migration%';\n`,
    );
    const loader = await measure(['pgloader', '--quiet', load]);
    if (loader.code !== 0) throw new Error(`pgloader failed: ${loader.stderr.slice(-2000)}`);

    // Raw COPY of the largest table: the floor for any copy.
    const rawUrl = await freshDatabase('bench_raw', true);
    const raw = await measure(
      [
        `sqlite3 -csv ${source} "select * from audit_log" | psql -q "${rawUrl}" -c "set session_replication_role = replica" -c "\\copy audit_log from stdin (format csv)"`,
      ],
      { shell: true },
    );
    if (raw.code !== 0) throw new Error(`raw copy failed: ${raw.stderr}`);

    // Backups of the migrated PostgreSQL database.
    const dumpFile = join(work, 'raw.pgdump');
    const u = new URL(oursUrl);
    const rawDump = await measure(['pg_dump', '--format=custom', '--no-owner', '--no-privileges', '--file', dumpFile], {
      env: { PGHOST: u.hostname, PGPORT: u.port || '5432', PGUSER: decodeURIComponent(u.username), PGDATABASE: 'bench_ours' },
    });
    const envFor = {
      NODE_ENV: 'production',
      BALUHOST_SECRET_KEY: 'bench-secret-key-0123456789-abcdefghijklmn',
      DATABASE_URL: oursUrl,
      BALUHOST_DATA_DIR: join(work, 'data'),
    };
    const ourDump = await measure([...tsx, join(ROOT, 'scripts/backup-database.ts'), '--no-verify', '--out-dir', join(work, 'b1')], {
      env: envFor,
    });
    const ourVerified = await measure([...tsx, join(ROOT, 'scripts/backup-database.ts'), '--out-dir', join(work, 'b2')], { env: envFor });
    if (ourDump.code !== 0 || ourVerified.code !== 0) throw new Error(`backup failed: ${ourDump.stderr}${ourVerified.stderr}`);

    const rps = (n: number, s: number) => fmt(n / s, 0);
    console.log(`migration benchmark — ${rows} rows (${AUDIT_ROWS} audit_log), source ${fmt(sizeMiB)} MiB, one run`);
    console.log(
      `ours, whole run incl. verification: ${fmt(ours.seconds, 2)} s, ${rps(rows, ours.seconds)} rows/s, peak RSS ${ours.peakRssMiB} MiB`,
    );
    console.log(
      `  phases: ${Object.entries(report.timings ?? {})
        .map(([k, v]) => `${k} ${fmt(v, 2)}`)
        .join(', ')}`,
    );
    console.log(
      `pgloader 3.6.9 (data only, no verification): ${fmt(loader.seconds, 2)} s, ${rps(rows, loader.seconds)} rows/s, peak RSS ${loader.peakRssMiB} MiB`,
    );
    console.log(`ratio ours/pgloader (whole run): ${fmt(ours.seconds / loader.seconds, 2)}x`);
    if (auditCopy) {
      console.log(
        `audit_log copy: ours ${fmt(auditCopy.seconds, 2)} s vs raw sqlite3|psql COPY ${fmt(raw.seconds, 2)} s → ${fmt(auditCopy.seconds / raw.seconds, 2)}x (goal ≤ 1.2x)`,
      );
    }
    console.log(
      `backup: ours ${fmt(ourDump.seconds, 2)} s (no verify), ${fmt(ourVerified.seconds, 2)} s (verified) vs pg_dump -Fc ${fmt(rawDump.seconds, 2)} s → ${fmt(ourDump.seconds / rawDump.seconds, 2)}x / ${fmt(ourVerified.seconds / rawDump.seconds, 2)}x (goal ≤ 1.1x)`,
    );
  } finally {
    for (const db of ['bench_ours', 'bench_pgloader', 'bench_raw'])
      await admin(`drop database if exists ${db} with (force)`).catch(() => undefined);
    await rm(work, { recursive: true, force: true });
  }
}

await main();
