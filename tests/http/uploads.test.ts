import { connect } from 'node:net';
import { mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildApp } from '../../app/src/app.js';
import { createLogger } from '../../app/src/logger.js';
import { createLoggedInUser } from '../helpers/factories.js';
import { listNames, tempFiles, upload, usedBytes } from '../helpers/files.js';
import { multipart } from '../helpers/multipart.js';
import { baseUrl, describeEachDialect } from '../helpers/test-app.js';

const MAX = 4096;

describeEachDialect(
  'upload guarantees',
  (env) => {
    it('refuses a file over the size cap with 413 and keeps nothing', async () => {
      const u = await createLoggedInUser(env());
      const res = await upload(env(), u.headers, '', [{ filename: 'big.bin', content: Buffer.alloc(MAX + 1) }]);
      expect(res.statusCode).toBe(413);
      expect(res.json()).toMatchObject({ code: 'file_too_large', detail: `File "big.bin" is larger than the ${MAX}-byte limit` });
      expect(await listNames(env(), u.headers)).toEqual([]);
      expect(await usedBytes(env(), u.user.id)).toBe(0);
      expect(await tempFiles(env())).toEqual([]);
    });

    it('accepts a file of exactly the cap', async () => {
      const u = await createLoggedInUser(env());
      expect((await upload(env(), u.headers, '', [{ filename: 'edge.bin', content: Buffer.alloc(MAX) }])).statusCode).toBe(200);
    });

    it("refuses an upload over quota with 507 and stores none of the request's files", async () => {
      const u = await createLoggedInUser(env());
      await env().database.db.updateTable('users').set({ quota_bytes: 1500 }).where('id', '=', u.user.id).execute();
      const res = await upload(env(), u.headers, '', [
        { filename: 'one.bin', content: Buffer.alloc(1000) },
        { filename: 'two.bin', content: Buffer.alloc(1000) },
      ]);
      expect(res.statusCode).toBe(507);
      expect(res.json()).toMatchObject({ code: 'quota_exceeded', detail: 'Storage quota exceeded' });
      expect(await listNames(env(), u.headers)).toEqual([]);
      expect(await usedBytes(env(), u.user.id)).toBe(0);
      expect(await tempFiles(env())).toEqual([]);
    });

    it('never lets 20 concurrent uploads exceed a small quota', async () => {
      const u = await createLoggedInUser(env());
      await env().database.db.updateTable('users').set({ quota_bytes: 5000 }).where('id', '=', u.user.id).execute();
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) => upload(env(), u.headers, '', [{ filename: `c${i}.bin`, content: Buffer.alloc(1000) }])),
      );
      const ok = results.filter((r) => r.statusCode === 200).length;
      expect(results.every((r) => r.statusCode === 200 || r.statusCode === 507)).toBe(true);
      expect(ok).toBe(5);
      expect(await usedBytes(env(), u.user.id)).toBe(5000);
      expect(await listNames(env(), u.headers)).toHaveLength(5);
      const home = await env().app.services.repos.files.findHome(u.user.id);
      expect(await readdir(join(env().config.storageRoot, home!.name))).toHaveLength(5);
      expect(await tempFiles(env())).toEqual([]);
    });

    it('leaves no file, no temp file and no quota when the client disconnects mid-upload', async () => {
      const u = await createLoggedInUser(env());
      const port = Number(new URL(await baseUrl(env())).port);
      const body = multipart({ path: '' }, [{ filename: 'partial.bin', content: Buffer.alloc(3000, 1) }]);
      const socket = connect(port, '127.0.0.1');
      await new Promise((r) => socket.once('connect', r));
      const headers = Object.entries({ ...u.headers, ...body.headers, host: 'x' })
        .map(([k, v]) => `${k}: ${v}`)
        .join('\r\n');
      socket.write(`POST /api/files/upload HTTP/1.1\r\n${headers}\r\n\r\n`);
      socket.write(body.payload.subarray(0, 1500));
      // Wait until the server has started writing the temp file, then vanish.
      for (let i = 0; i < 100 && (await tempFiles(env())).length === 0; i += 1) await new Promise((r) => setTimeout(r, 20));
      expect((await tempFiles(env())).length).toBe(1);
      socket.destroy();
      for (let i = 0; i < 100 && (await tempFiles(env())).length > 0; i += 1) await new Promise((r) => setTimeout(r, 20));
      expect(await tempFiles(env())).toEqual([]);
      expect(await listNames(env(), u.headers)).toEqual([]);
      expect(await usedBytes(env(), u.user.id)).toBe(0);
    });

    it('answers 507 as soon as the bytes pass the quota, before the rest of the body arrives', async () => {
      const u = await createLoggedInUser(env());
      await env().database.db.updateTable('users').set({ quota_bytes: 1500 }).where('id', '=', u.user.id).execute();
      const port = Number(new URL(await baseUrl(env())).port);
      const body = multipart({ path: '' }, [{ filename: 'too-big.bin', content: Buffer.alloc(4000, 7) }]);
      const socket = connect(port, '127.0.0.1');
      await new Promise((r) => socket.once('connect', r));
      let answer = '';
      socket.on('data', (d: Buffer) => (answer += d.toString()));
      const headers = Object.entries({ ...u.headers, ...body.headers, host: 'x' })
        .map(([k, v]) => `${k}: ${v}`)
        .join('\r\n');
      socket.write(`POST /api/files/upload HTTP/1.1\r\n${headers}\r\n\r\n`);
      // 3,000 of the body's bytes: past the quota, and the rest never comes.
      socket.write(body.payload.subarray(0, 3000));
      for (let i = 0; i < 150 && !answer.includes('\r\n\r\n'); i += 1) await new Promise((r) => setTimeout(r, 20));
      socket.destroy();
      expect(answer.split('\r\n')[0]).toBe('HTTP/1.1 507 Insufficient Storage');
      expect(answer).toContain('quota_exceeded');
      for (let i = 0; i < 100 && (await tempFiles(env())).length > 0; i += 1) await new Promise((r) => setTimeout(r, 20));
      expect(await tempFiles(env())).toEqual([]);
      expect(await usedBytes(env(), u.user.id)).toBe(0);
    });

    it('replaces a file of the same name and charges only the difference', async () => {
      const u = await createLoggedInUser(env());
      expect((await upload(env(), u.headers, '', [{ filename: 'report.pdf', content: Buffer.alloc(1000) }])).statusCode).toBe(200);
      expect(await usedBytes(env(), u.user.id)).toBe(1000);
      const again = await upload(env(), u.headers, '', [{ filename: 'report.pdf', content: Buffer.alloc(300) }]);
      expect(again.statusCode).toBe(200);
      expect(await usedBytes(env(), u.user.id)).toBe(300);
      const list = await env().app.inject({ method: 'GET', url: '/api/files/list?path=', headers: u.headers });
      expect(list.json().files).toEqual([
        expect.objectContaining({ name: 'report.pdf', size: 300, type: 'file', mime_type: 'application/pdf' }),
      ]);
      await env().database.db.updateTable('users').set({ quota_bytes: 1000 }).where('id', '=', u.user.id).execute();
      // Growing the file by 800 bytes needs 800 more, not 1100.
      expect((await upload(env(), u.headers, '', [{ filename: 'report.pdf', content: Buffer.alloc(1100) }])).statusCode).toBe(507);
      expect((await upload(env(), u.headers, '', [{ filename: 'report.pdf', content: Buffer.alloc(1000) }])).statusCode).toBe(200);
      expect(await usedBytes(env(), u.user.id)).toBe(1000);
    });

    it('refuses a file named like an existing folder with 409, storing nothing of the request', async () => {
      const u = await createLoggedInUser(env());
      expect(
        (await env().app.inject({ method: 'POST', url: '/api/files/folder', headers: u.headers, payload: { path: '', name: 'Photos' } }))
          .statusCode,
      ).toBe(200);
      const res = await upload(env(), u.headers, '', [
        { filename: 'other.txt', content: Buffer.from('x') },
        { filename: 'Photos', content: Buffer.from('y') },
      ]);
      expect(res.statusCode).toBe(409);
      expect(res.json()).toMatchObject({ code: 'file_exists', detail: 'A folder has that name: path=Photos' });
      expect(await listNames(env(), u.headers)).toEqual(['Photos']);
      expect(await usedBytes(env(), u.user.id)).toBe(0);
    });

    it.each([
      [
        'a file under another field name',
        { path: '' },
        [{ field: 'attachment', filename: 'a.txt', content: Buffer.from('a') }],
        { loc: ['body', 'attachment'], msg: 'unknown field; send files as "files"' },
      ],
      [
        'the same name twice',
        { path: '' },
        [
          { filename: 'a.txt', content: Buffer.from('a') },
          { filename: 'a.txt', content: Buffer.from('b') },
        ],
        { loc: ['body', 'files', 1], msg: 'duplicate file name "a.txt"' },
      ],
      ['no file at all', { path: '' }, [], { loc: ['body', 'files'], msg: 'field required' }],
    ] as const)('refuses %s with 422, storing nothing', async (_name, fields, files, issue) => {
      const u = await createLoggedInUser(env());
      const body = multipart({ ...fields }, [...files]);
      const res = await env().app.inject({
        method: 'POST',
        url: '/api/files/upload',
        payload: body.payload,
        headers: { ...u.headers, ...body.headers },
      });
      expect(res.statusCode).toBe(422);
      expect(res.json().detail).toEqual([expect.objectContaining({ loc: [...issue.loc], msg: issue.msg })]);
      expect(await listNames(env(), u.headers)).toEqual([]);
      expect(await usedBytes(env(), u.user.id)).toBe(0);
      expect(await tempFiles(env())).toEqual([]);
    });

    it('accepts the single-file field name "file" too', async () => {
      const u = await createLoggedInUser(env());
      expect((await upload(env(), u.headers, '', [{ field: 'file', filename: 'one.txt', content: Buffer.from('1') }])).statusCode).toBe(
        200,
      );
      expect(await listNames(env(), u.headers)).toEqual(['one.txt']);
    });

    it('refuses a target path that is a file', async () => {
      const u = await createLoggedInUser(env());
      await upload(env(), u.headers, '', [{ filename: 'notes.txt', content: Buffer.from('n') }]);
      const res = await upload(env(), u.headers, 'notes.txt', [{ filename: 'a.txt', content: Buffer.from('a') }]);
      expect(res.statusCode).toBe(422);
      expect(res.json().detail).toEqual([expect.objectContaining({ loc: ['body', 'path'], msg: 'is a file, not a folder' })]);
      expect(await usedBytes(env(), u.user.id)).toBe(1);
    });

    it('names the part and the field of a refused file name or target path', async () => {
      const u = await createLoggedInUser(env());
      const badName = await upload(env(), u.headers, '', [
        { filename: 'ok.txt', content: Buffer.from('1') },
        { filename: '..', content: Buffer.from('2') },
      ]);
      expect(badName.json().detail).toEqual([expect.objectContaining({ loc: ['body', 'files', 1], msg: 'must not be "." or ".."' })]);
      const badPath = await upload(env(), u.headers, '../elsewhere', [{ filename: 'ok.txt', content: Buffer.from('1') }]);
      expect(badPath.json().detail).toEqual([expect.objectContaining({ loc: ['body', 'path'], msg: 'must not be "." or ".."' })]);
      expect(await usedBytes(env(), u.user.id)).toBe(0);
      expect(await tempFiles(env())).toEqual([]);
    });

    it('puts files without a target path in the home folder', async () => {
      const u = await createLoggedInUser(env());
      const body = multipart({}, [{ filename: 'top.txt', content: Buffer.from('top') }]);
      const res = await env().app.inject({
        method: 'POST',
        url: '/api/files/upload',
        payload: body.payload,
        headers: { ...u.headers, ...body.headers },
      });
      expect(res.statusCode).toBe(200);
      expect(await listNames(env(), u.headers)).toEqual(['top.txt']);
    });

    it('lets a user upload into a folder shared with them only when the share allows writing', async () => {
      const owner = await createLoggedInUser(env());
      const friend = await createLoggedInUser(env());
      await env().app.inject({ method: 'POST', url: '/api/files/folder', headers: owner.headers, payload: { path: '', name: 'Inbox' } });
      const folder = (await env().app.inject({ method: 'GET', url: '/api/files/list?path=', headers: owner.headers })).json().files[0] as {
        file_id: number;
      };
      const share = (
        await env().app.inject({
          method: 'POST',
          url: '/api/shares/user-shares',
          headers: owner.headers,
          payload: {
            file_id: folder.file_id,
            shared_with_user_id: friend.user.id,
            can_read: true,
            can_write: false,
            can_delete: false,
            can_share: false,
          },
        })
      ).json();
      const readOnly = await upload(
        env(),
        friend.headers,
        'Inbox',
        [{ filename: 'drop.txt', content: Buffer.from('d') }],
        `?owner_id=${owner.user.id}`,
      );
      expect(readOnly.statusCode).toBe(403);
      await env().app.inject({
        method: 'PATCH',
        url: `/api/shares/user-shares/${share.id}`,
        headers: owner.headers,
        payload: { can_write: true },
      });
      const writable = await upload(
        env(),
        friend.headers,
        'Inbox',
        [{ filename: 'drop.txt', content: Buffer.from('d') }],
        `?owner_id=${owner.user.id}`,
      );
      expect(writable.statusCode).toBe(200);
      expect(await listNames(env(), owner.headers, 'Inbox')).toEqual(['drop.txt']);
      // The owner pays for what lands in their folder.
      expect(await usedBytes(env(), owner.user.id)).toBe(1);
      expect(await usedBytes(env(), friend.user.id)).toBe(0);
    });

    it('answers a file under an unknown field at once over a real connection, without reading it into the store', async () => {
      const u = await createLoggedInUser(env());
      const address = await baseUrl(env());
      const body = multipart({ path: '' }, [{ field: 'attachment', filename: 'big.bin', content: Buffer.alloc(2 * 1024 * 1024, 1) }]);
      const res = await fetch(`${address}/api/files/upload`, {
        method: 'POST',
        headers: { ...u.headers, ...body.headers },
        body: body.payload,
        signal: AbortSignal.timeout(10_000),
      });
      expect(res.status).toBe(422);
      expect(((await res.json()) as { detail: { msg: string }[] }).detail[0]?.msg).toBe('unknown field; send files as "files"');
      expect(await tempFiles(env())).toEqual([]);
    });

    it('gives back the quota and metadata of files it could not put in place', async () => {
      const u = await createLoggedInUser(env());
      await upload(env(), u.headers, '', [{ filename: 'kept.bin', content: Buffer.alloc(50) }]);
      const home = await env().app.services.repos.files.findHome(u.user.id);
      // Something outside BaluHost put a folder where the second new file must go: its rename fails.
      await mkdir(join(env().config.storageRoot, home!.name, 'blocked.bin', 'inside'), { recursive: true });
      const res = await upload(env(), u.headers, '', [
        { filename: 'first.bin', content: Buffer.alloc(100) },
        { filename: 'blocked.bin', content: Buffer.alloc(200) },
        { filename: 'kept.bin', content: Buffer.alloc(70) },
      ]);
      expect(res.statusCode).toBe(500);
      // The first file made it; the blocked one and the replacement after it are undone.
      expect(await listNames(env(), u.headers)).toEqual(['first.bin', 'kept.bin']);
      expect(await usedBytes(env(), u.user.id)).toBe(150);
      const list = await env().app.inject({ method: 'GET', url: '/api/files/list?path=', headers: u.headers });
      expect(list.json().files.find((f: { name: string }) => f.name === 'kept.bin').size).toBe(50);
      expect(await tempFiles(env())).toEqual([]);
    });
  },
  { env: { BALUHOST_UPLOAD_MAX_BYTES: String(MAX), BALUHOST_STORAGE_RESERVE_BYTES: '0' } },
);

