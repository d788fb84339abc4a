/** Release scripts refuse bad arguments before they read a key, connect or change anything (exit 2). */
import { describe, expect, it } from 'vitest';
import { runScript } from '../helpers/scripts.js';

const CASES: [string, string, string[], RegExp][] = [
  ['deploy without an image', 'scripts/deploy.ts', ['--stack', 'dev'], /missing --image/],
  [
    'deploy with a bad image',
    'scripts/deploy.ts',
    ['--stack', 'dev', '--image', 'not an image'],
    /--image "not an image" is not an image reference/,
  ],
  ['deploy with a bad release id', 'scripts/deploy.ts', ['--stack', 'dev', '--image', 'a/b:1', '--release', '../x'], /--release/],
  [
    'deploy with a bad watch window',
    'scripts/deploy.ts',
    ['--stack', 'dev', '--image', 'a/b:1', '--watch-seconds', 'soon'],
    /--watch-seconds must be a positive whole number/,
  ],
  ['deploy with a hostile stack name', 'scripts/deploy.ts', ['--stack', '../../etc', '--image', 'a/b:1'], /--stack/],
  ['deploy with an unknown flag', 'scripts/deploy.ts', ['--stack', 'dev', '--image', 'a/b:1', '--force'], /Unknown option '--force'/],
  ['rollback --with-data without --yes', 'scripts/rollback.ts', ['--stack', 'dev', '--with-data'], /add --yes to confirm/],
  ['rollback to a bad release id', 'scripts/rollback.ts', ['--stack', 'dev', '--to', 'r1; rm -rf /'], /--to .* is not a release id/],
  ['probe with a bad limit', 'scripts/probe.ts', ['--stack', 'dev', '--min-cert-days', '-1'], /--min-cert-days/],
  ['promote to the same stack', 'scripts/promote.ts', ['--from', 'dev', '--to', 'dev'], /same stack/],
  ['plan without a stack', 'scripts/plan.ts', [], /missing --stack/],
  [
    'deploy with a missing SSH key',
    'scripts/deploy.ts',
    ['--stack', 'dev', '--image', 'a/b:1', '--identity', '/nonexistent/key'],
    /--identity \/nonexistent\/key: no such file/,
  ],
];

describe('release scripts refuse bad arguments', () => {
  it.each(CASES)('%s', async (_name, script, args, message) => {
    const run = await runScript(script, args);
    expect(run.stderr).toMatch(message);
    expect(run.stderr).toMatch(/^ERROR \(UsageError\)/);
    expect(run.code).toBe(2);
  });
});
