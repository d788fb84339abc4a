import { mkdir } from 'node:fs/promises';
import { posix } from 'node:path';
import * as tar from 'tar';

/** Why an archive member is refused, or null when it is safe to extract. */
export function unsafeMemberReason(entry: { path: string; type: string; linkpath?: string }): string | null {
  const path = entry.path;
  if (path.includes('\0')) return 'contains a NUL byte';
  if (path.startsWith('/') || /^[A-Za-z]:/.test(path) || path.includes('\\')) return 'is an absolute or Windows path';
  const normal = posix.normalize(path);
  if (normal === '..' || normal.startsWith('../') || path.split('/').includes('..')) return 'escapes the archive with ".."';
  if (!['File', 'OldFile', 'Directory', 'ContiguousFile'].includes(entry.type)) return `is a ${entry.type}, not a plain file or folder`;
  return null;
}

export interface ArchiveMember {
  path: string;
  type: string;
  size: number;
}

/** The archive cannot be read at all (a damaged gzip stream or tar block), as opposed to unsafe. */
export class DamagedArchiveError extends Error {
  override readonly name = 'DamagedArchiveError';
}

/**
 * Lists every member and throws on the first unsafe one, before anything is extracted: links,
 * devices, absolute paths and ".." are refused outright rather than silently rewritten.
 */
export async function inspectArchive(file: string): Promise<ArchiveMember[]> {
  const members: ArchiveMember[] = [];
  const problems: string[] = [];
  await listStrict({
    file,
    strict: true,
    onReadEntry: (entry) => {
      const reason = unsafeMemberReason({ path: entry.path, type: entry.type, linkpath: entry.linkpath });
      if (reason) problems.push(`${JSON.stringify(entry.path)} ${reason}`);
      members.push({ path: entry.path, type: entry.type, size: entry.size ?? 0 });
    },
  });
  if (problems.length > 0) throw new Error(`Archive has unsafe members: ${problems.slice(0, 5).join('; ')}`);
  return members;
}

/** tar.list, with zlib and tar format failures told apart from everything else. */
async function listStrict(options: Parameters<typeof tar.list>[0]): Promise<void> {
  try {
    await tar.list(options);
  } catch (err) {
    const e = err as { code?: unknown; message?: unknown };
    const damaged = (typeof e.code === 'string' && /^(Z_|TAR_)/.test(e.code)) || /zlib|unexpected end/i.test(String(e.message));
    if (damaged) throw new DamagedArchiveError(String(e.message), { cause: err });
    throw err;
  }
}

export async function createArchive(cwd: string, members: string[], outFile: string): Promise<void> {
  // Level 1: dumps are often compressed already; a slower level buys little and costs much.
  await tar.create({ gzip: { level: 1 }, file: outFile, cwd, portable: true, noDirRecurse: false }, members);
}

/** Extracts an archive already checked by inspectArchive; tar's own guards stay on as a second line. */
export async function extractArchive(file: string, dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  await tar.extract({
    file,
    cwd: dir,
    strict: true,
    preservePaths: false,
    noChmod: true,
    filter: (path, entry) => unsafeMemberReason({ path, type: (entry as tar.ReadEntry).type }) === null,
  });
}
