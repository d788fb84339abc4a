import { describe, expect, it } from 'vitest';
import { bearer, createLoggedInUser, createUser, login } from '../helpers/factories.js';
import { describeEachDialect } from '../helpers/test-app.js';

describeEachDialect('auth API', (env) => {
  const post = (url: string, payload: unknown, headers: Record<string, string> = {}) =>
    env().app.inject({ method: 'POST', url, payload: payload as object, headers });

  describe('login', () => {
    it('returns an access token, a refresh token and the user in the contract shape', async () => {
      const { user, password } = await createUser(env(), { role: 'admin' });
      const res = await post('/api/auth/login', { username: user.username, password });
      expect(res.statusCode).toBe(200);
      const body = res.json();
      expect(Object.keys(body).sort()).toEqual(['access_token', 'expires_in', 'refresh_token', 'token_type', 'user']);
      expect(body.token_type).toBe('bearer');
      expect(body.expires_in).toBe(900);
      expect(body.user).toEqual({
        id: user.id,
        username: user.username,
        email: user.email,
        role: 'admin',
        is_active: true,
        created_at: user.createdAt,
        updated_at: user.updatedAt,
        avatar_url: null,
      });
      expect(JSON.stringify(body)).not.toContain('password');
    });

    it('accepts the username in any letter case', async () => {
      const { user, password } = await createUser(env());
      const res = await post('/api/auth/login', { username: user.username.toUpperCase(), password });
      expect(res.statusCode).toBe(200);
    });

    it('answers a wrong password and an unknown user identically', async () => {
      const { user } = await createUser(env());
      const wrong = await post('/api/auth/login', { username: user.username, password: 'not-the-password' });
      const unknown = await post('/api/auth/login', { username: 'nobody-here', password: 'not-the-password' });
      expect(wrong.statusCode).toBe(401);
      expect(unknown.statusCode).toBe(401);
      expect(wrong.body).toBe(unknown.body);
      expect(wrong.json()).toEqual({ detail: 'Incorrect username or password', code: 'invalid_credentials' });
    });

    it('refuses a disabled user with the same answer as a wrong password', async () => {
      const { user, password } = await createUser(env(), { isActive: false });
      const res = await post('/api/auth/login', { username: user.username, password });
      expect(res.statusCode).toBe(401);
      expect(res.json().code).toBe('invalid_credentials');
    });

    it('audits failures and successes without storing the password', async () => {
      const { user, password } = await createUser(env());
      await post('/api/auth/login', { username: user.username, password: 'wrong-password-1' });
      await login(env(), user.username, password);
      const rows = await env()
        .database.db.selectFrom('audit_log')
        .selectAll()
        .where('username', '=', user.username)
        .orderBy('id')
        .execute();
      expect(rows.map((r) => [r.action, Boolean(r.success)])).toEqual([
        ['login', false],
        ['login', true],
      ]);
      expect(JSON.stringify(rows)).not.toContain(password);
      expect(JSON.stringify(rows)).not.toContain('wrong-password-1');
    });
  });

  describe('input validation', () => {
    it('lists every bad field with 422 (an unknown one is ignored, as the original does) and creates no session', async () => {
      const before = await env()
        .database.db.selectFrom('sessions')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow();
      const res = await post('/api/auth/login', { username: 42, extra: true });
      expect(res.statusCode).toBe(422);
      const body = res.json();
      expect(body.code).toBe('validation_error');
      const locs = body.detail.map((d: { loc: string[] }) => d.loc.join('.')).sort();
      expect(locs).toEqual(['body.password', 'body.username']);
      const after = await env()
        .database.db.selectFrom('sessions')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow();
      expect(Number(after.n)).toBe(Number(before.n));
    });

    it('answers malformed JSON with 422 naming the body', async () => {
      const res = await env().app.inject({
        method: 'POST',
        url: '/api/auth/login',
        payload: '{"username": ',
        headers: { 'content-type': 'application/json' },
      });
      expect(res.statusCode).toBe(422);
      expect(res.json().detail).toEqual([{ loc: ['body'], msg: 'body is not valid JSON', type: 'json_invalid' }]);
    });

    it('does not coerce wrong types in bodies', async () => {
      const res = await post('/api/auth/refresh', { refresh_token: 12345 });
      expect(res.statusCode).toBe(422);
      expect(res.json().detail[0].loc).toEqual(['body', 'refresh_token']);
    });
  });

  describe('me and bearer tokens', () => {
    it('returns the caller', async () => {
      const u = await createLoggedInUser(env());
      const res = await env().app.inject({ method: 'GET', url: '/api/auth/me', headers: u.headers });
      expect(res.statusCode).toBe(200);
      expect(res.json().username).toBe(u.user.username);
    });

    it.each([
      ['no header', {}],
      ['a garbage token', bearer('not.a.jwt')],
      ['a token signed with another key', bearer('eyJhbGciOiJIUzI1NiJ9.eyJ0eXBlIjoiYWNjZXNzIiwic2lkIjoieCIsInN1YiI6IjEifQ.c2lnbmF0dXJl')],
      ['a Basic header', { authorization: 'Basic YWRtaW46YWRtaW4=' }],
    ])('refuses %s with 401', async (_name, headers) => {
      const res = await env().app.inject({ method: 'GET', url: '/api/auth/me', headers });
      expect(res.statusCode).toBe(401);
    });

    it('refuses a refresh token used as an access token', async () => {
      const u = await createLoggedInUser(env());
      const res = await env().app.inject({ method: 'GET', url: '/api/auth/me', headers: bearer(u.tokens.refresh_token) });
      expect(res.statusCode).toBe(401);
    });

    it('stops accepting the access token of a user who was disabled', async () => {
      const u = await createLoggedInUser(env());
      await env().database.db.updateTable('users').set({ is_active: false }).where('id', '=', u.user.id).execute();
      const res = await env().app.inject({ method: 'GET', url: '/api/auth/me', headers: u.headers });
      expect(res.statusCode).toBe(401);
      expect(res.json().code).toBe('account_disabled');
    });
  });

  describe('refresh rotation', () => {
    it('issues a new refresh token each time and the new one works', async () => {
      const u = await createLoggedInUser(env());
      const first = await post('/api/auth/refresh', { refresh_token: u.tokens.refresh_token });
      expect(first.statusCode).toBe(200);
      const rotated = first.json();
      expect(rotated.refresh_token).not.toBe(u.tokens.refresh_token);
      expect(rotated.user.id).toBe(u.user.id);
      const second = await post('/api/auth/refresh', { refresh_token: rotated.refresh_token });
      expect(second.statusCode).toBe(200);
    });

    it('stores refresh tokens hashed, never in clear', async () => {
      const u = await createLoggedInUser(env());
      const rows = await env().database.db.selectFrom('refresh_tokens').select('token_hash').execute();
      expect(rows.some((r) => r.token_hash === u.tokens.refresh_token)).toBe(false);
      expect(rows.every((r) => /^[0-9a-f]{64}$/.test(r.token_hash))).toBe(true);
    });

    it('treats reuse of a rotated token as theft: 401 and the whole session is revoked', async () => {
      const u = await createLoggedInUser(env());
      const rotated = (await post('/api/auth/refresh', { refresh_token: u.tokens.refresh_token })).json();
      const reuse = await post('/api/auth/refresh', { refresh_token: u.tokens.refresh_token });
      expect(reuse.statusCode).toBe(401);
      expect(reuse.json().code).toBe('refresh_token_reused');
      // The legitimate holder of the newest token is signed out too, and so is the access token.
      expect((await post('/api/auth/refresh', { refresh_token: rotated.refresh_token })).statusCode).toBe(401);
      const me = await env().app.inject({ method: 'GET', url: '/api/auth/me', headers: bearer(rotated.access_token) });
      expect(me.statusCode).toBe(401);
      const audit = await env()
        .database.db.selectFrom('audit_log')
        .selectAll()
        .where('action', '=', 'refresh_token_reuse')
        .where('user_id', '=', u.user.id)
        .execute();
      expect(audit).toHaveLength(1);
    });

    it('lets only one of two concurrent refreshes with the same token win', async () => {
      const u = await createLoggedInUser(env());
      const results = await Promise.all([1, 2].map(() => post('/api/auth/refresh', { refresh_token: u.tokens.refresh_token })));
      const codes = results.map((r) => r.statusCode).sort();
      expect(codes.filter((c) => c === 200).length).toBeLessThanOrEqual(1);
      expect(codes).toContain(401);
    });

    it('refuses an unknown refresh token', async () => {
      const res = await post('/api/auth/refresh', { refresh_token: 'x'.repeat(43) });
      expect(res.statusCode).toBe(401);
      expect(res.json().code).toBe('invalid_refresh_token');
    });

    it('refuses to refresh for a disabled user', async () => {
      const u = await createLoggedInUser(env());
      await env().database.db.updateTable('users').set({ is_active: false }).where('id', '=', u.user.id).execute();
      expect((await post('/api/auth/refresh', { refresh_token: u.tokens.refresh_token })).statusCode).toBe(401);
    });

    it('refuses to refresh a session past its absolute lifetime', async () => {
      const u = await createLoggedInUser(env());
      await env()
        .database.db.updateTable('sessions')
        .set({ expires_at: new Date(Date.now() - 1000).toISOString() })
        .where('user_id', '=', u.user.id)
        .execute();
      expect((await post('/api/auth/refresh', { refresh_token: u.tokens.refresh_token })).statusCode).toBe(401);
    });
  });

  describe('logout', () => {
    it('revokes the session: its refresh token and access token stop working', async () => {
      const u = await createLoggedInUser(env());
      const out = await post('/api/auth/logout', {}, u.headers);
      expect(out.statusCode).toBe(200);
      expect(out.json()).toEqual({ message: 'Logged out' });
      expect((await post('/api/auth/refresh', { refresh_token: u.tokens.refresh_token })).statusCode).toBe(401);
      expect((await env().app.inject({ method: 'GET', url: '/api/auth/me', headers: u.headers })).statusCode).toBe(401);
    });

    it("leaves the same user's other sessions alone", async () => {
      const u = await createLoggedInUser(env());
      const other = await login(env(), u.user.username, u.password);
      await post('/api/auth/logout', {}, u.headers);
      expect((await env().app.inject({ method: 'GET', url: '/api/auth/me', headers: bearer(other.access_token) })).statusCode).toBe(200);
    });
  });

  describe('change-password', () => {
    it('changes the password and signs out every other session, keeping this one', async () => {
      const u = await createLoggedInUser(env());
      const other = await login(env(), u.user.username, u.password);
      const res = await post(
        '/api/auth/change-password',
        { current_password: u.password, new_password: 'a-much-better-passphrase' },
        u.headers,
      );
      expect(res.statusCode).toBe(200);
      expect(res.json().message).toMatch(/1 other session/);
      expect((await env().app.inject({ method: 'GET', url: '/api/auth/me', headers: bearer(other.access_token) })).statusCode).toBe(401);
      expect((await post('/api/auth/refresh', { refresh_token: other.refresh_token })).statusCode).toBe(401);
      expect((await env().app.inject({ method: 'GET', url: '/api/auth/me', headers: u.headers })).statusCode).toBe(200);
      expect((await post('/api/auth/login', { username: u.user.username, password: u.password })).statusCode).toBe(401);
      await login(env(), u.user.username, 'a-much-better-passphrase');
    });

    it('refuses a wrong current password and keeps the old one', async () => {
      const u = await createLoggedInUser(env());
      const res = await post(
        '/api/auth/change-password',
        { current_password: 'wrong-password', new_password: 'a-much-better-passphrase' },
        u.headers,
      );
      expect(res.statusCode).toBe(401);
      await login(env(), u.user.username, u.password);
    });

    it.each([
      ['too short', () => 'short', /at least 10/],
      ['the username in another case', (username: string) => username.toUpperCase(), /username/],
      ['too long', () => 'x'.repeat(129), /at most 128/],
    ])('refuses a new password that is %s with 422 on new_password', async (_name, candidate, message) => {
      const u = await createLoggedInUser(env(), { username: `policy_user_${Math.random().toString(36).slice(2, 8)}` });
      const res = await post(
        '/api/auth/change-password',
        { current_password: u.password, new_password: candidate(u.user.username) },
        u.headers,
      );
      expect(res.statusCode).toBe(422);
      expect(res.json().errors[0].loc).toEqual(['body', 'new_password']);
      expect(typeof res.json().detail).toBe('string');
      expect(res.json().errors[0].msg).toMatch(message);
      await login(env(), u.user.username, u.password);
    });

    it('requires authentication', async () => {
      const res = await post('/api/auth/change-password', { current_password: 'a', new_password: 'b' });
      expect(res.statusCode).toBe(401);
    });
  });
});
