import type { ErrorTracker } from './error-tracking.js';

interface OutageLogger {
  error(details: object, message: string): void;
  warn(message: string): void;
}

export interface DatabaseOutage {
  /** A request or a scrape found the database unreachable; reported once per outage. */
  failed(error: unknown, context: { reqId: string; route: string }): void;
  /** The database answered again; ends the outage so the next one is reported. */
  recovered(): void;
  readonly down: boolean;
}

/**
 * One report per database outage, not one per request: during an outage every request fails with
 * 503, and an error tracker flooded with thousands of identical events hides everything else.
 */
export function createDatabaseOutage(deps: { logger: OutageLogger; tracker: () => ErrorTracker | null }): DatabaseOutage {
  let down = false;
  return {
    failed(error, context) {
      if (down) return;
      down = true;
      deps.logger.error(
        { err: error, reqId: context.reqId, route: context.route },
        'database unavailable: requests answer 503 until it is back',
      );
      deps.tracker()?.capture(error, { ...context, status: 503 });
    },
    recovered() {
      if (!down) return;
      down = false;
      deps.logger.warn('database answers again');
    },
    get down() {
      return down;
    },
  };
}
