import { createHash, randomBytes } from 'node:crypto';
import { linkSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/** A manifest's text and the hash the console compares before it writes over it. */
export interface ManifestText {
  readonly text: string;
  readonly hash: string;
}

export function textHash(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** The file's text now, or undefined when there is none. */
export function readManifest(file: string): ManifestText | undefined {
  try {
    const text = readFileSync(file, 'utf8');
    return { text, hash: textHash(text) };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

export type WriteOutcome = { readonly written: true } | { readonly written: false; readonly now: ManifestText | undefined };

/**
 * Writes `text` to `file` only if the file is still what the editor opened: `base` is the
 * hash it had then, or undefined for a file that must not exist yet. Otherwise nothing is
 * written and `now` is what is there (a `git pull` or another editor got there first).
 *
 * Atomic: the text goes to a temporary file beside it (a name the watcher does not load),
 * which is then renamed over the file, or, for a new file, linked to its name (which fails
 * if a file appeared meanwhile). A reader sees the old text or the new, never half of one.
 * The check and the rename are two steps: a write landing between them (microseconds) is
 * not detected.
 */
export function writeManifest(file: string, text: string, base: string | undefined): WriteOutcome {
  const now = readManifest(file);
  if (now?.hash !== base) return { written: false, now };
  const temp = join(dirname(file), `.${basename(file)}.${randomBytes(6).toString('hex')}.council-tmp`);
  writeFileSync(temp, text, { flag: 'wx' });
  try {
    if (base === undefined) {
      try {
        linkSync(temp, file);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'EEXIST') return { written: false, now: readManifest(file) };
        throw error;
      }
    } else {
      renameSync(temp, file);
    }
    return { written: true };
  } finally {
    try {
      unlinkSync(temp);
    } catch {
      // Renamed away: nothing left to remove.
    }
  }
}
