/**
 * Mutation scores per critical module, from Stryker's mutant results: what `npm run test:mutation`
 * prints and writes to reports/mutation/summary.json.
 */
import type { MutantResult } from '@stryker-mutator/api/core';

export interface ModuleScore {
  file: string;
  concern: string;
  killed: number;
  survived: number;
  timeout: number;
  noCoverage: number;
  /** Marked equivalent in the source (`// Stryker disable …: reason`), with their reasons. */
  ignored: number;
  /** Module-level constants: Stryker cannot test them with per-module test files (see stryker.config.mjs). */
  staticSkipped: number;
  /** Killed or timed out, over every mutant that ran or had no test: Stryker's mutation score. */
  score: number;
  survivors: string[];
  equivalents: string[];
}

const where = (m: MutantResult) => `${m.fileName}:${m.location.start.line}:${m.location.start.column + 1}`;
const what = (m: MutantResult) => `${m.mutatorName} → ${JSON.stringify(m.replacement ?? '').slice(0, 80)}`;

const isStatic = (m: MutantResult) => m.status === 'Ignored' && (m.statusReason ?? '').startsWith('Static mutant');

export function scoreModule(file: string, concern: string, results: MutantResult[]): ModuleScore {
  const mine = results.filter((m) => m.fileName.endsWith(file));
  const count = (status: MutantResult['status']) => mine.filter((m) => m.status === status).length;
  const killed = count('Killed');
  const timeout = count('Timeout');
  const survived = count('Survived');
  const noCoverage = count('NoCoverage');
  const counted = killed + timeout + survived + noCoverage;
  const equivalents = mine.filter((m) => m.status === 'Ignored' && !isStatic(m));
  return {
    file,
    concern,
    killed,
    survived,
    timeout,
    noCoverage,
    ignored: equivalents.length,
    staticSkipped: mine.filter(isStatic).length,
    score: counted === 0 ? 100 : Math.floor(((killed + timeout) / counted) * 10000) / 100,
    survivors: mine
      .filter((m) => m.status === 'Survived' || m.status === 'NoCoverage')
      .map((m) => `${where(m)} ${what(m)}${m.status === 'NoCoverage' ? ' (no test reaches it)' : ''}`),
    equivalents: equivalents.map((m) => `${where(m)} ${what(m)}: ${m.statusReason ?? 'no reason given'}`),
  };
}

export function formatScores(scores: ModuleScore[], floor: number): string {
  const rows = scores.map(
    (s) =>
      `${s.score >= floor ? '  ' : '✗ '}${s.score.toFixed(2).padStart(6)}%  ${String(s.killed + s.timeout).padStart(4)} killed ${String(s.survived + s.noCoverage).padStart(4)} alive ${String(s.ignored).padStart(3)} equivalent ${String(s.staticSkipped).padStart(3)} static  ${s.file} (${s.concern})`,
  );
  const details = scores.flatMap((s) => [
    ...s.survivors.map((line) => `  alive: ${line}`),
    ...s.equivalents.map((line) => `  equivalent: ${line}`),
  ]);
  return [`mutation score per module (floor ${floor}%):`, ...rows, ...(details.length ? ['', ...details] : [])].join('\n');
}
