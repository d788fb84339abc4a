import { assertPostgresReachable } from './postgres.js';

/** Postgres tests are never skipped: without a server the whole run fails here, saying how to start one. */
export default async function globalSetup(): Promise<void> {
  await assertPostgresReachable();
}
