import { operatorCommand } from '../lib/operator-commands.js';
import SqliteDriver from 'better-sqlite3';
import { migrationDefinitions } from '../db/migrations/index.js';
import { canonicalField, DigestAccumulator, md5Hex, type CanonicalValue, type TableDigest } from './canonical-hash.js';
import type { TableShape } from './pg-catalog.js';
import { converterFor, type Converter } from './value-conversion.js';

export class SourceError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SourceError';
  }
}

/** Opens a SQLite file read-only and proves it is a BaluHost database at this build's schema. */
export function openBaluhostSqlite(file: string): SqliteDriver.Database {
  let db: SqliteDriver.Database;
  try {
    db = new SqliteDriver(file, { readonly: true, fileMustExist: true });
    db.pragma('schema_version');
  } catch (err) {
    throw new SourceError(`Cannot open ${file} as a SQLite database: ${(err as Error).message}`);
  }
  const hasMigrations = db.prepare(`select 1 from sqlite_master where type = 'table' and name = 'kysely_migration'`).get();
  if (!hasMigrations) {
    db.close();
    throw new SourceError(`${file} is not a BaluHost database (no kysely_migration table)`);
  }
  const applied = (db.prepare('select name from kysely_migration order by name').all() as { name: string }[]).map((r) => r.name);
  const known = Object.keys(migrationDefinitions);
  const unknown = applied.filter((n) => !known.includes(n));
  const missing = known.filter((n) => !applied.includes(n));
  if (unknown.length > 0 || missing.length > 0) {
    db.close();
    throw new SourceError(
      unknown.length > 0
        ? `${file} was migrated by a newer BaluHost (${unknown.join(', ')}); use that version to migrate it`
        : `${file} is at an older schema (missing ${missing.join(', ')}); start BaluHost on it once (or run ${operatorCommand('migrate')}) first`,
    );
  }
  return db;
}

/** Consistent copy of a live SQLite database through its online backup API. */
export async function snapshotSqlite(file: string, to: string): Promise<void> {
  const source = new SqliteDriver(file, { readonly: true, fileMustExist: true });
  try {
    await source.backup(to);
  } finally {
    source.close();
  }
}

export function countRows(db: SqliteDriver.Database, table: string): number {
  return Number((db.prepare(`select count(*) as n from "${table}"`).get() as { n: number }).n);
}

/**
 * Streams a table's rows converted to canonical text for the target's column kinds. Integers are
 * read as bigint so 64-bit sizes never pass through a lossy float.
 */
export function* canonicalRows(db: SqliteDriver.Database, shape: TableShape): Generator<CanonicalValue[]> {
  const columns = shape.columns.map((c) => `"${c.name}"`).join(', ');
  const statement = db.prepare(`select ${columns} from "${shape.name}"`).raw(true).safeIntegers(true);
  const converters = shape.columns.map((c) => converterFor(c.kind, { table: shape.name, column: c.name }));
  const width = converters.length;
  for (const row of statement.iterate() as Iterable<unknown[]>) {
    const out = new Array<CanonicalValue>(width);
    for (let i = 0; i < width; i += 1) out[i] = (converters[i] as Converter)(row[i]);
    yield out;
  }
}

export function digestSqliteTable(db: SqliteDriver.Database, shape: TableShape): TableDigest {
  const acc = new DigestAccumulator();
  for (const row of canonicalRows(db, shape)) acc.add(row);
  return acc.result();
}

/** Key → first 60 bits of the row hash (hex), ordered by key, for naming differing rows. */
export function* sqliteRowHashes(db: SqliteDriver.Database, shape: TableShape): Generator<{ key: string; h: string }> {
  const keyIndex = shape.columns.findIndex((c) => c.name === shape.key);
  for (const row of canonicalRows(db, shape)) {
    yield { key: String(row[keyIndex]), h: md5Hex(row.map(canonicalField).join(',')).slice(0, 15) };
  }
}
