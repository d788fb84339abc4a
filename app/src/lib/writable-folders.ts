import { constants } from 'node:fs';
import { access, mkdir, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { FolderAccessError } from '../errors/index.js';

/**
 * Creates each folder when missing and checks the server can write to it. In a container the
 * folders are usually mounts of host folders, and a host folder owned by root is the classic
 * first-start failure: the error names the setting, the folder, its owner and the fix.
 */
export async function assertWritableFolders(folders: { setting: string; path: string }[]): Promise<void> {
  for (const folder of folders) {
    try {
      await mkdir(folder.path, { recursive: true });
      await access(folder.path, constants.W_OK | constants.X_OK);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOTDIR' || code === 'EEXIST')
        throw new FolderAccessError(
          `${folder.setting} ${folder.path} is not a folder (a file is in its way); point the setting at a folder.`,
        );
      if (code !== 'EACCES' && code !== 'EPERM' && code !== 'EROFS') throw err;
      throw new FolderAccessError(await describe(folder, code));
    }
  }
}

async function describe(folder: { setting: string; path: string }, code: string): Promise<string> {
  const uid = process.getuid?.() ?? -1;
  const gid = process.getgid?.() ?? -1;
  if (code === 'EROFS') return `${folder.setting} ${folder.path} is on a read-only file system; mount a writable folder there.`;
  // The folder itself when it exists, else the parent that refused to hold it.
  let existing = folder.path;
  let info = await stat(existing).catch(() => undefined);
  while (!info && existing !== dirname(existing)) {
    existing = dirname(existing);
    info = await stat(existing).catch(() => undefined);
  }
  const owner = info
    ? `${existing} belongs to uid ${info.uid}, gid ${info.gid}, mode ${(info.mode & 0o7777).toString(8).padStart(4, '0')}`
    : '';
  return (
    `${folder.setting} ${folder.path} is not writable by this process (uid ${uid}, gid ${gid}); ${owner}. ` +
    `Give the folder to that user, e.g. on the host: chown -R ${uid}:${gid} <the host folder mounted at ${folder.path}>.`
  );
}
