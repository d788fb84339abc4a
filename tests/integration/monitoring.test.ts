import { execFileSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createLoggedInUser } from '../helpers/factories.js';
import { upload } from '../helpers/files.js';
import { createTestEnv } from '../helpers/test-app.js';

const DIR = 'deployment/monitoring';

/** Metric names a PromQL expression refers to (our own family only). */
function metricNames(expr: string): string[] {
  return [...expr.matchAll(/\bbaluhost_[a-z0-9_]+/g)].map((m) => m[0]);
}

describe('monitoring configuration', () => {
  // The scrape config is rendered from each stack: tests/templates/real-tools.test.ts checks it with promtool.
  it('passes promtool: alert rules and their unit tests', () => {
    execFileSync('promtool', ['check', 'rules', join(DIR, 'alerts.yml')], { stdio: 'pipe' });
    execFileSync('promtool', ['test', 'rules', 'alerts.test.yml'], { cwd: DIR, stdio: 'pipe' });
  });

  it('has alerts for every situation an operator must hear about', async () => {
    const rules = await readFile(join(DIR, 'alerts.yml'), 'utf8');
    for (const alert of [
      'BaluHostDown',
      'BaluHostDatabaseDown',
      'BaluHostHighErrorRatio',
      'BaluHostSlowRequests',
      'BaluHostDiskAlmostFull',
      'BaluHostBackupTooOld',
      'BaluHostCertificateExpiring',
      'BaluHostLockoutStorm',
    ]) {
      expect(rules).toContain(`alert: ${alert}`);
    }
  });

  it('refers, in every dashboard panel and alert, only to metrics the app really exports', async () => {
    const env = await createTestEnv('sqlite');
    try {
      const u = await createLoggedInUser(env);
      await upload(env, u.headers, '', [{ filename: 'x.bin', content: 'x' }]);
      await env.app.inject({ method: 'GET', url: '/api/files/download/x.bin', headers: u.headers });
      const text = (await env.app.inject({ method: 'GET', url: '/metrics' })).body;
      // A family is exported once it is declared (# TYPE), even before a labelled series has a sample.
      const exported = new Set([
        ...text
          .split('\n')
          .filter((l) => l && !l.startsWith('#'))
          .map((l) => l.split(/[{ ]/)[0] as string),
        ...[...text.matchAll(/^# TYPE (\S+) (\w+)$/gm)].flatMap(([, name, type]) =>
          type === 'histogram' ? [`${name}_bucket`, `${name}_count`, `${name}_sum`] : [name as string],
        ),
      ]);
      const dashboard = JSON.parse(await readFile(join(DIR, 'grafana-dashboard.json'), 'utf8')) as {
        panels: { title: string; targets: { expr: string }[] }[];
      };
      expect(dashboard.panels.length).toBeGreaterThan(10);
      const used = dashboard.panels.flatMap((p) =>
        p.targets.flatMap((t) => metricNames(t.expr).map((name) => ({ where: `panel "${p.title}"`, name }))),
      );
      const alerts = await readFile(join(DIR, 'alerts.yml'), 'utf8');
      used.push(...metricNames(alerts).map((name) => ({ where: 'alerts.yml', name })));
      expect(used.length).toBeGreaterThan(15);
      const missing = used.filter((u) => !exported.has(u.name)).map((u) => `${u.where}: ${u.name}`);
      expect(missing).toEqual([]);
    } finally {
      await env.close();
    }
  });
});
