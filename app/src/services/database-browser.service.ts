import { DATA_TABLES } from '../db/index.js';
import { NotFoundError, ValidationError } from '../errors/index.js';
import type { DatabaseBrowserRepository } from '../repositories/database-browser.repository.js';

// Columns that hold a credential or its derivative (hashes, sealed secrets, nonces, tokens), or a picture's bytes: never shown.
const HIDDEN_COLUMN = /(?:_hash|_sealed|^nonce|^token|^data_base64)$/i;
const TEXT_TYPES = /char|text|clob/i;

/** The admin's read-only table browser (the web client's Database page): every application table, no secret column. */
export function createDatabaseBrowserService(deps: { browser: DatabaseBrowserRepository }) {
  async function describe(table: string) {
    if (!(DATA_TABLES as readonly string[]).includes(table))
      throw new NotFoundError(`No table named ${JSON.stringify(table)}; GET /api/admin/db/tables lists them`, 'table_not_found');
    const all = await deps.browser.columns(table);
    return {
      visible: all.filter((c) => !HIDDEN_COLUMN.test(c.name)),
      hidden: all.filter((c) => HIDDEN_COLUMN.test(c.name)).map((c) => c.name),
    };
  }

  return {
    tables: (): string[] => [...DATA_TABLES],

    async schema(table: string) {
      const { visible, hidden } = await describe(table);
      return { table, columns: visible, hidden };
    },

    async rows(table: string, q: { page: number; pageSize: number; fields?: string[]; search?: string }) {
      const { visible } = await describe(table);
      const names = visible.map((c) => c.name);
      const unknown = (q.fields ?? []).filter((f) => !names.includes(f));
      if (unknown.length) throw ValidationError.field(['query', 'fields'], `not a visible column of ${table}: ${unknown.join(', ')}`);
      const columns = q.fields?.length ? q.fields : names;
      const orderBy = names.includes('id') ? 'id' : (names[0] as string);
      const { rows, total } = await deps.browser.page(table, columns, orderBy, {
        offset: (q.page - 1) * q.pageSize,
        limit: q.pageSize,
        ...(q.search && { search: { columns: visible.filter((c) => TEXT_TYPES.test(c.type)).map((c) => c.name), text: q.search } }),
      });
      return { table, page: q.page, page_size: q.pageSize, rows, total };
    },
  };
}

export type DatabaseBrowserService = ReturnType<typeof createDatabaseBrowserService>;
