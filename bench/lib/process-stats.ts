import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';

export interface Measured {
  code: number | null;
  seconds: number;
  peakRssMiB: number;
  stdout: string;
  stderr: string;
}

async function rssKiB(pid: number): Promise<number> {
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    return Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0);
  } catch {
    return 0;
  }
}

/** Runs a command, timing it and sampling its peak RSS (VmHWM) until it exits. */
export function measure(argv: string[], options: { env?: Record<string, string>; shell?: boolean } = {}): Promise<Measured> {
  return new Promise((done) => {
    const started = process.hrtime.bigint();
    const child = options.shell
      ? spawn('/bin/sh', ['-c', argv.join(' ')], { env: { ...process.env, ...options.env } })
      : spawn(argv[0] as string, argv.slice(1), { env: { ...process.env, ...options.env } });
    let peak = 0;
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setInterval(() => {
      void rssKiB(child.pid as number).then((kib) => (peak = Math.max(peak, kib)));
    }, 50);
    child.on('exit', (code) => {
      clearInterval(timer);
      done({ code, seconds: Number(process.hrtime.bigint() - started) / 1e9, peakRssMiB: Math.round(peak / 102.4) / 10, stdout, stderr });
    });
  });
}
