import { createHash } from 'node:crypto';
import type { InjectOptions } from 'fastify';
import { buildApp } from '../../app/src/app.js';
import { createLogger } from '../../app/src/logger.js';
import { describe, expect, it } from 'vitest';
import { createLoggedInUser } from '../helpers/factories.js';
import { upload } from '../helpers/files.js';
import { describeEachDialect, type TestEnv } from '../helpers/test-app.js';

async function ownerWithFile(env: TestEnv, content = 'shared bytes', filename = 'doc.txt') {
  const owner = await createLoggedInUser(env);
  await env.app.inject({ method: 'POST', url: '/api/files/folder', headers: owner.headers, payload: { path: '', name: 'Private' } });
  const res = await upload(env, owner.headers, 'Private', [{ filename, content }]);
  const fileId = res.json().file_ids[0] as number;
  return { owner, fileId };
}

describeEachDialect('shares API', (env) => {
  const inject = (options: InjectOptions) => env().app.inject(options);
  const createLink = (headers: Record<string, string>, payload: Record<string, unknown>) =>
    inject({ method: 'POST', url: '/api/shares/links', headers, payload });

  describe('public links', () => {
    it('creates a link in the contract shape with an unguessable token', async () => {
      const { owner, fileId } = await ownerWithFile(env());
      const res = await createLink(owner.headers, { file_id: fileId, allow_download: true, allow_preview: false, description: 'for Bob' });
      expect(res.statusCode).toBe(201);
      const link = res.json();
      expect(link).toMatchObject({
        file_id: fileId,
        owner_id: owner.user.id,
        has_password: false,
        allow_download: true,
        allow_preview: false,
        max_downloads: null,
        download_count: 0,
        expires_at: null,
        description: 'for Bob',
        is_expired: false,
        is_accessible: true,
        file_name: 'doc.txt',
        file_path: 'Private/doc.txt',
        file_size: 12,
      });
      expect(link.token).toMatch(/^[A-Za-z0-9_-]{43,}$/);
    });

    it('stores no usable token: a copy of the database opens no link, the list still shows it', async () => {
      const { owner, fileId } = await ownerWithFile(env());
      const link = (await createLink(owner.headers, { file_id: fileId })).json();
      const row = await env().database.db.selectFrom('share_links').selectAll().where('id', '=', link.id).executeTakeFirstOrThrow();
      expect(row.token_hash).toBe(createHash('sha256').update(link.token).digest('hex'));
      expect(JSON.stringify(row)).not.toContain(link.token);
      const stored = await inject({ method: 'POST', url: `/api/shares/public/${row.token_hash}/access`, payload: {} });
      expect(stored.statusCode).toBe(404);
      const listed = (await inject({ method: 'GET', url: '/api/shares/links', headers: owner.headers })).json();
      expect(listed.find((l: { id: number }) => l.id === link.id).token).toBe(link.token);
      expect((await inject({ method: 'POST', url: `/api/shares/public/${link.token}/access`, payload: {} })).statusCode).toBe(200);
    });

    it('seals, at start-up, a token stored in plain by an earlier build, and the link keeps working', async () => {
      const { owner, fileId } = await ownerWithFile(env());
      const link = (await createLink(owner.headers, { file_id: fileId })).json();
      const { db } = env().database;
      await db.updateTable('share_links').set({ token_sealed: link.token }).where('id', '=', link.id).execute();
      const restarted = await buildApp({ config: env().config, database: env().database, logger: createLogger(env().config, env().logs) });
      try {
        await restarted.ready();
        const row = await db.selectFrom('share_links').select('token_sealed').where('id', '=', link.id).executeTakeFirstOrThrow();
        expect(row.token_sealed).not.toContain(link.token);
        expect((await restarted.inject({ method: 'POST', url: `/api/shares/public/${link.token}/access`, payload: {} })).statusCode).toBe(
          200,
        );
        const listed = (await restarted.inject({ method: 'GET', url: `/api/shares/links/${link.id}`, headers: owner.headers })).json();
        expect(listed.token).toBe(link.token);
      } finally {
        await restarted.close();
      }
    });

    it('serves the file to anyone with the token, revealing no other path', async () => {
      const { owner, fileId } = await ownerWithFile(env());
      const { token } = (await createLink(owner.headers, { file_id: fileId })).json();
      const info = await inject({ method: 'POST', url: `/api/shares/public/${token}/access`, payload: {} });
      expect(info.statusCode).toBe(200);
      expect(info.json()).toMatchObject({ file_name: 'doc.txt', file_size: 12, type: 'file' });
      expect(info.body).not.toContain('Private');
      const dl = await inject({ method: 'GET', url: `/api/shares/public/${token}/download` });
      expect(dl.statusCode).toBe(200);
      expect(dl.body).toBe('shared bytes');
      expect(dl.headers['content-disposition']).toContain('doc.txt');
      expect(JSON.stringify(dl.headers)).not.toContain('Private');
      expect(dl.headers['content-security-policy']).toContain('sandbox');
    });

    it('answers 404 for an unknown token and 410 for an expired link', async () => {
      const { owner, fileId } = await ownerWithFile(env());
      expect((await inject({ method: 'POST', url: '/api/shares/public/NoSuchToken123/access', payload: {} })).statusCode).toBe(404);
      const link = (await createLink(owner.headers, { file_id: fileId, expires_at: new Date(Date.now() + 60_000).toISOString() })).json();
      await env()
        .database.db.updateTable('share_links')
        .set({ expires_at: new Date(Date.now() - 1000).toISOString() })
        .where('id', '=', link.id)
        .execute();
      const res = await inject({ method: 'POST', url: `/api/shares/public/${link.token}/access`, payload: {} });
      expect(res.statusCode).toBe(410);
      expect(res.json().code).toBe('share_expired');
      expect((await inject({ method: 'GET', url: `/api/shares/public/${link.token}/download` })).statusCode).toBe(410);
      expect((await inject({ method: 'GET', url: `/api/shares/links/${link.id}`, headers: owner.headers })).json()).toMatchObject({
        is_expired: true,
        is_accessible: false,
      });
    });

    it('refuses an expiry in the past at creation', async () => {
      const { owner, fileId } = await ownerWithFile(env());
      expect((await createLink(owner.headers, { file_id: fileId, expires_at: '2000-01-01T00:00:00Z' })).statusCode).toBe(422);
    });

    it('protects a link with a password stored hashed, 403 when wrong or missing', async () => {
      const { owner, fileId } = await ownerWithFile(env());
      const link = (await createLink(owner.headers, { file_id: fileId, password: 'open-sesame' })).json();
      expect(link.has_password).toBe(true);
      const row = await env()
        .database.db.selectFrom('share_links')
        .select('password_hash')
        .where('id', '=', link.id)
        .executeTakeFirstOrThrow();
      expect(row.password_hash).toMatch(/^\$argon2id\$/);
      expect((await inject({ method: 'POST', url: `/api/shares/public/${link.token}/access`, payload: {} })).statusCode).toBe(403);
      expect(
        (await inject({ method: 'POST', url: `/api/shares/public/${link.token}/access`, payload: { password: 'wrong' } })).statusCode,
      ).toBe(403);
      expect(
        (await inject({ method: 'POST', url: `/api/shares/public/${link.token}/access`, payload: { password: 'open-sesame' } })).statusCode,
      ).toBe(200);
      expect((await inject({ method: 'GET', url: `/api/shares/public/${link.token}/download` })).statusCode).toBe(403);
      const dl = await inject({
        method: 'GET',
        url: `/api/shares/public/${link.token}/download`,
        headers: { 'x-share-password': 'open-sesame' },
      });
      expect(dl.body).toBe('shared bytes');
    });

    it('honours allow_download=false', async () => {
      const { owner, fileId } = await ownerWithFile(env());
      const link = (await createLink(owner.headers, { file_id: fileId, allow_download: false })).json();
      expect((await inject({ method: 'GET', url: `/api/shares/public/${link.token}/download` })).statusCode).toBe(403);
    });

    it('counts downloads atomically: 10 concurrent downloads of a 3-download link give exactly 3 files', async () => {
      const { owner, fileId } = await ownerWithFile(env());
      const link = (await createLink(owner.headers, { file_id: fileId, max_downloads: 3 })).json();
      const results = await Promise.all(
        Array.from({ length: 10 }, () => inject({ method: 'GET', url: `/api/shares/public/${link.token}/download` })),
      );
      expect(results.filter((r) => r.statusCode === 200)).toHaveLength(3);
      expect(results.filter((r) => r.statusCode === 410)).toHaveLength(7);
      expect(results.filter((r) => r.statusCode === 200).every((r) => r.body === 'shared bytes')).toBe(true);
      const after = (await inject({ method: 'GET', url: `/api/shares/links/${link.id}`, headers: owner.headers })).json();
      expect(after).toMatchObject({ download_count: 3, is_accessible: false });
      expect((await inject({ method: 'POST', url: `/api/shares/public/${link.token}/access`, payload: {} })).json().code).toBe(
        'share_used_up',
      );
    });

    it('updates and deletes a link', async () => {
      const { owner, fileId } = await ownerWithFile(env());
      const link = (await createLink(owner.headers, { file_id: fileId })).json();
      const patched = await inject({
        method: 'PATCH',
        url: `/api/shares/links/${link.id}`,
        headers: owner.headers,
        payload: { max_downloads: 5, password: 'added-pw' },
      });
      expect(patched.json()).toMatchObject({ max_downloads: 5, has_password: true });
      expect((await inject({ method: 'DELETE', url: `/api/shares/links/${link.id}`, headers: owner.headers })).statusCode).toBe(204);
      expect((await inject({ method: 'POST', url: `/api/shares/public/${link.token}/access`, payload: {} })).statusCode).toBe(404);
    });

    it("cannot read, change or delete another user's links, nor link another user's file", async () => {
      const { owner, fileId } = await ownerWithFile(env());
      const other = await createLoggedInUser(env());
      const link = (await createLink(owner.headers, { file_id: fileId })).json();
      expect((await inject({ method: 'GET', url: `/api/shares/links/${link.id}`, headers: other.headers })).statusCode).toBe(404);
      expect(
        (await inject({ method: 'PATCH', url: `/api/shares/links/${link.id}`, headers: other.headers, payload: { max_downloads: 1 } }))
          .statusCode,
      ).toBe(404);
      expect((await inject({ method: 'DELETE', url: `/api/shares/links/${link.id}`, headers: other.headers })).statusCode).toBe(404);
      expect((await inject({ method: 'GET', url: '/api/shares/links', headers: other.headers })).json()).toEqual([]);
      expect((await createLink(other.headers, { file_id: fileId })).statusCode).toBe(404);
    });
  });

  describe('user shares', () => {
    it('shares a folder with a user, who finds it in shared-with-me and can read inside it', async () => {
      const { owner } = await ownerWithFile(env());
      const bob = await createLoggedInUser(env());
      const folder = (await inject({ method: 'GET', url: '/api/files/list?path=', headers: owner.headers })).json().files[0];
      const res = await inject({
        method: 'POST',
        url: '/api/shares/user-shares',
        headers: owner.headers,
        payload: { file_id: folder.file_id, shared_with_user_id: bob.user.id, can_read: true },
      });
      expect(res.statusCode).toBe(201);
      const mine = (await inject({ method: 'GET', url: '/api/shares/shared-with-me', headers: bob.headers })).json();
      expect(mine).toHaveLength(1);
      expect(mine[0]).toMatchObject({
        owner_username: owner.user.username,
        file_name: 'Private',
        file_path: 'Private',
        file_size: 0,
        can_read: true,
        can_write: false,
      });
      const dl = await inject({
        method: 'GET',
        url: `/api/files/download/Private/doc.txt?owner_id=${owner.user.id}`,
        headers: bob.headers,
      });
      expect(dl.body).toBe('shared bytes');
    });

    it('stops granting access once the share expires', async () => {
      const { owner, fileId } = await ownerWithFile(env());
      const bob = await createLoggedInUser(env());
      const share = (
        await inject({
          method: 'POST',
          url: '/api/shares/user-shares',
          headers: owner.headers,
          payload: { file_id: fileId, shared_with_user_id: bob.user.id, expires_at: new Date(Date.now() + 60_000).toISOString() },
        })
      ).json();
      expect(
        (await inject({ method: 'GET', url: `/api/files/download/Private/doc.txt?owner_id=${owner.user.id}`, headers: bob.headers }))
          .statusCode,
      ).toBe(200);
      await env()
        .database.db.updateTable('user_shares')
        .set({ expires_at: new Date(Date.now() - 1000).toISOString() })
        .where('id', '=', share.id)
        .execute();
      expect(
        (await inject({ method: 'GET', url: `/api/files/download/Private/doc.txt?owner_id=${owner.user.id}`, headers: bob.headers }))
          .statusCode,
      ).toBe(404);
      expect((await inject({ method: 'GET', url: '/api/shares/shared-with-me', headers: bob.headers })).json()).toEqual([]);
    });

    it("cannot change or delete another user's share, or reshare without can_share", async () => {
      const { owner, fileId } = await ownerWithFile(env());
      const bob = await createLoggedInUser(env());
      const carol = await createLoggedInUser(env());
      const share = (
        await inject({
          method: 'POST',
          url: '/api/shares/user-shares',
          headers: owner.headers,
          payload: { file_id: fileId, shared_with_user_id: bob.user.id },
        })
      ).json();
      expect(
        (await inject({ method: 'PATCH', url: `/api/shares/user-shares/${share.id}`, headers: bob.headers, payload: { can_write: true } }))
          .statusCode,
      ).toBe(404);
      expect((await inject({ method: 'DELETE', url: `/api/shares/user-shares/${share.id}`, headers: bob.headers })).statusCode).toBe(404);
      expect(
        (
          await inject({
            method: 'POST',
            url: '/api/shares/user-shares',
            headers: bob.headers,
            payload: { file_id: fileId, shared_with_user_id: carol.user.id },
          })
        ).statusCode,
      ).toBe(403);
      expect(
        (await inject({ method: 'POST', url: '/api/shares/links', headers: bob.headers, payload: { file_id: fileId } })).statusCode,
      ).toBe(403);
      const dupe = await inject({
        method: 'POST',
        url: '/api/shares/user-shares',
        headers: owner.headers,
        payload: { file_id: fileId, shared_with_user_id: bob.user.id },
      });
      expect(dupe.statusCode).toBe(409);
      const patched = await inject({
        method: 'PATCH',
        url: `/api/shares/user-shares/${share.id}`,
        headers: owner.headers,
        payload: { can_share: true },
      });
      expect(patched.json().can_share).toBe(true);
      expect(
        (await inject({ method: 'POST', url: '/api/shares/links', headers: bob.headers, payload: { file_id: fileId } })).statusCode,
      ).toBe(201);
      expect((await inject({ method: 'DELETE', url: `/api/shares/user-shares/${share.id}`, headers: owner.headers })).statusCode).toBe(204);
    });
  });
});
