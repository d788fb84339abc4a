/**
 * Runs remote scripts over SSH with the NAS's host key pinned (any other key: refused before
 * authentication). A session keeps one connection for many commands, so a release pays the SSH
 * handshake once. Pulumi's own commands go through @pulumi/command with the same pinned key.
 */
import { Client } from 'ssh2';

/** How the operator proves who they are: a key file's bytes, or the ssh-agent behind a socket. */
export type SshCredentials = { privateKey: string | Buffer } | { agent: string };

export type SshTarget = SshCredentials & {
  host: string;
  port: number;
  user: string;
  /** `ssh-ed25519 AAAA…` as in the stack config. */
  hostKey: string;
};

export interface RemoteResult {
  code: number;
  stdout: string;
  stderr: string;
}

export class HostKeyMismatchError extends Error {
  constructor(host: string) {
    super(
      `SSH host key of ${host} does not match the pinned baluhost:host.hostKey; refusing to connect (if the NAS was reinstalled, update the key from ssh-keyscan)`,
    );
    this.name = 'HostKeyMismatchError';
  }
}

export class SshSession {
  private constructor(
    private readonly client: Client,
    private readonly target: SshTarget,
  ) {}

  static open(target: SshTarget, timeoutMs = 20_000): Promise<SshSession> {
    const pinned = Buffer.from(target.hostKey.split(' ')[1] ?? '', 'base64');
    return new Promise((resolve, reject) => {
      const client = new Client();
      let mismatch = false;
      client
        .once('ready', () => resolve(new SshSession(client, target)))
        .once('error', (err) =>
          reject(
            mismatch
              ? new HostKeyMismatchError(target.host)
              : new Error(`ssh ${target.user}@${target.host}:${target.port}: ${err.message}`),
          ),
        )
        .connect({
          host: target.host,
          port: target.port,
          username: target.user,
          ...('agent' in target ? { agent: target.agent } : { privateKey: target.privateKey }),
          readyTimeout: timeoutMs,
          keepaliveInterval: 10_000,
          hostVerifier: (key: Buffer) => {
            mismatch = !key.equals(pinned);
            return !mismatch;
          },
        });
    });
  }

  run(command: string, options: { stdin?: string; timeoutMs?: number } = {}): Promise<RemoteResult> {
    const timeoutMs = options.timeoutMs ?? 600_000;
    return new Promise((resolve, reject) => {
      this.client.exec(command, (err, stream) => {
        if (err) {
          reject(new Error(`ssh ${this.target.host}: ${err.message}`));
          return;
        }
        let stdout = '';
        let stderr = '';
        const timer = setTimeout(() => {
          stream.close();
          reject(new Error(`ssh ${this.target.host}: command still running after ${timeoutMs} ms`));
        }, timeoutMs);
        stream.on('data', (d: Buffer) => (stdout += d.toString()));
        stream.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
        stream.on('close', (code: number | null) => {
          clearTimeout(timer);
          resolve({ code: code ?? 255, stdout, stderr });
        });
        stream.end(options.stdin ?? '');
      });
    });
  }

  close(): void {
    this.client.end();
  }
}

/** One command on a connection of its own. */
export async function runRemote(
  target: SshTarget,
  command: string,
  options: { stdin?: string; timeoutMs?: number } = {},
): Promise<RemoteResult> {
  const session = await SshSession.open(target);
  try {
    return await session.run(command, options);
  } finally {
    session.close();
  }
}
