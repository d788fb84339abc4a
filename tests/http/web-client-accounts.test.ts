/**
 * What BaluHost's web client (Phase 1) sends and reads on its Settings, Users, Sharing, File Manager
 * (upload progress), Database and Backup pages, beyond the routes the other suites cover.
 */
import { connect } from 'node:net';
import type { InjectOptions } from 'fastify';
import { expect, it } from 'vitest';
import { createLoggedInUser, createUser } from '../helpers/factories.js';
import { upload } from '../helpers/files.js';
import { multipart } from '../helpers/multipart.js';
import { baseUrl, describeEachDialect } from '../helpers/test-app.js';

const PNG = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.from('IHDR-a-tiny-picture')]);

/** Reads a server-sent event stream to its end and returns the `progress` events' data. */
async function progressEvents(url: string): Promise<Record<string, unknown>[]> {
  const res = await fetch(url, { signal: AbortSignal.timeout(10_000) });
  expect(res.headers.get('content-type')).toContain('text/event-stream');
  const text = await res.text();
  return text
    .split('\n\n')
    .filter((block) => block.includes('event: progress'))
    .map(
      (block) =>
        JSON.parse(
          block
            .split('\n')
            .find((l) => l.startsWith('data: '))!
            .slice(6),
        ) as Record<string, unknown>,
    );
}

