import { spawn } from 'node:child_process';
import { resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '../..');

export interface ScriptRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs a script entry point as an operator would. `killWhen` sends SIGKILL as soon as the combined
 * output matches it (to interrupt a run at a chosen point).
 */
export function runScript(
  script: string,
  args: string[],
  options: { env?: Record<string, string>; killWhen?: RegExp; input?: string } = {},
): Promise<ScriptRun> {
  return new Promise((done) => {
    // One process (not the tsx wrapper, which forks): SIGKILL must hit the process doing the work.
    const child = spawn(process.execPath, ['--import', 'tsx', resolve(ROOT, script), ...args], {
      cwd: ROOT,
      env: { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '/root', ...options.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let killed = false;
    const check = () => {
      if (options.killWhen && !killed && options.killWhen.test(stdout + stderr)) {
        killed = true;
        child.kill('SIGKILL');
      }
    };
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      check();
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      check();
    });
    if (options.input !== undefined) child.stdin.end(options.input);
    else child.stdin.end();
    child.on('exit', (code, signal) => done({ code, signal, stdout, stderr }));
  });
}
