/**
 * Creates a BaluHost SQLite database filled with test data through the app's repositories.
 *   npm run dev:generate-data -- --out /tmp/big.db [--users 50] [--files-per-user 40] [--links-per-user 5] [--audit-rows 100000] [--seed 42]
 */
import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { createDatabase, migrateToLatest } from '../../app/src/db/index.js';
import { generateDataset } from '../../app/src/data-safety/index.js';
import { createTransactionRunner } from '../../app/src/repositories/index.js';
import { parseCli, positiveInt, runCli, UsageError } from '../lib/cli.js';

const USAGE =
  'usage: generate-data --out <new sqlite file> [--users N] [--files-per-user N] [--links-per-user N] [--audit-rows N] [--seed N]';

runCli(async () => {
  const args = parseCli(
    process.argv.slice(2),
    {
      out: { type: 'string' },
      users: { type: 'string' },
      'files-per-user': { type: 'string' },
      'links-per-user': { type: 'string' },
      'audit-rows': { type: 'string' },
      seed: { type: 'string' },
    },
    USAGE,
    ['out'],
  );
  const out = resolve(args.out as string);
  if (
    await stat(out).then(
      () => true,
      () => false,
    )
  )
    throw new UsageError(`--out ${out} exists; the generator only creates new databases`);
  const size = {
    users: positiveInt(args.users, 'users', 50),
    filesPerUser: positiveInt(args['files-per-user'], 'files-per-user', 40),
    linksPerUser: positiveInt(args['links-per-user'], 'links-per-user', 5),
    auditRows: positiveInt(args['audit-rows'], 'audit-rows', 10_000),
  };
  const database = createDatabase({ kind: 'sqlite', file: out, busyTimeoutMs: 5000 });
  try {
    await migrateToLatest(database.db, 'sqlite');
    const summary = await generateDataset(createTransactionRunner(database.db), size, positiveInt(args.seed, 'seed', 42));
    console.log(`Created ${out}: ${JSON.stringify(summary)}`);
  } finally {
    await database.destroy();
  }
});
