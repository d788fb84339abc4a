import { createCipheriv, createDecipheriv, randomBytes, scrypt as scryptCb, type ScryptOptions } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { open, rm, stat } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';

/**
 * Passphrase encryption of backup files: AES-256-GCM, key from scrypt(passphrase, salt).
 * Layout: "BHENC1" | salt(16) | iv(12) | ciphertext | tag(16). Streams in both directions.
 */
const MAGIC = Buffer.from('BHENC1');
const SALT = 16;
const IV = 12;
const TAG = 16;
const HEADER = MAGIC.length + SALT + IV;
const SCRYPT: ScryptOptions = { N: 2 ** 15, r: 8, p: 1, maxmem: 64 * 1024 * 1024 };

function deriveKey(passphrase: string, salt: Buffer): Promise<Buffer> {
  return new Promise((done, fail) => scryptCb(passphrase, salt, 32, SCRYPT, (err, key) => (err ? fail(err) : done(key))));
}

export class DecryptionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DecryptionError';
  }
}

export async function encryptFile(input: string, output: string, passphrase: string): Promise<void> {
  const salt = randomBytes(SALT);
  const iv = randomBytes(IV);
  const cipher = createCipheriv('aes-256-gcm', await deriveKey(passphrase, salt), iv);
  const out = createWriteStream(output, { mode: 0o600 });
  out.write(Buffer.concat([MAGIC, salt, iv]));
  try {
    await pipeline(createReadStream(input), cipher, out, { end: false });
    out.end(cipher.getAuthTag());
    await new Promise<void>((done, fail) => out.once('finish', () => done()).once('error', fail));
  } catch (err) {
    out.destroy();
    await rm(output, { force: true });
    throw err;
  }
}

export async function isEncrypted(file: string): Promise<boolean> {
  const handle = await open(file, 'r');
  try {
    const head = Buffer.alloc(MAGIC.length);
    await handle.read(head, 0, MAGIC.length, 0);
    return head.equals(MAGIC);
  } finally {
    await handle.close();
  }
}

/** Decrypts into `output`; a wrong passphrase or a modified file fails and leaves no output. */
export async function decryptFile(input: string, output: string, passphrase: string): Promise<void> {
  const size = (await stat(input)).size;
  if (size < HEADER + TAG) throw new DecryptionError(`${input} is too short to be an encrypted backup`);
  const handle = await open(input, 'r');
  const header = Buffer.alloc(HEADER);
  const tag = Buffer.alloc(TAG);
  try {
    await handle.read(header, 0, HEADER, 0);
    await handle.read(tag, 0, TAG, size - TAG);
  } finally {
    await handle.close();
  }
  if (!header.subarray(0, MAGIC.length).equals(MAGIC)) throw new DecryptionError(`${input} is not an encrypted BaluHost backup`);
  const salt = header.subarray(MAGIC.length, MAGIC.length + SALT);
  const iv = header.subarray(MAGIC.length + SALT);
  const decipher = createDecipheriv('aes-256-gcm', await deriveKey(passphrase, salt), iv);
  decipher.setAuthTag(tag);
  try {
    await pipeline(createReadStream(input, { start: HEADER, end: size - TAG - 1 }), decipher, createWriteStream(output, { mode: 0o600 }));
  } catch {
    await rm(output, { force: true });
    throw new DecryptionError(`Cannot decrypt ${input}: wrong passphrase or the file was modified`);
  }
}
