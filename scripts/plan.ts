/**
 * Host-effects preview as Markdown (for a pull-request comment): unified diffs of every managed file
 * against what the NAS has now, image changes per slot, pending database migrations, slot switch.
 *   npm run plan -- --stack <name> [--identity <key>] > plan.md
 */
import { DATABASE_NETWORK } from '../stacks/components/database.js';
import { inactiveSlot } from '../stacks/components/app-release.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { currentRelease, planMarkdown, prepareWebClient, readHistory } from '../stacks/release/index.js';
import { pendingMigrationsScript } from '../stacks/release/release-host-commands.js';
import type { StackConfig } from '../stacks/config/index.js';
import { slotContainerName } from '../templates/index.js';
import { parseCli, runCli } from './lib/cli.js';
import { COMMON_OPTIONS, openRelease } from './lib/release-cli.js';

const USAGE = 'usage: plan --stack <name> [--identity <ssh key>] [--project <dir>]';

runCli(async () => {
  const args = parseCli(process.argv.slice(2), COMMON_OPTIONS, USAGE, ['stack']);
  const cli = await openRelease(args);
  try {
    const current = (currentRelease(await readHistory(cli.deps, cli.config))?.config as StackConfig | undefined) ?? null;
    const next = inactiveSlot(current?.app.activeSlot ?? cli.config.app.activeSlot);
    const image = cli.config.app.slotImages[next] ?? cli.config.app.image;
    let pendingMigrations: string[] | null = null;
    if (cli.config.app.runtime === 'docker' && image && current) {
      const status = await cli.deps.host.run(
        pendingMigrationsScript({ image, runningContainer: slotContainerName(current.app.activeSlot), network: DATABASE_NETWORK }),
      );
      if (status.code === 0) pendingMigrations = (JSON.parse(status.stdout) as { pending: string[] }).pending;
    }
    // The client as `pulumi up` would bundle it; a client that is no build stops the plan with the reason.
    const webClient = cli.config.webClient
      ? await prepareWebClient(cli.config.webClient, { projectDir: cli.project, workDir: join(tmpdir(), `baluhost-plan-${cli.stack}`) })
      : undefined;
    process.stdout.write(
      await planMarkdown(cli.deps.host, {
        stack: cli.stack,
        desired: cli.config,
        current,
        pendingMigrations,
        ...(webClient ? { webClient } : {}),
        ...(cli.deps.root ? { root: cli.deps.root } : {}),
      }),
    );
    return 0;
  } finally {
    cli.close();
  }
});
