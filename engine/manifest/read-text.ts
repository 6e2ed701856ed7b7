import { readFileSync, statSync } from 'node:fs';
import type { ManifestIssue } from '../source/issues.ts';

/**
 * Largest manifest (or `$ref`-ed schema file) read. A real one is a few kilobytes; the
 * bound keeps a stray dump in `automations/` from costing a reload seconds of parsing.
 */
export const MAX_MANIFEST_BYTES = 512 * 1024;

export type TextRead =
  | { readonly text: string; readonly issue?: undefined }
  | { readonly text?: undefined; readonly issue: ManifestIssue; readonly missing: boolean };

/**
 * Reads a manifest or schema file as UTF-8. Too large, not UTF-8, or unreadable comes
 * back as an issue (at the first invalid byte for an encoding problem), never thrown:
 * a silently replaced byte could otherwise change a value nobody sees changed.
 */
export function readManifestText(file: string): TextRead {
  const failed = (code: ManifestIssue['code'], message: string, line = 1, col = 1, missing = false): TextRead => ({
    issue: { code, severity: 'error', file, line, col, pointer: '', message },
    missing,
  });
  let bytes: Buffer;
  try {
    const size = statSync(file).size;
    if (size > MAX_MANIFEST_BYTES) return failed('manifest-too-large', tooLarge(size));
    bytes = readFileSync(file);
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? 'unreadable';
    return failed('file-unreadable', `cannot read file (${reason})`, 1, 1, reason === 'ENOENT');
  }
  // The file may have grown between stat and read.
  if (bytes.length > MAX_MANIFEST_BYTES) return failed('manifest-too-large', tooLarge(bytes.length));
  const text = bytes.toString('utf8');
  const bad = firstInvalidByte(bytes, text);
  if (bad === undefined) return { text };
  const before = text.slice(0, bad);
  const line = before.split('\n').length;
  const col = bad - before.lastIndexOf('\n');
  return failed('file-encoding', 'this byte is not valid UTF-8: save the file as UTF-8', line, col);
}

function tooLarge(size: number): string {
  return `file is ${size} bytes, more than the ${MAX_MANIFEST_BYTES}-byte limit for a manifest; a record schema this large is likely a mistake (move shared parts to $defs)`;
}

/** Index in `text` of the replacement character standing for the first invalid byte, if any. */
function firstInvalidByte(bytes: Buffer, text: string): number | undefined {
  for (let at = text.indexOf('\uFFFD'); at !== -1; at = text.indexOf('\uFFFD', at + 1)) {
    const offset = Buffer.byteLength(text.slice(0, at));
    // A U+FFFD written in the file itself (EF BF BD) is valid text.
    if (!(bytes[offset] === 0xef && bytes[offset + 1] === 0xbf && bytes[offset + 2] === 0xbd)) return at;
  }
  return undefined;
}
