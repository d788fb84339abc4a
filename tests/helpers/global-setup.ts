import { execFileSync } from 'node:child_process';
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
export default async function globalSetup(): Promise<void> {
  assertToolsInstalled();
  await assertPostgresReachable();
}
