/**
 * npm run files:reconcile — recomputes file metadata and every user's quota usage from what is on
 * disk. Safe to run while BaluHost serves requests; prints a summary and what it skipped.
 */
import { operatorCommand } from '../app/src/lib/operator-commands.js';
import { parseConfig } from '../app/src/config/index.js';
import { createDatabase, schemaStatus } from '../app/src/db/index.js';
import { createLogger } from '../app/src/logger.js';
import { createRepositories, createStorage, systemClock } from '../app/src/repositories/index.js';
import { createFileAccess } from '../app/src/services/files.service.js';
import { createReconcileService } from '../app/src/services/reconcile.service.js';

async function main(): Promise<void> {
  if (process.argv.length > 2) throw new Error(`usage: files-reconcile (takes no arguments; got ${process.argv.slice(2).join(' ')})`);
  const config = parseConfig(process.env);
  const logger = createLogger({ logLevel: 'warn' });
  const database = createDatabase(config.database, logger);
  try {
    const status = await schemaStatus(database.db, database.dialect);
    if (!status.current) throw new Error(`Database schema is not current; run ${operatorCommand('migrate')} first`);
    const repos = createRepositories(database.db);
    const storage = createStorage(config.storageRoot);
    const access = createFileAccess({ repos, storage, clock: systemClock });
    const report = await createReconcileService({ repos, storage, access, clock: systemClock, logger }).reconcile();
    for (const u of report.usage.filter((x) => x.before !== x.after)) console.log(`${u.username}: ${u.before} → ${u.after} bytes`);
    for (const s of report.skipped) console.log(`skipped ${s}`);
    console.log(`Reconciled ${report.users} user(s): ${report.added} added, ${report.removed} removed, ${report.updated} updated.`);
  } finally {
    await database.destroy();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`ERROR (${err instanceof Error ? err.name : 'Error'}): ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
