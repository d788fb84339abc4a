/**
 * Promotes what was tested on one stack to another: the source's serving image digest and app
 * settings go into the target's config (shown first), then a normal deploy runs on --yes.
 *   npm run promote -- --from dev --to prod [--yes] [--identity <key>]
 */
import { loadStackConfig } from '../stacks/config/index.js';
import { editStackFile } from '../stacks/config/stack-file-edit.js';
import { inactiveSlot } from '../stacks/components/app-release.js';
import { deployRelease } from '../stacks/release/index.js';
import { planPromotion } from '../stacks/release/promotion.js';
import { stackOutputs } from '../stacks/release/pulumi-stack-driver.js';
import { parseCli, runCli, UsageError } from './lib/cli.js';
import { checkStackName, openRelease } from './lib/release-cli.js';

const USAGE = 'usage: promote --from <stack> --to <stack> [--yes] [--identity <ssh key>] [--project <dir>]';

runCli(async () => {
  const args = parseCli(
    process.argv.slice(2),
    {
      from: { type: 'string' },
      to: { type: 'string' },
      yes: { type: 'boolean' },
      identity: { type: 'string' },
      project: { type: 'string' },
    },
    USAGE,
    ['from', 'to'],
  );
  const from = checkStackName(args.from as string);
  const to = checkStackName(args.to as string);
  if (from === to) throw new UsageError('--from and --to name the same stack');
  const project = args.project ?? '.';
  const source = await loadStackConfig(project, from);
  const target = await loadStackConfig(project, to);
  const promotion = planPromotion({ config: source.config, outputs: await stackOutputs(project, from) }, target.config);
  console.log(`Promote ${from} → ${to}:\n${promotion.summary.map((l) => `  ${l}`).join('\n')}`);
  if (!args.yes) {
    console.log('Nothing changed. Run again with --yes to write this into the target stack and deploy it.');
    return 0;
  }
  await editStackFile(project, to, [{ path: ['app', 'env'], value: promotion.env }]);
  const cli = await openRelease({ stack: to, project, ...(args.identity ? { identity: args.identity } : {}) });
  try {
    const result = await deployRelease({ image: promotion.image, release: `promote-${from}-${Date.now()}` }, cli.deps);
    console.log(`${JSON.stringify(result)}\n(the image went to the ${inactiveSlot(target.config.app.activeSlot)} slot of ${to})`);
    return result.outcome === 'succeeded' ? 0 : 1;
  } finally {
    cli.close();
  }
});
