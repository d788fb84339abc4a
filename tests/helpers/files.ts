import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { TestEnv } from './test-app.js';
import { multipart, type MultipartFile } from './multipart.js';

export async function upload(env: TestEnv, headers: Record<string, string>, path: string, files: MultipartFile[], query = '') {
  const body = multipart({ path }, files);
  return env.app.inject({
    method: 'POST',
    url: `/api/files/upload${query}`,
    payload: body.payload,
    headers: { ...headers, ...body.headers },
  });
}

export async function listNames(env: TestEnv, headers: Record<string, string>, path = '', query = ''): Promise<string[]> {
  const res = await env.app.inject({ method: 'GET', url: `/api/files/list?path=${encodeURIComponent(path)}${query}`, headers });
  if (res.statusCode !== 200) throw new Error(`list ${path}: ${res.statusCode} ${res.body}`);
  return res.json<{ files: { name: string }[] }>().files.map((f) => f.name);
}

export async function usedBytes(env: TestEnv, userId: number): Promise<number> {
  return (await env.app.services.repos.users.findById(userId))?.usedBytes ?? -1;
}

export async function tempFiles(env: TestEnv): Promise<string[]> {
  try {
    return await readdir(join(env.config.storageRoot, '.baluhost-tmp'));
  } catch {
    return [];
  }
}
