/**
 * Compares a BaluHost SQLite database with a PostgreSQL one, table by table (row counts and content
 * hashes). Exit 0 when they match, 1 when they differ.
 *   npm run verify:migration -- --source data/baluhost.db --target postgres://baluhost@db/baluhost [--json]
 */
import { resolve } from 'node:path';
import { verifyMigration } from '../app/src/data-safety/index.js';
import { parseCli, runCli, UsageError } from './lib/cli.js';

const USAGE = 'usage: verify-migration --source <sqlite file> --target <postgres url> [--json]';

runCli(async () => {
  const args = parseCli(
    process.argv.slice(2),
    { source: { type: 'string' }, target: { type: 'string' }, json: { type: 'boolean' } },
    USAGE,
    ['source', 'target'],
  );
  if (!/^postgres(ql)?:\/\//.test(args.target as string)) throw new UsageError(`--target must be a postgres:// URL\n${USAGE}`);
  const results = await verifyMigration(resolve(args.source as string), args.target as string);
  if (args.json) console.log(JSON.stringify(results, null, 2));
  else
    for (const r of results)
      console.log(
        `${r.ok ? 'ok      ' : 'MISMATCH'} ${r.table.padEnd(20)} source ${r.source_rows} rows, target ${r.target_rows} rows${r.ok ? '' : `; keys ${r.sample_keys.join(', ')}`}`,
      );
  const bad = results.filter((r) => !r.ok);
  if (!args.json) console.log(bad.length ? `${bad.length} table(s) differ.` : 'All tables match.');
  return bad.length ? 1 : 0;
});
