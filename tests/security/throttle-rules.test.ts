/**
 * Lockout and rate limits to the second and to the word, with a hand-moved clock: when a lock ends,
 * how long the next one lasts and its cap, which spellings of a name share a lock, what the refused
 * client is told, what the audit log keeps, how fast an admin's change reaches a second process,
 * and that old counters do not pile up. The rules do not depend on the database engine (the
 * brute-force test runs the same paths on both), so this runs on SQLite.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { buildApp } from '../../app/src/app.js';
import { createLogger } from '../../app/src/logger.js';
import { auditEntries } from '../helpers/audit.js';
import { createLoggedInUser, createUser } from '../helpers/factories.js';
import { fakeClock } from '../helpers/fake-clock.js';
import { createTestEnv, type TestEnv } from '../helpers/test-app.js';

type Env = TestEnv & { close(): Promise<void> };
const login = (env: TestEnv, username: string, password: string, remoteAddress = '127.0.0.1') =>
  env.app.inject({ method: 'POST', url: '/api/auth/login', payload: { username, password }, remoteAddress });

describe('throttle rules [sqlite]', () => {
  let env: Env | undefined;
  afterEach(async () => {
    await env?.close();
    env = undefined;
  });

  async function audit(action: string) {
    const admin = await createLoggedInUser(env as Env, { role: 'admin' });
    return auditEntries(env as Env, admin.headers, { action });
  }

  it('keeps a lock to the second, locks only at the threshold, and treats any spelling of the name as one account', async () => {
    const clock = fakeClock();
    env = await createTestEnv('sqlite', { clock, env: { BALUHOST_LOCKOUT_THRESHOLD: '3', BALUHOST_LOCKOUT_SECONDS: '60' } });
    const { user, password } = await createUser(env, { username: 'alice-lock' });
    for (let i = 0; i < 2; i++) await login(env, 'ALICE-LOCK', 'wrong-password-1');
    expect((await login(env, user.username, password)).statusCode).toBe(200); // two failures: not yet
    for (const name of ['Alice-Lock', ' alice-lock ', 'alice-lock']) await login(env, name, 'wrong-password-1');
    clock.advance(59);
    const locked = await login(env, user.username, password);
    expect(locked.statusCode).toBe(429);
    expect(locked.json()).toMatchObject({
      code: 'account_locked',
      detail: 'Too many failed logins; this account is locked for now',
      retry_after: 1,
    });
    clock.advance(1);
    expect((await login(env, user.username, password)).statusCode).toBe(200);

    const [entry] = await audit('account_locked');
    expect(entry).toMatchObject({
      event_type: 'security',
      user: 'alice-lock',
      success: false,
      error_message: '3 failed logins; locked for 60 s',
      details: { seconds: 60, level: 1 },
    });
  });

  it('doubles each further lockout up to one day', async () => {
    const clock = fakeClock();
    env = await createTestEnv('sqlite', { clock, env: { BALUHOST_LOCKOUT_THRESHOLD: '1', BALUHOST_LOCKOUT_SECONDS: '50000' } });
    const { user, password } = await createUser(env);
    await login(env, user.username, 'wrong-password-1');
    expect((await login(env, user.username, password)).headers['retry-after']).toBe('50000');
    clock.advance(50000);
    await login(env, user.username, 'wrong-password-1');
    expect((await login(env, user.username, password)).headers['retry-after']).toBe('86400'); // not 100000
  });

  it('lets an admin see a lockout and lift it', async () => {
    env = await createTestEnv('sqlite', { env: { BALUHOST_LOCKOUT_THRESHOLD: '1' } });
    const admin = await createLoggedInUser(env, { role: 'admin' });
    const { user, password } = await createUser(env);
    await login(env, user.username, 'wrong-password-1');
    const listed = (await env.app.inject({ method: 'GET', url: '/api/admin/lockouts', headers: admin.headers })).json().lockouts as {
      subject: string;
      level: number;
    }[];
    expect(listed).toEqual([expect.objectContaining({ subject: `user:${user.username}`, level: 1 })]);
    expect(
      (
        await env.app.inject({
          method: 'DELETE',
          url: `/api/admin/lockouts/${encodeURIComponent(`user:${user.username}`)}`,
          headers: admin.headers,
        })
      ).statusCode,
    ).toBe(200);
    expect((await login(env, user.username, password)).statusCode).toBe(200);
    expect((await env.app.inject({ method: 'GET', url: '/api/admin/lockouts', headers: admin.headers })).json().lockouts).toEqual([]);
  });

  it('allows exactly the limit per minute, says when to come back, audits the first refusal, and opens a new window', async () => {
    const clock = fakeClock();
    env = await createTestEnv('sqlite', { clock, env: { BALUHOST_AUTH_RATE_LIMIT_PER_MINUTE: '3', BALUHOST_LOCKOUT_THRESHOLD: '100' } });
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) statuses.push((await login(env, 'someone', 'wrong-password-1', '203.0.113.5')).statusCode);
    clock.advance(20);
    const refused = await login(env, 'someone', 'wrong-password-1', '203.0.113.5');
    expect(statuses).toEqual([401, 401, 401]);
    expect(refused.statusCode).toBe(429);
    expect(refused.headers['retry-after']).toBe('40');
    expect(refused.json()).toMatchObject({ detail: 'Too many requests from this address; try again in 40 seconds', retry_after: 40 });
    await login(env, 'someone', 'wrong-password-1', '203.0.113.5');
    await login(env, 'someone', 'wrong-password-1', '203.0.113.5');
    const entries = await audit('rate_limited');
    expect(entries).toEqual([
      expect.objectContaining({
        event_type: 'security',
        user: null,
        success: false,
        error_message: 'auth rate limit of 3/min reached',
        details: { scope: 'auth', ip: '203.0.113.5' },
      }),
    ]);
    clock.advance(40);
    expect((await login(env, 'someone', 'wrong-password-1', '203.0.113.5')).statusCode).toBe(401);
  });

  it("takes an admin's new limits at once in its own process and within five seconds in the other slot", async () => {
    const clock = fakeClock();
    env = await createTestEnv('sqlite', { clock, env: { BALUHOST_AUTH_RATE_LIMIT_PER_MINUTE: '100' } });
    const admin = await createLoggedInUser(env, { role: 'admin' });
    const other = await buildApp({ config: env.config, database: env.database, logger: createLogger({ logLevel: 'silent' }), clock });
    try {
      const read = async () => (await other.inject({ method: 'GET', url: '/api/admin/rate-limits', headers: admin.headers })).json();
      expect((await read()).auth_per_minute).toBe(100);
      const put = await env.app.inject({
        method: 'PUT',
        url: '/api/admin/rate-limits',
        headers: admin.headers,
        payload: { lockout_threshold: 4, lockout_seconds: 30, auth_per_minute: 2, api_per_minute: 0 },
      });
      expect(put.json().auth_per_minute).toBe(2);
      clock.advance(4.9);
      expect((await read()).auth_per_minute).toBe(100);
      clock.advance(0.1);
      expect(await read()).toMatchObject({ lockout_threshold: 4, lockout_seconds: 30, auth_per_minute: 2, api_per_minute: 0 });
    } finally {
      await other.close();
    }
    const [changed] = await audit('rate_limits_changed');
    expect(changed).toMatchObject({
      event_type: 'security',
      success: true,
      details: { lockoutThreshold: 4, lockoutSeconds: 30, authPerMinute: 2, apiPerMinute: 0 },
    });
  });

  it('limits the rest of the API on its own counter, and names that limit in the audit log', async () => {
    env = await createTestEnv('sqlite', {
      env: { BALUHOST_API_RATE_LIMIT_PER_MINUTE: '2', BALUHOST_AUTH_RATE_LIMIT_PER_MINUTE: '5', BALUHOST_LOCKOUT_THRESHOLD: '100' },
    });
    const get = () => env!.app.inject({ method: 'GET', url: '/api/system/info', remoteAddress: '203.0.113.7' });
    expect((await get()).statusCode).not.toBe(429);
    expect((await get()).statusCode).not.toBe(429);
    expect((await get()).statusCode).toBe(429);
    // Sign-ins from the same address still have their own allowance.
    expect((await login(env, 'someone', 'wrong-password-1', '203.0.113.7')).statusCode).toBe(401);
    const [entry] = await audit('rate_limited');
    expect(entry).toMatchObject({ error_message: 'api rate limit of 2/min reached', details: { scope: 'api', ip: '203.0.113.7' } });
  });

  it('keeps limits an admin saved in an earlier release', async () => {
    env = await createTestEnv('sqlite');
    await env.database.db
      .insertInto('settings')
      .values({
        key: 'throttle.limits',
        value: JSON.stringify({ lockoutThreshold: 9, lockoutSeconds: 45, authPerMinute: 11, apiPerMinute: 0 }),
        updated_at: new Date().toISOString(),
      })
      .execute();
    const admin = await createLoggedInUser(env, { role: 'admin' });
    expect((await env.app.inject({ method: 'GET', url: '/api/admin/rate-limits', headers: admin.headers })).json()).toMatchObject({
      lockout_threshold: 9,
      lockout_seconds: 45,
      auth_per_minute: 11,
      api_per_minute: 0,
    });
  });

  it('never limits when the limit is 0, nor a request without a client address', async () => {
    env = await createTestEnv('sqlite', {
      env: { BALUHOST_API_RATE_LIMIT_PER_MINUTE: '0', BALUHOST_AUTH_RATE_LIMIT_PER_MINUTE: '0', BALUHOST_LOCKOUT_THRESHOLD: '100' },
    });
    for (let i = 0; i < 30; i++) expect((await login(env, `someone-${i % 3}`, 'wrong-password-1', '203.0.113.9')).statusCode).not.toBe(429);
    const limited = await createTestEnv('sqlite', { env: { BALUHOST_AUTH_RATE_LIMIT_PER_MINUTE: '1', BALUHOST_LOCKOUT_THRESHOLD: '100' } });
    try {
      const throttle = limited.app.services.throttle;
      for (let i = 0; i < 3; i++)
        await expect(throttle.limitAuth({ ip: null, userAgent: null, requestId: `r${i}` })).resolves.toBeUndefined();
      await throttle.limitAuth({ ip: '203.0.113.10', userAgent: null, requestId: 'a' });
      await expect(throttle.limitAuth({ ip: '203.0.113.10', userAgent: null, requestId: 'b' })).rejects.toMatchObject({ status: 429 });
    } finally {
      await limited.close();
    }
  });

  it('clears out finished windows as it goes, so counters do not pile up', async () => {
    const clock = fakeClock();
    env = await createTestEnv('sqlite', { clock, env: { BALUHOST_API_RATE_LIMIT_PER_MINUTE: '100000' } });
    const throttle = env.app.services.throttle;
    const counters = async () => (await env!.database.db.selectFrom('rate_limit_counters').select('key').execute()).length;
    for (let i = 0; i < 999; i++)
      await throttle.limitApi({ ip: `198.18.${Math.floor(i / 250)}.${i % 250}`, userAgent: null, requestId: String(i) });
    expect(await counters()).toBe(999);
    clock.advance(61);
    await throttle.limitApi({ ip: '198.18.9.9', userAgent: null, requestId: 'last' }); // the 1000th hit prunes
    expect(await counters()).toBe(1);
  });
});
