import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { isDatabaseUnavailableError } from '../db/index.js';
import { NO_NUL_KEYWORD } from './validation.js';
import {
  AppError,
  NotImplementedError,
  ServiceUnavailableError,
  TooManyRequestsError,
  ValidationError,
  type FieldIssue,
} from '../errors/index.js';

const LOCATION: Record<string, string> = { body: 'body', querystring: 'query', params: 'path', headers: 'header' };

interface AjvIssue {
  instancePath: string;
  keyword: string;
  message?: string;
  params: Record<string, unknown>;
}

/** Fastify's ajv errors → the 422 `detail` list clients already parse ({loc, msg, type}). */
function fieldIssues(context: string, errors: AjvIssue[]): FieldIssue[] {
  return errors.map((e) => {
    const path = e.instancePath
      .split('/')
      .filter(Boolean)
      .map((p) => (/^\d+$/.test(p) ? Number(p) : p));
    const extra = e.params['missingProperty'] ?? e.params['additionalProperty'];
    if (typeof extra === 'string') path.push(extra);
    const msg =
      e.keyword === 'additionalProperties'
        ? 'unknown field'
        : e.keyword === 'required'
          ? 'field required'
          : e.keyword === NO_NUL_KEYWORD
            ? 'must not contain a NUL character'
            : (e.message ?? 'invalid');
    return { loc: [LOCATION[context] ?? context, ...path], msg, type: e.keyword };
  });
}

function toAppError(error: FastifyError & { validation?: AjvIssue[]; validationContext?: string }): AppError {
  if (error instanceof AppError) return error;
  if (error.validation) return new ValidationError(fieldIssues(error.validationContext ?? 'body', error.validation));
  switch (error.code) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new ValidationError(
        [{ loc: ['body'], msg: 'body is not valid JSON', type: 'json_invalid' }],
        'Request body is not valid JSON',
      );
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new AppError(413, 'payload_too_large', 'Request body is too large');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new AppError(415, 'unsupported_media_type', 'Unsupported Content-Type');
  }
  if (isDatabaseUnavailableError(error))
    return new ServiceUnavailableError('Database is unavailable; try again shortly', 'database_unavailable');
  if (typeof error.statusCode === 'number' && error.statusCode >= 400 && error.statusCode < 500) {
    return new AppError(error.statusCode, String(error.code ?? 'bad_request').toLowerCase(), error.message);
  }
  return new AppError(500, 'internal_error', 'Internal Server Error');
}

function send(reply: FastifyReply, error: AppError): FastifyReply {
  if (error instanceof TooManyRequestsError) {
    reply.header('retry-after', String(error.retryAfterSeconds));
    return reply
      .status(429)
      .send({ error: 'Too Many Requests', detail: error.message, retry_after: error.retryAfterSeconds, code: error.code });
  }
  if (error instanceof ServiceUnavailableError) reply.header('retry-after', String(error.retryAfterSeconds));
  const detail = error instanceof ValidationError && !error.detailAsText ? error.issues : error.message;
  const body: Record<string, unknown> = { detail, code: error.code };
  if (error instanceof ValidationError && error.detailAsText) body['errors'] = error.issues;
  if (error.details !== undefined) body['checks'] = error.details;
  return reply.status(error.status).send(body);
}

/** The one place errors become HTTP responses and log lines (once, with the request id). */
export const errorHandlerPlugin = fp(async function errorHandler(app: FastifyInstance) {
  app.setErrorHandler((error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    const mapped = toAppError(error);
    app.metrics.errors.inc({ code: mapped.code, status: String(mapped.status) });
    if (mapped.status === 401) app.metrics.authFailures.inc({ reason: mapped.code });
    // Logged once, in the request's own line (observability plugin). Every unexpected 5xx goes to
    // the error tracker; a database outage once when it starts; other 503s (not ready, overloaded,
    // scanner away) are states the metrics and /api/ready show, not bugs.
    request.failure = { error, mapped };
    const context = { reqId: request.id, route: request.routeOptions.url ?? 'unmatched' };
    if (mapped.code === 'database_unavailable') app.databaseOutage.failed(error, context);
    else if (mapped.status >= 500 && !(mapped instanceof ServiceUnavailableError) && !(mapped instanceof NotImplementedError))
      app.errorTracker?.capture(error, { ...context, status: mapped.status });
    return send(reply, mapped);
  });

  app.setNotFoundHandler((request, reply) => {
    app.metrics.errors.inc({ code: 'not_found', status: '404' });
    return send(reply, new AppError(404, 'not_found', `Not found: ${request.method} ${request.url.split('?')[0]?.slice(0, 200)}`));
  });
});
