import mime from 'mime-types';
import { ConflictError, ForbiddenError, NotFoundError, ValidationError } from '../errors/index.js';
import { formatStoragePath, parseName } from '../lib/path-safety.js';
import type {
  Clock,
  FileRecord,
  FileSummary,
  Repositories,
  SharePermission,
  Storage,
  TransactionRunner,
  User,
} from '../repositories/index.js';
import type { Principal } from './auth.service.js';
import { createShareGrants } from './share-grants.js';
import { assertNameAllowed } from './upload-inspection.js';

/** A file or folder found by path, with everything the operations need. */
export interface Located {
  owner: User;
  /** Home folder first, the node itself last. */
  chain: FileRecord[];
  node: FileRecord;
  /** Path relative to the owner's home, as the API shows it. */
  segments: string[];
  /** Path below the storage root on disk. */
  disk: string[];
}

export interface FilesDeps {
  repos: Repositories;
  transaction: TransactionRunner;
  storage: Storage;
  clock: Clock;
  defaultQuotaBytes: number | null;
  reserveBytes: number;
}

export function mimeTypeOf(name: string): string {
  return mime.lookup(name) || 'application/octet-stream';
}

function isAdmin(principal: Principal): boolean {
  return principal.user.role === 'admin';
}

/**
 * Who may do what to a file: its owner and admins everything; other users what a share on the file
 * or one of its folders grants. Never decided by comparing path strings.
 */
export function createFileAccess(deps: Pick<FilesDeps, 'repos' | 'storage' | 'clock'>) {
  const { repos, storage, clock } = deps;
  const grants = createShareGrants({ repos, clock });

  async function ensureHome(owner: User): Promise<FileRecord> {
    const existing = await repos.files.findHome(owner.id);
    if (existing) return existing;
    const name = (await repos.files.rootNameTaken(owner.username)) ? `${owner.username}-${owner.id}` : owner.username;
    await storage.ensureDir([name]);
    try {
      return await repos.files.create(
        { ownerId: owner.id, parentId: null, name, isDirectory: true, sizeBytes: 0, mimeType: null },
        clock.now(),
      );
    } catch (err) {
      // Two first requests of a new user raced; the other one created the home.
      const raced = await repos.files.findHome(owner.id);
      if (raced) return raced;
      throw err;
    }
  }

  async function authorize(
    principal: Principal,
    owner: User,
    chain: FileRecord[],
    permission: SharePermission,
    path: string,
  ): Promise<void> {
    if (principal.user.id === owner.id || isAdmin(principal)) return;
    const target = { ownerId: owner.id, fileIds: chain.map((f) => f.id) };
    if (!(await grants.holds(principal.user.id, target, 'can_read'))) {
      // Indistinguishable from a missing file: other users' trees are not enumerable.
      throw new NotFoundError(`File not found: path=${path}`);
    }
    if (permission !== 'can_read' && !(await grants.holds(principal.user.id, target, permission))) {
      throw new ForbiddenError(`Not allowed to ${permission.replace('can_', '')} ${path}`, 'share_permission_denied');
    }
  }

  /** Home folder down to the node, with owner and paths; `notFound` when any link is missing. */
  async function locateChain(fileId: number, notFound: () => Error): Promise<Located> {
    const chain = await repos.files.ancestry(fileId);
    const node = chain[chain.length - 1];
    const home = chain[0];
    const owner = node && (await repos.users.findById(node.ownerId));
    if (!node || !home || !owner) throw notFound();
    const segments = chain.slice(1).map((f) => f.name);
    return { owner, chain, node, segments, disk: [home.name, ...segments] };
  }

  return {
    ensureHome,

    async locate(principal: Principal, ownerId: number | undefined, segments: string[], permission: SharePermission): Promise<Located> {
      const path = formatStoragePath(segments);
      const owner = ownerId === undefined || ownerId === principal.user.id ? principal.user : await repos.users.findById(ownerId);
      if (!owner) throw new NotFoundError(`File not found: path=${path}`);
      const home = await ensureHome(owner);
      const chain = [home];
      for (const name of segments) {
        const parent = chain[chain.length - 1] as FileRecord;
        const child = parent.isDirectory ? await repos.files.findChild(parent.id, name) : undefined;
        if (!child) {
          if (principal.user.id !== owner.id && !isAdmin(principal)) await authorize(principal, owner, chain, 'can_read', path);
          throw new NotFoundError(`File not found: path=${path}`);
        }
        chain.push(child);
      }
      await authorize(principal, owner, chain, permission, path);
      return { owner, chain, node: chain[chain.length - 1] as FileRecord, segments, disk: [home.name, ...segments] };
    },

    /**
     * A node by id with no caller check: for public share links, whose token is the permission.
     * Missing nodes raise `notFound`.
     */
    locateForShareLink: (fileId: number) => locateChain(fileId, () => new NotFoundError('Share link not found', 'share_not_found')),

    /** A located node by id (shares), with the same permission rules. */
    async locateById(principal: Principal, fileId: number, permission: SharePermission): Promise<Located> {
      const located = await locateChain(fileId, () => new NotFoundError(`File not found: id=${fileId}`));
      await authorize(principal, located.owner, located.chain, permission, `id=${fileId}`);
      return located;
    },
  };
}

