import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LockHeldError, withHostLock } from '../../app/src/lib/host-lock.js';

describe('host lock', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'baluhost-lock-'));
  });
  afterAll(async () => rm(dir, { recursive: true, force: true }));

  it('creates its folder, runs the work and releases', async () => {
    const file = join(dir, 'not-yet', 'ops.lock');
    expect(await withHostLock(file, 'test', async () => JSON.parse(await readFile(file, 'utf8')).operation)).toBe('test');
    await expect(readFile(file)).rejects.toThrow();
  });

  it('refuses while a live process holds it, naming the holder', async () => {
    const file = join(dir, 'held.lock');
    await withHostLock(file, 'first', async () => {
      await expect(withHostLock(file, 'second', async () => 'ran')).rejects.toThrow(LockHeldError);
      await expect(withHostLock(file, 'second', async () => 'ran')).rejects.toThrow(/held by .* first/);
    });
  });

  it('takes over a lock left by a process that is gone', async () => {
    const file = join(dir, 'stale.lock');
    const { hostname } = await import('node:os');
    await writeFile(file, JSON.stringify({ pid: 2 ** 22 + 12345, host: hostname(), operation: 'crashed' }));
    expect(await withHostLock(file, 'next', async () => 'ran')).toBe('ran');
  });

  it('releases after the work fails', async () => {
    const file = join(dir, 'fail.lock');
    await expect(withHostLock(file, 'x', async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(await withHostLock(file, 'y', async () => 'ok')).toBe('ok');
  });
});
