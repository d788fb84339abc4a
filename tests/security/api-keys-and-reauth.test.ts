/** Secrets sealed at rest, HMAC-signed API keys (window, nonce, body), and fresh re-authentication for dangerous actions. */
import { afterEach, describe, expect, it } from 'vitest';
import { createSecretBox } from '../../app/src/repositories/index.js';
import { signRequest } from '../../app/src/services/api-keys.service.js';
import { createLoggedInUser, createUser, login } from '../helpers/factories.js';
import { fakeClock } from '../helpers/fake-clock.js';
import { tempFiles } from '../helpers/files.js';
import { multipart } from '../helpers/multipart.js';
import { rememberSecret } from '../helpers/secrets.js';
import { createTestEnv, DIALECTS, type TestEnv } from '../helpers/test-app.js';

type Env = TestEnv & { close(): Promise<void> };

describe('secret box (AES-256-GCM)', () => {
  const OLD = 'old-encryption-key-0123456789abcdef0123';
  const NEW = 'new-encryption-key-0123456789abcdef0123';

  it('seals with a fresh IV, opens what it sealed, and refuses a tampered value', () => {
    const box = createSecretBox(NEW);
    const a = box.seal('s3cret');
    expect(a).not.toContain('s3cret');
    expect(box.seal('s3cret')).not.toBe(a);
    expect(box.open(a)).toBe('s3cret');
    const parts = a.split(':');
    parts[4] = Buffer.from('x'.repeat(6)).toString('base64url');
    expect(() => box.open(parts.join(':'))).toThrow();
  });

  it('opens values of a previous key after rotation, and refuses keys no longer configured', () => {
    const sealed = createSecretBox(OLD).seal('kept across rotation');
    expect(createSecretBox(NEW, [OLD]).open(sealed)).toBe('kept across rotation');
    expect(() => createSecretBox(NEW).open(sealed)).toThrow(/not configured/);
  });
});

