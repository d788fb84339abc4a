/**
 * Sends rendered files to the NAS's staging folder with CopyToRemote. Staged paths are the content
 * hash, so an unchanged file is neither re-sent nor reinstalled.
 */
import * as command from '@pulumi/command';
import * as pulumi from '@pulumi/pulumi';
import { stagedPath, type StagedFile } from '../remote/index.js';
import type { HostFile } from '../../templates/index.js';
import type { Connection } from './nas-host.js';

export interface Staged {
  files: StagedFile[];
  copies: command.remote.CopyToRemote[];
  /** What the install command's `triggers` hold: one entry per file (hash, mode, owner, path). */
  triggers: string[];
}

export function stageFiles(prefix: string, files: HostFile[], connection: Connection, opts: pulumi.CustomResourceOptions): Staged {
  const copies = files.map(
    (file) =>
      new command.remote.CopyToRemote(
        `${prefix}-stage-${file.path.replace(/^\//, '').replace(/[^A-Za-z0-9]+/g, '-')}`,
        {
          connection,
          source: new pulumi.asset.StringAsset(file.content),
          remotePath: stagedPath(file.sha256),
          triggers: [file.sha256],
        },
        opts,
      ),
  );
  return {
    files: files.map((f) => ({ staged: stagedPath(f.sha256), target: f.path, mode: f.mode, owner: f.owner, group: f.group })),
    copies,
    triggers: files.map((f) => `${f.sha256} ${f.mode} ${f.owner}:${f.group} ${f.path}`),
  };
}
