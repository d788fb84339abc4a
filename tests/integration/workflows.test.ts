/** The GitHub workflows validate against the workflow schema (action-validator) and call our real commands. */
import { execFile } from 'node:child_process';
import { readFile, writeFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const ROOT = resolve(import.meta.dirname, '../..');
const VALIDATOR = join(ROOT, 'node_modules/.bin/action-validator');

describe('GitHub workflows', () => {
  it.each(['preview.yml', 'deploy.yml'])('%s passes action-validator', async (file) => {
    const result = await run(VALIDATOR, [join(ROOT, '.github/workflows', file)]).then(
      () => 0,
      (err: { code: number }) => err.code,
    );
    expect(result).toBe(0);
  });

  it('the validator rejects a broken workflow (so the check above can fail)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'baluhost-wf-'));
    try {
      await writeFile(join(dir, 'bad.yml'), 'name: x\non: pushh\njobs:\n  a:\n    runs-on: ubuntu-latest\n    stepz: []\n');
      const result = await run(VALIDATOR, [join(dir, 'bad.yml')]).then(
        () => 0,
        (err: { code: number }) => err.code,
      );
      expect(result).not.toBe(0);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('preview comments pulumi preview and our plan; deploy goes dev → prod behind an environment', async () => {
    const preview = await readFile(join(ROOT, '.github/workflows/preview.yml'), 'utf8');
    expect(preview).toContain('comment-on-pr: true');
    expect(preview).toContain('npm run -s plan -- --stack prod');
    expect(preview).toContain('.ci/run');
    const deploy = await readFile(join(ROOT, '.github/workflows/deploy.yml'), 'utf8');
    expect(deploy).toMatch(/prod:\n\s+needs: dev[\s\S]*environment: prod/);
    expect(deploy).toContain('npm run -s promote -- --from dev --to prod --yes');
    const scripts = (JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
    for (const name of ['plan', 'deploy', 'promote', 'probe']) expect(scripts[name]).toBeDefined();
  });
});
