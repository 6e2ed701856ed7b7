import type { ManifestIssue } from '../source/issues.ts';
import type { TestResult } from './run-tests.ts';

/**
 * TAP version 13 (what node:test prints without a terminal, and what CI tools read): one
 * line per test, a YAML block under each failure with where and why.
 */
export function tapReport(results: readonly TestResult[]): string {
  const lines = ['TAP version 13'];
  for (const [i, result] of results.entries()) {
    const title = `${result.file}: ${result.name}`.replace(/#/g, '\\#');
    if (!result.failure) {
      lines.push(`ok ${i + 1} - ${title}`);
      continue;
    }
    const { at, step, message } = result.failure;
    lines.push(
      `not ok ${i + 1} - ${title}`,
      '  ---',
      `  at: ${JSON.stringify(`${at.file}:${at.line}:${at.col}`)}`,
      `  step: ${step}`,
      `  message: ${JSON.stringify(message)}`,
      `  duration_ms: ${result.ms.toFixed(1)}`,
      '  ...',
    );
  }
  const failed = results.filter((r) => r.failure).length;
  lines.push(`1..${results.length}`, `# tests ${results.length}`, `# pass ${results.length - failed}`, `# fail ${failed}`);
  return lines.join('\n');
}

/** JUnit XML, a suite per test file, as CI servers (GitLab, Jenkins, test-report actions) import it. */
export function junitReport(results: readonly TestResult[]): string {
  const files = [...new Set(results.map((r) => r.file))];
  const suites = files.map((file) => {
    const own = results.filter((r) => r.file === file);
    const failures = own.filter((r) => r.failure).length;
    const seconds = own.reduce((sum, r) => sum + r.ms, 0) / 1000;
    const cases = own.map((r) => {
      const head = `    <testcase name="${xml(r.name)}" classname="${xml(file)}" file="${xml(file)}" line="${r.at.line}" time="${(r.ms / 1000).toFixed(3)}"`;
      if (!r.failure) return `${head}/>`;
      const { at, step, message } = r.failure;
      return `${head}>\n      <failure message="${xml(message)}" type="test-failed">${xml(`${at.file}:${at.line}:${at.col}: step ${step}: ${message}`)}</failure>\n    </testcase>`;
    });
    return `  <testsuite name="${xml(file)}" tests="${own.length}" failures="${failures}" errors="0" time="${seconds.toFixed(3)}">\n${cases.join('\n')}\n  </testsuite>`;
  });
  const failures = results.filter((r) => r.failure).length;
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="council test" tests="${results.length}" failures="${failures}">\n${suites.join('\n')}\n</testsuites>\n`;
}

/** Each failure as an issue at its line, for `--format github` annotations. */
export function failureIssues(results: readonly TestResult[]): ManifestIssue[] {
  return results.flatMap((r) =>
    r.failure
      ? [
          {
            code: 'test-failed' as const,
            severity: 'error' as const,
            file: r.failure.at.file,
            line: r.failure.at.line,
            col: r.failure.at.col,
            pointer: '',
            message: `${r.name}: step ${r.failure.step}: ${r.failure.message}`,
          },
        ]
      : [],
  );
}

function xml(text: string): string {
  return (
    text
      .replace(/&/g, '&amp;')
      .replace(/</g, '&lt;')
      .replace(/>/g, '&gt;')
      .replace(/"/g, '&quot;')
      // XML 1.0 has no way to write these control characters, even escaped.
      // biome-ignore lint/suspicious/noControlCharactersInRegex: they are what is removed
      .replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F]/g, '')
  );
}
