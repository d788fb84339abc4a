/**
 * Back to an earlier release: an instant nginx flip when the other slot still runs it; otherwise its
 * config, host files (byte for byte) and images, and with --with-data its pre-deploy database backup.
 *   npm run rollback -- --stack <name> [--to <release>] [--with-data --yes] [--identity <key>]
 */
import { rollbackRelease } from '../stacks/release/index.js';
import { parseCli, runCli, UsageError } from './lib/cli.js';
import { COMMON_OPTIONS, openRelease } from './lib/release-cli.js';

const USAGE = 'usage: rollback --stack <name> [--to <release>] [--with-data --yes] [--identity <ssh key>] [--project <dir>]';

runCli(async () => {
  const args = parseCli(process.argv.slice(2), { ...COMMON_OPTIONS, to: { type: 'string' }, 'with-data': { type: 'boolean' } }, USAGE, [
    'stack',
  ]);
  if (args.to !== undefined && !/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(args.to))
    throw new UsageError(`--to ${JSON.stringify(args.to)} is not a release id`);
  if (args['with-data'] && !args.yes)
    throw new UsageError("--with-data replaces the database with the release's pre-deploy backup: add --yes to confirm");
  const cli = await openRelease(args);
  try {
    const result = await rollbackRelease(
      { ...(args.to ? { to: args.to } : {}), withData: Boolean(args['with-data']), confirmed: Boolean(args.yes) },
      cli.deps,
    );
    console.log(JSON.stringify(result));
    return 0;
  } finally {
    cli.close();
  }
});
