import type { ErrorObject } from 'ajv';
import type { ManifestIssueCode } from '../errors/codes.ts';
import { didYouMean } from '../errors/did-you-mean.ts';
import type { ManifestIssue } from './issues.ts';
import { issueAt, type PathSegment, pointerToPath, type SourceFile } from './source.ts';

/**
 * Turns ajv errors (validated with `allErrors` and `verbose`) into positioned issues.
 * `base` is where the validated value sits inside the source file (e.g. `['schema']`).
 */
export function ajvErrorsToIssues(
  source: SourceFile,
  errors: readonly ErrorObject[] | null | undefined,
  code: ManifestIssueCode,
  base: readonly PathSegment[] = [],
): ManifestIssue[] {
  const seen = new Set<string>();
  const issues: ManifestIssue[] = [];
  for (const error of mostSpecific(errors ?? [])) {
    const issue = toIssue(source, error, code, base);
    // One node gets one issue: alternatives of a union (`type: strnig` fails `enum`,
    // `array` and `anyOf` at once) would otherwise count as several errors for one typo.
    const key =
      error.keyword === 'additionalProperties' || error.keyword === 'required'
        ? `${issue.line}:${issue.col}:${issue.message}`
        : `${issue.line}:${issue.col}`;
    if (seen.has(key)) continue;
    seen.add(key);
    issues.push(issue);
  }
  return issues;
}

/** Drops `anyOf`/`oneOf` summaries whose branches already reported at the same place. */
function mostSpecific(errors: readonly ErrorObject[]): ErrorObject[] {
  const umbrella = new Set(['anyOf', 'oneOf']);
  const specific = new Set(errors.filter((e) => !umbrella.has(e.keyword)).map((e) => e.instancePath));
  return errors.filter((e) => !umbrella.has(e.keyword) || !specific.has(e.instancePath));
}

function toIssue(source: SourceFile, error: ErrorObject, code: ManifestIssueCode, base: readonly PathSegment[]) {
  const path = [...base, ...pointerToPath(error.instancePath)];
  const where = path.length ? `${path.join('.')}: ` : '';
  switch (error.keyword) {
    case 'required':
      return issueAt(source, path, code, `${where}missing required property "${error.params.missingProperty}"`);
    case 'additionalProperties': {
      const extra = String(error.params.additionalProperty);
      const known = Object.keys((error.parentSchema?.properties as object | undefined) ?? {});
      const hint = didYouMean(extra, known) || (known.length ? ` (allowed: ${known.join(', ')})` : '');
      return issueAt(source, [...path, extra], code, `${where}unknown property "${extra}"${hint}`, { key: true });
    }
    case 'enum': {
      const allowed = (error.params.allowedValues as unknown[]).map(String);
      const hint = typeof error.data === 'string' ? didYouMean(error.data, allowed) : '';
      return issueAt(source, path, code, `${where}must be one of: ${allowed.join(', ')}${hint}`);
    }
    default:
      return issueAt(source, path, code, `${where}${error.message ?? 'is invalid'}`);
  }
}
