/** Everything the nginx templates print, computed here so the templates stay logic-less. */
import type { StackConfig } from '../../stacks/config/index.js';
import type { HostLayout } from '../host-layout.js';
import { WEB_CLIENT_MANIFEST } from '../../stacks/remote/web-client.js';
import { CREDENTIAL_ROUTES } from '../../app/src/lib/credential-routes.js';

/** Mozilla "intermediate" (TLS 1.2 + 1.3), https://ssl-config.mozilla.org/ guideline 5.7. */
export const MOZILLA_INTERMEDIATE_CIPHERS = [
  'ECDHE-ECDSA-AES128-GCM-SHA256',
  'ECDHE-RSA-AES128-GCM-SHA256',
  'ECDHE-ECDSA-AES256-GCM-SHA384',
  'ECDHE-RSA-AES256-GCM-SHA384',
  'ECDHE-ECDSA-CHACHA20-POLY1305',
  'ECDHE-RSA-CHACHA20-POLY1305',
  'DHE-RSA-AES128-GCM-SHA256',
  'DHE-RSA-AES256-GCM-SHA384',
  'DHE-RSA-CHACHA20-POLY1305',
].join(':');

/** Sent on every response of the HTTPS server, including errors (`always`); locations never add their own. */
export const SECURITY_HEADERS: [string, string][] = [
  ['Strict-Transport-Security', 'max-age=63072000'],
  ['X-Content-Type-Options', 'nosniff'],
  ['X-Frame-Options', 'DENY'],
  ['Referrer-Policy', 'no-referrer'],
  ['Permissions-Policy', 'camera=(), microphone=(), geolocation=(), interest-cohort=()'],
  ['Cross-Origin-Opener-Policy', 'same-origin'],
];

export interface NginxView {
  serverNames: string;
  httpPort: number;
  httpsPort: number;
  /** `:port` in redirects when HTTPS is not on 443. */
  httpsRedirectPort: string;
  acmeWebroot: string;
  upstreamInclude: string;
  accessLog: string;
  errorLog: string;
  certificate: string;
  certificateKey: string;
  dhParams: string;
  ciphers: string;
  ocspStapling: boolean;
  clientMaxBodySize: string;
  authRate: string;
  authBurst: number;
  /** The routes that take a password or token (the tight limit's location), as an nginx regex. */
  credentialRoutes: string;
  /** One request slot frees up this often under the auth rate limit. */
  retryAfterSeconds: number;
  /** The API's 429 body (API.md), so clients parse nginx's limit the same way as the app's. */
  rateLimitedBody: string;
  unavailableBody: string;
  securityHeaders: { name: string; value: string }[];
  upstreamPort: number;
  activeSlot: string;
  /** Set when the stack serves BaluHost's web client (`webClient`): nginx's root and the pages' CSP. */
  webClient: { root: string; manifest: string; csp: string } | null;
}

/**
 * For the web client's pages: its own scripts and styles (react-hot-toast injects a <style>), its
 * pictures (avatars come from /api/avatars), the API on the same origin (fetch, EventSource), never
 * framed. The API's answers keep the app's own, stricter policy.
 */
export const WEB_CLIENT_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

export function nginxView(config: StackConfig, layout: HostLayout): NginxView {
  const retryAfter = Math.ceil(60 / config.nginx.authPerMinute);
  return {
    serverNames: config.domains.join(' '),
    httpPort: config.nginx.httpPort,
    httpsPort: config.nginx.httpsPort,
    httpsRedirectPort: config.nginx.httpsPort === 443 ? '' : `:${config.nginx.httpsPort}`,
    acmeWebroot: layout.acmeWebroot,
    upstreamInclude: layout.nginxUpstream,
    accessLog: layout.nginxAccessLog,
    errorLog: layout.nginxErrorLog,
    certificate: layout.tlsCertificate,
    certificateKey: layout.tlsKey,
    dhParams: layout.nginxDhParams,
    ciphers: MOZILLA_INTERMEDIATE_CIPHERS,
    ocspStapling: config.tls.ocspStapling,
    clientMaxBodySize: `${config.app.maxUploadMb}m`,
    authRate: `${config.nginx.authPerMinute}r/m`,
    authBurst: config.nginx.authBurst,
    credentialRoutes: `^/api/auth/(?:${CREDENTIAL_ROUTES.map((r) => r.slice('/api/auth/'.length)).join('|')})$`,
    retryAfterSeconds: retryAfter,
    rateLimitedBody: JSON.stringify({
      error: 'Too Many Requests',
      detail: `Too many attempts; try again in ${retryAfter} seconds.`,
      retry_after: retryAfter,
    }),
    unavailableBody: JSON.stringify({ detail: 'BaluHost is not reachable right now; try again shortly.', code: 'service_unavailable' }),
    securityHeaders: SECURITY_HEADERS.map(([name, value]) => ({ name, value })),
    upstreamPort: config.app.slots[config.app.activeSlot],
    activeSlot: config.app.activeSlot,
    webClient: config.webClient ? { root: layout.webClientCurrent, manifest: WEB_CLIENT_MANIFEST, csp: WEB_CLIENT_CSP } : null,
  };
}
