/**
 * Creates what the Pulumi program registered (under mocks) on a real Docker Engine, over SSH as the
 * provider connects (`DOCKER_HOST=ssh://…` with the provider's own sshOpts). Each input mapped below
 * cites @pulumi/docker's documented meaning; an input this harness does not map is refused, so a
 * new setting in the program cannot pass here untested.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { ProgramRun, Registered } from './pulumi-program.js';
import { docker, mirrorHostFlags, waitHealthy } from './docker-engine.js';

const run = promisify(execFile);

export interface EngineTarget {
  /** The NAS's sshd: the client key stands in for the operator's agent. */
  ssh: { port: number; user: string; identityFile: string };
}

export interface AppliedProgram {
  /** stdout of each remote command the harness ran, by resource name. */
  commandOutput: Record<string, string>;
  containers: string[];
  networks: string[];
  cleanup(): Promise<void>;
}

const CONTAINER = 'docker:index/container:Container';
const NETWORK = 'docker:index/network:Network';
const REMOTE_IMAGE = 'docker:index/remoteImage:RemoteImage';
const IMAGE = 'docker:index/image:Image';
const COMMAND = 'command:remote:Command';
const PROVIDER = 'pulumi:providers:docker';

/** Container inputs this harness maps (the rest are refused). */
const CONTAINER_INPUTS = new Set([
  'name',
  'image',
  'envs',
  'ports',
  'networksAdvanced',
  'networkMode',
  'volumes',
  'user',
  'healthcheck',
  'restart',
  'logDriver',
  'logOpts',
  'memory',
  'cpus',
  'labels',
  'stopTimeout',
  'destroyGraceSeconds',
  'shmSize',
  'wait',
  'waitTimeout',
]);

/**
 * Applies `program` in dependency order: networks, images, the database, then the release's
 * commands (pre-deploy backup, migration) run over SSH with their stdin, then the slots (the
 * released one first). `commands` names the remote commands to run for real.
 */
