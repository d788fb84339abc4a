/**
 * BaluHost's built web client as a release ships it, prepared on the operator's machine before
 * anything reaches the NAS: a folder (`webClient.dist`) or a release archive fetched and checked
 * against its SHA-256 (`webClient.archive`). The bundle is named by its content: the SHA-256 of its
 * manifest (every file's path and SHA-256), so the same client is the same folder on the NAS.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { lstat, mkdir, readdir, stat, writeFile } from 'node:fs/promises';
import { isAbsolute, join, posix, relative, resolve, sep } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { promisify } from 'node:util';
import type { StackConfig } from '../config/index.js';
// Inside the bundle: the manifest the NAS checks every file against (`sha256sum -c` format).
import { WEB_CLIENT_MANIFEST } from '../remote/web-client.js';

const run = promisify(execFile);

export interface WebClientFile {
  path: string;
  sha256: string;
  size: number;
}

export interface WebClientBundle {
  id: string;
  files: WebClientFile[];
  /** `sha256sum` lines, sorted by path. */
  manifest: string;
  /** A tar of the files and the manifest, on the operator's machine. */
  tarball: string;
}

/** Something is wrong with the configured client; nothing was pushed. */
export class WebClientError extends Error {
  override name = 'WebClientError';
}

/** A file's SHA-256 and size, in one read. */
async function hashed(path: string): Promise<{ sha256: string; size: number }> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of createReadStream(path) as AsyncIterable<Buffer>) {
    size += chunk.length;
    hash.update(chunk);
  }
  return { sha256: hash.digest('hex'), size };
}

async function walk(root: string, dir = root): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const full = join(dir, entry.name);
    const rel = relative(root, full).split(sep).join(posix.sep);
    if (/[\n\r\\]/.test(rel)) throw new WebClientError(`webClient: file name ${JSON.stringify(rel)} cannot be served safely`);
    if (entry.isSymbolicLink()) throw new WebClientError(`webClient: ${rel} is a symbolic link; a built client has none`);
    if (entry.isDirectory()) out.push(...(await walk(root, full)));
    else if (entry.isFile()) out.push(rel);
  }
  return out;
}

/** The folder holding `index.html`: the top of the tree, or its only folder (archives often wrap `dist/`). */
async function clientRoot(dir: string, what: string): Promise<string> {
  const has = async (p: string) => (await stat(join(p, 'index.html')).catch(() => null))?.isFile() === true;
  if (await has(dir)) return dir;
  const entries = (await readdir(dir, { withFileTypes: true })).filter((e) => !e.name.startsWith('.'));
  const only = entries.length === 1 && entries[0]!.isDirectory() ? join(dir, entries[0]!.name) : null;
  if (only && (await has(only))) return only;
  throw new WebClientError(`webClient: ${what} has no index.html at its top; point webClient at the built client (its dist folder)`);
}

async function fetchArchive(url: string, expected: string, into: string, fetcher: typeof fetch): Promise<string> {
  const target = join(into, 'client-archive');
  let res: Response;
  try {
    res = await fetcher(url, { redirect: 'follow', signal: AbortSignal.timeout(300_000) });
  } catch (err) {
    throw new WebClientError(`webClient.archive: could not fetch ${url}: ${(err as Error).message}`);
  }
  if (!res.ok || !res.body) throw new WebClientError(`webClient.archive: ${url} answered ${res.status} ${res.statusText}`);
  const hash = createHash('sha256');
  const tap = new Transform({
    transform(chunk: Buffer, _e, done) {
      hash.update(chunk);
      done(null, chunk);
    },
  });
  await pipeline(Readable.fromWeb(res.body), tap, createWriteStream(target));
  const actual = hash.digest('hex');
  if (actual !== expected)
    throw new WebClientError(`webClient.archive: ${url} has SHA-256 ${actual}, not the configured ${expected}; nothing was pushed`);
  return target;
}

export async function prepareWebClient(
  source: NonNullable<StackConfig['webClient']>,
  options: { projectDir: string; workDir: string; fetch?: typeof fetch },
): Promise<WebClientBundle> {
  await mkdir(options.workDir, { recursive: true });
  let root: string;
  if (source.dist !== undefined) {
    const dist = isAbsolute(source.dist) ? source.dist : resolve(options.projectDir, source.dist);
    const info = await lstat(dist).catch(() => null);
    if (!info?.isDirectory()) throw new WebClientError(`webClient.dist: ${dist} is not a folder`);
    root = await clientRoot(dist, `webClient.dist (${dist})`);
  } else {
    const archive = await fetchArchive(source.archive as string, source.sha256 as string, options.workDir, options.fetch ?? fetch);
    const extracted = join(options.workDir, 'extracted');
    await mkdir(extracted, { recursive: true });
    try {
      // GNU tar keeps members inside the target: leading "/" and "../" are removed from names.
      await run('tar', ['-xzf', archive, '-C', extracted, '--no-same-owner', '--no-same-permissions']);
    } catch (err) {
      throw new WebClientError(
        `webClient.archive: not a readable .tar.gz: ${(err as { stderr?: string }).stderr?.trim() || (err as Error).message}`,
      );
    }
    root = await clientRoot(extracted, 'webClient.archive');
  }
  const paths = (await walk(root)).filter((p) => p !== WEB_CLIENT_MANIFEST).sort();
  const files: WebClientFile[] = [];
  for (const path of paths) files.push({ path, ...(await hashed(join(root, path))) });
  const manifest = files.map((f) => `${f.sha256}  ./${f.path}\n`).join('');
  const id = createHash('sha256').update(manifest).digest('hex').slice(0, 32);
  // The operator's folder is only read: the manifest is written beside the tarball.
  await writeFile(join(options.workDir, WEB_CLIENT_MANIFEST), manifest);
  const tarball = join(options.workDir, `web-client-${id}.tar`);
  // Byte-for-byte reproducible: no owners, no times, the manifest first and the files in path order.
  const fixed = ['--owner=0', '--group=0', '--numeric-owner', '--mtime=@0', '--mode=a+rX,u+w,go-w'];
  await run('tar', ['-cf', tarball, ...fixed, '-C', options.workDir, WEB_CLIENT_MANIFEST, '-C', root, ...paths]);
  return { id, files, manifest, tarball };
}
