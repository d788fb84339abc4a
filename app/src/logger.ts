import pino, { type DestinationStream, type Logger } from 'pino';
import type { Config } from './config/index.js';

/** Request headers that carry a credential. */
const SECRET_HEADERS = ['authorization', 'cookie', '"x-share-password"', '"x-api-key"', '"x-baluhost-key"', '"x-baluhost-signature"'];

/**
 * Headers are redacted wherever a logger meets them — under `req`, or under whatever a library
 * logs (@fastify/multipart puts `busboyOptions.headers` in a trace line) — up to three levels deep.
 */
const HEADER_PATHS = ['headers', '*.headers', '*.*.headers'].flatMap((at) =>
  SECRET_HEADERS.map((h) => `${at}${h.startsWith('"') ? `[${h}]` : `.${h}`}`),
);

/** Every place a secret can sit in a logged object. pino replaces them before serialising. */
export const REDACT_PATHS = [
  ...HEADER_PATHS,
  'res.headers["set-cookie"]',
  'password',
  'new_password',
  'current_password',
  'refresh_token',
  'access_token',
  'token',
  'secret',
  '*.password',
  '*.new_password',
  '*.current_password',
  '*.refresh_token',
  '*.access_token',
  '*.token',
  '*.secret',
  '*.secretKey',
  '*.connectionString',
];

/**
 * JSON lines on stdout (what journald and `docker logs` want); pretty-printed only when a person is
 * watching a terminal. Tests pass their own destination to read what was logged.
 */
export function createLogger(
  config: Pick<Config, 'logLevel'> & Partial<Pick<Config, 'observability'>>,
  destination?: DestinationStream,
): Logger {
  const options: pino.LoggerOptions = {
    level: config.logLevel,
    base: { service: 'baluhost' },
    redact: { paths: REDACT_PATHS, censor: '[REDACTED]' },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  if (destination) return pino(options, destination);
  const file = config.observability?.logFile;
  if (file) {
    // Redaction happens before the transports, so the file never sees a secret either.
    return pino(
      options,
      pino.transport({
        targets: [
          { target: 'pino/file', options: { destination: 1 }, level: config.logLevel },
          {
            // Two rotators on one file lose lines: with `external`, logrotate's copytruncate owns rotation.
            ...(file.rotation === 'external'
              ? { target: 'pino/file', options: { destination: file.path, append: true, mkdir: true } }
              : {
                  target: 'pino-roll',
                  options: { file: file.path, size: file.size, frequency: file.frequency, limit: { count: file.keep }, mkdir: true },
                }),
            level: config.logLevel,
          },
        ],
      }),
    );
  }
  if (process.stdout.isTTY) {
    return pino({
      ...options,
      transport: { target: 'pino-pretty', options: { translateTime: 'SYS:standard', ignore: 'pid,hostname,service' } },
    });
  }
  return pino(options);
}
