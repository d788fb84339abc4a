/** Uploads are sniffed against the deny-list and, with CLAMD_SOCKET, scanned; refused files are never stored. */
import { crc32 } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLoggedInUser } from '../helpers/factories.js';
import { EICAR, startFakeClamd, type FakeClamd } from '../helpers/fake-clamd.js';
import { listNames, tempFiles, upload, usedBytes } from '../helpers/files.js';
import { createTestEnv, type TestEnv } from '../helpers/test-app.js';

const ELF = Buffer.concat([Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0x02, 0x01, 0x01, 0x00]), Buffer.alloc(120)]);
const PNG = Buffer.from(
  '89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082',
  'hex',
);

/** A zip of stored (uncompressed) members, built by hand so the test controls where each member sits. */
function zipOf(members: [string, Buffer][]): Buffer {
  const locals: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  for (const [name, data] of members) {
    const fileName = Buffer.from(name);
    const crc = crc32(data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(data.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(fileName.length, 26);
    locals.push(local, fileName, data);
    const entry = Buffer.alloc(46);
    entry.writeUInt32LE(0x02014b50, 0);
    entry.writeUInt16LE(20, 4);
    entry.writeUInt16LE(20, 6);
    entry.writeUInt32LE(crc, 16);
    entry.writeUInt32LE(data.length, 20);
    entry.writeUInt32LE(data.length, 24);
    entry.writeUInt16LE(fileName.length, 28);
    entry.writeUInt32LE(offset, 42);
    central.push(entry, fileName);
    offset += 30 + fileName.length + data.length;
  }
  const directory = Buffer.concat(central);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(members.length, 8);
  end.writeUInt16LE(members.length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, directory, end]);
}

/** The start of an OLE compound file: Word .doc and Windows Installer .msi share it. */
const CFB = Buffer.concat([Buffer.from('d0cf11e0a1b11ae1', 'hex'), Buffer.alloc(600)]);

describe('upload inspection', () => {
  let clamd: FakeClamd;
  let env: TestEnv & { close(): Promise<void> };
  beforeAll(async () => {
    clamd = await startFakeClamd();
    env = await createTestEnv('sqlite', { env: { CLAMD_SOCKET: clamd.socket } });
  });
  afterAll(async () => {
    await env?.close();
    await clamd?.close();
  });

  it('refuses a file the scanner flags, stores nothing, charges no quota', async () => {
    const user = await createLoggedInUser(env);
    const res = await upload(env, user.headers, '', [{ filename: 'report.txt', content: Buffer.from(`harmless text\n${EICAR}\n`) }]);
    expect(res.statusCode).toBe(422);
    expect(JSON.stringify(res.json())).toContain('Eicar-Test-Signature');
    expect(await listNames(env, user.headers)).toEqual([]);
    expect(await usedBytes(env, user.user.id)).toBe(0);
    expect(await tempFiles(env)).toEqual([]);
  });

  it('stores a clean file after the scanner saw every byte of it', async () => {
    const user = await createLoggedInUser(env);
    const content = Buffer.alloc(300_000, 'a');
    const before = clamd.scans.length;
    expect((await upload(env, user.headers, '', [{ filename: 'big.txt', content }])).statusCode).toBe(200);
    expect(clamd.scans[before]?.equals(content)).toBe(true);
    expect(await listNames(env, user.headers)).toEqual(['big.txt']);
  });

  it('refuses an executable disguised by its name, and one named as what it is', async () => {
    const user = await createLoggedInUser(env);
    const disguised = await upload(env, user.headers, '', [{ filename: 'holiday.jpg', content: ELF }]);
    expect(disguised.statusCode).toBe(422);
    expect(JSON.stringify(disguised.json())).toContain('really a');
    expect((await upload(env, user.headers, '', [{ filename: 'setup.exe', content: Buffer.from('MZ') }])).statusCode).toBe(422);
    expect((await upload(env, user.headers, '', [{ filename: 'pixel.png', content: PNG }])).statusCode).toBe(200);
    expect(await listNames(env, user.headers)).toEqual(['pixel.png']);
  });

  it('reads the extension Windows would: trailing dots and spaces do not hide a denied type', async () => {
    const user = await createLoggedInUser(env);
    for (const filename of ['run.exe.', 'setup.msi. .', 'tool.EXE..'])
      expect((await upload(env, user.headers, '', [{ filename, content: Buffer.from('x') }])).json(), filename).toMatchObject({
        detail: [expect.objectContaining({ type: 'file_type_denied' })],
      });
  });

  it('applies the deny-list when a stored file is renamed: setup.doc does not become setup.msi', async () => {
    const user = await createLoggedInUser(env);
    expect((await upload(env, user.headers, '', [{ filename: 'setup.doc', content: CFB }])).statusCode).toBe(200);
    for (const newName of ['setup.msi', 'setup.exe.'])
      expect(
        (
          await env.app.inject({
            method: 'PUT',
            url: '/api/files/rename',
            headers: user.headers,
            payload: { old_path: 'setup.doc', new_name: newName },
          })
        ).statusCode,
        newName,
      ).toBe(422);
    expect(await listNames(env, user.headers)).toEqual(['setup.doc']);
    const fine = await env.app.inject({
      method: 'PUT',
      url: '/api/files/rename',
      headers: user.headers,
      payload: { old_path: 'setup.doc', new_name: 'setup-old.doc' },
    });
    expect(fine.statusCode).toBe(200);
  });

  it('finds a JAR by its manifest wherever it sits in the archive, past the sniffed prefix', async () => {
    const user = await createLoggedInUser(env);
    const jar = zipOf([
      ['data/filler.bin', Buffer.alloc(20_000, 1)],
      ['META-INF/MANIFEST.MF', Buffer.from('Manifest-Version: 1.0\nMain-Class: Evil\n')],
    ]);
    const refused = await upload(env, user.headers, '', [{ filename: 'photos.zip', content: jar }]);
    expect(refused.statusCode).toBe(422);
    expect(JSON.stringify(refused.json())).toContain('really a application/java-archive file (jar)');
    const plainZip = zipOf([
      ['data/filler.bin', Buffer.alloc(20_000, 1)],
      ['notes.txt', Buffer.from('hello')],
    ]);
    expect((await upload(env, user.headers, '', [{ filename: 'photos.zip', content: plainZip }])).statusCode).toBe(200);
  });

  it('fails closed (503) when the scanner cannot be reached', async () => {
    const down = await createTestEnv('sqlite', { env: { CLAMD_SOCKET: '/nonexistent/clamd.sock' } });
    try {
      const user = await createLoggedInUser(down);
      const res = await upload(down, user.headers, '', [{ filename: 'a.txt', content: Buffer.from('hello') }]);
      expect(res.statusCode).toBe(503);
      expect(res.json().code).toBe('scanner_unavailable');
      expect(await listNames(down, user.headers)).toEqual([]);
    } finally {
      await down.close();
    }
  });

  it('accepts everything when the deny-list is set to none and no scanner is configured', async () => {
    const open = await createTestEnv('sqlite', { env: { BALUHOST_UPLOAD_DENY_TYPES: 'none' } });
    try {
      const user = await createLoggedInUser(open);
      expect((await upload(open, user.headers, '', [{ filename: 'tool.bin', content: ELF }])).statusCode).toBe(200);
    } finally {
      await open.close();
    }
  });
});
