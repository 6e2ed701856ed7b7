import { atPointer, firstMismatch, interpolate } from './expectations.ts';
import type { At, DeclaredStep, DeclaredTest, TestFile } from './test-file.ts';

/** Sends one request to the engine under test (in process, or over HTTP) and answers. */
export type Send = (request: Request) => Promise<Response>;

export interface TestFailure {
  /** The line of the test file at fault: the expected status or body, or the step's request. */
  readonly at: At;
  /** 1-based. */
  readonly step: number;
  /** `POST /tickets`, placeholders filled. */
  readonly request: string;
  readonly message: string;
}

export interface TestResult {
  readonly file: string;
  readonly name: string;
  readonly at: At;
  readonly ms: number;
  readonly failure?: TestFailure;
}

export interface RunOptions {
  /** Where paths are resolved: `http://127.0.0.1:8080`. */
  readonly base: string;
  /** Sent as a Bearer token on steps with `auth: key` (the default). */
  readonly key?: string | undefined;
  /** How long one step may take before it fails (a frozen server must not hang CI). */
  readonly stepTimeoutMs: number;
}

/**
 * Runs a file's tests in order, each test's steps in order, stopping a test at its first
 * failing step (the later ones build on it). The tests of one file share the engine and
 * its records: a test sees what earlier ones wrote.
 */
export async function runTestFile(file: TestFile, send: Send, options: RunOptions): Promise<TestResult[]> {
  const results: TestResult[] = [];
  for (const test of file.tests) results.push(await runTest(file.file, test, send, options));
  return results;
}

async function runTest(file: string, test: DeclaredTest, send: Send, options: RunOptions): Promise<TestResult> {
  const began = performance.now();
  const captured = new Map<string, unknown>();
  for (const [index, step] of test.steps.entries()) {
    const failure = await runStep(step, index + 1, captured, send, options);
    if (failure) return { file, name: test.name, at: test.at, ms: performance.now() - began, failure };
  }
  return { file, name: test.name, at: test.at, ms: performance.now() - began };
}

async function runStep(
  step: DeclaredStep,
  number: number,
  captured: Map<string, unknown>,
  send: Send,
  options: RunOptions,
): Promise<TestFailure | undefined> {
  const path = interpolate(step.path, captured) as string;
  const request = `${step.method} ${path}`;
  const fail = (at: At, message: string): TestFailure => ({ at, step: number, request, message });
  const headers = new Headers(interpolate(step.headers, captured) as Record<string, string>);
  if (step.body !== undefined && !headers.has('content-type')) headers.set('content-type', 'application/json');
  if (step.auth === 'key' && options.key && !headers.has('authorization')) headers.set('authorization', `Bearer ${options.key}`);
  let response: Response;
  let text: string;
  try {
    response = await send(
      new Request(new URL(path, options.base), {
        method: step.method,
        headers,
        ...(step.body !== undefined ? { body: JSON.stringify(interpolate(step.body, captured)) } : {}),
        signal: AbortSignal.timeout(options.stepTimeoutMs),
      }),
    );
    text = await response.text();
  } catch (error) {
    const why = (error as Error).name === 'TimeoutError' ? `no answer within ${options.stepTimeoutMs / 1000} s` : (error as Error).message;
    return fail(step.at, `${request}: ${why}`);
  }
  let body: unknown;
  try {
    body = text === '' ? undefined : JSON.parse(text);
  } catch {
    body = text;
  }
  const got = `got ${response.status}: ${excerpt(text)}`;
  const statuses = step.expect.status;
  if (statuses ? !statuses.includes(response.status) : response.status >= 300) {
    const wanted = statuses ? statuses.join(' or ') : 'a 2xx status (none given)';
    return fail(statuses ? step.statusAt : step.at, `${request}: expected ${wanted}, ${got}`);
  }
  for (const [name, value] of Object.entries(step.expect.headers ?? {})) {
    const expected = interpolate(value, captured) as string;
    const actual = response.headers.get(name);
    if (actual !== expected) {
      return fail(
        step.at,
        `${request}: expected header ${name}: ${JSON.stringify(expected)}, got ${actual === null ? 'none' : JSON.stringify(actual)}`,
      );
    }
  }
  if ('body' in step.expect) {
    const mismatch = firstMismatch(interpolate(step.expect.body, captured), body);
    if (mismatch) {
      const where = mismatch.pointer || '(the whole body)';
      const actual = mismatch.actual === undefined ? 'nothing' : JSON.stringify(mismatch.actual);
      return fail(
        step.bodyAt,
        `${request}: body at ${where}: ${mismatch.why}: expected ${JSON.stringify(mismatch.expected)}, got ${actual}; ${got}`,
      );
    }
  }
  for (const [name, pointer] of Object.entries(step.capture)) {
    const value = atPointer(body, pointer);
    if (value === undefined) return fail(step.at, `${request}: capture ${name}: nothing at ${pointer || '(the whole body)'}; ${got}`);
    captured.set(name, value);
  }
  return undefined;
}

/** An answer's body, cut for a report line. */
function excerpt(text: string): string {
  const flat = text.replace(/\s+/g, ' ');
  return flat.length > 400 ? `${flat.slice(0, 400)}…` : flat || '(empty body)';
}
