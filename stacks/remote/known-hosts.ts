/** The pinned host key as an OpenSSH known_hosts file, for the Docker provider's `ssh` (StrictHostKeyChecking=yes). */
import { mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export function knownHostsLine(address: string, port: number, hostKey: string): string {
  const [type, key] = hostKey.split(' ');
  return `${port === 22 ? address : `[${address}]:${port}`} ${type} ${key}\n`;
}

/** ssh options that refuse any host key but the pinned one and never fall back to other keys or prompts. */
export function dockerSshOptions(knownHostsFile: string): string[] {
  return [
    '-o',
    'StrictHostKeyChecking=yes',
    '-o',
    `UserKnownHostsFile=${knownHostsFile}`,
    '-o',
    'BatchMode=yes',
    '-o',
    'ConnectTimeout=15',
  ];
}

export function writeKnownHostsFile(stack: string, line: string): string {
  const dir = join(tmpdir(), 'baluhost-known-hosts');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = join(dir, `${stack.replace(/[^A-Za-z0-9_.-]/g, '_')}`);
  writeFileSync(file, line, { mode: 0o600 });
  return file;
}
