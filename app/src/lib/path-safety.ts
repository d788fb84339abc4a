import { lstat, readlink, realpath } from 'node:fs/promises';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import { ConflictError, ForbiddenError, ValidationError } from '../errors/index.js';

/**
 * The one gate between a user-supplied path and the filesystem. Every file route goes through
 * `parseStoragePath` / `parseName`, and every disk access through `resolveInside`.
 */

export const MAX_NAME_BYTES = 255;
export const MAX_PATH_BYTES = 4096;

// C0/C1 control characters, DEL, and Unicode line/paragraph separators and bidi overrides that make
// a name display as something it is not.
// eslint-disable-next-line no-control-regex -- control characters are exactly what this refuses
const FORBIDDEN_CHARS = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/u;

/** A Windows drive ("C:", "c:x"): what makes a path absolute for a Windows client. */
const DRIVE_PREFIX = /^[A-Za-z]:/;

function reject(field: (string | number)[], msg: string): never {
  throw ValidationError.field(field, msg, 'path_unsafe');
}

/** Checks one path segment or file name; returns it in NFC form. */
export function parseName(raw: string, field: (string | number)[] = ['body', 'name']): string {
  if (typeof raw !== 'string') reject(field, 'must be a string');
  const name = raw.normalize('NFC');
  if (name.length === 0) reject(field, 'must not be empty');
  if (FORBIDDEN_CHARS.test(name)) reject(field, 'must not contain control characters');
  if (name.includes('/') || name.includes('\\')) reject(field, 'must be a single name without separators');
  // Compatibility forms fold look-alikes (fullwidth dots and solidus, one-dot leaders) onto ASCII.
  const folded = name.normalize('NFKC');
  // Any run of dots: "." and ".." are the directory references, and "..." is one on some systems.
  if (/^\.+$/.test(folded)) reject(field, 'must not be "." or ".."');
  if (folded.includes('/') || folded.includes('\\')) reject(field, 'must not contain characters that look like separators');
  // A path starting "C:" is refused as not relative, so a name starting so could be made but never
  // reached again (not renamed, moved or deleted): refuse it here too.
  if (DRIVE_PREFIX.test(name)) reject(field, 'must not start with a drive letter and a colon ("C:")');
  // Also catches all-white-space names: trimming changes them.
  if (name.trim() !== name) reject(field, 'must not start or end with white space');
  if (Buffer.byteLength(name) > MAX_NAME_BYTES) reject(field, `must be at most ${MAX_NAME_BYTES} bytes`);
  return name;
}

/**
 * Parses a storage path such as "Documents/a.txt" ("" is the root) into its segments. Leading
 * slashes are dropped, as BaluHost's original does: its web client sends "/" for the root and
 * "/Documents" for a folder, and every path is below the user's home anyway.
 * Rejects drive letters, "." and ".." anywhere, backslashes, control characters and overlong input.
 */
export function parseStoragePath(raw: string, field: (string | number)[] = ['query', 'path']): string[] {
  if (typeof raw !== 'string') reject(field, 'must be a string');
  if (Buffer.byteLength(raw) > MAX_PATH_BYTES) reject(field, `must be at most ${MAX_PATH_BYTES} bytes`);
  const trimmed = raw.replace(/^\/+/, '').replace(/\/+$/, '');
  if (DRIVE_PREFIX.test(trimmed) || trimmed.startsWith('\\')) reject(field, 'must be relative');
  if (trimmed === '') return [];
  return trimmed.split('/').map((segment) => {
    if (segment === '') reject(field, 'must not contain empty segments');
    return parseName(segment, field);
  });
}

export function formatStoragePath(segments: readonly string[]): string {
  return segments.join('/');
}

/** POSIX only: `relative` between two absolute paths is never absolute there. */
function isInside(root: string, candidate: string): boolean {
  const rel = relative(root, candidate);
  return rel !== '..' && !rel.startsWith(`..${sep}`);
}

/**
 * Joins already-parsed segments under `root` and proves, by resolving symlinks, that the real
 * location stays inside the first segment's folder (a user's home): a link may point elsewhere in
 * its owner's home, never into another user's home nor out of the root. Works for paths that do not
 * exist yet (checks the deepest existing ancestor), so it guards creations too; a link on the way
 * that points nowhere is refused, since writing through it would create its target.
 */
export async function resolveInside(root: string, segments: readonly string[]): Promise<string> {
  const realRoot = await realpath(root);
  const target = join(realRoot, ...segments);
  if (!isInside(realRoot, target)) throw new ForbiddenError('Path escapes the storage root', 'path_outside_root');
  const confine = segments.length > 0 ? join(realRoot, segments[0] as string) : realRoot;
  let probe = target;
  for (;;) {
    try {
      const real = await realpath(probe);
      // A home not made yet: its nearest existing ancestor is the root itself.
      if (!isInside(isInside(confine, probe) ? confine : realRoot, real))
        throw new ForbiddenError("Path leads through a link out of its owner's folder", 'path_outside_root');
      return target;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      await refuseBrokenLink(probe, confine);
      // Walks up to the deepest existing ancestor; it ends at "/" at the latest, which always resolves.
      probe = dirname(probe);
    }
  }
}

async function refuseBrokenLink(path: string, confine: string): Promise<void> {
  const info = await lstat(path).catch(() => undefined);
  if (!info?.isSymbolicLink()) return;
  const destination = resolve(dirname(path), await readlink(path));
  if (!isInside(confine, destination)) throw new ForbiddenError("Path leads through a link out of its owner's folder", 'path_outside_root');
  throw new ConflictError(`${basename(path)} is a link to something that does not exist; remove or repair it`, 'broken_link');
}
