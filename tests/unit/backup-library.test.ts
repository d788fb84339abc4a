import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  backupsToDelete,
  decryptFile,
  dockerPgDumpArgv,
  encryptFile,
  libpqEnv,
  pgDumpArgs,
  pgRestoreArgs,
} from '../../app/src/backups/index.js';
import { unsafeMemberReason } from '../../app/src/backups/archive.js';

describe('dump and restore commands', () => {
  it('take credentials from the environment, never argv', () => {
    const env = libpqEnv('postgres://baluhost:p%40ss@db.lan:5433/nas?sslmode=require');
    expect(env).toEqual({
      PGHOST: 'db.lan',
      PGPORT: '5433',
      PGDATABASE: 'nas',
      PGUSER: 'baluhost',
      PGPASSWORD: 'p@ss',
      PGSSLMODE: 'require',
    });
    const argv = [...pgDumpArgs('/b/x.pgdump', 'snap-1'), ...pgRestoreArgs('/b/x.pgdump', 'nas'), ...dockerPgDumpArgv('baluhost-db', env)];
    expect(argv.join(' ')).not.toContain('p@ss');
    expect(pgDumpArgs('/b/x.pgdump', 'snap-1')).toEqual([
      '--format=custom',
      '--no-owner',
      '--no-privileges',
      '--snapshot',
      'snap-1',
      '--file',
      '/b/x.pgdump',
    ]);
    expect(pgRestoreArgs('/b/x.pgdump', 'nas')).toContain('--single-transaction');
    expect(dockerPgDumpArgv('baluhost-db', env).slice(0, 4)).toEqual(['docker', 'exec', '-i', '-e']);
    expect(dockerPgDumpArgv('baluhost-db', env)).toContain('PGPASSWORD');
  });
});

describe('archive member safety', () => {
  it.each([
    ['../escape', 'File'],
    ['/etc/passwd', 'File'],
    ['a/../../b', 'File'],
    ['C:\\windows', 'File'],
    ['link', 'SymbolicLink'],
    ['hard', 'Link'],
    ['dev', 'CharacterDevice'],
  ])('refuses %s (%s)', (path, type) => {
    expect(unsafeMemberReason({ path, type })).not.toBeNull();
  });
  it.each([['manifest.json'], ['files/alice/Docs/a.txt'], ['alice/..hidden']])('accepts %s', (path) => {
    expect(unsafeMemberReason({ path, type: 'File' })).toBeNull();
  });
});

describe('retention', () => {
  const now = new Date('2026-11-28T12:00:00Z');
  const day = (n: number) => ({ file: `b${n}`, createdAt: new Date(now.getTime() - n * 86_400_000) });
  const entries = [0, 1, 2, 3, 10, 40].map(day);

  it('keeps the newest N', () => expect(backupsToDelete(entries, { keepLast: 3 }, now)).toEqual(['b3', 'b10', 'b40']));
  it('keeps everything younger than D days', () => expect(backupsToDelete(entries, { keepDays: 7 }, now)).toEqual(['b10', 'b40']));
  it('deletes only what no rule keeps', () => expect(backupsToDelete(entries, { keepLast: 5, keepDays: 2 }, now)).toEqual(['b40']));
  it('never deletes the newest backup, and nothing without a policy', () => {
    expect(backupsToDelete([day(100)], { keepDays: 1 }, now)).toEqual([]);
    expect(backupsToDelete(entries, {}, now)).toEqual([]);
  });
});

describe('backup encryption', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'baluhost-enc-'));
  });
  afterAll(async () => rm(dir, { recursive: true, force: true }));

  it('round-trips, and refuses a wrong passphrase or a flipped bit without leaving output', async () => {
    const plain = join(dir, 'plain');
    await writeFile(plain, Buffer.from('x'.repeat(100_000) + 'end'));
    await encryptFile(plain, join(dir, 'enc'), 'a long passphrase');
    await decryptFile(join(dir, 'enc'), join(dir, 'back'), 'a long passphrase');
    expect((await readFile(join(dir, 'back'))).equals(await readFile(plain))).toBe(true);
    await expect(decryptFile(join(dir, 'enc'), join(dir, 'bad'), 'another passphrase')).rejects.toThrow(/wrong passphrase/);
    await expect(readFile(join(dir, 'bad'))).rejects.toThrow();
    const bytes = await readFile(join(dir, 'enc'));
    bytes[500] = (bytes[500] ?? 0) ^ 1;
    await writeFile(join(dir, 'tampered'), bytes);
    await expect(decryptFile(join(dir, 'tampered'), join(dir, 'out'), 'a long passphrase')).rejects.toThrow(/was modified/);
  });
});
