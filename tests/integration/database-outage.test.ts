import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUser } from '../helpers/factories.js';
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
});
