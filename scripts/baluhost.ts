#!/usr/bin/env node
/**
 * The `baluhost` command of a build (on PATH in the image): one entry point for the server and
 * every admin task, so a one-off container is `docker run --rm … IMAGE baluhost migrate`.
 *   baluhost [serve]                 run the API (the image's default)
 *   baluhost migrate [up|down|status]
 *   baluhost backup [--out-dir DIR] …        (npm run backup:database)
 *   baluhost restore --backup FILE [--yes] … (npm run restore:database)
 *   baluhost reset-password --user NAME      (npm run admin:reset-password)
 *   baluhost reconcile …                     (npm run files:reconcile)
 *   baluhost health                  exit 0 when this container's API answers /api/health (HEALTHCHECK)
 */
const TASKS: Record<string, { module: string; args?: (rest: string[]) => string[] }> = {
  serve: { module: '../app/src/server.js' },
  migrate: { module: './db-migrate.js', args: (rest) => (rest.length ? rest : ['up']) },
  backup: { module: './backup-database.js' },
  restore: { module: './restore-database.js' },
  'reset-password': { module: './admin-reset-password.js' },
  reconcile: { module: './files-reconcile.js' },
};

const USAGE = `usage: baluhost <${[...Object.keys(TASKS), 'health'].join('|')}> [options]`;

async function health(): Promise<number> {
  const port = process.env['PORT'] ?? '8000';
  try {
    const response = await fetch(`http://127.0.0.1:${port}/api/health`, { signal: AbortSignal.timeout(4000) });
    return response.ok ? 0 : 1;
  } catch {
    return 1;
  }
}

async function main(): Promise<void> {
  const [task = 'serve', ...rest] = process.argv.slice(2);
  if (task === 'health') {
    process.exitCode = await health();
    return;
  }
  if (task === '--help' || task === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const entry = TASKS[task];
  if (!entry) {
    process.stderr.write(`ERROR (UsageError): unknown task ${JSON.stringify(task)}\n${USAGE}\n`);
    process.exitCode = 2;
    return;
  }
  // Each task is the script an npm command runs; it reads its own arguments from argv.
  process.argv = [process.argv[0] as string, entry.module, ...(entry.args ? entry.args(rest) : rest)];
  await import(entry.module);
}

await main();
