import { isAbsolute, relative, sep } from 'node:path';
import type { Log } from 'sarif';
import { type ManifestIssue, sortIssues } from '../source/issues.ts';
import { printIssues } from './print-issues.ts';

/**
 * How a command reports manifest issues: `human` (FILE:LINE:COL with the source line, on
 * stderr), `json` (one document on stdout), `github` (workflow commands GitHub Actions
 * turns into annotations on the pull request's lines), `sarif` (SARIF 2.1.0, what code
 * scanning tools import).
 */
export const ISSUE_FORMATS = ['human', 'json', 'github', 'sarif'] as const;
export type IssueFormat = (typeof ISSUE_FORMATS)[number];

/** Counts the summary line states; `files`: how many manifests were checked. */
export interface IssueReport {
  readonly issues: readonly ManifestIssue[];
  readonly files: number;
}

/**
 * Writes `report` in `format`, then `summary` (if any). Machine formats write only their
 * document on stdout, so it can be piped; the summary then goes to stderr. Paths are made relative to `cwd`
 * (the repository root in CI), with `/`, as annotations and SARIF locations need.
 */
export function writeIssues(report: IssueReport, format: IssueFormat, summary: string, cwd = process.cwd()): void {
  const issues = sortIssues(report.issues).map((issue) => ({ ...issue, file: shownPath(issue.file, cwd) }));
  switch (format) {
    case 'human':
      printIssues(report.issues);
      if (summary) console.log(summary);
      return;
    case 'github':
      for (const issue of issues) console.log(githubCommand(issue));
      if (summary) console.log(summary);
      return;
    case 'json':
      console.log(JSON.stringify(jsonReport(issues, report.files), null, 2));
      if (summary) console.error(summary);
      return;
    case 'sarif':
      console.log(JSON.stringify(sarifReport(issues), null, 2));
      if (summary) console.error(summary);
      return;
  }
}

/**
 * A path as reports show it: relative to the working directory (the repository's root in
 * CI), with `/`. Outside it, or the directory itself: as given, which no annotation can
 * place anyway.
 */
export function shownPath(file: string, cwd = process.cwd()): string {
  const near = isAbsolute(file) ? relative(cwd, file) : file;
  const path = near === '' || near.startsWith('..') ? file : near;
  return path.split(sep).join('/');
}

export function jsonReport(issues: readonly ManifestIssue[], files: number) {
  const errors = issues.filter((i) => i.severity === 'error').length;
  return {
    files,
    errors,
    warnings: issues.length - errors,
    issues: issues.map(({ file, line, col, severity, code, pointer, message }) => ({ file, line, col, severity, code, pointer, message })),
  };
}

/**
 * `::error file=F,line=L,col=C,title=CODE::MESSAGE`. Escaped as the runner reads them:
 * `%`, CR and LF in both parts, and `:` and `,` in property values too.
 */
export function githubCommand(issue: ManifestIssue): string {
  const level = issue.severity === 'error' ? 'error' : 'warning';
  return `::${level} file=${githubProperty(issue.file)},line=${issue.line},col=${issue.col},title=${githubProperty(issue.code)}::${githubData(issue.message)}`;
}

/** A workflow command's message, escaped. */
export function githubData(text: string): string {
  return text.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

/** A workflow command's property value, escaped. */
export function githubProperty(text: string): string {
  return githubData(text).replace(/:/g, '%3A').replace(/,/g, '%2C');
}

/** One run of the `council` tool, a rule per code met, a result per issue. */
export function sarifReport(issues: readonly ManifestIssue[]): Log {
  const codes = [...new Set(issues.map((i) => i.code))].sort();
  return {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'council',
            // errors.md has a section per code: its heading is the code.
            rules: codes.map((code) => ({
              id: code,
              name: code,
              shortDescription: { text: `council manifest issue ${code}` },
              help: { text: `What ${code} means and how to fix it: documents/errors.md of the council engine, section ${code}.` },
            })),
          },
        },
        results: issues.map((issue) => ({
          ruleId: issue.code,
          ruleIndex: codes.indexOf(issue.code),
          level: issue.severity,
          message: { text: issue.message },
          locations: [
            {
              physicalLocation: {
                artifactLocation: { uri: issue.file, uriBaseId: '%SRCROOT%' },
                region: { startLine: issue.line, startColumn: issue.col },
              },
            },
          ],
        })),
      },
    ],
  };
}
