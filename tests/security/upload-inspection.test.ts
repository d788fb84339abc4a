/** Uploads are sniffed against the deny-list and, with CLAMD_SOCKET, scanned; refused files are never stored. */
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
