/** Steady HTTPS load through nginx while a release runs; counts every request that did not get a 200. */
import { request } from 'node:https';

export interface LoadResult {
  total: number;
  failed: number;
  failures: string[];
  ratePerSecond: number;
}

export function startLoad(
  port: number,
  host: string,
  path: string,
  options: { concurrency?: number; perWorkerPerSecond?: number } = {},
): { stop(): Promise<LoadResult> } {
  const concurrency = options.concurrency ?? 4;
  const interval = 1000 / (options.perWorkerPerSecond ?? 50);
  let running = true;
  let total = 0;
  let failed = 0;
  const failures: string[] = [];
  const started = Date.now();
  const once = () =>
    new Promise<void>((resolve) => {
      // A fresh connection each time: what is measured is nginx and the slots, not a client's keep-alive race.
      const req = request(
        { host: '127.0.0.1', port, path, headers: { host }, servername: host, rejectUnauthorized: false, agent: false, timeout: 10_000 },
        (res) => {
          res.resume();
          res.on('end', () => {
            total++;
            if (res.statusCode !== 200) {
              failed++;
              if (failures.length < 20) failures.push(`HTTP ${res.statusCode}`);
            }
            resolve();
          });
        },
      );
      req.on('error', (err) => {
        total++;
        failed++;
        if (failures.length < 20) failures.push(err.message);
        resolve();
      });
      req.end();
    });
  const worker = async () => {
    while (running) {
      const t = Date.now();
      await once();
      const wait = interval - (Date.now() - t);
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    }
  };
  const workers = Array.from({ length: concurrency }, worker);
  return {
    async stop() {
      running = false;
      await Promise.all(workers);
      return { total, failed, failures, ratePerSecond: Math.round(total / ((Date.now() - started) / 1000)) };
    },
  };
}
