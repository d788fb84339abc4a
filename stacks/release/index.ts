export { configHash, deployRelease, switchSlot, withChanges, withDeployLock, type DeployRequest, type DeployResult } from './deploy.js';
export { driftFromManifest, pushHostFiles, type FileDrift } from './host-files-push.js';
export { planMarkdown, fetchHostFiles, type PlanInput } from './plan.js';
export { probeHost, type ProbeLimits, type ProbeReport } from './probe.js';
export {
  DEFAULT_MIN_FREE_KIB,
  DEFAULT_TIMINGS,
  type ConfigChanges,
  type ReleaseDeps,
  type ReleaseHost,
  type ReleaseTimings,
  type SlotCommands,
  type StackDriver,
} from './release-context.js';
export { currentRelease, findRelease, parseHistory, type ReleaseRecord } from './release-history.js';
export { readHistory, rollbackRelease, type RollbackRequest, type RollbackResult } from './rollback.js';
export { parseWatchSample, serverErrorRatio } from './slot-traffic.js';
export { prepareWebClient, WebClientError, type WebClientBundle } from './web-client-bundle.js';
export {
  restoreWebClient,
  servedWebClient,
  webClientChange,
  webClientPlanLines,
  type ServedWebClient,
  type WebClientChange,
} from './web-client-release.js';
