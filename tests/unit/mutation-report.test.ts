import type { MutantResult } from '@stryker-mutator/api/core';
import { describe, expect, it } from 'vitest';
import { formatScores, scoreModule } from '../../scripts/lib/mutation-report.js';

let next = 0;
function mutant(status: MutantResult['status'], overrides: Partial<MutantResult> = {}): MutantResult {
  next += 1;
  return {
    id: String(next),
    fileName: '/repo/app/src/lib/path-safety.ts',
    mutatorName: 'StringLiteral',
    replacement: '""',
    location: { start: { line: next, column: 4 }, end: { line: next, column: 9 } },
    status,
    ...overrides,
  };
}

describe('mutation score per module', () => {
  it('counts killed and timed-out mutants as detected, survivors and untested ones as not', () => {
    const results = [
      mutant('Killed'),
      mutant('Killed'),
      mutant('Timeout'),
      mutant('Survived'),
      mutant('NoCoverage'),
      mutant('Killed', { fileName: '/repo/app/src/other.ts' }),
    ];
    const score = scoreModule('app/src/lib/path-safety.ts', 'path safety', results);
    expect(score).toMatchObject({ killed: 2, timeout: 1, survived: 1, noCoverage: 1, ignored: 0, staticSkipped: 0, score: 60 });
    expect(score.survivors).toEqual([
      expect.stringMatching(/path-safety\.ts:\d+:5 StringLiteral → "\\"\\""$/),
      expect.stringMatching(/\(no test reaches it\)$/),
    ]);
  });

  it('keeps equivalent mutants and static ones out of the score, and lists the equivalents with their reasons', () => {
    const results = [
      mutant('Killed'),
      mutant('Ignored', { statusReason: 'equivalent: the root always exists' }),
      mutant('Ignored', { statusReason: 'Static mutant (and "ignoreStatic" was enabled)' }),
      mutant('CompileError'),
    ];
    const score = scoreModule('app/src/lib/path-safety.ts', 'path safety', results);
    expect(score).toMatchObject({ killed: 1, ignored: 1, staticSkipped: 1, score: 100 });
    expect(score.equivalents).toEqual([expect.stringMatching(/: equivalent: the root always exists$/)]);
  });

  it('rounds down, so 79.999% never passes an 80% floor', () => {
    const results = [...Array.from({ length: 7999 }, () => mutant('Killed')), ...Array.from({ length: 2001 }, () => mutant('Survived'))];
    const score = scoreModule('app/src/lib/path-safety.ts', 'path safety', results);
    expect(score.score).toBe(79.99);
    expect(formatScores([score], 80)).toMatch(/^✗ {2}79\.99% /m);
  });

  it('marks modules at or above the floor as passing', () => {
    const score = scoreModule('app/src/lib/path-safety.ts', 'path safety', [
      mutant('Killed'),
      mutant('Killed'),
      mutant('Killed'),
      mutant('Killed'),
      mutant('Survived'),
    ]);
    const text = formatScores([score], 80);
    expect(text).toMatch(
      /^ {2} 80\.00% {5}4 killed {4}1 alive {3}0 equivalent {3}0 static {2}app\/src\/lib\/path-safety\.ts \(path safety\)$/m,
    );
    expect(text).toContain('  alive: /repo/app/src/lib/path-safety.ts:');
  });
});
