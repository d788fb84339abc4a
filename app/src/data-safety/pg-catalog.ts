import type pg from 'pg';
import { kindOfPgType, type ColumnKind } from './canonical-hash.js';

export interface TableShape {
  name: string;
  columns: { name: string; kind: ColumnKind }[];
  /** Single-column primary key, used to name differing rows. */
  key: string;
  /** Has an identity `id` whose sequence must follow the copied ids. */
  identity: boolean;
}

/** Column order and kinds of `tables` as they exist on the target (created by our migrations). */
export async function readTableShapes(client: pg.ClientBase, tables: readonly string[]): Promise<TableShape[]> {
  const columns = await client.query<{ table_name: string; column_name: string; data_type: string; is_identity: string }>(
    `select table_name, column_name, data_type, is_identity from information_schema.columns
      where table_schema = current_schema() and table_name = any($1) order by table_name, ordinal_position`,
    [tables],
  );
  const keys = await client.query<{ table_name: string; column_name: string }>(
    `select tc.table_name, kcu.column_name from information_schema.table_constraints tc
       join information_schema.key_column_usage kcu on kcu.constraint_name = tc.constraint_name and kcu.table_schema = tc.table_schema
      where tc.table_schema = current_schema() and tc.constraint_type = 'PRIMARY KEY' and tc.table_name = any($1)`,
    [tables],
  );
  return tables.map((name) => {
    const own = columns.rows.filter((c) => c.table_name === name);
    if (own.length === 0) throw new Error(`Target has no table ${name}; its schema was not created by BaluHost's migrations`);
    const key = keys.rows.find((k) => k.table_name === name)?.column_name;
    if (!key) throw new Error(`Target table ${name} has no primary key`);
    return {
      name,
      columns: own.map((c) => ({ name: c.column_name, kind: kindOfPgType(c.data_type) })),
      key,
      identity: own.some((c) => c.column_name === 'id' && c.is_identity === 'YES'),
    };
  });
}
