import type SqliteDriver from 'better-sqlite3';
import type pg from 'pg';
import { pgDigestSql, pgRowHashesSql, type TableDigest } from './canonical-hash.js';
import type { TableShape } from './pg-catalog.js';
import { digestSqliteTable, sqliteRowHashes } from './sqlite-source.js';

export interface TableVerification {
  table: string;
  source_rows: number;
  target_rows: number;
  source_hash: string;
  target_hash: string;
  ok: boolean;
  /** Keys of rows that differ or exist on one side only (at most 10). */
  sample_keys: string[];
}

export async function pgDigest(client: pg.ClientBase, shape: TableShape): Promise<TableDigest> {
  const result = await client.query<{ rows: string; hash: string }>(pgDigestSql(shape.name, shape.columns));
  const row = result.rows[0] as { rows: string; hash: string };
  return { rows: Number(row.rows), hash: row.hash };
}

async function sampleDifferences(source: SqliteDriver.Database, client: pg.ClientBase, shape: TableShape, limit = 10): Promise<string[]> {
  const target = new Map<string, string>();
  for (const row of (await client.query<{ key: string; h: string }>(pgRowHashesSql(shape.name, shape.columns, shape.key))).rows)
    target.set(row.key, row.h);
  const keys: string[] = [];
  for (const { key, h } of sqliteRowHashes(source, shape)) {
    const other = target.get(key);
    target.delete(key);
    if (other !== h && keys.length < limit) keys.push(key);
  }
  for (const key of target.keys()) if (keys.length < limit) keys.push(key);
  return keys;
}

/**
 * Row counts and content digests of every table on both sides. `known` supplies source digests
 * already computed while copying, so the source is not read twice.
 */
export async function verifyTables(
  source: SqliteDriver.Database,
  client: pg.ClientBase,
  shapes: TableShape[],
  known = new Map<string, TableDigest>(),
): Promise<TableVerification[]> {
  const results: TableVerification[] = [];
  for (const shape of shapes) {
    const [src, dst] = [known.get(shape.name) ?? digestSqliteTable(source, shape), await pgDigest(client, shape)];
    const ok = src.rows === dst.rows && src.hash === dst.hash;
    results.push({
      table: shape.name,
      source_rows: src.rows,
      target_rows: dst.rows,
      source_hash: src.hash,
      target_hash: dst.hash,
      ok,
      sample_keys: ok ? [] : await sampleDifferences(source, client, shape),
    });
  }
  return results;
}

export class VerificationError extends Error {
  readonly failures: TableVerification[];
  constructor(failures: TableVerification[]) {
    super(
      `Verification failed for ${failures.map((f) => `${f.table} (source ${f.source_rows} rows, target ${f.target_rows} rows; differing keys: ${f.sample_keys.join(', ') || 'none sampled'})`).join('; ')}`,
    );
    this.name = 'VerificationError';
    this.failures = failures;
  }
}
