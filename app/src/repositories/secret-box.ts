/**
 * Secrets the server must read back (API key secrets, future SMTP passwords) are stored sealed with
 * AES-256-GCM. Each sealed value names its key id, so keys rotate: new values use the current key,
 * old ones open with any previous key still configured.
 */
import { createCipheriv, createDecipheriv, createHash, hkdfSync, randomBytes } from 'node:crypto';

export interface SecretBox {
  seal(plaintext: string): string;
  open(sealed: string): string;
  /** Whether a stored value is sealed at all (values written before sealing was introduced are not). */
  isSealed(value: string): boolean;
}

const VERSION = 'v1';

function deriveKey(material: string): { id: string; key: Buffer } {
  // HKDF separates this key from every other use of the configured material (JWT signing).
  const key = Buffer.from(hkdfSync('sha256', material, 'baluhost', 'baluhost secrets at rest v1', 32));
  return { id: createHash('sha256').update(key).digest('hex').slice(0, 8), key };
}

export function createSecretBox(current: string, previous: readonly string[] = []): SecretBox {
  const now = deriveKey(current);
  const keys = new Map([now, ...previous.map(deriveKey)].map((k) => [k.id, k.key]));
  return {
    seal(plaintext) {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', now.key, iv);
      const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
      return [VERSION, now.id, iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), ciphertext.toString('base64url')].join(
        ':',
      );
    },
    open(sealed) {
      const [version, id, iv, tag, ciphertext] = sealed.split(':');
      const key = id === undefined ? undefined : keys.get(id);
      if (version !== VERSION || !key || !iv || !tag || ciphertext === undefined)
        throw new Error(`cannot open a sealed secret (key ${id ?? '?'} is not configured, or the value is not sealed)`);
      const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
      decipher.setAuthTag(Buffer.from(tag, 'base64url'));
      return Buffer.concat([decipher.update(Buffer.from(ciphertext, 'base64url')), decipher.final()]).toString('utf8');
    },
    isSealed: (value) => value.startsWith(`${VERSION}:`),
  };
}