export async function applyOnEngine(program: ProgramRun, target: EngineTarget, commands: string[]): Promise<AppliedProgram> {
  const provider = program.resources.find((r) => r.type === PROVIDER);
  if (!provider) throw new Error('the program registered no docker provider');
  const work = await mkdtemp(join(tmpdir(), 'baluhost-engine-'));
  // The docker CLI runs `ssh` for an ssh:// host: a wrapper adds the provider's sshOpts and the key.
  // Provider inputs reach the engine JSON-encoded.
  const rawOpts = provider.inputs['sshOpts'];
  const sshOpts = (typeof rawOpts === 'string' ? JSON.parse(rawOpts) : (rawOpts ?? [])) as string[];
  const wrapper = join(work, 'bin/ssh');
  await run('mkdir', ['-p', join(work, 'bin')]);
  await writeFile(
    wrapper,
    `#!/bin/sh\nexec /usr/bin/ssh ${sshOpts.map((o) => `'${o}'`).join(' ')} -i '${target.ssh.identityFile}' -o IdentitiesOnly=yes "$@"\n`,
  );
  await chmod(wrapper, 0o755);
  const env = { DOCKER_HOST: String(provider.inputs['host']), PATH: `${join(work, 'bin')}:${process.env['PATH'] ?? ''}` };
  const engine = (args: string[], options: { allowFailure?: boolean } = {}) => docker(args, { env, ...options });
  const applied: AppliedProgram = {
    commandOutput: {},
    containers: [],
    networks: [],
    async cleanup() {
      if (applied.containers.length) await engine(['rm', '-f', ...applied.containers], { allowFailure: true });
      if (applied.networks.length) await engine(['network', 'rm', ...applied.networks], { allowFailure: true });
      await rm(work, { recursive: true, force: true });
    },
  };

  const images = new Map<string, string>();
  // Whatever was created before a failure is removed with it: the caller never gets `applied` then.
  try {
    for (const r of program.resources) {
      if (r.type === NETWORK) {
        const name = String(r.inputs['name']);
        // Network: `internal` "Whether the network is internal"; `driver` "The driver of the Docker network".
        await engine([
          'network',
          'create',
          '--driver',
          text(r.inputs['driver'] ?? 'bridge'),
          ...(r.inputs['internal'] ? ['--internal'] : []),
          name,
        ]);
        applied.networks.push(name);
      } else if (r.type === REMOTE_IMAGE) {
        // RemoteImage: `name` "The name of the Docker image, including any tags or SHA256 repo digests";
        // no registry answers here, so the image must already be on the engine (keepLocally).
        const name = String(r.inputs['name']);
        await engine(['image', 'inspect', '--format', '{{.Id}}', name]);
        // The mocks answered imageId and repoDigest with stand-in digests: they stand for this image.
        for (const ref of mockedImageRefs(name)) images.set(ref, name);
      } else if (r.type === IMAGE) {
        // Image: `imageName` "The image name, of the format repository[:tag]"; `build.context`/`dockerfile` as docker build.
        const name = String(r.inputs['imageName']);
        const build = r.inputs['build'] as { context: string; dockerfile: string };
        if (r.inputs['skipPush'] !== true) throw new Error(`${r.name}: only skipPush images are mapped (no registry)`);
        await engine(['build', ...(await mirrorHostFlags()), '--quiet', '-t', name, '-f', build.dockerfile, build.context]);
        images.set(name, name);
      }
    }
    const containers = program.resources.filter((r) => r.type === CONTAINER);
    const database = containers.filter((c) => !isSlot(c));
    const slots = containers.filter(isSlot);
    for (const c of database) await createContainer(c);
    for (const name of commands) {
      const command = program.byName(name);
      if (command.type !== COMMAND) throw new Error(`${name} is not a remote command`);
      applied.commandOutput[name] = await runRemote(target, work, command);
    }
    for (const c of slots) await createContainer(c);
  } catch (err) {
    await applied.cleanup();
    throw err;
  }
  return applied;

  function resolveImage(ref: string): string {
    const found = images.get(ref);
    if (!found) throw new Error(`image ${ref} is neither built nor on the engine`);
    return found;
  }

  async function createContainer(c: Registered): Promise<void> {
    const unknown = Object.keys(c.inputs).filter((k) => !CONTAINER_INPUTS.has(k));
    if (unknown.length)
      throw new Error(`${c.name}: the engine harness does not map ${unknown.join(', ')}; map them (with the provider's docs) first`);
    const i = c.inputs;
    const name = String(i['name']);
    const args = ['create', '--name', name];
    const envFile = join(work, `${name}.env`);
    // envs: "Environment variables to set in the form of KEY=VALUE".
    await writeFile(envFile, `${((i['envs'] as string[] | undefined) ?? []).join('\n')}\n`, { mode: 0o600 });
    args.push('--env-file', envFile);
    // ports: "Publish a container's port(s) to the host" (internal, external, ip).
    for (const p of (i['ports'] as { internal: number; external: number; ip?: string }[] | undefined) ?? [])
      args.push('-p', `${p.ip ? `${p.ip}:` : ''}${p.external}:${p.internal}`);
    // networkMode: "Network mode of the container. Defaults to bridge"; networksAdvanced: "The networks
    // the container is attached to. This is the equivalent to the --network option of docker run".
    const networks = (i['networksAdvanced'] as { name: string; aliases?: string[] }[] | undefined) ?? [];
    const primary = (i['networkMode'] as string | undefined) ?? networks[0]?.name;
    if (primary) args.push('--network', primary);
    for (const alias of networks.find((n) => n.name === primary)?.aliases ?? []) args.push('--network-alias', alias);
    // volumes: hostPath → containerPath bind mounts.
    for (const v of (i['volumes'] as { hostPath: string; containerPath: string }[] | undefined) ?? [])
      args.push('-v', `${v.hostPath}:${v.containerPath}`);
    if (i['user']) args.push('--user', text(i['user']));
    // healthcheck: tests "Command to run to check health"; CMD runs the argv, CMD-SHELL a shell line.
    const health = i['healthcheck'] as
      { tests: string[]; interval?: string; timeout?: string; retries?: number; startPeriod?: string } | undefined;
    if (health) {
      const [form, ...rest] = health.tests;
      if (form !== 'CMD' && form !== 'CMD-SHELL') throw new Error(`${c.name}: health check form ${form} is not mapped`);
      // The CLI takes the shell form only: an argv of plain words is the same command either way.
      if (form === 'CMD' && rest.some((w) => !/^[\w./:@=-]+$/.test(w)))
        throw new Error(`${c.name}: CMD health check with shell characters`);
      args.push('--health-cmd', rest.join(' '));
      if (health.interval) args.push('--health-interval', health.interval);
      if (health.timeout) args.push('--health-timeout', health.timeout);
      if (health.retries !== undefined) args.push('--health-retries', String(health.retries));
      if (health.startPeriod) args.push('--health-start-period', health.startPeriod);
    }
    // restart: "The restart policy for the container".
    if (i['restart']) args.push('--restart', text(i['restart']));
    // logDriver / logOpts: "The logging driver to use" and "Key/value pairs to use as options for the logging driver".
    if (i['logDriver']) args.push('--log-driver', text(i['logDriver']));
    for (const [k, v] of Object.entries((i['logOpts'] as Record<string, string> | undefined) ?? {})) args.push('--log-opt', `${k}=${v}`);
    // memory: "The memory limit for the container in MBs"; cpus: "Specify how much of the available CPU resources a container can use".
    if (i['memory'] !== undefined) args.push('--memory', `${Number(i['memory'])}m`);
    if (i['cpus'] !== undefined) args.push('--cpus', text(i['cpus']));
    for (const l of (i['labels'] as { label: string; value: string }[] | undefined) ?? []) args.push('--label', `${l.label}=${l.value}`);
    // stopTimeout: "Timeout (in seconds) to stop a container"; shmSize: "Size of /dev/shm in MBs".
    if (i['stopTimeout'] !== undefined) args.push('--stop-timeout', text(i['stopTimeout']));
    if (i['shmSize'] !== undefined) args.push('--shm-size', `${Number(i['shmSize'])}m`);
    args.push(resolveImage(String(i['image'])));
    await engine(args);
    applied.containers.push(name);
    for (const n of networks.filter((x) => x.name !== primary))
      await engine(['network', 'connect', ...(n.aliases ?? []).flatMap((a) => ['--alias', a]), n.name, name]);
    await engine(['start', name]);
    // wait / waitTimeout: "If true, then the Docker container is waited for being healthy state after creation".
    if (i['wait'] === true) await waitHealthy(name, Number(i['waitTimeout'] ?? 60) * 1000, env);
  }
}

