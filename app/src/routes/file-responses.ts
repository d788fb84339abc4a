import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { contentDisposition, etagFor, parseRange } from '../lib/http-download.js';
import type { Located } from '../services/index.js';

/**
 * Streams a stored file: validators, single Range, RFC 6266 name, and a sandbox CSP so served HTML
 * cannot run in our origin. Shared by user downloads and public share links. Returns the byte range
 * sent (null for 304/416) so callers can audit it.
 */
export async function sendStoredFile(
  app: FastifyInstance,
  request: FastifyRequest,
  reply: FastifyReply,
  located: Located,
  options: { allowRange: boolean } = { allowRange: true },
): Promise<{ sent: [number, number] | null }> {
  const file = await app.services.storage.openFile(located.disk);
  const { stat } = file;
  const etag = etagFor(located.node.id, stat.size, stat.mtimeMs);
  const ifRange = request.headers['if-range'];
  const range =
    !options.allowRange || (ifRange && ifRange !== etag) ? ({ kind: 'full' } as const) : parseRange(request.headers.range, stat.size);
  if (range.kind === 'unsatisfiable') {
    await reply
      .status(416)
      .header('content-range', `bytes */${stat.size}`)
      .send({ detail: `Range not satisfiable for a ${stat.size}-byte file`, code: 'range_not_satisfiable' });
    return { sent: null };
  }
  reply
    .header('content-type', located.node.mimeType ?? 'application/octet-stream')
    .header('content-disposition', contentDisposition(located.node.name))
    .header('etag', etag)
    .header('last-modified', stat.mtime.toUTCString())
    .header('accept-ranges', options.allowRange ? 'bytes' : 'none')
    .header('cache-control', 'private, no-cache')
    .header('content-security-policy', "sandbox; default-src 'none'")
    .header('x-content-type-options', 'nosniff');
  if (options.allowRange && request.headers['if-none-match'] === etag) {
    await reply.status(304).send();
    return { sent: null };
  }
  if (range.kind === 'partial') {
    reply
      .status(206)
      .header('content-range', `bytes ${range.start}-${range.end}/${stat.size}`)
      .header('content-length', range.end - range.start + 1);
    app.metrics.downloadBytes.inc(range.end - range.start + 1);
    await reply.send(file.read(range));
    return { sent: [range.start, range.end] };
  }
  reply.header('content-length', stat.size);
  app.metrics.downloadBytes.inc(stat.size);
  await reply.send(file.read());
  return { sent: [0, Math.max(0, stat.size - 1)] };
}
