import type { ColumnDefinitionBuilder, CreateTableBuilder } from 'kysely';
import type { Dialect } from '../database.js';

/**
 * Column types that differ between the dialects. Everything a migration declares goes through here
 * so the two schemas cannot drift: 64-bit integers everywhere, real booleans and timestamptz on
 * PostgreSQL; INTEGER and ISO-8601 TEXT on SQLite (which compares ISO strings correctly).
 */
export function columnTypes(dialect: Dialect) {
  const pg = dialect === 'postgres';
  return {
    bool: pg ? ('boolean' as const) : ('integer' as const),
    timestamp: pg ? ('timestamptz' as const) : ('text' as const),
    bigint: 'bigint' as const,
    /** Adds the auto-increment 64-bit primary key named `id`. */
    id<T extends string>(table: CreateTableBuilder<T, never>): CreateTableBuilder<T, 'id'> {
      return pg
        ? table.addColumn('id', 'bigint', (c) => c.primaryKey().generatedByDefaultAsIdentity())
        : // AUTOINCREMENT: ids of deleted rows are never handed out again.
          table.addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement());
    },
    /** A boolean default as a literal each dialect accepts. */
    boolDefault(value: boolean): (c: ColumnDefinitionBuilder) => ColumnDefinitionBuilder {
      return (c) => c.notNull().defaultTo(pg ? value : value ? 1 : 0);
    },
  };
}
