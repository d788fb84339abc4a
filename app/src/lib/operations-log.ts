import { appendFile, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { hostname, userInfo } from 'node:os';

export interface OperationRecord {
  action: string;
  outcome: 'started' | 'succeeded' | 'failed';
  release: string;
  details?: Record<string, unknown>;
}

/** Appends one JSON line (who, what, which release, how it ended) to the host's operations log. */
export async function appendOperation(file: string, record: OperationRecord): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  const line = { at: new Date().toISOString(), user: userInfo().username, host: hostname(), ...record };
  await appendFile(file, `${JSON.stringify(line)}\n`, { mode: 0o640 });
}
