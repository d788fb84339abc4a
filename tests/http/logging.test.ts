import { expect, it } from 'vitest';
import { createLoggedInUser } from '../helpers/factories.js';
import { upload } from '../helpers/files.js';
import { describeEachDialect } from '../helpers/test-app.js';

describeEachDialect('audit log API', (env) => {
  it('records logins, file changes and downloads with IP, user agent and details', async () => {
    const u = await createLoggedInUser(env());
    await upload(env(), u.headers, '', [{ filename: 'a.txt', content: 'a' }]);
    await env().app.inject({
      method: 'GET',
      url: '/api/files/download/a.txt',
      headers: { ...u.headers, 'user-agent': 'BaluHost-Desktop/2.0' },
    });
    await env().app.inject({
      method: 'PUT',
      url: '/api/files/rename',
      headers: u.headers,
      payload: { old_path: 'a.txt', new_name: 'b.txt' },
    });
    await env().app.inject({ method: 'DELETE', url: '/api/files/b.txt', headers: u.headers });
    const res = await env().app.inject({ method: 'GET', url: '/api/logging/audit?page_size=10', headers: u.headers });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.logs.map((l: { action: string }) => l.action)).toEqual(['delete', 'rename', 'download', 'upload', 'login']);
    const download = body.logs[2];
    expect(download).toMatchObject({
      event_type: 'file',
      user: u.user.username,
      resource: 'a.txt',
      success: true,
      ip_address: '127.0.0.1',
      user_agent: 'BaluHost-Desktop/2.0',
    });
    expect(download.details).toMatchObject({ file_id: expect.any(Number) });
    expect(body).toMatchObject({ total: 5, page: 1, page_size: 10, total_pages: 1 });
  });

  it("shows users only their own entries, and never another user's", async () => {
    const alice = await createLoggedInUser(env());
    const bob = await createLoggedInUser(env());
    const res = await env().app.inject({ method: 'GET', url: `/api/logging/audit?user=${alice.user.username}`, headers: bob.headers });
    const users = new Set(res.json().logs.map((l: { user: string }) => l.user));
    expect(users).toEqual(new Set([bob.user.username]));
  });

  it('lets admins filter everyone by user, action, success and page', async () => {
    const admin = await createLoggedInUser(env(), { role: 'admin' });
    const target = await createLoggedInUser(env());
    await env().app.inject({
      method: 'POST',
      url: '/api/auth/login',
      payload: { username: target.user.username, password: 'wrong-password!' },
    });
    const failed = await env().app.inject({
      method: 'GET',
      url: `/api/logging/audit?user=${target.user.username}&action=login&success=false&days=1`,
      headers: admin.headers,
    });
    expect(failed.json().logs).toHaveLength(1);
    expect(failed.json().logs[0]).toMatchObject({ success: false, error_message: 'wrong password' });
    const paged = await env().app.inject({
      method: 'GET',
      url: `/api/logging/audit?user=${target.user.username}&page=2&page_size=1`,
      headers: admin.headers,
    });
    expect(paged.json()).toMatchObject({ total: 2, page: 2, page_size: 1, total_pages: 2 });
    expect(paged.json().logs).toHaveLength(1);
  });

  it('gives admins stats and refuses them to users', async () => {
    const admin = await createLoggedInUser(env(), { role: 'admin' });
    const stats = await env().app.inject({ method: 'GET', url: '/api/logging/stats?days=7', headers: admin.headers });
    expect(stats.statusCode).toBe(200);
    expect(stats.json().by_action.login).toBeGreaterThanOrEqual(1);
    expect(stats.json().total).toBe(Object.values(stats.json().by_action as Record<string, number>).reduce((a, b) => a + b, 0));
    const u = await createLoggedInUser(env());
    expect((await env().app.inject({ method: 'GET', url: '/api/logging/stats', headers: u.headers })).statusCode).toBe(403);
  });

  it('refuses bad paging with 422', async () => {
    const u = await createLoggedInUser(env());
    expect((await env().app.inject({ method: 'GET', url: '/api/logging/audit?page=0', headers: u.headers })).statusCode).toBe(422);
    expect((await env().app.inject({ method: 'GET', url: '/api/logging/audit?page_size=100000', headers: u.headers })).statusCode).toBe(
      422,
    );
  });
});
