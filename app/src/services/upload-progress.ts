import { randomBytes } from 'node:crypto';
import type { Clock } from '../repositories/index.js';

/** One file of an upload as the web client's progress modal reads it. */
export interface UploadProgress {
  upload_id: string;
  filename: string;
  /** The file's size once it is in; while it streams, at most what the request still declares to send. */
  total_bytes: number;
  uploaded_bytes: number;
  status: 'uploading' | 'completed' | 'failed';
  error?: string;
  started_at: string;
  completed_at?: string;
  progress_percentage: number;
}

interface Session {
  userId: number;
  progress: UploadProgress;
  listeners: Set<(p: UploadProgress) => void>;
  doneAt: number | null;
}

// A finished upload stays readable this long: the client asks for it after the upload's answer.
const KEEP_FINISHED_MS = 10 * 60_000;

/**
 * Bytes received per file of the uploads this process is receiving, in memory (an upload is
 * received by one process, and so is read from it). An id is 128 random bits: the client's
 * EventSource sends no token, so knowing the id is what lets one read its progress.
 */
export function createUploadProgress(deps: { clock: Clock }) {
  const sessions = new Map<string, Session>();

  function sweep(now: number): void {
    for (const [id, s] of sessions) if (s.doneAt !== null && now - s.doneAt > KEEP_FINISHED_MS) sessions.delete(id);
  }

  function publish(s: Session): void {
    const p = s.progress;
    p.progress_percentage =
      p.status === 'completed' ? 100 : p.total_bytes > 0 ? Math.min(99, Math.floor((p.uploaded_bytes / p.total_bytes) * 100)) : 0;
    for (const listener of s.listeners) listener({ ...p });
  }

  return {
    begin(userId: number, filename: string, totalBytes: number): string {
      const now = deps.clock.now();
      sweep(now.getTime());
      const id = randomBytes(16).toString('base64url');
      sessions.set(id, {
        userId,
        listeners: new Set(),
        doneAt: null,
        progress: {
          upload_id: id,
          filename,
          total_bytes: totalBytes,
          uploaded_bytes: 0,
          status: 'uploading',
          started_at: now.toISOString(),
          progress_percentage: 0,
        },
      });
      return id;
    },

    advance(id: string, uploadedBytes: number): void {
      const s = sessions.get(id);
      if (!s) return;
      s.progress.uploaded_bytes = uploadedBytes;
      s.progress.total_bytes = Math.max(s.progress.total_bytes, uploadedBytes);
      publish(s);
    },

    finish(id: string, outcome: { ok: true; size: number } | { ok: false; error: string }): void {
      const s = sessions.get(id);
      if (!s || s.doneAt !== null) return;
      const now = deps.clock.now();
      s.doneAt = now.getTime();
      s.progress.completed_at = now.toISOString();
      if (outcome.ok) Object.assign(s.progress, { status: 'completed', uploaded_bytes: outcome.size, total_bytes: outcome.size });
      else Object.assign(s.progress, { status: 'failed', error: outcome.error });
      publish(s);
      s.listeners.clear();
    },

    get(id: string): UploadProgress | undefined {
      sweep(deps.clock.now().getTime());
      const s = sessions.get(id);
      return s && { ...s.progress };
    },

    /** A user's uploads still streaming into this process, oldest first. */
    active(userId: number): UploadProgress[] {
      return [...sessions.values()].filter((s) => s.userId === userId && s.doneAt === null).map((s) => ({ ...s.progress }));
    },

    /** Calls `listener` on every change until the upload finishes; returns the unsubscribe. */
    subscribe(id: string, listener: (p: UploadProgress) => void): () => void {
      const s = sessions.get(id);
      if (!s || s.doneAt !== null) return () => undefined;
      s.listeners.add(listener);
      return () => s.listeners.delete(listener);
    },
  };
}

export type UploadProgressRegistry = ReturnType<typeof createUploadProgress>;
