/**
 * npm run bench:quota — upload latency (median and p95 of N small uploads) with 100,000 files already
 * stored for the user vs an empty store. Usage is kept in the database, so the two should match:
 * nothing walks the tree on upload.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { parseConfig } from '../app/src/config/index.js';
import { createDatabase } from '../app/src/db/index.js';
import { BENCH_PASSWORD, fmt, login, startServer } from './lib/server.js';
import { benchSize } from './lib/sizes.js';

const STORED = benchSize('BENCH_STORED_FILES', 100_000, 2_000);
const UPLOADS = benchSize('BENCH_UPLOADS', 200, 10);

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

async function uploadLatencies(url: string, token: string, folder: string): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < UPLOADS; i += 1) {
    const form = new FormData();
    form.append('path', folder);
    form.append('files', new Blob([`payload ${i}`]), `u-${i}.txt`);
    const started = process.hrtime.bigint();
    const res = await fetch(`${url}/api/files/upload`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: form });
    if (!res.ok) throw new Error(`upload ${i}: ${res.status} ${await res.text()}`);
    times.push(Number(process.hrtime.bigint() - started) / 1e6);
  }
  return times.sort((a, b) => a - b);
}

/** Fills the admin's "Archive" folder with `count` files, on disk and in the metadata, with usage to match. */
async function preload(dataDir: string, count: number): Promise<void> {
  const dir = join(dataDir, 'storage', 'admin', 'Archive');
  await mkdir(dir, { recursive: true });
  for (let i = 0; i < count; i += 1000) {
    await Promise.all(Array.from({ length: Math.min(1000, count - i) }, (_, j) => writeFile(join(dir, `f${i + j}.bin`), 'x')));
  }
  const database = createDatabase(parseConfig({ BALUHOST_DATA_DIR: dataDir }).database);
  try {
    const { db } = database;
    const home = await db
      .selectFrom('files')
      .select('id')
      .where('parent_id', 'is', null)
      .where('owner_id', '=', 1)
      .executeTakeFirstOrThrow();
    const now = new Date().toISOString();
    const archive = await db
      .insertInto('files')
      .values({ owner_id: 1, parent_id: home.id, name: 'Archive', is_directory: true, size_bytes: 0, created_at: now, modified_at: now })
      .returning('id')
      .executeTakeFirstOrThrow();
    await sql`
      with recursive n(i) as (select 0 union all select i + 1 from n where i + 1 < ${count})
      insert into files (owner_id, parent_id, name, is_directory, size_bytes, mime_type, created_at, modified_at)
      select 1, ${archive.id}, 'f' || i || '.bin', 0, 1, 'application/octet-stream', ${now}, ${now} from n`.execute(db);
    await db.updateTable('users').set({ used_bytes: count }).where('id', '=', 1).execute();
  } finally {
    await database.destroy();
  }
}

async function run(stored: number): Promise<number[]> {
  const work = await mkdtemp(join(tmpdir(), 'baluhost-bench-'));
  try {
    // First start creates the schema and the admin; the store is filled while the server is down.
    let server = await startServer({ BALUHOST_DATA_DIR: work, BALUHOST_ADMIN_PASSWORD: BENCH_PASSWORD });
    await login(server.url, 'admin', BENCH_PASSWORD).then((t) =>
      fetch(`${server.url}/api/files/list`, { headers: { authorization: `Bearer ${t}` } }),
    );
    await server.stop();
    if (stored > 0) await preload(work, stored);
    server = await startServer({
      BALUHOST_DATA_DIR: work,
      BALUHOST_ADMIN_PASSWORD: BENCH_PASSWORD,
      BALUHOST_DEFAULT_QUOTA_BYTES: String(10 * 1024 ** 3),
    });
    try {
      const token = await login(server.url, 'admin', BENCH_PASSWORD);
      return await uploadLatencies(server.url, token, '');
    } finally {
      await server.stop();
    }
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

const empty = await run(0);
const full = await run(STORED);
console.log(`quota benchmark — ${UPLOADS} sequential small uploads, quota enforced`);
console.log(`empty store:          median ${fmt(percentile(empty, 50), 2)} ms, p95 ${fmt(percentile(empty, 95), 2)} ms`);
console.log(`${STORED} files stored: median ${fmt(percentile(full, 50), 2)} ms, p95 ${fmt(percentile(full, 95), 2)} ms`);
console.log(`ratio full/empty (median): ${fmt(percentile(full, 50) / percentile(empty, 50), 2)}x`);