describe('disk space', () => {
  describeEachDialect(
    'reserve',
    (env) => {
      it('answers 507 when an upload would eat into the disk reserve', async () => {
        const u = await createLoggedInUser(env());
        const res = await upload(env(), u.headers, '', [{ filename: 'a.bin', content: Buffer.alloc(10) }]);
        expect(res.statusCode).toBe(507);
        expect(res.json()).toMatchObject({ code: 'disk_full', detail: 'Not enough free disk space for this upload' });
        expect(await tempFiles(env())).toEqual([]);
      });

      it('checks the room again once the size is known (no Content-Length), and lets a file shrink on a full disk', async () => {
        const u = await createLoggedInUser(env());
        // Seed a file through a second instance on the same database and storage that has no reserve.
        const roomy = await buildApp({
          config: { ...env().config, files: { ...env().config.files, reserveBytes: 0 } },
          database: env().database,
          logger: createLogger({ logLevel: 'silent' }),
        });
        try {
          const seeded = await upload({ ...env(), app: roomy }, u.headers, '', [{ filename: 'keep.bin', content: Buffer.alloc(300) }]);
          expect(seeded.statusCode).toBe(200);
        } finally {
          await roomy.close();
        }
        const address = await baseUrl(env());
        const chunked = (files: { filename: string; content: Buffer }[]) => {
          const body = multipart({ path: '' }, files);
          const stream = new ReadableStream({
            start(controller) {
              controller.enqueue(body.payload);
              controller.close();
            },
          });
          const { 'content-length': _length, ...headers } = body.headers;
          return fetch(`${address}/api/files/upload`, {
            method: 'POST',
            headers: { ...u.headers, ...headers },
            body: stream,
            duplex: 'half',
          });
        };
        const grow = await chunked([{ filename: 'new.bin', content: Buffer.alloc(10) }]);
        expect(grow.status).toBe(507);
        expect(await grow.json()).toMatchObject({ code: 'disk_full', detail: 'Not enough free disk space for this upload' });
        const shrink = await chunked([{ filename: 'keep.bin', content: Buffer.alloc(100) }]);
        expect(shrink.status).toBe(200);
        const same = await chunked([{ filename: 'keep.bin', content: Buffer.alloc(100) }]);
        expect(same.status).toBe(200);
        expect(await usedBytes(env(), u.user.id)).toBe(100);
        expect(await tempFiles(env())).toEqual([]);
      });
    },
    // A reserve larger than any disk: every upload is refused, as on a full NAS.
    { env: { BALUHOST_STORAGE_RESERVE_BYTES: String(2 ** 60), BALUHOST_UPLOAD_MAX_BYTES: String(MAX) } },
  );
});
