/** Reading a slot's health from the NAS: readiness through nginx and the 5xx share from /metrics. */
import type { Slot, StackConfig } from '../config/index.js';
import { healthProbeScript, q, script, type RemoteOptions } from '../remote/index.js';

export const slotReadyUrl = (config: StackConfig, slot: Slot) => `http://127.0.0.1:${config.app.slots[slot]}/api/ready`;

export function slotGateScript(
  config: StackConfig,
  slot: Slot,
  gate: { successes: number; timeoutSeconds: number; intervalSeconds: number },
): string {
  return healthProbeScript({
    url: slotReadyUrl(config, slot),
    successes: gate.successes,
    timeoutSeconds: gate.timeoutSeconds,
    intervalSeconds: gate.intervalSeconds,
  });
}

/**
 * One watch sample: readiness as clients reach it (through nginx, by name) and the slot's raw
 * metrics. A Docker slot sees the NAS's own request from the bridge, not loopback, so the sample
 * sends the stack's metrics token — as a header read from a file descriptor, never on curl's argv.
 */
export function watchSampleScript(config: StackConfig, slot: Slot, metrics: { tokenFile: string } & RemoteOptions): string {
  const domain = config.domains[0] as string;
  const port = config.nginx.httpsPort;
  const read = `${metrics.sudo ? 'sudo -n ' : ''}cat ${q(metrics.tokenFile)} 2>/dev/null || true`;
  return script([
    `ready=$(curl -sk -o /dev/null -w '%{http_code}' --max-time 5 --resolve ${q(`${domain}:${port}:127.0.0.1`)} ${q(`https://${domain}:${port}/api/ready`)} || true)`,
    `echo "ready $ready"`,
    `curl -s --max-time 5 -H @<(printf 'Authorization: Bearer %s\n' "$(${read})") ${q(`http://127.0.0.1:${config.app.slots[slot]}/metrics`)} | grep '^baluhost_http_request_duration_seconds_count' || true`,
  ]);
}

export interface WatchSample {
  readyStatus: number;
  requests: number;
  serverErrors: number;
}

export function parseWatchSample(text: string): WatchSample {
  const ready = /^ready (\d+)/m.exec(text);
  let requests = 0;
  let serverErrors = 0;
  for (const line of text.split('\n')) {
    const match = /^baluhost_http_request_duration_seconds_count\{([^}]*)\}\s+([0-9.e+]+)/.exec(line);
    if (!match) continue;
    const count = Number(match[2]);
    requests += count;
    if (/status="5\d\d"/.test(match[1] ?? '')) serverErrors += count;
  }
  return { readyStatus: ready ? Number(ready[1]) : 0, requests, serverErrors };
}

/** Share of 5xx among the requests between two samples (0 when there were none). */
export function serverErrorRatio(before: WatchSample, after: WatchSample): number {
  const requests = after.requests - before.requests;
  return requests > 0 ? (after.serverErrors - before.serverErrors) / requests : 0;
}
