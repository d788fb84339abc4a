import { createHash } from 'node:crypto';
import type { TransactionRunner } from '../repositories/index.js';

const plainToken = (token: string) => ({ tokenHash: createHash('sha256').update(token).digest('hex'), tokenSealed: token });

export interface DatasetSize {
  users: number;
  filesPerUser: number;
  linksPerUser: number;
  auditRows: number;
}

export interface DatasetSummary {
  users: number;
  files: number;
  shareLinks: number;
  userShares: number;
  auditRows: number;
  sessions: number;
}

/** Deterministic pseudo-random numbers, so a seed reproduces a dataset. */
function rng(seed: number): () => number {
  let state = seed >>> 0 || 1;
  return () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 2 ** 32;
  };
}

const NAMES = [
  'Résumé',
  'Überblick',
  '日本語のファイル',
  'emoji 🎉 party',
  'naïve café',
  'Ελληνικά',
  'plain',
  'tab\tin name',
  "quote's",
  'back\\slash',
];
// A placeholder in the stored-hash format: generating real argon2 hashes would take minutes.
const FAKE_HASH = '$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHQ$dGVzdGhhc2h0ZXN0aGFzaHRlc3RoYXNo';

/**
 * Fills a migrated BaluHost database through the app's repositories with data that breaks naive
 * migrations: NULLs, Unicode and control characters, sizes above 2^31 and 2^32, booleans both
 * ways, ISO timestamps, JSON text, and ids with gaps from deleted rows.
 */
export async function generateDataset(transaction: TransactionRunner, size: DatasetSize, seed = 42): Promise<DatasetSummary> {
  const random = rng(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  const base = Date.UTC(2025, 0, 1);
  const at = (i: number) => new Date(base + i * 61_000 + Math.floor(random() * 1000));
  const summary: DatasetSummary = { users: 0, files: 0, shareLinks: 0, userShares: 0, auditRows: 0, sessions: 0 };

  const userIds: number[] = [];
  await transaction(async (r) => {
    for (let u = 0; u < size.users; u += 1) {
      const user = await r.users.create(
        {
          username: `user${u}_${Math.floor(random() * 1e6).toString(36)}`,
          email: u % 3 === 0 ? '' : `user${u}@nas.local`,
          passwordHash: FAKE_HASH,
          role: u === 0 ? 'admin' : 'user',
          isActive: u % 5 !== 4,
          quotaBytes: u % 4 === 0 ? null : 2 ** 31 + u * 2 ** 30,
        },
        at(u),
      );
      // Every seventh user is deleted again: the ids keep a gap, as on a real NAS.
      if (u % 7 === 6) {
        await r.users.delete(user.id);
        continue;
      }
      userIds.push(user.id);
      await r.users.setUsedBytes(user.id, u % 2 === 0 ? 2 ** 33 + u : u * 1024);
      const sessionId = `sess-${user.id}-${u}`;
      await r.sessions.create({
        id: sessionId,
        userId: user.id,
        now: at(u),
        expiresAt: at(u + 10_000),
        ipAddress: u % 2 ? '192.168.1.20' : null,
        userAgent: u % 2 ? 'BaluHost-Mobile/3.1 (Ünïcode)' : null,
      });
      await r.sessions.addRefreshToken(sessionId, `hash-${user.id}-${u}`.padEnd(64, '0'), at(u));
      summary.sessions += 1;
    }
  });
  summary.users = userIds.length;

  for (const [index, ownerId] of userIds.entries()) {
    await transaction(async (r) => {
      const home = await r.files.create(
        { ownerId, parentId: null, name: `home-${ownerId}`, isDirectory: true, sizeBytes: 0, mimeType: null },
        at(index),
      );
      const folder = await r.files.create(
        { ownerId, parentId: home.id, name: pick(NAMES), isDirectory: true, sizeBytes: 0, mimeType: null },
        at(index),
      );
      const fileIds: number[] = [];
      for (let f = 0; f < size.filesPerUser; f += 1) {
        const file = await r.files.create(
          {
            ownerId,
            parentId: f % 2 ? folder.id : home.id,
            name: `${pick(NAMES)} ${f}.${pick(['txt', 'jpg', 'mkv', 'bin'])}`,
            isDirectory: false,
            sizeBytes: f % 10 === 0 ? 2 ** 32 + f : Math.floor(random() * 2 ** 31),
            mimeType: f % 9 === 0 ? null : pick(['text/plain', 'image/jpeg', 'video/x-matroska']),
          },
          at(index * 100 + f),
        );
        if (f % 11 === 10) await r.files.delete(file.id);
        else fileIds.push(file.id);
      }
      summary.files += fileIds.length + 2;
      for (let l = 0; l < size.linksPerUser && fileIds.length; l += 1) {
        await r.shares.createLink(
          {
            // Stored as a build before sealing left it (the server seals it at start-up): keeps datasets deterministic.
            ...plainToken(`tok-${ownerId}-${l}-${Math.floor(random() * 1e9).toString(36)}`),
            fileId: pick(fileIds),
            ownerId,
            passwordHash: l % 2 ? FAKE_HASH : null,
            allowDownload: l % 3 !== 0,
            allowPreview: l % 2 === 0,
            maxDownloads: l % 4 === 0 ? null : 3 + l,
            expiresAt: l % 3 === 0 ? null : at(50_000 + l).toISOString(),
            description: l % 2 ? `Für ${pick(NAMES)}` : null,
          },
          at(index * 10 + l),
        );
        summary.shareLinks += 1;
      }
      const other = userIds[(index + 1) % userIds.length];
      if (other !== undefined && other !== ownerId && fileIds.length) {
        await r.shares.createUserShare(
          {
            fileId: folder.id,
            ownerId,
            sharedWithUserId: other,
            canRead: true,
            canWrite: index % 2 === 0,
            canDelete: false,
            canShare: index % 3 === 0,
            expiresAt: index % 2 ? null : at(90_000).toISOString(),
          },
          at(index),
        );
        summary.userShares += 1;
      }
    });
  }

  const batch = 5000;
  for (let start = 0; start < size.auditRows; start += batch) {
    await transaction(async (r) => {
      for (let i = start; i < Math.min(size.auditRows, start + batch); i += 1) {
        const userId = i % 13 === 0 ? null : (userIds[i % Math.max(1, userIds.length)] ?? null);
        await r.audit.insert(
          {
            eventType: pick(['auth', 'file', 'share', 'user', 'backup']),
            action: pick(['login', 'download', 'upload', 'delete', 'create_link']),
            userId,
            username: userId === null ? null : `user-${userId}`,
            resource: i % 5 === 0 ? null : `${pick(NAMES)}/${i}`,
            success: i % 17 !== 0,
            errorMessage: i % 17 === 0 ? 'wrong password — «Zugriff verweigert»' : null,
            details: i % 3 === 0 ? null : { bytes: 2 ** 33 + i, names: [pick(NAMES)], nested: { ok: i % 2 === 0 } },
            ipAddress: i % 4 === 0 ? null : `10.0.${i % 255}.${(i * 7) % 255}`,
            userAgent: i % 6 === 0 ? null : 'Mozilla/5.0 (X11; Linux) BaluHost-Web',
          },
          at(i),
        );
      }
    });
    summary.auditRows = Math.min(size.auditRows, start + batch);
  }
  return summary;
}
