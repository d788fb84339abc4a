/** npm run docs:config — regenerates the configuration table in README.md from the config schema. */
import { readFile, writeFile } from 'node:fs/promises';
import { withConfigReference } from './lib/config-reference.js';

const readme = await readFile('README.md', 'utf8');
await writeFile('README.md', withConfigReference(readme));
console.log('README.md configuration reference updated.');
