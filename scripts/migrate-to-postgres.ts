/**
 * Moves a BaluHost SQLite database to PostgreSQL, proving every row arrived.
 *   npm run migrate:postgres -- --source data/baluhost.db --target postgres://baluhost@db/baluhost [--resume] [--dry-run] [--work-dir DIR]
 * Put the password in PGPASSWORD rather than the URL to keep it out of `ps`.
 */
import { resolve } from 'node:path';
import { createProgressReporter, migrateSqliteToPostgres, VerificationError } from '../app/src/data-safety/index.js';
import { parseCli, runCli, UsageError } from './lib/cli.js';

const USAGE =
  'usage: migrate-to-postgres --source <sqlite file> --target <postgres url> [--resume] [--dry-run] [--work-dir <dir>] [--verbose]';

runCli(async () => {
  const args = parseCli(
    process.argv.slice(2),
    {
      source: { type: 'string' },
      target: { type: 'string' },
      resume: { type: 'boolean' },
      'dry-run': { type: 'boolean' },
      'work-dir': { type: 'string' },
    },
    USAGE,
    ['source', 'target'],
  );
  if (!/^postgres(ql)?:\/\//.test(args.target as string)) throw new UsageError(`--target must be a postgres:// URL\n${USAGE}`);
  const source = resolve(args.source as string);
  const progress = createProgressReporter();
  try {
    const report = await migrateSqliteToPostgres({
      source,
      target: args.target as string,
      workDir: resolve(args['work-dir'] ?? `${source}.migration`),
      resume: Boolean(args.resume),
      dryRun: Boolean(args['dry-run']),
      progress,
    });
    if (report.dry_run) {
      for (const p of report.plan) console.log(`  ${p.table.padEnd(20)} ${p.rows} rows`);
      console.log(`Dry run only: nothing was written. Target: ${report.target}`);
      return 0;
    }
    const rows = report.verification.reduce((n, v) => n + v.target_rows, 0);
    console.log(`\nVerified ${report.verification.length} tables, ${rows} rows: counts and content hashes match.`);
    console.log(`Source snapshot sha256 ${report.source.sha256}`);
    console.log(
      `Timings: snapshot ${report.timings.snapshot_s.toFixed(2)} s, copy ${report.timings.copy_s.toFixed(2)} s, verify ${report.timings.verify_s.toFixed(2)} s, total ${report.timings.total_s.toFixed(2)} s`,
    );
    console.log(`Report: ${resolve(args['work-dir'] ?? `${source}.migration`, 'migration-report.json')}`);
    console.log(`Next: set DATABASE_URL=${report.target} for BaluHost and restart it.`);
    return 0;
  } catch (err) {
    if (err instanceof VerificationError) {
      for (const f of err.failures)
        console.log(`MISMATCH ${f.table}: source ${f.source_rows} rows, target ${f.target_rows} rows; keys ${f.sample_keys.join(', ')}`);
    }
    throw err;
  }
});
