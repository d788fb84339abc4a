import { Ajv, type Options } from 'ajv';
import addFormats from 'ajv-formats';
import type { FastifySchemaCompiler } from 'fastify';

/** Our keyword for "no NUL character": PostgreSQL refuses NUL in text, so it must never reach a query. */
export const NO_NUL_KEYWORD = 'x-no-nul';

function makeAjv(options: Options): Ajv {
  // Unknown keys are dropped, not refused, as BaluHost's original does: its clients send fields and
  // query parameters this API has no use for (`backup_path`, `sort_order`, `_t`…). What a route reads
  // is still only what its schema names; the schemas in the OpenAPI document stay closed.
  const ajv = new Ajv({ allErrors: true, removeAdditional: true, useDefaults: true, strict: false, ...options });
  (addFormats as unknown as (a: Ajv) => Ajv)(ajv);
  ajv.addKeyword({
    keyword: NO_NUL_KEYWORD,
    type: 'string',
    schemaType: 'boolean',
    validate: (on: boolean, data: string) => !on || !data.includes('\0'),
  });
  return ajv;
}

type JsonSchema = Record<string, unknown>;

const includesType = (schema: JsonSchema, type: string) =>
  schema['type'] === type || (Array.isArray(schema['type']) && schema['type'].includes(type));

/**
 * Every input schema, hardened before it is compiled, so no route can forget: integers stay within
 * what both databases store exactly (Number.MAX_SAFE_INTEGER; larger ones would overflow bigint or
 * lose digits), and strings carry no NUL. The schemas in the OpenAPI document stay as written.
 */
export function hardenInputSchema(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(hardenInputSchema);
  if (schema === null || typeof schema !== 'object') return schema;
  const out: JsonSchema = {};
  // Every object-valued keyword holds schemas (or, like `properties`, a map of them); a map has no
  // string `type`, so the walk below leaves it as it is and only hardens what it maps to.
  for (const [key, value] of Object.entries(schema as JsonSchema)) out[key] = hardenInputSchema(value);
  if (includesType(out, 'integer')) {
    out['maximum'] = Math.min(Number(out['maximum'] ?? Number.MAX_SAFE_INTEGER), Number.MAX_SAFE_INTEGER);
    out['minimum'] = Math.max(Number(out['minimum'] ?? Number.MIN_SAFE_INTEGER), Number.MIN_SAFE_INTEGER);
  }
  if (includesType(out, 'string')) out[NO_NUL_KEYWORD] = true;
  return out;
}

/**
 * Bodies are validated as sent: a string "1" where a number belongs is a 422, not a silent fix.
 * Query strings, params and headers are text by nature, so those are coerced to the schema's types.
 */
export function createValidatorCompiler(): FastifySchemaCompiler<unknown> {
  const strict = makeAjv({ coerceTypes: false });
  const coercing = makeAjv({ coerceTypes: 'array' });
  return ({ schema, httpPart }) => (httpPart === 'body' ? strict : coercing).compile(hardenInputSchema(schema) as object);
}
