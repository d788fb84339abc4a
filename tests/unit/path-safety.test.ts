import { mkdir, mkdtemp, realpath, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatStoragePath, parseName, parseStoragePath, resolveInside } from '../../app/src/lib/path-safety.js';
import { AppError } from '../../app/src/errors/index.js';

// What the user is told, per kind of hostile input.
const DOTS = 'must not be "." or ".."';
const RELATIVE = 'must be relative';
const SEPARATOR = 'must be a single name without separators';
const LOOKALIKE = 'must not contain characters that look like separators';
const CONTROL = 'must not contain control characters';
const EMPTY = 'must not contain empty segments';
const SPACE = 'must not start or end with white space';
const NAME_BYTES = 'must be at most 255 bytes';
const PATH_BYTES = 'must be at most 4096 bytes';

/** The 422's first issue: where and why. */
function refusal(parse: () => unknown): { loc: (string | number)[]; msg: string; type: string } {
  try {
    parse();
  } catch (err) {
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).status).toBe(422);
    return (err as { issues: { loc: (string | number)[]; msg: string; type: string }[] }).issues[0] as {
      loc: (string | number)[];
      msg: string;
      type: string;
    };
  }
  throw new Error('accepted; it should have been refused');
}

const HOSTILE_PATHS: [string, string, string][] = [
  ['parent segment', '..', DOTS],
  ['parent prefix', '../etc/passwd', DOTS],
  ['parent in the middle', 'Documents/../../etc', DOTS],
  ['parent at the end', 'Documents/..', DOTS],
  ['current segment', './a.txt', DOTS],
  ['current in the middle', 'a/./b', DOTS],
  ['windows drive', 'C:\\Windows', RELATIVE],
  ['windows drive with slash', 'C:/Windows', RELATIVE],
  ['backslash traversal', '..\\..\\etc', SEPARATOR],
  ['backslash inside a name', 'a\\b', SEPARATOR],
  ['leading backslash', '\\server\\share', RELATIVE],
  ['parent after a leading slash', '/../etc/passwd', DOTS],
  ['drive after a leading slash', '/C:/Windows', RELATIVE],
  ['NUL byte', 'a.txt\u0000.jpg', CONTROL],
  ['NUL alone', '\u0000', CONTROL],
  ['newline', 'a\nb', CONTROL],
  ['carriage return', 'a\rb', CONTROL],
  ['tab', 'a\tb', CONTROL],
  ['escape char', 'a\u001bb', CONTROL],
  ['DEL', 'a\u007fb', CONTROL],
  ['C1 control', 'a\u0085b', CONTROL],
  ['line separator', 'a\u2028b', CONTROL],
  ['right-to-left override', 'invoice\u202egpj.exe', CONTROL],
  ['empty segment', 'a//b', EMPTY],
  ['fullwidth dots', '\uff0e\uff0e', DOTS],
  ['fullwidth dots as a segment', 'a/\uff0e\uff0e/b', DOTS],
  ['one-dot leaders', '\u2024\u2024', DOTS],
  ['fullwidth solidus', 'a\uff0fb', LOOKALIKE],
  ['fullwidth reverse solidus', 'a\uff3cb', LOOKALIKE],
  ['three dots', '...', DOTS],
  ['overlong name', 'x'.repeat(256), NAME_BYTES],
  ['overlong multibyte name', 'ü'.repeat(128), NAME_BYTES],
  ['overlong path', `${'abcdefgh/'.repeat(460)}x`, PATH_BYTES],
  ['only spaces', '   ', SPACE],
  ['trailing space', 'name ', SPACE],
  ['leading space', ' name', SPACE],
  ['a real parent after an encoded one', '%2e%2e/../x', DOTS],
  ['parent hidden after a good prefix', 'ok/ok/../../..', DOTS],
  ['single dot', '.', DOTS],
  ['dot then slash', './', DOTS],
  ['mixed separators', 'a/..\\..', SEPARATOR],
];

describe('parseStoragePath', () => {
  it.each(HOSTILE_PATHS)('rejects %s, saying why', (_name, input, reason) => {
    expect(refusal(() => parseStoragePath(input))).toEqual({ loc: ['query', 'path'], msg: reason, type: 'path_unsafe' });
  });

  it('refuses a value that is not a string', () => {
    expect(refusal(() => parseStoragePath(42 as unknown as string)).msg).toBe('must be a string');
    expect(refusal(() => parseName(null as unknown as string)).msg).toBe('must be a string');
  });

  it('accepts a path of exactly 4096 bytes and names of exactly 255', () => {
    const name = 'n'.repeat(255);
    const path = `${Array.from({ length: 15 }, () => name).join('/')}/${'y'.repeat(127)}/${'z'.repeat(128)}`;
    expect(Buffer.byteLength(path)).toBe(4096);
    expect(parseStoragePath(path)).toHaveLength(17);
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
    ['Documents//', ['Documents']],
    ['to be continued...', ['to be continued...']],
    ['Re: minutes 10:30.txt', ['Re: minutes 10:30.txt']],
    ['back\u00a0up', ['back\u00a0up']],
  ])('accepts %j', (input, segments) => {
    expect(parseStoragePath(input)).toEqual(segments);
  });

  it('returns names in NFC so "é" typed two ways is one file', () => {
    expect(parseStoragePath('cafe\u0301')).toEqual(['caf\u00e9']);
  });

  it('drops leading slashes as the original does: "/" is the home, "/a/b" is "a/b"', () => {
    expect(parseStoragePath('/')).toEqual([]);
    expect(parseStoragePath('//Documents/a.txt')).toEqual(['Documents', 'a.txt']);
    expect(() => parseStoragePath('/../etc')).toThrow();
  });

  it('names the field in the error', () => {
    expect(refusal(() => parseStoragePath('../x', ['body', 'old_path'])).loc).toEqual(['body', 'old_path']);
  });

  it('formats parsed segments back into the path the user typed', () => {
    expect(formatStoragePath(parseStoragePath('Documents/Ünïcödé/a.txt/'))).toBe('Documents/Ünïcödé/a.txt');
    expect(formatStoragePath([])).toBe('');
  });
});

