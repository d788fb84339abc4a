/** Admin-issued single-use reset tokens, and the host CLI for a locked-out admin. */
import { afterEach, describe, expect, it } from 'vitest';
import { bearer, createLoggedInUser, login } from '../helpers/factories.js';
import { fakeClock } from '../helpers/fake-clock.js';
import { runScript } from '../helpers/scripts.js';
import { rememberSecret } from '../helpers/secrets.js';
import { createTestEnv, DIALECTS, TEST_SECRET_KEY, type TestEnv } from '../helpers/test-app.js';

type Env = TestEnv & { close(): Promise<void> };
const NEW_PASSWORD = 'violet-harbour-lantern-7';

describe.each(DIALECTS)('password reset [%s]', (dialect) => {
  let env: Env | undefined;
  afterEach(async () => {
    await env?.close();
    env = undefined;
  });

  const issue = async (e: Env, adminHeaders: Record<string, string>, userId: number) => {
    const res = await e.app.inject({ method: 'POST', url: `/api/users/${userId}/reset-token`, headers: adminHeaders });
    expect(res.statusCode).toBe(201);
    const token = res.json().reset_token as string;
    rememberSecret(token);
    return token;
  };
  const redeem = (e: Env, token: string, password = NEW_PASSWORD) =>
    e.app.inject({ method: 'POST', url: '/api/auth/reset-password', payload: { token, new_password: password } });

  it('lets an admin issue a token the user redeems once: new password, every session signed out', async () => {
    env = await createTestEnv(dialect);
    const admin = await createLoggedInUser(env, { role: 'admin' });
    const user = await createLoggedInUser(env);
    expect(
      (await env.app.inject({ method: 'POST', url: `/api/users/${admin.user.id}/reset-token`, headers: user.headers })).statusCode,
    ).toBe(403);
    const token = await issue(env, admin.headers, user.user.id);
    const stored = await env.database.db.selectFrom('password_reset_tokens').select('token_hash').execute();
    expect(JSON.stringify(stored)).not.toContain(token);

    expect((await redeem(env, token)).statusCode).toBe(200);
    expect((await redeem(env, token)).statusCode).toBe(401);
    expect((await env.app.inject({ method: 'GET', url: '/api/auth/me', headers: user.headers })).statusCode).toBe(401);
    expect(
      (await env.app.inject({ method: 'POST', url: '/api/auth/login', payload: { username: user.user.username, password: user.password } }))
        .statusCode,
    ).toBe(401);
    rememberSecret(NEW_PASSWORD);
    expect((await login(env, user.user.username, NEW_PASSWORD)).access_token).toBeTruthy();
  });

  it('spends every older token of the user when one is redeemed', async () => {
    env = await createTestEnv(dialect);
    const admin = await createLoggedInUser(env, { role: 'admin' });
    const user = await createLoggedInUser(env);
    const older = await issue(env, admin.headers, user.user.id);
    const newer = await issue(env, admin.headers, user.user.id);
    expect((await redeem(env, newer)).statusCode).toBe(200);
    const replay = await redeem(env, older, 'another-fresh-passphrase-9');
    expect(replay.statusCode).toBe(401);
    expect(replay.json()).toEqual({ detail: 'Invalid or expired reset token', code: 'invalid_reset_token' });
    rememberSecret(NEW_PASSWORD);
    expect((await login(env, user.user.username, NEW_PASSWORD)).access_token).toBeTruthy();
  });

  it('is single-use even when redeemed twice at the same moment', async () => {
    env = await createTestEnv(dialect);
    const admin = await createLoggedInUser(env, { role: 'admin' });
    const user = await createLoggedInUser(env);
    const token = await issue(env, admin.headers, user.user.id);
    const results = await Promise.all([redeem(env, token, 'first-racer-password-1'), redeem(env, token, 'second-racer-password-2')]);
    expect(results.map((r) => r.statusCode).sort()).toEqual([200, 401]);
  });

  it('expires after 30 minutes, and a refused password does not spend the token', async () => {
    const clock = fakeClock();
    env = await createTestEnv(dialect, { clock });
    const admin = await createLoggedInUser(env, { role: 'admin' });
    const user = await createLoggedInUser(env);
    const token = await issue(env, admin.headers, user.user.id);
    expect((await redeem(env, token, 'password123')).statusCode).toBe(422);
    clock.advance(29 * 60);
    expect((await redeem(env, token)).statusCode).toBe(200);
    const late = await issue(env, bearer((await login(env, admin.user.username, admin.password)).access_token), user.user.id);
    clock.advance(31 * 60);
    expect((await redeem(env, late, 'another-fine-password-9')).statusCode).toBe(401);
  });
});

describe('npm run admin:reset-password', () => {
  it('gives a locked-out admin a new password, lifts the lockout and signs out every session', async () => {
    const env = await createTestEnv('sqlite', { env: { BALUHOST_LOCKOUT_THRESHOLD: '2' } });
    try {
      const admin = await createLoggedInUser(env, { role: 'admin' });
      for (let i = 0; i < 2; i++)
        await env.app.inject({
          method: 'POST',
          url: '/api/auth/login',
          payload: { username: admin.user.username, password: 'wrong-password-1' },
        });
      expect(
        (
          await env.app.inject({
            method: 'POST',
            url: '/api/auth/login',
            payload: { username: admin.user.username, password: admin.password },
          })
        ).statusCode,
      ).toBe(429);
      const run = await runScript('scripts/admin-reset-password.ts', ['--user', admin.user.username], {
        env: { BALUHOST_DATA_DIR: env.dir, BALUHOST_SECRET_KEY: TEST_SECRET_KEY, NODE_ENV: 'test' },
      });
      expect(run.code, run.stderr).toBe(0);
      const password = /New password for .*: (\S+)/.exec(run.stdout)?.[1] as string;
      rememberSecret(password);
      expect((await env.app.inject({ method: 'GET', url: '/api/auth/me', headers: admin.headers })).statusCode).toBe(401);
      expect((await login(env, admin.user.username, password)).access_token).toBeTruthy();
    } finally {
      await env.close();
    }
  });

  it('refuses missing or malformed arguments (exit 2) before opening the database', async () => {
    expect((await runScript('scripts/admin-reset-password.ts', [])).code).toBe(2);
    expect((await runScript('scripts/admin-reset-password.ts', ['--user', 'bad name;'])).stderr).toMatch(/is not a username/);
  });
});
