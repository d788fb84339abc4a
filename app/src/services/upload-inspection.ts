/**
 * Checks an uploaded file before it is stored: its real type (sniffed from the bytes, not trusted
 * from the name) and its extension against the deny-list, and, when configured, a ClamAV scan.
 * A refused or infected file never leaves the temp area.
 */
import { open } from 'node:fs/promises';
import { fileTypeFromBuffer } from 'file-type';
import { ServiceUnavailableError, ValidationError } from '../errors/index.js';
import { ScannerUnavailableError, type VirusScanner } from '../repositories/virus-scanner.js';

export interface UploadInspector {
  inspect(file: { name: string; tempPath: string; field: (string | number)[] }): Promise<void>;
}

/**
 * The extension a file name really has: Windows drops trailing dots and spaces, so `run.exe.` opens
 * as `run.exe`.
 */
export function effectiveExtension(name: string): string | undefined {
  return /\.([^.]+)$/.exec(name.replace(/[. ]+$/, ''))?.[1]?.toLowerCase();
}

/** Refuses a name whose extension is on the deny-list: at upload, and when a stored file is renamed. */
export function assertNameAllowed(denyTypes: readonly string[], name: string, field: (string | number)[]): void {
  const extension = effectiveExtension(name);
  if (extension && denyTypes.includes(extension))
    throw ValidationError.field(field, `files of type .${extension} are not accepted on this server`, 'file_type_denied');
}

/** Archives whose type is told by a member, wherever it sits: a JAR's manifest, an APK's Android manifest. */
const MEMBER_TYPES: [string, { ext: string; mime: string }][] = [
  ['META-INF/MANIFEST.MF', { ext: 'jar', mime: 'application/java-archive' }],
  ['AndroidManifest.xml', { ext: 'apk', mime: 'application/vnd.android.package-archive' }],
];

/**
 * The member names of a zip file, read from its central directory (found through the end record in
 * the last 64 KiB), so a member past the sniffed prefix is seen too. Undefined when it is not a zip.
 */
async function zipMemberNames(path: string): Promise<string[] | undefined> {
  const handle = await open(path, 'r');
  try {
    const { size } = await handle.stat();
    const tailLength = Math.min(size, 65_557);
    const tail = Buffer.alloc(tailLength);
    await handle.read(tail, 0, tailLength, size - tailLength);
    const end = tail.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
    if (end < 0 || end + 22 > tail.length) return undefined;
    const directorySize = tail.readUInt32LE(end + 12);
    const directoryOffset = tail.readUInt32LE(end + 16);
    if (directoryOffset + directorySize > size || directorySize > 64 * 1024 * 1024) return undefined;
    const directory = Buffer.alloc(directorySize);
    await handle.read(directory, 0, directorySize, directoryOffset);
    const names: string[] = [];
    for (let at = 0; at + 46 <= directory.length && directory.readUInt32LE(at) === 0x02014b50;) {
      const nameLength = directory.readUInt16LE(at + 28);
      const extraLength = directory.readUInt16LE(at + 30);
      const commentLength = directory.readUInt16LE(at + 32);
      names.push(directory.subarray(at + 46, at + 46 + nameLength).toString('utf8'));
      at += 46 + nameLength + extraLength + commentLength;
    }
    return names;
  } finally {
    await handle.close();
  }
}

async function head(path: string, bytes = 4100): Promise<Buffer> {
  const handle = await open(path, 'r');
  try {
    const buffer = Buffer.alloc(bytes);
    const { bytesRead } = await handle.read(buffer, 0, bytes, 0);
    return buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

export function createUploadInspector(deps: {
  denyTypes: readonly string[];
  scanner: VirusScanner | null;
  onInfected?: (name: string, signature: string) => Promise<void>;
}): UploadInspector {
  const deny = new Set(deps.denyTypes);
  return {
    async inspect({ name, tempPath, field }) {
      assertNameAllowed(deps.denyTypes, name, field);
      if (deny.size > 0) {
        let sniffed: { ext: string; mime: string } | undefined = await fileTypeFromBuffer(await head(tempPath));
        if (sniffed && ['zip', 'jar', 'apk'].includes(sniffed.ext)) {
          const members = (await zipMemberNames(tempPath)) ?? [];
          sniffed = MEMBER_TYPES.find(([member]) => members.includes(member))?.[1] ?? sniffed;
        }
        if (sniffed && deny.has(sniffed.ext))
          throw ValidationError.field(
            field,
            `"${name}" is really a ${sniffed.mime} file (${sniffed.ext}), which this server does not accept`,
            'file_type_denied',
          );
      }
      if (deps.scanner) {
        let result;
        try {
          result = await deps.scanner.scanFile(tempPath);
        } catch (err) {
          if (err instanceof ScannerUnavailableError)
            throw new ServiceUnavailableError(
              `The virus scanner is not reachable, so uploads are paused: ${err.message}`,
              'scanner_unavailable',
            );
          throw err;
        }
        if (!result.clean) {
          await deps.onInfected?.(name, result.signature);
          throw ValidationError.field(field, `"${name}" contains malware (${result.signature}) and was not stored`, 'file_infected');
        }
      }
    },
  };
}
