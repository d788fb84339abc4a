/** A client of a BaluHost API reached over real HTTP (a container's published port), as the web client talks to it. */
import { request } from 'node:http';
import { multipart } from './multipart.js';

export interface ApiClient {
  base: string;
  login(username: string, password: string): Promise<string>;
  json(method: string, path: string, token: string, body?: unknown): Promise<{ status: number; body: unknown }>;
  /** Uploads one file; `slowMs` spreads the body over that long (to keep a request in flight). */
  upload(token: string, folder: string, filename: string, content: Buffer, slowMs?: number): Promise<number>;
  listNames(token: string, folder?: string): Promise<string[]>;
}

export function apiClient(port: number): ApiClient {
  const base = `http://127.0.0.1:${port}`;
  const json: ApiClient['json'] = async (method, path, token, body) => {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? (JSON.parse(text) as unknown) : null };
  };
  return {
    base,
    json,
    async login(username, password) {
      const res = await json('POST', '/api/auth/login', '', { username, password });
      if (res.status !== 200) throw new Error(`login as ${username}: ${res.status} ${JSON.stringify(res.body)}`);
      return (res.body as { access_token: string }).access_token;
    },
    upload(token, folder, filename, content, slowMs = 0) {
      const body = multipart({ path: folder }, [{ filename, content }]);
      return new Promise((done, fail) => {
        const req = request(
          `${base}/api/files/upload`,
          { method: 'POST', headers: { ...body.headers, authorization: `Bearer ${token}` } },
          (res) => {
            res.resume();
            res.on('end', () => done(res.statusCode ?? 0));
          },
        );
        req.on('error', fail);
        const pieces = slowMs > 0 ? 20 : 1;
        const size = Math.ceil(body.payload.length / pieces);
        let sent = 0;
        const next = () => {
          if (sent >= body.payload.length) {
            req.end();
            return;
          }
          req.write(body.payload.subarray(sent, sent + size));
          sent += size;
          setTimeout(next, slowMs / pieces);
        };
        next();
      });
    },
    async listNames(token, folder = '') {
      const res = await json('GET', `/api/files/list?path=${encodeURIComponent(folder)}`, token);
      if (res.status !== 200) throw new Error(`list ${folder}: ${res.status} ${JSON.stringify(res.body)}`);
      return (res.body as { files: { name: string }[] }).files.map((f) => f.name);
    },
  };
}

/** Polls until `GET path` answers 200 (or the deadline passes). */
export async function waitForHttp(url: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
      if (res.status === 200) return;
      last = `${res.status}`;
    } catch (err) {
      last = (err as Error).message;
    }
    await new Promise((r) => setTimeout(r, 300));
  }
  throw new Error(`${url} did not answer 200 within ${timeoutMs} ms (last: ${last})`);
}
