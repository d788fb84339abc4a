/** Values for the Prometheus config the stack renders: one target per slot, labelled by slot. */
import type { StackConfig } from '../../stacks/config/index.js';
import { SLOTS } from '../app/app.view.js';
import type { HostLayout } from '../host-layout.js';

export interface MonitoringView {
  alertsFile: string;
  tokenFile: string;
  slots: { slot: string; target: string }[];
  healthUrl: string;
}

export function monitoringView(config: StackConfig, layout: HostLayout): MonitoringView {
  const https = config.nginx.httpsPort === 443 ? '' : `:${config.nginx.httpsPort}`;
  return {
    alertsFile: layout.prometheusAlerts,
    tokenFile: layout.metricsTokenFile,
    // Both slots run (the idle one keeps the previous release for an instant rollback), so both are scraped.
    slots: SLOTS.map((slot) => ({ slot, target: `127.0.0.1:${config.app.slots[slot]}` })),
    healthUrl: `https://${config.domains[0] as string}${https}/api/health`,
  };
}
