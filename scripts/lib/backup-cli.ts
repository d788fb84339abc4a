import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Config } from '../../app/src/config/index.js';
import { UsageError } from './cli.js';

/** Where destructive operations take their lock and write their audit lines on this host. */
export function opsPaths(config: Config): { lock: string; log: string } {
  return { lock: join(config.dataDir, '.baluhost-ops.lock'), log: join(config.dataDir, 'operations.log') };
}

/** A passphrase from a file (never from argv, where `ps` would show it). */
export async function readPassphrase(file: string | undefined): Promise<string | null> {
  if (file === undefined) return null;
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new UsageError(
      `--passphrase-file ${file}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`,
    );
  }
  const passphrase = text.replace(/\r?\n$/, '');
  if (passphrase.length < 12) throw new UsageError(`--passphrase-file ${file}: the passphrase must be at least 12 characters`);
  return passphrase;
}

export async function requireFile(path: string, flag: string): Promise<void> {
  const s = await stat(path).catch(() => null);
  if (!s?.isFile()) throw new UsageError(`${flag} ${path}: no such file`);
}
