import type { Logger } from 'pino';
import {
  cpuUsagePercent,
  parseDiskstats,
  parseMeminfo,
  parseNetDev,
  parseProcStat,
  type CpuTimes,
  type DiskCounters,
  type NetTotals,
} from '../lib/proc-parsers.js';
import type { Clock } from '../repositories/index.js';
import type { ProcReader } from '../repositories/system-probe.js';

/** Timestamps are epoch milliseconds, as BaluHost's web client plots them. */
export interface TelemetryHistory {
  cpu: { timestamp: number; usage: number }[];
  memory: { timestamp: number; used: number; total: number; percent: number }[];
  network: { timestamp: number; downloadMbps: number; uploadMbps: number }[];
}

export interface DiskIoSample {
  timestamp: number;
  readMbps: number;
  writeMbps: number;
  readIops: number;
  writeIops: number;
  /** Mean time per completed request in the interval; null when none completed. */
  avgResponseMs: number | null;
  activeTimePercent: number;
}

const SECTOR_BYTES = 512;
const round = (n: number, places = 3) => Math.round(n * 10 ** places) / 10 ** places;

/** What each disk did between two readings of /proc/diskstats, `seconds` apart. */
function diskIoBetween(before: DiskCounters, after: DiskCounters, seconds: number, timestamp: number): DiskIoSample {
  const d = (k: keyof Omit<DiskCounters, 'name'>) => Math.max(0, after[k] - before[k]);
  const ops = d('reads') + d('writes');
  return {
    timestamp,
    readMbps: round((d('sectorsRead') * SECTOR_BYTES) / seconds / 1e6),
    writeMbps: round((d('sectorsWritten') * SECTOR_BYTES) / seconds / 1e6),
    readIops: round(d('reads') / seconds, 1),
    writeIops: round(d('writes') / seconds, 1),
    avgResponseMs: ops ? round((d('msReading') + d('msWriting')) / ops, 2) : null,
    activeTimePercent: round(Math.min(100, (d('msDoingIo') / (seconds * 1000)) * 100), 1),
  };
}

/** A fixed-size buffer: the oldest sample falls out when a new one arrives. */
export class RingBuffer<T> {
  private readonly items: T[] = [];
  constructor(private readonly capacity: number) {}
  push(item: T): void {
    this.items.push(item);
    if (this.items.length > this.capacity) this.items.shift();
  }
  toArray(): T[] {
    return [...this.items];
  }
}

/** Samples CPU, memory and network in the background into bounded history. */
export function createTelemetryService(deps: { proc: ProcReader; clock: Clock; logger: Logger; intervalMs: number; samples: number }) {
  const history = {
    cpu: new RingBuffer<TelemetryHistory['cpu'][number]>(deps.samples),
    memory: new RingBuffer<TelemetryHistory['memory'][number]>(deps.samples),
    network: new RingBuffer<TelemetryHistory['network'][number]>(deps.samples),
  };
  const disks = new Map<string, RingBuffer<DiskIoSample>>();
  let previous: { cpu: CpuTimes; net: NetTotals; disks: DiskCounters[]; at: number } | undefined;
  let timer: NodeJS.Timeout | undefined;
  let lastSampleAt: number | null = null;
  let lastCpuUsage: number | null = null;

  async function sample(): Promise<void> {
    const now = deps.clock.now();
    const [stat, meminfo, netdev, diskstats] = await Promise.all([
      deps.proc.read('stat'),
      deps.proc.read('meminfo'),
      deps.proc.readOptional('net/dev'),
      deps.proc.readOptional('diskstats'),
    ]);
    const diskCounters = diskstats ? parseDiskstats(diskstats) : [];
    const cpu = parseProcStat(stat);
    const mem = parseMeminfo(meminfo);
    const net = netdev ? parseNetDev(netdev) : { rxBytes: 0, txBytes: 0 };
    const timestamp = now.getTime();
    history.memory.push({
      timestamp,
      used: mem.used,
      total: mem.total,
      percent: mem.total ? Math.round((mem.used / mem.total) * 1000) / 10 : 0,
    });
    if (previous) {
      lastCpuUsage = cpuUsagePercent(previous.cpu, cpu);
      history.cpu.push({ timestamp, usage: lastCpuUsage });
      const seconds = (now.getTime() - previous.at) / 1000;
      if (seconds > 0) {
        const mbps = (bytes: number) => Math.round(((Math.max(0, bytes) * 8) / seconds / 1e6) * 1000) / 1000;
        history.network.push({
          timestamp,
          downloadMbps: mbps(net.rxBytes - previous.net.rxBytes),
          uploadMbps: mbps(net.txBytes - previous.net.txBytes),
        });
        for (const after of diskCounters) {
          const before = previous.disks.find((b) => b.name === after.name);
          if (!before) continue;
          let buffer = disks.get(after.name);
          if (!buffer) disks.set(after.name, (buffer = new RingBuffer<DiskIoSample>(deps.samples)));
          buffer.push(diskIoBetween(before, after, seconds, timestamp));
        }
      }
    }
    // A disk that went away stops being reported.
    for (const name of disks.keys()) if (!diskCounters.some((c) => c.name === name)) disks.delete(name);
    previous = { cpu, net, disks: diskCounters, at: now.getTime() };
    lastSampleAt = now.getTime();
  }

  return {
    sample,
    start(): void {
      if (deps.intervalMs <= 0 || timer) return;
      const tick = () => sample().catch((err: unknown) => deps.logger.warn({ err }, 'telemetry sample failed'));
      void tick();
      timer = setInterval(() => void tick(), deps.intervalMs);
      timer.unref();
    },
    stop(): void {
      if (timer) clearInterval(timer);
      timer = undefined;
    },
    history(): TelemetryHistory {
      return { cpu: history.cpu.toArray(), memory: history.memory.toArray(), network: history.network.toArray() };
    },
    /** Per whole disk, oldest sample first. */
    diskIoHistory(): { diskName: string; samples: DiskIoSample[] }[] {
      return [...disks].map(([diskName, buffer]) => ({ diskName, samples: buffer.toArray() }));
    },
    intervalSeconds: () => deps.intervalMs / 1000,
    lastCpuUsage: () => lastCpuUsage,
    /** For readiness: when the sampler last succeeded (epoch ms), null before the first sample. */
    lastSampleAt: () => lastSampleAt,
  };
}

export type TelemetryService = ReturnType<typeof createTelemetryService>;
