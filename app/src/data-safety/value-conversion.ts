import type { CanonicalValue, ColumnKind } from './canonical-hash.js';

/** A SQLite value that cannot become the target column's type; names the table, column and row. */
export class ConversionError extends Error {
  constructor(table: string, column: string, value: unknown, expected: ColumnKind) {
    super(`Cannot convert ${table}.${column} value ${JSON.stringify(typeof value === 'bigint' ? value.toString() : value)} to ${expected}`);
    this.name = 'ConversionError';
  }
}

/** Epoch values below this are seconds, above it milliseconds (10^11 s is the year 5138). */
const EPOCH_SECONDS_LIMIT = 1e11;

/**
 * SQLite value (read with safe integers: integers arrive as bigint) → canonical text for a
 * PostgreSQL column of `kind`. The same text goes into COPY and into the hash, so what is
 * verified is exactly what was written.
 */
export function toCanonical(value: unknown, kind: ColumnKind, where: { table: string; column: string }): CanonicalValue {
  if (value === null || value === undefined) return null;
  const fail = (): never => {
    throw new ConversionError(where.table, where.column, value, kind);
  };
  switch (kind) {
    case 'boolean': {
      if (value === 1n || value === 1 || value === '1' || value === 't' || value === 'true' || value === true) return 't';
      if (value === 0n || value === 0 || value === '0' || value === 'f' || value === 'false' || value === false) return 'f';
      return fail();
    }
    case 'timestamp': {
      let date: Date;
      if (typeof value === 'bigint' || typeof value === 'number') {
        const n = Number(value);
        date = new Date(Math.abs(n) < EPOCH_SECONDS_LIMIT ? n * 1000 : n);
      } else if (typeof value === 'string') {
        // SQLite's own CURRENT_TIMESTAMP form "YYYY-MM-DD HH:MM:SS" is UTC without a zone.
        const text = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(\.\d+)?$/.test(value) ? `${value.replace(' ', 'T')}Z` : value;
        date = new Date(text);
      } else {
        return fail();
      }
      if (Number.isNaN(date.getTime())) return fail();
      return date.toISOString();
    }
    case 'integer': {
      if (typeof value === 'bigint') return value.toString();
      if (typeof value === 'number' && Number.isInteger(value)) return String(value);
      if (typeof value === 'string' && /^-?\d+$/.test(value)) return value;
      return fail();
    }
    case 'text': {
      if (typeof value === 'string') return value;
      if (typeof value === 'bigint' || typeof value === 'number') return String(value);
      if (Buffer.isBuffer(value)) return value.toString('utf8');
      return fail();
    }
  }
}

const CANONICAL_ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

export type Converter = (value: unknown) => CanonicalValue;

/**
 * One converter per column, built once per table: the hot loop then does no allocation or
 * dispatch beyond the conversion itself. Values already in canonical form pass straight through.
 */
export function converterFor(kind: ColumnKind, where: { table: string; column: string }): Converter {
  switch (kind) {
    case 'timestamp':
      return (value) => (typeof value === 'string' && CANONICAL_ISO.test(value) ? value : toCanonical(value, kind, where));
    case 'integer':
      return (value) => (typeof value === 'bigint' ? value.toString() : toCanonical(value, kind, where));
    case 'text':
      return (value) => (typeof value === 'string' ? value : toCanonical(value, kind, where));
    case 'boolean':
      return (value) => (value === 1n ? 't' : value === 0n ? 'f' : toCanonical(value, kind, where));
  }
}

const COPY_SPECIAL = /[\\\n\r\t]/;

/** COPY text-format field: backslash escapes for the characters COPY treats specially. */
export function copyField(value: CanonicalValue): string {
  if (value === null) return '\\N';
  if (!COPY_SPECIAL.test(value)) return value;
  return value.replace(/[\\\n\r\t]/g, (c) => (c === '\\' ? '\\\\' : c === '\n' ? '\\n' : c === '\r' ? '\\r' : '\\t'));
}
