/** What every release operation talks to: the NAS over SSH, the stack's config and engine, a clock. */
import type { Slot, StackConfig } from '../config/index.js';
import { posix } from 'node:path';
import { STAGING_DIR, type RemoteOptions, type RemoteResult } from '../remote/index.js';

export interface ReleaseHost {
  run(command: string, stdin?: string): Promise<RemoteResult>;
  options: RemoteOptions;
}

export interface ConfigChanges {
  slotImages?: Partial<Record<Slot, string>>;
  activeSlot?: Slot;
  release?: string;
}

/**
 * The stack: its config, and `apply` (pulumi up in production; in the end-to-end test, an adapter
 * that runs the migration and (re)starts slot processes). `record` saves config without applying,
 * for changes already made on the host (an instant slot switch).
 */
export interface StackDriver {
  config(): Promise<StackConfig>;
  apply(changes: ConfigChanges): Promise<void>;
  record(changes: ConfigChanges): Promise<void>;
  /** Replace the whole non-secret config (rollback to a recorded release) and apply it. */
  restore(config: StackConfig): Promise<void>;
}

/** Commands that differ between Docker slots and other runtimes. */
export interface SlotCommands {
  /** A verified backup taken through the running slot; prints `Backup written: <file>` and `Verified:`. */
  backup(config: StackConfig): string;
  /** Restores a backup file into the database (rollback --with-data). */
  restore(config: StackConfig, file: string): string;
  /** `name state health` lines for the database and both slots (default: `docker inspect`). */
  states?(config: StackConfig): string;
}

export interface ReleaseTimings {
  /** Consecutive /api/ready successes the new slot needs before traffic moves. */
  gateSuccesses: number;
  gateTimeoutSeconds: number;
  gateIntervalSeconds: number;
  /** How long traffic is watched after the switch. */
  watchSeconds: number;
  watchIntervalSeconds: number;
  /** Roll back when more than this share of the new slot's requests during the watch were 5xx. */
  maxServerErrorRatio: number;
}

/** A pre-deploy backup needs room: 1 GiB free on the backup file system, unless the caller says otherwise. */
export const DEFAULT_MIN_FREE_KIB = 1024 * 1024;

export const DEFAULT_TIMINGS: ReleaseTimings = {
  gateSuccesses: 5,
  gateTimeoutSeconds: 120,
  gateIntervalSeconds: 2,
  watchSeconds: 120,
  watchIntervalSeconds: 5,
  maxServerErrorRatio: 0.01,
};

export interface ReleaseDeps {
  host: ReleaseHost;
  stack: StackDriver;
  slots: SlotCommands;
  timings: ReleaseTimings;
  who: string;
  gitCommit?: string;
  now?: () => Date;
  log?: (line: string) => void;
  /** Minimum free space (KiB) on the backup file system before a release starts. */
  minFreeKiB: number;
  /** File-system root of the NAS's managed paths: `/`, or a folder when the NAS is simulated. */
  root?: string;
}

export const rootOf = (deps: Pick<ReleaseDeps, 'root'>) => deps.root ?? '/';
export const stagingDirOf = (deps: Pick<ReleaseDeps, 'root'>) => posix.join(rootOf(deps), STAGING_DIR);
