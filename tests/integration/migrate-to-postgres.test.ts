import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyMigration } from '../../app/src/data-safety/index.js';
import { createDatabase, migrateToLatest } from '../../app/src/db/index.js';
import { generateDataset } from '../../app/src/data-safety/index.js';
import { createRepositories, createTransactionRunner } from '../../app/src/repositories/index.js';
import { createThrowawayDatabase, type ThrowawayDatabase } from '../helpers/postgres.js';
import { runScript } from '../helpers/scripts.js';
import { DATA_TABLES } from '../../app/src/db/index.js';

const SCRIPT = 'scripts/migrate-to-postgres.ts';

async function sourceDatabase(dir: string, auditRows: number): Promise<string> {
  const file = join(dir, 'source.db');
  const database = createDatabase({ kind: 'sqlite', file, busyTimeoutMs: 5000 });
  await migrateToLatest(database.db, 'sqlite');
  await generateDataset(createTransactionRunner(database.db), { users: 12, filesPerUser: 25, linksPerUser: 3, auditRows }, 7);
  await database.destroy();
  return file;
}

async function query<T>(url: string, text: string, params: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(text, params)).rows as T[];
  } finally {
    await client.end();
  }
}

describe('migrate-to-postgres [sqlite → postgres]', () => {
  let dir: string;
  let source: string;
  const targets: ThrowawayDatabase[] = [];
  const newTarget = async () => {
    const t = await createThrowawayDatabase('baluhost_mig');
    targets.push(t);
    return t;
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'baluhost-mig-'));
    source = await sourceDatabase(dir, 30_000);
  });
  afterAll(async () => {
    for (const t of targets) await t.drop();
    await rm(dir, { recursive: true, force: true });
  });

  it('copies every table with parity and keeps booleans, dates, big sizes, Unicode and NULLs', async () => {
    const target = await newTarget();
    const run = await runScript(SCRIPT, ['--source', source, '--target', target.url, '--work-dir', join(dir, 'work-1')]);
    expect(run.stderr).not.toMatch(/ERROR/);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(new RegExp(`Verified ${DATA_TABLES.length} tables, \\d+ rows: counts and content hashes match`));
    expect((await verifyMigration(source, target.url)).every((v) => v.ok)).toBe(true);

    const [big] = await query<{ size_bytes: string }>(
      target.url,
      `select size_bytes::text from files where size_bytes > 4294967296 order by id limit 1`,
    );
    expect(BigInt(big!.size_bytes)).toBeGreaterThan(2n ** 32n);
    const types = await query<{ data_type: string }>(
      target.url,
      `select data_type from information_schema.columns where table_name = 'users' and column_name = 'is_active'`,
    );
    expect(types[0]?.data_type).toBe('boolean');
    const inactive = await query<{ n: string }>(target.url, `select count(*)::text as n from users where not is_active`);
    expect(Number(inactive[0]?.n)).toBeGreaterThan(0);
    const unicode = await query<{ name: string }>(target.url, `select name from files where name like '%日本語%' limit 1`);
    expect(unicode[0]?.name).toContain('日本語のファイル');
    const tabs = await query<{ n: string }>(
      target.url,
      `select count(*)::text as n from files where name like E'%\\t%' or name like '%\\\\%'`,
    );
    expect(Number(tabs[0]?.n)).toBeGreaterThan(0);
    const nulls = await query<{ n: string }>(
      target.url,
      `select count(*)::text as n from audit_log where details is null and user_id is null`,
    );
    expect(Number(nulls[0]?.n)).toBeGreaterThan(0);
    const ts = await query<{ t: string }>(target.url, `select to_char(min(created_at) at time zone 'UTC', 'YYYY-MM-DD') as t from users`);
    expect(ts[0]?.t).toBe('2025-01-01');
    // Indexes dropped for the bulk copy are all back, exactly as the migrations define them.
    const fresh = await newTarget();
    const k = createDatabase({
      kind: 'postgres',
      url: fresh.url,
      poolMax: 1,
      idleTimeoutMs: 1000,
      statementTimeoutMs: 5000,
      connectTimeoutMs: 2000,
    });
    await migrateToLatest(k.db, 'postgres');
    await k.destroy();
    const indexQuery = `select indexname, indexdef from pg_indexes where schemaname = 'public' and tablename <> 'baluhost_migration_state' order by indexname`;
    expect(await query(target.url, indexQuery)).toEqual(await query(fresh.url, indexQuery));
    // The checkpoint table is gone once the migration is proven.
    expect(await query(target.url, `select to_regclass('baluhost_migration_state') as t`)).toEqual([{ t: null }]);
  });

  it('leaves sequences past every copied id, so the app can insert at once', async () => {
    const target = await newTarget();
    expect((await runScript(SCRIPT, ['--source', source, '--target', target.url, '--work-dir', join(dir, 'work-2')])).code).toBe(0);
    const database = createDatabase({
      kind: 'postgres',
      url: target.url,
      poolMax: 2,
      idleTimeoutMs: 1000,
      statementTimeoutMs: 5000,
      connectTimeoutMs: 2000,
    });
    try {
      const repos = createRepositories(database.db);
      const user = await repos.users.create(
        { username: 'after_migration', email: '', passwordHash: 'x', role: 'user', isActive: true },
        new Date(),
      );
      const [max] = await query<{ m: string }>(target.url, `select max(id)::text as m from users where username <> 'after_migration'`);
      expect(user.id).toBeGreaterThan(Number(max!.m));
      await repos.audit.insert(
        { eventType: 'auth', action: 'login', userId: user.id, username: user.username, success: true, ipAddress: null, userAgent: null },
        new Date(),
      );
    } finally {
      await database.destroy();
    }
  });

  it('names the table and row when one row on the target is tampered with', async () => {
    const target = await newTarget();
    expect((await runScript(SCRIPT, ['--source', source, '--target', target.url, '--work-dir', join(dir, 'work-3')])).code).toBe(0);
    const [row] = await query<{ id: string }>(target.url, `select id::text from share_links order by id limit 1 offset 3`);
    await query(target.url, `update share_links set download_count = download_count + 1 where id = $1`, [row!.id]);
    const run = await runScript('scripts/verify-migration.ts', ['--source', source, '--target', target.url]);
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(new RegExp(`MISMATCH share_links .*keys ${row!.id}\\b`));
    expect(run.stdout).toMatch(/^ok +users/m);
  });

  it.each([
    ['while copying files', /files: copying/],
    ['in the middle of audit_log', /audit_log: 30%/],
    ['right after audit_log committed', /audit_log: \d+ rows in/],
  ])('finishes with parity and no duplicates after kill -9 %s and --resume', async (_when, killWhen) => {
    const target = await newTarget();
    const work = join(dir, `work-kill-${Math.random().toString(36).slice(2)}`);
    const killed = await runScript(SCRIPT, ['--source', source, '--target', target.url, '--work-dir', work], { killWhen });
    expect(killed.signal).toBe('SIGKILL');
    const again = await runScript(SCRIPT, ['--source', source, '--target', target.url, '--work-dir', work]);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/interrupted migration \(rerun with --resume\)/);
    const resumed = await runScript(SCRIPT, ['--source', source, '--target', target.url, '--work-dir', work, '--resume']);
    expect(resumed.stderr).not.toMatch(/ERROR/);
    expect(resumed.code).toBe(0);
    const results = await verifyMigration(source, target.url);
    expect(results.filter((r) => !r.ok)).toEqual([]);
    const [dupes] = await query<{ n: string }>(target.url, `select count(*) - count(distinct id) as n from audit_log`);
    expect(Number(dupes!.n)).toBe(0);
  });

  it('refuses a target that already holds data, and changes nothing', async () => {
    const target = await newTarget();
    expect((await runScript(SCRIPT, ['--source', source, '--target', target.url, '--work-dir', join(dir, 'work-4')])).code).toBe(0);
    const [before] = await query<{ n: string }>(target.url, `select count(*)::text as n from audit_log`);
    const run = await runScript(SCRIPT, ['--source', source, '--target', target.url, '--work-dir', join(dir, 'work-4b')]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/ERROR \(TargetError\): Target .* already holds BaluHost data/);
    const [after] = await query<{ n: string }>(target.url, `select count(*)::text as n from audit_log`);
    expect(after).toEqual(before);
  });

  it('refuses to run while another migration holds the lock', async () => {
    const target = await newTarget();
    const holder = new pg.Client({ connectionString: target.url });
    await holder.connect();
    try {
      await holder.query('select pg_advisory_lock(7340221001)');
      const run = await runScript(SCRIPT, ['--source', source, '--target', target.url, '--work-dir', join(dir, 'work-5')]);
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(/Another migration .* is running/);
    } finally {
      await holder.end();
    }
  });

  it('plans without writing on --dry-run', async () => {
    const target = await newTarget();
    const run = await runScript(SCRIPT, ['--source', source, '--target', target.url, '--dry-run']);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/audit_log +30000 rows/);
    expect(await query(target.url, `select to_regclass('users') as t`)).toEqual([{ t: null }]);
  });

  it.each([
    [['--target', 'postgres://x@127.0.0.1/db'], 2, /missing --source/],
    [['--source', 'x.db'], 2, /missing --target/],
    [['--source', 'x.db', '--target', 'mysql://x'], 2, /--target must be a postgres:\/\/ URL/],
    [['--source', 'x.db', '--target', 'postgres://x@h/db', '--bogus'], 2, /Unknown option '--bogus'/],
    [['--source', '/nonexistent/x.db', '--target', 'postgres://x@127.0.0.1/db'], 1, /SourceError.*Cannot open/],
  ])('refuses bad arguments %j before changing anything', async (args, code, message) => {
    const run = await runScript(SCRIPT, args);
    expect(run.code).toBe(code);
    expect(run.stderr).toMatch(message);
  });

  it('refuses a SQLite file that is not a BaluHost database', async () => {
    const other = join(dir, 'other.db');
    const database = createDatabase({ kind: 'sqlite', file: other, busyTimeoutMs: 1000 });
    await database.destroy();
    const run = await runScript(SCRIPT, ['--source', other, '--target', 'postgres://postgres@127.0.0.1:5432/postgres']);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/not a BaluHost database/);
  });

  it('never prints the target password', async () => {
    const run = await runScript(SCRIPT, ['--source', source, '--target', 'postgres://postgres:s3cr3t-pw@127.0.0.1:1/none']);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/Cannot reach the target postgres:\/\/postgres:\*\*\*@127\.0\.0\.1:1\/none/);
    expect(run.stdout + run.stderr).not.toContain('s3cr3t-pw');
  });
});
