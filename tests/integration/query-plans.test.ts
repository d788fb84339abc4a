import { Kysely, PostgresDialect, sql, type CompiledQuery } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DB } from '../../app/src/db/index.js';
import { migrateToLatest } from '../../app/src/db/index.js';
import { createRepositories } from '../../app/src/repositories/index.js';
import { createThrowawayDatabase, type ThrowawayDatabase } from '../helpers/postgres.js';

/** Tables that grow with use; a sequential scan on one of them is a bug on a busy NAS. */
const LARGE = new Set(['users', 'files', 'audit_log', 'share_links', 'user_shares', 'sessions', 'refresh_tokens']);

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  Plans?: PlanNode[];
}

function seqScans(node: PlanNode): string[] {
  const own = node['Node Type'] === 'Seq Scan' && node['Relation Name'] && LARGE.has(node['Relation Name']) ? [node['Relation Name']] : [];
  return [...own, ...(node.Plans ?? []).flatMap(seqScans)];
}

describe('hot queries use indexes [postgres]', () => {
  let database: ThrowawayDatabase;
  let pool: pg.Pool;
  let captured: CompiledQuery[] = [];
  let db: Kysely<DB>;

  beforeAll(async () => {
    database = await createThrowawayDatabase();
    pool = new pg.Pool({ connectionString: database.url, max: 2 });
    db = new Kysely<DB>({
      dialect: new PostgresDialect({ pool }),
      log: (event) => void (event.level === 'query' && captured.push(event.query)),
    });
    await migrateToLatest(db, 'postgres');
    // Enough rows that the planner prefers an index whenever one fits.
    await sql`insert into users (username, email, password_hash, role, is_active, password_changed_at, created_at, updated_at)
      select 'user' || g, '', 'x', 'user', true, now(), now(), now() from generate_series(1, 5000) g`.execute(db);
    await sql`insert into files (owner_id, parent_id, name, is_directory, size_bytes, created_at, modified_at)
      select 1 + (g % 5000), null, 'home' || g, true, 0, now(), now() from generate_series(1, 5000) g`.execute(db);
    await sql`insert into files (owner_id, parent_id, name, is_directory, size_bytes, created_at, modified_at)
      select 1 + (g % 5000), 1 + (g % 5000), 'file' || g, false, g, now(), now() from generate_series(1, 100000) g`.execute(db);
    await sql`insert into audit_log (timestamp, event_type, user_id, username, action, success)
      select now() - (g || ' seconds')::interval, 'file', 1 + (g % 5000), 'user' || (1 + g % 5000), case when g % 7 = 0 then 'login' else 'download' end, g % 11 <> 0
      from generate_series(1, 100000) g`.execute(db);
    await sql`insert into share_links (token_hash, token_sealed, file_id, owner_id, allow_download, allow_preview, created_at)
      select 'hash' || g, 'sealed' || g, 5000 + g, 1 + (g % 5000), true, true, now() from generate_series(1, 20000) g`.execute(db);
    await sql`insert into user_shares (file_id, owner_id, shared_with_user_id, created_at)
      select 5000 + g, 1 + (g % 5000), 1 + ((g * 7) % 5000), now() from generate_series(1, 20000) g`.execute(db);
    await sql`analyze`.execute(db);
  });

  afterAll(async () => {
    await db?.destroy();
    await database?.drop();
  });

  async function plansOf(
    work: (repos: ReturnType<typeof createRepositories>) => Promise<unknown>,
  ): Promise<{ sql: string; scans: string[] }[]> {
    captured = [];
    await work(createRepositories(db));
    const results: { sql: string; scans: string[] }[] = [];
    for (const query of captured) {
      const explained = await pool.query(`explain (format json) ${query.sql}`, query.parameters as unknown[]);
      const plan = (explained.rows[0] as { 'QUERY PLAN': { Plan: PlanNode }[] })['QUERY PLAN'][0]!.Plan;
      results.push({ sql: query.sql, scans: seqScans(plan) });
    }
    return results;
  }

  it.each([
    ['listing a folder', (r: ReturnType<typeof createRepositories>) => r.files.listChildren(42)],
    ['finding a child by name', (r: ReturnType<typeof createRepositories>) => r.files.findChild(42, 'file4242')],
    ['finding a home folder', (r: ReturnType<typeof createRepositories>) => r.files.findHome(42)],
    ['summing a folder tree', (r: ReturnType<typeof createRepositories>) => r.files.subtreeBytes(42)],
    ['share-token lookup', (r: ReturnType<typeof createRepositories>) => r.shares.findLinkByTokenHash('hash777')],
    ['counting a share download', (r: ReturnType<typeof createRepositories>) => r.shares.claimDownload(777, new Date())],
    [
      'finding who granted a share',
      (r: ReturnType<typeof createRepositories>) => r.shares.grantersOf(42, [5042, 42], 'can_read', new Date()),
    ],
    ['shared-with-me', (r: ReturnType<typeof createRepositories>) => r.shares.listSharedWith(42, new Date())],
    ['reserving quota', (r: ReturnType<typeof createRepositories>) => r.users.reserveBytes(42, 1000, 10_000_000)],
    ["a user's audit page", (r: ReturnType<typeof createRepositories>) => r.audit.page({ userId: 42 }, 1, 50)],
    ['audit by username (admin filter)', (r: ReturnType<typeof createRepositories>) => r.audit.page({ username: 'user42' }, 1, 50)],
    [
      'audit by action over a day',
      (r: ReturnType<typeof createRepositories>) => r.audit.page({ action: 'login', since: new Date(Date.now() - 86_400_000) }, 1, 50),
    ],
    ['login by username', (r: ReturnType<typeof createRepositories>) => r.users.findCredentials('user42')],
  ])('%s has no sequential scan on a large table', async (_name, work) => {
    const plans = await plansOf(work);
    expect(plans.length).toBeGreaterThan(0);
    for (const plan of plans) expect(plan.scans, plan.sql).toEqual([]);
  });
});
