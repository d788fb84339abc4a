/** A real OpenSSH server on loopback standing in for the NAS (RECIPES.md), with a client key and the pinned host key. */
import { execFile, spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { SshTarget } from '../../stacks/remote/index.js';
import { freePorts } from './nginx.js';

const run = promisify(execFile);

export interface RunningSshd {
  target: SshTarget;
  dir: string;
  stop(): Promise<void>;
}

export async function startSshd(): Promise<RunningSshd> {
  const dir = await mkdtemp(join(tmpdir(), 'baluhost-sshd-'));
  const [port] = await freePorts(1);
  await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', '', '-f', join(dir, 'hostkey')]);
  await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', '', '-f', join(dir, 'client')]);
  await writeFile(join(dir, 'authorized_keys'), await readFile(join(dir, 'client.pub')), { mode: 0o600 });
  await mkdir('/run/sshd', { recursive: true });
  const config = join(dir, 'sshd_config');
  await writeFile(
    config,
    [
      `Port ${port}`,
      'ListenAddress 127.0.0.1',
      `HostKey ${join(dir, 'hostkey')}`,
      `PidFile ${join(dir, 'sshd.pid')}`,
      `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'UsePAM no',
      'StrictModes no',
      'PermitRootLogin prohibit-password',
      'MaxStartups 50:30:100',
      'MaxSessions 50',
      'Subsystem sftp internal-sftp',
      '',
    ].join('\n'),
  );
  await run('/usr/sbin/sshd', ['-t', '-f', config]);
  const child = spawn('/usr/sbin/sshd', ['-D', '-f', config, '-E', join(dir, 'sshd.log')], { stdio: 'ignore' });
  const hostKey = (await readFile(join(dir, 'hostkey.pub'), 'utf8')).trim();
  for (let i = 0; i < 50; i++) {
    const log = await readFile(join(dir, 'sshd.log'), 'utf8').catch(() => '');
    if (log.includes('Server listening')) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    dir,
    target: { host: '127.0.0.1', port: port as number, user: 'root', privateKey: await readFile(join(dir, 'client')), hostKey },
    async stop() {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
      await rm(dir, { recursive: true, force: true });
    },
  };
}
