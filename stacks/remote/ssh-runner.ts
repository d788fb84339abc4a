/**
 * Runs a remote script over SSH with the NAS's host key pinned (any other key: refused before
 * authentication). Used by the release scripts; Pulumi's own commands go through @pulumi/command
 * with the same pinned key.
 */
import { Client } from 'ssh2';

export interface SshTarget {
  host: string;
  port: number;
  user: string;
  privateKey: string | Buffer;
  /** `ssh-ed25519 AAAA…` as in the stack config. */
  hostKey: string;
}

export interface RemoteResult {
  code: number;
  stdout: string;
  stderr: string;
}

export class HostKeyMismatchError extends Error {
  constructor(host: string) {
    super(`SSH host key of ${host} does not match the pinned baluhost:host.hostKey; refusing to connect (if the NAS was reinstalled, update the key from ssh-keyscan)`);
    this.name = 'HostKeyMismatchError';
  }
}

export function runRemote(target: SshTarget, command: string, options: { stdin?: string; timeoutMs?: number } = {}): Promise<RemoteResult> {
  const pinned = Buffer.from(target.hostKey.split(' ')[1] ?? '', 'base64');
  return new Promise((resolve, reject) => {
    const client = new Client();
    let mismatch = false;
    const timer = setTimeout(() => {
      client.end();
      reject(new Error(`ssh ${target.user}@${target.host}:${target.port}: no answer within ${options.timeoutMs ?? 120_000} ms`));
    }, options.timeoutMs ?? 120_000);
    client
      .on('ready', () => {
        client.exec(command, (err, stream) => {
          if (err) {
            clearTimeout(timer);
            client.end();
            reject(err);
            return;
          }
          let stdout = '';
          let stderr = '';
          stream.on('data', (d: Buffer) => (stdout += d.toString()));
          stream.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
          stream.on('close', (code: number | null) => {
            clearTimeout(timer);
            client.end();
            resolve({ code: code ?? 255, stdout, stderr });
          });
          stream.end(options.stdin ?? '');
        });
      })
      .on('error', (err) => {
        clearTimeout(timer);
        reject(mismatch ? new HostKeyMismatchError(target.host) : err);
      })
      .connect({
        host: target.host,
        port: target.port,
        username: target.user,
        privateKey: target.privateKey,
        readyTimeout: 20_000,
        hostVerifier: (key: Buffer) => {
          mismatch = !key.equals(pinned);
          return !mismatch;
        },
      });
  });
}
