/**
 * Mutation testing of the code that protects data and access (tests/critical-modules.ts):
 *   npm run test:mutation [-- --module <path or part of it> ...] [--force]
 * Each module is mutated on its own and only its own tests run against each mutant. Incremental:
 * a rerun tests only mutants whose code or tests changed (--force retests everything). Prints the
 * score per module, the mutants still alive and the ones marked equivalent; exits 1 when a module
 * is below the floor.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { Stryker } from '@stryker-mutator/core';
import { CRITICAL_MODULES, CRITICAL_MUTATION_SCORE } from '../tests/critical-modules.js';
import { parseCli, runCli, UsageError } from './lib/cli.js';
import { formatScores, scoreModule, type ModuleScore } from './lib/mutation-report.js';

const USAGE = 'usage: test:mutation [--module <path or part of it>]... [--force]';

runCli(async () => {
  const argv = process.argv.slice(2);
  const args = parseCli(argv, { module: { type: 'string', multiple: true }, force: { type: 'boolean' } }, USAGE);
  const wanted = (args.module as unknown as string[] | undefined) ?? [];
  const modules = wanted.length ? CRITICAL_MODULES.filter((m) => wanted.some((w) => m.file.includes(w))) : CRITICAL_MODULES;
  const unknown = wanted.filter((w) => !CRITICAL_MODULES.some((m) => m.file.includes(w)));
  if (unknown.length) throw new UsageError(`--module ${unknown.join(', ')}: not a critical module (see tests/critical-modules.ts)`);

  await mkdir('reports/mutation', { recursive: true });
  const scores: ModuleScore[] = [];
  for (const module of modules) {
    const name = basename(module.file, '.ts');
    console.log(`\n== ${module.file}: ${module.tests.join(', ')}`);
    // Read by vitest.mutation.config.ts in Stryker's test-runner processes, which inherit it.
    process.env['BALUHOST_MUTATION_TEST_FILES'] = module.tests.join(',');
    const results = await new Stryker({
      configFile: 'stryker.config.mjs',
      mutate: [module.file],
      incrementalFile: `reports/mutation/${name}.incremental.json`,
      jsonReporter: { fileName: `reports/mutation/${name}.json` },
      force: Boolean(args.force),
    }).runMutationTest();
    scores.push(scoreModule(module.file, module.concern, results));
  }
  await writeFile('reports/mutation/summary.json', `${JSON.stringify(scores, null, 2)}\n`);
  console.log(`\n${formatScores(scores, CRITICAL_MUTATION_SCORE)}`);
  return scores.every((s) => s.score >= CRITICAL_MUTATION_SCORE) ? 0 : 1;
});
