import { spawn, type ChildProcess } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '../..');

export async function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const srv = createServer();
    srv.once('error', fail);
    srv.listen(0, '127.0.0.1', () => {
      const a = srv.address();
      srv.close(() => done(typeof a === 'object' && a ? a.port : 0));
    });
  });
}

/** The benchmarks' admin password: passes the password policy (it must not contain the username). */
export const BENCH_PASSWORD = 'quiet-harbor-lantern-7431';

export interface BenchServer {
  url: string;
  pid: number;
  child: ChildProcess;
  stop(): Promise<void>;
}

/**
 * The real server entry point, as `npm start` runs it, with logging quieted for measuring. The
 * per-address rate limits are off: every benchmark client is one address, and a limited run would
 * measure 429s.
 */
export async function startServer(env: Record<string, string>): Promise<BenchServer> {
  const port = await freePort();
  // node with tsx's loader, one process: its pid is the server's, and a kill reaches the server.
  const child = spawn(process.execPath, ['--import', 'tsx', 'app/src/server.ts'], {
    cwd: ROOT,
    env: {
      PATH: process.env['PATH'] ?? '',
      LOG_LEVEL: 'warn',
      PORT: String(port),
      BALUHOST_TELEMETRY_INTERVAL_MS: '0',
      BALUHOST_API_RATE_LIMIT_PER_MINUTE: '0',
      BALUHOST_AUTH_RATE_LIMIT_PER_MINUTE: '0',
      // A benchmark measures throughput: shedding load (503) would turn a busy machine into a failed run.
      BALUHOST_MAX_EVENT_LOOP_DELAY_MS: '0',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  for (let i = 0; i < 400 && !out.includes('running at'); i += 1) await new Promise((r) => setTimeout(r, 50));
  if (!out.includes('running at')) throw new Error(`server did not start:\n${out}`);
  const pid = child.pid as number;
  return {
    url: `http://127.0.0.1:${port}`,
    pid,
    child,
    stop: async () => {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    },
  };
}

/** Peak resident set (VmHWM) of a process since the last reset, in MiB. */
export async function peakRssMiB(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return Math.round((kb / 1024) * 10) / 10;
}

/** Resets VmHWM so the next reading is the peak of the next phase only. */
export async function resetPeakRss(pid: number): Promise<void> {
  await writeFile(`/proc/${pid}/clear_refs`, '5').catch(() => undefined);
}

export async function login(url: string, username: string, password: string): Promise<string> {
  const res = await fetch(`${url}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password }),
  });
  if (!res.ok) throw new Error(`login failed: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { access_token: string }).access_token;
}

export function fmt(n: number, digits = 1): string {
  return n.toFixed(digits);
}
