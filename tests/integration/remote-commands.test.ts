/**
 * The remote builders' scripts, run for real over SSH (a real sshd on loopback) against a temporary
 * root with a real nginx. Docker and systemctl do not exist here: where a script calls them, a
 * logging stand-in on PATH records the calls; everything else (shell, files, nginx, openssl) is real.
 */
import { spawn } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { chmod, mkdir, readFile, stat, utimes, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StackConfig } from '../../stacks/config/index.js';
import {
  HostKeyMismatchError,
  baseDirectoriesScript,
  certbotIssueScript,
  healthProbeScript,
  installGroupScript,
  installNginxScript,
  installUnitsScript,
  migrationScript,
  nginxCommands,
  preDeployBackupScript,
  providedCertificateScript,
  runRemote,
  selfSignedCertificateScript,
  stagedPath,
  switchUpstreamScript,
  waitForHostScript,
  writeSecretFileScript,
  type SshTarget,
  type StagedFile,
} from '../../stacks/remote/index.js';
import { UsageError } from '../../scripts/lib/cli.js';
import { sshCredentials } from '../../scripts/lib/release-cli.js';
import {
  containerStatesScript,
  fetchFilesScript,
  newestBackupAgeScript,
  pendingMigrationsScript,
  servedCertificateScript,
} from '../../stacks/release/release-host-commands.js';
import { parseWatchSample, watchSampleScript } from '../../stacks/release/slot-traffic.js';
import { APP_UID, APP_USER, managedFolders, renderHostFiles, type HostFile } from '../../templates/index.js';
import { renderIntoRoot, run, selfSignedCertificate, type HostRoot } from '../helpers/host-root.js';
import { fetchVia, freePorts, startNginx, type RunningNginx } from '../helpers/nginx.js';
import { startSshd, type RunningSshd } from '../helpers/sshd.js';
import { nasUnitPath } from '../helpers/nas-units.js';
import { stackConfig } from '../helpers/stack-configs.js';

const NO_SUDO = { sudo: false };

async function succeeds(command: string, args: string[]): Promise<boolean> {
  return run(command, args).then(
    () => true,
    () => false,
  );
}

const appUserExists = () => succeeds('getent', ['passwd', APP_USER]);

/** Leaves the machine without the app's user and group, as a NAS is before its first deploy. */
async function removeAppUser(): Promise<void> {
  if (await appUserExists()) await run('userdel', [APP_USER]);
  if (await succeeds('getent', ['group', APP_USER])) await run('groupdel', [APP_USER]);
}