describe('parseName', () => {
  it.each([
    ['a/b', SEPARATOR],
    ['..', DOTS],
    ['.', DOTS],
    ['', 'must not be empty'],
    ['a\u0000', CONTROL],
    ['a\\b', SEPARATOR],
    ['\uff0e\uff0e', DOTS],
  ])('rejects %j where a single name is expected', (name, reason) => {
    expect(refusal(() => parseName(name))).toEqual({ loc: ['body', 'name'], msg: reason, type: 'path_unsafe' });
  });

  it.each(['C:x', 'c:notes.txt', 'Z:'])('refuses %j, which no path could reach again', (name) => {
    expect(refusal(() => parseName(name))).toEqual({
      loc: ['body', 'name'],
      msg: 'must not start with a drive letter and a colon ("C:")',
      type: 'path_unsafe',
    });
  });

  it('accepts as a path every name it accepts, so whatever is created can be renamed, moved and deleted', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 40, unit: 'grapheme' }), (raw) => {
        let name: string;
        try {
          name = parseName(raw);
        } catch {
          return;
        }
        expect(parseStoragePath(name)).toEqual([name]);
        expect(parseStoragePath(`folder/${name}`)).toEqual(['folder', name]);
      }),
      { seed: 20261201, numRuns: 5000 },
    );
    for (const name of ['ab:c', 'x.C:', '1:2', 'report: final.txt']) expect(parseStoragePath(name)).toEqual([name]);
  });

  it('returns the name in NFC', () => {
    expect(parseName('cafe\u0301.txt')).toBe('caf\u00e9.txt');
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
    // Links into another user's home, and links that point nowhere (inside the home and outside the root).
    await mkdir(join(root, 'other', 'private'), { recursive: true });
    await writeFile(join(root, 'other', 'private', 'diary.txt'), 'dear diary');
    await symlink(join(root, 'other', 'private'), join(root, 'home', 'neighbour'));
    await symlink(join(root, 'other'), join(root, 'home-alias'));
    await symlink(join(root, 'home', 'gone'), join(root, 'home', 'dangling'));
    await symlink(join(outside, 'planted.txt'), join(root, 'home', 'dangling-out'));
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
    await rm(outside, { recursive: true, force: true });
  });

  it('allows plain paths, existing or not, and the root itself', async () => {
    const real = await realpath(root);
    await expect(resolveInside(root, ['home', 'inner'])).resolves.toBe(join(real, 'home', 'inner'));
    await expect(resolveInside(root, ['home', 'new', 'deeper.txt'])).resolves.toBe(join(real, 'home', 'new', 'deeper.txt'));
    await expect(resolveInside(root, [])).resolves.toBe(real);
    await expect(resolveInside(root, ['..looks-like-parent'])).resolves.toBe(join(real, '..looks-like-parent'));
  });

  it("allows a link that stays inside its owner's folder", async () => {
    await expect(resolveInside(root, ['home', 'inner-link'])).resolves.toBeDefined();
  });

  it.each([
    ['a folder link into another home', ['home', 'neighbour']],
    ['a file below a link into another home', ['home', 'neighbour', 'diary.txt']],
    ['a new file below a link into another home', ['home', 'neighbour', 'planted.txt']],
    ['a home that is itself a link to another home', ['home-alias', 'private', 'diary.txt']],
    ['a link that points nowhere outside the root', ['home', 'dangling-out']],
  ])('refuses %s', async (_name, segments) => {
    await expect(resolveInside(root, segments)).rejects.toMatchObject({ status: 403, code: 'path_outside_root' });
  });

  it('refuses a link that points nowhere (writing through it would create its target), with a 409 naming it', async () => {
    for (const segments of [
      ['home', 'dangling'],
      ['home', 'dangling', 'below.txt'],
    ])
      await expect(resolveInside(root, segments)).rejects.toMatchObject({
        status: 409,
        code: 'broken_link',
        message: 'dangling is a link to something that does not exist; remove or repair it',
      });
  });

  it.each([
    ['a directory symlink pointing outside', ['home', 'escape']],
    ['a file below a symlink pointing outside', ['home', 'escape', 'secret.txt']],
    ['a new file below a symlink pointing outside', ['home', 'escape', 'new.txt']],
    ['a file symlink pointing outside', ['home', 'secret-link']],
  ])('refuses %s', async (_name, segments) => {
    await expect(resolveInside(root, segments)).rejects.toMatchObject({
      status: 403,
      code: 'path_outside_root',
      message: "Path leads through a link out of its owner's folder",
    });
  });

  it.each([[['..', 'etc']], [['..']], [['home', '..', '..']]])(
    'refuses unparsed parent segments %j even if a caller forgot to parse',
    async (segments) => {
      await expect(resolveInside(root, segments)).rejects.toMatchObject({
        status: 403,
        code: 'path_outside_root',
        message: 'Path escapes the storage root',
      });
    },
  );

  it('passes on errors other than a missing path', async () => {
    await writeFile(join(root, 'home', 'a-file'), 'x');
    await expect(resolveInside(root, ['home', 'a-file', 'below'])).rejects.toMatchObject({ code: 'ENOTDIR' });
  });
});
