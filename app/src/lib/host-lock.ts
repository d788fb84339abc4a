import { mkdir, open, readFile, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { hostname, userInfo } from 'node:os';

export class LockHeldError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LockHeldError';
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * An exclusive lock file (O_EXCL) for destructive operations on this host. A lock left by a
 * process that no longer runs is taken over; a live holder is named in the error.
 */
export async function withHostLock<T>(file: string, operation: string, work: () => Promise<T>): Promise<T> {
  const record = JSON.stringify({
    pid: process.pid,
    host: hostname(),
    user: userInfo().username,
    operation,
    since: new Date().toISOString(),
  });
  await mkdir(dirname(file), { recursive: true });
  for (let attempt = 0; attempt < 2; attempt += 1) {
    try {
      const handle = await open(file, 'wx', 0o600);
      await handle.writeFile(record);
      await handle.close();
      try {
        return await work();
      } finally {
        await rm(file, { force: true });
      }
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const holder = JSON.parse(await readFile(file, 'utf8').catch(() => '{}')) as {
        pid?: number;
        operation?: string;
        user?: string;
        since?: string;
        host?: string;
      };
      if (holder.pid && holder.host === hostname() && alive(holder.pid)) {
        throw new LockHeldError(
          `${file} is held by ${holder.user ?? '?'} (pid ${holder.pid}, ${holder.operation ?? '?'}, since ${holder.since ?? '?'})`,
        );
      }
      await rm(file, { force: true });
    }
  }
  throw new LockHeldError(`Could not take ${file}`);
}
