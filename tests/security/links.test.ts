/**
 * Symlinks someone with shell access left in the storage folder: a link may point elsewhere in its
 * owner's home, never into another user's home, and a link that points nowhere is a 4xx, never a 500
 * and never a way to create its target. Both databases.
 */
import { mkdir, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { InjectOptions } from 'fastify';
import { expect, it } from 'vitest';
import { createLoggedInUser } from '../helpers/factories.js';
import { upload } from '../helpers/files.js';
import { describeEachDialect } from '../helpers/test-app.js';

describeEachDialect('links in the storage folder', (env) => {
  const inject = (options: InjectOptions) => env().app.inject(options);

  /** A folder entry the index knows, so only path safety stands between the request and the disk. */
  async function indexFolder(ownerId: number, parentId: number, name: string) {
    return env().app.services.repos.files.create({ ownerId, parentId, name, isDirectory: true, sizeBytes: 0, mimeType: null }, new Date());
  }

  it("does not follow a link from one user's home into another's: read, overwrite and delete all refused", async () => {
    const alice = await createLoggedInUser(env());
    const bob = await createLoggedInUser(env());
    expect((await upload(env(), bob.headers, '', [{ filename: 'diary.txt', content: 'dear diary' }])).statusCode).toBe(200);
    const aliceHome = await env().app.services.access.ensureHome(alice.user);
    const bobHome = await env().app.services.access.ensureHome(bob.user);
    const bobDisk = join(env().config.storageRoot, bobHome.name);
    await symlink(bobDisk, join(env().config.storageRoot, aliceHome.name, 'neighbour'));
    const linked = await indexFolder(alice.user.id, aliceHome.id, 'neighbour');
    await env().app.services.repos.files.create(
      { ownerId: alice.user.id, parentId: linked.id, name: 'diary.txt', isDirectory: false, sizeBytes: 10, mimeType: 'text/plain' },
      new Date(),
    );

    const read = await inject({ method: 'GET', url: '/api/files/download/neighbour/diary.txt', headers: alice.headers });
    expect(read.statusCode).toBe(403);
    expect(read.body).not.toContain('dear diary');
    const overwrite = await upload(env(), alice.headers, 'neighbour', [{ filename: 'diary.txt', content: 'overwritten' }]);
    expect(overwrite.statusCode).toBe(403);
    const planted = await upload(env(), alice.headers, 'neighbour', [{ filename: 'planted.txt', content: 'x' }]);
    expect(planted.statusCode).toBe(403);
    expect((await inject({ method: 'DELETE', url: '/api/files/neighbour/diary.txt', headers: alice.headers })).statusCode).toBe(403);
    expect(await readFile(join(bobDisk, 'diary.txt'), 'utf8')).toBe('dear diary');
    await expect(stat(join(bobDisk, 'planted.txt'))).rejects.toThrow();
  });

  it('answers a link that points nowhere with 409 on download, upload and mkdir, and creates nothing', async () => {
    const carol = await createLoggedInUser(env());
    const home = await env().app.services.access.ensureHome(carol.user);
    const disk = join(env().config.storageRoot, home.name);
    await mkdir(disk, { recursive: true });
    await writeFile(join(disk, 'real.txt'), 'x');
    await symlink(join(disk, 'gone.txt'), join(disk, 'broken.txt'));
    await symlink(join(disk, 'gone-folder'), join(disk, 'broken-folder'));
    await env().app.services.repos.files.create(
      { ownerId: carol.user.id, parentId: home.id, name: 'broken.txt', isDirectory: false, sizeBytes: 1, mimeType: 'text/plain' },
      new Date(),
    );
    await indexFolder(carol.user.id, home.id, 'broken-folder');

    const download = await inject({ method: 'GET', url: '/api/files/download/broken.txt', headers: carol.headers });
    expect([download.statusCode, download.json()]).toEqual([409, expect.objectContaining({ code: 'broken_link' })]);
    const into = await upload(env(), carol.headers, 'broken-folder', [{ filename: 'a.txt', content: 'a' }]);
    expect(into.statusCode).toBe(409);
    const over = await upload(env(), carol.headers, '', [{ filename: 'broken.txt', content: 'through the link' }]);
    expect(over.statusCode).toBe(409);
    const folder = await inject({
      method: 'POST',
      url: '/api/files/folder',
      headers: carol.headers,
      payload: { path: '', name: 'broken-folder' },
    });
    expect(folder.statusCode).toBeGreaterThanOrEqual(400);
    expect(folder.statusCode).toBeLessThan(500);
    await expect(stat(join(disk, 'gone.txt'))).rejects.toThrow();
    await expect(stat(join(disk, 'gone-folder'))).rejects.toThrow();
    await rm(join(disk, 'broken.txt'));
  });
});
