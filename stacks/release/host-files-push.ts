/** Puts rendered files on the NAS outside Pulumi (rollback restores a release's files) and checks them against a manifest. */
import { installFilesScript, nginxCommands, q, script, STAGING_DIR, stagedPath, type StagedFile } from '../remote/index.js';
import type { HostFile, HostLayout, ManifestEntry } from '../../templates/index.js';
import type { ReleaseHost } from './release-context.js';
import { hashFilesScript } from './release-host-commands.js';

export async function pushHostFiles(host: ReleaseHost, layout: HostLayout, files: HostFile[], stagingDir = STAGING_DIR): Promise<string> {
  const staged: StagedFile[] = [];
  for (const file of files) {
    const target = stagedPath(file.sha256, stagingDir);
    const sent = await host.run(script([`install -d -m 0700 ${q(stagingDir)}`, `cat > ${q(target)}`]), file.content);
    if (sent.code !== 0) throw new Error(`staging ${file.path} failed: ${sent.stderr.trim()}`);
    staged.push({ staged: target, target: file.path, mode: file.mode, owner: file.owner, group: file.group });
  }
  const nginx = nginxCommands(layout);
  const result = await host.run(
    installFilesScript({ name: 'host files', files: staged, validate: nginx.test, apply: nginx.reload }, host.options),
  );
  if (result.code !== 0) throw new Error(`installing host files failed: ${result.stderr.trim()}`);
  return result.stdout;
}

export interface FileDrift {
  path: string;
  expected: string;
  actual: string;
}

/** Files on the host whose hash, mode or owner differ from the manifest. */
export async function driftFromManifest(host: ReleaseHost, manifest: ManifestEntry[]): Promise<FileDrift[]> {
  const result = await host.run(
    hashFilesScript(
      manifest.map((f) => f.path),
      host.options,
    ),
  );
  if (result.code !== 0) throw new Error(`hashing managed files failed: ${result.stderr.trim()}`);
  const actual = new Map<string, string>();
  for (const line of result.stdout.trim().split('\n')) {
    const missing = /^missing (.+)$/.exec(line);
    if (missing) actual.set(missing[1] as string, 'missing');
    const found = /^([0-9a-f]{64}) (\d+) (\S+) (.+)$/.exec(line);
    if (found) actual.set(found[4] as string, `${found[1]} ${found[2]} ${found[3]}`);
  }
  return manifest
    .map((entry) => ({
      path: entry.path,
      expected: `${entry.sha256} ${Number.parseInt(entry.mode, 8).toString(8)} ${entry.owner}:${entry.group}`,
      actual: actual.get(entry.path) ?? 'missing',
    }))
    .filter((d) => d.expected !== d.actual);
}
