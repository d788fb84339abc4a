export { CONFIG_NAME, DUMP_NAME, FILES_NAME, openBackupArchive, readChecksumFile, writeBackupArchive } from './backup-archive.js';
export type { WriteArchiveOptions, WrittenArchive } from './backup-archive.js';
export { sha256File } from './checksum.js';
export {
  dockerPgDumpArgv,
  dockerPgRestoreArgv,
  dumpDatabase,
  dumpTargetFor,
  libpqEnv,
  pgDumpArgs,
  pgRestoreArgs,
  restoreDatabase,
  restoreDatabaseKeepingCatalogue,
} from './database-dump.js';
export type { DumpTarget } from './database-dump.js';
export { decryptFile, DecryptionError, encryptFile, isEncrypted } from './encryption.js';
export type { BackupManifest } from './manifest.js';
export { backupsToDelete } from './retention.js';
export type { BackupEntry, RetentionPolicy } from './retention.js';
export { BackupVerificationError, verifyByScratchRestore } from './verify-backup.js';
