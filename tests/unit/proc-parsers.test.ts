import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  cpuUsagePercent,
  mountFor,
  parseCpuinfo,
  parseMdstat,
  parseMeminfo,
  parseMounts,
  parseNetDev,
  parseProcStat,
  parseUptime,
} from '../../app/src/lib/proc-parsers.js';

const fixture = (name: string) => readFileSync(join(import.meta.dirname, '../fixtures/proc', name), 'utf8');

describe('parseMdstat', () => {
  it('reads a clean mirror', () => {
    const [md0] = parseMdstat(fixture('mdstat-samples/clean-raid1.txt'));
    expect(md0).toMatchObject({
      name: 'md0',
      level: 'raid1',
      state: 'active',
      status: 'clean',
      total_devices: 2,
      active_devices: 2,
      member_status: 'UU',
      blocks: 1953382464,
      sync: null,
    });
    expect(md0?.devices).toEqual([
      { name: 'sdb1', slot: 1, state: 'active' },
      { name: 'sda1', slot: 0, state: 'active' },
    ]);
  });

  it('reports a degraded RAID 5 with its failed member', () => {
    const [md] = parseMdstat(fixture('mdstat-samples/degraded-raid5.txt'));
    expect(md).toMatchObject({
      name: 'md127',
      level: 'raid5',
      status: 'degraded',
      total_devices: 3,
      active_devices: 2,
      member_status: '_UU',
    });
    expect(md?.devices.find((d) => d.name === 'sdb1')?.state).toBe('faulty');
  });

  it('reports a rebuild with progress, time left and speed', () => {
    const [md] = parseMdstat(fixture('mdstat-samples/recovering-raid5.txt'));
    expect(md).toMatchObject({ status: 'recovering', active_devices: 3, total_devices: 4 });
    expect(md?.sync).toEqual({ operation: 'recovery', progress_percent: 8.5, finish: '179.6min', speed: '165826K/sec' });
  });

  it('reads several arrays: a resync with a spare, a pending resync read-only, an inactive one', () => {
    const arrays = parseMdstat(fixture('mdstat-samples/resync-and-spare.txt'));
    expect(arrays.map((a) => [a.name, a.level, a.status])).toEqual([
      ['md1', 'raid10', 'resyncing'],
      ['md0', 'raid1', 'resyncing'],
      ['md2', null, 'inactive'],
    ]);
    expect(arrays[0]?.sync?.progress_percent).toBe(61.3);
    expect(arrays[0]?.devices.find((d) => d.name === 'sdg')?.state).toBe('spare');
    expect(arrays[1]).toMatchObject({ read_only: true, sync: { operation: 'resync', progress_percent: null } });
    expect(arrays[2]?.devices).toEqual([{ name: 'sdh', slot: 0, state: 'spare' }]);
  });

  it('returns nothing for a host without arrays', () => {
    expect(parseMdstat('Personalities : \nunused devices: <none>\n')).toEqual([]);
  });
});

describe('other /proc parsers', () => {
  it('computes CPU usage between two samples', () => {
    const before = parseProcStat(fixture('stat'));
    const after = { idle: before.idle + 75, total: before.total + 100 };
    expect(cpuUsagePercent(before, after)).toBe(25);
    expect(cpuUsagePercent(before, before)).toBe(0);
  });

  it('counts memory held by applications, not page cache', () => {
    expect(parseMeminfo(fixture('meminfo'))).toEqual({
      total: 8048864 * 1024,
      free: 512344 * 1024,
      available: 4024432 * 1024,
      used: (8048864 - 4024432) * 1024,
    });
  });

  it('reads the CPU model, cores and top frequency', () => {
    expect(parseCpuinfo(fixture('cpuinfo'))).toEqual({ model: 'Intel(R) Celeron(R) J4125 CPU @ 2.00GHz', cores: 2, frequencyMhz: 2700 });
  });

  it('reads uptime and network totals without loopback', () => {
    expect(parseUptime(fixture('uptime'))).toBe(352893);
    expect(parseNetDev(fixture('net/dev'))).toEqual({ rxBytes: 1_000_000, txBytes: 500_000 });
  });

  it('finds the mount holding a path, octal escapes included', () => {
    const mounts = parseMounts('/dev/sda1 / ext4 rw 0 0\n/dev/md0 /srv/nas\\040data ext4 rw 0 0\n');
    expect(mountFor(mounts, '/srv/nas data/storage')?.device).toBe('/dev/md0');
    expect(mountFor(mounts, '/srv/nas')?.device).toBe('/dev/sda1');
  });
});
