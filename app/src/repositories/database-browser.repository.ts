import { sql } from 'kysely';
import type { Executor } from './users.repository.js';

export interface ColumnInfo {
  name: string;
  type: string;
  nullable: boolean;
  hasDefault: boolean;
}

/**
 * Reads any application table, for the admin's read-only table browser. Table and column names
 * come from the service's allow-list and the database's own catalogue, never from a request as is.
 */
export function createDatabaseBrowserRepository(db: Executor) {
  return {
    async columns(table: string): Promise<ColumnInfo[]> {
      const found = (await db.introspection.getTables()).find((t) => t.name === table);
      return (found?.columns ?? []).map((c) => ({ name: c.name, type: c.dataType, nullable: c.isNullable, hasDefault: c.hasDefaultValue }));
    },

    async page(
      table: string,
      columns: readonly string[],
      orderBy: string,
      options: { offset: number; limit: number; search?: { columns: readonly string[]; text: string } },
    ): Promise<{ rows: Record<string, unknown>[]; total: number }> {
      const where = options.search?.columns.length
        ? sql`where ${sql.join(
            options.search.columns.map((c) => sql`lower(cast(${sql.ref(c)} as text)) like ${`%${options.search!.text.toLowerCase()}%`}`),
            sql` or `,
          )}`
        : options.search
          ? sql`where 1 = 0`
          : sql``;
      const rows = await sql<Record<string, unknown>>`select ${sql.join(columns.map((c) => sql.ref(c)))} from ${sql.table(table)} ${where}
        order by ${sql.ref(orderBy)} limit ${options.limit} offset ${options.offset}`.execute(db);
      const total = await sql<{ n: number | string }>`select count(*) as n from ${sql.table(table)} ${where}`.execute(db);
      return { rows: rows.rows, total: Number(total.rows[0]?.n ?? 0) };
    },
  };
}

export type DatabaseBrowserRepository = ReturnType<typeof createDatabaseBrowserRepository>;
