/**
 * Schema-driven fuzzing: for every route in the OpenAPI document, random and hostile path
 * parameters, queries and bodies, sent as an admin. Nothing may answer 5xx, crash, or touch a file
 * outside the storage root. Fixed seed; BALUHOST_FUZZ_RUNS makes local runs longer.
 */
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLoggedInUser } from '../helpers/factories.js';
import { createTestEnv, DIALECTS, type TestEnv } from '../helpers/test-app.js';

interface Operation {
  method: string;
  path: string;
  pathParams: string[];
  queryParams: string[];
  bodyProps: string[];
  hasBody: boolean;
}

// Routes that end the fuzzer's own session or need a multipart stream are exercised elsewhere.
const SKIP = new Set([
  'POST /api/auth/logout',
  'DELETE /api/auth/sessions/{id}',
  'DELETE /api/users/{id}/sessions',
  'POST /api/auth/change-password',
  'PUT /api/admin/rate-limits',
]);
const RUNS = Number(process.env['BALUHOST_FUZZ_RUNS'] ?? 400);

const hostile = fc.constantFrom(
  '../../../../etc/passwd',
  '..\\..\\windows',
  '/etc/shadow',
  '%2e%2e%2f%2e%2e',
  '\u0000',
  'a\u202eb',
  'ＡＢＣ／..',
  '.'.repeat(300),
  'x'.repeat(5000),
  '{"$gt":""}',
  "' or 1=1 --",
  '<script>alert(1)</script>',
  '-1',
  '0',
  '99999999999999999999',
  '1e20',
  '1e308',
  '-9223372036854775809',
  'name\u0000with-nul',
  'NaN',
  'null',
  'true',
  '[]',
  '{}',
  ' ',
  '',
);
// Numbers past what either database stores: bigint's edges and beyond, where PostgreSQL used to answer 500.
const hugeNumber = fc.constantFrom(1e20, 1e308, -1e20, 2 ** 63, 2 ** 53 + 2, -(2 ** 63) - 1024);
const scalar = fc.oneof(hostile, hugeNumber, fc.string({ maxLength: 40 }), fc.integer(), fc.double(), fc.boolean(), fc.constant(null));
const value = fc.oneof(scalar, fc.array(scalar, { maxLength: 5 }), fc.dictionary(fc.string({ maxLength: 8 }), scalar, { maxKeys: 4 }));

function operations(doc: {
  paths: Record<
    string,
    Record<
      string,
      {
        parameters?: { in: string; name: string }[];
        requestBody?: { content?: Record<string, { schema?: { properties?: Record<string, unknown> } }> };
      }
    >
  >;
}): Operation[] {
  const ops: Operation[] = [];
  for (const [path, methods] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(methods)) {
      if (SKIP.has(`${method.toUpperCase()} ${path}`)) continue;
      const params = op.parameters ?? [];
      const json = op.requestBody?.content?.['application/json']?.schema;
      ops.push({
        method: method.toUpperCase(),
        path,
        pathParams: params.filter((p) => p.in === 'path').map((p) => p.name),
        queryParams: params.filter((p) => p.in === 'query').map((p) => p.name),
        bodyProps: Object.keys(json?.properties ?? {}),
        hasBody: op.requestBody !== undefined,
      });
    }
  }
  return ops;
}

// Both databases: PostgreSQL refuses what SQLite stores silently (NUL in text, integers past bigint).
describe.each(DIALECTS)('API fuzzing [%s]', (dialect) => {
  let env: TestEnv & { close(): Promise<void> };
  let headers: Record<string, string>;
  let outside: string;

  beforeAll(async () => {
    env = await createTestEnv(dialect, { env: { BALUHOST_REGISTRATION_ENABLED: 'true' } });
    headers = (await createLoggedInUser(env, { role: 'admin' })).headers;
    outside = join(env.dir, 'outside-storage');
    await mkdir(outside, { recursive: true });
    await writeFile(join(outside, 'sentinel.txt'), 'must stay alone');
  });
  afterAll(() => env?.close());

  it('no route answers 5xx or writes outside the storage root, whatever it is sent', async () => {
    const ops = operations(env.app.swagger() as never);
    expect(ops.length).toBeGreaterThan(30);
    const seen = new Map<string, number>();
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...ops),
        fc.array(fc.oneof(hostile, fc.string({ maxLength: 30 }), fc.nat().map(String)), { minLength: 3, maxLength: 3 }),
        fc.dictionary(fc.string({ maxLength: 10 }), fc.oneof(hostile, fc.string({ maxLength: 20 })), { maxKeys: 3 }),
        fc.oneof(value, fc.record({ a: value })),
        fc.boolean(),
        async (op, pathValues, extraQuery, randomBody, useDeclared) => {
          let url = op.path;
          op.pathParams.forEach((name, i) => {
            url = url.replace(`{${name}}`, encodeURIComponent(pathValues[i] ?? 'x'));
          });
          const query = new URLSearchParams();
          for (const name of op.queryParams) query.set(name, String(pathValues[0]));
          for (const [k, v] of Object.entries(extraQuery)) query.set(k, v);
          const body = op.hasBody
            ? useDeclared
              ? Object.fromEntries(op.bodyProps.map((p, i) => [p, i % 2 ? pathValues[1] : randomBody]))
              : randomBody
            : undefined;
          const res = await env.app.inject({
            method: op.method as 'GET',
            url: `${url}${query.size ? `?${query.toString()}` : ''}`,
            headers: body === undefined ? headers : { ...headers, 'content-type': 'application/json' },
            ...(body === undefined ? {} : { payload: JSON.stringify(body) }),
          });
          seen.set(`${op.method} ${op.path}`, res.statusCode);
          // 501 is BaluHost refusing, by design, to change disks (RAID writes); any other 5xx is a bug.
          const refusedByDesign = res.statusCode === 501 && res.json<{ code?: string }>().code === 'raid_changes_unsupported';
          if (res.statusCode >= 500 && !refusedByDesign)
            throw new Error(`${op.method} ${url} answered ${res.statusCode}: ${res.body.slice(0, 300)}`);
        },
      ),
      { seed: 20261128, numRuns: RUNS },
    );
    expect(seen.size).toBeGreaterThan(ops.length / 2);
    expect(await readdir(outside)).toEqual(['sentinel.txt']);
    const dataEntries = await readdir(env.dir);
    expect(
      dataEntries.filter(
        (e) =>
          !['storage', 'outside-storage', 'baluhost.db', 'baluhost.db-wal', 'baluhost.db-shm', 'secret.key', 'backups', 'trash'].includes(
            e,
          ) && !e.startsWith('.'),
      ),
    ).toEqual([]);
  }, 240_000);
});
