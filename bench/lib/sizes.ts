/**
 * How big a benchmark runs. `BENCH_SMOKE=1` (what `npm test` sets) shrinks every benchmark to a few
 * requests, a few MiB and a few thousand rows, so each one is run and must print its figures without
 * costing the suite more than seconds; an explicit `BENCH_*` variable still wins.
 */
export const SMOKE = process.env['BENCH_SMOKE'] === '1';

/** The integer in `process.env[variable]`, else the smoke or the full size. */
export function benchSize(variable: string, full: number, smoke: number): number {
  const raw = process.env[variable];
  if (raw === undefined || raw === '') return SMOKE ? smoke : full;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${variable} must be a positive number (got "${raw}")`);
  return value;
}
