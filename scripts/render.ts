/**
 * Renders every host file of a stack, exactly as `pulumi up` would push it.
 *   npm run render -- --stack <name> [--out <dir>] [--against <previous render dir>]
 * Without --out: prints the manifest (path, mode, owner, sha256). --against: also prints unified diffs.
 * Invalid stack config: every bad key is listed and nothing is written.
 */
import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { loadStackConfig } from '../stacks/config/index.js';
import { manifestHash, manifestOf, renderHostFiles } from '../templates/index.js';
import { diffFiles, formatManifest, readRendered, writeRendered } from '../templates/rendered-output.js';
import { parseCli, runCli, UsageError } from './lib/cli.js';

const USAGE = 'usage: render --stack <name> [--out <dir>] [--against <dir>] [--project <dir>]';

runCli(async () => {
  const args = parseCli(
    process.argv.slice(2),
    { stack: { type: 'string' }, out: { type: 'string' }, against: { type: 'string' }, project: { type: 'string' } },
    USAGE,
    ['stack'],
  );
  const stack = args.stack as string;
  if (args.out !== undefined) {
    const existing = await stat(args.out).catch(() => null);
    if (existing && !existing.isDirectory()) throw new UsageError(`--out ${args.out}: exists and is not a folder`);
  }
  const previous = args.against === undefined ? null : await readRendered(resolve(args.against));
  const { config } = await loadStackConfig(resolve(args.project ?? '.'), stack);
  const files = renderHostFiles(config);

  if (args.out !== undefined) {
    const manifest = await writeRendered(resolve(args.out), stack, files);
    console.log(`Rendered ${files.length} files for stack ${stack} into ${resolve(args.out)} (manifest sha256 ${manifest.hash}).`);
  } else {
    console.log(formatManifest({ stack, hash: manifestHash(manifestOf(files)), files: manifestOf(files) }));
  }
  if (previous) {
    const changes = diffFiles(previous.files, files);
    console.log(
      changes.length === 0 ? `\nNo changes against ${args.against}.` : `\n${changes.length} file(s) differ from ${args.against}:\n`,
    );
    for (const change of changes) process.stdout.write(change.diff);
  }
  return 0;
});
