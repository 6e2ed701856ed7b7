import type { ManifestIssueCode } from '../errors/codes.ts';

/** One problem found in a manifest or config file, as data. Lines and columns are 1-based. */
export interface ManifestIssue {
  readonly code: ManifestIssueCode;
  readonly severity: 'error' | 'warning';
  readonly file: string;
  readonly line: number;
  readonly col: number;
  /** JSON Pointer of the offending node inside the file (`""` for the whole file). */
  readonly pointer: string;
  readonly message: string;
}

/** `FILE:LINE:COL: message`, optionally followed by the source line and a caret under the column. */
export function formatIssue(issue: ManifestIssue, sourceText?: string): string {
  const head = `${issue.file}:${issue.line}:${issue.col}: ${issue.severity === 'warning' ? 'warning: ' : ''}${issue.message}`;
  const line = sourceText?.split(/\r?\n/)[issue.line - 1];
  if (line === undefined) return head;
  return `${head}\n  ${line}\n  ${' '.repeat(Math.max(0, issue.col - 1))}^`;
}

export function hasErrors(issues: readonly ManifestIssue[]): boolean {
  return issues.some((i) => i.severity === 'error');
}

/** Orders issues by file, then position, so reports are stable. */
export function sortIssues(issues: readonly ManifestIssue[]): ManifestIssue[] {
  return [...issues].sort((a, b) => (a.file === b.file ? a.line - b.line || a.col - b.col : a.file < b.file ? -1 : 1));
}
