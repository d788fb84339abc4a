import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseName, parseStoragePath, resolveInside } from '../../app/src/lib/path-safety.js';
import { AppError } from '../../app/src/errors/index.js';

const HOSTILE_PATHS: [string, string][] = [
  ['parent segment', '..'],
  ['parent prefix', '../etc/passwd'],
  ['parent in the middle', 'Documents/../../etc'],
  ['parent at the end', 'Documents/..'],
  ['current segment', './a.txt'],
  ['current in the middle', 'a/./b'],
  ['absolute', '/etc/passwd'],
  ['absolute root', '/'],
  ['windows drive', 'C:\\Windows'],
  ['windows drive with slash', 'C:/Windows'],
  ['backslash traversal', '..\\..\\etc'],
  ['backslash inside a name', 'a\\b'],
  ['leading backslash', '\\server\\share'],
  ['NUL byte', 'a.txt\u0000.jpg'],
  ['NUL alone', '\u0000'],
  ['newline', 'a\nb'],
  ['carriage return', 'a\rb'],
  ['tab', 'a\tb'],
  ['escape char', 'a\u001bb'],
  ['DEL', 'a\u007fb'],
  ['C1 control', 'a\u0085b'],
  ['line separator', 'a\u2028b'],
  ['right-to-left override', 'invoice\u202egpj.exe'],
  ['empty segment', 'a//b'],
  ['fullwidth dots', '\uff0e\uff0e'],
  ['fullwidth dots as a segment', 'a/\uff0e\uff0e/b'],
  ['one-dot leaders', '\u2024\u2024'],
  ['fullwidth solidus', 'a\uff0fb'],
  ['fullwidth reverse solidus', 'a\uff3cb'],
  ['three dots', '...'],
  ['overlong name', 'x'.repeat(256)],
  ['overlong multibyte name', 'ü'.repeat(128)],
  ['overlong path', `${'abcdefgh/'.repeat(460)}x`],
  ['only spaces', '   '],
  ['trailing space', 'name '],
  ['leading space', ' name'],
  ['a real parent after an encoded one', '%2e%2e/../x'],
  ['parent hidden after a good prefix', 'ok/ok/../../..'],
  ['single dot', '.'],
  ['dot then slash', './'],
  ['mixed separators', 'a/..\\..'],
];

describe('parseStoragePath', () => {
  it.each(HOSTILE_PATHS)('rejects %s', (_name, input) => {
    expect(() => parseStoragePath(input)).toThrow(AppError);
    try {
      parseStoragePath(input);
    } catch (err) {
      expect((err as AppError).status).toBe(422);
    }
  });

  it('has at least 40 hostile inputs', () => {
    expect(HOSTILE_PATHS.length).toBeGreaterThanOrEqual(40);
  });

  it.each([
    ['', []],
    ['Documents', ['Documents']],
    ['Documents/', ['Documents']],
    ['Documents/a.txt', ['Documents', 'a.txt']],
    ['%2e%2e', ['%2e%2e']],
    ['.hidden', ['.hidden']],
    ['a..b', ['a..b']],
    ['Ünïcödé/日本語.txt', ['Ünïcödé', '日本語.txt']],
    ['x'.repeat(255), ['x'.repeat(255)]],
  ])('accepts %j', (input, segments) => {
    expect(parseStoragePath(input)).toEqual(segments);
  });

  it('returns names in NFC so "é" typed two ways is one file', () => {
    expect(parseStoragePath('cafe\u0301')).toEqual(['caf\u00e9']);
  });

  it('names the field in the error', () => {
    try {
      parseStoragePath('../x', ['body', 'old_path']);
      throw new Error('should have thrown');
    } catch (err) {
      expect((err as { issues: { loc: string[] }[] }).issues[0]?.loc).toEqual(['body', 'old_path']);
    }
  });
});

describe('parseName', () => {
  it.each(['a/b', '..', '.', '', 'a\u0000', 'a\\b', '\uff0e\uff0e'])('rejects %j where a single name is expected', (name) => {
    expect(() => parseName(name)).toThrow(AppError);
  });
});

describe('resolveInside', () => {
  let root: string;
  let outside: string;
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'baluhost-root-'));
    outside = await mkdtemp(join(tmpdir(), 'baluhost-outside-'));
    await writeFile(join(outside, 'secret.txt'), 'secret');
    await mkdir(join(root, 'home', 'inner'), { recursive: true });
    await symlink(outside, join(root, 'home', 'escape'));
    await symlink(join(outside, 'secret.txt'), join(root, 'home', 'secret-link'));
    await symlink(join(root, 'home', 'inner'), join(root, 'home', 'inner-link'));
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
    await rm(outside, { recursive: true, force: true });
  });

  it('allows plain paths, existing or not', async () => {
    await expect(resolveInside(root, ['home', 'inner'])).resolves.toMatch(/home\/inner$/);
    await expect(resolveInside(root, ['home', 'new', 'deeper.txt'])).resolves.toMatch(/deeper\.txt$/);
  });

  it('allows a link that stays inside the root', async () => {
    await expect(resolveInside(root, ['home', 'inner-link'])).resolves.toBeDefined();
  });

  it.each([
    ['a directory symlink pointing outside', ['home', 'escape']],
    ['a file below a symlink pointing outside', ['home', 'escape', 'secret.txt']],
    ['a new file below a symlink pointing outside', ['home', 'escape', 'new.txt']],
    ['a file symlink pointing outside', ['home', 'secret-link']],
  ])('refuses %s', async (_name, segments) => {
    await expect(resolveInside(root, segments)).rejects.toMatchObject({ status: 403, code: 'path_outside_root' });
  });

  it('refuses unparsed parent segments even if a caller forgot to parse', async () => {
    await expect(resolveInside(root, ['..', 'etc'])).rejects.toMatchObject({ status: 403 });
  });
});
