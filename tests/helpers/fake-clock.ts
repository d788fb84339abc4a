import type { Clock } from '../../app/src/repositories/index.js';

/** A clock tests move by hand. */
export function fakeClock(start = new Date('2026-06-01T12:00:00Z')): Clock & { advance(seconds: number): void } {
  let now = start.getTime();
  return {
    now: () => new Date(now),
    advance(seconds) {
      now += seconds * 1000;
    },
  };
}
