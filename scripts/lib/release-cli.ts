/** What every release script shares: its flags, checked before anything runs, and the deps it builds. */
import { readFile } from 'node:fs/promises';
import { homedir, userInfo } from 'node:os';
import { join, resolve } from 'node:path';
import { $ } from 'zx';
import { loadStackConfig, type StackConfig } from '../../stacks/config/index.js';
import { SshSession, type SshCredentials } from '../../stacks/remote/index.js';
import { DEFAULT_MIN_FREE_KIB, DEFAULT_TIMINGS, type ReleaseDeps, type StackDriver } from '../../stacks/release/index.js';
import { dockerSlotCommands } from '../../stacks/release/docker-slot-commands.js';
import { pulumiStackDriver } from '../../stacks/release/pulumi-stack-driver.js';
import { UsageError, positiveInt } from './cli.js';

export const COMMON_OPTIONS = {
  stack: { type: 'string' },
  project: { type: 'string' },
  identity: { type: 'string' },
  root: { type: 'string' },
  yes: { type: 'boolean' },
} as const;

export interface ReleaseCli {
  stack: string;
  project: string;
  config: StackConfig;
  deps: ReleaseDeps;
  close(): void;
}

export function checkStackName(stack: string): string {
  if (!/^[A-Za-z0-9_.-]+$/.test(stack)) throw new UsageError(`--stack ${JSON.stringify(stack)}: letters, digits, '.', '_' and '-' only`);
  return stack;
}

/** Loads and validates the stack, reads the SSH key, and only then connects (pinned host key). */
export async function openRelease(
  args: { stack?: string; project?: string; identity?: string; root?: string; 'watch-seconds'?: string; 'gate-successes'?: string },
  driver?: StackDriver,
): Promise<ReleaseCli> {
  const stack = checkStackName(args.stack as string);
  const project = resolve(args.project ?? '.');
  const timings = {
    ...DEFAULT_TIMINGS,
    watchSeconds: positiveInt(args['watch-seconds'], 'watch-seconds', DEFAULT_TIMINGS.watchSeconds),
    gateSuccesses: positiveInt(args['gate-successes'], 'gate-successes', DEFAULT_TIMINGS.gateSuccesses),
  };
  const { config } = await loadStackConfig(project, stack);
  const credentials = await sshCredentials(args.identity, process.env);
  const session = await SshSession.open({
    host: config.host.address,
    port: config.host.sshPort,
    user: config.host.sshUser,
    ...credentials,
    hostKey: config.host.hostKey,
  });
  const gitCommit: string = (await $({ quiet: true, nothrow: true, cwd: project })`git rev-parse --short HEAD`).stdout.trim();
  return {
    stack,
    project,
    config,
    deps: {
      host: { run: (command, stdin) => session.run(command, { stdin }), options: { sudo: config.host.sshUser !== 'root' } },
      stack: driver ?? pulumiStackDriver(project, stack, (line) => console.log(line)),
      slots: dockerSlotCommands,
      timings,
      minFreeKiB: DEFAULT_MIN_FREE_KIB,
      who: userInfo().username,
      ...(gitCommit ? { gitCommit } : {}),
      ...(args.root ? { root: resolve(args.root) } : {}),
      log: (line) => console.log(line),
    },
    close: () => session.close(),
  };
}

/**
 * The operator's SSH identity: `--identity <key file>` when given, else the ssh-agent at
 * `SSH_AUTH_SOCK` (as the deployment guide sets up), else `~/.ssh/id_ed25519`.
 */
export async function sshCredentials(identity: string | undefined, env: NodeJS.ProcessEnv): Promise<SshCredentials> {
  const agent = env['SSH_AUTH_SOCK'];
  if (identity === undefined && agent) return { agent };
  const file = identity ?? join(env['HOME'] ?? homedir(), '.ssh', 'id_ed25519');
  const privateKey = await readFile(file).catch((err: NodeJS.ErrnoException) => {
    const why = err.code === 'ENOENT' ? 'no such file' : err.message;
    throw new UsageError(
      identity === undefined
        ? `no SSH identity: SSH_AUTH_SOCK is not set (no ssh-agent) and ${file}: ${why}; load your key with ssh-add or pass --identity <key file>`
        : `--identity ${file}: ${why}`,
    );
  });
  return { privateKey };
}
