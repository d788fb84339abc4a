/** Every JSON body and query in the OpenAPI document is closed and bounded: no unknown keys, no unbounded strings or arrays. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLoggedInUser } from '../helpers/factories.js';
import { createTestEnv, describeEachDialect, type TestEnv } from '../helpers/test-app.js';

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

describeEachDialect('values no database can store', (env) => {
  const issue = (res: { statusCode: number; json(): unknown }) => {
    expect(res.statusCode).toBe(422);
    return (res.json() as { detail: { loc: (string | number)[]; msg: string }[] }).detail;
  };

  it('refuses a NUL character in any string with a 422 naming the field, before authentication is even checked', async () => {
    const login = await env().app.inject({
      method: 'POST',
      url: '/api/auth/login',
      payload: { username: 'adm\u0000in', password: 'whatever-it-is' },
    });
    expect(issue(login)).toEqual([{ loc: ['body', 'username'], msg: 'must not contain a NUL character', type: 'x-no-nul' }]);
    const admin = await createLoggedInUser(env(), { role: 'admin' });
    const search = await env().app.inject({ method: 'GET', url: '/api/users/?search=a%00b', headers: admin.headers });
    expect(issue(search)).toEqual([{ loc: ['query', 'search'], msg: 'must not contain a NUL character', type: 'x-no-nul' }]);
  });

  it.each([
    ['a user id past bigint in the path', 'DELETE', '/api/users/100000000000000000000', undefined, ['path', 'id']],
    ['an owner id past bigint in the query', 'GET', '/api/files/list?owner_id=1e20', undefined, ['query', 'owner_id']],
    ['a file id of 1e20 in a share', 'POST', '/api/shares/links', { file_id: 1e20, allow_download: true }, ['body', 'file_id']],
    ['a quota of 1e308 bytes', 'PUT', '/api/users/1', { quota_bytes: 1e308 }, ['body', 'quota_bytes']],
  ] as const)('refuses %s with a 422 naming it', async (_what, method, url, payload, loc) => {
    const admin = await createLoggedInUser(env(), { role: 'admin' });
    const res = await env().app.inject({ method, url, headers: admin.headers, ...(payload ? { payload } : {}) });
    expect(issue(res)).toContainEqual({ loc: [...loc], msg: `must be <= ${Number.MAX_SAFE_INTEGER}`, type: 'maximum' });
  });
});

describeEachDialect('authentication before validation', (env) => {
  it.each([
    ['a body that fails its schema', 'POST', '/api/shares/links', { file_id: 'not-a-number', surprise: true }],
    ['path parameters of the wrong type', 'PUT', '/api/users/not-an-id', { email: 'x' }],
    ['a query of the wrong type', 'GET', '/api/files/list?owner_id=abc', undefined],
    ['an admin route with a bad body', 'PUT', '/api/admin/rate-limits', { lockout_threshold: -1 }],
  ] as const)('answers 401, not 422, to an unauthenticated request with %s', async (_what, method, url, payload) => {
    const res = await env().app.inject({ method, url, ...(payload ? { payload } : {}) });
    expect(res.statusCode).toBe(401);
    expect(res.json().detail).not.toContain('file_id');
  });
});
