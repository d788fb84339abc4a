import { randomBytes } from 'node:crypto';
import pg from 'pg';

/** The shared test server (RECIPES.md); CI starts it in .ci/run. */
export const PG_ADMIN_URL = process.env['BALUHOST_TEST_PG_ADMIN_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export function urlFor(database: string, base = PG_ADMIN_URL): string {
  const url = new URL(base);
  url.pathname = `/${database}`;
  return url.toString();
}

async function withAdmin<T>(work: (client: pg.Client) => Promise<T>, base = PG_ADMIN_URL): Promise<T> {
  const client = new pg.Client({ connectionString: base });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

export interface ThrowawayDatabase {
  name: string;
  url: string;
  drop(): Promise<void>;
}

/** A fresh, empty database on the test server, so test files can run in parallel. */
export async function createThrowawayDatabase(prefix = 'baluhost_t', base = PG_ADMIN_URL): Promise<ThrowawayDatabase> {
  const name = `${prefix}_${process.pid}_${randomBytes(4).toString('hex')}`;
  await withAdmin((c) => c.query(`CREATE DATABASE "${name}"`), base);
  return {
    name,
    url: urlFor(name, base),
    drop: () => withAdmin((c) => c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`), base).then(() => undefined),
  };
}

export async function assertPostgresReachable(base = PG_ADMIN_URL): Promise<void> {
  try {
    await withAdmin((c) => c.query('select 1'), base);
  } catch (err) {
    throw new Error(
      `PostgreSQL is not reachable at ${base.replace(/:[^:@/]+@/, ':***@')} (${(err as Error).message}). ` +
        'Start it with: pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start',
    );
  }
}
