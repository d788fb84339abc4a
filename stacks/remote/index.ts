export {
  STAGING_DIR,
  baseDirectoriesScript,
  certbotIssueScript,
  healthProbeScript,
  installGroupScript,
  installNginxScript,
  installUnitsScript,
  migrationScript,
  nginxCommands,
  DOCKER_ANSWERS,
  preDeployBackupScript,
  providedCertificateScript,
  selfSignedCertificateScript,
  stagedPath,
  switchUpstreamScript,
  waitForHostScript,
  writeSecretFileScript,
  type NginxCommands,
  type RemoteOptions,
} from './host-commands.js';
export { installFilesScript, type InstallGroup, type StagedFile } from './install-files.js';
export { q, script } from './shell.js';
export { HostKeyMismatchError, SshSession, runRemote, type RemoteResult, type SshCredentials, type SshTarget } from './ssh-runner.js';
export { dockerSshOptions, knownHostsLine, writeKnownHostsFile } from './known-hosts.js';
export {
  WEB_CLIENT_KEEP,
  WEB_CLIENT_MANIFEST,
  installWebClientScript,
  servedWebClientManifestScript,
  switchWebClientScript,
  webClientStateScript,
  type WebClientPaths,
} from './web-client.js';
