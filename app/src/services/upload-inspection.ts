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
      const extension = /\.([^.]+)$/.exec(name)?.[1]?.toLowerCase();
      if (extension && deny.has(extension))
        throw ValidationError.field(field, `files of type .${extension} are not accepted on this server`, 'file_type_denied');
      if (deny.size > 0) {
        const sniffed = await fileTypeFromBuffer(await head(tempPath));
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
