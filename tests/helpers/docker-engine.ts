/**
 * The real Docker Engine the container tier drives: the CLI, the daemon (started when installed
 * but not answering), and the few accommodations this machine needs that a NAS does not.
 */
import { execFile, spawn } from 'node:child_process';
import { open, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface DockerRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the docker CLI; a non-zero exit throws with its stderr unless `allowFailure`. */
export function docker(
  args: string[],
  options: { input?: string; env?: Record<string, string>; allowFailure?: boolean; cwd?: string; timeoutMs?: number } = {},
): Promise<DockerRun> {
  return new Promise((resolveRun, reject) => {
    const child = execFile(
      'docker',
      args,
      {
        env: { ...process.env, ...options.env },
        cwd: options.cwd,
        maxBuffer: 256 * 1024 * 1024,
        timeout: options.timeoutMs ?? 20 * 60_000,
      },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        if (code !== 0 && !options.allowFailure) {
          reject(new Error(`docker ${args.join(' ')} exited ${code}: ${stderr || stdout}`));
          return;
        }
        resolveRun({ code, stdout, stderr });
      },
    );
    if (options.input !== undefined) child.stdin?.end(options.input);
    else child.stdin?.end();
  });
}

async function answers(): Promise<boolean> {
  return (await docker(['info', '--format', '{{.ServerVersion}}'], { allowFailure: true, timeoutMs: 20_000 })).code === 0;
}

/**
 * A Docker daemon that answers. Machines here have no systemd as PID 1, so an installed but stopped
 * dockerd is started (and left running, like the PostgreSQL server); a missing one fails the run.
 */
export async function ensureDockerEngine(): Promise<void> {
  if (await answers()) return;
  const dockerd = ['/usr/sbin/dockerd', '/usr/bin/dockerd'];
  const binary = (
    await Promise.all(
      dockerd.map((p) =>
        readFile(p).then(
          () => p,
          () => undefined,
        ),
      ),
    )
  ).find(Boolean);
  if (!binary) throw new Error('No Docker Engine: install it with `apt-get install -y docker.io` (or run .ci/run, which does)');
  const log = await open(join(tmpdir(), 'baluhost-dockerd.log'), 'a');
  const daemon = spawn('setsid', [binary], { detached: true, stdio: ['ignore', log.fd, log.fd] });
  daemon.unref();
  await log.close();
  for (let i = 0; i < 120; i++) {
    if (await answers()) return;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`dockerd did not answer within 60 s; see ${join(tmpdir(), 'baluhost-dockerd.log')}`);
}

/**
 * `--add-host` flags for the package mirrors: here they are pinned in /etc/hosts rather than DNS,
 * which a build container does not see. A NAS resolves them normally and needs none of this.
 */
export async function mirrorHostFlags(): Promise<string[]> {
  const names = ['deb.debian.org', 'security.debian.org', 'registry.npmjs.org'];
  const hosts = await readFile('/etc/hosts', 'utf8').catch(() => '');
  const flags: string[] = [];
  for (const line of hosts.split('\n')) {
    const [address, ...aliases] = line.replace(/#.*/, '').trim().split(/\s+/);
    for (const alias of aliases) if (address && names.includes(alias)) flags.push('--add-host', `${alias}:${address}`);
  }
  return flags;
}

/**
 * A lock shared by the test workers of this machine, for what several files need alone: the image
 * builds, and the container names the program fixes (baluhost-postgres, baluhost-app-blue, …).
 * A lock left by a dead process is taken over. Returns the release.
 */
export async function acquireMachineLock(name: string): Promise<() => Promise<void>> {
  const file = join(tmpdir(), `baluhost-${name}.lock`);
  for (;;) {
    try {
      const handle = await open(file, 'wx');
      await handle.writeFile(String(process.pid));
      await handle.close();
      return () => rm(file, { force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const holder = Number(await readFile(file, 'utf8').catch(() => '0'));
      if (!holder || !alive(holder)) await rm(file, { force: true });
      else await new Promise((r) => setTimeout(r, 1000));
    }
  }
}

/** One image build at a time: the first test file builds, the others wait and find the images current. */
export async function withBuildLock<T>(work: () => Promise<T>): Promise<T> {
  const release = await acquireMachineLock('image-build');
  try {
    return await work();
  } finally {
    await release();
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The label a stand-in or test image carries with the hash of the recipe it was built from. */
export const RECIPE_LABEL = 'baluhost.recipe';

export async function imageRecipe(image: string): Promise<string | undefined> {
  const run = await docker(['image', 'inspect', '--format', `{{index .Config.Labels "${RECIPE_LABEL}"}}`, image], { allowFailure: true });
  return run.code === 0 ? run.stdout.trim() : undefined;
}

/** Waits until `docker inspect` reports the container healthy; fails early when it exits. `env` picks the engine (DOCKER_HOST). */
export async function waitHealthy(container: string, timeoutMs = 120_000, env: Record<string, string> = {}): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let state = '';
  while (Date.now() < deadline) {
    state = (
      await docker(['inspect', '--format', '{{.State.Status}} {{if .State.Health}}{{.State.Health.Status}}{{end}}', container], { env })
    ).stdout.trim();
    if (state === 'running healthy') return;
    if (state.startsWith('exited') || state.startsWith('dead')) break;
    await new Promise((r) => setTimeout(r, 500));
  }
  const logs = await docker(['logs', '--tail', '40', container], { allowFailure: true, env });
  throw new Error(`${container} is not healthy (${state}):\n${logs.stdout}${logs.stderr}`);
}

/** Removes containers, networks and volumes by name, ignoring the ones that do not exist. */
export async function removeDockerObjects(objects: { containers?: string[]; networks?: string[]; volumes?: string[] }): Promise<void> {
  if (objects.containers?.length) await docker(['rm', '-f', '-v', ...objects.containers], { allowFailure: true });
  if (objects.networks?.length) await docker(['network', 'rm', ...objects.networks], { allowFailure: true });
  if (objects.volumes?.length) await docker(['volume', 'rm', '-f', ...objects.volumes], { allowFailure: true });
}
