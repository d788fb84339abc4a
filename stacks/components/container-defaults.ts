/** What every container on the NAS gets: bounded logs (a full disk is a NAS's classic outage). */
export const LOG_OPTIONS = { logDriver: 'json-file', logOpts: { 'max-size': '20m', 'max-file': '5' } } as const;
