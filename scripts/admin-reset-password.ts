/**
 * For an admin locked out of the web UI, run on the NAS with the app's environment:
 *   npm run admin:reset-password -- --user NAME
 * Sets a new random password (printed once), signs out every session and lifts any lockout. It goes
 * through the same single-use reset token as the API and is audited as the host CLI.
 */
import { operatorCommand } from '../app/src/lib/operator-commands.js';
import { randomBytes } from 'node:crypto';
import { loadConfig } from '../app/src/config/index.js';
import { createDatabase, schemaStatus } from '../app/src/db/index.js';
import { createLogger } from '../app/src/logger.js';
import { createServices } from '../app/src/services/index.js';
import { parseCli, runCli, UsageError } from './lib/cli.js';

const USAGE = 'usage: admin-reset-password --user <username>';
const HOST_CLI = { ip: null, userAgent: 'admin-reset-password (host CLI)', requestId: 'host-cli' };

runCli(async () => {
  const args = parseCli(process.argv.slice(2), { user: { type: 'string' } }, USAGE, ['user']);
  const username = args.user as string;
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/.test(username)) throw new UsageError(`--user ${JSON.stringify(username)} is not a username`);
  const config = await loadConfig(process.env);
  const logger = createLogger({ logLevel: 'warn' });
  const database = createDatabase(config.database, logger);
  try {
    if (!(await schemaStatus(database.db, database.dialect)).current)
      throw new Error(`Database schema is not current; run ${operatorCommand('migrate')} first`);
    const services = createServices({ config, database, logger });
    const found = await services.repos.users.findCredentials(username);
    if (!found) throw new UsageError(`no user named ${username}`);
    const password = randomBytes(18).toString('base64url');
    const { token } = await services.auth.issueResetToken(HOST_CLI, null, found.user.id);
    await services.auth.redeemResetToken(HOST_CLI, token, password);
    console.log(`New password for ${found.user.username}: ${password}`);
    console.log('Every session of this account was signed out. Sign in and change the password now.');
    return 0;
  } finally {
    await database.destroy();
  }
});
