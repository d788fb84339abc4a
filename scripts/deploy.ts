/**
 * One-command release with a health-gated blue/green switch and automatic rollback.
 *   npm run deploy -- --stack <name> --image <ref@sha256:…> [--release <id>] [--watch-seconds N] [--gate-successes N] [--identity <key>]
 */
import { IMAGE_REF } from '../stacks/config/stack-config.schema.js';
import { deployRelease } from '../stacks/release/index.js';
import { parseCli, runCli, UsageError } from './lib/cli.js';
import { COMMON_OPTIONS, openRelease } from './lib/release-cli.js';

const USAGE =
  'usage: deploy --stack <name> --image <ref> [--release <id>] [--watch-seconds N] [--gate-successes N] [--identity <ssh key>] [--project <dir>]';

runCli(async () => {
  const args = parseCli(
    process.argv.slice(2),
    {
      ...COMMON_OPTIONS,
      image: { type: 'string' },
      release: { type: 'string' },
      'watch-seconds': { type: 'string' },
      'gate-successes': { type: 'string' },
    },
    USAGE,
    ['stack', 'image'],
  );
  const image = args.image as string;
  if (!new RegExp(IMAGE_REF).test(image)) throw new UsageError(`--image ${JSON.stringify(image)} is not an image reference`);
  const release = args.release ?? `r${new Date().toISOString().replace(/[-:]/g, '').replace(/\..*$/, '')}`;
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(release))
    throw new UsageError(`--release ${JSON.stringify(release)}: letters, digits, '.', '_' and '-' (at most 64)`);
  const cli = await openRelease(args);
  try {
    const result = await deployRelease({ image, release }, cli.deps);
    console.log(JSON.stringify(result));
    return result.outcome === 'succeeded' ? 0 : 1;
  } finally {
    cli.close();
  }
});
