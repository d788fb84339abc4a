/** The release history on the NAS: one JSON object per line, appended at every step of every release operation. */
import type { Slot } from '../config/index.js';

export type ReleaseStep =
  | 'started'
  | 'preflight'
  | 'backup'
  | 'up'
  | 'health-gate'
  | 'switched'
  | 'watch'
  | 'rolled-back'
  | 'finished'
  | 'failed'
  | 'restored-files'
  | 'restored-data';

export interface ReleaseRecord {
  at: string;
  release: string;
  step: ReleaseStep;
  operation: 'deploy' | 'rollback';
  who: string;
  gitCommit?: string;
  image?: string;
  slot?: Slot;
  previousSlot?: Slot;
  configHash?: string;
  manifestHash?: string;
  /** The web client build the release served (its content hash): what a rollback serves again. */
  webClientBuild?: string;
  /** The stack's non-secret config as deployed: what rollback --to re-renders from. */
  config?: unknown;
  backup?: { file: string; verified: boolean };
  health?: { ok: boolean; detail: string };
  outcome?: 'succeeded' | 'failed' | 'rolled-back';
  reason?: string;
  durationMs?: number;
}

export function parseHistory(text: string): ReleaseRecord[] {
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .flatMap((line) => {
      try {
        return [JSON.parse(line) as ReleaseRecord];
      } catch {
        return []; // a torn last line (power cut mid-append) must not hide the rest
      }
    });
}

/** What the host should look like now: the last operation (deploy or rollback) that finished successfully with a config. */
export function currentRelease(history: ReleaseRecord[]): ReleaseRecord | undefined {
  return history.filter((r) => r.step === 'finished' && r.outcome === 'succeeded' && r.config !== undefined).at(-1);
}

/** The last deploy that finished successfully, optionally a named one. */
export function findRelease(history: ReleaseRecord[], release?: string): ReleaseRecord | undefined {
  const finished = history.filter((r) => r.step === 'finished' && r.outcome === 'succeeded' && r.operation === 'deploy');
  return release === undefined ? finished.at(-1) : finished.filter((r) => r.release === release).at(-1);
}
