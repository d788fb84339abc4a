import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tar from 'tar';
import type { InjectOptions } from 'fastify';
import { describe, expect, it } from 'vitest';
import { sha256File } from '../../app/src/backups/checksum.js';
import { createLoggedInUser, createUser } from '../helpers/factories.js';
import { listNames, upload } from '../helpers/files.js';
import { describeEachDialect, type TestEnv } from '../helpers/test-app.js';

async function finishedBackup(env: TestEnv, headers: Record<string, string>, payload: Record<string, unknown> = { backup_type: 'full' }) {
  const res = await env.app.inject({ method: 'POST', url: '/api/backups', headers, payload });
  expect(res.statusCode).toBe(202);
  await env.app.services.backups.idle();
  const backup = (await env.app.inject({ method: 'GET', url: `/api/backups/${res.json().id}`, headers })).json();
  if (backup.status !== 'completed') throw new Error(`backup ${backup.status}: ${backup.error_message}`);
  return backup as { id: number; filename: string; sha256: string; size_bytes: number };
}

describeEachDialect('backups API', (env) => {
  const inject = (options: InjectOptions) => env().app.inject(options);
  const restore = (headers: Record<string, string>, id: number, body: Record<string, unknown>) =>
    inject({ method: 'POST', url: `/api/backups/${id}/restore`, headers, payload: body });

  it('backs up in the background and lists, describes and serves the archive', async () => {
    const admin = await createLoggedInUser(env(), { role: 'admin' });
    await upload(env(), admin.headers, '', [{ filename: 'keep.txt', content: 'precious' }]);
    const backup = await finishedBackup(env(), admin.headers, { backup_type: 'full', includes_config: true });
    expect(backup).toMatchObject({
      backup_type: 'full',
      status: 'completed',
      includes_database: true,
      includes_files: true,
      includes_config: true,
      sha256: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
    expect(backup.size_bytes).toBeGreaterThan(0);
    const list = (await inject({ method: 'GET', url: '/api/backups', headers: admin.headers })).json();
    expect(list.backups.map((b: { id: number }) => b.id)).toContain(backup.id);
    expect(list.total_size_bytes).toBeGreaterThanOrEqual(backup.size_bytes);
    // The web client downloads with a plain link: the token in the query, on this route only.
    const token = admin.headers['authorization']!.slice('Bearer '.length);
    const linked = await inject({ method: 'GET', url: `/api/backups/${backup.id}/download?token=${token}` });
    expect(linked.statusCode).toBe(200);
    expect((await inject({ method: 'GET', url: `/api/auth/me?token=${token}` })).statusCode).toBe(401);
    expect((await inject({ method: 'GET', url: `/api/backups/${backup.id}/download?token=not-a-token` })).statusCode).toBe(401);
    const dl = await inject({ method: 'GET', url: `/api/backups/${backup.id}/download`, headers: admin.headers });
    expect(dl.statusCode).toBe(200);
    expect(createHash('sha256').update(dl.rawPayload).digest('hex')).toBe(backup.sha256);
  });

  it('restores the database to the moment of the backup, keeping the backup catalogue', async () => {
    const admin = await createLoggedInUser(env(), { role: 'admin' });
    const backup = await finishedBackup(env(), admin.headers, { backup_type: 'database_only' });
    const later = await createUser(env());
    const res = await restore(admin.headers, backup.id, {
      backup_id: backup.id,
      restore_database: true,
      restore_files: false,
      restore_config: false,
      confirm: true,
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ success: true, backup_id: backup.id, restored_at: expect.any(String) });
    expect(await env().app.services.repos.users.findById(later.user.id)).toBeUndefined();
    expect(await env().app.services.repos.users.findById(admin.user.id)).toBeDefined();
    expect((await inject({ method: 'GET', url: `/api/backups/${backup.id}`, headers: admin.headers })).json().status).toBe('completed');
    // The id sequence moved past restored rows: a new backup gets a fresh id.
    const next = await finishedBackup(env(), admin.headers, { backup_type: 'database_only' });
    expect(next.id).toBeGreaterThan(backup.id);
  });

  it('restores files to the moment of the backup', async () => {
    const admin = await createLoggedInUser(env(), { role: 'admin' });
    await upload(env(), admin.headers, '', [{ filename: 'before.txt', content: 'v1' }]);
    const backup = await finishedBackup(env(), admin.headers, { backup_type: 'full' });
    await upload(env(), admin.headers, '', [
      { filename: 'before.txt', content: 'v2-changed' },
      { filename: 'after.txt', content: 'new' },
    ]);
    const res = await restore(admin.headers, backup.id, { restore_database: true, restore_files: true, confirm: true });
    expect(res.statusCode).toBe(200);
    const home = await env().app.services.repos.files.findHome(admin.user.id);
    expect(await readFile(join(env().config.storageRoot, home!.name, 'before.txt'), 'utf8')).toBe('v1');
    await expect(stat(join(env().config.storageRoot, home!.name, 'after.txt'))).rejects.toThrow();
    expect(await listNames(env(), admin.headers)).toContain('before.txt');
  });

  it('refuses a restore without confirm: true, and a mismatched backup_id', async () => {
    const admin = await createLoggedInUser(env(), { role: 'admin' });
    const backup = await finishedBackup(env(), admin.headers, { backup_type: 'database_only' });
    expect((await restore(admin.headers, backup.id, { restore_database: true })).statusCode).toBe(422);
    expect((await restore(admin.headers, backup.id, { restore_database: true, confirm: false })).statusCode).toBe(422);
    expect((await restore(admin.headers, backup.id, { backup_id: backup.id + 1000, confirm: true })).statusCode).toBe(422);
  });

  it('refuses a corrupted archive before touching anything', async () => {
    const admin = await createLoggedInUser(env(), { role: 'admin' });
    const backup = await finishedBackup(env(), admin.headers, { backup_type: 'database_only' });
    const survivor = await createUser(env());
    const path = join(env().config.backups.dir, backup.filename);
    const bytes = await readFile(path);
    const middle = Math.floor(bytes.length / 2);
    bytes[middle] = (bytes[middle] ?? 0) ^ 0xff;
    await writeFile(path, bytes);
    const res = await restore(admin.headers, backup.id, { confirm: true });
    expect(res.statusCode).toBe(409);
    expect(res.json().code).toBe('backup_corrupt');
    expect(await env().app.services.repos.users.findById(survivor.user.id)).toBeDefined();
  });

  it('refuses an archive with a member outside the restore folder, and extracts nothing', async () => {
    const admin = await createLoggedInUser(env(), { role: 'admin' });
    const backup = await finishedBackup(env(), admin.headers, { backup_type: 'database_only' });
    const work = await mkdtemp(join(tmpdir(), 'baluhost-evil-'));
    try {
      await mkdir(join(work, 'inner'));
      await writeFile(join(work, 'evil.txt'), 'pwned');
      const path = join(env().config.backups.dir, backup.filename);
      await tar.create({ gzip: true, file: path, cwd: join(work, 'inner'), preservePaths: true }, ['../evil.txt']);
      // An attacker who can write the archive can also update the checksum: the path check must hold alone.
      await env()
        .database.db.updateTable('backups')
        .set({ sha256: await sha256File(path) })
        .where('id', '=', backup.id)
        .execute();
      const res = await restore(admin.headers, backup.id, { confirm: true });
      expect(res.statusCode).toBe(422);
      expect(res.json().code).toBe('backup_unsafe');
      await expect(stat(join(env().config.backups.dir, '..', 'evil.txt'))).rejects.toThrow();
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  });

  it('deletes a backup and its file', async () => {
    const admin = await createLoggedInUser(env(), { role: 'admin' });
    const backup = await finishedBackup(env(), admin.headers, { backup_type: 'database_only' });
    expect((await inject({ method: 'DELETE', url: `/api/backups/${backup.id}`, headers: admin.headers })).statusCode).toBe(200);
    await expect(stat(join(env().config.backups.dir, backup.filename))).rejects.toThrow();
    expect((await inject({ method: 'GET', url: `/api/backups/${backup.id}`, headers: admin.headers })).statusCode).toBe(404);
  });

  describe('non-admins', () => {
    it('cannot list, create, read, download, restore or delete backups', async () => {
      const admin = await createLoggedInUser(env(), { role: 'admin' });
      const backup = await finishedBackup(env(), admin.headers, { backup_type: 'database_only' });
      const u = await createLoggedInUser(env());
      const calls: InjectOptions[] = [
        { method: 'GET', url: '/api/backups' },
        { method: 'POST', url: '/api/backups', payload: { backup_type: 'full' } },
        { method: 'GET', url: `/api/backups/${backup.id}` },
        { method: 'GET', url: `/api/backups/${backup.id}/download` },
        { method: 'POST', url: `/api/backups/${backup.id}/restore`, payload: { confirm: true } },
        { method: 'DELETE', url: `/api/backups/${backup.id}` },
      ];
      for (const call of calls)
        expect((await inject({ ...call, headers: u.headers })).statusCode, `${call.method} ${call.url as string}`).toBe(403);
    });
  });
});
