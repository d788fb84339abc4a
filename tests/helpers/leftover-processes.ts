import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '../..');
/** Entry points tests start as processes of their own. */
const ENTRY_POINTS = ['app/src/server.ts', 'bench/lib/hello.ts'];

export interface ProjectProcess {
  pid: number;
  command: string;
}

/** Server processes of this checkout now running (read from /proc: cwd or arguments inside the repository). */
export function projectServerProcesses(): ProjectProcess[] {
  const found: ProjectProcess[] = [];
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    try {
      const command = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
      if (!ENTRY_POINTS.some((e) => command.includes(e))) continue;
      const cwd = readlinkSync(`/proc/${pid}/cwd`);
      if (cwd === ROOT || command.includes(ROOT)) found.push({ pid, command });
    } catch {
      // The process ended while we looked.
    }
  }
  return found;
}
