/** Parsers for Linux /proc text. Pure functions: tests feed them real-world samples. */

export interface CpuTimes {
  idle: number;
  total: number;
}

/** The aggregate "cpu" line of /proc/stat. */
export function parseProcStat(text: string): CpuTimes {
  const line = text.split('\n').find((l) => l.startsWith('cpu '));
  if (!line) throw new Error('/proc/stat: no aggregate cpu line');
  const values = line.trim().split(/\s+/).slice(1).map(Number);
  const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = values;
  return { idle: idle + iowait, total: user + nice + system + idle + iowait + irq + softirq + steal };
}

/** Busy share between two samples, in percent (0–100). */
export function cpuUsagePercent(before: CpuTimes, after: CpuTimes): number {
  const total = after.total - before.total;
  if (total <= 0) return 0;
  return Math.round(((total - (after.idle - before.idle)) / total) * 1000) / 10;
}

export interface MemInfo {
  total: number;
  free: number;
  available: number;
  used: number;
}

/** Bytes. "Used" is what applications hold: total minus MemAvailable (page cache is not "used"). */
export function parseMeminfo(text: string): MemInfo {
  const kb = (key: string): number => {
    const match = new RegExp(`^${key}:\\s+(\\d+)`, 'm').exec(text);
    return match ? Number(match[1]) * 1024 : 0;
  };
  const total = kb('MemTotal');
  const free = kb('MemFree');
  const available = kb('MemAvailable') || free;
  return { total, free, available, used: Math.max(0, total - available) };
}

export interface CpuInfo {
  model: string;
  cores: number;
  frequencyMhz: number | null;
}

export function parseCpuinfo(text: string): CpuInfo {
  const blocks = text.split(/\n\s*\n/).filter((b) => /^processor\s*:/m.test(b));
  const field = (block: string, key: string) => new RegExp(`^${key}\\s*:\\s*(.+)$`, 'm').exec(block)?.[1]?.trim();
  const first = blocks[0] ?? text;
  const model = field(first, 'model name') ?? field(first, 'Model') ?? field(first, 'Hardware') ?? 'unknown';
  const mhz = blocks.map((b) => Number(field(b, 'cpu MHz'))).filter((n) => Number.isFinite(n) && n > 0);
  return { model, cores: Math.max(1, blocks.length), frequencyMhz: mhz.length ? Math.round(Math.max(...mhz)) : null };
}

export function parseUptime(text: string): number {
  const seconds = Number(text.trim().split(/\s+/)[0]);
  if (!Number.isFinite(seconds)) throw new Error('/proc/uptime: unreadable');
  return Math.floor(seconds);
}

export interface NetTotals {
  rxBytes: number;
  txBytes: number;
}

/** Sum over every interface except loopback. */
export function parseNetDev(text: string): NetTotals {
  let rxBytes = 0;
  let txBytes = 0;
  for (const line of text.split('\n').slice(2)) {
    const match = /^\s*([^:]+):\s*(.*)$/.exec(line);
    if (!match || match[1]?.trim() === 'lo') continue;
    const fields = (match[2] ?? '').trim().split(/\s+/).map(Number);
    rxBytes += fields[0] ?? 0;
    txBytes += fields[8] ?? 0;
  }
  return { rxBytes, txBytes };
}

export interface Mount {
  device: string;
  mountPoint: string;
  fsType: string;
}

export function parseMounts(text: string): Mount[] {
  return text
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [device = '', mountPoint = '', fsType = ''] = line.split(' ');
      // /proc/mounts escapes spaces and other specials as octal.
      const unescape = (s: string) => s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
      return { device: unescape(device), mountPoint: unescape(mountPoint), fsType };
    });
}

/** The mount holding `path`: the longest mount point that is a prefix of it. */
export function mountFor(mounts: Mount[], path: string): Mount | undefined {
  return mounts
    .filter((m) => path === m.mountPoint || path.startsWith(m.mountPoint.endsWith('/') ? m.mountPoint : `${m.mountPoint}/`))
    .sort((a, b) => b.mountPoint.length - a.mountPoint.length)[0];
}

export interface RaidMember {
  name: string;
  slot: number;
  state: 'active' | 'faulty' | 'spare' | 'write-mostly' | 'replacement';
}

export interface RaidSync {
  operation: string;
  progress_percent: number | null;
  finish: string | null;
  speed: string | null;
}

export interface RaidArray {
  name: string;
  level: string | null;
  state: 'active' | 'inactive';
  status: 'clean' | 'degraded' | 'resyncing' | 'recovering' | 'reshaping' | 'checking' | 'inactive';
  read_only: boolean;
  blocks: number | null;
  devices: RaidMember[];
  total_devices: number | null;
  active_devices: number | null;
  member_status: string | null;
  sync: RaidSync | null;
}

