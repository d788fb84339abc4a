/** Session listing and revocation, idle timeout and absolute lifetime, JWT key rotation. */
import { afterEach, describe, expect, it } from 'vitest';
import { createTokenCrypto } from '../../app/src/repositories/index.js';
import { bearer, createLoggedInUser, createUser, login } from '../helpers/factories.js';
import { fakeClock } from '../helpers/fake-clock.js';
import { createTestEnv, DIALECTS, type TestEnv } from '../helpers/test-app.js';

type Env = TestEnv & { close(): Promise<void> };
const refresh = (env: TestEnv, token: string) =>
  env.app.inject({ method: 'POST', url: '/api/auth/refresh', payload: { refresh_token: token } });

describe.each(DIALECTS)('sessions [%s]', (dialect) => {
  let env: Env | undefined;
  afterEach(async () => {
    await env?.close();
    env = undefined;
  });

  it('lists your own sessions, marks the current one, and signs out another device', async () => {
    env = await createTestEnv(dialect);
    const { user, password } = await createUser(env);
    const laptop = await login(env, user.username, password);
    const phone = await login(env, user.username, password);
    const listed = await env.app.inject({ method: 'GET', url: '/api/auth/sessions', headers: bearer(laptop.access_token) });
    const sessions = listed.json().sessions as { id: string; current: boolean }[];
    expect(sessions).toHaveLength(2);
    expect(sessions.filter((s) => s.current)).toHaveLength(1);
    const phoneSession = sessions.find((s) => !s.current) as { id: string };
    const revoked = await env.app.inject({
      method: 'DELETE',
      url: `/api/auth/sessions/${phoneSession.id}`,
      headers: bearer(laptop.access_token),
    });
    expect(revoked.statusCode).toBe(200);
    expect((await refresh(env, phone.refresh_token)).statusCode).toBe(401);
    expect((await env.app.inject({ method: 'GET', url: '/api/auth/me', headers: bearer(phone.access_token) })).statusCode).toBe(401);
    expect((await refresh(env, laptop.refresh_token)).statusCode).toBe(200);
  });

  it("cannot see or sign out another user's session", async () => {
    env = await createTestEnv(dialect);
    const alice = await createLoggedInUser(env);
    const bob = await createLoggedInUser(env);
    const bobSessions = (await env.app.inject({ method: 'GET', url: '/api/auth/sessions', headers: bob.headers })).json().sessions as {
      id: string;
    }[];
    const aliceSessions = (await env.app.inject({ method: 'GET', url: '/api/auth/sessions', headers: alice.headers })).json().sessions as {
      id: string;
    }[];
    expect(aliceSessions.map((s) => s.id)).not.toContain(bobSessions[0]?.id);
    const attempt = await env.app.inject({ method: 'DELETE', url: `/api/auth/sessions/${bobSessions[0]?.id}`, headers: alice.headers });
    expect(attempt.statusCode).toBe(404);
    expect((await refresh(env, bob.tokens.refresh_token)).statusCode).toBe(200);
  });

  it('lets an admin sign a user out everywhere', async () => {
    env = await createTestEnv(dialect);
    const admin = await createLoggedInUser(env, { role: 'admin' });
    const user = await createLoggedInUser(env);
    expect(
      (await env.app.inject({ method: 'DELETE', url: `/api/users/${admin.user.id}/sessions`, headers: user.headers })).statusCode,
    ).toBe(403);
    const res = await env.app.inject({ method: 'DELETE', url: `/api/users/${user.user.id}/sessions`, headers: admin.headers });
    expect(res.json().message).toBe('1 session(s) signed out');
    expect((await refresh(env, user.tokens.refresh_token)).statusCode).toBe(401);
  });

  it('ends a session left idle past the idle timeout, and any session past its absolute lifetime', async () => {
    const clock = fakeClock();
    env = await createTestEnv(dialect, {
      clock,
      env: { BALUHOST_SESSION_IDLE_TIMEOUT_SECONDS: '3600', BALUHOST_REFRESH_TOKEN_TTL_SECONDS: '10000' },
    });
    const { user, password } = await createUser(env);
    let tokens = await login(env, user.username, password);
    clock.advance(3000);
    const kept = await refresh(env, tokens.refresh_token);
    expect(kept.statusCode).toBe(200); // used within the hour: still alive
    tokens = kept.json();
    clock.advance(3601);
    expect((await refresh(env, tokens.refresh_token)).statusCode).toBe(401); // idle too long

    const again = await login(env, user.username, password);
    let current = again.refresh_token;
    // Kept busy (never idle), it still ends at its absolute lifetime of 10000 s.
    for (let i = 0; i < 3; i++) {
      clock.advance(3000);
      const r = await refresh(env, current);
      expect(r.statusCode).toBe(200);
      current = r.json().refresh_token;
    }
    clock.advance(1100);
    expect((await refresh(env, current)).statusCode).toBe(401);
  });
});

describe('JWT key rotation', () => {
  const OLD = 'old-secret-key-0123456789abcdef0123456789';
  const NEW = 'new-secret-key-0123456789abcdef0123456789';

  it('accepts tokens of a previous key listed in BALUHOST_PREVIOUS_SECRET_KEYS, signs only with the current key', async () => {
    const before = createTokenCrypto(OLD, 900);
    const token = (await before.signAccess({ userId: 1, sessionId: 's1' })).token;
    const rotated = createTokenCrypto(NEW, 900, [OLD]);
    await expect(rotated.verifyAccess(token)).resolves.toEqual({ userId: 1, sessionId: 's1' });
    const fresh = (await rotated.signAccess({ userId: 2, sessionId: 's2' })).token;
    await expect(before.verifyAccess(fresh)).rejects.toMatchObject({ code: 'invalid_token' });
  });

  it('refuses tokens of a key that was dropped from the list', async () => {
    const token = (await createTokenCrypto(OLD, 900).signAccess({ userId: 1, sessionId: 's1' })).token;
    await expect(createTokenCrypto(NEW, 900).verifyAccess(token)).rejects.toMatchObject({ code: 'invalid_token' });
  });

  it('keeps a signed-in user signed in across a key rotation of the running service', async () => {
    const env1 = await createTestEnv('sqlite', { env: { BALUHOST_SECRET_KEY: OLD } });
    try {
      const user = await createLoggedInUser(env1);
      const rotated = await createTestEnv('sqlite', { env: { BALUHOST_SECRET_KEY: NEW, BALUHOST_PREVIOUS_SECRET_KEYS: OLD } });
      try {
        // Same token, verified by a service that signs with the new key (the session lives in env1's database,
        // so the check that matters here is the signature: 401 "Session not found", not "invalid token").
        const res = await rotated.app.inject({ method: 'GET', url: '/api/auth/me', headers: user.headers });
        expect(res.json().code).toBe('invalid_token');
        expect(res.json().detail).toBe('Session not found');
      } finally {
        await rotated.close();
      }
    } finally {
      await env1.close();
    }
  });
});
