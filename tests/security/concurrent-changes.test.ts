/**
 * Read-then-write rules under concurrency. PostgreSQL runs transactions side by side (READ
 * COMMITTED), where SQLite takes them one at a time and hides races: each rule is tried with
 * requests fired at once, on both databases, and must hold as if they had come one by one.
 */
import { createTestEnv, DIALECTS, type TestEnv } from '../helpers/test-app.js';
import { createLoggedInUser } from '../helpers/factories.js';
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
});
