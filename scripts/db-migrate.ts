/**
 * npm run db:migrate   — apply every pending migration
 * npm run db:rollback  — revert the most recent one
 * tsx scripts/db-migrate.ts status — list applied / pending
 * Uses the same environment as the server (DATABASE_URL or the SQLite file in BALUHOST_DATA_DIR).
 */
import { parseConfig } from '../app/src/config/index.js';
import { createDatabase, migrateDown, migrateToLatest, schemaStatus } from '../app/src/db/index.js';

const ACTIONS = ['up', 'down', 'status'] as const;
type Action = (typeof ACTIONS)[number];

async function main(): Promise<void> {
  const action = process.argv[2];
  if (!ACTIONS.includes(action as Action))
    throw new Error(`usage: db-migrate <${ACTIONS.join('|')}> (got ${JSON.stringify(action ?? '')})`);
  const config = parseConfig(process.env);
  const database = createDatabase(config.database);
  try {
    if (action === 'up') {
      const applied = await migrateToLatest(database.db, database.dialect);
      console.log(applied.length ? `Applied: ${applied.join(', ')}` : 'Already up to date.');
    } else if (action === 'down') {
      const reverted = await migrateDown(database.db, database.dialect);
      console.log(reverted.length ? `Reverted: ${reverted.join(', ')}` : 'Nothing to revert.');
    } else {
      const status = await schemaStatus(database.db, database.dialect);
      console.log(JSON.stringify(status, null, 2));
    }
  } finally {
    await database.destroy();
  }
}

main().catch((err: unknown) => {
  const name = err instanceof Error ? err.name : 'Error';
  process.stderr.write(`ERROR (${name}): ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
