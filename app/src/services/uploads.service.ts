import type { Readable } from 'node:stream';
import { ConflictError, InsufficientStorageError, PayloadTooLargeError, ValidationError } from '../errors/index.js';
import { formatStoragePath, parseName, parseStoragePath } from '../lib/path-safety.js';
import type { FileRecord } from '../repositories/index.js';
import type { Principal } from './auth.service.js';
import { mimeTypeOf, type FileAccess, type FilesDeps, type Located } from './files.service.js';
import type { UploadInspector } from './upload-inspection.js';
import type { UploadProgressRegistry } from './upload-progress.js';

/** One multipart part, independent of the HTTP library. */
export type UploadPart =
  { kind: 'field'; name: string; value: string } | { kind: 'file'; field: string; filename: string; stream: Readable };

interface Received {
  name: string;
  tempPath: string;
  size: number;
}

export const UPLOAD_FILE_FIELDS = ['files', 'file'] as const;

async function drain(stream: Readable): Promise<void> {
  stream.resume();
  await new Promise((resolve) => {
    stream.once('end', resolve);
    stream.once('error', resolve);
  });
}

export function createUploadsService(
  deps: FilesDeps & { access: FileAccess; uploadMaxBytes: number; inspector?: UploadInspector; progress: UploadProgressRegistry },
) {
  const { storage, clock, access } = deps;

  async function roomOnDisk(): Promise<number> {
    return Math.max(0, (await storage.usage()).availableBytes - deps.reserveBytes);
  }

  /**
   * Reserves quota for every file at once and writes their metadata in one transaction: a request
   * either fits entirely or stores nothing.
   */
  async function reserveAndRecord(
    folder: Located,
    files: Received[],
  ): Promise<{ rows: FileRecord[]; previous: (FileRecord | undefined)[]; delta: number }> {
    const now = clock.now();
    return deps.transaction(async (r) => {
      // The charge is the new size less the old: the old must be the latest, not one another upload
      // of the same file is replacing right now (30 re-uploads at once once drove usage below zero).
      await r.files.lockFolder(folder.node.id);
      const previous: (FileRecord | undefined)[] = [];
      let delta = 0;
      for (const file of files) {
        const existing = await r.files.findChild(folder.node.id, file.name);
        if (existing?.isDirectory)
          throw new ConflictError(`A folder has that name: path=${formatStoragePath([...folder.segments, file.name])}`, 'file_exists');
        previous.push(existing);
        delta += file.size - (existing?.sizeBytes ?? 0);
      }
      if (delta > 0 && delta > (await roomOnDisk()))
        throw new InsufficientStorageError('Not enough free disk space for this upload', 'disk_full');
      if (!(await r.users.reserveBytes(folder.owner.id, delta, deps.defaultQuotaBytes))) {
        throw new InsufficientStorageError('Storage quota exceeded', 'quota_exceeded');
      }
      const rows: FileRecord[] = [];
      for (const [i, file] of files.entries()) {
        const existing = previous[i];
        const content = { sizeBytes: file.size, mimeType: mimeTypeOf(file.name) };
        if (existing) {
          await r.files.updateContent(existing.id, content, now);
          rows.push({ ...existing, ...content, modifiedAt: now.toISOString() });
        } else {
          rows.push(
            await r.files.create(
              { ownerId: folder.owner.id, parentId: folder.node.id, name: file.name, isDirectory: false, ...content },
              now,
            ),
          );
        }
      }
      return { rows, previous, delta };
    });
  }

  /** Undoes the metadata and quota of files whose bytes could not be put in place. */
  async function compensate(
    folder: Located,
    files: Received[],
    rows: FileRecord[],
    previous: (FileRecord | undefined)[],
    fromIndex: number,
  ): Promise<void> {
    const now = clock.now();
    await deps.transaction(async (r) => {
      let delta = 0;
      for (let i = fromIndex; i < files.length; i += 1) {
        const before = previous[i];
        const file = files[i] as Received;
        delta += file.size - (before?.sizeBytes ?? 0);
        if (before) await r.files.updateContent(before.id, { sizeBytes: before.sizeBytes, mimeType: before.mimeType }, now);
        else await r.files.delete((rows[i] as FileRecord).id);
      }
      await r.users.reserveBytes(folder.owner.id, -delta, null);
    });
  }

  async function writableFolder(principal: Principal, ownerId: number | undefined, path: string | undefined): Promise<Located> {
    const segments = parseStoragePath(path ?? '', ['body', 'path']);
    const folder = await access.locate(principal, ownerId, segments, 'can_write');
    if (!folder.node.isDirectory) throw ValidationError.field(['body', 'path'], 'is a file, not a folder');
    return folder;
  }

  /**
   * What a request may still stream, checked as bytes arrive so nobody fills the temp folder past a
   * full quota or disk (the exact charge is made at the end, under the folder's lock). New bytes may
   * exceed the room by what they replace: once the target folder is known that is the files of the
   * same names; before, at most everything the owner stores.
   */
  async function byteBudget(ownerId: number) {
    const owner = await deps.repos.users.findById(ownerId);
    const quota = owner?.quotaBytes ?? deps.defaultQuotaBytes;
    const used = owner?.usedBytes ?? 0;
    const disk = await roomOnDisk();
    let replaced = 0;
    return {
      credit(bytes: number) {
        replaced += bytes;
      },
      check(totalBytes: number, folderKnown: boolean) {
        const freed = folderKnown ? replaced : used;
        if (totalBytes > disk + freed) throw new InsufficientStorageError('Not enough free disk space for this upload', 'disk_full');
        if (quota !== null && quota !== undefined && totalBytes > quota - used + freed)
          throw new InsufficientStorageError('Storage quota exceeded', 'quota_exceeded');
      },
    };
  }

  return {
    /**
     * Streams every file part to a temp file (never into memory), enforcing the size cap, the quota
     * and the free disk as bytes arrive, then reserves quota and renames the files into place.
     * Whatever fails, no temp file and no reserved byte is left behind.
     */
    async upload(
      principal: Principal,
      parts: AsyncIterable<UploadPart>,
      options: { ownerId?: number; declaredLength?: number; beforeStoring?: () => Promise<void> },
    ): Promise<{ files: FileRecord[]; uploadIds: string[] }> {
      const received: Received[] = [];
      // One progress session per file part, readable at GET /api/files/progress/{id} while it streams and after.
      const sessions: { id: string; size: number }[] = [];
      let targetPath: string | undefined;
      // Located as soon as the `path` field arrives (clients send it first), so a refusal comes before the bytes.
      let early: Located | undefined;
      try {
        if (options.declaredLength !== undefined && options.declaredLength > (await roomOnDisk())) {
          throw new InsufficientStorageError('Not enough free disk space for this upload', 'disk_full');
        }
        const budget = await byteBudget(options.ownerId ?? principal.user.id);
        let streamed = 0;
        for await (const part of parts) {
          if (part.kind === 'field') {
            // Other text fields are ignored, as the original does; a file under an unknown field is refused below (it would be lost).
            if (part.name !== 'path') continue;
            targetPath = part.value;
            if (received.length === 0) early = await writableFolder(principal, options.ownerId, targetPath);
            continue;
          }
          if (!(UPLOAD_FILE_FIELDS as readonly string[]).includes(part.field)) {
            await drain(part.stream);
            throw ValidationError.field(['body', part.field], 'unknown field; send files as "files"');
          }
          const name = parseName(part.filename, ['body', part.field, received.length]);
          if (received.some((f) => f.name === name))
            throw ValidationError.field(['body', part.field, received.length], `duplicate file name "${name}"`);
          if (early) budget.credit((await deps.repos.files.findChild(early.node.id, name))?.sizeBytes ?? 0);
          const session = {
            id: deps.progress.begin(principal.user.id, name, Math.max(0, (options.declaredLength ?? 0) - streamed)),
            size: 0,
          };
          sessions.push(session);
          const temp = await storage.writeTemp(part.stream, (size) => {
            if (size > deps.uploadMaxBytes)
              throw new PayloadTooLargeError(`File "${name}" is larger than the ${deps.uploadMaxBytes}-byte limit`, 'file_too_large');
            budget.check(streamed + size, early !== undefined);
            deps.progress.advance(session.id, size);
          });
          session.size = temp.size;
          streamed += temp.size;
          received.push({ name, tempPath: temp.path, size: temp.size });
          // Refused or infected: the `finally` below discards it with the rest; nothing is stored.
          await deps.inspector?.inspect({ name, tempPath: temp.path, field: ['body', part.field, received.length - 1] });
        }
        if (received.length === 0) throw ValidationError.field(['body', 'files'], 'field required');
        // The last check on the whole request (a signed upload's bytes) before anything is stored.
        await options.beforeStoring?.();
        const folder = early ?? (await writableFolder(principal, options.ownerId, targetPath));

        const { rows, previous } = await reserveAndRecord(folder, received);
        for (const [i, file] of received.entries()) {
          try {
            await storage.commitTemp(file.tempPath, [...folder.disk, file.name]);
          } catch (err) {
            await compensate(folder, received, rows, previous, i);
            throw err;
          }
        }
        received.length = 0;
        for (const session of sessions) deps.progress.finish(session.id, { ok: true, size: session.size });
        return { files: rows, uploadIds: sessions.map((session) => session.id) };
      } catch (err) {
        for (const session of sessions) deps.progress.finish(session.id, { ok: false, error: (err as Error).message });
        throw err;
      } finally {
        await Promise.all(received.map((f) => storage.discardTemp(f.tempPath)));
      }
    },
  };
}

export type UploadsService = ReturnType<typeof createUploadsService>;
