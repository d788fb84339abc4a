import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { parseName } from '../lib/path-safety.js';
import type { Clock, FileRecord, FileSummary, Repositories, Storage, User } from '../repositories/index.js';
import type { FileAccess } from './files.service.js';
import { mimeTypeOf } from './files.service.js';

export interface ReconcileReport {
  users: number;
  added: number;
  removed: number;
  updated: number;
  skipped: string[];
  usage: { user_id: number; username: string; before: number; after: number }[];
}

/**
 * Makes metadata and quota usage match what is really on disk (after files were copied in over SMB,
 * a crash between rename and commit, or a files-only restore). Usage is normally kept by the upload
 * and delete transactions; this is the repair tool, never part of an upload.
 */
export function createReconcileService(deps: { repos: Repositories; storage: Storage; access: FileAccess; clock: Clock; logger: Logger }) {
  const { repos, clock } = deps;

  async function walk(owner: User, folder: FileSummary, diskPath: string, report: ReconcileReport): Promise<number> {
    const onDisk = await readdir(diskPath, { withFileTypes: true });
    const known = new Map((await repos.files.listChildren(folder.id)).map((f) => [f.name, f]));
    let bytes = 0;
    for (const entry of onDisk) {
      const full = join(diskPath, entry.name);
      let name: string;
      try {
        name = parseName(entry.name);
      } catch {
        report.skipped.push(`${full}: name cannot be used through the API`);
        continue;
      }
      if (name !== entry.name || !(entry.isFile() || entry.isDirectory())) {
        // Links and devices are never followed or counted; odd names stay untouched on disk.
        report.skipped.push(
          `${full}: ${entry.isSymbolicLink() ? 'symbolic link' : name !== entry.name ? 'name not in NFC form' : 'not a regular file or folder'}`,
        );
        continue;
      }
      let row: FileSummary | FileRecord | undefined = known.get(name);
      known.delete(name);
      if (row && row.isDirectory !== entry.isDirectory()) {
        await repos.files.delete(row.id);
        report.removed += 1;
        row = undefined;
      }
      if (entry.isDirectory()) {
        row ??=
          (report.added++,
          await repos.files.create(
            { ownerId: owner.id, parentId: folder.id, name, isDirectory: true, sizeBytes: 0, mimeType: null },
            clock.now(),
          ));
        bytes += await walk(owner, row, full, report);
        continue;
      }
      const size = (await stat(full)).size;
      if (!row) {
        await repos.files.create(
          { ownerId: owner.id, parentId: folder.id, name, isDirectory: false, sizeBytes: size, mimeType: mimeTypeOf(name) },
          clock.now(),
        );
        report.added += 1;
      } else if (row.sizeBytes !== size) {
        await repos.files.updateContent(row.id, { sizeBytes: size, mimeType: row.mimeType ?? mimeTypeOf(name) }, clock.now());
        report.updated += 1;
      }
      bytes += size;
    }
    for (const gone of known.values()) {
      await repos.files.delete(gone.id);
      report.removed += 1;
    }
    return bytes;
  }

  return {
    async reconcile(): Promise<ReconcileReport> {
      const report: ReconcileReport = { users: 0, added: 0, removed: 0, updated: 0, skipped: [], usage: [] };
      const users = await repos.users.list({ sortBy: 'id', sortOrder: 'asc' });
      for (const user of users) {
        const home = await deps.access.ensureHome(user);
        const used = await walk(user, home, await deps.storage.resolve([home.name]), report);
        if (used !== user.usedBytes) await repos.users.setUsedBytes(user.id, used);
        report.usage.push({ user_id: user.id, username: user.username, before: user.usedBytes, after: used });
        report.users += 1;
      }
      deps.logger.info(
        { added: report.added, removed: report.removed, updated: report.updated, skipped: report.skipped.length },
        'storage reconciled',
      );
      return report;
    },
  };
}

export type ReconcileService = ReturnType<typeof createReconcileService>;