/** An input that must be a scalar on the command line. */
function text(value: unknown): string {
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return String(value);
  throw new Error(`expected a scalar input, got ${JSON.stringify(value)}`);
}

function isSlot(c: Registered): boolean {
  return ((c.inputs['labels'] as { label: string; value: string }[] | undefined) ?? []).some(
    (l) => l.label === 'baluhost.role' && l.value === 'app',
  );
}

/** What tests/helpers/pulumi-program.ts answers as a RemoteImage's imageId and repoDigest. */
function mockedImageRefs(name: string): string[] {
  const hash = (text: string) => createHash('sha256').update(text).digest('hex');
  return [name, `sha256:${hash(name)}`, `${name.replace(/:[^:/]+$/, '')}@sha256:${hash(`digest:${name}`)}`];
}

/** A remote command's `create`, run by the NAS's sshd with its stdin, as @pulumi/command does. */
async function runRemote(target: EngineTarget, work: string, command: Registered): Promise<string> {
  const script = String(command.inputs['create']);
  const stdin = command.inputs['stdin'] === undefined ? '' : text(command.inputs['stdin']);
  const known = join(work, 'known_hosts_any');
  return new Promise((done, fail) => {
    const child = execFile(
      '/usr/bin/ssh',
      [
        '-i',
        target.ssh.identityFile,
        '-o',
        'IdentitiesOnly=yes',
        '-o',
        'StrictHostKeyChecking=no',
        '-o',
        `UserKnownHostsFile=${known}`,
        '-p',
        String(target.ssh.port),
        `${target.ssh.user}@127.0.0.1`,
        script,
      ],
      { maxBuffer: 64 * 1024 * 1024, timeout: 10 * 60_000 },
      (error, stdout, stderr) => {
        if (error) fail(new Error(`${command.name} failed: ${stderr || stdout}`));
        else done(stdout + stderr);
      },
    );
    child.stdin?.end(stdin);
  });
}
