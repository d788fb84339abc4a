import { mkdtemp, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { InjectOptions } from 'fastify';
import { describe, expect, it } from 'vitest';
import { createLoggedInUser } from '../helpers/factories.js';
import { listNames, tempFiles, upload, usedBytes } from '../helpers/files.js';
import { describeEachDialect } from '../helpers/test-app.js';

describeEachDialect('files API', (env) => {
  const inject = (options: InjectOptions) => env().app.inject(options);

  describe('folders, listing and uploads', () => {
    it('refuses names that no path could reach again ("C:x"), for folders, uploads and renames, and stores nothing', async () => {
      const u = await createLoggedInUser(env());
      const message = 'must not start with a drive letter and a colon ("C:")';
      const folder = await inject({ method: 'POST', url: '/api/files/folder', headers: u.headers, payload: { path: '', name: 'C:x' } });
      expect([folder.statusCode, folder.json().detail[0].msg]).toEqual([422, message]);
      const sent = await upload(env(), u.headers, '', [{ filename: 'd:notes.txt', content: 'n' }]);
      expect(sent.statusCode).toBe(422);
      expect(sent.json().detail).toEqual([{ loc: ['body', 'files', 0], msg: message, type: 'path_unsafe' }]);
      await upload(env(), u.headers, '', [{ filename: 'plain.txt', content: 'p' }]);
      const renamed = await inject({
        method: 'PUT',
        url: '/api/files/rename',
        headers: u.headers,
        payload: { old_path: 'plain.txt', new_name: 'C:plain.txt' },
      });
      expect(renamed.statusCode).toBe(422);
      const list = (await inject({ method: 'GET', url: '/api/files/list?path=', headers: u.headers })).json().files;
      expect(list.map((f: { name: string }) => f.name)).toEqual(['plain.txt']);
    });

    it('lists directories first, then names case-insensitively, with the contract fields', async () => {
      const u = await createLoggedInUser(env());
      for (const name of ['zeta', 'Alpha']) {
        expect(
          (await inject({ method: 'POST', url: '/api/files/folder', headers: u.headers, payload: { path: '', name } })).statusCode,
        ).toBe(200);
      }
      const res = await upload(env(), u.headers, '', [
        { filename: 'b.txt', content: 'bee' },
        { filename: 'A.txt', content: 'a' },
        { filename: 'c.pdf', content: '%PDF' },
      ]);
      expect(res.statusCode).toBe(200);
      expect(res.json()).toMatchObject({
        uploaded: 3,
        upload_ids: [expect.any(String), expect.any(String), expect.any(String)],
        file_ids: [expect.any(Number), expect.any(Number), expect.any(Number)],
      });
      const list = (await inject({ method: 'GET', url: '/api/files/list?path=', headers: u.headers })).json().files;
      expect(list.map((f: { name: string }) => f.name)).toEqual(['Alpha', 'zeta', 'A.txt', 'b.txt', 'c.pdf']);
      expect(list[3]).toEqual({
        name: 'b.txt',
        path: 'b.txt',
        size: 3,
        type: 'file',
        modified_at: expect.stringMatching(/Z$/),
        owner_id: u.user.id,
        mime_type: 'text/plain',
        file_id: expect.any(Number),
      });
      expect(list[0]).toMatchObject({ type: 'directory', mime_type: null, size: 0 });
    });

    it('uploads into a subfolder with the "file" field too, and counts quota usage', async () => {
      const u = await createLoggedInUser(env());
      await inject({ method: 'POST', url: '/api/files/folder', headers: u.headers, payload: { path: '', name: 'Docs' } });
      const res = await upload(env(), u.headers, 'Docs', [{ field: 'file', filename: 'ü ñ.txt', content: 'x'.repeat(1000) }]);
      expect(res.statusCode).toBe(200);
      expect(await listNames(env(), u.headers, 'Docs')).toEqual(['ü ñ.txt']);
      expect(await usedBytes(env(), u.user.id)).toBe(1000);
      const home = await env().app.services.repos.files.findHome(u.user.id);
      expect(await readFile(join(env().config.storageRoot, home!.name, 'Docs', 'ü ñ.txt'), 'utf8')).toBe('x'.repeat(1000));
    });

    it('replaces a file of the same name and adjusts usage by the difference', async () => {
      const u = await createLoggedInUser(env());
      await upload(env(), u.headers, '', [{ filename: 'r.bin', content: Buffer.alloc(500) }]);
      await upload(env(), u.headers, '', [{ filename: 'r.bin', content: Buffer.alloc(200) }]);
      expect(await usedBytes(env(), u.user.id)).toBe(200);
      expect(await listNames(env(), u.headers)).toEqual(['r.bin']);
    });

    it('refuses a folder that exists, with 409', async () => {
      const u = await createLoggedInUser(env());
      await inject({ method: 'POST', url: '/api/files/folder', headers: u.headers, payload: { path: '', name: 'Dup' } });
      const again = await inject({ method: 'POST', url: '/api/files/folder', headers: u.headers, payload: { path: '', name: 'Dup' } });
      expect(again.statusCode).toBe(409);
    });

    it('answers an unknown folder with 404 naming the path', async () => {
      const u = await createLoggedInUser(env());
      const res = await inject({ method: 'GET', url: '/api/files/list?path=nope/deeper', headers: u.headers });
      expect(res.statusCode).toBe(404);
      expect(res.json().detail).toBe('File not found: path=nope/deeper');
    });

    it.each([
      ['../etc', 'query.path'],
      ['/../etc', 'query.path'],
      ['a/%00', null],
    ])('refuses the hostile listing path %j with 422', async (path, loc) => {
      const u = await createLoggedInUser(env());
      const res = await inject({
        method: 'GET',
        url: `/api/files/list?path=${encodeURIComponent(path.replace('%00', '\u0000'))}`,
        headers: u.headers,
      });
      expect(res.statusCode).toBe(422);
      if (loc) expect(res.json().detail[0].loc.join('.')).toBe(loc);
    });

    it('refuses hostile upload file names and stores nothing', async () => {
      const u = await createLoggedInUser(env());
      for (const filename of ['../escape.txt', '..', 'a\\b.txt']) {
        const res = await upload(env(), u.headers, '', [{ filename, content: 'x' }]);
        expect(res.statusCode).toBe(422);
      }
      expect(await listNames(env(), u.headers)).toEqual([]);
      expect(await usedBytes(env(), u.user.id)).toBe(0);
      expect(await tempFiles(env())).toEqual([]);
    });

    it('refuses a request without files, and unknown fields', async () => {
      const u = await createLoggedInUser(env());
      expect((await upload(env(), u.headers, '', [])).statusCode).toBe(422);
      const other = await upload(env(), u.headers, '', [{ field: 'attachment', filename: 'a.txt', content: 'x' }]);
      expect(other.statusCode).toBe(422);
      expect(other.json().detail[0].loc).toEqual(['body', 'attachment']);
    });
  });

  describe('downloads', () => {
    async function withFile(content: Buffer | string, filename = 'report.txt') {
      const u = await createLoggedInUser(env());
      await upload(env(), u.headers, '', [{ filename, content }]);
      return u;
    }

    it('streams the bytes with length, type, disposition, validators', async () => {
      const u = await withFile('hello world', 'Grüße "q".txt');
      const res = await inject({ method: 'GET', url: `/api/files/download/${encodeURIComponent('Grüße "q".txt')}`, headers: u.headers });
      expect(res.statusCode).toBe(200);
      expect(res.body).toBe('hello world');
      expect(res.headers['content-length']).toBe('11');
      expect(res.headers['content-type']).toMatch(/^text\/plain/);
      expect(res.headers['content-disposition']).toBe(
        `attachment; filename="Gr__e _q_.txt"; filename*=UTF-8''Gr%C3%BC%C3%9Fe%20%22q%22.txt`,
      );
      expect(res.headers['etag']).toMatch(/^"[0-9a-z-]+"$/);
      expect(res.headers['last-modified']).toMatch(/GMT$/);
      expect(res.headers['accept-ranges']).toBe('bytes');
      expect(res.headers['content-security-policy']).toContain('sandbox');
      const again = await inject({
        method: 'GET',
        url: `/api/files/download/${encodeURIComponent('Grüße "q".txt')}`,
        headers: { ...u.headers, 'if-none-match': res.headers['etag'] as string },
      });
      expect(again.statusCode).toBe(304);
    });

    it('keeps header injection out of Content-Disposition', async () => {
      const u = await withFile('x', 'evil;filename=hack.txt');
      const res = await inject({
        method: 'GET',
        url: `/api/files/download/${encodeURIComponent('evil;filename=hack.txt')}`,
        headers: u.headers,
      });
      expect(res.headers['content-disposition']).toBe(
        `attachment; filename="evil_filename=hack.txt"; filename*=UTF-8''evil%3Bfilename%3Dhack.txt`,
      );
    });

    it.each([
      ['bytes=0-4', 206, '01234', 'bytes 0-4/10'],
      ['bytes=7-', 206, '789', 'bytes 7-9/10'],
      ['bytes=-3', 206, '789', 'bytes 7-9/10'],
      ['bytes=5-100', 206, '56789', 'bytes 5-9/10'],
      ['bytes=0-1,4-5', 200, '0123456789', undefined],
      ['pages=1', 200, '0123456789', undefined],
    ])('answers Range %s with %i', async (range, status, body, contentRange) => {
      const u = await withFile('0123456789', 'digits.txt');
      const res = await inject({ method: 'GET', url: '/api/files/download/digits.txt', headers: { ...u.headers, range } });
      expect(res.statusCode).toBe(status);
      expect(res.body).toBe(body);
      expect(res.headers['content-range']).toBe(contentRange);
      expect(res.headers['content-length']).toBe(String(body.length));
    });

    it('answers an unsatisfiable range with 416 and the size', async () => {
      const u = await withFile('0123456789', 'digits.txt');
      const res = await inject({ method: 'GET', url: '/api/files/download/digits.txt', headers: { ...u.headers, range: 'bytes=10-' } });
      expect(res.statusCode).toBe(416);
      expect(res.headers['content-range']).toBe('bytes */10');
    });

    it('refuses an encoded traversal in the download path', async () => {
      const u = await withFile('x');
      for (const url of ['/api/files/download/..%2F..%2Fetc%2Fpasswd', '/api/files/download/a%00b', '/api/files/download/a%5C..%5Cb']) {
        const res = await inject({ method: 'GET', url, headers: u.headers });
        expect(res.statusCode, url).toBe(422);
      }
      // URL clients fold %2E%2E into ".." before sending; the request then matches no file route at all.
      const folded = await inject({ method: 'GET', url: '/api/files/download/%2E%2E/%2E%2E/etc/passwd', headers: u.headers });
      expect([404, 422]).toContain(folded.statusCode);
      expect(folded.body).not.toContain('root:');
    });

    it('refuses to follow a symlink out of the storage root', async () => {
      const u = await createLoggedInUser(env());
      const outside = await mkdtemp(join(tmpdir(), 'baluhost-outside-'));
      try {
        await writeFile(join(outside, 'secret.txt'), 'top secret');
        const home = await env().app.services.access.ensureHome(u.user);
        await symlink(outside, join(env().config.storageRoot, home.name, 'link'));
        // Someone with shell access added the link; make the metadata match so only path safety stands in the way.
        const linkDir = await env().app.services.repos.files.create(
          { ownerId: u.user.id, parentId: home.id, name: 'link', isDirectory: true, sizeBytes: 0, mimeType: null },
          new Date(),
        );
        await env().app.services.repos.files.create(
          { ownerId: u.user.id, parentId: linkDir.id, name: 'secret.txt', isDirectory: false, sizeBytes: 10, mimeType: 'text/plain' },
          new Date(),
        );
        const res = await inject({ method: 'GET', url: '/api/files/download/link/secret.txt', headers: u.headers });
        expect(res.statusCode).toBe(403);
        expect(res.body).not.toContain('top secret');
        expect((await upload(env(), u.headers, 'link', [{ filename: 'planted.txt', content: 'x' }])).statusCode).toBe(403);
        await expect(stat(join(outside, 'planted.txt'))).rejects.toThrow();
      } finally {
        await rm(outside, { recursive: true, force: true });
      }
    });
  });

  describe('rename, move, delete', () => {
    it('renames a folder without touching its children', async () => {
      const u = await createLoggedInUser(env());
      await inject({ method: 'POST', url: '/api/files/folder', headers: u.headers, payload: { path: '', name: 'Old' } });
      await upload(env(), u.headers, 'Old', [{ filename: 'kid.txt', content: 'k' }]);
      const res = await inject({
        method: 'PUT',
        url: '/api/files/rename',
        headers: u.headers,
        payload: { old_path: 'Old', new_name: 'New' },
      });
      expect(res.statusCode).toBe(200);
      expect(await listNames(env(), u.headers, 'New')).toEqual(['kid.txt']);
      expect((await inject({ method: 'GET', url: '/api/files/list?path=Old', headers: u.headers })).statusCode).toBe(404);
    });

    it('refuses a rename to a name with separators, or onto an existing name', async () => {
      const u = await createLoggedInUser(env());
      await upload(env(), u.headers, '', [
        { filename: 'a.txt', content: 'a' },
        { filename: 'b.txt', content: 'b' },
      ]);
      expect(
        (
          await inject({
            method: 'PUT',
            url: '/api/files/rename',
            headers: u.headers,
            payload: { old_path: 'a.txt', new_name: '../a.txt' },
          })
        ).statusCode,
      ).toBe(422);
      expect(
        (await inject({ method: 'PUT', url: '/api/files/rename', headers: u.headers, payload: { old_path: 'a.txt', new_name: 'b.txt' } }))
          .statusCode,
      ).toBe(409);
      expect(
        (await inject({ method: 'PUT', url: '/api/files/rename', headers: u.headers, payload: { old_path: '', new_name: 'x' } }))
          .statusCode,
      ).toBe(422);
    });

    it('moves within and across folders, and refuses moving a folder into itself', async () => {
      const u = await createLoggedInUser(env());
      for (const [path, name] of [
        ['', 'A'],
        ['', 'B'],
        ['A', 'Inner'],
      ])
        await inject({ method: 'POST', url: '/api/files/folder', headers: u.headers, payload: { path, name } });
      await upload(env(), u.headers, 'A', [{ filename: 'f.txt', content: 'f' }]);
      expect(
        (await inject({ method: 'PUT', url: '/api/files/move', headers: u.headers, payload: { source_path: 'A/f.txt', target_path: 'B' } }))
          .statusCode,
      ).toBe(200);
      expect(await listNames(env(), u.headers, 'B')).toEqual(['f.txt']);
      const into = await inject({
        method: 'PUT',
        url: '/api/files/move',
        headers: u.headers,
        payload: { source_path: 'A', target_path: 'A/Inner' },
      });
      expect(into.statusCode).toBe(422);
      expect(into.json().detail[0].msg).toMatch(/into itself/);
      expect(
        (await inject({ method: 'PUT', url: '/api/files/move', headers: u.headers, payload: { source_path: 'A', target_path: 'A' } }))
          .statusCode,
      ).toBe(422);
      expect(
        (await inject({ method: 'PUT', url: '/api/files/move', headers: u.headers, payload: { source_path: 'A', target_path: 'B' } }))
          .statusCode,
      ).toBe(200);
      expect(await listNames(env(), u.headers, 'B/A')).toEqual(['Inner']);
    });

    it('deletes a folder recursively and frees its quota', async () => {
      const u = await createLoggedInUser(env());
      await inject({ method: 'POST', url: '/api/files/folder', headers: u.headers, payload: { path: '', name: 'Tree' } });
      await inject({ method: 'POST', url: '/api/files/folder', headers: u.headers, payload: { path: 'Tree', name: 'Sub' } });
      await upload(env(), u.headers, 'Tree/Sub', [{ filename: 'x.bin', content: Buffer.alloc(300) }]);
      await upload(env(), u.headers, '', [{ filename: 'keep.bin', content: Buffer.alloc(50) }]);
      expect(await usedBytes(env(), u.user.id)).toBe(350);
      const res = await inject({ method: 'DELETE', url: '/api/files/Tree', headers: u.headers });
      expect(res.statusCode).toBe(200);
      expect(await usedBytes(env(), u.user.id)).toBe(50);
      expect(await listNames(env(), u.headers)).toEqual(['keep.bin']);
      const home = await env().app.services.repos.files.findHome(u.user.id);
      await expect(stat(join(env().config.storageRoot, home!.name, 'Tree'))).rejects.toThrow();
    });

    it('refuses to delete the home folder itself', async () => {
      const u = await createLoggedInUser(env());
      await upload(env(), u.headers, '', [{ filename: 'stay.txt', content: 's' }]);
      expect([404, 422]).toContain((await inject({ method: 'DELETE', url: '/api/files/', headers: u.headers })).statusCode);
      const principal = await env().app.services.auth.authenticate(u.tokens.access_token);
      await expect(env().app.services.files.remove(principal, undefined, [])).rejects.toMatchObject({ status: 422 });
      expect(await listNames(env(), u.headers)).toEqual(['stay.txt']);
    });
  });

  describe('other users', () => {
    it("cannot read, list, change or delete another user's files", async () => {
      const alice = await createLoggedInUser(env());
      const bob = await createLoggedInUser(env());
      await upload(env(), alice.headers, '', [{ filename: 'private.txt', content: 'alice only' }]);
      const q = `?owner_id=${alice.user.id}`;
      expect((await inject({ method: 'GET', url: `/api/files/list${q}`, headers: bob.headers })).statusCode).toBe(404);
      const dl = await inject({ method: 'GET', url: `/api/files/download/private.txt${q}`, headers: bob.headers });
      expect(dl.statusCode).toBe(404);
      expect(dl.body).not.toContain('alice only');
      expect((await inject({ method: 'DELETE', url: `/api/files/private.txt${q}`, headers: bob.headers })).statusCode).toBe(404);
      expect(
        (
          await inject({
            method: 'PUT',
            url: `/api/files/rename${q}`,
            headers: bob.headers,
            payload: { old_path: 'private.txt', new_name: 'mine.txt' },
          })
        ).statusCode,
      ).toBe(404);
      expect((await upload(env(), bob.headers, '', [{ filename: 'x.txt', content: 'x' }], q)).statusCode).toBe(404);
      // Bob's own "private.txt" path is his own home, which is empty.
      expect((await inject({ method: 'GET', url: '/api/files/download/private.txt', headers: bob.headers })).statusCode).toBe(404);
      expect(await listNames(env(), alice.headers)).toEqual(['private.txt']);
    });

    it("lets an admin see and download any user's files", async () => {
      const alice = await createLoggedInUser(env());
      const admin = await createLoggedInUser(env(), { role: 'admin' });
      await upload(env(), alice.headers, '', [{ filename: 'a.txt', content: 'aa' }]);
      expect(await listNames(env(), admin.headers, '', `&owner_id=${alice.user.id}`)).toEqual(['a.txt']);
      expect(
        (await inject({ method: 'GET', url: `/api/files/download/a.txt?owner_id=${alice.user.id}`, headers: admin.headers })).body,
      ).toBe('aa');
    });

    it('grants exactly what the permissions say: view, but not delete', async () => {
      const alice = await createLoggedInUser(env());
      const bob = await createLoggedInUser(env());
      await inject({ method: 'POST', url: '/api/files/folder', headers: alice.headers, payload: { path: '', name: 'Shared' } });
      await upload(env(), alice.headers, 'Shared', [{ filename: 's.txt', content: 'shared' }]);
      const set = await inject({
        method: 'PUT',
        url: '/api/files/permissions',
        headers: alice.headers,
        payload: { path: 'Shared', rules: [{ user_id: bob.user.id, can_view: true, can_edit: false, can_delete: false }] },
      });
      expect(set.statusCode).toBe(200);
      expect(set.json()).toEqual({
        path: 'Shared',
        owner_id: alice.user.id,
        rules: [{ user_id: bob.user.id, can_view: true, can_edit: false, can_delete: false }],
      });
      const q = `?owner_id=${alice.user.id}`;
      expect(await listNames(env(), bob.headers, 'Shared', `&owner_id=${alice.user.id}`)).toEqual(['s.txt']);
      expect((await inject({ method: 'GET', url: `/api/files/download/Shared/s.txt${q}`, headers: bob.headers })).body).toBe('shared');
      expect((await inject({ method: 'DELETE', url: `/api/files/Shared/s.txt${q}`, headers: bob.headers })).statusCode).toBe(403);
      expect((await upload(env(), bob.headers, 'Shared', [{ filename: 'b.txt', content: 'b' }], q)).statusCode).toBe(403);
      // Outside the shared folder, nothing is visible.
      expect((await inject({ method: 'GET', url: `/api/files/list${q}`, headers: bob.headers })).statusCode).toBe(404);
      // Only the owner reads or changes permissions.
      expect(
        (await inject({ method: 'GET', url: `/api/files/permissions?path=Shared&owner_id=${alice.user.id}`, headers: bob.headers }))
          .statusCode,
      ).toBe(403);
      expect(
        (await inject({ method: 'GET', url: '/api/files/permissions?path=Shared', headers: alice.headers })).json().rules,
      ).toHaveLength(1);
    });
  });

  describe('storage/available', () => {
    it("reports the caller's usage and quota", async () => {
      const u = await createLoggedInUser(env());
      await env().database.db.updateTable('users').set({ quota_bytes: 10_000 }).where('id', '=', u.user.id).execute();
      await upload(env(), u.headers, '', [{ filename: 'q.bin', content: Buffer.alloc(1234) }]);
      const res = await inject({ method: 'GET', url: '/api/files/storage/available', headers: u.headers });
      expect(res.json()).toEqual({ available_bytes: 10_000 - 1234, used_bytes: 1234, quota_bytes: 10_000 });
    });
  });
});
