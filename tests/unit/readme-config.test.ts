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

describe('README command table', () => {
  it('names every npm script an operator or developer can run', async () => {
    const readme = await readFile('README.md', 'utf8');
    const table = readme.slice(readme.indexOf('| Command | What it does |'), readme.indexOf('## Configuration'));
    const scripts = Object.keys((JSON.parse(await readFile('package.json', 'utf8')) as { scripts: Record<string, string> }).scripts);
    const named = (script: string) =>
      table.includes(`npm run ${script}`) ||
      table.includes(`\`${script}\``) ||
      (script === 'start' && table.includes('`npm start`')) ||
      (script === 'test' && table.includes('`npm test`'));
    expect(scripts.filter((s) => !named(s))).toEqual([]);
  });
});