export type FileAccess = ReturnType<typeof createFileAccess>;

export interface FileEntry {
  name: string;
  path: string;
  size: number;
  type: 'file' | 'directory';
  modified_at: string;
  owner_id: number;
  mime_type: string | null;
  file_id: number;
}

export function toFileEntry(file: FileSummary, parentSegments: string[]): FileEntry {
  return {
    name: file.name,
    path: formatStoragePath([...parentSegments, file.name]),
    size: file.sizeBytes,
    type: file.isDirectory ? 'directory' : 'file',
    modified_at: file.modifiedAt,
    owner_id: file.ownerId,
    mime_type: file.mimeType,
    file_id: file.id,
  };
}

export function createFilesService(deps: FilesDeps & { access: FileAccess; denyTypes: readonly string[] }) {
  const { repos, storage, clock, access } = deps;

  function refuseHome(located: Located, field: (string | number)[]): void {
    if (located.segments.length === 0) throw ValidationError.field(field, 'the home folder itself cannot be changed');
  }

  async function requireFreeName(parent: FileRecord, name: string, path: string): Promise<void> {
    if (await repos.files.findChild(parent.id, name)) throw new ConflictError(`Already exists: path=${path}`, 'file_exists');
  }

  return {
    async list(principal: Principal, ownerId: number | undefined, segments: string[]): Promise<FileEntry[]> {
      const located = await access.locate(principal, ownerId, segments, 'can_read');
      if (!located.node.isDirectory) throw ValidationError.field(['query', 'path'], 'is a file, not a folder');
      return (await repos.files.listChildren(located.node.id)).map((f) => toFileEntry(f, segments));
    },

    async createFolder(principal: Principal, ownerId: number | undefined, parentSegments: string[], rawName: string): Promise<Located> {
      const parent = await access.locate(principal, ownerId, parentSegments, 'can_write');
      if (!parent.node.isDirectory) throw ValidationError.field(['body', 'path'], 'is a file, not a folder');
      const name = parseName(rawName, ['body', 'name']);
      const segments = [...parentSegments, name];
      await requireFreeName(parent.node, name, formatStoragePath(segments));
      try {
        await storage.makeDir([...parent.disk, name]);
      } catch (err) {
        // A folder on disk without metadata (copied in by hand) is adopted rather than refused.
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
      const node = await repos.files.create(
        { ownerId: parent.owner.id, parentId: parent.node.id, name, isDirectory: true, sizeBytes: 0, mimeType: null },
        clock.now(),
      );
      return { ...parent, chain: [...parent.chain, node], node, segments, disk: [...parent.disk, name] };
    },

    async rename(principal: Principal, ownerId: number | undefined, segments: string[], rawName: string): Promise<Located> {
      const located = await access.locate(principal, ownerId, segments, 'can_write');
      refuseHome(located, ['body', 'old_path']);
      const name = parseName(rawName, ['body', 'new_name']);
      if (name === located.node.name) return located;
      // The deny-list holds for names, not only uploads: `setup.doc` must not become `setup.msi`.
      if (!located.node.isDirectory) assertNameAllowed(deps.denyTypes, name, ['body', 'new_name']);
      const parent = located.chain[located.chain.length - 2] as FileRecord;
      const targetSegments = [...segments.slice(0, -1), name];
      await requireFreeName(parent, name, formatStoragePath(targetSegments));
      const targetDisk = [...located.disk.slice(0, -1), name];
      await storage.move(located.disk, targetDisk);
      try {
        await repos.files.rename(located.node.id, name, clock.now());
      } catch (err) {
        await storage.move(targetDisk, located.disk);
        throw err;
      }
      return { ...located, segments: targetSegments, disk: targetDisk };
    },

    async move(principal: Principal, ownerId: number | undefined, sourceSegments: string[], targetSegments: string[]): Promise<void> {
      const source = await access.locate(principal, ownerId, sourceSegments, 'can_write');
      refuseHome(source, ['body', 'source_path']);
      const target = await access.locate(principal, ownerId, targetSegments, 'can_write');
      if (!target.node.isDirectory) throw ValidationError.field(['body', 'target_path'], 'is a file, not a folder');
      if (target.owner.id !== source.owner.id)
        throw ValidationError.field(['body', 'target_path'], "must be in the same owner's files as the source");
      if (target.chain.some((f) => f.id === source.node.id))
        throw ValidationError.field(['body', 'target_path'], 'cannot move a folder into itself');
      const currentParent = source.chain[source.chain.length - 2] as FileRecord;
      if (currentParent.id === target.node.id) return;
      const name = source.node.name;
      await requireFreeName(target.node, name, formatStoragePath([...targetSegments, name]));
      const targetDisk = [...target.disk, name];
      await storage.move(source.disk, targetDisk);
      try {
        await repos.files.move(source.node.id, target.node.id, clock.now());
      } catch (err) {
        await storage.move(targetDisk, source.disk);
        throw err;
      }
    },

    /**
     * Deletes a file or a folder tree. The tree first moves to the trash (atomic), then metadata and
     * quota change in one transaction; if that fails the tree moves back, so nothing is half-deleted.
     */
    async remove(principal: Principal, ownerId: number | undefined, segments: string[]): Promise<Located & { bytes: number }> {
      const located = await access.locate(principal, ownerId, segments, 'can_delete');
      refuseHome(located, ['path', 'path']);
      // The move to the trash is the claim: of several deletes at once, the first takes the file and
      // the others find it gone, which is a 404 for them, not a failure.
      const trashed = await storage.moveToTrash(located.disk).catch((err: NodeJS.ErrnoException) => {
        if (err.code === 'ENOENT') throw new NotFoundError(`File not found: path=${formatStoragePath(segments)}`);
        throw err;
      });
      let bytes: number;
      try {
        bytes = await deps.transaction(async (r) => {
          const total = await r.files.subtreeBytes(located.node.id);
          await r.files.delete(located.node.id);
          await r.users.reserveBytes(located.owner.id, -total, null);
          return total;
        });
      } catch (err) {
        await storage.restoreFromTrash(trashed, located.disk);
        throw err;
      }
      await storage.purge(trashed);
      return { ...located, bytes };
    },

    async download(principal: Principal, ownerId: number | undefined, segments: string[]): Promise<Located> {
      const located = await access.locate(principal, ownerId, segments, 'can_read');
      if (located.node.isDirectory) throw ValidationError.field(['path', 'path'], 'is a folder; download files one by one');
      return located;
    },

    /** The caller's quota picture: what they use, their limit, and what they can still upload. */
    async available(principal: Principal): Promise<{ available_bytes: number; used_bytes: number; quota_bytes: number }> {
      const user = (await repos.users.findById(principal.user.id)) ?? principal.user;
      const disk = await storage.usage();
      const diskRoom = Math.max(0, disk.availableBytes - deps.reserveBytes);
      const quota = user.quotaBytes ?? deps.defaultQuotaBytes;
      if (quota === null) return { available_bytes: diskRoom, used_bytes: user.usedBytes, quota_bytes: disk.totalBytes };
      return { available_bytes: Math.max(0, Math.min(quota - user.usedBytes, diskRoom)), used_bytes: user.usedBytes, quota_bytes: quota };
    },
  };
}

export type FilesService = ReturnType<typeof createFilesService>;
