/**
 * ClamAV's clamd, spoken directly (INSTREAM): the file is streamed in length-prefixed chunks and
 * clamd answers `stream: OK` or `stream: <signature> FOUND`. No client library, no temp copies.
 */
import { createReadStream } from 'node:fs';
import { connect, type Socket } from 'node:net';

export type ScanResult = { clean: true } | { clean: false; signature: string };

export interface VirusScanner {
  scanFile(path: string): Promise<ScanResult>;
}

export class ScannerUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ScannerUnavailableError';
  }
}

function open(address: string, timeoutMs: number): Socket {
  const hostPort = /^([^/:]+):(\d+)$/.exec(address);
  const socket = hostPort ? connect({ host: hostPort[1] as string, port: Number(hostPort[2]) }) : connect({ path: address });
  socket.setTimeout(timeoutMs);
  return socket;
}

export function createClamdScanner(address: string, timeoutMs = 60_000): VirusScanner {
  return {
    scanFile(path) {
      return new Promise((resolve, reject) => {
        const socket = open(address, timeoutMs);
        let reply = '';
        const fail = (why: string) => {
          socket.destroy();
          reject(new ScannerUnavailableError(`clamd at ${address}: ${why}`));
        };
        socket.on('timeout', () => fail('no answer in time'));
        socket.on('error', (err) => fail(err.message));
        socket.on('data', (d: Buffer) => (reply += d.toString('utf8')));
        socket.on('end', () => {
          const text = reply.replace(/\0+$/, '').trim();
          const found = /^stream: (.+) FOUND$/.exec(text);
          if (text === 'stream: OK') resolve({ clean: true });
          else if (found) resolve({ clean: false, signature: found[1] as string });
          else fail(`unexpected reply ${JSON.stringify(text.slice(0, 200))}`);
        });
        const send = async () => {
          try {
            socket.write('zINSTREAM\0');
            for await (const chunk of createReadStream(path, { highWaterMark: 64 * 1024 })) {
              const header = Buffer.alloc(4);
              header.writeUInt32BE((chunk as Buffer).length);
              if (!socket.write(Buffer.concat([header, chunk as Buffer]))) await new Promise((r) => socket.once('drain', r));
            }
            socket.end(Buffer.alloc(4));
          } catch (err) {
            fail((err as Error).message);
          }
        };
        socket.on('connect', () => void send());
      });
    },
  };
}
