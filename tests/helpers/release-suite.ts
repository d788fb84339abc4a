/**
 * Release operations against a simulated NAS (real sshd, nginx, PostgreSQL, and the real API as the
 * blue and green slots): zero failed requests through deploys, the health gate, automatic rollback,
 * rollback --to with files and data, the deploy lock, probe and plan. Run with the slots as
 * processes (tests/e2e/release.test.ts) and as containers of the real image (tests/containers/).
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DeployLockError } from '../../app/src/errors/index.js';
import { deployRelease, planMarkdown, probeHost, rollbackRelease, withChanges, type DeployResult } from '../../stacks/release/index.js';
import { manifestOf, renderHostFiles } from '../../templates/index.js';
import { selfSignedCertificate } from './host-root.js';
import { startLoad, type LoadResult } from './load.js';
import { fetchVia } from './nginx.js';
import { runScript } from './scripts.js';
import type { SimulatedNas } from './simulated-nas.js';

/** Figures for the session note: printed, never asserted against a time budget. */
const figures: Record<string, unknown> = {};

export function releaseSuite(title: string, start: () => Promise<SimulatedNas>): void {
  describe(title, () => {
    let nas: SimulatedNas;
    const served = async () => (await fetchVia('https', nas.httpsPort, '/api/health')).status;
    const slotServing = async () => {
      const version = await fetchVia('https', nas.httpsPort, '/api/system/info');
      return version;
    };
    const underLoad = async <T>(work: () => Promise<T>): Promise<{ result: T; load: LoadResult }> => {
      const load = startLoad(nas.httpsPort, 'nas.test', '/api/health');
      const result = await work();
      return { result, load: await load.stop() };
    };

    beforeAll(async () => {
      nas = await start();
    }, 300_000);

    afterAll(async () => {
      await nas?.stop();
      console.log(`${title} figures: ${JSON.stringify(figures)}`);
    });

    it('deploys to the inactive slot under continuous load with no failed request', async () => {
      expect(await served()).toBe(200);
      const { result, load } = await underLoad(() => deployRelease({ image: 'baluhost:v2', release: 'r2' }, nas.deps()));
      expect(result).toMatchObject({ outcome: 'succeeded', slot: 'green' });
      expect(load.failed, load.failures.join(', ')).toBe(0);
      expect(load.total).toBeGreaterThan(100);
      expect(nas.config.app.activeSlot).toBe('green');
      expect(await readFile(nas.host.layout.nginxUpstream, 'utf8')).toContain(`127.0.0.1:${nas.config.app.slots.green}`);
      const steps = (await nas.history()).filter((r) => r.release === 'r2').map((r) => r.step);
      expect(steps).toEqual(['started', 'backup', 'up', 'health-gate', 'switched', 'finished']);
      const finished = (await nas.history()).find((r) => r.release === 'r2' && r.step === 'finished');
      expect(finished).toMatchObject({
        who: 'e2e',
        gitCommit: 'e2e0000',
        image: 'baluhost:v2',
        backup: { verified: true },
        outcome: 'succeeded',
      });
      expect(finished?.manifestHash).toMatch(/^[0-9a-f]{64}$/);
      figures['deploy'] = { switchMs: result.switchMs, requests: load.total, failed: load.failed, rps: load.ratePerSecond };
    }, 120_000);

    it('never switches to a release that fails its health gate', async () => {
      const { result, load } = await underLoad(() => deployRelease({ image: 'baluhost:v3-broken', release: 'r3' }, nas.deps()));
      expect(result).toMatchObject({ outcome: 'failed', slot: 'green' });
      expect(result.reason).toMatch(/unhealthy/);
      expect(load.failed, load.failures.join(', ')).toBe(0);
      expect(nas.config.app.activeSlot).toBe('green');
      expect(await readFile(nas.host.layout.nginxUpstream, 'utf8')).toContain(`127.0.0.1:${nas.config.app.slots.green}`);
      figures['gateFailure'] = { requests: load.total, failed: load.failed };
    }, 120_000);

    it('rolls back automatically when the new slot starts failing during the watch window', async () => {
      const deps = nas.deps({
        gateSuccesses: 3,
        gateTimeoutSeconds: 20,
        gateIntervalSeconds: 0.3,
        watchSeconds: 20,
        watchIntervalSeconds: 0.5,
        maxServerErrorRatio: 0.01,
      });
      const { result, load } = await underLoad(async () => {
        const deploying = deployRelease({ image: 'baluhost:v4', release: 'r4' }, deps);
        // Once traffic has moved to blue, its storage goes away: /api/ready fails, plain requests still work.
        for (let i = 0; i < 600; i++) {
          if ((await nas.history()).some((r) => r.release === 'r4' && r.step === 'switched')) break;
          await new Promise((r) => setTimeout(r, 100));
        }
        await nas.breakStorage('blue');
        return deploying;
      });
      expect(result).toMatchObject({ outcome: 'rolled-back', slot: 'green' } satisfies Partial<DeployResult>);
      expect(result.reason).toContain('/api/ready');
      expect(load.failed, load.failures.join(', ')).toBe(0);
      expect(nas.config.app.activeSlot).toBe('green');
      expect(await readFile(nas.host.layout.nginxUpstream, 'utf8')).toContain(`127.0.0.1:${nas.config.app.slots.green}`);
      figures['watchRollback'] = { switchMs: result.switchMs, rollbackMs: result.rollbackMs, requests: load.total, failed: load.failed };
    }, 120_000);

    it('lets only one of two concurrent deploys run; the other fails on the lock without touching anything', async () => {
      const historyBefore = (await nas.history()).length;
      const results = await Promise.allSettled([
        deployRelease({ image: 'baluhost:v5', release: 'r5' }, nas.deps(undefined, 'alice')),
        deployRelease({ image: 'baluhost:v6', release: 'r6' }, nas.deps(undefined, 'bob')),
      ]);
      const won = results.filter((r) => r.status === 'fulfilled');
      const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
      expect(won).toHaveLength(1);
      expect(lost).toHaveLength(1);
      expect(lost[0]?.reason).toBeInstanceOf(DeployLockError);
      expect(String((lost[0]?.reason as Error).message)).toMatch(/held by: deploy r[56] by (alice|bob)/);
      const records = (await nas.history()).slice(historyBefore);
      expect(new Set(records.map((r) => r.release)).size).toBe(1); // no interleaving
      expect((won[0] as PromiseFulfilledResult<DeployResult>).value.outcome).toBe('succeeded');
    }, 180_000);

    it('rolls back instantly to the release the other slot still runs', async () => {
      const before = nas.config.app.activeSlot;
      const { result, load } = await underLoad(() => rollbackRelease({ to: 'r2' }, nas.deps()));
      expect(result.mode).toBe('instant');
      expect(nas.config.app.activeSlot).not.toBe(before);
      expect(load.failed).toBe(0);
      figures['instantRollback'] = { ms: result.durationMs, requests: load.total, failed: load.failed };
    }, 60_000);

    it("rollback --to --with-data restores that release's files byte for byte and its database backup", async () => {
      // Something written after r2's pre-deploy backup, and a hand edit on the host.
      const client = new pg.Client({ connectionString: nas.db.url });
      await client.connect();
      try {
        await client
          .query(`INSERT INTO audit_log (action, resource_type, success, created_at) VALUES ('marker.after-r2', 'test', true, now())`)
          .catch(async () => {
            await client.query(`CREATE TABLE rollback_marker (id int)`);
          });
      } finally {
        await client.end();
      }
      await writeFile(nas.host.layout.logrotateConfig, '# hand-edited\n');

      await expect(rollbackRelease({ to: 'r2', withData: true }, nas.deps())).rejects.toThrow(/confirm with --yes/);
      const result = await rollbackRelease({ to: 'r2', withData: true, confirmed: true }, nas.deps());
      expect(result.mode).toBe('redeploy');
      expect(result.restoredBackup).toMatch(/baluhost-database-.*\.tar\.gz/);
      const r2 = (await nas.history()).find((r) => r.release === 'r2' && r.step === 'finished');
      const expected = renderHostFiles(r2?.config as never, nas.host.root);
      for (const file of expected) expect(await readFile(file.path, 'utf8'), file.path).toBe(file.content);
      expect(manifestOf(expected).length).toBeGreaterThan(5);
      const check = new pg.Client({ connectionString: nas.db.url });
      await check.connect();
      try {
        const marker = await check
          .query(`SELECT count(*)::int AS n FROM audit_log WHERE action = 'marker.after-r2'`)
          .catch(() => ({ rows: [{ n: -1 }] }));
        expect(marker.rows[0].n).toBe(0);
      } finally {
        await check.end();
      }
      expect(await served()).toBe(200);
    }, 180_000);

    it('probe reports a hand-edited file and an expiring certificate, and exits clean otherwise', async () => {
      const clean = await probeHost(nas.deps());
      expect(clean.problems).toEqual([]);
      expect(clean.ok).toBe(true);

      await writeFile(nas.host.layout.nginxSite, `${await readFile(nas.host.layout.nginxSite, 'utf8')}# hand edit\n`);
      await selfSignedCertificate(nas.host.layout, 'nas.test', 3);
      await nas.nginx.reload();
      const drift = await probeHost(nas.deps());
      expect(drift.ok).toBe(false);
      expect(drift.files.map((f) => f.path)).toEqual([nas.host.layout.nginxSite]);
      expect(drift.problems.join('\n')).toMatch(/expires in [0-3] days/);
    }, 60_000);

    it('plan shows the file diff, image change and slot switch as Markdown', async () => {
      const desired = withChanges(
        { ...nas.config, backups: { ...nas.config.backups, keepLast: 3 } },
        { slotImages: { green: 'baluhost:v8' }, activeSlot: 'green' },
      );
      const markdown = await planMarkdown(nas.deps().host, {
        stack: 'e2e',
        desired,
        current: nas.config,
        pendingMigrations: [],
        root: nas.host.root,
      });
      expect(markdown).toContain('## BaluHost plan for `e2e`');
      expect(markdown).toContain('--keep-last 3');
      expect(markdown).toMatch(/\| green \| `baluhost:v\d` \| `baluhost:v8` \| \*\*changes\*\* \|/);
      expect(markdown).toContain(`<code>${nas.host.layout.nginxSite}</code> — changed`); // the hand edit from the probe test
      expect(markdown).toContain('None pending.');
    }, 60_000);

    it('the probe and plan scripts report the same, with exit code 3 and JSON for drift', async () => {
      const project = await mkdtemp(join(tmpdir(), 'baluhost-project-'));
      try {
        await writeFile(
          join(project, 'Pulumi.e2e.yaml'),
          stringify({ config: Object.fromEntries(Object.entries(nas.config).map(([k, v]) => [`baluhost:${k}`, v])) }),
        );
        await writeFile(nas.host.layout.nginxSite, `${await readFile(nas.host.layout.nginxSite, 'utf8')}# edited again\n`);
        const common = ['--stack', 'e2e', '--project', project, '--identity', join(nas.sshd.dir, 'client'), '--root', nas.host.root];
        const probe = await runScript('scripts/probe.ts', common);
        expect(probe.code, probe.stderr).toBe(3);
        const report = JSON.parse(probe.stdout) as { ok: boolean; files: { path: string }[] };
        expect(report.ok).toBe(false);
        expect(report.files.map((f) => f.path)).toContain(nas.host.layout.nginxSite);
        const plan = await runScript('scripts/plan.ts', common);
        expect(plan.code, plan.stderr).toBe(0);
        expect(plan.stdout).toContain('## BaluHost plan for `e2e`');
        expect(plan.stdout).toContain(`<code>${nas.host.layout.nginxSite}</code> — changed`);
      } finally {
        await rm(project, { recursive: true, force: true });
      }
    }, 60_000);

    it('keeps serving through all of it', async () => {
      expect((await slotServing()).status).toBeLessThan(500);
    });
  });
}
