/** A real nginx serving a rendered host root on loopback, and an HTTPS client that trusts nothing but connects anyway. */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { createServer, type AddressInfo } from 'node:net';
import { promisify } from 'node:util';
import type { HostLayout } from '../../templates/index.js';

const run = promisify(execFile);

export interface RunningNginx {
  reload(): Promise<void>;
  stop(): Promise<void>;
}

export async function startNginx(layout: HostLayout): Promise<RunningNginx> {
  await run('nginx', ['-c', layout.nginxMainConf]);
  const pid = Number((await readFile(layout.nginxPidFile, 'utf8')).trim());
  return {
    async reload() {
      await run('nginx', ['-c', layout.nginxMainConf, '-s', 'reload']);
      // Reload is asynchronous: old workers finish, new ones start. Wait until the master has new children.
      await new Promise((r) => setTimeout(r, 300));
    },
    async stop() {
      try {
        process.kill(pid, 'SIGQUIT');
      } catch {
        return;
      }
      for (let i = 0; i < 50; i++) {
        try {
          process.kill(pid, 0);
        } catch {
          return;
        }
        await new Promise((r) => setTimeout(r, 100));
      }
      process.kill(pid, 'SIGKILL');
    },
  };
}

export async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<ReturnType<typeof createServer>>((done) => {
          const server = createServer();
          server.listen(0, '127.0.0.1', () => done(server));
        }),
    ),
  );
  const ports = servers.map((s) => (s.address() as AddressInfo).port);
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  return ports;
}

export interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

export function fetchVia(
  scheme: 'http' | 'https',
  port: number,
  path: string,
  options: { method?: string; headers?: Record<string, string>; body?: Buffer | string; host?: string } = {},
): Promise<Reply> {
  const send = scheme === 'https' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = send(
      {
        host: '127.0.0.1',
        port,
        path,
        method: options.method ?? 'GET',
        headers: { host: options.host ?? 'nas.test', ...options.headers },
        servername: options.host ?? 'nas.test',
        rejectUnauthorized: false,
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}
