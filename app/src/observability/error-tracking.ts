import type { Config } from '../config/index.js';

export interface ErrorTracker {
  capture(error: unknown, context: { reqId: string; route: string; status: number }): void;
  flush(timeoutMs: number): Promise<void>;
}

const SECRET_KEYS = /pass(word)?|secret|token|authorization|cookie|api[-_]?key/i;

/** Replaces values under secret-looking keys, recursively, and drops request bodies entirely. */
export function scrub<T>(value: T, depth = 0): T {
  if (depth > 8 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return (value as unknown[]).map((v) => scrub(v, depth + 1)) as T;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    if (k === 'data' || k === 'cookies') continue;
    out[k] = SECRET_KEYS.test(k) ? '[REDACTED]' : scrub(v, depth + 1);
  }
  return out as T;
}

/**
 * Sentry, loaded only when SENTRY_DSN is set. Events carry request id, route and release; never
 * user PII, request bodies, cookies or credentials.
 */
export async function createErrorTracker(config: Config): Promise<ErrorTracker | null> {
  const dsn = config.observability.sentryDsn;
  if (!dsn) return null;
  const Sentry = await import('@sentry/node');
  Sentry.init({
    dsn,
    release: config.observability.release,
    environment: config.mode,
    defaultIntegrations: false,
    integrations: [Sentry.onUncaughtExceptionIntegration(), Sentry.onUnhandledRejectionIntegration({ mode: 'warn' })],
    beforeSend(event) {
      delete event.user;
      if (event.request) event.request = scrub({ ...event.request, data: undefined, cookies: undefined, headers: undefined });
      if (event.extra) event.extra = scrub(event.extra);
      if (event.message) event.message = event.message.replace(/(password|token|secret)=\S+/gi, '$1=[REDACTED]');
      for (const ex of event.exception?.values ?? [])
        if (ex.value) ex.value = ex.value.replace(/(password|token|secret)=\S+/gi, '$1=[REDACTED]');
      return event;
    },
  });
  return {
    capture(error, context) {
      Sentry.withScope((scope) => {
        scope.setTag('request_id', context.reqId);
        scope.setTag('route', context.route);
        scope.setTag('status', String(context.status));
        Sentry.captureException(error);
      });
    },
    async flush(timeoutMs) {
      await Sentry.flush(timeoutMs);
    },
  };
}
