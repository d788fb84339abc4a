/**
 * BaluHost's web client as the stack serves it: a small client of our own making (an index.html
 * and hashed assets written here), bundled on the "operator's machine", installed over a real sshd
 * by the NAS script, served by the real nginx through the rendered config.
 */
import { createHash } from 'node:crypto';
import { createServer as createHttpServer, type Server } from 'node:http';
import { mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StackConfig } from '../../stacks/config/index.js';
import { prepareWebClient, WebClientError, type WebClientBundle } from '../../stacks/release/web-client-bundle.js';
import {
  installWebClientScript,
  runRemote,
  switchWebClientScript,
  WEB_CLIENT_KEEP,
  webClientStateScript,
  type WebClientPaths,
} from '../../stacks/remote/index.js';
import { restoreWebClient, servedWebClient, webClientChange, webClientPlanLines } from '../../stacks/release/index.js';
import { WEB_CLIENT_CSP } from '../../templates/nginx/nginx.view.js';
import { renderIntoRoot, run, selfSignedCertificate, type HostRoot } from '../helpers/host-root.js';
import { fetchVia, freePorts, startNginx, type RunningNginx } from '../helpers/nginx.js';
import { startSshd, type RunningSshd } from '../helpers/sshd.js';
import { stackConfig } from '../helpers/stack-configs.js';

let work: string;

