import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { authErrorResponses, ErrorResponse } from '../schemas/common.js';

const TableParams = Type.Object({ table: Type.String({ minLength: 1, maxLength: 64 }) }, { additionalProperties: false });
type TableParams = Static<typeof TableParams>;

const RowsQuery = Type.Object(
  {
    page: Type.Integer({ minimum: 1, maximum: 1_000_000, default: 1 }),
    page_size: Type.Integer({ minimum: 1, maximum: 200, default: 50 }),
    fields: Type.Optional(Type.String({ maxLength: 2000, description: 'Comma-separated column names.' })),
    q: Type.Optional(Type.String({ maxLength: 200, description: 'Text to find, case-insensitively, in any text column.' })),
  },
  { additionalProperties: false },
);
type RowsQuery = Static<typeof RowsQuery>;

const Column = Type.Object({ name: Type.String(), type: Type.String(), nullable: Type.Boolean(), default: Type.Null() });

/** The web client's Database page: read-only, paginated, admins only; credential columns are never shown. */
export async function adminDatabaseRoutes(app: FastifyInstance) {
  const tags = ['admin'];
  const security = [{ bearer: [] }];
  const admin = { preValidation: [app.authenticate, app.requireAdmin] };
  const errors = { ...authErrorResponses, 403: ErrorResponse, 404: ErrorResponse };
  const { databaseBrowser } = app.services;

  app.get(
    '/api/admin/db/tables',
    { ...admin, schema: { tags, security, response: { 200: Type.Object({ tables: Type.Array(Type.String()) }), ...errors } } },
    async () => ({ tables: databaseBrowser.tables() }),
  );

  app.get<{ Params: TableParams }>(
    '/api/admin/db/table/:table/schema',
    {
      ...admin,
      schema: {
        tags,
        security,
        params: TableParams,
        response: {
          200: Type.Object({
            table: Type.String(),
            columns: Type.Array(Column),
            hidden_columns: Type.Array(Type.String(), { description: 'Columns that hold credentials: never shown.' }),
          }),
          ...errors,
        },
      },
    },
    async (request) => {
      const { table, columns, hidden } = await databaseBrowser.schema(request.params.table);
      return {
        table,
        columns: columns.map((c) => ({ name: c.name, type: c.type, nullable: c.nullable, default: null })),
        hidden_columns: hidden,
      };
    },
  );

  app.get<{ Params: TableParams; Querystring: RowsQuery }>(
    '/api/admin/db/table/:table',
    {
      ...admin,
      schema: {
        tags,
        security,
        params: TableParams,
        querystring: RowsQuery,
        response: {
          200: Type.Object({
            table: Type.String(),
            page: Type.Integer(),
            page_size: Type.Integer(),
            rows: Type.Array(Type.Record(Type.String(), Type.Unknown())),
            total: Type.Integer(),
          }),
          ...errors,
        },
      },
    },
    async (request) => {
      const q = request.query;
      return databaseBrowser.rows(request.params.table, {
        page: q.page,
        pageSize: q.page_size,
        fields: q.fields
          ?.split(',')
          .map((f) => f.trim())
          .filter(Boolean),
        search: q.q,
      });
    },
  );
}
