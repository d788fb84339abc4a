import { statfs } from 'node:fs/promises';
import {
  cpuUsagePercent,
  isWholeDisk,
  mountFor,
  parseCpuinfo,
  parseMdstat,
  parseMeminfo,
  parseMounts,
  parsePartitions,
  parseProcStat,
  parseUptime,
  partitionsOf,
  type RaidArray,
} from '../lib/proc-parsers.js';
import { toSmartDevice } from '../lib/smart-devices.js';
import type { Clock, Repositories, Storage } from '../repositories/index.js';
import type { ProcReader, SmartReader } from '../repositories/system-probe.js';
import type { Principal } from './auth.service.js';
import type { TelemetryService } from './telemetry.service.js';

export function createSystemService(deps: {
  proc: ProcReader;
  clock: Clock;
  smart: SmartReader;
  storage: Storage;
  telemetry: TelemetryService;
  repos: Repositories;
  devMode: boolean;
  defaultQuotaBytes: number | null;
}) {
  const { proc, storage } = deps;

  async function cpuUsageNow(): Promise<number> {
    const sampled = deps.telemetry.lastCpuUsage();
    if (sampled !== null) return sampled;
    // No background sample yet: measure over a short window instead of guessing.
    const before = parseProcStat(await proc.read('stat'));
    await new Promise((r) => setTimeout(r, 100));
    return cpuUsagePercent(before, parseProcStat(await proc.read('stat')));
  }

  /** Arrays from /proc/mdstat; `available` false when the host has no md driver (no mdstat at all). */
  async function mdstat(): Promise<{ available: boolean; arrays: RaidArray[] }> {
    const text = await proc.readOptional('mdstat');
    return { available: text !== null, arrays: text ? parseMdstat(text) : [] };
  }
  const raid = async () => (await mdstat()).arrays;

  async function speedLimit(which: 'min' | 'max'): Promise<number | null> {
    const text = await proc.readOptional(`sys/dev/raid/speed_limit_${which}`);
    const value = text === null ? NaN : Number(text.trim());
    return Number.isFinite(value) ? value : null;
  }

  return {
    async info() {
      const [cpuinfo, meminfo, uptime, disk, usage] = await Promise.all([
        proc.read('cpuinfo'),
        proc.read('meminfo'),
        proc.read('uptime'),
        storage.usage(),
        cpuUsageNow(),
      ]);
      const cpu = parseCpuinfo(cpuinfo);
      const mem = parseMeminfo(meminfo);
      return {
        cpu: { usage, cores: cpu.cores, frequency_mhz: cpu.frequencyMhz, model: cpu.model },
        memory: { total: mem.total, used: mem.used, free: mem.available },
        disk: { total: disk.totalBytes, used: disk.totalBytes - disk.freeBytes, free: disk.availableBytes },
        uptime: parseUptime(uptime),
        dev_mode: deps.devMode,
      };
    },

    async storageInfo() {
      const [disk, mountsText] = await Promise.all([storage.usage(), proc.readOptional('mounts')]);
      const mount = mountsText ? mountFor(parseMounts(mountsText), storage.root) : undefined;
      const used = disk.totalBytes - disk.freeBytes;
      return {
        filesystem: mount?.device ?? 'unknown',
        total: disk.totalBytes,
        used,
        available: disk.availableBytes,
        use_percent: disk.totalBytes ? Math.round((used / disk.totalBytes) * 1000) / 10 : 0,
        mount_point: mount?.mountPoint ?? storage.root,
      };
    },

    async quota(principal: Principal) {
      const user = (await deps.repos.users.findById(principal.user.id)) ?? principal.user;
      const limit = user.quotaBytes ?? deps.defaultQuotaBytes;
      return {
        limit_bytes: limit,
        used_bytes: user.usedBytes,
        available_bytes: limit === null ? null : Math.max(0, limit - user.usedBytes),
        percent_used: limit ? Math.round((user.usedBytes / limit) * 1000) / 10 : null,
      };
    },

    telemetryHistory: () => deps.telemetry.history(),

    /** Arrays from /proc/mdstat, with the fields the web client reads (`size_bytes`, `resync_progress`, `sync_action`) beside ours. */
    async raidStatus() {
      const [{ available, arrays }, minimum, maximum] = await Promise.all([mdstat(), speedLimit('min'), speedLimit('max')]);
      return {
        available,
        arrays: arrays.map((a) => ({
          ...a,
          level: a.level ?? 'unknown',
          size_bytes: (a.blocks ?? 0) * 1024,
          resync_progress: a.sync?.progress_percent ?? null,
          sync_action: a.sync?.operation ?? null,
          bitmap: null,
        })),
        speed_limits: { minimum, maximum },
      };
    },

    /** Whole disks from /proc/partitions, with their partitions and whether an md array uses them (read-only). */
    async availableDisks() {
      const [partitionsText, arrays] = await Promise.all([proc.readOptional('partitions'), raid()]);
      const devices = partitionsText ? parsePartitions(partitionsText) : [];
      const members = new Set(arrays.flatMap((a) => a.devices.map((d) => d.name)));
      return {
        disks: devices
          .filter((d) => isWholeDisk(d.name))
          .map((d) => {
            const partitions = partitionsOf(d.name, devices);
            return {
              name: d.name,
              size_bytes: d.sizeBytes,
              model: null,
              is_partitioned: partitions.length > 0,
              partitions,
              in_raid: members.has(d.name) || partitions.some((p) => members.has(p)),
            };
          }),
      };
    },

    /** smartctl's report in the client's shape; no disks (and the reason) when smartctl is absent. */
    async smartStatus() {
      const report = await deps.smart.report();
      return {
        checked_at: deps.clock.now().toISOString(),
        devices: report.available ? report.devices.map((d) => toSmartDevice(d.json, d.name)) : [],
        available: report.available,
        ...(report.available ? {} : { reason: report.reason }),
      };
    },

    /** BaluHost reads real SMART data only: there is no mock mode to switch to (the original has one in dev mode). */
    smartMode: () => ({ mode: 'real' as const }),
    toggleSmartMode: () => ({
      mode: 'real' as const,
      message: 'BaluHost always reads real SMART data (smartctl); there is no mock mode to switch to',
    }),

    /**
     * Every mounted block-device filesystem, each counted once (statfs): what the NAS holds in all.
     * Falls back to the storage root's filesystem where none is visible (a container's overlay root).
     */
    async aggregatedStorage() {
      const mountsText = await proc.readOptional('mounts');
      const devices = new Map<string, string>();
      for (const m of mountsText ? parseMounts(mountsText) : [])
        if (m.device.startsWith('/dev/') && !devices.has(m.device)) devices.set(m.device, m.mountPoint);
      const counted: { device: string; mountPoint: string; total: number; free: number; available: number }[] = [];
      for (const [device, mountPoint] of devices) {
        // A mount the server may not look into (permissions, a stale network mount) is not counted.
        const s = await statfs(mountPoint).catch(() => null);
        if (s) counted.push({ device, mountPoint, total: s.blocks * s.bsize, free: s.bfree * s.bsize, available: s.bavail * s.bsize });
      }
      if (counted.length === 0) return { ...(await this.storageInfo()), device_count: 1 };
      const sum = (k: 'total' | 'free' | 'available') => counted.reduce((n, c) => n + c[k], 0);
      const [total, used] = [sum('total'), sum('total') - sum('free')];
      return {
        filesystem: counted.map((c) => c.device).join(', '),
        total,
        used,
        available: sum('available'),
        use_percent: total ? Math.round((used / total) * 1000) / 10 : 0,
        mount_point: counted.map((c) => c.mountPoint).join(', '),
        device_count: counted.length,
      };
    },

    diskIoHistory: () => ({
      disks: deps.telemetry.diskIoHistory().map((d) => ({ ...d, model: null })),
      interval: deps.telemetry.intervalSeconds(),
    }),

    /** The storage root as the one mountpoint BaluHost manages, with its RAID array when it sits on one. */
    async mountpoints() {
      const [info, arrays] = await Promise.all([this.storageInfo(), raid()]);
      const array = arrays.find((a) => info.filesystem.endsWith(`/${a.name}`));
      return {
        mountpoints: [
          {
            id: 'storage',
            name: 'BaluHost storage',
            type: array ? 'raid' : 'local',
            // Relative, as the original's: the client puts it in front of every path it sends.
            path: '',
            size_bytes: info.total,
            used_bytes: info.used,
            available_bytes: info.available,
            raid_level: array?.level ?? null,
            status: array ? array.status : 'online',
            is_default: true,
          },
        ],
        default_mountpoint: 'storage',
      };
    },
  };
}

export type SystemService = ReturnType<typeof createSystemService>;
