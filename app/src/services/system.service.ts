import {
  cpuUsagePercent,
  mountFor,
  parseCpuinfo,
  parseMdstat,
  parseMeminfo,
  parseMounts,
  parseProcStat,
  parseUptime,
  type RaidArray,
} from '../lib/proc-parsers.js';
import type { Repositories, Storage } from '../repositories/index.js';
import type { ProcReader, SmartReader, SmartReport } from '../repositories/system-probe.js';
import type { Principal } from './auth.service.js';
import type { TelemetryService } from './telemetry.service.js';

export function createSystemService(deps: {
  proc: ProcReader;
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

  async function raid(): Promise<RaidArray[]> {
    const text = await proc.readOptional('mdstat');
    return text ? parseMdstat(text) : [];
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

    async raidStatus() {
      const arrays = await raid();
      return { available: (await proc.readOptional('mdstat')) !== null, arrays };
    },

    smartStatus: (): Promise<SmartReport> => deps.smart.report(),

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
            path: info.mount_point,
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
