import crypto from 'node:crypto';

/** One-shot md5 (crypto.hash, Node ≥ 20.12) avoids a hasher object per row. */
export const md5Hex: (text: string) => string =
  typeof (crypto as { hash?: unknown }).hash === 'function'
    ? (text) => (crypto as unknown as { hash(a: string, d: string, e: string): string }).hash('md5', text, 'hex')
    : (text) => crypto.createHash('md5').update(text, 'utf8').digest('hex');

/**
 * One canonical form of a row, computed identically by Node (SQLite side) and by PostgreSQL in
 * SQL, so a table can be compared across engines without moving its data:
 *   field  = "N" for NULL, otherwise "<utf-8 byte length>:<text>"
 *   row    = fields joined by ","
 *   hash   = first 60 bits of md5(row), as an integer
 *   table  = count of rows and the sum of row hashes (order-independent)
 * Text forms: booleans "t"/"f", integers in decimal, timestamps ISO-8601 UTC with milliseconds.
 */

export type CanonicalValue = string | null;

export function canonicalField(value: CanonicalValue): string {
  return value === null ? 'N' : `${Buffer.byteLength(value, 'utf8')}:${value}`;
}

export function rowHash(fields: CanonicalValue[]): bigint {
  let row = '';
  for (let i = 0; i < fields.length; i += 1) row += (i ? ',' : '') + canonicalField(fields[i] as CanonicalValue);
  // 60 bits fit a double exactly only up to 2^53: split into two exact halves.
  const hex = md5Hex(row);
  return (BigInt(parseInt(hex.slice(0, 7), 16)) << 32n) | BigInt(parseInt(hex.slice(7, 15), 16));
}

export interface TableDigest {
  rows: number;
  /** Decimal string: sums exceed 2^53. */
  hash: string;
}

export class DigestAccumulator {
  private rows = 0;
  private sum = 0n;
  add(fields: CanonicalValue[]): void {
    this.rows += 1;
    this.sum += rowHash(fields);
  }
  result(): TableDigest {
    return { rows: this.rows, hash: this.sum.toString() };
  }
}

export type ColumnKind = 'boolean' | 'timestamp' | 'integer' | 'text';

/** PostgreSQL data_type → the canonical kind. */
export function kindOfPgType(dataType: string): ColumnKind {
  if (dataType === 'boolean') return 'boolean';
  if (dataType.startsWith('timestamp')) return 'timestamp';
  if (['bigint', 'integer', 'smallint'].includes(dataType)) return 'integer';
  return 'text';
}

function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** The SQL expression PostgreSQL uses for one column's canonical field. */
export function pgCanonicalField(column: string, kind: ColumnKind): string {
  const c = quoteIdent(column);
  const text =
    kind === 'boolean'
      ? `case when ${c} then 't' else 'f' end`
      : kind === 'timestamp'
        ? `to_char(${c} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`
        : `${c}::text`;
  return `case when ${c} is null then 'N' else octet_length(${text})::text || ':' || ${text} end`;
}

/** SQL for a table's digest on PostgreSQL: one pass, nothing leaves the server but two numbers. */
export function pgDigestSql(table: string, columns: { name: string; kind: ColumnKind }[]): string {
  const row = columns.map((c) => pgCanonicalField(c.name, c.kind)).join(` || ',' || `);
  return `select count(*)::bigint as rows, coalesce(sum(('x' || substr(md5(${row}), 1, 15))::bit(60)::bigint), 0)::text as hash from ${quoteIdent(table)}`;
}

/** SQL listing each row's key and hash, for naming the rows that differ. */
export function pgRowHashesSql(table: string, columns: { name: string; kind: ColumnKind }[], key: string): string {
  const row = columns.map((c) => pgCanonicalField(c.name, c.kind)).join(` || ',' || `);
  return `select ${quoteIdent(key)}::text as key, substr(md5(${row}), 1, 15) as h from ${quoteIdent(table)} order by ${quoteIdent(key)}`;
}
