/**
 * Every benchmark in bench/, run at its smoke size (BENCH_SMOKE=1): it must start, measure against its
 * peer and print its figures, so none can rot unnoticed again. Times are never asserted here; the
 * benchmarks themselves refuse runs whose requests failed.
 */
import { execFile } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');
const BENCHMARKS = readdirSync(resolve(ROOT, 'bench')).filter((f) => f.endsWith('.ts'));

/** Every "<number>x" ratio a benchmark printed. */
export function printedRatios(output: string): number[] {
  return [...output.matchAll(/(?<![\w.])(\d+(?:\.\d+)?)x\b/g)].map((m) => Number(m[1]));
}

describe('benchmarks at smoke size', () => {
  it('finds every benchmark of bench/', () => {
    expect(BENCHMARKS).toEqual(expect.arrayContaining(['list.ts', 'migration.ts', 'quota.ts', 'transfer.ts']));
  });

  it.each(BENCHMARKS)(
    '%s runs and prints its ratios against its peer',
    async (file) => {
      const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', resolve(ROOT, 'bench', file)], {
        cwd: ROOT,
        env: { ...process.env, BENCH_SMOKE: '1' },
        timeout: 240_000,
      });
      expect(stdout).not.toMatch(/NaN|Infinity|undefined/);
      const ratios = printedRatios(stdout);
      expect(ratios.length, stdout).toBeGreaterThan(0);
      for (const ratio of ratios) expect(ratio, stdout).toBeGreaterThan(0);
    },
    300_000,
  );
});
