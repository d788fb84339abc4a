import { execFileSync } from 'node:child_process';
import { projectServerProcesses } from './leftover-processes.js';
import { assertPostgresReachable } from './postgres.js';

/** The real tools the tests drive. A missing one fails the run here (never a silent skip); .ci/run installs them. */
const REQUIRED_TOOLS: [string, string][] = [
  ['nginx', 'nginx-light'],
  ['certbot', 'certbot'],
  ['pebble', 'pebble'],
  ['pebble-challtestsrv', 'pebble'],
  ['systemd-analyze', 'systemd'],
  ['systemd-tmpfiles', 'systemd'],
  ['logrotate', 'logrotate'],
  ['nft', 'nftables'],
  ['sshd', 'openssh-server'],
  ['openssl', 'openssl'],
  ['promtool', 'prometheus'],
  ['docker', 'docker.io'],
  ['dockerd', 'docker.io'],
  ['debootstrap', 'debootstrap'],
  ['docker-compose', 'docker-compose'],
  ['pgloader', 'pgloader'],
  ['sqlite3', 'sqlite3'],
];

export function assertToolsInstalled(): void {
  const path = `${process.env['PATH'] ?? ''}:/usr/sbin:/sbin`;
  const missing = REQUIRED_TOOLS.filter(([tool]) => {
    try {
      execFileSync('sh', ['-c', `command -v ${tool}`], { env: { PATH: path }, stdio: 'ignore' });
      return false;
    } catch {
      return true;
    }
  });
  if (missing.length) {
    throw new Error(
      `Missing tools the tests run for real: ${missing.map(([t]) => t).join(', ')}. Install them with: apt-get install -y ${[...new Set(missing.map(([, p]) => p))].join(' ')} (or run .ci/run, which does).`,
    );
  }
}

/** Postgres tests are never skipped: without a server the whole run fails here, saying how to start one. */
export default async function globalSetup(): Promise<() => void> {
  assertToolsInstalled();
  await assertPostgresReachable();
  const before = new Set(projectServerProcesses().map((p) => p.pid));
  // Every process a test starts is stopped when its file ends, pass or fail; one still running now
  // was leaked. It is killed, and the run fails naming it.
  return () => {
    const leaked = projectServerProcesses().filter((p) => !before.has(p.pid));
    for (const p of leaked) process.kill(p.pid, 'SIGKILL');
    if (leaked.length === 0) return;
    // vitest reports an error thrown here but keeps its exit code: set it, so `npm test` fails.
    process.exitCode = 1;
    throw new Error(`Tests left ${leaked.length} server process(es) running: ${leaked.map((p) => `${p.pid} ${p.command}`).join('; ')}`);
  };
}
