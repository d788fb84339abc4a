/**
 * Read-then-write rules under concurrency. PostgreSQL runs transactions side by side (READ
 * COMMITTED), where SQLite takes them one at a time and hides races: each rule is tried with
 * requests fired at once, on both databases, and must hold as if they had come one by one.
 */
import { createTestEnv, DIALECTS, type TestEnv } from '../helpers/test-app.js';
import { createLoggedInUser } from '../helpers/factories.js';
import { upload } from '../helpers/files.js';
import { afterEach, describe, expect, it } from 'vitest';

describe.each(DIALECTS)('concurrent changes [%s]', (dialect) => {
  let env: (TestEnv & { close(): Promise<void> }) | undefined;
  afterEach(async () => {
    await env?.close();
    env = undefined;
  });

  it('keeps an active admin when the last two admins disable each other at the same moment', async () => {
    env = await createTestEnv(dialect, { env: { BALUHOST_DB_POOL_MAX: '8' } });
    const e = env;
    for (let round = 0; round < 5; round++) {
      // Start each round from exactly two active admins and no others.
      await e.database.db.updateTable('users').set({ is_active: false }).where('role', '=', 'admin').execute();
      const [a, b] = await Promise.all([createLoggedInUser(e, { role: 'admin' }), createLoggedInUser(e, { role: 'admin' })]);
      const results = await Promise.all([
        e.app.inject({ method: 'PUT', url: `/api/users/${b.user.id}`, headers: a.headers, payload: { is_active: false } }),
        e.app.inject({ method: 'PUT', url: `/api/users/${a.user.id}`, headers: b.headers, payload: { is_active: false } }),
      ]);
      const statuses = results.map((r) => r.statusCode);
      // One wins; the other is refused for the rule (or finds itself signed out by the winner).
      expect(
        statuses.filter((s) => s === 200),
        JSON.stringify(results.map((r) => r.json())),
      ).toHaveLength(1);
      for (const refused of results.filter((r) => r.statusCode !== 200))
        expect(['last_admin', 'account_disabled', 'session_revoked']).toContain(refused.json().code);
      const active = await e.database.db
        .selectFrom('users')
        .select('id')
        .where('role', '=', 'admin')
        .where('is_active', '=', true)
        .execute();
      expect(active).toHaveLength(1);
    }
  });

  it('deletes a file once when ten deletes arrive together: the others are told it is gone, and usage is credited once', async () => {
    env = await createTestEnv(dialect, { env: { BALUHOST_DB_POOL_MAX: '8' } });
    const e = env;
    const u = await createLoggedInUser(e);
    expect((await upload(e, u.headers, '', [{ filename: 'once.bin', content: 'x'.repeat(5000) }])).statusCode).toBe(200);
    await upload(e, u.headers, '', [{ filename: 'stays.bin', content: 'y'.repeat(700) }]);
    const results = await Promise.all(
      Array.from({ length: 10 }, () => e.app.inject({ method: 'DELETE', url: '/api/files/once.bin', headers: u.headers })),
    );
    expect(results.map((r) => r.statusCode).sort()).toEqual([200, ...Array<number>(9).fill(404)]);
    for (const gone of results.filter((r) => r.statusCode === 404))
      expect(gone.json()).toEqual({ detail: 'File not found: path=once.bin', code: 'not_found' });
    const used = await e.database.db.selectFrom('users').select('used_bytes').where('id', '=', u.user.id).executeTakeFirstOrThrow();
    expect(Number(used.used_bytes)).toBe(700);
  });

  it('charges 30 simultaneous re-uploads of one file exactly what is stored, and holds the quota', async () => {
    env = await createTestEnv(dialect, { env: { BALUHOST_DB_POOL_MAX: '8', BALUHOST_DEFAULT_QUOTA_BYTES: '100000' } });
    const e = env;
    const u = await createLoggedInUser(e);
    expect((await upload(e, u.headers, '', [{ filename: 'same.bin', content: 'a'.repeat(10_000) }])).statusCode).toBe(200);
    const sizes = Array.from({ length: 30 }, (_, i) => 5_000 + ((i * 7919) % 20_000));
    const results = await Promise.all(sizes.map((size) => upload(e, u.headers, '', [{ filename: 'same.bin', content: 'b'.repeat(size) }])));
    expect(results.every((r) => r.statusCode === 200)).toBe(true);
    const stored = (await e.app.inject({ method: 'GET', url: '/api/files/list?path=', headers: u.headers })).json().files as {
      size: number;
    }[];
    const used = await e.database.db.selectFrom('users').select('used_bytes').where('id', '=', u.user.id).executeTakeFirstOrThrow();
    expect(Number(used.used_bytes)).toBe(stored[0]?.size);
    // Usage is right, so the quota still holds: 100,000 B in all.
    const over = await upload(e, u.headers, '', [{ filename: 'big.bin', content: 'c'.repeat(100_001 - Number(used.used_bytes)) }]);
    expect([over.statusCode, over.json().code]).toEqual([507, 'quota_exceeded']);
  });
});