describe.each(DIALECTS)('API keys and re-authentication [%s]', (dialect) => {
  let env: Env | undefined;
  afterEach(async () => {
    await env?.close();
    env = undefined;
  });

  async function newKey(e: Env, headers: Record<string, string>) {
    const res = await e.app.inject({ method: 'POST', url: '/api/admin/api-keys', headers, payload: { name: 'deploy script' } });
    expect(res.statusCode).toBe(201);
    const key = { keyId: res.json().key_id as string, secret: res.json().secret as string };
    rememberSecret(key.secret);
    return key;
  }

  it('accepts a correctly signed request once, inside the window, for exactly the signed body', async () => {
    const clock = fakeClock();
    env = await createTestEnv(dialect, { clock });
    const admin = await createLoggedInUser(env, { role: 'admin' });
    const key = await newKey(env, admin.headers);
    const stored = await env.database.db.selectFrom('api_keys').select('secret_sealed').execute();
    expect(JSON.stringify(stored)).not.toContain(key.secret);

    const url = '/api/admin/rate-limits';
    const body = JSON.stringify({ lockout_threshold: 6, lockout_seconds: 600, auth_per_minute: 0, api_per_minute: 0 });
    const headers = { ...signRequest(key, { method: 'PUT', url, body, now: clock.now() }), 'content-type': 'application/json' };
    expect((await env.app.inject({ method: 'PUT', url, headers, payload: body })).statusCode).toBe(200);
    expect((await env.app.inject({ method: 'PUT', url, headers, payload: body })).json().code).toBe('replayed_request');

    const tampered = { ...signRequest(key, { method: 'PUT', url, body, now: clock.now() }), 'content-type': 'application/json' };
    const other = body.replace('"lockout_threshold":6', '"lockout_threshold":99');
    expect((await env.app.inject({ method: 'PUT', url, headers: tampered, payload: other })).json().code).toBe('invalid_signature');

    const get = signRequest(key, { method: 'GET', url: '/api/admin/lockouts', now: clock.now() });
    clock.advance(301);
    expect((await env.app.inject({ method: 'GET', url: '/api/admin/lockouts', headers: get })).json().code).toBe('signature_expired');
    const wrongPath = signRequest(key, { method: 'GET', url: '/api/admin/lockouts?x=1', now: clock.now() });
    expect((await env.app.inject({ method: 'GET', url: '/api/admin/lockouts', headers: wrongPath })).json().code).toBe('invalid_signature');
    const forged = signRequest(
      { keyId: key.keyId, secret: 'not-the-secret' },
      { method: 'GET', url: '/api/admin/lockouts', now: clock.now() },
    );
    expect((await env.app.inject({ method: 'GET', url: '/api/admin/lockouts', headers: forged })).statusCode).toBe(401);
  });

  it("covers an upload's bytes: a signature over another body (or none) stores nothing", async () => {
    env = await createTestEnv(dialect);
    const admin = await createLoggedInUser(env, { role: 'admin' });
    const key = await newKey(env, admin.headers);
    const url = '/api/files/upload';
    const body = multipart({ path: '' }, [{ filename: 'signed.txt', content: 'exactly these bytes' }]);
    const send = (headers: Record<string, string>, payload: Buffer) =>
      env!.app.inject({ method: 'POST', url, headers: { ...headers, ...body.headers }, payload });

    // Signed over the empty body (what a client that hashes nothing sends), then sent with a file.
    const overEmpty = signRequest(key, { method: 'POST', url });
    const first = await send(overEmpty, body.payload);
    expect(first.json(), first.body).toMatchObject({ code: 'invalid_signature' });
    const { 'x-baluhost-content-sha256': _declared, ...undeclared } = signRequest(key, { method: 'POST', url });
    expect((await send(undeclared, body.payload)).json()).toMatchObject({ code: 'unsigned_body' });
    // Signed over one file, sent with another of the same length.
    const other = Buffer.from(body.payload.toString('latin1').replace('exactly these bytes', 'EXACTLY THESE BYTES'), 'latin1');
    const swapped = await send(signRequest(key, { method: 'POST', url, body: body.payload }), other);
    expect(swapped.statusCode).toBe(401);
    const listed = await env.app.inject({ method: 'GET', url: '/api/files/list?path=', headers: admin.headers });
    expect(listed.json().files).toEqual([]);
    expect(await tempFiles(env)).toEqual([]);

    expect((await send(signRequest(key, { method: 'POST', url, body: body.payload }), body.payload)).statusCode).toBe(200);
  });

  it('stops working once revoked', async () => {
    env = await createTestEnv(dialect);
    const admin = await createLoggedInUser(env, { role: 'admin' });
    const key = await newKey(env, admin.headers);
    const listed = await env.app.inject({
      method: 'GET',
      url: '/api/admin/api-keys',
      headers: signRequest(key, { method: 'GET', url: '/api/admin/api-keys' }),
    });
    expect(listed.statusCode, listed.body).toBe(200);
    expect((await env.app.inject({ method: 'DELETE', url: `/api/admin/api-keys/${key.keyId}`, headers: admin.headers })).statusCode).toBe(
      200,
    );
    expect(
      (
        await env.app.inject({
          method: 'GET',
          url: '/api/admin/api-keys',
          headers: signRequest(key, { method: 'GET', url: '/api/admin/api-keys' }),
        })
      ).json().code,
    ).toBe('invalid_api_key');
  });

  it("asks for the password again before creating an admin or setting another admin's password, after 5 minutes", async () => {
    const clock = fakeClock();
    env = await createTestEnv(dialect, { clock });
    const admin = await createLoggedInUser(env, { role: 'admin' });
    const other = await createUser(env, { role: 'admin' });
    const plain = await createUser(env);
    clock.advance(301);
    const put = (id: number, payload: Record<string, unknown>) =>
      env!.app.inject({ method: 'PUT', url: `/api/users/${id}`, headers: admin.headers, payload });
    const newAdmin = await env.app.inject({
      method: 'POST',
      url: '/api/users/',
      headers: admin.headers,
      payload: { username: 'second-admin', email: '', password: 'granite-meadow-lantern-4', role: 'admin' },
    });
    expect([newAdmin.statusCode, newAdmin.json().code]).toEqual([403, 'reauthentication_required']);
    const takeover = await put(other.user.id, { password: 'quiet-harbor-takeover-8' });
    expect([takeover.statusCode, takeover.json().code]).toEqual([403, 'reauthentication_required']);
    // Nothing changed: the other admin's password still works, and no second admin exists.
    expect((await login(env, other.user.username, other.password)).access_token).toBeTruthy();
    const listed = (await env.app.inject({ method: 'GET', url: '/api/users/', headers: admin.headers })).json().users as {
      username: string;
    }[];
    expect(listed.map((u) => u.username)).not.toContain('second-admin');
    // What stays routine: a plain user, a user's password, one's own password.
    const plainUser = await env.app.inject({
      method: 'POST',
      url: '/api/users/',
      headers: admin.headers,
      payload: { username: 'plain-helper', email: '', password: 'granite-meadow-lantern-5', role: 'user' },
    });
    expect(plainUser.statusCode).toBe(201);
    expect((await put(plain.user.id, { password: 'river-stone-quiet-3' })).statusCode).toBe(200);
    rememberSecret('granite-meadow-lantern-4', 'quiet-harbor-takeover-8', 'granite-meadow-lantern-5', 'river-stone-quiet-3');
  });

  it('asks an admin for the password again before deleting a user, changing a role or restoring, after 5 minutes', async () => {
    const clock = fakeClock();
    env = await createTestEnv(dialect, { clock });
    const admin = await createLoggedInUser(env, { role: 'admin' });
    const victim = await createUser(env);
    clock.advance(301);
    const stale = await env.app.inject({ method: 'DELETE', url: `/api/users/${victim.user.id}`, headers: admin.headers });
    expect(stale.statusCode).toBe(403);
    expect(stale.json().code).toBe('reauthentication_required');
    expect(
      (
        await env.app.inject({ method: 'PUT', url: `/api/users/${victim.user.id}`, headers: admin.headers, payload: { role: 'admin' } })
      ).json().code,
    ).toBe('reauthentication_required');
    expect(
      (
        await env.app.inject({
          method: 'PUT',
          url: `/api/users/${victim.user.id}`,
          headers: admin.headers,
          payload: { email: 'v@nas.local' },
        })
      ).statusCode,
    ).toBe(200);
    expect(
      (await env.app.inject({ method: 'POST', url: '/api/backups/1/restore', headers: admin.headers, payload: { confirm: true } })).json()
        .code,
    ).toBe('reauthentication_required');

    expect(
      (
        await env.app.inject({
          method: 'POST',
          url: '/api/auth/reauthenticate',
          headers: admin.headers,
          payload: { password: 'wrong-password-1' },
        })
      ).statusCode,
    ).toBe(401);
    expect(
      (
        await env.app.inject({
          method: 'POST',
          url: '/api/auth/reauthenticate',
          headers: admin.headers,
          payload: { password: admin.password },
        })
      ).statusCode,
    ).toBe(200);
    expect(
      (await env.app.inject({ method: 'PUT', url: `/api/users/${victim.user.id}`, headers: admin.headers, payload: { role: 'admin' } }))
        .statusCode,
    ).toBe(200);
    expect((await env.app.inject({ method: 'DELETE', url: `/api/users/${victim.user.id}`, headers: admin.headers })).statusCode).toBe(204);
  });

  it('treats a signed API-key request as freshly authenticated', async () => {
    const clock = fakeClock();
    env = await createTestEnv(dialect, { clock });
    const admin = await createLoggedInUser(env, { role: 'admin' });
    const key = await newKey(env, admin.headers);
    const victim = await createUser(env);
    clock.advance(3600);
    const url = `/api/users/${victim.user.id}`;
    expect(
      (await env.app.inject({ method: 'DELETE', url, headers: signRequest(key, { method: 'DELETE', url, now: clock.now() }) })).statusCode,
    ).toBe(204);
  });
});
