import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { manifestIssueCodes, problemCodes } from '../engine/errors/codes.ts';
import { describeProblem } from '../engine/errors/problem.ts';

const document = readFileSync(new URL('../documents/errors.md', import.meta.url), 'utf8');

/** `### \`code\`` headings, each with the text up to the next heading, and the `## ` section it sits in. */
function documentedCodes(): { code: string; section: string; body: string }[] {
  const found: { code: string; section: string; body: string }[] = [];
  let section = '';
  let current: { code: string; section: string; body: string } | undefined;
  let inFence = false;
  for (const line of document.split('\n')) {
    if (line.startsWith('```')) inFence = !inFence;
    if (!inFence && /^#{1,3} /.test(line)) {
      if (current) found.push(current);
      current = undefined;
      if (line.startsWith('## ')) section = line.slice(3).trim();
      const heading = /^### `([^`]+)`\s*$/.exec(line);
      if (heading) current = { code: heading[1] as string, section, body: '' };
      continue;
    }
    if (current) current.body += `${line}\n`;
  }
  if (current) found.push(current);
  return found;
}

const documented = documentedCodes();
const manifestCodes = Object.keys(manifestIssueCodes);
const httpCodes = Object.keys(problemCodes);

describe('documents/errors.md', () => {
  test('every code in engine/errors/codes.ts has a ### `code` heading', () => {
    const headings = new Set(documented.map((d) => d.code));
    assert.deepEqual(
      [...manifestCodes, ...httpCodes].filter((code) => !headings.has(code)),
      [],
    );
  });

  test('every ### `code` heading is a code in engine/errors/codes.ts, and appears once', () => {
    const known = new Set([...manifestCodes, ...httpCodes]);
    assert.deepEqual(
      documented.map((d) => d.code).filter((code) => !known.has(code)),
      [],
    );
    const codes = documented.map((d) => d.code);
    assert.deepEqual(
      codes.filter((code, i) => codes.indexOf(code) !== i),
      [],
    );
  });

  test('no other level-3 heading names a code-like word without backticks', () => {
    const loose = document.split('\n').filter((line) => line.startsWith('### ') && !/^### `[^`]+`\s*$/.test(line));
    assert.deepEqual(loose, []);
  });

  test('manifest and config issues and HTTP problems are documented in their own sections', () => {
    for (const d of documented) {
      const expected = d.code in manifestIssueCodes ? 'Manifest and config issues' : 'HTTP problems';
      assert.equal(d.section, expected, `${d.code} is under "${d.section}"`);
    }
  });

  test('each HTTP problem states its status, and its example body uses its code, title and status', () => {
    for (const code of httpCodes) {
      const problem = describeProblem(code);
      assert.ok(problem);
      const body = documented.find((d) => d.code === code)?.body ?? '';
      assert.match(body, new RegExp(`^\\*\\*${problem.status}\\.\\*\\*`, 'm'), `${code} does not start with its status`);
      const example = /```json\n([\s\S]*?)```/.exec(body)?.[1];
      assert.ok(example, `${code} has no problem+json example`);
      const parsed = JSON.parse(example) as Record<string, unknown>;
      assert.deepEqual(
        { type: parsed.type, title: parsed.title, status: parsed.status, code: parsed.code },
        { type: `/problems/${code}`, title: problem.title, status: problem.status, code },
      );
    }
  });

  test('each manifest or config issue shows a FILE:LINE:COL: message example and a fix', () => {
    for (const code of manifestCodes) {
      const body = documented.find((d) => d.code === code)?.body ?? '';
      assert.match(body, /^\S+:\d+:\d+: .+$/m, `${code} has no FILE:LINE:COL: message example`);
      assert.match(body, /\*\*Fix:\*\*/, `${code} says not how to fix it`);
    }
  });
});
