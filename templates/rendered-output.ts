/**
 * A render on disk: every file at its NAS path under a folder, plus `manifest.json`. The same diff
 * serves `npm run render --against` (two renders) and release planning (render vs the live host).
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { createTwoFilesPatch } from 'diff';
import { manifestHash, manifestOf, type HostFile, type ManifestEntry } from './render-host-files.js';

export const MANIFEST_FILE = 'manifest.json';

export interface RenderedManifest {
  stack: string;
  hash: string;
  files: ManifestEntry[];
}

export async function writeRendered(outDir: string, stack: string, files: HostFile[]): Promise<RenderedManifest> {
  for (const file of files) {
    const target = join(outDir, file.path);
    await mkdir(dirname(target), { recursive: true });
    await writeFile(target, file.content, { mode: Number.parseInt(file.mode, 8) });
  }
  const manifest: RenderedManifest = { stack, hash: manifestHash(manifestOf(files)), files: manifestOf(files) };
  await writeFile(join(outDir, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`);
  return manifest;
}

/** Reads a previous render back (its manifest and each file's bytes). */
export async function readRendered(dir: string): Promise<{ manifest: RenderedManifest; files: HostFile[] }> {
  let manifest: RenderedManifest;
  try {
    manifest = JSON.parse(await readFile(join(dir, MANIFEST_FILE), 'utf8')) as RenderedManifest;
  } catch (err) {
    throw new Error(`${join(dir, MANIFEST_FILE)}: not a render folder (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  const files = await Promise.all(
    manifest.files.map(async (entry) => ({ ...entry, content: await readFile(join(dir, entry.path), 'utf8') })),
  );
  return { manifest, files };
}

export interface FileChange {
  path: string;
  kind: 'added' | 'removed' | 'changed' | 'mode';
  diff: string;
}

/** Unified diffs between two sets of files, keyed by NAS path; unchanged files are left out. */
export function diffFiles(
  before: readonly Pick<HostFile, 'path' | 'content' | 'mode' | 'owner' | 'group'>[],
  after: readonly Pick<HostFile, 'path' | 'content' | 'mode' | 'owner' | 'group'>[],
): FileChange[] {
  const old = new Map(before.map((f) => [f.path, f]));
  const changes: FileChange[] = [];
  for (const file of after) {
    const previous = old.get(file.path);
    old.delete(file.path);
    if (!previous) changes.push({ path: file.path, kind: 'added', diff: patch(file.path, '', file.content) });
    else if (previous.content !== file.content)
      changes.push({ path: file.path, kind: 'changed', diff: patch(file.path, previous.content, file.content) });
    else if (previous.mode !== file.mode || previous.owner !== file.owner || previous.group !== file.group) {
      changes.push({
        path: file.path,
        kind: 'mode',
        diff: `${file.path}: ${previous.mode} ${previous.owner}:${previous.group} -> ${file.mode} ${file.owner}:${file.group}\n`,
      });
    }
  }
  for (const gone of old.values()) changes.push({ path: gone.path, kind: 'removed', diff: patch(gone.path, gone.content, '') });
  return changes;
}

function patch(path: string, before: string, after: string): string {
  return createTwoFilesPatch(`a${path}`, `b${path}`, before, after, undefined, undefined, { context: 3 });
}

/** The manifest as an operator reads it: one line per file. */
export function formatManifest(manifest: RenderedManifest): string {
  const lines = manifest.files.map((f) => `${f.mode}  ${`${f.owner}:${f.group}`.padEnd(11)} ${f.sha256.slice(0, 16)}  ${f.path}`);
  return [`# stack ${manifest.stack}: ${manifest.files.length} files, manifest sha256 ${manifest.hash}`, ...lines].join('\n');
}
