import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Reads the host's /proc (or a folder of samples in tests). */
export function createProcReader(procRoot: string) {
  return {
    read: (name: string) => readFile(join(procRoot, name), 'utf8'),
    async readOptional(name: string): Promise<string | null> {
      try {
        return await readFile(join(procRoot, name), 'utf8');
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
        throw err;
      }
    },
  };
}

export type ProcReader = ReturnType<typeof createProcReader>;

export type SmartReport = { available: true; devices: { name: string; json: unknown }[] } | { available: false; reason: string };

/** smartctl's JSON output when smartmontools is installed; an explicit "unavailable" otherwise. */
export function createSmartReader(binary = 'smartctl') {
  return {
    async report(): Promise<SmartReport> {
      let scan: { devices?: { name: string }[] };
      try {
        const { stdout } = await run(binary, ['--scan', '--json'], { timeout: 10_000 });
        scan = JSON.parse(stdout) as typeof scan;
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        return {
          available: false,
          reason:
            code === 'ENOENT' ? 'smartctl is not installed (package smartmontools)' : `smartctl --scan failed: ${(err as Error).message}`,
        };
      }
      const devices = await Promise.all(
        (scan.devices ?? []).map(async (d) => {
          try {
            const { stdout } = await run(binary, ['--all', '--json', d.name], { timeout: 20_000 });
            return { name: d.name, json: JSON.parse(stdout) as unknown };
          } catch (err) {
            // smartctl exits non-zero for disks with warnings but still prints JSON on stdout.
            const stdout = (err as { stdout?: string }).stdout;
            if (stdout) {
              try {
                return { name: d.name, json: JSON.parse(stdout) as unknown };
              } catch {
                // fall through
              }
            }
            return { name: d.name, json: { error: (err as Error).message } };
          }
        }),
      );
      return { available: true, devices };
    },
  };
}

export type SmartReader = ReturnType<typeof createSmartReader>;
