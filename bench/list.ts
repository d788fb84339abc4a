/**
 * npm run bench:list — requests/s of an authenticated `GET /api/files/list` over a folder of 1,000
 * entries vs a hello-world Fastify route on the same machine (autocannon, 10 connections).
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import autocannon from 'autocannon';
import { BENCH_PASSWORD, fmt, freePort, login, startServer } from './lib/server.js';
import { benchSize } from './lib/sizes.js';

const SECONDS = benchSize('BENCH_SECONDS', 10, 1);
const ENTRIES = benchSize('BENCH_ENTRIES', 1000, 100);

/** Requests/s of one URL; a run with any failed or non-2xx answer measured something else and is refused. */
async function measure(url: string, headers: Record<string, string> = {}): Promise<{ rps: number; p99: number }> {
  const result = await autocannon({ url, connections: 10, duration: SECONDS, headers });
  const errors = result.errors + result.timeouts + result.non2xx;
  if (errors > 0 || result.requests.total === 0)
    throw new Error(
      `${url}: ${errors} of ${result.requests.total} requests failed (status counts ${JSON.stringify(result.statusCodeStats)})`,
    );
  return { rps: result.requests.average, p99: result.latency.p99 };
}

async function main(): Promise<void> {
  const work = await mkdtemp(join(tmpdir(), 'baluhost-bench-'));
  const server = await startServer({ BALUHOST_DATA_DIR: work, BALUHOST_ADMIN_PASSWORD: BENCH_PASSWORD });
  const helloPort = await freePort();
  const hello = spawn(process.execPath, ['--import', 'tsx', resolve(import.meta.dirname, 'lib/hello.ts'), String(helloPort)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  try {
    const token = await login(server.url, 'admin', BENCH_PASSWORD);
    const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    await fetch(`${server.url}/api/files/folder`, { method: 'POST', headers, body: JSON.stringify({ path: '', name: 'Big' }) });
    for (let i = 0; i < ENTRIES; i += 50) {
      await Promise.all(
        Array.from({ length: 50 }, (_, j) =>
          fetch(`${server.url}/api/files/folder`, {
            method: 'POST',
            headers,
            body: JSON.stringify({ path: 'Big', name: `entry-${String(i + j).padStart(4, '0')}` }),
          }),
        ),
      );
    }
    const listed = (await (await fetch(`${server.url}/api/files/list?path=Big`, { headers })).json()) as { files: unknown[] };
    if (listed.files.length !== ENTRIES) throw new Error(`expected ${ENTRIES} entries, got ${listed.files.length}`);
    await new Promise((r) => hello.stdout?.once('data', r));

    const list = await measure(`${server.url}/api/files/list?path=Big`, { authorization: `Bearer ${token}` });
    const peer = await measure(`http://127.0.0.1:${helloPort}/hello`);
    console.log(`list benchmark — ${SECONDS}s each, 10 connections`);
    console.log(`files/list (${ENTRIES} entries, authenticated): ${fmt(list.rps)} req/s, p99 ${list.p99} ms`);
    console.log(`hello-world Fastify route:                 ${fmt(peer.rps)} req/s, p99 ${peer.p99} ms`);
    console.log(`ratio list/hello: ${fmt(list.rps / peer.rps, 3)}x`);
  } finally {
    hello.kill('SIGTERM');
    await server.stop();
    await rm(work, { recursive: true, force: true });
  }
}

await main();
