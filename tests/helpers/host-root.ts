/**
 * A NAS file system in a temporary folder: the rendered files at their paths under it, the folders
 * nginx and the units expect, and the binaries their ExecStart lines name.
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import type { StackConfig } from '../../stacks/config/index.js';
import { hostLayout, renderHostFiles, type HostFile, type HostLayout } from '../../templates/index.js';

export const run = promisify(execFile);

export interface HostRoot {
  root: string;
  layout: HostLayout;
  files: HostFile[];
  file(role: HostFile['role'], suffix?: string): HostFile;
  close(): Promise<void>;
}

export async function renderIntoRoot(config: StackConfig, options: { root?: string } = {}): Promise<HostRoot> {
  const root = options.root ?? (await mkdtemp(join(tmpdir(), 'baluhost-host-')));
  const layout = hostLayout(config, root);
  const files = renderHostFiles(config, root);
  for (const file of files) {
    await mkdir(dirname(file.path), { recursive: true });
    await writeFile(file.path, file.content, { mode: Number.parseInt(file.mode, 8) });
  }
  for (const dir of [
    layout.acmeWebroot,
    layout.logDir,
    layout.dataDir,
    layout.storageDir,
    layout.backupDir,
    dirname(layout.nginxAccessLog),
    dirname(layout.nginxPidFile),
    join(root, 'var/lib/nginx'),
  ]) {
    await mkdir(dir, { recursive: true });
  }
  await mkdir(dirname(layout.nodeBinary), { recursive: true });
  await symlink(process.execPath, layout.nodeBinary).catch(() => undefined);
  await writeNginxMainConf(layout);
  return {
    root,
    layout,
    files,
    file(role, suffix) {
      const found = files.find((f) => f.role === role && (suffix === undefined || f.path.endsWith(suffix)));
      if (!found) throw new Error(`no rendered ${role} file${suffix ? ` ending in ${suffix}` : ''}`);
      return found;
    },
    close: () => rm(root, { recursive: true, force: true }),
  };
}

/**
 * The distribution's nginx.conf, reduced to what the test needs: everything under the root, and
 * conf.d included in the http block exactly as Debian does.
 */
export async function writeNginxMainConf(layout: HostLayout): Promise<void> {
  const at = (p: string) => join(layout.root, p);
  const temp = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']
    .map((t) => `    ${t}_temp_path ${at(`var/lib/nginx/${t}`)};`)
    .join('\n');
  await mkdir(dirname(layout.nginxMainConf), { recursive: true });
  await writeFile(
    layout.nginxMainConf,
    `user root root;
worker_processes 1;
pid ${layout.nginxPidFile};
error_log ${at('var/log/nginx/error.log')} warn;
events { worker_connections 256; }
http {
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    access_log ${at('var/log/nginx/access.log')};
${temp}
    include ${at('etc/nginx/conf.d')}/*.conf;
}
`,
  );
}

/** A self-signed certificate where the TLS site expects one (what the stack generates for `selfsigned`). */
export async function selfSignedCertificate(layout: HostLayout, commonName: string, days = 30): Promise<void> {
  await mkdir(dirname(layout.tlsCertificate), { recursive: true });
  await mkdir(dirname(layout.tlsKey), { recursive: true });
  await run('openssl', [
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-days',
    String(days),
    '-subj',
    `/CN=${commonName}`,
    '-addext',
    `subjectAltName=DNS:${commonName}`,
    '-keyout',
    layout.tlsKey,
    '-out',
    layout.tlsCertificate,
  ]);
}
