import type { Kysely } from 'kysely';
import type { Dialect } from '../database.js';
import { columnTypes } from './column-types.js';
import type { MigrationDefinition } from './index.js';

/** Runtime settings admins change through the API (rate limits), shared by every API process. */
export const settingsTable: MigrationDefinition = (dialect: Dialect) => {
  const t = columnTypes(dialect);
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('settings')
        .addColumn('key', 'text', (c) => c.primaryKey())
        .addColumn('value', 'text', (c) => c.notNull())
        .addColumn('updated_at', t.timestamp, (c) => c.notNull())
        .execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.dropTable('settings').execute();
    },
  };
};
