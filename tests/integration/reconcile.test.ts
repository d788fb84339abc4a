import { mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { createLoggedInUser } from '../helpers/factories.js';
import { listNames, upload, usedBytes } from '../helpers/files.js';
import { describeEachDialect } from '../helpers/test-app.js';

describeEachDialect('storage reconcile', (env) => {
  it('brings metadata and quota usage back in line with the disk', async () => {
    const u = await createLoggedInUser(env());
    await upload(env(), u.headers, '', [
      { filename: 'kept.txt', content: 'kept' },
      { filename: 'vanished.txt', content: 'gone soon' },
    ]);
    const home = await env().app.services.repos.files.findHome(u.user.id);
    const dir = join(env().config.storageRoot, home!.name);
    await rm(join(dir, 'vanished.txt'));
    await mkdir(join(dir, 'Copied In'));
    await writeFile(join(dir, 'Copied In', 'smb.bin'), Buffer.alloc(1000));
    await writeFile(join(dir, 'kept.txt'), 'kept and grown');
    await symlink('/etc', join(dir, 'etc-link'));
    await env().app.services.repos.users.setUsedBytes(u.user.id, 999_999);

    const report = await env().app.services.reconcile.reconcile();

    expect(report).toMatchObject({ added: 2, removed: 1, updated: 1 });
    expect(report.skipped.some((s) => s.includes('etc-link'))).toBe(true);
    expect(await usedBytes(env(), u.user.id)).toBe(1000 + 'kept and grown'.length);
    expect(await listNames(env(), u.headers)).toEqual(['Copied In', 'kept.txt']);
    expect(await listNames(env(), u.headers, 'Copied In')).toEqual(['smb.bin']);
    // A second run finds nothing to do.
    expect(await env().app.services.reconcile.reconcile()).toMatchObject({ added: 0, removed: 0, updated: 0 });
  });
});
