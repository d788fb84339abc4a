/**
 * Migration verification on its own, in-process and against a real PostgreSQL: after a copy, every
 * change on the target (an edited row, a lost row, an extra row) is caught, named by table and key,
 * and reported the way the operator reads it. The migration script's own test drives the whole CLI.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  generateDataset,
  migrateSqliteToPostgres,
  silentProgress,
  verifyMigration,
  VerificationError,
  type TableVerification,
} from '../../app/src/data-safety/index.js';
import { digestSqliteTable, openBaluhostSqlite } from '../../app/src/data-safety/sqlite-source.js';
import { readTableShapes } from '../../app/src/data-safety/pg-catalog.js';
import { verifyTables } from '../../app/src/data-safety/verify.js';
import { createDatabase, DATA_TABLES, migrateToLatest } from '../../app/src/db/index.js';
import { createTransactionRunner } from '../../app/src/repositories/index.js';
import { createThrowawayDatabase, type ThrowawayDatabase } from '../helpers/postgres.js';

describe('migration verification [sqlite → postgres]', () => {
  let dir: string;
  let source: string;
  let target: ThrowawayDatabase;
  let client: pg.Client;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'baluhost-verify-'));
    source = join(dir, 'source.db');
    const database = createDatabase({ kind: 'sqlite', file: source, busyTimeoutMs: 5000 });
    await migrateToLatest(database.db, 'sqlite');
    await generateDataset(createTransactionRunner(database.db), { users: 4, filesPerUser: 5, linksPerUser: 1, auditRows: 40 }, 11);
    await database.destroy();
  });

  beforeEach(async () => {
    target = await createThrowawayDatabase('baluhost_verify');
    await migrateSqliteToPostgres({
      source,
      target: target.url,
      workDir: join(dir, target.name),
      resume: false,
      dryRun: false,
      progress: silentProgress,
    });
    client = new pg.Client({ connectionString: target.url });
    await client.connect();
  });

  afterEach(async () => {
    await client?.end();
    await target?.drop();
  });

  afterAll(() => rm(dir, { recursive: true, force: true }));

  const byTable = (results: TableVerification[]) => new Map(results.map((r) => [r.table, r]));

  it('finds every table identical right after the copy', async () => {
    const results = await verifyMigration(source, target.url);
    expect(results.map((r) => r.table)).toEqual([...DATA_TABLES]);
    for (const r of results) {
      expect(r).toMatchObject({ ok: true, sample_keys: [], target_rows: r.source_rows, target_hash: r.source_hash });
    }
    expect(byTable(results).get('audit_log')?.source_rows).toBe(40);
    expect(byTable(results).get('users')?.source_rows).toBe(4);
  });

  it('names the row whose content changed, with equal row counts', async () => {
    const { rows } = await client.query<{ id: number }>('select id from users order by id limit 1 offset 1');
    const id = rows[0]?.id as number;
    await client.query(`update users set email = 'changed@example.test' where id = $1`, [id]);
    const results = byTable(await verifyMigration(source, target.url));
    const users = results.get('users') as TableVerification;
    expect(users).toMatchObject({ ok: false, source_rows: 4, target_rows: 4, sample_keys: [String(id)] });
    expect(users.target_hash).not.toBe(users.source_hash);
    expect([...results.values()].filter((r) => !r.ok).map((r) => r.table)).toEqual(['users']);
  });

  it('names rows lost on the target and rows only the target has', async () => {
    const { rows } = await client.query<{ id: number }>('select id from audit_log order by id limit 1');
    const lost = rows[0]?.id as number;
    await client.query('delete from audit_log where id = $1', [lost]);
    const extra = (
      await client.query<{ id: number }>(
        `insert into audit_log (timestamp, event_type, action) select timestamp, event_type, action from audit_log order by id desc limit 1 returning id`,
      )
    ).rows[0]?.id as number;
    const audit = byTable(await verifyMigration(source, target.url)).get('audit_log') as TableVerification;
    expect(audit).toMatchObject({ ok: false, source_rows: 40, target_rows: 40 });
    expect(audit.sample_keys.sort()).toEqual([String(lost), String(extra)].sort());
  });

  it('notices a table that differs only in its row count', async () => {
    await client.query('delete from audit_log where id = (select max(id) from audit_log)');
    const audit = byTable(await verifyMigration(source, target.url)).get('audit_log') as TableVerification;
    expect(audit).toMatchObject({ ok: false, source_rows: 40, target_rows: 39 });
    expect(audit.sample_keys).toHaveLength(1);
  });

  it('samples at most ten differing keys, however many rows differ', async () => {
    await client.query(`update audit_log set action = 'tampered' where id in (select id from audit_log order by id limit 15)`);
    const audit = byTable(await verifyMigration(source, target.url)).get('audit_log') as TableVerification;
    expect(audit.ok).toBe(false);
    expect(audit.sample_keys).toHaveLength(10);
    const extra = await client.query<{ id: number }>(
      `insert into audit_log (timestamp, event_type, action) select timestamp, event_type, action from audit_log order by id limit 12 returning id`,
    );
    expect(extra.rowCount).toBe(12);
    await client.query(`update audit_log set action = 'ok' where action = 'tampered'`);
    const onlyExtra = byTable(await verifyMigration(source, target.url)).get('audit_log') as TableVerification;
    expect(onlyExtra.sample_keys).toHaveLength(10);
  });

  it('compares against digests taken while copying instead of reading the source again', async () => {
    const db = openBaluhostSqlite(source);
    try {
      const shapes = await readTableShapes(client, DATA_TABLES);
      const users = shapes.find((s) => s.name === 'users');
      const real = digestSqliteTable(db, users as (typeof shapes)[number]);
      const fine = await verifyTables(db, client, shapes, new Map([['users', real]]));
      expect(fine.every((r) => r.ok)).toBe(true);
      const stale = await verifyTables(db, client, shapes, new Map([['users', { rows: real.rows, hash: '0'.repeat(real.hash.length) }]]));
      expect(stale.find((r) => r.table === 'users')).toMatchObject({
        ok: false,
        source_hash: '0'.repeat(real.hash.length),
        sample_keys: [],
      });
    } finally {
      db.close();
    }
  });

  it('tells the operator which tables failed, with counts and keys', () => {
    const error = new VerificationError([
      { table: 'users', source_rows: 4, target_rows: 4, source_hash: 'a', target_hash: 'b', ok: false, sample_keys: ['2', '3'] },
      { table: 'files', source_rows: 20, target_rows: 19, source_hash: 'c', target_hash: 'd', ok: false, sample_keys: [] },
    ]);
    expect(error.name).toBe('VerificationError');
    expect(error.message).toBe(
      'Verification failed for users (source 4 rows, target 4 rows; differing keys: 2, 3); files (source 20 rows, target 19 rows; differing keys: none sampled)',
    );
    expect(error.failures.map((f) => f.table)).toEqual(['users', 'files']);
  });
});
