export {
  APP_ENTRY,
  APP_UID,
  APP_USER,
  BACKUP_ENTRY,
  CONTAINER_APP_DIR,
  CONTAINER_PATHS,
  SLOTS,
  appEnvironment,
  inactiveSlot,
  managedFolders,
  slotContainerName,
  type ManagedFolder,
} from './app/app.view.js';
export { hostLayout, type HostLayout } from './host-layout.js';
export { manifestHash, manifestOf, renderHostFiles, type HostFile, type HostFileRole, type ManifestEntry } from './render-host-files.js';
