import { createHash } from 'node:crypto';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { migrateDown, migrateToLatest, prepareSchema, schemaStatus } from '../../app/src/db/index.js';
import { SchemaVersionError } from '../../app/src/errors/index.js';
import { createUser } from '../helpers/factories.js';
import { describeEachDialect } from '../helpers/test-app.js';
import { migrationDefinitions } from '../../app/src/db/migrations/index.js';

const ALL_MIGRATIONS = Object.keys(migrationDefinitions);
const TABLES = [
  'account_lockouts',
  'api_key_nonces',
  'api_keys',
  'audit_log',
  'backups',
  'files',
  'password_reset_tokens',
  'rate_limit_counters',
  'refresh_tokens',
  'sessions',
  'settings',
  'share_links',
  'user_avatars',
  'user_shares',
  'users',
];

describeEachDialect(
  'migrations',
  (env) => {
    const tableNames = async () => (await env().database.db.introspection.getTables()).map((t) => t.name).sort();

    it('start from an empty database with everything pending', async () => {
      const status = await schemaStatus(env().database.db, env().dialect);
      expect(status.applied).toEqual([]);
      expect(status.pending).toEqual(ALL_MIGRATIONS);
      expect(status.current).toBe(false);
    });

    it('refuse to start against pending migrations unless auto-migrate is on, naming the fix', async () => {
      await expect(prepareSchema(env().database.db, env().dialect, false)).rejects.toThrow(/pending migration.*npm run db:migrate/);
      expect(await tableNames()).toEqual([]);
    });

    it('go up, down and up again, owning the whole schema', async () => {
      const { db } = env().database;
      expect(await migrateToLatest(db, env().dialect)).toEqual(ALL_MIGRATIONS);
      expect(await tableNames()).toEqual(TABLES);
      const reverted: string[] = [];
      for (let step = 0; step < ALL_MIGRATIONS.length + 1; step++) reverted.push(...(await migrateDown(db, env().dialect)));
      expect(reverted).toEqual([...ALL_MIGRATIONS].reverse());
      expect(await tableNames()).toEqual([]);
      expect(await migrateToLatest(db, env().dialect)).toEqual(ALL_MIGRATIONS);
      expect(await tableNames()).toEqual(TABLES);
      expect((await schemaStatus(db, env().dialect)).current).toBe(true);
      expect(await migrateToLatest(db, env().dialect)).toEqual([]);
    });

    it('store byte sizes above 2^31 and 2^32 exactly', async () => {
      const { user } = await createUser(env());
      const big = 2 ** 40 + 12345;
      await env()
        .database.db.updateTable('users')
        .set({ quota_bytes: big, used_bytes: 2 ** 33 + 1 })
        .where('id', '=', user.id)
        .execute();
      const row = await env()
        .database.db.selectFrom('users')
        .select(['quota_bytes', 'used_bytes'])
        .where('id', '=', user.id)
        .executeTakeFirstOrThrow();
      expect(row).toEqual({ quota_bytes: big, used_bytes: 2 ** 33 + 1 });
    });

    it('enforce usernames unique regardless of case', async () => {
      const { user } = await createUser(env());
      await expect(createUser(env(), { username: user.username.toUpperCase() })).rejects.toThrow();
    });

    it('cascade a deleted user to their sessions', async () => {
      const { user } = await createUser(env());
      const now = new Date();
      await env().app.services.repos.sessions.create({
        id: `s-${user.id}`,
        userId: user.id,
        now,
        expiresAt: now,
        ipAddress: null,
        userAgent: null,
      });
      await env().database.db.deleteFrom('users').where('id', '=', user.id).execute();
      expect(await env().database.db.selectFrom('sessions').selectAll().where('user_id', '=', user.id).execute()).toEqual([]);
    });

    it('hash the share-link tokens stored before 0005, so links made then keep working (the server seals them at start)', async () => {
      const { db } = env().database;
      await migrateToLatest(db, env().dialect);
      const later = ALL_MIGRATIONS.slice(ALL_MIGRATIONS.indexOf('0005-share-link-token-hash'));
      for (const name of [...later].reverse()) expect(await migrateDown(db, env().dialect)).toEqual([name]);
      const { user } = await createUser(env());
      const now = new Date().toISOString();
      const file = await sql<{
        id: number;
      }>`insert into files (owner_id, parent_id, name, is_directory, size_bytes, created_at, modified_at)
        values (${user.id}, null, ${`home-${user.id}`}, ${env().dialect === 'postgres' ? sql`true` : sql`1`}, 0, ${now}, ${now}) returning id`.execute(
        db,
      );
      const token = 'LegacyPlainToken_0123456789abcdefghijklmnopq';
      await sql`insert into share_links (token, file_id, owner_id, created_at) values (${token}, ${file.rows[0]!.id}, ${user.id}, ${now})`.execute(
        db,
      );
      expect(await migrateToLatest(db, env().dialect)).toEqual(later);
      const row = await sql<{ token_hash: string; token_sealed: string }>`select token_hash, token_sealed from share_links`.execute(db);
      expect(row.rows).toEqual([{ token_hash: createHash('sha256').update(token).digest('hex'), token_sealed: token }]);
      await sql`delete from share_links`.execute(db);
      await sql`delete from files`.execute(db);
    });

    it('refuse a schema newer than this build, at start-up and for migrate/rollback', async () => {
      const { db } = env().database;
      await sql`insert into kysely_migration (name, timestamp) values ('9999-from-the-future', '2030-01-01T00:00:00.000Z')`.execute(db);
      try {
        const status = await schemaStatus(db, env().dialect);
        expect(status.unknown).toEqual(['9999-from-the-future']);
        expect(status.current).toBe(false);
        await expect(prepareSchema(db, env().dialect, true)).rejects.toBeInstanceOf(SchemaVersionError);
        await expect(migrateDown(db, env().dialect)).rejects.toThrow(/newer than this BaluHost build/);
        const ready = await env().app.inject({ method: 'GET', url: '/api/ready' });
        expect(ready.statusCode).toBe(503);
        expect(ready.json().detail).toBe('Not ready: migrations');
      } finally {
        await sql`delete from kysely_migration where name = '9999-from-the-future'`.execute(db);
      }
    });
  },
  { migrate: false },
);

describe('column types', () => {
  describeEachDialect('types', (env) => {
    it('uses real booleans and timestamptz on PostgreSQL, 64-bit integers on both', async () => {
      if (env().dialect !== 'postgres') {
        const cols = await sql<{ name: string; type: string }>`select name, type from pragma_table_info('users')`.execute(
          env().database.db,
        );
        expect(Object.fromEntries(cols.rows.map((c) => [c.name, c.type.toLowerCase()]))).toMatchObject({
          is_active: 'integer',
          quota_bytes: 'bigint',
          created_at: 'text',
        });
        return;
      }
      const cols = await sql<{ column_name: string; data_type: string }>`
        select column_name, data_type from information_schema.columns where table_name = 'users'`.execute(env().database.db);
      expect(Object.fromEntries(cols.rows.map((c) => [c.column_name, c.data_type]))).toMatchObject({
        id: 'bigint',
        is_active: 'boolean',
        quota_bytes: 'bigint',
        used_bytes: 'bigint',
        created_at: 'timestamp with time zone',
      });
    });
  });
});
