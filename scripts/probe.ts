/**
 * Read-only drift check: managed files vs the last release's manifest, served certificate expiry,
 * container states, backup age. Exit 0 when clean, 3 on drift; JSON on stdout for cron and CI.
 *   npm run probe -- --stack <name> [--identity <key>] [--min-cert-days N] [--max-backup-hours N]
 */
import { probeHost } from '../stacks/release/index.js';
import { parseCli, positiveInt, runCli } from './lib/cli.js';
import { COMMON_OPTIONS, openRelease } from './lib/release-cli.js';

const USAGE = 'usage: probe --stack <name> [--min-cert-days N] [--max-backup-hours N] [--identity <ssh key>] [--project <dir>]';
const DRIFT_EXIT = 3;

runCli(async () => {
  const args = parseCli(
    process.argv.slice(2),
    { ...COMMON_OPTIONS, 'min-cert-days': { type: 'string' }, 'max-backup-hours': { type: 'string' } },
    USAGE,
    ['stack'],
  );
  const limits = {
    minCertificateDays: positiveInt(args['min-cert-days'], 'min-cert-days', 14),
    maxBackupAgeHours: positiveInt(args['max-backup-hours'], 'max-backup-hours', 36),
  };
  const cli = await openRelease(args);
  try {
    const report = await probeHost(cli.deps, limits);
    console.log(JSON.stringify(report, null, 2));
    return report.ok ? 0 : DRIFT_EXIT;
  } finally {
    cli.close();
  }
});
