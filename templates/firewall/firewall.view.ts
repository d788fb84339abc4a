/** Values for the nftables ruleset: SSH and web from the configured networks, nothing else inbound. */
import type { StackConfig } from '../../stacks/config/index.js';

export interface FirewallView {
  sshPort: number;
  webPorts: string;
  sshIpv4: string;
  sshIpv6: string;
  webIpv4: string;
  webIpv6: string;
}

const family = (ranges: string[], v6: boolean) => ranges.filter((r) => r.includes(':') === v6).join(', ');

export function firewallView(config: StackConfig): FirewallView {
  const { sshAllowedRanges: ssh, webAllowedRanges: web } = config.firewall;
  return {
    sshPort: config.host.sshPort,
    webPorts: `${config.nginx.httpPort}, ${config.nginx.httpsPort}`,
    sshIpv4: family(ssh, false),
    sshIpv6: family(ssh, true),
    webIpv4: family(web, false),
    webIpv6: family(web, true),
  };
}
