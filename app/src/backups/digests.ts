import SqliteDriver from 'better-sqlite3';
import type pg from 'pg';
import { DATA_TABLES } from '../db/tables.js';
import { DigestAccumulator, type CanonicalValue, type TableDigest } from '../data-safety/canonical-hash.js';
import { readTableShapes } from '../data-safety/pg-catalog.js';
import { pgDigest } from '../data-safety/verify.js';

export type Digests = Record<string, TableDigest>;

/** Same-engine canonical form for SQLite: values as stored (integers exact via bigint). */
function rawCanonical(value: unknown): CanonicalValue {
  if (value === null || value === undefined) return null;
  if (typeof value === 'bigint' || typeof value === 'number') return String(value);
  if (Buffer.isBuffer(value)) return value.toString('hex');
  if (typeof value === 'string') return value;
  // SQLite hands back only null, integers, reals, text and blobs: anything else is a driver change.
  throw new Error(`unexpected SQLite value of type ${typeof value}`);
}

/** Row counts and content digests of every application table in a SQLite file. */
export function digestSqliteFile(file: string): Digests {
  const db = new SqliteDriver(file, { readonly: true, fileMustExist: true });
  try {
    const digests: Digests = {};
    for (const table of DATA_TABLES) {
      const acc = new DigestAccumulator();
      for (const row of db.prepare(`select * from "${table}"`).raw(true).safeIntegers(true).iterate() as Iterable<unknown[]>)
        acc.add(row.map(rawCanonical));
      digests[table] = acc.result();
    }
    return digests;
  } finally {
    db.close();
  }
}

/** The same for a PostgreSQL database, computed by the server in SQL. */
export async function digestPostgres(client: pg.ClientBase): Promise<Digests> {
  const digests: Digests = {};
  for (const shape of await readTableShapes(client, DATA_TABLES)) digests[shape.name] = await pgDigest(client, shape);
  return digests;
}

/** Tables whose digests differ, with both sides, for an error message. */
export function digestDifferences(expected: Digests, actual: Digests): string[] {
  return Object.keys(expected)
    .filter((t) => expected[t]?.rows !== actual[t]?.rows || expected[t]?.hash !== actual[t]?.hash)
    .map((t) => `${t} (expected ${expected[t]?.rows} rows, found ${actual[t]?.rows ?? 'none'})`);
}
