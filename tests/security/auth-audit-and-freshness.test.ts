/**
 * What an admin reads after the fact and what a user is told: every authentication event in the
 * audit log (who, what, whether it worked, why not), the exact refusals, and the time limits of
 * sessions and of "fresh" authentication, checked to the second with a hand-moved clock.
 * The rules live in the auth service and do not depend on the database engine (the repositories
 * are tested on both elsewhere), so this runs on SQLite only.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditEntries, type AuditEntry } from '../helpers/audit.js';
import { bearer, createLoggedInUser, createUser, login } from '../helpers/factories.js';
import { fakeClock } from '../helpers/fake-clock.js';
import { createTestEnv, type TestEnv } from '../helpers/test-app.js';

/** The fields an admin reads in these tests. */
const seen = ({ event_type, user, action, success, error_message, details }: AuditEntry) => ({
  event_type,
  user,
  action,
  success,
  error_message,
  details,
});

describe('authentication audit trail, refusals and time limits [sqlite]', () => {
  const clock = fakeClock();
  let env: TestEnv & { close(): Promise<void> };
  let admin: Awaited<ReturnType<typeof createLoggedInUser>>;

  beforeAll(async () => {
    env = await createTestEnv('sqlite', {
      clock,
      env: { BALUHOST_SESSION_IDLE_TIMEOUT_SECONDS: '3600', BALUHOST_REFRESH_TOKEN_TTL_SECONDS: '86400' },
    });
    admin = await createLoggedInUser(env, { role: 'admin' });
  });
  afterAll(() => env?.close());

  const post = (url: string, payload: unknown, headers: Record<string, string> = {}) =>
    env.app.inject({ method: 'POST', url, payload: payload as object, headers });

  /** The audit entries about one user name (as actor or as the name tried), oldest first, read as an admin. */
  async function trail(username: string): Promise<ReturnType<typeof seen>[]> {
    await post('/api/auth/reauthenticate', { password: admin.password }, admin.headers); // keeps the admin's session in use
    return (await auditEntries(env, admin.headers, { user: username })).map(seen);
  }

  it('records sign-ins that worked and the ones that did not, saying why', async () => {
    const { user, password } = await createUser(env);
    const disabled = await createUser(env, { isActive: false });
    expect((await post('/api/auth/login', { username: user.username, password: 'wrong-password-1' })).json()).toMatchObject({
      code: 'invalid_credentials',
    });
    await login(env, user.username, password);
    await post('/api/auth/login', { username: 'nobody-by-that-name', password: 'whatever-123' });
    await post('/api/auth/login', { username: disabled.user.username, password: disabled.password });

    const attempts = await trail(user.username);
    expect(attempts).toEqual([
      { event_type: 'auth', user: user.username, action: 'login', success: false, error_message: 'wrong password', details: null },
      {
        event_type: 'auth',
        user: user.username,
        action: 'login',
        success: true,
        error_message: null,
        details: { session_id: expect.any(String) },
      },
    ]);
    expect(await trail('nobody-by-that-name')).toEqual([
      { event_type: 'auth', user: 'nobody-by-that-name', action: 'login', success: false, error_message: 'unknown user', details: null },
    ]);
    expect(await trail(disabled.user.username)).toEqual([
      {
        event_type: 'auth',
        user: disabled.user.username,
        action: 'login',
        success: false,
        error_message: 'account disabled',
        details: null,
      },
    ]);
    // A wrong password is tied to the account it was tried on, so the account's own log shows it.
    const own = await auditEntries(env, bearer((await login(env, user.username, password)).access_token));
    expect(own.filter((l) => l.success === false)).toHaveLength(1);
  });

  it('records sign-out, password changes (and how many other sessions they ended)', async () => {
    const { user, password } = await createUser(env);
    const laptop = await login(env, user.username, password);
    const phone = await login(env, user.username, password);
    const wrong = await post(
      '/api/auth/change-password',
      { current_password: 'not-it-at-all', new_password: 'a-new-passphrase-2026' },
      bearer(laptop.access_token),
    );
    expect(wrong.statusCode).toBe(401);
    expect(wrong.json()).toMatchObject({ code: 'invalid_credentials', detail: 'Current password is incorrect' });
    expect(
      (
        await post(
          '/api/auth/change-password',
          { current_password: password, new_password: 'a-new-passphrase-2026' },
          bearer(laptop.access_token),
        )
      ).statusCode,
    ).toBe(200);
    expect((await post('/api/auth/refresh', { refresh_token: phone.refresh_token })).statusCode).toBe(401);
    expect((await post('/api/auth/logout', {}, bearer(laptop.access_token))).statusCode).toBe(200);

    expect((await trail(user.username)).slice(2)).toEqual([
      {
        event_type: 'auth',
        user: user.username,
        action: 'change_password',
        success: false,
        error_message: 'wrong current password',
        details: null,
      },
      {
        event_type: 'auth',
        user: user.username,
        action: 'change_password',
        success: true,
        error_message: null,
        details: { revoked_sessions: 1 },
      },
      { event_type: 'auth', user: user.username, action: 'logout', success: true, error_message: null, details: null },
    ]);
  });

  it('records a replayed refresh token as a security event naming the revoked session', async () => {
    const u = await createLoggedInUser(env);
    const rotated = await post('/api/auth/refresh', { refresh_token: u.tokens.refresh_token });
    expect(rotated.statusCode).toBe(200);
    const replay = await post('/api/auth/refresh', { refresh_token: u.tokens.refresh_token });
    expect(replay.json()).toMatchObject({
      code: 'refresh_token_reused',
      detail: 'Refresh token already used; the session has been revoked',
    });
    expect((await post('/api/auth/refresh', { refresh_token: rotated.json().refresh_token })).json()).toMatchObject({
      code: 'invalid_refresh_token',
      detail: 'Invalid or expired refresh token',
    });
    const sessions = await env.app.services.repos.sessions.listLive(u.user.id, clock.now());
    expect(sessions).toEqual([]);
    const security = await auditEntries(env, admin.headers, { event_type: 'security' });
    // The replayed token proves nothing about who sent it, so the entry names no actor, only the session.
    expect(security.filter((l) => l.action === 'refresh_token_reuse')).toEqual([
      expect.objectContaining({
        event_type: 'security',
        success: false,
        error_message: 'rotated refresh token presented again; session revoked',
        details: { session_id: expect.any(String) },
      }),
    ]);
  });

  it('records a user ending one of their sessions, and an admin ending all of them', async () => {
    const { user, password } = await createUser(env);
    const first = await login(env, user.username, password);
    const second = await login(env, user.username, password);
    const listed = (await env.app.inject({ method: 'GET', url: '/api/auth/sessions', headers: bearer(first.access_token) })).json()
      .sessions as { id: string; current: boolean }[];
    const other = listed.find((s) => !s.current) as { id: string };
    expect(
      (await env.app.inject({ method: 'DELETE', url: `/api/auth/sessions/${other.id}`, headers: bearer(first.access_token) })).statusCode,
    ).toBe(200);
    const again = await env.app.inject({ method: 'DELETE', url: `/api/auth/sessions/${other.id}`, headers: bearer(first.access_token) });
    expect(again.json()).toMatchObject({ code: 'session_not_found', detail: `Session not found: ${other.id}` });
    expect((await post('/api/auth/refresh', { refresh_token: second.refresh_token })).statusCode).toBe(401);

    await login(env, user.username, password);
    const all = await env.app.inject({ method: 'DELETE', url: `/api/users/${user.id}/sessions`, headers: admin.headers });
    expect(all.json().message).toBe('2 session(s) signed out');
    const nobody = await env.app.inject({ method: 'DELETE', url: '/api/users/999999/sessions', headers: admin.headers });
    expect(nobody.json()).toMatchObject({ code: 'user_not_found', detail: 'User not found: id=999999' });

    expect((await trail(user.username)).filter((e) => e.action === 'revoke_session')).toEqual([
      {
        event_type: 'auth',
        user: user.username,
        action: 'revoke_session',
        success: true,
        error_message: null,
        details: { session_id: other.id },
      },
    ]);
    expect((await trail(admin.user.username)).filter((e) => e.action === 'revoke_user_sessions')).toContainEqual({
      event_type: 'security',
      user: admin.user.username,
      action: 'revoke_user_sessions',
      success: true,
      error_message: null,
      details: { target_user_id: user.id, revoked: 2 },
    });
  });

  it('records who issued a reset token: an admin by name, the host command line as "host-cli"', async () => {
    const { user } = await createUser(env);
    const issued = await post(`/api/users/${user.id}/reset-token`, {}, admin.headers);
    expect(issued.statusCode).toBe(201);
    expect((await post('/api/users/999999/reset-token', {}, admin.headers)).json()).toMatchObject({
      code: 'user_not_found',
      detail: 'User not found: id=999999',
    });
    await env.app.services.auth.issueResetToken({ ip: null, userAgent: null, requestId: 'cli' }, null, user.id);
    const events = await auditEntries(env, admin.headers, { action: 'password_reset_issued' });
    const mine = events.filter((e) => (e.details as { target_user_id: number }).target_user_id === user.id);
    expect(mine.map((e) => [e.event_type, e.user, e.success])).toEqual(
      expect.arrayContaining([
        ['security', admin.user.username, true],
        ['security', 'host-cli', true],
      ]),
    );
    expect(mine).toHaveLength(2);
    expect(
      (await post('/api/auth/reset-password', { token: issued.json().reset_token, new_password: 'violet-harbor-lamp-83' })).json(),
    ).toEqual({ message: expect.any(String) });
  });

  it('records password resets that worked and the ones that did not, and says why a session stopped working', async () => {
    const u = await createLoggedInUser(env);
    const issued = (await post(`/api/users/${u.user.id}/reset-token`, {}, admin.headers)).json().reset_token as string;
    const bogus = await post('/api/auth/reset-password', { token: 'not-a-real-token', new_password: 'violet-harbor-lamp-84' });
    expect(bogus.json()).toMatchObject({ code: 'invalid_reset_token', detail: 'Invalid or expired reset token' });
    const weak = await post('/api/auth/reset-password', { token: issued, new_password: 'short' });
    expect(weak.json()).toMatchObject({
      detail: 'new_password: must be at least 10 characters',
      errors: [expect.objectContaining({ loc: ['body', 'new_password'], msg: 'must be at least 10 characters' })],
    });
    expect((await post('/api/auth/reset-password', { token: issued, new_password: 'violet-harbor-lamp-84' })).statusCode).toBe(200);
    const ended = await env.app.inject({ method: 'GET', url: '/api/auth/me', headers: u.headers });
    expect(ended.json()).toMatchObject({ code: 'session_revoked', detail: 'Session has ended' });

    const resets = await auditEntries(env, admin.headers, { action: 'password_reset' });
    const mine = resets
      .slice(-2)
      .map(({ event_type, user, success, error_message, details }) => ({ event_type, user, success, error_message, details }));
    expect(mine).toEqual([
      { event_type: 'security', user: null, success: false, error_message: 'unknown, used or expired token', details: null },
      { event_type: 'security', user: u.user.username, success: true, error_message: null, details: { revoked_sessions: 1 } },
    ]);

    const other = await createLoggedInUser(env);
    await env.app.inject({ method: 'PUT', url: `/api/users/${other.user.id}`, headers: admin.headers, payload: { is_active: false } });
    const disabled = await env.app.inject({ method: 'GET', url: '/api/auth/me', headers: other.headers });
    expect(disabled.statusCode).toBe(401);
  });

  it('asks for the password again after five minutes before an admin action, and counts from the latest proof', async () => {
    const fresh = await createLoggedInUser(env, { role: 'admin' });
    const victim = async () => (await createUser(env)).user.id;
    const remove = async (id: number) => env.app.inject({ method: 'DELETE', url: `/api/users/${id}`, headers: fresh.headers });

    clock.advance(300);
    expect((await remove(await victim())).statusCode).toBe(204); // exactly five minutes: still fresh
    clock.advance(1);
    const stale = await remove(await victim());
    expect(stale.statusCode).toBe(403);
    expect(stale.json()).toMatchObject({
      code: 'reauthentication_required',
      detail: 'This action needs your password again: POST /api/auth/reauthenticate first',
    });

    const wrong = await post('/api/auth/reauthenticate', { password: 'not-my-password' }, fresh.headers);
    expect(wrong.json()).toMatchObject({ code: 'invalid_credentials', detail: 'Password is incorrect' });
    expect((await remove(await victim())).statusCode).toBe(403);
    expect((await post('/api/auth/reauthenticate', { password: fresh.password }, fresh.headers)).statusCode).toBe(200);
    clock.advance(300);
    expect((await remove(await victim())).statusCode).toBe(204);
    clock.advance(1);
    expect((await remove(await victim())).statusCode).toBe(403);

    expect((await trail(fresh.user.username)).filter((e) => e.action === 'reauthenticate')).toEqual([
      {
        event_type: 'auth',
        user: fresh.user.username,
        action: 'reauthenticate',
        success: false,
        error_message: 'wrong password',
        details: null,
      },
      { event_type: 'auth', user: fresh.user.username, action: 'reauthenticate', success: true, error_message: null, details: null },
    ]);
  });

  it('ends a session at the second its idle time runs out, and lists only live sessions', async () => {
    const { user, password } = await createUser(env);
    const idle = await login(env, user.username, password);
    clock.advance(1800);
    const busy = await login(env, user.username, password);
    clock.advance(1799);
    const listed = (
      await env.app.inject({
        method: 'GET',
        url: '/api/auth/sessions',
        headers: bearer((await post('/api/auth/refresh', { refresh_token: busy.refresh_token })).json().access_token),
      })
    ).json().sessions as unknown[];
    expect(listed).toHaveLength(2); // the first session is 3599 s idle: still alive
    clock.advance(1);
    const now = (
      await env.app.inject({
        method: 'GET',
        url: '/api/auth/sessions',
        headers: bearer((await login(env, user.username, password)).access_token),
      })
    ).json().sessions as unknown[];
    expect(now).toHaveLength(2); // the first has idled out exactly now; the busy one and the new one remain
    expect((await post('/api/auth/refresh', { refresh_token: idle.refresh_token })).statusCode).toBe(401);
  });

  it('ends every session at its absolute lifetime, to the second', async () => {
    const short = await createTestEnv('sqlite', {
      clock,
      env: { BALUHOST_SESSION_IDLE_TIMEOUT_SECONDS: '100000', BALUHOST_REFRESH_TOKEN_TTL_SECONDS: '1000' },
    });
    try {
      const u = await createLoggedInUser(short);
      clock.advance(999);
      const last = await short.app.inject({ method: 'POST', url: '/api/auth/refresh', payload: { refresh_token: u.tokens.refresh_token } });
      expect(last.statusCode).toBe(200);
      clock.advance(1);
      expect(
        (await short.app.inject({ method: 'POST', url: '/api/auth/refresh', payload: { refresh_token: last.json().refresh_token } }))
          .statusCode,
      ).toBe(401);
    } finally {
      await short.close();
    }
  });
});