describe('remote commands over a real sshd', () => {
  let sshd: RunningSshd;
  let host: HostRoot;
  let nginx: RunningNginx;
  let config: StackConfig;
  let httpsPort: number;
  let staging: string;
  let shims: string;
  const slots: Server[] = [];
  const remote = (command: string, stdin?: string) => runRemote(sshd.target, command, { stdin });

  /** Stages rendered files the way CopyToRemote does (content-addressed) and describes them for the installer. */
  async function stage(files: HostFile[]): Promise<StagedFile[]> {
    return Promise.all(
      files.map(async (f) => {
        const staged = stagedPath(f.sha256, staging);
        await writeFile(staged, f.content);
        return { staged, target: f.path, mode: f.mode, owner: f.owner, group: f.group };
      }),
    );
  }

  beforeAll(async () => {
    sshd = await startSshd();
    const [http, https, blue, green] = await freePorts(4);
    httpsPort = https as number;
    config = stackConfig({ domains: ['nas.test'], nginx: { httpPort: http, httpsPort }, app: { slots: { blue, green } } });
    for (const [name, port] of [
      ['blue', blue],
      ['green', green],
    ] as const) {
      const server = createServer((_req, res) => res.end(name));
      await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
      slots.push(server);
    }
    host = await renderIntoRoot(config);
    await selfSignedCertificate(host.layout, 'nas.test');
    nginx = await startNginx(host.layout);
    staging = join(host.root, 'staging');
    await mkdir(staging, { recursive: true });
    shims = join(host.root, 'shims');
    await mkdir(shims, { recursive: true });
    for (const tool of ['docker', 'systemctl']) {
      await writeFile(
        join(shims, tool),
        `#!/bin/sh\necho "${tool} $*" >> ${shims}/calls.log\n[ -f ${shims}/${tool}.sh ] && . ${shims}/${tool}.sh\nexit 0\n`,
      );
      await chmod(join(shims, tool), 0o755);
    }
  });

  afterAll(async () => {
    await nginx?.stop();
    await Promise.all(slots.map((s) => new Promise((r) => s.close(r))));
    await sshd?.stop();
    await host?.close();
  });

  it('signs in with the key in ssh-agent when no --identity is given, as the guide sets it up, and names what is missing otherwise', async () => {
    const socket = join(sshd.dir, 'agent.sock');
    const agent = spawn('ssh-agent', ['-D', '-a', socket], { stdio: 'ignore' });
    try {
      for (let i = 0; i < 50 && !(await stat(socket).catch(() => null)); i++) await new Promise((r) => setTimeout(r, 50));
      await run('ssh-add', ['-q', join(sshd.dir, 'client')], { env: { ...process.env, SSH_AUTH_SOCK: socket } });
      const credentials = await sshCredentials(undefined, { SSH_AUTH_SOCK: socket });
      expect(credentials).toEqual({ agent: socket });
      const { privateKey: _key, ...withoutKey } = sshd.target as SshTarget & { privateKey: Buffer };
      expect((await runRemote({ ...withoutKey, ...credentials }, 'echo via-agent')).stdout).toBe('via-agent\n');
      // An explicit --identity wins over the agent.
      expect(await sshCredentials(join(sshd.dir, 'client'), { SSH_AUTH_SOCK: socket })).toEqual({
        privateKey: await readFile(join(sshd.dir, 'client')),
      });
    } finally {
      agent.kill('SIGTERM');
    }
    await expect(sshCredentials('/nonexistent/key', {})).rejects.toThrow(new UsageError('--identity /nonexistent/key: no such file'));
    await expect(sshCredentials(undefined, { HOME: sshd.dir })).rejects.toThrow(
      new UsageError(
        `no SSH identity: SSH_AUTH_SOCK is not set (no ssh-agent) and ${join(sshd.dir, '.ssh/id_ed25519')}: no such file; load your key with ssh-add or pass --identity <key file>`,
      ),
    );
  });

  it('connects only to the pinned host key', async () => {
    expect((await remote('echo hello')).stdout).toBe('hello\n');
    const wrongKey = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIInZ2C+aiWgwJKHjsz460HngGXs3yKPzHvmeI9LoGy1o';
    await expect(runRemote({ ...sshd.target, hostKey: wrongKey }, 'echo should-not-run')).rejects.toBeInstanceOf(HostKeyMismatchError);
  });

  it('creates the app user and the base folders with owners and modes, quietly and idempotently, on a host that has never seen BaluHost', async () => {
    // The first deploy meets a NAS without the user: start from there whatever an earlier run left.
    const hadUser = await appUserExists();
    await removeAppUser();
    try {
      const command = baseDirectoriesScript(managedFolders(config, host.layout), 'root', { sudo: false, stagingDir: staging });
      for (let i = 0; i < 2; i++) {
        const result = await remote(command);
        expect(result.stderr).toBe('');
        expect(result.code).toBe(0);
      }
      expect((await run('getent', ['passwd', APP_USER])).stdout).toBe(
        `${APP_USER}:x:${APP_UID}:${APP_UID}::/nonexistent:/usr/sbin/nologin\n`,
      );
      expect((await stat(host.layout.storageDir)).uid).toBe(APP_UID);
    } finally {
      if (!hadUser) await removeAppUser();
    }
    const storage = await stat(host.layout.storageDir);
    expect((storage.mode & 0o777).toString(8)).toBe('750');
    expect(((await stat(staging)).mode & 0o777).toString(8)).toBe('700');
  });

  it('installs nginx files with their modes, reloads once, and a second run changes nothing', async () => {
    const nginxFiles = renderHostFiles(config, host.root).filter((f) => f.role.startsWith('nginx'));
    await writeFile(host.layout.nginxSite, '# something older\n');
    const staged = await stage(nginxFiles);
    const first = await remote(installNginxScript(staged, nginxCommands(host.layout), NO_SUDO));
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toContain(`nginx: installed ${host.layout.nginxSite}`);
    expect(first.stdout).toContain('nginx: applied');
    expect(await readFile(host.layout.nginxSite, 'utf8')).toBe(nginxFiles[0]?.content);
    expect(((await stat(host.layout.nginxSite)).mode & 0o777).toString(8)).toBe('644');

    const second = await remote(installNginxScript(staged, nginxCommands(host.layout), NO_SUDO));
    expect(second.code).toBe(0);
    expect(second.stdout).toBe('nginx: unchanged\n');
  });

  it('never reloads a config nginx -t rejects: the previous files come back and the old slot keeps serving', async () => {
    const before = await readFile(host.layout.nginxUpstream, 'utf8');
    const broken: HostFile = {
      ...(host.files.find((f) => f.role === 'nginx-upstream') as HostFile),
      content: 'upstream baluhost_app { server; }\n',
      sha256: 'broken-upstream',
    };
    const result = await remote(installNginxScript(await stage([broken]), nginxCommands(host.layout), NO_SUDO));
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('nginx: validation failed');
    expect(result.stdout).not.toContain('applied');
    expect(await readFile(host.layout.nginxUpstream, 'utf8')).toBe(before);
    expect((await fetchVia('https', httpsPort, '/')).body).toBe('blue');
  });

  it('a file that did not exist before is removed again when validation fails', async () => {
    const extra = join(host.root, 'etc/nginx/conf.d/zz-extra.conf');
    const bad: HostFile = {
      path: extra,
      mode: '0644',
      owner: 'root',
      group: 'root',
      role: 'nginx-support',
      content: 'this is not nginx;\n',
      sha256: 'bad-extra',
    };
    const result = await remote(installNginxScript(await stage([bad]), nginxCommands(host.layout), NO_SUDO));
    expect(result.code).toBe(1);
    await expect(stat(extra)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('switches the upstream to the other slot with a validated reload, idempotently', async () => {
    const green = renderHostFiles(
      stackConfig({ ...config, domains: ['nas.test'], nginx: config.nginx, app: { ...config.app, activeSlot: 'green' } }),
      host.root,
    ).find((f) => f.role === 'nginx-upstream') as HostFile;
    const command = switchUpstreamScript({ content: green.content, target: green.path }, nginxCommands(host.layout), {
      sudo: false,
      stagingDir: staging,
    });
    const first = await remote(command);
    expect(first.code, first.stderr).toBe(0);
    await new Promise((r) => setTimeout(r, 300));
    expect((await fetchVia('https', httpsPort, '/')).body).toBe('green');
    const again = await remote(command);
    expect(again.stdout).toBe('upstream: unchanged\n');
  });

  it('the health probe passes after N consecutive successes and fails with the last answer otherwise', async () => {
    const healthy = await remote(
      healthProbeScript({
        url: `https://127.0.0.1:${httpsPort}/robots.txt`.replace('https', 'http').replace(String(httpsPort), String(config.app.slots.blue)),
        successes: 3,
        timeoutSeconds: 10,
        intervalSeconds: 0.1,
      }),
    );
    expect(healthy.code).toBe(0);
    expect(healthy.stdout).toContain('healthy: 3 consecutive answers');

    const failing = createServer((_req, res) => {
      res.statusCode = 503;
      res.end('not ready');
    });
    const [port] = await freePorts(1);
    await new Promise<void>((r) => failing.listen(port, '127.0.0.1', r));
    try {
      const unhealthy = await remote(
        healthProbeScript({ url: `http://127.0.0.1:${port}/api/ready`, successes: 2, timeoutSeconds: 1, intervalSeconds: 0.2 }),
      );
      expect(unhealthy.code).toBe(1);
      expect(unhealthy.stderr).toMatch(/unhealthy: .* had 0 of 2 consecutive successes within 1s \(last: .*503/);
    } finally {
      await new Promise((r) => failing.close(r));
    }
  });

  it('installs units only after systemd-analyze accepts them, then reloads systemd and enables the timer', async () => {
    const units = renderHostFiles(config, host.root).filter((f) => f.role === 'systemd-unit' || f.role === 'script');
    const nasEnv = `SYSTEMD_UNIT_PATH=${await nasUnitPath(join(host.root, 'nas-units'))} PATH=${shims}:$PATH`;
    await writeFile((units.find((f) => f.path.endsWith('.timer')) as HostFile).path, '# an older timer\n');
    const command = installUnitsScript(await stage(units), ['baluhost-backup.timer'], NO_SUDO);
    const result = await remote(`${nasEnv} ${command}`);
    expect(result.code, result.stderr).toBe(0);
    expect(await readFile(join(shims, 'calls.log'), 'utf8')).toContain(
      'systemctl daemon-reload\nsystemctl enable --now baluhost-backup.timer\n',
    );

    const badUnit: HostFile = { ...(units[0] as HostFile), content: '[Service]\nExecStart=/nonexistent/binary\n', sha256: 'bad-unit' };
    const before = await readFile(badUnit.path, 'utf8');
    const refused = await remote(`${nasEnv} ${installUnitsScript(await stage([badUnit]), ['baluhost-backup.timer'], NO_SUDO)}`);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('systemd units: validation failed');
    expect(await readFile(badUnit.path, 'utf8')).toBe(before);
  });

  it('the pre-deploy backup runs inside the running slot, passes on a first deploy, and is a hard gate otherwise', async () => {
    const backup = preDeployBackupScript({
      containers: ['baluhost-app-blue', 'baluhost-app-green'],
      outDir: '/backups',
      keepLast: 7,
      keepDays: 30,
    });
    const withDocker = (setup: string) => writeFile(join(shims, 'docker.sh'), setup);
    await writeFile(join(shims, 'calls.log'), '');

    await withDocker(
      'case "$1" in inspect) [ "$4" = baluhost-app-green ] && echo true || echo false ;; ps) printf "baluhost-app-blue\\nbaluhost-app-green\\n" ;; esac\n',
    );
    const running = await remote(`PATH=${shims}:$PATH ${backup}`);
    expect(running.code, running.stderr).toBe(0);
    expect(await readFile(join(shims, 'calls.log'), 'utf8')).toContain(
      'docker exec baluhost-app-green node /app/dist/scripts/backup-database.js --out-dir /backups --keep-last 7 --keep-days 30',
    );

    await withDocker('case "$1" in inspect) echo false ;; ps) echo baluhost-app-blue ;; esac\n');
    const stopped = await remote(`PATH=${shims}:$PATH ${backup}`);
    expect(stopped.code).toBe(1);
    expect(stopped.stderr).toContain('no app slot is running');

    await withDocker('case "$1" in inspect) exit 1 ;; ps) echo baluhost-postgres ;; esac\n');
    const first = await remote(`PATH=${shims}:$PATH ${backup}`);
    expect(first.code).toBe(0);
    expect(first.stdout).toContain('first deploy');
    await withDocker('');
  });

  it('the migration gets its secrets on stdin, in a 0600 file that is gone afterwards, never on a command line', async () => {
    const secret = 'postgres://baluhost:s3cr3t-pw@baluhost-postgres:5432/baluhost';
    // The stand-in docker records the env file it was given: its mode and content while the migration runs.
    await writeFile(
      join(shims, 'docker.sh'),
      `for a in "$@"; do if [ -n "$prev" ] && [ "$prev" = --env-file ]; then stat -c %a "$a" > ${shims}/envfile.mode; cp "$a" ${shims}/envfile.copy; echo "$a" > ${shims}/envfile.path; fi; prev="$a"; done\n`,
    );
    await writeFile(join(shims, 'calls.log'), '');
    const command = migrationScript({ image: 'ghcr.io/baluhost/baluhost@sha256:' + 'a'.repeat(64), network: 'baluhost-internal' });
    expect(command).not.toContain(secret);
    const result = await remote(`PATH=${shims}:$PATH ${command}`, `DATABASE_URL=${secret}\nBALUHOST_SECRET_KEY=k\n`);
    expect(result.code, result.stderr).toBe(0);
    expect((await readFile(join(shims, 'envfile.mode'), 'utf8')).trim()).toBe('600');
    expect(await readFile(join(shims, 'envfile.copy'), 'utf8')).toContain(secret);
    await expect(stat((await readFile(join(shims, 'envfile.path'), 'utf8')).trim())).rejects.toMatchObject({ code: 'ENOENT' });
    const calls = await readFile(join(shims, 'calls.log'), 'utf8');
    expect(calls).toContain('docker run --rm --network baluhost-internal --env-file');
    expect(calls).toContain('node /app/dist/scripts/db-migrate.js up');
    expect(calls).not.toContain(secret);
    await writeFile(join(shims, 'docker.sh'), '');
  });

  it('checks the NAS answers before anything else: SSH, then Docker when the stack needs it', async () => {
    const plain = await remote(waitForHostScript({ sudo: false, needsDocker: false }));
    expect(plain.code, plain.stderr).toBe(0);
    expect(plain.stdout).toMatch(/^ssh: connected to \S+ as root\n$/);
    await writeFile(join(shims, 'docker.sh'), 'exit 1\n');
    const noDocker = await remote(`PATH=${shims}:$PATH ${waitForHostScript({ sudo: false, needsDocker: true })}`);
    expect(noDocker.code).toBe(1);
    expect(noDocker.stderr).toBe('docker does not answer for root (is the user in the docker group?)\n');
    await writeFile(join(shims, 'docker.sh'), '');
    expect((await remote(`PATH=${shims}:$PATH ${waitForHostScript({ sudo: false, needsDocker: true })}`)).code).toBe(0);
    // sudo that would ask for a password (here: a sudo that always refuses) stops the run with the reason.
    await writeFile(join(shims, 'sudo'), '#!/bin/sh\nexit 1\n');
    await chmod(join(shims, 'sudo'), 0o755);
    const asks = await remote(`PATH=${shims}:$PATH ${waitForHostScript({ sudo: true, needsDocker: false }).replace(/^sudo -n /, '')}`);
    expect(asks.code).toBe(1);
    expect(asks.stderr).toBe('sudo asks for a password for root; BaluHost needs passwordless sudo\n');
  });

  it('installs a group of files with its own check, and skips the apply step when nothing changed', async () => {
    const target = join(host.root, 'etc/baluhost/extra.conf');
    const staged = await stage([
      { path: target, content: 'answer=42\n', mode: '0640', owner: 'root', group: 'root', sha256: 'extra-1', role: 'app-env' },
    ]);
    const applied = join(host.root, 'applied.log');
    const steps = { validate: `grep -q answer= ${target}`, apply: `echo applied >> ${applied}` };
    const first = await remote(installGroupScript('extra', staged, steps, NO_SUDO));
    expect(first.stdout).toBe(`extra: installed ${target}\nextra: applied\n`);
    expect(((await stat(target)).mode & 0o777).toString(8)).toBe('640');
    expect((await remote(installGroupScript('extra', staged, steps, NO_SUDO))).stdout).toBe('extra: unchanged\n');
    expect(await readFile(applied, 'utf8')).toBe('applied\n');
    const bad = await stage([
      { path: target, content: 'nothing useful\n', mode: '0640', owner: 'root', group: 'root', sha256: 'extra-2', role: 'app-env' },
    ]);
    const refused = await remote(installGroupScript('extra', bad, steps, NO_SUDO));
    expect(refused.code).toBe(1);
    expect(refused.stderr).toBe(
      `extra: validation failed (grep -q answer= ${target}); the previous files were restored and nothing was reloaded:\n\n`,
    );
    expect(await readFile(target, 'utf8')).toBe('answer=42\n');
    const missing = await remote(
      installGroupScript(
        'extra',
        [{ staged: join(staging, 'not-there'), target, mode: '0640', owner: 'root', group: 'root' }],
        steps,
        NO_SUDO,
      ),
    );
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe(`extra: staged file ${join(staging, 'not-there')} for ${target} is missing\n`);
  });

  it('installs a group without a check or an apply step, and units-only groups without units', async () => {
    const target = join(host.root, 'etc/baluhost/plain.env');
    const staged = await stage([
      { path: target, content: 'LOG_LEVEL=info\n', mode: '0600', owner: 'root', group: 'root', sha256: 'plain-1', role: 'app-env' },
    ]);
    const plain = await remote(installGroupScript('app env', staged, {}, NO_SUDO));
    expect(plain.stdout).toBe(`app env: installed ${target}\n`);
    const script = join(host.root, 'usr/local/lib/baluhost/backup.sh');
    const onlyScript = await stage([
      { path: script, content: '#!/bin/sh\necho backup\n', mode: '0755', owner: 'root', group: 'root', sha256: 'script-1', role: 'script' },
    ]);
    await writeFile(join(shims, 'calls.log'), '');
    const units = await remote(`PATH=${shims}:$PATH ${installUnitsScript(onlyScript, [], NO_SUDO)}`);
    expect(units.code, units.stderr).toBe(0);
    expect(units.stdout).toBe(`systemd units: installed ${script}\nsystemd units: applied\n`);
    expect(await readFile(join(shims, 'calls.log'), 'utf8')).toBe('systemctl daemon-reload\n');
  });

  it('stages into the NAS staging folder unless told otherwise', () => {
    expect(baseDirectoriesScript([], 'admin', NO_SUDO)).toContain('install -d -m 0700 -o admin -g admin /var/lib/baluhost/incoming');
    expect(switchUpstreamScript({ content: 'x', target: '/etc/nginx/conf.d/u.conf' }, nginxCommands(host.layout), NO_SUDO)).toContain(
      'install -d -m 0700 /var/lib/baluhost/incoming',
    );
  });

  it('writes the secrets file from stdin, mode 0600, never naming a secret on the command line', async () => {
    const target = join(host.root, 'etc/baluhost/secrets/app.env');
    const command = writeSecretFileScript(target, 'root', NO_SUDO);
    const secret = 'BALUHOST_SECRET_KEY=s3cret-value-that-must-not-leak-0123456789\n';
    expect(command).not.toContain('s3cret');
    const result = await remote(command, secret);
    expect(result.code, result.stderr).toBe(0);
    expect(await readFile(target, 'utf8')).toBe(secret);
    expect(((await stat(target)).mode & 0o777).toString(8)).toBe('600');
  });

  it("samples a slot's metrics during the watch with the metrics token, which never appears on a command line", async () => {
    const token = 'watch-token-0123456789abcdefghij';
    const [port] = await freePorts(1);
    const seen: (string | undefined)[] = [];
    const metrics = createServer((req, res) => {
      seen.push(req.headers.authorization);
      if (req.headers.authorization !== `Bearer ${token}`) return res.writeHead(403).end('forbidden');
      res.end('baluhost_http_request_duration_seconds_count{method="GET",route="/a",status="200"} 7\n');
    });
    await new Promise<void>((r) => metrics.listen(port, '127.0.0.1', r));
    try {
      const tokenFile = join(host.root, 'etc/baluhost/prometheus/watch-token');
      await mkdir(join(host.root, 'etc/baluhost/prometheus'), { recursive: true });
      await writeFile(tokenFile, `${token}\n`, { mode: 0o600 });
      const watched = { ...config, app: { ...config.app, slots: { ...config.app.slots, green: port as number } } };
      const command = watchSampleScript(watched, 'green', { tokenFile, sudo: false });
      expect(command).not.toContain(token);
      const sample = parseWatchSample((await remote(command)).stdout);
      expect(sample.requests).toBe(7);
      expect(seen).toEqual([`Bearer ${token}`]);
    } finally {
      await new Promise((r) => metrics.close(r));
    }
  });

  it('lets a named group read a secret file (the metrics token for Prometheus) only when that group exists', async () => {
    // Debian's prometheus package makes the group; this machine has it because .ci/run installs prometheus.
    const gid = Number((await run('getent', ['group', 'prometheus'])).stdout.split(':')[2]);
    const target = join(host.root, 'etc/baluhost/prometheus/metrics-token');
    expect((await remote(writeSecretFileScript(target, 'root', NO_SUDO, { readers: 'prometheus' }), 'token-1\n')).code).toBe(0);
    const readable = await stat(target);
    expect([(readable.mode & 0o777).toString(8), readable.gid]).toEqual(['640', gid]);
    const lonely = join(host.root, 'etc/baluhost/prometheus/other-token');
    expect((await remote(writeSecretFileScript(lonely, 'root', NO_SUDO, { readers: 'no-such-group-here' }), 'token-2\n')).code).toBe(0);
    const closed = await stat(lonely);
    expect([(closed.mode & 0o777).toString(8), closed.gid]).toEqual(['600', 0]);
    expect(await readFile(lonely, 'utf8')).toBe('token-2\n');
  });

  it('accepts a provided certificate only with its own key', async () => {
    const dir = join(host.root, 'provided');
    await mkdir(dir, { recursive: true });
    const pair = async (name: string) => {
      await run('openssl', [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-days',
        '2',
        '-subj',
        '/CN=nas.test',
        '-keyout',
        join(dir, `${name}.key`),
        '-out',
        join(dir, `${name}.pem`),
      ]);
      return { certificate: join(dir, `${name}.pem`), key: join(dir, `${name}.key`) };
    };
    const a = await pair('a');
    const b = await pair('b');
    expect((await remote(providedCertificateScript(a, NO_SUDO))).code).toBe(0);
    const mismatch = await remote(providedCertificateScript({ certificate: a.certificate, key: b.key }, NO_SUDO));
    expect(mismatch.code).toBe(1);
    expect(mismatch.stderr).toBe(`provided key ${b.key} does not match ${a.certificate}\n`);
    const missing = await remote(providedCertificateScript({ certificate: join(dir, 'none.pem'), key: a.key }, NO_SUDO));
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain(`provided certificate ${join(dir, 'none.pem')} is missing or not a certificate`);
  });

  it('asks certbot for one certificate covering every domain, with the rendered settings', async () => {
    await writeFile(join(shims, 'certbot'), `#!/bin/sh\necho "certbot $*" >> ${shims}/calls.log\n`);
    await chmod(join(shims, 'certbot'), 0o755);
    await writeFile(join(shims, 'calls.log'), '');
    const result = await remote(
      `PATH=${shims}:$PATH ${certbotIssueScript({ configFile: '/etc/letsencrypt/cli.ini', domains: ['nas.example.com', 'files.example.com'] }, NO_SUDO)}`,
    );
    expect(result.code, result.stderr).toBe(0);
    expect(await readFile(join(shims, 'calls.log'), 'utf8')).toBe(
      'certbot certonly --config /etc/letsencrypt/cli.ini -d nas.example.com -d files.example.com\n',
    );
  });

  it('reads container states, with absent containers named as such', async () => {
    await writeFile(
      join(shims, 'docker.sh'),
      'case "$1" in version) exit 0 ;; esac\ncase "$4" in baluhost-postgres) echo "running healthy" ;; baluhost-app-blue) echo "running none" ;; *) exit 1 ;; esac\n',
    );
    const result = await remote(
      `PATH=${shims}:$PATH ${containerStatesScript(['baluhost-postgres', 'baluhost-app-blue', 'baluhost-app-green'])}`,
    );
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toBe('baluhost-postgres running healthy\nbaluhost-app-blue running none\nbaluhost-app-green absent none\n');
    await writeFile(join(shims, 'docker.sh'), '');
  });

  it('says Docker does not answer, with its own message, instead of reporting containers absent or a first deploy', async () => {
    const daemonDown = 'Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?';
    await writeFile(join(shims, 'docker.sh'), `echo "${daemonDown}" >&2\nexit 1\n`);
    try {
      const states = await remote(`PATH=${shims}:$PATH ${containerStatesScript(['baluhost-postgres', 'baluhost-app-blue'])}`);
      expect(states.code).toBe(3);
      expect(states.stdout).toBe('');
      expect(states.stderr).toMatch(new RegExp(`^docker does not answer on \\S+: ${daemonDown.replace(/[.?]/g, '\\$&')}\n$`));
      const backup = await remote(
        `PATH=${shims}:$PATH ${preDeployBackupScript({ containers: ['baluhost-app-blue'], outDir: '/backups', keepLast: 7, keepDays: 30 })}`,
      );
      expect(backup.code).toBe(3);
      expect(backup.stdout).not.toContain('first deploy');
      expect(backup.stderr).toContain(daemonDown);
    } finally {
      await writeFile(join(shims, 'docker.sh'), '');
    }
  });

  it('asks a new image for pending migrations with only the database secrets, never on a command line', async () => {
    const secret = 'postgres://baluhost:pl4n-s3cret@baluhost-postgres:5432/baluhost';
    await writeFile(
      join(shims, 'docker.sh'),
      [
        `if [ "$1" = exec ]; then printf 'PATH=/usr/bin\\nDATABASE_URL=${secret}\\nHOME=/home/app\\nBALUHOST_SECRET_KEY=k3y\\nNODE_ENV=production\\nSENTRY_DSN=https://x@y/1\\n'; fi`,
        `if [ "$1" = run ]; then for a in "$@"; do if [ "$prev" = --env-file ]; then cat "$a" > ${shims}/plan-env.copy; fi; prev="$a"; done; echo "No pending migrations"; fi`,
        '',
      ].join('\n'),
    );
    await writeFile(join(shims, 'calls.log'), '');
    const command = pendingMigrationsScript({
      image: 'ghcr.io/baluhost/baluhost:2.0',
      runningContainer: 'baluhost-app-blue',
      network: 'baluhost-internal',
    });
    const result = await remote(`PATH=${shims}:$PATH ${command}`);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toBe('No pending migrations\n');
    expect(await readFile(join(shims, 'plan-env.copy'), 'utf8')).toBe(
      `DATABASE_URL=${secret}\nBALUHOST_SECRET_KEY=k3y\nNODE_ENV=production\n`,
    );
    const calls = await readFile(join(shims, 'calls.log'), 'utf8');
    expect(calls).toContain('docker exec baluhost-app-blue env');
    expect(calls).toMatch(
      /docker run --rm --network baluhost-internal --env-file \S+ ghcr\.io\/baluhost\/baluhost:2\.0 node \/app\/dist\/scripts\/db-migrate\.js status/,
    );
    expect(calls).not.toContain(secret);
    await writeFile(join(shims, 'docker.sh'), '');
  });

  it('tells the age of the newest backup archive, ignoring checksums and other files', async () => {
    const dir = join(host.root, 'backup-age');
    await mkdir(dir, { recursive: true });
    expect((await remote(newestBackupAgeScript(dir, NO_SUDO))).stdout).toBe('none\n');
    const now = Date.now() / 1000;
    for (const [name, age] of [
      ['baluhost-full-1.tar.gz', 7200],
      ['baluhost-full-2.tar.gz.enc', 600],
      ['baluhost-full-3.tar.gz.sha256', 10],
      ['notes.txt', 5],
    ] as const) {
      await writeFile(join(dir, name), 'x');
      await utimes(join(dir, name), now - age, now - age);
    }
    const age = Number((await remote(newestBackupAgeScript(dir, NO_SUDO))).stdout.trim());
    expect(age).toBeGreaterThanOrEqual(600);
    expect(age).toBeLessThan(660);
  });

  it('fetches several files in one round trip, marking the missing ones', async () => {
    const present = join(host.root, 'fetch-a.txt');
    await writeFile(present, 'line one\nline two\n');
    const result = await remote(fetchFilesScript([present, join(host.root, 'fetch-missing.txt')], NO_SUDO));
    expect(result.stdout).toBe(
      `=== baluhost-file ${present}\n${Buffer.from('line one\nline two\n').toString('base64')}\n=== baluhost-file ${join(host.root, 'fetch-missing.txt')}\nMISSING\n`,
    );
  });

  it('reads the expiry and fingerprint of the certificate nginx serves', async () => {
    const result = await remote(servedCertificateScript('nas.test', httpsPort));
    expect(result.code, result.stderr).toBe(0);
    const served = await readFile(host.layout.tlsCertificate, 'utf8');
    const fingerprint = new X509Certificate(served).fingerprint256;
    expect(result.stdout).toMatch(/^notAfter=.+ GMT$/m);
    expect(result.stdout).toContain(`Fingerprint=${fingerprint}`);
  });

  it('makes a self-signed certificate once and remakes it when the names change', async () => {
    const cert = {
      certificate: join(host.root, 'etc/baluhost/tls2/cert.pem'),
      key: join(host.root, 'etc/baluhost/tls2/key.pem'),
      days: 825,
    };
    const first = await remote(selfSignedCertificateScript({ ...cert, domains: ['nas.test'] }, NO_SUDO));
    expect(first.stdout).toContain('created for nas.test');
    expect(((await stat(cert.key)).mode & 0o777).toString(8)).toBe('600');
    const again = await remote(selfSignedCertificateScript({ ...cert, domains: ['nas.test'] }, NO_SUDO));
    expect(again.stdout).toContain('still valid');
    const renamed = await remote(selfSignedCertificateScript({ ...cert, domains: ['nas.test', 'files.nas.test'] }, NO_SUDO));
    expect(renamed.stdout).toContain('created for nas.test, files.nas.test');
  });
});

describe('remote command strings', () => {
  it('run privileged work through sudo -n when the SSH user is not root', () => {
    const layout = renderHostFiles(stackConfig()).find((f) => f.role === 'nginx-upstream') as HostFile;
    expect(
      switchUpstreamScript(
        { content: layout.content, target: layout.path },
        { test: 'nginx -t', reload: 'nginx -s reload' },
        { sudo: true },
      ),
    ).toMatch(/^sudo -n bash -c '/);
  });

  it('quote hostile values so they stay data', () => {
    const command = selfSignedCertificateScript(
      { certificate: "/tmp/x'; touch /tmp/pwned; '", key: '/tmp/k', domains: ['a.test'], days: 1 },
      NO_SUDO,
    );
    expect(command).not.toMatch(/[^\\']touch \/tmp\/pwned; '[^\\]/);
    expect(command).toContain('set -euo pipefail');
  });
});