/** A built client as Vite lays one out: index.html at the top, assets named by their content. */
async function writeClient(name: string, version: string): Promise<string> {
  const dir = join(work, name);
  const js = `console.log(${JSON.stringify(version)});\n`.repeat(200);
  const hash = createHash('sha256').update(js).digest('hex').slice(0, 8);
  await mkdir(join(dir, 'assets'), { recursive: true });
  await writeFile(join(dir, 'assets', `index-${hash}.js`), js);
  await writeFile(join(dir, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
  await writeFile(
    join(dir, 'index.html'),
    `<!doctype html><title>BaluHost ${version}</title><script type="module" src="/assets/index-${hash}.js"></script>`,
  );
  return dir;
}

const bundleOf = async (dir: string) =>
  prepareWebClient({ dist: dir }, { projectDir: work, workDir: await mkdtemp(join(work, 'bundle-')) });

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'baluhost-web-client-'));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe("the web client bundle, on the operator's machine", () => {
  it('names a build by its content: the same files give the same id and the same tarball, byte for byte', async () => {
    const dir = await writeClient('same', 'v1');
    const [a, b] = [await bundleOf(dir), await bundleOf(dir)];
    expect(a.id).toMatch(/^[a-f0-9]{32}$/);
    expect(b.id).toBe(a.id);
    expect((await readFile(b.tarball)).equals(await readFile(a.tarball))).toBe(true);
    expect(a.files.map((f) => f.path)).toEqual([expect.stringMatching(/^assets\/index-[a-f0-9]{8}\.js$/), 'favicon.svg', 'index.html']);
    expect(await readdir(dir)).not.toContain('.baluhost-manifest');
    await writeFile(join(dir, 'favicon.svg'), '<svg/>');
    expect((await bundleOf(dir)).id).not.toBe(a.id);
  });

  it('refuses a folder that is no built client, naming what is wrong', async () => {
    await mkdir(join(work, 'src-only'), { recursive: true });
    await writeFile(join(work, 'src-only', 'App.tsx'), 'export {}');
    await expect(bundleOf(join(work, 'src-only'))).rejects.toThrow(/has no index.html at its top; point webClient at the built client/);
    await expect(bundleOf(join(work, 'nowhere'))).rejects.toThrow(/webClient.dist: .*nowhere is not a folder/);
    const linked = await writeClient('linked', 'v1');
    await symlink('/etc/passwd', join(linked, 'passwd'));
    await expect(bundleOf(linked)).rejects.toThrow(/passwd is a symbolic link/);
  });

  it('fetches a release archive, checks its SHA-256 before anything else, and finds the client inside its folder', async () => {
    const dir = await writeClient('released', 'v7');
    const archive = join(work, 'client.tgz');
    await run('tar', ['-czf', archive, '-C', work, 'released']);
    const bytes = await readFile(archive);
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    const server = createHttpServer((req, res) => {
      if (req.url === '/client.tgz') res.end(bytes);
      else res.writeHead(404).end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    try {
      const fetched = await prepareWebClient(
        { archive: `${base}/client.tgz`, sha256 },
        { projectDir: work, workDir: await mkdtemp(join(work, 'a-')) },
      );
      expect(fetched.id).toBe((await bundleOf(dir)).id);
      const wrong = '0'.repeat(64);
      const refused = prepareWebClient(
        { archive: `${base}/client.tgz`, sha256: wrong },
        { projectDir: work, workDir: await mkdtemp(join(work, 'b-')) },
      );
      await expect(refused).rejects.toBeInstanceOf(WebClientError);
      await expect(refused).rejects.toThrow(`has SHA-256 ${sha256}, not the configured ${wrong}; nothing was pushed`);
      await expect(
        prepareWebClient({ archive: `${base}/missing.tgz`, sha256 }, { projectDir: work, workDir: await mkdtemp(join(work, 'c-')) }),
      ).rejects.toThrow(/answered 404/);
    } finally {
      await new Promise((r) => server.close(r));
    }
  });
});

describe('the web client on the NAS, served by nginx', () => {
  let host: HostRoot;
  let nginx: RunningNginx;
  let sshd: RunningSshd;
  let upstream: Server;
  let config: StackConfig;
  let paths: WebClientPaths;
  let httpsPort: number;
  let first: WebClientBundle;
  let second: WebClientBundle;
  const remote = { sudo: false };

  /** Copies the tarball to the NAS's staging folder (what CopyToRemote does) and runs the install script over SSH. */
  const install = async (bundle: WebClientBundle) => {
    const staged = join(host.layout.root, 'staging', `web-client-${bundle.id}.tar`);
    await mkdir(join(host.layout.root, 'staging'), { recursive: true });
    await writeFile(staged, await readFile(bundle.tarball));
    return runRemote(sshd.target, installWebClientScript(paths, { id: bundle.id, tarball: staged }, remote));
  };
  const get = (path: string, headers: Record<string, string> = {}) => fetchVia('https', httpsPort, path, { headers });
  const hostLayoutOf = () => host.layout;

  beforeAll(async () => {
    const [http, https, blue, green] = await freePorts(4);
    httpsPort = https as number;
    config = stackConfig({
      domains: ['nas.test'],
      nginx: { httpPort: http, httpsPort: https },
      app: { slots: { blue, green } },
      webClient: { dist: 'client/dist' },
    });
    upstream = createHttpServer((req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-security-policy': "default-src 'none'" });
      res.end(JSON.stringify({ api: req.url }));
    });
    await new Promise<void>((r) => upstream.listen(config.app.slots[config.app.activeSlot], '127.0.0.1', r));
    host = await renderIntoRoot(config);
    paths = { dir: host.layout.webClientDir, current: host.layout.webClientCurrent };
    await selfSignedCertificate(host.layout, 'nas.test');
    sshd = await startSshd();
    first = await bundleOf(await writeClient('first', 'v1'));
    second = await bundleOf(await writeClient('second', 'v2'));
    expect((await install(first)).code).toBe(0);
    nginx = await startNginx(host.layout);
  });

  afterAll(async () => {
    await nginx?.stop();
    await sshd?.stop();
    await new Promise((r) => upstream?.close(r));
    await host?.close();
  });

  it('passes nginx -t with the client configured', async () => {
    await run('nginx', ['-t', '-c', host.layout.nginxMainConf]);
  });

  it("serves index.html at / and for the client's own routes, uncached, with the pages' CSP", async () => {
    for (const path of ['/', '/files', '/settings/profile', '/share/abc123']) {
      const page = await get(path);
      expect([page.status, page.body], path).toEqual([200, expect.stringContaining('BaluHost v1')]);
      expect(page.headers['content-security-policy'], path).toBe(WEB_CLIENT_CSP);
      expect(page.headers['cache-control'], path).toBe('no-cache');
      expect(page.headers['x-frame-options']).toBe('DENY');
      expect(page.headers['strict-transport-security']).toBeDefined();
    }
    expect(WEB_CLIENT_CSP).toContain("frame-ancestors 'none'");
  });

  it('caches hashed assets for good and compresses them; an unknown asset is a 404, not the page', async () => {
    const asset = first.files.find((f) => f.path.startsWith('assets/'))!;
    const reply = await get(`/${asset.path}`, { 'accept-encoding': 'gzip' });
    expect(reply.status).toBe(200);
    expect(reply.headers['cache-control']).toBe('max-age=315360000');
    expect(reply.headers['content-encoding']).toBe('gzip');
    expect((await get('/assets/index-deadbeef.js')).status).toBe(404);
    expect((await get('/.baluhost-manifest')).status).toBe(404);
  });

  it("sends /api/ to the app with its own headers, not the pages' CSP", async () => {
    const reply = await get('/api/system/info');
    expect(JSON.parse(reply.body)).toEqual({ api: '/api/system/info' });
    expect(reply.headers['content-security-policy']).toBe("default-src 'none'");
    expect(reply.headers['x-content-type-options']).toBe('nosniff');
  });

  it('switches to a new build under load with no failed request and no mixed page, then back byte for byte', async () => {
    let running = true;
    const seen = new Set<string>();
    let failed = 0;
    let total = 0;
    const worker = async () => {
      while (running) {
        const page = await get('/').catch(() => null);
        total += 1;
        if (!page || page.status !== 200) failed += 1;
        else seen.add(/BaluHost (v\d)/.exec(page.body)?.[1] ?? page.body);
      }
    };
    const workers = Array.from({ length: 4 }, worker);
    await new Promise((r) => setTimeout(r, 300));
    const installed = await install(second);
    expect(installed.stdout).toContain(`web client: serving ${second.id}`);
    await new Promise((r) => setTimeout(r, 300));
    running = false;
    await Promise.all(workers);
    expect({ failed, mixed: [...seen].filter((v) => !['v1', 'v2'].includes(v)) }).toEqual({ failed: 0, mixed: [] });
    expect(total).toBeGreaterThan(20);
    expect((await get('/')).body).toContain('BaluHost v2');

    // A rollback: the first build again, without unpacking anything, every file as it was.
    expect((await runRemote(sshd.target, switchWebClientScript(paths, first.id, remote))).code).toBe(0);
    for (const file of first.files) {
      const served = await fetchVia('https', httpsPort, `/${file.path}`, { headers: { 'accept-encoding': 'identity' } });
      expect(createHash('sha256').update(served.body).digest('hex'), file.path).toBe(file.sha256);
    }
    const state = await runRemote(sshd.target, webClientStateScript(paths, remote));
    expect(state.stdout.trim()).toBe(`serving ${first.id}`);
  });

  it('refuses a tarball whose files do not match their manifest, and keeps serving what it served', async () => {
    const broken = await bundleOf(await writeClient('broken', 'v9'));
    const tarDir = await mkdtemp(join(work, 'tamper-'));
    await run('tar', ['-xf', broken.tarball, '-C', tarDir]);
    await writeFile(join(tarDir, 'index.html'), '<title>tampered</title>');
    await run('tar', ['-cf', broken.tarball, '-C', tarDir, '.']);
    const result = await install(broken);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain(`web client ${broken.id}: files do not match their manifest; the served client is unchanged`);
    expect((await get('/')).body).toContain('BaluHost v1');
    expect(await readdir(paths.dir)).not.toContain(broken.id);
    // Drift on the NAS itself is reported file by file.
    await writeFile(join(paths.dir, first.id, 'favicon.svg'), '<svg>changed by hand</svg>');
    const drift = await runRemote(sshd.target, webClientStateScript(paths, remote));
    expect(drift.stdout).toContain('drift ./favicon.svg: FAILED');
  });

  it('tells a release which build is served, puts a recorded build back, and says plainly when it was pruned', async () => {
    const nas = {
      run: (command: string, stdin?: string) => runRemote(sshd.target, command, stdin === undefined ? {} : { stdin }),
      options: remote,
    };
    expect((await install(second)).code).toBe(0);
    expect(await servedWebClient(nas, hostLayoutOf())).toEqual({ build: second.id, drift: [] });
    await restoreWebClient(nas, hostLayoutOf(), first.id, 'r1');
    expect((await servedWebClient(nas, hostLayoutOf())).build).toBe(first.id);
    const gone = 'f'.repeat(32);
    await expect(restoreWebClient(nas, hostLayoutOf(), gone, 'r0')).rejects.toThrow(
      `the web client of release r0 (build ${gone}) cannot be served again: web client: build ${gone} is not on the NAS (pruned or never installed)`,
    );

    // What plan shows for the next build: ids, and the files by path.
    const change = await webClientChange(nas, hostLayoutOf(), second);
    const assetOf = (b: WebClientBundle) => b.files.find((f) => f.path.startsWith('assets/'))!.path;
    expect(change).toEqual({ from: first.id, to: second.id, added: [assetOf(second)], removed: [assetOf(first)], changed: ['index.html'] });
    const plan = webClientPlanLines(change).join('\n');
    expect(plan).toContain(`Build \`${first.id}\` → \`${second.id}\`.`);
    expect(plan).toContain(`Added (1):\n\n- \`${assetOf(second)}\``);
    expect(webClientPlanLines({ ...change, from: second.id }).join('\n')).toContain(`Unchanged (build \`${second.id}\`).`);
  });

  it(`keeps the served build and the ${WEB_CLIENT_KEEP} newest others, pruning older ones`, async () => {
    for (let i = 0; i < WEB_CLIENT_KEEP + 2; i++) {
      const result = await install(await bundleOf(await writeClient(`many-${i}`, `v${10 + i}`)));
      expect(result.code, result.stderr).toBe(0);
    }
    const builds = (await readdir(paths.dir)).filter((n) => /^[a-f0-9]{32}$/.test(n));
    expect(builds).toHaveLength(WEB_CLIENT_KEEP + 1);
    expect((await get('/')).body).toContain(`BaluHost v${10 + WEB_CLIENT_KEEP + 1}`);
  });
});
