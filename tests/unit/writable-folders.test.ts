import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FolderAccessError } from '../../app/src/errors/index.js';
import { assertWritableFolders } from '../../app/src/lib/writable-folders.js';

// Refused permissions are tested in the image as uid 10001 (tests/containers/image.test.ts): here tests run as root.
describe('folders the server writes to', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'baluhost-folders-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('creates missing folders, nested, and accepts writable ones', async () => {
    await assertWritableFolders([{ setting: 'BALUHOST_STORAGE_ROOT', path: join(dir, 'a/b/storage') }]);
    expect((await stat(join(dir, 'a/b/storage'))).isDirectory()).toBe(true);
  });

  it('names the setting when a file stands where a folder should be', async () => {
    await writeFile(join(dir, 'file'), 'x');
    const check = assertWritableFolders([{ setting: 'BALUHOST_BACKUP_DIR', path: join(dir, 'file', 'backups') }]);
    await expect(check).rejects.toThrow(FolderAccessError);
    await expect(check).rejects.toThrow(`BALUHOST_BACKUP_DIR ${join(dir, 'file', 'backups')} is not a folder`);
  });
});
