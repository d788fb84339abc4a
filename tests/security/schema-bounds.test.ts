/** Every JSON body and query in the OpenAPI document is closed and bounded: no unknown keys, no unbounded strings or arrays. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestEnv, type TestEnv } from '../helpers/test-app.js';

type Schema = {
  type?: string | string[];
  properties?: Record<string, Schema>;
  items?: Schema;
  additionalProperties?: unknown;
  maxLength?: number;
  maxItems?: number;
  enum?: unknown[];
  const?: unknown;
  format?: string;
  pattern?: string;
  anyOf?: Schema[];
  oneOf?: Schema[];
};

function problems(schema: Schema, at: string): string[] {
  const out: string[] = [];
  for (const variant of [...(schema.anyOf ?? []), ...(schema.oneOf ?? [])]) out.push(...problems(variant, at));
  const types = Array.isArray(schema.type) ? schema.type : [schema.type];
  if (types.includes('object') || schema.properties) {
    if (schema.additionalProperties !== false) out.push(`${at}: object allows unknown keys`);
    for (const [name, child] of Object.entries(schema.properties ?? {})) out.push(...problems(child, `${at}.${name}`));
  }
  if (
    types.includes('string') &&
    schema.maxLength === undefined &&
    schema.enum === undefined &&
    schema.const === undefined &&
    schema.format !== 'date-time'
  )
    out.push(`${at}: string without maxLength`);
  if (types.includes('array')) {
    if (schema.maxItems === undefined) out.push(`${at}: array without maxItems`);
    if (schema.items) out.push(...problems(schema.items, `${at}[]`));
  }
  return out;
}

describe('input schemas', () => {
  let env: TestEnv & { close(): Promise<void> };
  beforeAll(async () => {
    env = await createTestEnv('sqlite');
  });
  afterAll(() => env?.close());

  it('are closed and bounded on every route', () => {
    const doc = env.app.swagger() as {
      paths: Record<
        string,
        Record<
          string,
          { parameters?: { in: string; name: string; schema: Schema }[]; requestBody?: { content?: Record<string, { schema: Schema }> } }
        >
      >;
    };
    const found: string[] = [];
    let checked = 0;
    for (const [path, methods] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(methods)) {
        const where = `${method.toUpperCase()} ${path}`;
        const json = op.requestBody?.content?.['application/json']?.schema;
        if (json) {
          checked++;
          found.push(...problems(json, `${where} body`));
        }
        for (const p of op.parameters ?? []) {
          if (p.in === 'header') continue;
          checked++;
          found.push(...problems(p.schema, `${where} ${p.in} ${p.name}`));
        }
      }
    }
    expect(checked).toBeGreaterThan(40);
    expect(found).toEqual([]);
  });

  it('the checker itself notices an open object and unbounded values', () => {
    expect(
      problems(
        { type: 'object', properties: { a: { type: 'string' }, b: { type: 'array', items: { type: 'string', maxLength: 3 } } } },
        'x',
      ),
    ).toEqual(['x: object allows unknown keys', 'x.a: string without maxLength', 'x.b: array without maxItems']);
  });
});

describe('per-route body limits', () => {
  let env: TestEnv & { close(): Promise<void> };
  beforeAll(async () => {
    env = await createTestEnv('sqlite');
  });
  afterAll(() => env?.close());

  it('refuses a 20 KiB login body with 413 before any password hashing', async () => {
    const res = await env.app.inject({
      method: 'POST',
      url: '/api/auth/login',
      payload: { username: 'a', password: 'x'.repeat(20 * 1024) },
    });
    expect(res.statusCode).toBe(413);
    const fine = await env.app.inject({ method: 'POST', url: '/api/auth/login', payload: { username: 'a', password: 'x'.repeat(1000) } });
    expect(fine.statusCode).toBe(401);
  });
});