describeEachDialect('web client: accounts, shares, progress, database and backups', (env) => {
  const inject = (options: InjectOptions) => env().app.inject(options);

  it("lets users change their own e-mail (admins anyone's), and nobody else's", async () => {
    const alice = await createLoggedInUser(env());
    const bob = await createLoggedInUser(env());
    const own = await inject({
      method: 'PATCH',
      url: `/api/users/${alice.user.id}`,
      headers: alice.headers,
      payload: { email: 'alice@home.lan' },
    });
    expect([own.statusCode, own.json().email]).toEqual([200, 'alice@home.lan']);
    const other = await inject({
      method: 'PATCH',
      url: `/api/users/${alice.user.id}`,
      headers: bob.headers,
      payload: { email: 'evil@x.y' },
    });
    expect([other.statusCode, other.json().code]).toEqual([403, 'not_your_profile']);
    const admin = await createLoggedInUser(env(), { role: 'admin' });
    expect(
      (
        await inject({ method: 'PATCH', url: `/api/users/${bob.user.id}`, headers: admin.headers, payload: { email: 'bob@home.lan' } })
      ).json().email,
    ).toBe('bob@home.lan');
    const me = (await inject({ method: 'GET', url: '/api/auth/me', headers: alice.headers })).json();
    expect(me).toMatchObject({ email: 'alice@home.lan', avatar_url: null });
  });

  it('keeps a profile picture sniffed by its content, serves it under an unguessable name, and refuses what is no picture', async () => {
    const alice = await createLoggedInUser(env());
    const send = (content: Buffer, as = alice.headers, filename = 'me.png', field = 'avatar') => {
      const body = multipart({}, [{ field, filename, content }]);
      return inject({
        method: 'POST',
        url: `/api/users/${alice.user.id}/avatar`,
        headers: { ...as, ...body.headers },
        payload: body.payload,
      });
    };
    const set = await send(PNG);
    expect(set.statusCode).toBe(200);
    const url = set.json().avatar_url as string;
    expect(url).toMatch(/^\/api\/avatars\/[A-Za-z0-9_-]{32}$/);
    const served = await inject({ method: 'GET', url });
    expect([served.statusCode, served.headers['content-type'], served.rawPayload.equals(PNG)]).toEqual([200, 'image/png', true]);
    expect(served.headers['x-content-type-options']).toBe('nosniff');

    const script = await send(Buffer.from('<svg onload="alert(1)"/>'), alice.headers, 'me.svg');
    expect([script.statusCode, script.json().detail[0].msg]).toEqual([422, 'must be a PNG, JPEG, GIF or WebP image']);
    expect((await send(Buffer.concat([PNG, Buffer.alloc(1024 * 1024)]))).statusCode).toBe(413);
    const bob = await createLoggedInUser(env());
    expect((await send(PNG, bob.headers)).statusCode).toBe(403);
    // Still the first picture after every refusal; a new one gets a new name and the old name is gone.
    expect((await inject({ method: 'GET', url })).statusCode).toBe(200);
    const next = (await send(PNG)).json().avatar_url as string;
    expect(next).not.toBe(url);
    expect((await inject({ method: 'GET', url })).statusCode).toBe(404);
    expect((await inject({ method: 'GET', url: next })).statusCode).toBe(200);
  });

  it("shows a user the active accounts to share with, without anyone's e-mail; admins see everything", async () => {
    const alice = await createLoggedInUser(env());
    const disabled = await createUser(env(), { isActive: false });
    const listed = (await inject({ method: 'GET', url: '/api/users/', headers: alice.headers })).json();
    expect(listed.users.every((u: { email: string; is_active: boolean }) => u.email === '' && u.is_active)).toBe(true);
    expect(listed.users.map((u: { id: number }) => u.id)).toContain(alice.user.id);
    expect(listed.users.map((u: { id: number }) => u.id)).not.toContain(disabled.user.id);
    const admin = await createLoggedInUser(env(), { role: 'admin' });
    const all = (await inject({ method: 'GET', url: '/api/users/', headers: admin.headers })).json();
    expect(all.users.find((u: { id: number }) => u.id === disabled.user.id)).toMatchObject({ is_active: false });
  });

  it('answers a password the policy refuses with a sentence in detail, the field in errors', async () => {
    const admin = await createLoggedInUser(env(), { role: 'admin' });
    const res = await inject({
      method: 'POST',
      url: '/api/users/',
      headers: admin.headers,
      payload: { username: 'weakling', email: '', password: 'password123', role: 'user' },
    });
    expect(res.statusCode).toBe(422);
    expect(res.json()).toMatchObject({
      detail: 'password: is one of the most common passwords; choose another',
      errors: [{ loc: ['body', 'password'], type: 'password_policy' }],
    });
  });

  it('sums up the Sharing page, shows a link before its password, and lists the shares of one file to whom may manage them', async () => {
    const owner = await createLoggedInUser(env());
    const friend = await createLoggedInUser(env());
    const stranger = await createLoggedInUser(env());
    const fileId = (await upload(env(), owner.headers, '', [{ filename: 'plan.txt', content: 'plan' }])).json().file_ids[0] as number;
    const link = (
      await inject({
        method: 'POST',
        url: '/api/shares/links',
        headers: owner.headers,
        payload: { file_id: fileId, password: 'door-code-7781' },
      })
    ).json();
    const share = await inject({
      method: 'POST',
      url: '/api/shares/user-shares',
      headers: owner.headers,
      payload: { file_id: fileId, shared_with_user_id: friend.user.id, can_read: true },
    });
    expect(share.json()).toMatchObject({ is_expired: false, is_accessible: true, last_accessed_at: null });

    const info = await inject({ method: 'GET', url: `/api/shares/public/${link.token}/info` });
    expect(info.json()).toEqual({
      has_password: true,
      is_accessible: true,
      is_expired: false,
      file_name: 'plan.txt',
      file_size: 4,
      is_directory: false,
      description: null,
      expires_at: null,
      allow_preview: true,
    });
    expect((await inject({ method: 'GET', url: '/api/shares/public/NoSuchToken/info' })).statusCode).toBe(404);
    const opened = await inject({
      method: 'POST',
      url: `/api/shares/public/${link.token}/access`,
      payload: { password: 'door-code-7781' },
    });
    expect(opened.json()).toMatchObject({ file_id: fileId, file_path: 'plan.txt', is_directory: false });

    const stats = (await inject({ method: 'GET', url: '/api/shares/statistics', headers: owner.headers })).json();
    expect(stats).toEqual({
      total_share_links: 1,
      active_share_links: 1,
      expired_share_links: 0,
      total_downloads: 0,
      total_file_shares: 1,
      active_file_shares: 1,
      files_shared_with_me: 0,
    });
    expect((await inject({ method: 'GET', url: '/api/shares/statistics', headers: friend.headers })).json().files_shared_with_me).toBe(1);

    const withMe = (await inject({ method: 'GET', url: '/api/shares/shared-with-me', headers: friend.headers })).json();
    expect(withMe[0]).toMatchObject({
      share_id: share.json().id,
      shared_at: share.json().created_at,
      is_expired: false,
      file_name: 'plan.txt',
    });
    const forFile = (url: string, headers: Record<string, string>) => inject({ method: 'GET', url, headers });
    expect((await forFile(`/api/shares/user-shares/file/${fileId}`, owner.headers)).json().map((s: { id: number }) => s.id)).toEqual([
      share.json().id,
    ]);
    // The grantee may read the file but manages no share on it; a stranger does not see the file at all.
    expect((await forFile(`/api/shares/user-shares/file/${fileId}`, friend.headers)).json()).toEqual([]);
    expect((await forFile(`/api/shares/user-shares/file/${fileId}`, stranger.headers)).statusCode).toBe(404);
  });

  it('tells the upload progress of every file by an id from upload_ids, live while the bytes arrive and after', async () => {
    const u = await createLoggedInUser(env());
    const done = await upload(env(), u.headers, '', [
      { filename: 'a.bin', content: Buffer.alloc(3000, 1) },
      { filename: 'b.bin', content: Buffer.alloc(10, 2) },
    ]);
    const ids = done.json().upload_ids as string[];
    expect(ids).toHaveLength(2);
    const address = await baseUrl(env());
    const [finished] = await progressEvents(`${address}/api/files/progress/${ids[0]}`);
    expect(finished).toMatchObject({
      filename: 'a.bin',
      status: 'completed',
      uploaded_bytes: 3000,
      total_bytes: 3000,
      progress_percentage: 100,
    });
    expect((await inject({ method: 'GET', url: '/api/files/progress/unknownUploadId' })).statusCode).toBe(404);

    // An upload in flight: half of its bytes sent over a real connection, the rest later.
    const body = multipart({ path: '' }, [{ filename: 'slow.bin', content: Buffer.alloc(3500, 7) }]);
    const socket = connect(Number(new URL(address).port), '127.0.0.1');
    let answered = '';
    socket.on('data', (d) => (answered += d.toString()));
    await new Promise((r) => socket.once('connect', r));
    const head = [
      'POST /api/files/upload HTTP/1.1',
      'Host: 127.0.0.1',
      `Authorization: ${u.headers['authorization']}`,
      `Content-Type: ${body.headers['content-type']}`,
      `Content-Length: ${body.payload.length}`,
      'Connection: close',
      '',
      '',
    ].join('\r\n');
    const half = body.payload.length - 2000;
    socket.write(head);
    socket.write(body.payload.subarray(0, half));
    let active: { upload_id: string; uploaded_bytes: number; total_bytes: number; status: string }[] = [];
    for (let i = 0; i < 50 && !active.some((a) => a.uploaded_bytes > 0); i++) {
      await new Promise((r) => setTimeout(r, 50));
      active = (await inject({ method: 'GET', url: '/api/files/progress', headers: u.headers })).json().uploads;
    }
    const inFlight = active.find((a) => a.uploaded_bytes > 0)!;
    expect(inFlight).toMatchObject({ status: 'uploading' });
    expect(inFlight.uploaded_bytes).toBeLessThan(3500);
    expect(inFlight.total_bytes).toBeGreaterThanOrEqual(3500);
    // Another user sees nothing of it in their list.
    expect(
      (await inject({ method: 'GET', url: '/api/files/progress', headers: (await createLoggedInUser(env())).headers })).json(),
    ).toEqual({
      uploads: [],
    });
    const events = progressEvents(`${address}/api/files/progress/${inFlight.upload_id}`);
    await new Promise((r) => setTimeout(r, 100));
    const answer = new Promise<string>((resolve) => socket.on('close', () => resolve(answered)));
    socket.write(body.payload.subarray(half));
    expect(await answer).toMatch(/^HTTP\/1.1 200/);
    const seen = await events;
    expect(seen[0]).toMatchObject({ status: 'uploading' });
    expect(seen.at(-1)).toMatchObject({ status: 'completed', uploaded_bytes: 3500, progress_percentage: 100 });
  });

  it('browses every table read-only for admins, paged and searchable, and never shows a credential column', async () => {
    const admin = await createLoggedInUser(env(), { role: 'admin' });
    const user = await createLoggedInUser(env());
    const get = (url: string, headers = admin.headers) => inject({ method: 'GET', url, headers });
    const tables = (await get('/api/admin/db/tables')).json().tables as string[];
    expect(tables).toEqual(expect.arrayContaining(['users', 'files', 'share_links', 'audit_log', 'refresh_tokens']));
    expect((await get('/api/admin/db/tables', user.headers)).statusCode).toBe(403);

    const schema = (await get('/api/admin/db/table/users/schema')).json();
    expect(schema.columns.map((c: { name: string }) => c.name)).toEqual(expect.arrayContaining(['id', 'username', 'email', 'role']));
    expect(schema.hidden_columns).toEqual(['password_hash']);
    const links = (await get('/api/admin/db/table/share_links/schema')).json();
    expect(links.hidden_columns).toEqual(expect.arrayContaining(['token_hash', 'token_sealed', 'password_hash']));

    const page = (await get('/api/admin/db/table/users?page=1&page_size=1')).json();
    expect([page.rows.length, page.total >= 2, page.page_size]).toEqual([1, true, 1]);
    expect(JSON.stringify(page.rows)).not.toMatch(/argon2/);
    const found = (await get(`/api/admin/db/table/users?q=${user.user.username.toUpperCase()}&fields=id,username`)).json();
    expect(found.rows).toEqual([{ id: user.user.id, username: user.user.username }]);
    for (const table of tables) {
      const rows = await get(`/api/admin/db/table/${table}?page_size=200`);
      expect(rows.statusCode, table).toBe(200);
      expect(rows.body, table).not.toMatch(/\$argon2|"token_hash"|"secret_sealed"|"data_base64"/);
    }
    const secret = await get('/api/admin/db/table/users?fields=password_hash');
    expect([secret.statusCode, secret.json().detail[0].msg]).toEqual([422, 'not a visible column of users: password_hash']);
    expect((await get('/api/admin/db/table/kysely_migration')).statusCode).toBe(404);
    expect((await get('/api/admin/db/table/users%3B%20drop%20table%20users')).statusCode).toBe(404);
  });

  it("shows a backup in the client's states, with where the archive lies", async () => {
    const admin = await createLoggedInUser(env(), { role: 'admin' });
    const started = await inject({
      method: 'POST',
      url: '/api/backups/',
      headers: admin.headers,
      payload: { backup_type: 'database_only', backup_path: '/ignored' },
    });
    expect(started.statusCode).toBe(202);
    expect(started.json()).toMatchObject({ status: 'in_progress', phase: 'pending' });
    expect(started.json().filepath).toBe(`${env().config.backups.dir}/${started.json().filename}`);
    await env().app.services.backups.idle();
    const after = (await inject({ method: 'GET', url: `/api/backups/${started.json().id}`, headers: admin.headers })).json();
    expect(after).toMatchObject({ status: 'completed', phase: 'completed' });
  });
});
