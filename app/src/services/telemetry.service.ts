import type { Logger } from 'pino';
import { cpuUsagePercent, parseMeminfo, parseNetDev, parseProcStat, type CpuTimes, type NetTotals } from '../lib/proc-parsers.js';
import type { Clock } from '../repositories/index.js';
import type { ProcReader } from '../repositories/system-probe.js';

export interface TelemetryHistory {
  cpu: { timestamp: string; usage: number }[];
  memory: { timestamp: string; used: number; total: number; percent: number }[];
  network: { timestamp: string; downloadMbps: number; uploadMbps: number }[];
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
  let previous: { cpu: CpuTimes; net: NetTotals; at: number } | undefined;
  let timer: NodeJS.Timeout | undefined;
  let lastSampleAt: number | null = null;
  let lastCpuUsage: number | null = null;

  async function sample(): Promise<void> {
    const now = deps.clock.now();
    const [stat, meminfo, netdev] = await Promise.all([
      deps.proc.read('stat'),
      deps.proc.read('meminfo'),
      deps.proc.readOptional('net/dev'),
    ]);
    const cpu = parseProcStat(stat);
    const mem = parseMeminfo(meminfo);
    const net = netdev ? parseNetDev(netdev) : { rxBytes: 0, txBytes: 0 };
    const timestamp = now.toISOString();
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
      }
    }
    previous = { cpu, net, at: now.getTime() };
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
    lastCpuUsage: () => lastCpuUsage,
    /** For readiness: when the sampler last succeeded (epoch ms), null before the first sample. */
    lastSampleAt: () => lastSampleAt,
  };
}

export type TelemetryService = ReturnType<typeof createTelemetryService>;
