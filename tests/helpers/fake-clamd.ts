/**
 * A small server speaking clamd's INSTREAM protocol (signature databases cannot be downloaded
 * here): it flags the EICAR test string as ClamAV does and records what it was sent.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const EICAR = 'X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*';

export interface FakeClamd {
  socket: string;
  scans: Buffer[];
  close(): Promise<void>;
}

export async function startFakeClamd(): Promise<FakeClamd> {
  const dir = await mkdtemp(join(tmpdir(), 'baluhost-clamd-'));
  const socket = join(dir, 'clamd.sock');
  const scans: Buffer[] = [];
  const server: Server = createServer((conn) => {
    let buffer = Buffer.alloc(0);
    let command = false;
    const chunks: Buffer[] = [];
    conn.on('data', (data: Buffer) => {
      buffer = Buffer.concat([buffer, data]);
      if (!command) {
        const end = buffer.indexOf(0);
        if (end < 0) return;
        if (buffer.subarray(0, end).toString() !== 'zINSTREAM') {
          conn.end('UNKNOWN COMMAND\0');
          return;
        }
        command = true;
        buffer = buffer.subarray(end + 1);
      }
      while (buffer.length >= 4) {
        const length = buffer.readUInt32BE(0);
        if (length === 0) {
          const file = Buffer.concat(chunks);
          scans.push(file);
          conn.end(file.includes(EICAR) ? 'stream: Eicar-Test-Signature FOUND\0' : 'stream: OK\0');
          return;
        }
        if (buffer.length < 4 + length) return;
        chunks.push(buffer.subarray(4, 4 + length));
        buffer = buffer.subarray(4 + length);
      }
    });
  });
  await new Promise<void>((r) => server.listen(socket, r));
  return {
    socket,
    scans,
    async close() {
      await new Promise((r) => server.close(r));
      await rm(dir, { recursive: true, force: true });
    },
  };
}