const MEMBER_STATE: Record<string, RaidMember['state']> = { F: 'faulty', S: 'spare', W: 'write-mostly', R: 'replacement' };

/** Arrays from /proc/mdstat, including degraded, resyncing and inactive ones. */
export function parseMdstat(text: string): RaidArray[] {
  const arrays: RaidArray[] = [];
  let current: RaidArray | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.trimEnd();
    const head = /^(md\w+)\s*:\s*(active|inactive)(?:\s*\(([^)]+)\))?\s*(.*)$/.exec(line);
    if (head) {
      const [, name = '', state = 'inactive', flags = '', rest = ''] = head;
      const words = rest.split(/\s+/).filter(Boolean);
      const level = words[0] && !/\[\d+\]/.test(words[0]) ? (words.shift() as string) : null;
      const devices = words.map((w): RaidMember => {
        const m = /^(.+?)\[(\d+)\](?:\((\w)\))?$/.exec(w);
        return { name: m?.[1] ?? w, slot: Number(m?.[2] ?? -1), state: MEMBER_STATE[m?.[3] ?? ''] ?? 'active' };
      });
      current = {
        name,
        level,
        state: state as RaidArray['state'],
        status: state === 'inactive' ? 'inactive' : 'clean',
        read_only: /read-only/.test(flags),
        blocks: null,
        devices,
        total_devices: null,
        active_devices: null,
        member_status: null,
        sync: null,
      };
      arrays.push(current);
      continue;
    }
    if (!current || !/^\s/.test(raw)) {
      if (line.trim() === '') current = undefined;
      continue;
    }
    const blocks = /^\s*(\d+) blocks/.exec(line);
    if (blocks) current.blocks = Number(blocks[1]);
    const counts = /\[(\d+)\/(\d+)\]\s*\[([U_]+)\]/.exec(line);
    if (counts) {
      current.total_devices = Number(counts[1]);
      current.active_devices = Number(counts[2]);
      current.member_status = counts[3] ?? null;
      if (current.active_devices < current.total_devices && current.status === 'clean') current.status = 'degraded';
    }
    const sync = /(resync|recovery|reshape|check|repair)\s*=\s*([\d.]+)%(?:\s*\([^)]*\))?(?:\s*finish=(\S+))?(?:\s*speed=(\S+))?/.exec(
      line,
    );
    const pending = /(resync|recovery|reshape|check)\s*=\s*(DELAYED|PENDING)/.exec(line);
    if (sync || pending) {
      const operation = (sync?.[1] ?? pending?.[1]) as string;
      current.sync = { operation, progress_percent: sync ? Number(sync[2]) : null, finish: sync?.[3] ?? null, speed: sync?.[4] ?? null };
      current.status =
        operation === 'recovery' ? 'recovering' : operation === 'reshape' ? 'reshaping' : operation === 'resync' ? 'resyncing' : 'checking';
    }
  }
  return arrays;
}

export interface DiskCounters {
  name: string;
  reads: number;
  sectorsRead: number;
  msReading: number;
  writes: number;
  sectorsWritten: number;
  msWriting: number;
  msDoingIo: number;
}

// Whole physical disks by kernel name; partitions, loop, ram, dm and md devices are left out.
const WHOLE_DISK = /^(?:[shv]d[a-z]+|xvd[a-z]+|nvme\d+n\d+|mmcblk\d+)$/;

export const isWholeDisk = (name: string): boolean => WHOLE_DISK.test(name);

/** /proc/diskstats, whole disks only (fields per Documentation/admin-guide/iostats.rst). */
export function parseDiskstats(text: string): DiskCounters[] {
  const disks: DiskCounters[] = [];
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    const name = f[2];
    if (!name || !isWholeDisk(name) || f.length < 14) continue;
    const n = (i: number) => Number(f[i]) || 0;
    disks.push({
      name,
      reads: n(3),
      sectorsRead: n(5),
      msReading: n(6),
      writes: n(7),
      sectorsWritten: n(9),
      msWriting: n(10),
      msDoingIo: n(12),
    });
  }
  return disks;
}

export interface BlockDevice {
  name: string;
  sizeBytes: number;
}

/** /proc/partitions: every block device with its size (the file counts 1 KiB blocks). */
export function parsePartitions(text: string): BlockDevice[] {
  return text
    .split('\n')
    .slice(2)
    .map((line) => line.trim().split(/\s+/))
    .filter((f) => f.length === 4 && f[3])
    .map((f) => ({ name: f[3] as string, sizeBytes: Number(f[2]) * 1024 }));
}

/** The partitions of a whole disk: `sda1` of `sda`, `nvme0n1p2` of `nvme0n1`. */
export function partitionsOf(disk: string, devices: BlockDevice[]): string[] {
  const pattern = new RegExp(`^${disk}${/\d$/.test(disk) ? 'p' : ''}\\d+$`);
  return devices.filter((d) => pattern.test(d.name)).map((d) => d.name);
}
