/**
 * What BaluHost's web client (Phase 1) reads from the system, logging and rate-limit routes, in its
 * shapes: the Dashboard, Disk Monitor, RAID, Logging and API Center pages. /proc is a sample folder
 * whose disk counters the tests move by hand.
 */
import { cpSync, mkdtempSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { InjectOptions } from 'fastify';
import { afterAll, expect, it } from 'vitest';
import { createLoggedInUser } from '../helpers/factories.js';
import { listNames, upload } from '../helpers/files.js';
import { describeEachDialect } from '../helpers/test-app.js';

const FIXTURES = resolve(import.meta.dirname, '../fixtures/proc');
// Made when the file loads: the suite's environment is configured with this path.
const proc = mkdtempSync(join(tmpdir(), 'baluhost-proc-'));
cpSync(FIXTURES, proc, { recursive: true });
afterAll(async () => {
  await rm(proc, { recursive: true, force: true });
});

/** Adds to one disk's counters in the sample /proc/diskstats, as the kernel would after some I/O. */
async function diskDid(
  name: string,
  add: { reads?: number; sectorsRead?: number; writes?: number; sectorsWritten?: number; msIo?: number },
) {
  const file = join(proc, 'diskstats');
  const lines = (await readFile(file, 'utf8')).split('\n').map((line) => {
    const f = line.trim().split(/\s+/);
    if (f[2] !== name) return line;
    const bump = (i: number, by = 0) => (f[i] = String(Number(f[i]) + by));
    bump(3, add.reads);
    bump(5, add.sectorsRead);
    bump(7, add.writes);
    bump(9, add.sectorsWritten);
    bump(12, add.msIo);
    return ` ${f.join(' ')}`;
  });
  await writeFile(file, lines.join('\n'));
}

describeEachDialect(
  'web client: system, logging and rate limits',
  (env) => {
    const inject = (options: InjectOptions) => env().app.inject(options);
    const as = async (role: 'admin' | 'user' = 'user') => (await createLoggedInUser(env(), { role })).headers;
    const get = async (url: string, role: 'admin' | 'user' = 'user') => inject({ method: 'GET', url, headers: await as(role) });

    it('reports SMART in the shape the Dashboard reads: checked_at and a device list, empty without smartctl', async () => {
      const res = await get('/api/system/smart/status');
      expect(res.statusCode).toBe(200);
      const body = res.json();
      expect(Date.parse(body.checked_at)).not.toBeNaN();
      expect(Array.isArray(body.devices)).toBe(true);
      if (!body.available) expect([body.devices, body.reason]).toEqual([[], expect.stringMatching(/smartctl/)]);
      expect((await get('/api/system/smart/mode')).json()).toEqual({ mode: 'real' });
      const toggled = await inject({ method: 'POST', url: '/api/system/smart/toggle-mode', headers: await as() });
      expect(toggled.json()).toEqual({ mode: 'real', message: expect.stringMatching(/no mock mode/) });
    });

    it('lists the storage root as a mountpoint with a relative path, so the File Manager lists the home', async () => {
      const mp = (await get('/api/files/mountpoints')).json().mountpoints[0];
      expect(mp).toMatchObject({ id: 'storage', path: '', is_default: true });
    });

    it('accepts the client\'s "/" and "/Folder" as the home and a folder in it', async () => {
      const headers = await as();
      await inject({ method: 'POST', url: '/api/files/folder', headers, payload: { path: '/', name: 'Photos' } });
      await upload(env(), headers, '/Photos', [{ filename: 'a.txt', content: 'a' }]);
      const root = await inject({ method: 'GET', url: '/api/files/list?path=%2F', headers });
      expect(root.json().files.map((f: { name: string }) => f.name)).toEqual(['Photos']);
      const inside = await inject({ method: 'GET', url: '/api/files/list?path=%2FPhotos', headers });
      expect(inside.json().files.map((f: { path: string }) => f.path)).toEqual(['Photos/a.txt']);
    });

    it('sums every mounted block-device filesystem once for the Dashboard, counting the devices', async () => {
      const res = (await get('/api/system/storage/aggregated')).json();
      expect(res.device_count).toBeGreaterThanOrEqual(1);
      expect(res.total).toBeGreaterThanOrEqual(res.used);
      expect(res).toHaveProperty('use_percent');
    });

    it('gives RAID arrays the fields the RAID page reads, and the kernel speed limits', async () => {
      const res = (await get('/api/system/raid/status')).json();
      expect(res.arrays[0]).toMatchObject({ name: 'md127', level: 'raid5', size_bytes: 3906763776 * 1024, resync_progress: null });
      expect(res.speed_limits).toEqual({ minimum: 1000, maximum: 200000 });
    });

    it('lists whole disks with their partitions and RAID membership, to admins only', async () => {
      expect((await get('/api/system/raid/available-disks')).statusCode).toBe(403);
      const { disks } = (await get('/api/system/raid/available-disks', 'admin')).json();
      expect(disks.map((d: { name: string }) => d.name)).toEqual(['sdb', 'sdc', 'sdd', 'sde', 'nvme0n1']);
      expect(disks.find((d: { name: string }) => d.name === 'sdb')).toEqual({
        name: 'sdb',
        size_bytes: 1953514584 * 1024,
        model: null,
        is_partitioned: true,
        partitions: ['sdb1'],
        in_raid: true,
      });
      expect(disks.find((d: { name: string }) => d.name === 'sde')).toMatchObject({ is_partitioned: false, in_raid: false });
      expect(disks.find((d: { name: string }) => d.name === 'nvme0n1')).toMatchObject({ partitions: ['nvme0n1p1'], in_raid: false });
    });

    it('refuses every RAID change with 501, touching nothing', async () => {
      const headers = await as('admin');
      for (const action of ['format-disk', 'create-array', 'delete-array', 'degrade', 'rebuild', 'finalize', 'options']) {
        const res = await inject({ method: 'POST', url: `/api/system/raid/${action}`, headers, payload: { array: 'md127', disk: 'sde' } });
        expect([res.statusCode, res.json().code], action).toEqual([501, 'raid_changes_unsupported']);
      }
      expect((await inject({ method: 'POST', url: '/api/system/raid/format-disk', headers: await as(), payload: {} })).statusCode).toBe(
        403,
      );
    });

    it('samples disk I/O per whole disk from /proc/diskstats, in epoch milliseconds like the rest of the telemetry', async () => {
      const telemetry = env().app.services.telemetry;
      await telemetry.sample();
      await new Promise((r) => setTimeout(r, 50));
      await diskDid('sdb', { reads: 100, sectorsRead: 204_800, writes: 10, sectorsWritten: 2048, msIo: 20 });
      await telemetry.sample();
      const history = (await get('/api/system/disk-io/history')).json();
      expect(history.disks.map((d: { diskName: string }) => d.diskName)).toEqual(['sdb', 'sdc', 'sdd', 'nvme0n1']);
      const sdb = history.disks[0].samples.at(-1);
      expect(sdb.timestamp).toBeGreaterThan(Date.now() - 60_000);
      expect(Number.isInteger(sdb.timestamp)).toBe(true);
      expect(sdb.readMbps).toBeGreaterThan(0);
      expect(sdb.readIops).toBeGreaterThan(sdb.writeIops);
      expect(sdb.activeTimePercent).toBeGreaterThan(0);
      const idle = history.disks[1].samples.at(-1);
      expect([idle.readMbps, idle.writeIops, idle.avgResponseMs]).toEqual([0, 0, null]);

      const logged = (await get('/api/logging/disk-io?hours=24')).json();
      expect(Object.keys(logged.disks)).toEqual(['sdb', 'sdc', 'sdd', 'nvme0n1']);
      expect(logged.disks.sdb.at(-1)).toEqual(sdb);
      const cpu = (await get('/api/system/telemetry/history')).json().cpu.at(-1);
      expect(Number.isInteger(cpu.timestamp)).toBe(true);
    });

    it("lists file events for the Logging page: a user's own, an admin's filtered by user, newest first, limited", async () => {
      const alice = await createLoggedInUser(env());
      const bob = await createLoggedInUser(env());
      await upload(env(), alice.headers, '', [{ filename: 'a1.txt', content: '1' }]);
      await upload(env(), alice.headers, '', [{ filename: 'a2.txt', content: '2' }]);
      await upload(env(), bob.headers, '', [{ filename: 'b1.txt', content: '3' }]);
      const own = (await inject({ method: 'GET', url: '/api/logging/file-access?limit=100&days=1', headers: alice.headers })).json();
      expect(own.logs.map((l: { user: string }) => l.user)).toEqual([alice.user.username, alice.user.username]);
      expect(own.logs[0]).toMatchObject({ event_type: 'file', action: 'upload', success: true, error: null });
      const admin = await as('admin');
      const limited = (
        await inject({ method: 'GET', url: `/api/logging/file-access?limit=1&user=${alice.user.username}`, headers: admin })
      ).json();
      expect([limited.total, limited.logs.length]).toEqual([2, 1]);
      expect(limited.logs[0].resource).toContain('a2.txt');
    });

    it("pages the audit log by the client's limit and filters an admin's Settings activity by user_filter, ignoring sort_order", async () => {
      const alice = await createLoggedInUser(env());
      await upload(env(), alice.headers, '', [{ filename: 'x.txt', content: 'x' }]);
      const admin = await as('admin');
      const res = await inject({
        method: 'GET',
        url: `/api/logging/audit?user_filter=${alice.user.username}&limit=1&sort_order=desc`,
        headers: admin,
      });
      expect(res.statusCode).toBe(200);
      const body = res.json();
      expect([body.page_size, body.logs.length]).toEqual([1, 1]);
      expect(body.total).toBeGreaterThanOrEqual(2); // login and upload
      expect(body.logs[0].user).toBe(alice.user.username);
    });

    it('counts file events in the stats shape the client reads (period_days, file_access)', async () => {
      const alice = await createLoggedInUser(env());
      await upload(env(), alice.headers, '', [{ filename: 's.txt', content: 's' }]);
      const stats = (await get('/api/logging/stats?days=7', 'admin')).json();
      expect(stats).toMatchObject({ period_days: 7, dev_mode: true });
      expect(stats.file_access.by_user[alice.user.username]).toBe(1);
      expect(stats.file_access.total_operations).toBeLessThan(stats.total);
      expect(stats.file_access.success_rate).toBeLessThanOrEqual(1);
    });

    it("shows the per-address limits as the API Center's rate-limit list, changes, switches and resets them for real", async () => {
      const admin = await as('admin');
      const list = (await inject({ method: 'GET', url: '/api/admin/rate-limits', headers: admin })).json();
      expect(list.total).toBe(2);
      expect(list.configs.map((c: { endpoint_type: string }) => c.endpoint_type)).toEqual(['auth', 'api']);
      const put = (payload: Record<string, unknown>) =>
        inject({ method: 'PUT', url: '/api/admin/rate-limits/auth', headers: admin, payload });
      const changed = await put({ limit_string: '3/minute', description: 'ignored', enabled: true });
      expect(changed.json()).toMatchObject({ endpoint_type: 'auth', limit_string: '3/minute', enabled: true });
      expect((await inject({ method: 'GET', url: '/api/admin/rate-limits', headers: admin })).json().auth_per_minute).toBe(3);
      const off = (await put({ enabled: false })).json();
      expect([off.enabled, off.limit_string]).toEqual([false, '3/minute']);
      expect((await inject({ method: 'GET', url: '/api/admin/rate-limits', headers: admin })).json().auth_per_minute).toBe(0);
      expect((await put({ enabled: true })).json()).toMatchObject({ enabled: true, limit_string: '3/minute' });

      const hourly = await put({ limit_string: '100/hour' });
      expect([hourly.statusCode, hourly.json().detail[0].msg]).toEqual([422, expect.stringMatching(/N\/minute/)]);
      expect((await inject({ method: 'GET', url: '/api/admin/rate-limits/upload', headers: admin })).statusCode).toBe(404);
      expect((await put({ limit_string: '3/minute' }).then(() => get('/api/admin/rate-limits/auth', 'admin'))).json().limit_string).toBe(
        '3/minute',
      );
      expect((await inject({ method: 'POST', url: '/api/admin/rate-limits/seed-defaults', headers: admin })).statusCode).toBe(204);
      // The test environment is configured with both limits off.
      expect((await inject({ method: 'GET', url: '/api/admin/rate-limits', headers: admin })).json().configs[0]).toMatchObject({
        limit_string: '0/minute',
        enabled: false,
        updated_at: null,
      });
      expect((await inject({ method: 'PUT', url: '/api/admin/rate-limits/auth', headers: await as(), payload: {} })).statusCode).toBe(403);
    });

    it('ignores query parameters and body fields it has no use for, instead of refusing them', async () => {
      const headers = await as();
      expect((await inject({ method: 'GET', url: '/api/files/list?path=&_t=123&sort=name', headers })).statusCode).toBe(200);
      const created = await inject({
        method: 'POST',
        url: '/api/files/folder',
        headers,
        payload: { path: '', name: 'Extra', color: 'red' },
      });
      expect(created.statusCode).toBe(200);
      expect(await listNames(env(), headers)).toEqual(['Extra']);
    });
  },
  { env: { BALUHOST_PROC_ROOT: proc } },
);
