/** Values for certbot's config file and the deploy hook that proves nginx serves the new certificate. */
import type { StackConfig } from '../../stacks/config/index.js';
import type { HostLayout } from '../host-layout.js';

export interface CertbotView {
  email: string;
  server: string;
  webroot: string;
  domains: string;
  primaryDomain: string;
  httpsPort: number;
  nginxConf: string;
  nginxPidFile: string;
  minValidDays: number;
}

export const LETSENCRYPT_PRODUCTION = 'https://acme-v02.api.letsencrypt.org/directory';

export function certbotView(config: StackConfig, layout: HostLayout): CertbotView {
  return {
    email: config.tls.email ?? '',
    server: config.tls.acmeServer ?? LETSENCRYPT_PRODUCTION,
    webroot: layout.acmeWebroot,
    domains: config.domains.join(','),
    primaryDomain: config.domains[0] as string,
    httpsPort: config.nginx.httpsPort,
    nginxConf: layout.nginxMainConf,
    nginxPidFile: layout.nginxPidFile,
    minValidDays: 7,
  };
}
