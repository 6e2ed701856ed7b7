import { readFileSync } from 'node:fs';
import { formatIssue, type ManifestIssue, sortIssues } from '../source/issues.ts';

/** Prints issues as `FILE:LINE:COL: message` with the source line and a caret, on stderr. */
export function printIssues(issues: readonly ManifestIssue[]): void {
  const texts = new Map<string, string | undefined>();
  for (const issue of sortIssues(issues)) {
    if (!texts.has(issue.file)) texts.set(issue.file, readText(issue.file));
    console.error(formatIssue(issue, texts.get(issue.file)));
  }
}

function readText(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}
