import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { expect, it } from 'vitest';
import { describeEachDialect } from '../helpers/test-app.js';

/** Every METHOD + path of the contract in docs/API.md (the project's own page), as OpenAPI paths. */
function contractRoutes(): string[] {
  const text = readFileSync(resolve(import.meta.dirname, '../../docs/API.md'), 'utf8');
  const routes: string[] = [];
  let prefix = '';
  for (const line of text.split('\n')) {
    const section = /^## \w+ — `([^`]+)`/.exec(line);
    if (section) prefix = section[1] as string;
    if (/^## operations/.test(line)) prefix = '';
    const row = /^\| ([A-Z, /]+) \| `([^`]+)` \|/.exec(line);
    if (!row) continue;
    const methods = (row[1] as string)
      .split(/[,/]/)
      .map((m) => m.trim())
      .filter(Boolean);
    const path = (row[2] as string).split('?')[0] as string;
    const full =
      path.startsWith('/api') || path.startsWith('/metrics') || path.startsWith('/docs') ? path : `${prefix}${path === '/' ? '/' : path}`;
    for (const method of methods) routes.push(`${method} ${full.replace('{path}', '*')}`);
  }
  return routes;
}

describeEachDialect('OpenAPI document', (env) => {
  it('lists every route of the API contract', async () => {
    const doc = (await env().app.inject({ method: 'GET', url: '/docs/json' })).json<{ paths: Record<string, Record<string, unknown>> }>();
    const documented = new Set<string>();
    for (const [path, ops] of Object.entries(doc.paths)) {
      for (const method of Object.keys(ops))
        documented.add(`${method.toUpperCase()} ${path.replace(/\{\*\}$/, '*').replace(/\/$/, '') || '/'}`);
    }
    const expected = contractRoutes()
      // Served by later parts of the system (metrics) or by the docs UI itself.
      .filter((r) => !/ \/metrics$| \/docs$/.test(r))
      .map((r) => r.replace(/\/$/, ''));
    expect(expected.length).toBeGreaterThan(50);
    const missing = expected.filter((r) => !documented.has(r));
    expect(missing).toEqual([]);
  });
});
