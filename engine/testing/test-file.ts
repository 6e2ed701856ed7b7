import { readManifestText } from '../manifest/read-text.ts';
import { metaSchemaValidator } from '../meta-schemas.ts';
import type { Step, TestsFile } from '../schema/generated/tests.ts';
import { ajvErrorsToIssues } from '../source/ajv-issues.ts';
import type { ManifestIssue } from '../source/issues.ts';
import { issueAt, locate, type PathSegment, parseSource, type SourceFile } from '../source/source.ts';

/** Where a value of a test file is: `FILE:LINE:COL`, for reports. */
export interface At {
  readonly file: string;
  readonly line: number;
  readonly col: number;
}

export interface DeclaredStep {
  readonly method: string;
  readonly path: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: unknown;
  readonly auth: 'key' | 'none';
  readonly expect: { readonly status?: readonly number[]; readonly headers?: Readonly<Record<string, string>>; readonly body?: unknown };
  readonly capture: Readonly<Record<string, string>>;
  /** The step (its `request`), its expected status and body, for reports. */
  readonly at: At;
  readonly statusAt: At;
  readonly bodyAt: At;
}

export interface DeclaredTest {
  readonly name: string;
  readonly steps: readonly DeclaredStep[];
  readonly at: At;
}

export interface TestFile {
  readonly file: string;
  readonly tests: readonly DeclaredTest[];
}

export { testFiles } from '../manifest/files.ts';

/** A step as the file holds it (generated from schemas/tests.schema.json; `body` is any JSON there). */
type RawStep = Step;

/**
 * Reads and checks a test file against schemas/tests.schema.json, then that every
 * `${name}` a step uses was captured by an earlier step of its test. Problems come back
 * as issues at their line and column, never thrown.
 */
export function loadTestFile(file: string, shownAs = file): { tests?: TestFile; issues: ManifestIssue[] } {
  // Read as manifests are: bounded in size, and a byte that is not UTF-8 reported where it is.
  const read = readManifestText(file);
  if (read.issue) return { issues: [{ ...read.issue, file: shownAs }] };
  const { source, issues, value } = parseSource(shownAs, read.text);
  if (issues.length) return { issues };
  const validate = metaSchemaValidator('tests');
  if (!validate(value)) return { issues: ajvErrorsToIssues(source, validate.errors, 'test-file-invalid') };
  const raw = value as TestsFile;
  const problems: ManifestIssue[] = [];
  const tests = raw.tests.map((test, t) => {
    const captured = new Set<string>();
    const steps = test.steps.map((step, s) => {
      const path: PathSegment[] = ['tests', t, 'steps', s];
      for (const [name, where] of usedNames(step)) {
        if (!captured.has(name)) {
          const known = [...captured];
          problems.push(
            issueAt(
              source,
              [...path, ...where],
              'test-file-invalid',
              `\${${name}} is not captured by an earlier step of this test${known.length ? ` (captured so far: ${known.join(', ')})` : ''}; capture it first, e.g. capture: { ${name}: /data/id }`,
            ),
          );
        }
      }
      for (const name of Object.keys(step.capture ?? {})) captured.add(name);
      return declaredStep(source, step, path);
    });
    return { name: test.name, steps, at: at(source, ['tests', t, 'name']) };
  });
  return problems.length ? { issues: problems } : { tests: { file: shownAs, tests }, issues: [] };
}

function declaredStep(source: SourceFile, step: RawStep, path: PathSegment[]): DeclaredStep {
  const [method = 'GET', target = '/'] = step.request.split(' ');
  const status = step.expect?.status;
  return {
    method,
    path: target,
    headers: step.headers ?? {},
    ...(step.body !== undefined ? { body: step.body } : {}),
    auth: step.auth ?? 'key',
    expect: {
      ...(status !== undefined ? { status: Array.isArray(status) ? status : [status] } : {}),
      ...(step.expect?.headers ? { headers: step.expect.headers } : {}),
      ...(step.expect && 'body' in step.expect ? { body: step.expect.body } : {}),
    },
    capture: step.capture ?? {},
    at: at(source, [...path, 'request']),
    statusAt: at(source, [...path, 'expect', 'status']),
    bodyAt: at(source, [...path, 'expect', 'body']),
  };
}

function at(source: SourceFile, path: readonly PathSegment[]): At {
  return { file: source.file, ...locate(source, path) };
}

/** Each `${name}` the step uses, with where it is (relative to the step). */
function usedNames(step: RawStep): [string, PathSegment[]][] {
  const found: [string, PathSegment[]][] = [];
  const walk = (value: unknown, where: PathSegment[]) => {
    if (typeof value === 'string') for (const match of value.matchAll(PLACEHOLDER)) found.push([match[1] as string, where]);
    else if (Array.isArray(value)) for (const [i, item] of value.entries()) walk(item, [...where, i]);
    else if (value !== null && typeof value === 'object') for (const [key, item] of Object.entries(value)) walk(item, [...where, key]);
  };
  walk(step.request, ['request']);
  walk(step.headers, ['headers']);
  walk(step.body, ['body']);
  walk(step.expect, ['expect']);
  return found;
}

/** `${name}`: a value captured by an earlier step. */
export const PLACEHOLDER = /\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g;
