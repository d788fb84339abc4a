import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { expect, it } from 'vitest';
import { describeEachDialect } from '../helpers/test-app.js';

/** Every METHOD + path of the contract in ../shared/API.md, as OpenAPI paths. */
function contractRoutes(): string[] {
  const candidates = [resolve(process.cwd(), '../shared/API.md'), resolve(process.cwd(), 'docs/API.md')];
  const text = candidates.map((p) => {
    try {
      return readFileSync(p, 'utf8');
    } catch {
      return null;
    }
  }).find((t) => t !== null);
  if (!text) throw new Error(`API contract not found at ${candidates.join(' or ')}`);
  const routes: string[] = [];
  let prefix = '';
  for (const line of text.split('\n')) {
    const section = /^## \w+ — `([^`]+)`/.exec(line);
    if (section) prefix = section[1] as string;
    if (/^## operations/.test(line)) prefix = '';
    const row = /^\| ([A-Z, /]+) \| `([^`]+)` \|/.exec(line);
    if (!row) continue;
    const methods = (row[1] as string).split(/[,/]/).map((m) => m.trim()).filter(Boolean);
    const path = (row[2] as string).split('?')[0] as string;
    const full = path.startsWith('/api') || path.startsWith('/metrics') || path.startsWith('/docs') ? path : `${prefix}${path === '/' ? '/' : path}`;
    for (const method of methods) routes.push(`${method} ${full.replace('{path}', '*')}`);
  }
  return routes;
}

describeEachDialect('OpenAPI document', (env) => {
  it('lists every route of the API contract', async () => {
    const doc = (await env().app.inject({ method: 'GET', url: '/docs/json' })).json() as { paths: Record<string, Record<string, unknown>> };
    const documented = new Set<string>();
    for (const [path, ops] of Object.entries(doc.paths)) {
      for (const method of Object.keys(ops)) documented.add(`${method.toUpperCase()} ${path.replace(/\{\*\}$/, '*').replace(/\/$/, '') || '/'}`);
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
