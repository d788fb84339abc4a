import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { envSpec } from '../../app/src/config/index.js';
import { withConfigReference } from '../../scripts/lib/config-reference.js';

describe('README configuration reference', () => {
  it('matches the config schema (run `npm run docs:config` after changing it)', async () => {
    const readme = await readFile('README.md', 'utf8');
    expect(withConfigReference(readme)).toBe(readme);
  });

  it('lists every variable the server reads', async () => {
    const readme = await readFile('README.md', 'utf8');
    for (const name of Object.keys(envSpec)) expect(readme).toContain(`| \`${name}\` |`);
  });
});
