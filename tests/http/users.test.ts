import type { InjectOptions } from 'fastify';
import { describe, expect, it } from 'vitest';
import { createLoggedInUser, createUser, login } from '../helpers/factories.js';
import { describeEachDialect } from '../helpers/test-app.js';

describeEachDialect('users API', (env) => {
  const inject = (options: InjectOptions) => env().app.inject(options);

  it('lets an admin create a user, who can then log in; LAN e-mail addresses are fine', async () => {
    const admin = await createLoggedInUser(env(), { role: 'admin' });
    const res = await inject({
      method: 'POST',
      url: '/api/users',
      headers: admin.headers,
      payload: { username: 'carol.nas', email: 'carol@nas.local', password: 'carol-passphrase', role: 'user' },
    });
    expect(res.statusCode).toBe(201);
    expect(res.json()).toMatchObject({ username: 'carol.nas', email: 'carol@nas.local', role: 'user', is_active: true });
    expect(res.json()).not.toHaveProperty('password_hash');
    await login(env(), 'carol.nas', 'carol-passphrase');
  });

  it.each([
    [{ username: 'ab', password: 'long-enough-pw' }, 'username'],
    [{ username: 'has space', password: 'long-enough-pw' }, 'username'],
    [{ username: '.hidden', password: 'long-enough-pw' }, 'username'],
    [{ username: 'x'.repeat(33), password: 'long-enough-pw' }, 'username'],
    [{ username: 'valid_name', password: 'short' }, 'password'],
    [{ username: 'valid_name', password: 'long-enough-pw', email: 'not an email' }, 'email'],
    [{ username: 'valid_name', password: 'long-enough-pw', role: 'root' }, 'role'],
  ])('refuses %j with 422 naming %s', async (payload, field) => {
    const admin = await createLoggedInUser(env(), { role: 'admin' });
    const res = await inject({ method: 'POST', url: '/api/users/', headers: admin.headers, payload });
    expect(res.statusCode).toBe(422);
    // Schema errors list the fields in detail; a rule's (the password policy) says it in words and lists them in errors.
    const issues = (res.json().errors ?? res.json().detail) as { loc: string[] }[];
    expect(issues.map((d) => d.loc[1])).toContain(field);
  });

  it('refuses a username taken in another letter case with 409', async () => {
    const admin = await createLoggedInUser(env(), { role: 'admin' });
    const existing = await createUser(env());
    const res = await inject({
      method: 'POST',
      url: '/api/users/',
      headers: admin.headers,
      payload: { username: existing.user.username.toUpperCase(), password: 'long-enough-pw' },
    });
    expect(res.statusCode).toBe(409);
  });

  it('lists with filters and counts', async () => {
    const admin = await createLoggedInUser(env(), { role: 'admin' });
    const tag = `flt${Date.now().toString(36)}`;
    await createUser(env(), { username: `${tag}_a` });
    await createUser(env(), { username: `${tag}_b`, isActive: false });
    const res = await inject({ method: 'GET', url: `/api/users?search=${tag}&sort_by=username&sort_order=desc`, headers: admin.headers });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.users.map((u: { username: string }) => u.username)).toEqual([`${tag}_b`, `${tag}_a`]);
    expect(body.total).toBe(body.active + body.inactive);
    expect(body.admins).toBeGreaterThanOrEqual(1);
    const inactive = await inject({ method: 'GET', url: `/api/users?search=${tag}&is_active=false`, headers: admin.headers });
    expect(inactive.json().users.map((u: { username: string }) => u.username)).toEqual([`${tag}_b`]);
  });

  it('treats % and _ in search as literal characters', async () => {
    const admin = await createLoggedInUser(env(), { role: 'admin' });
    const res = await inject({ method: 'GET', url: '/api/users?search=%25', headers: admin.headers });
    expect(res.json().users).toEqual([]);
  });

  it('updates fields, and a new password signs the user out everywhere', async () => {
    const admin = await createLoggedInUser(env(), { role: 'admin' });
    const target = await createLoggedInUser(env());
    const res = await inject({
      method: 'PUT',
      url: `/api/users/${target.user.id}`,
      headers: admin.headers,
      payload: { email: 'new@nas.local', password: 'reset-by-admin-1', quota_bytes: 2 ** 40 },
    });
    expect(res.statusCode).toBe(200);
    expect(res.json().email).toBe('new@nas.local');
    expect((await inject({ method: 'GET', url: '/api/auth/me', headers: target.headers })).statusCode).toBe(401);
    await login(env(), target.user.username, 'reset-by-admin-1');
    expect((await env().app.services.repos.users.findById(target.user.id))?.quotaBytes).toBe(2 ** 40);
  });

  it("toggles active, which ends the user's sessions", async () => {
    const admin = await createLoggedInUser(env(), { role: 'admin' });
    const target = await createLoggedInUser(env());
    const res = await inject({ method: 'PATCH', url: `/api/users/${target.user.id}/toggle-active`, headers: admin.headers });
    expect(res.json().is_active).toBe(false);
    expect((await inject({ method: 'GET', url: '/api/auth/me', headers: target.headers })).statusCode).toBe(401);
    expect(
      (await inject({ method: 'PATCH', url: `/api/users/${target.user.id}/toggle-active`, headers: admin.headers })).json().is_active,
    ).toBe(true);
  });

  it('never deletes yourself or the last active admin', async () => {
    const admin = await createLoggedInUser(env(), { role: 'admin' });
    const self = await inject({ method: 'DELETE', url: `/api/users/${admin.user.id}`, headers: admin.headers });
    expect(self.statusCode).toBe(403);
    // Make this admin the only active one, then try to demote them through the API.
    await env()
      .database.db.updateTable('users')
      .set({ is_active: false })
      .where('role', '=', 'admin')
      .where('id', '!=', admin.user.id)
      .execute();
    try {
      const demote = await inject({ method: 'PUT', url: `/api/users/${admin.user.id}`, headers: admin.headers, payload: { role: 'user' } });
      expect(demote.statusCode).toBe(409);
      expect(demote.json().code).toBe('last_admin');
    } finally {
      await env().database.db.updateTable('users').set({ is_active: true }).where('role', '=', 'admin').execute();
    }
  });

  it('deletes users (with their files) and reports bulk results', async () => {
    const admin = await createLoggedInUser(env(), { role: 'admin' });
    const a = await createUser(env());
    const b = await createUser(env());
    const res = await inject({
      method: 'POST',
      url: '/api/users/bulk-delete',
      headers: admin.headers,
      payload: [a.user.id, b.user.id, 999999, admin.user.id],
    });
    expect(res.json()).toEqual({ deleted: 2, failed: 2, failed_ids: [999999, admin.user.id] });
    expect(await env().app.services.repos.users.findById(a.user.id)).toBeUndefined();
    expect((await inject({ method: 'DELETE', url: '/api/users/999999', headers: admin.headers })).statusCode).toBe(404);
  });

  describe('non-admins', () => {
    it("cannot create, change or delete users, including another user's account, and list them without e-mail addresses", async () => {
      const u = await createLoggedInUser(env());
      const other = await createUser(env());
      const listed = await inject({ method: 'GET', url: '/api/users/', headers: u.headers });
      expect(listed.json().users.find((x: { id: number }) => x.id === other.user.id)).toMatchObject({ email: '' });
      const calls: InjectOptions[] = [
        { method: 'POST', url: '/api/users/', payload: { username: 'sneaky', password: 'long-enough-pw', role: 'admin' } },
        { method: 'PUT', url: `/api/users/${other.user.id}`, payload: { password: 'hijacked-password' } },
        { method: 'PUT', url: `/api/users/${u.user.id}`, payload: { role: 'admin' } },
        { method: 'DELETE', url: `/api/users/${other.user.id}` },
        { method: 'PATCH', url: `/api/users/${other.user.id}/toggle-active` },
        { method: 'POST', url: '/api/users/bulk-delete', payload: [other.user.id] },
      ];
      for (const call of calls) {
        const res = await inject({ ...call, headers: u.headers });
        expect(res.statusCode, `${call.method} ${call.url as string}`).toBe(403);
      }
      expect((await env().app.services.repos.users.findById(u.user.id))?.role).toBe('user');
      await login(env(), other.user.username, other.password);
    });
  });

  describe('registration', () => {
    it('is off by default', async () => {
      const res = await inject({
        method: 'POST',
        url: '/api/auth/register',
        payload: { username: 'newbie', password: 'newbie-passphrase' },
      });
      expect(res.statusCode).toBe(403);
      expect(res.json().code).toBe('registration_disabled');
    });
  });
});

describeEachDialect(
  'registration enabled',
  (env) => {
    it('creates a plain user and ignores any attempt to pick a role', async () => {
      const res = await env().app.inject({
        method: 'POST',
        url: '/api/auth/register',
        payload: { username: 'newbie', email: '', password: 'tulip-passphrase-93' },
      });
      expect(res.statusCode).toBe(201);
      expect(res.json().role).toBe('user');
      const sneaky = await env().app.inject({
        method: 'POST',
        url: '/api/auth/register',
        payload: { username: 'sneaky', password: 'sneaky-passphrase', role: 'admin' },
      });
      expect(sneaky.statusCode).toBe(422);
    });
  },
  { env: { BALUHOST_REGISTRATION_ENABLED: 'true' } },
);
