/** Per-account progressive lockout and per-address rate limits, shared through the database. */
import { afterEach, describe, expect, it } from 'vitest';
import { buildApp } from '../../app/src/app.js';
import { createLogger } from '../../app/src/logger.js';
import { DIALECTS, createTestEnv, type TestEnv } from '../helpers/test-app.js';
import { createLoggedInUser, createUser } from '../helpers/factories.js';
import { fakeClock } from '../helpers/fake-clock.js';

type Env = TestEnv & { close(): Promise<void> };
const login = (env: TestEnv, username: string, password: string, remoteAddress = '127.0.0.1') =>
  env.app.inject({ method: 'POST', url: '/api/auth/login', payload: { username, password }, remoteAddress });

describe.each(DIALECTS)('brute-force protection [%s]', (dialect) => {
  let env: Env | undefined;
  afterEach(async () => {
    await env?.close();
    env = undefined;
  });

  it('locks an account after the threshold, even against the right password, and doubles the next lockout', async () => {
    const clock = fakeClock();
    env = await createTestEnv(dialect, { clock, env: { BALUHOST_LOCKOUT_THRESHOLD: '3', BALUHOST_LOCKOUT_SECONDS: '60' } });
    const { user, password } = await createUser(env);
    for (let i = 0; i < 3; i++) expect((await login(env, user.username, 'wrong-password-1')).statusCode).toBe(401);
    const locked = await login(env, user.username, password);
    expect(locked.statusCode).toBe(429);
    expect(locked.headers['retry-after']).toBe('60');
    expect(locked.json()).toMatchObject({ error: 'Too Many Requests', retry_after: 60, code: 'account_locked' });

    clock.advance(61);
    expect((await login(env, user.username, password)).statusCode).toBe(200); // success clears the counters
    for (let i = 0; i < 3; i++) await login(env, user.username, 'wrong-password-1');
    expect((await login(env, user.username, password)).headers['retry-after']).toBe('60'); // cleared: back to level 1

    clock.advance(61);
    for (let i = 0; i < 3; i++) await login(env, user.username, 'wrong-password-1');
    expect((await login(env, user.username, password)).headers['retry-after']).toBe('120');
  });

  it('keeps the rightful user in: a lockout binds the addresses that failed, a clean address gets one guess at a time', async () => {
    env = await createTestEnv(dialect, { env: { BALUHOST_LOCKOUT_THRESHOLD: '3', BALUHOST_LOCKOUT_SECONDS: '60' } });
    const { user, password } = await createUser(env, { role: 'admin' });
    const attacker = '203.0.113.66';
    for (let i = 0; i < 3; i++) expect((await login(env, user.username, `guess-${i}-xx`, attacker)).statusCode).toBe(401);
    expect((await login(env, user.username, password, attacker)).statusCode).toBe(429);
    // The admin, from an address that never failed, gets in with the right password...
    expect((await login(env, user.username, password, '192.168.1.10')).statusCode).toBe(200);
    // ...which ends the lockout; a fresh lockout binds a new guessing address too, after its one wrong guess.
    for (let i = 0; i < 3; i++) await login(env, user.username, `guess-${i}-yy`, attacker);
    expect((await login(env, user.username, 'one-more-guess', '198.51.100.7')).statusCode).toBe(401);
    expect((await login(env, user.username, password, '198.51.100.7')).statusCode).toBe(429);
    expect((await login(env, user.username, password, attacker)).statusCode).toBe(429);
  });

  it('counts wrong current passwords at change-password like failed logins: a stolen session is no password oracle', async () => {
    env = await createTestEnv(dialect, { env: { BALUHOST_LOCKOUT_THRESHOLD: '3', BALUHOST_LOCKOUT_SECONDS: '60' } });
    const u = await createLoggedInUser(env);
    const change = (current: string) =>
      env!.app.inject({
        method: 'POST',
        url: '/api/auth/change-password',
        headers: u.headers,
        payload: { current_password: current, new_password: 'A-Brand-New-Passphrase-7' },
      });
    for (let i = 0; i < 3; i++) expect((await change(`guess-number-${i}`)).statusCode).toBe(401);
    const locked = await change(u.password);
    expect([locked.statusCode, locked.json()]).toEqual([429, expect.objectContaining({ code: 'account_locked' })]);
    expect((await login(env, u.user.username, u.password)).statusCode).toBe(429);
  });

  it('locks guessing of a share-link password per link and address, on /access and on downloads', async () => {
    env = await createTestEnv(dialect, { env: { BALUHOST_LOCKOUT_THRESHOLD: '3', BALUHOST_LOCKOUT_SECONDS: '60' } });
    const owner = await createLoggedInUser(env);
    const uploaded = await env.app.inject({
      method: 'POST',
      url: '/api/files/upload',
      headers: { ...owner.headers, 'content-type': 'multipart/form-data; boundary=x' },
      payload:
        '--x\r\nContent-Disposition: form-data; name="path"\r\n\r\n\r\n--x\r\nContent-Disposition: form-data; name="files"; filename="tax.pdf"\r\nContent-Type: application/octet-stream\r\n\r\n2025 return\r\n--x--\r\n',
    });
    expect(uploaded.statusCode).toBe(200);
    const fileId = uploaded.json<{ file_ids: number[] }>().file_ids[0];
    const link = await env.app.inject({
      method: 'POST',
      url: '/api/shares/links',
      headers: owner.headers,
      payload: { file_id: fileId, password: 'Right-Share-Pass-1', allow_download: true },
    });
    expect(link.statusCode).toBe(201);
    const token = link.json<{ token: string }>().token;
    const access = (password: string, remoteAddress = '203.0.113.9') =>
      env!.app.inject({ method: 'POST', url: `/api/shares/public/${token}/access`, payload: { password }, remoteAddress });
    for (let i = 0; i < 3; i++) expect((await access(`guess-${i}`)).statusCode).toBe(403);
    const locked = await access('Right-Share-Pass-1');
    expect([locked.statusCode, locked.json()]).toEqual([429, expect.objectContaining({ code: 'share_locked' })]);
    const download = await env.app.inject({
      method: 'GET',
      url: `/api/shares/public/${token}/download`,
      headers: { 'x-share-password': 'Right-Share-Pass-1' },
      remoteAddress: '203.0.113.9',
    });
    expect(download.statusCode).toBe(429);
    // Another address is not locked out by the guesser.
    expect((await access('Right-Share-Pass-1', '198.51.100.4')).statusCode).toBe(200);
  });

  it('locks unknown usernames the same way, so a lockout does not reveal who exists', async () => {
    env = await createTestEnv(dialect, { env: { BALUHOST_LOCKOUT_THRESHOLD: '2' } });
    for (let i = 0; i < 2; i++) expect((await login(env, 'nobody-here', 'wrong-password-1')).statusCode).toBe(401);
    expect((await login(env, 'nobody-here', 'wrong-password-1')).json()).toMatchObject({ code: 'account_locked' });
  });

  it('audits the lockout and counts it in baluhost_auth_lockouts_total', async () => {
    env = await createTestEnv(dialect, { env: { BALUHOST_LOCKOUT_THRESHOLD: '2' } });
    const { user } = await createUser(env);
    for (let i = 0; i < 2; i++) await login(env, user.username, 'wrong-password-1');
    const audited = await env.database.db.selectFrom('audit_log').selectAll().where('action', '=', 'account_locked').execute();
    expect(audited).toHaveLength(1);
    expect(audited[0]?.username).toBe(user.username);
    expect(Boolean(audited[0]?.success)).toBe(false);
    const metrics = await env.app.inject({ method: 'GET', url: '/metrics' });
    expect(metrics.body).toMatch(/^baluhost_auth_lockouts_total(\{[^}]*\})? 1$/m);
  });

  it('shares lockouts between two API processes on the same database (blue and green slots)', async () => {
    env = await createTestEnv(dialect, { env: { BALUHOST_LOCKOUT_THRESHOLD: '2' } });
    const other = await buildApp({ config: env.config, database: env.database, logger: createLogger({ logLevel: 'silent' }) });
    try {
      const { user, password } = await createUser(env);
      for (let i = 0; i < 2; i++) await login(env, user.username, 'wrong-password-1');
      const res = await other.inject({ method: 'POST', url: '/api/auth/login', payload: { username: user.username, password } });
      expect(res.statusCode).toBe(429);
    } finally {
      await other.close();
    }
  });

  it("rate-limits /api/auth/* per client address with the API's 429 shape, and leaves other addresses alone", async () => {
    env = await createTestEnv(dialect, { env: { BALUHOST_AUTH_RATE_LIMIT_PER_MINUTE: '4', BALUHOST_LOCKOUT_THRESHOLD: '100' } });
    const statuses: number[] = [];
    let last;
    for (let i = 0; i < 6; i++) {
      last = await login(env, 'someone', 'wrong-password-1', '198.51.100.20');
      statuses.push(last.statusCode);
    }
    expect(statuses).toEqual([401, 401, 401, 401, 429, 429]);
    expect(Number(last?.headers['retry-after'])).toBeGreaterThan(0);
    expect(last?.json()).toMatchObject({
      error: 'Too Many Requests',
      detail: expect.stringContaining('Too many requests') as unknown,
      retry_after: expect.any(Number) as unknown,
    });
    expect((await login(env, 'someone', 'wrong-password-1', '198.51.100.21')).statusCode).toBe(401);
    expect((await env.app.inject({ method: 'GET', url: '/api/health', remoteAddress: '198.51.100.20' })).statusCode).toBe(200);
    // Reads under /api/auth/ are ordinary API use: the web client asks /api/auth/me on every page.
    const me = await env.app.inject({ method: 'GET', url: '/api/auth/me', remoteAddress: '198.51.100.20' });
    expect(me.statusCode).toBe(401);
    const audited = await env.database.db.selectFrom('audit_log').select('action').where('action', '=', 'rate_limited').execute();
    expect(audited).toHaveLength(1); // the first refusal of the window, not every one
  });

  it('counts a request by the route it reaches, however its URL is spelled', async () => {
    env = await createTestEnv(dialect, {
      env: { BALUHOST_AUTH_RATE_LIMIT_PER_MINUTE: '3', BALUHOST_API_RATE_LIMIT_PER_MINUTE: '3', BALUHOST_LOCKOUT_THRESHOLD: '100' },
    });
    const auth = [];
    for (const url of ['/api/auth/login', '/api/%61uth/login', '/%61pi/auth/login', '/api/auth/%6cogin', '/api/%61%75th/login'])
      auth.push(
        (
          await env.app.inject({
            method: 'POST',
            url,
            remoteAddress: '198.51.100.40',
            payload: { username: 'someone', password: 'wrong-password-1' },
          })
        ).statusCode,
      );
    expect(auth).toEqual([401, 401, 401, 429, 429]);
    const api = [];
    for (const url of ['/api/system/info', '/%61pi/system/info', '/api/%73ystem/info', '/api/system/%69nfo', '/api/nowhere%2Fat-all'])
      api.push((await env.app.inject({ method: 'GET', url, remoteAddress: '198.51.100.41' })).statusCode);
    expect(api.slice(3)).toEqual([429, 429]);
  });

  it('rate-limits the rest of the API per address when configured', async () => {
    env = await createTestEnv(dialect, { env: { BALUHOST_API_RATE_LIMIT_PER_MINUTE: '3' } });
    const statuses = [];
    for (let i = 0; i < 5; i++)
      statuses.push((await env.app.inject({ method: 'GET', url: '/api/system/info', remoteAddress: '198.51.100.30' })).statusCode);
    expect(statuses.slice(3)).toEqual([429, 429]);
    expect(statuses.slice(0, 3)).not.toContain(429);
  });

  it('lets admins read and change the limits; the change reaches every process through the database', async () => {
    env = await createTestEnv(dialect);
    const admin = await createLoggedInUser(env, { role: 'admin' });
    const user = await createLoggedInUser(env);
    expect((await env.app.inject({ method: 'GET', url: '/api/admin/rate-limits', headers: user.headers })).statusCode).toBe(403);
    const put = await env.app.inject({
      method: 'PUT',
      url: '/api/admin/rate-limits',
      headers: admin.headers,
      payload: { lockout_threshold: 7, lockout_seconds: 300, auth_per_minute: 2, api_per_minute: 0 },
    });
    expect(put.json()).toEqual({ lockout_threshold: 7, lockout_seconds: 300, auth_per_minute: 2, api_per_minute: 0 });
    expect(
      (
        await env.app.inject({
          method: 'PUT',
          url: '/api/admin/rate-limits',
          headers: admin.headers,
          payload: { lockout_threshold: 0, lockout_seconds: 300, auth_per_minute: 2, api_per_minute: 0 },
        })
      ).statusCode,
    ).toBe(422);
    const other = await buildApp({ config: env.config, database: env.database, logger: createLogger({ logLevel: 'silent' }) });
    try {
      const statuses = [];
      for (let i = 0; i < 3; i++)
        statuses.push(
          (
            await other.inject({
              method: 'POST',
              url: '/api/auth/login',
              payload: { username: 'x', password: 'wrong-password-1' },
              remoteAddress: '198.51.100.40',
            })
          ).statusCode,
        );
      expect(statuses).toEqual([401, 401, 429]);
    } finally {
      await other.close();
    }
    const lockouts = await env.app.inject({ method: 'GET', url: '/api/admin/lockouts', headers: admin.headers });
    expect(lockouts.statusCode).toBe(200);
  });
});
