/**
 * npm run bench:transfer — one run, one 1 GiB file (size via BENCH_SIZE_MIB):
 *   download through the API vs nginx serving the same file statically,
 *   upload through the API vs a raw `dd` write (with fsync, as the API does),
 *   and the API server's peak RSS during each.
 */
import { execFileSync, spawn } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BENCH_PASSWORD, fmt, freePort, login, peakRssMiB, resetPeakRss, startServer } from './lib/server.js';
import { benchSize } from './lib/sizes.js';

const SIZE_MIB = benchSize('BENCH_SIZE_MIB', 1024, 4);

function download(url: string, headers: Record<string, string> = {}): Promise<{ bytes: number; seconds: number }> {
  return new Promise((done, fail) => {
    const started = process.hrtime.bigint();
    request(url, { headers }, (res) => {
      if (res.statusCode !== 200) return fail(new Error(`GET ${url}: ${res.statusCode}`));
      let bytes = 0;
      res.on('data', (c: Buffer) => (bytes += c.length));
      res.on('end', () => done({ bytes, seconds: Number(process.hrtime.bigint() - started) / 1e9 }));
      res.on('error', fail);
    })
      .on('error', fail)
      .end();
  });
}

function uploadFile(url: string, token: string, file: string, size: number): Promise<number> {
  const boundary = '----baluhostbench';
  const head = Buffer.from(
    `--${boundary}\r\nContent-Disposition: form-data; name="path"\r\n\r\n\r\n--${boundary}\r\nContent-Disposition: form-data; name="files"; filename="upload.bin"\r\nContent-Type: application/octet-stream\r\n\r\n`,
  );
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  return new Promise((done, fail) => {
    const started = process.hrtime.bigint();
    const req = request(
      `${url}/api/files/upload`,
      {
        method: 'POST',
        headers: {
          authorization: `Bearer ${token}`,
          'content-type': `multipart/form-data; boundary=${boundary}`,
          'content-length': head.length + size + tail.length,
        },
      },
      (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () =>
          res.statusCode === 200
            ? done(Number(process.hrtime.bigint() - started) / 1e9)
            : fail(new Error(`upload: ${res.statusCode} ${body}`)),
        );
      },
    );
    req.on('error', fail);
    req.write(head);
    const source = createReadStream(file);
    source.pipe(req, { end: false });
    source.on('end', () => req.end(tail));
  });
}

async function startNginx(root: string, port: number): Promise<() => void> {
  const conf = join(root, 'nginx.conf');
  await writeFile(
    conf,
    `${process.getuid?.() === 0 ? 'user root;' : ''} worker_processes 1; daemon off; pid ${root}/nginx.pid; error_log ${root}/error.log;
events { worker_connections 64; }
http { access_log off; sendfile on; client_body_temp_path ${root}/t1; proxy_temp_path ${root}/t2; fastcgi_temp_path ${root}/t3; uwsgi_temp_path ${root}/t4; scgi_temp_path ${root}/t5;
  server { listen 127.0.0.1:${port}; root ${root}/www; } }`,
  );
  const child = spawn('nginx', ['-c', conf], { stdio: 'ignore' });
  await new Promise((r) => setTimeout(r, 500));
  return () => child.kill('SIGTERM');
}

async function main(): Promise<void> {
  const work = await mkdtemp(join(tmpdir(), 'baluhost-bench-'));
  const data = join(work, 'data');
  const source = join(work, 'source.bin');
  execFileSync('dd', ['if=/dev/urandom', `of=${source}`, 'bs=1M', `count=${SIZE_MIB}`, 'status=none']);
  const size = (await stat(source)).size;
  const server = await startServer({
    BALUHOST_DATA_DIR: data,
    BALUHOST_ADMIN_PASSWORD: BENCH_PASSWORD,
    BALUHOST_UPLOAD_MAX_BYTES: String(size * 2),
    BALUHOST_STORAGE_RESERVE_BYTES: '0',
  });
  try {
    const token = await login(server.url, 'admin', BENCH_PASSWORD);
    const idleRss = await peakRssMiB(server.pid);

    // Upload: API vs dd writing the same bytes with an fsync at the end.
    execFileSync('sync');
    await resetPeakRss(server.pid);
    const uploadSeconds = await uploadFile(server.url, token, source, size);
    const uploadRss = await peakRssMiB(server.pid);
    execFileSync('sync');
    const ddStart = process.hrtime.bigint();
    execFileSync('dd', [`if=${source}`, `of=${join(work, 'dd.bin')}`, 'bs=1M', 'conv=fsync', 'status=none']);
    const ddSeconds = Number(process.hrtime.bigint() - ddStart) / 1e9;

    // Download: API vs nginx serving the stored file (page cache warm for both: each read once first).
    const stored = join(data, 'storage', 'admin', 'upload.bin');
    await mkdir(join(work, 'www'));
    execFileSync('ln', [stored, join(work, 'www', 'upload.bin')]);
    const nginxPort = await freePort();
    const stopNginx = await startNginx(work, nginxPort);
    try {
      await download(`http://127.0.0.1:${nginxPort}/upload.bin`);
      await resetPeakRss(server.pid);
      const api = await download(`${server.url}/api/files/download/upload.bin`, { authorization: `Bearer ${token}` });
      const downloadRss = await peakRssMiB(server.pid);
      const nginx = await download(`http://127.0.0.1:${nginxPort}/upload.bin`);
      if (api.bytes !== size || nginx.bytes !== size)
        throw new Error(`short read: api ${api.bytes}, nginx ${nginx.bytes}, expected ${size}`);

      const mibs = (bytes: number, s: number) => bytes / 1048576 / s;
      console.log(`transfer benchmark — ${SIZE_MIB} MiB file, one run; API server peak RSS at idle ${fmt(idleRss)} MiB`);
      console.log(
        `download  API ${fmt(mibs(size, api.seconds))} MiB/s | nginx static ${fmt(mibs(size, nginx.seconds))} MiB/s | API/nginx ${fmt(nginx.seconds / api.seconds, 2)}x | API peak RSS ${uploadRss > 0 ? fmt(downloadRss) : '?'} MiB`,
      );
      console.log(
        `upload    API ${fmt(mibs(size, uploadSeconds))} MiB/s | dd (conv=fsync) ${fmt(mibs(size, ddSeconds))} MiB/s | API/dd ${fmt(ddSeconds / uploadSeconds, 2)}x | API peak RSS ${fmt(uploadRss)} MiB`,
      );
    } finally {
      stopNginx();
    }
  } finally {
    await server.stop();
    await rm(work, { recursive: true, force: true });
  }
}

await main();
