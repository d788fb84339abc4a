import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createLoggedInUser } from '../helpers/factories.js';
import { describeEachDialect } from '../helpers/test-app.js';

const PROC = resolve(import.meta.dirname, '../fixtures/proc');

describeEachDialect(
  'system API',
  (env) => {
    const get = async (url: string) => {
      const u = await createLoggedInUser(env());
      return env().app.inject({ method: 'GET', url, headers: u.headers });
    };

    it('requires authentication', async () => {
      for (const url of [
        '/api/system/info',
        '/api/system/storage',
        '/api/system/quota',
        '/api/system/telemetry/history',
        '/api/system/raid/status',
        '/api/system/smart/status',
      ]) {
        expect((await env().app.inject({ method: 'GET', url })).statusCode, url).toBe(401);
      }
    });

    it('reports CPU, memory, disk and uptime from /proc and statfs', async () => {
      const res = await get('/api/system/info');
      expect(res.statusCode).toBe(200);
      const info = res.json();
      expect(info.cpu).toMatchObject({ cores: 2, frequency_mhz: 2700, model: 'Intel(R) Celeron(R) J4125 CPU @ 2.00GHz' });
      expect(info.memory).toEqual({ total: 8048864 * 1024, used: (8048864 - 4024432) * 1024, free: 4024432 * 1024 });
      expect(info.disk.total).toBeGreaterThan(0);
      expect(info.uptime).toBe(352893);
      expect(info.dev_mode).toBe(true);
    });

    it('reports the storage filesystem from the mount table', async () => {
      const res = (await get('/api/system/storage')).json();
      expect(res).toMatchObject({ filesystem: '/dev/md127', mount_point: '/' });
      expect(res.total).toBeGreaterThanOrEqual(res.used);
    });

    it('reports the degraded array from the sample mdstat', async () => {
      const res = (await get('/api/system/raid/status')).json();
      expect(res.available).toBe(true);
      expect(res.arrays[0]).toMatchObject({ name: 'md127', status: 'degraded', member_status: '_UU' });
    });

    it('names the RAID behind the storage mountpoint', async () => {
      const res = (await get('/api/files/mountpoints')).json();
      expect(res.default_mountpoint).toBe('storage');
      expect(res.mountpoints[0]).toMatchObject({ id: 'storage', type: 'raid', raid_level: 'raid5', status: 'degraded', is_default: true });
    });

    it('keeps telemetry history in a bounded ring buffer', async () => {
      const telemetry = env().app.services.telemetry;
      for (let i = 0; i < 5; i += 1) await telemetry.sample();
      const res = (await get('/api/system/telemetry/history')).json();
      expect(res.memory).toHaveLength(3);
      expect(res.cpu).toHaveLength(3);
      expect(res.memory[0]).toMatchObject({ total: 8048864 * 1024, percent: 50 });
      expect(res.network[0]).toMatchObject({ downloadMbps: 0, uploadMbps: 0 });
    });

    it('says SMART is unavailable when smartctl is not there, instead of failing', async () => {
      const res = await get('/api/system/smart/status');
      expect(res.statusCode).toBe(200);
      const body = res.json();
      if (body.available) expect(Array.isArray(body.devices)).toBe(true);
      else expect(body.reason).toMatch(/smartctl/);
    });

    it("reports the caller's quota", async () => {
      const res = (await get('/api/system/quota')).json();
      expect(res).toEqual({ limit_bytes: 1_000_000, used_bytes: 0, available_bytes: 1_000_000, percent_used: 0 });
    });
  },
  { env: { BALUHOST_PROC_ROOT: PROC, BALUHOST_TELEMETRY_SAMPLES: '3', BALUHOST_DEFAULT_QUOTA_BYTES: '1000000' } },
);

describe('SMART without smartctl', () => {
  it('returns an explicit unavailable state', async () => {
    const { createSmartReader } = await import('../../app/src/repositories/system-probe.js');
    expect(await createSmartReader('/nonexistent/smartctl').report()).toEqual({
      available: false,
      reason: 'smartctl is not installed (package smartmontools)',
    });
  });
});
