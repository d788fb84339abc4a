import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ErrorTracker } from '../../app/src/observability/error-tracking.js';
import { createLoggedInUser, createUser } from '../helpers/factories.js';
import { startPgCluster, type PgCluster } from '../helpers/pg-cluster.js';
import { createTestEnv, type TestEnv } from '../helpers/test-app.js';

describe('PostgreSQL outage [postgres]', () => {
  let cluster: PgCluster;
  let env: TestEnv & { close(): Promise<void> };

  beforeAll(async () => {
    cluster = await startPgCluster();
    env = await createTestEnv('postgres', {
      postgresAdminUrl: cluster.url,
      env: { BALUHOST_DB_STATEMENT_TIMEOUT_MS: '1000', BALUHOST_DB_CONNECT_TIMEOUT_MS: '1000', BALUHOST_DB_POOL_MAX: '2' },
    });
  });

  afterAll(async () => {
    try {
      cluster.start(); // in case the test failed while the server was down
    } catch {
      // already running
    }
    await env?.close();
    cluster?.destroy();
  });

  it('turns /api/ready to 503 naming the database, fails requests fast with 503, and recovers', async () => {
    const { user, password } = await createUser(env);
    expect((await env.app.inject({ method: 'GET', url: '/api/ready' })).statusCode).toBe(200);

    cluster.stop();

    const ready = await env.app.inject({ method: 'GET', url: '/api/ready' });
    expect(ready.statusCode).toBe(503);
    expect(ready.json().detail).toMatch(/^Not ready: database/);
    expect(ready.json().checks.database.ok).toBe(false);
    expect(ready.json().checks.storage.ok).toBe(true);

    const login = await env.app.inject({ method: 'POST', url: '/api/auth/login', payload: { username: user.username, password } });
    expect(login.statusCode).toBe(503);
    expect(login.json()).toEqual({ detail: 'Database is unavailable; try again shortly', code: 'database_unavailable' });
    expect(login.headers['retry-after']).toBe('5');

    // Liveness never touches the database: the process is alive and says so.
    expect((await env.app.inject({ method: 'GET', url: '/api/health' })).statusCode).toBe(200);

    cluster.start();

    let status = 0;
    for (let attempt = 0; attempt < 50 && status !== 200; attempt += 1) {
      status = (await env.app.inject({ method: 'GET', url: '/api/ready' })).statusCode;
      if (status !== 200) await new Promise((r) => setTimeout(r, 100));
    }
    expect(status).toBe(200);
    const again = await env.app.inject({ method: 'POST', url: '/api/auth/login', payload: { username: user.username, password } });
    expect(again.statusCode).toBe(200);
  });

  it('keeps /metrics answering from memory while the database is down, says so, and reports the outage once', async () => {
    const admin = await createLoggedInUser(env, { role: 'admin' });
    const captured: { status: number; route: string }[] = [];
    const tracker: ErrorTracker = { capture: (_e, context) => captured.push(context), flush: async () => undefined };
    env.app.errorTracker = tracker;
    const scrape = async () => {
      const res = await env.app.inject({ method: 'GET', url: '/metrics' });
      expect(res.statusCode).toBe(200);
      return res.body;
    };
    const before = await scrape();
    expect(before).toMatch(/^baluhost_database_up\{[^}]*\} 1$/m);
    const quotaLine = before.split('\n').find((l) => l.startsWith(`baluhost_quota_used_bytes{user="${admin.user.username}"`));
    expect(quotaLine).toBeDefined();

    const logsBefore = env.logs.lines.length;
    cluster.stop();
    try {
      const during = await scrape();
      expect(during).toMatch(/^baluhost_database_up\{[^}]*\} 0$/m);
      // The database-backed gauges keep their last good values instead of vanishing.
      expect(during).toContain(quotaLine);
      expect(during).toMatch(/^baluhost_backup_last_result\{[^}]*\} -1$/m);
      expect(during).toMatch(/^baluhost_http_requests_in_flight/m);

      // Requests that need the database fail with the documented 503, whichever layer meets the outage.
      for (const call of [
        { method: 'GET', url: '/api/files/list' },
        { method: 'GET', url: '/api/users/' },
        { method: 'GET', url: '/api/auth/me' },
        { method: 'GET', url: '/api/logging/audit' },
      ] as const) {
        const res = await env.app.inject({ ...call, headers: admin.headers });
        expect(res.statusCode, `${call.method} ${call.url}: ${res.body}`).toBe(503);
        expect(res.json().code).toBe('database_unavailable');
      }
      await scrape();
      expect(captured).toHaveLength(1);
      const outageLines = env.logs.entries.slice(logsBefore).filter((e) => String(e['msg']).startsWith('database unavailable'));
      expect(outageLines).toHaveLength(1);
    } finally {
      cluster.start();
    }
    let after = '';
    for (let attempt = 0; attempt < 50 && !/^baluhost_database_up\{[^}]*\} 1$/m.test(after); attempt += 1) {
      after = await scrape();
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(after).toMatch(/^baluhost_database_up\{[^}]*\} 1$/m);
    expect(env.logs.entries.some((e) => e['msg'] === 'database answers again')).toBe(true);
  });
});
