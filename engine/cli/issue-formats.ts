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

/** `::error file=F,line=L,col=C,title=CODE::MESSAGE`: an issue as a GitHub annotation. */
export function githubCommand(issue: ManifestIssue): string {
  return githubAnnotation(issue.severity === 'error' ? 'error' : 'warning', issue, issue.code, issue.message);
}

/**
 * `::LEVEL file=F,line=L,col=C,title=TITLE::MESSAGE`. Escaped as the runner reads them:
 * `%`, CR and LF in both parts, and `:` and `,` in property values too.
 */
export function githubAnnotation(level: 'error' | 'warning' | 'notice', at: Placed, title: string, message: string): string {
  return `::${level} file=${githubProperty(at.file)},line=${at.line},col=${at.col},title=${githubProperty(title)}::${githubData(message)}`;
}

/** A workflow command's message, escaped. */
export function githubData(text: string): string {
  return text.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

/** A workflow command's property value, escaped. */
export function githubProperty(text: string): string {
  return githubData(text).replace(/:/g, '%3A').replace(/,/g, '%2C');
}

/** A place in a file: a path as reports show it, 1-based line and column. */
export interface Placed {
  readonly file: string;
  readonly line: number;
  readonly col: number;
}

/** One result of a SARIF run: what rule, how serious, where. */
export interface SarifFinding extends Placed {
  readonly ruleId: string;
  readonly level: 'error' | 'warning' | 'note';
  readonly message: string;
  /** Extra facts a tool may read (SARIF property bag). */
  readonly properties?: Readonly<Record<string, unknown>>;
}

/** A rule of a SARIF run: its id, a line on what it finds, and where to read more. */
export interface SarifRule {
  readonly id: string;
  readonly description: string;
  readonly help: string;
}

/** One run of the `council` tool, a rule per code met, a result per issue. */
export function sarifReport(issues: readonly ManifestIssue[]): Log {
  const codes = [...new Set(issues.map((i) => i.code))].sort();
  // errors.md has a section per code: its heading is the code.
  const rules = codes.map((code) => ({
    id: code,
    description: `council manifest issue ${code}`,
    help: `What ${code} means and how to fix it: documents/errors.md of the council engine, section ${code}.`,
  }));
  return sarifLog(
    rules,
    issues.map((issue) => ({ ...issue, ruleId: issue.code, level: issue.severity })),
  );
}

/**
 * SARIF 2.1.0: one run of the `council` tool with `rules`, a result per finding (each
 * finding's rule must be among them). Locations are relative to the repository's root
 * (`%SRCROOT%`), as code scanning places them.
 */
export function sarifLog(rules: readonly SarifRule[], findings: readonly SarifFinding[]): Log {
  const ids = rules.map((rule) => rule.id);
  return {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'council',
            rules: rules.map((rule) => ({
              id: rule.id,
              name: rule.id,
              shortDescription: { text: rule.description },
              help: { text: rule.help },
            })),
          },
        },
        results: findings.map((finding) => ({
          ruleId: finding.ruleId,
          ruleIndex: ids.indexOf(finding.ruleId),
          level: finding.level,
          message: { text: finding.message },
          locations: [
            {
              physicalLocation: {
                artifactLocation: { uri: finding.file, uriBaseId: '%SRCROOT%' },
                region: { startLine: finding.line, startColumn: finding.col },
              },
            },
          ],
          ...(finding.properties ? { properties: { ...finding.properties } } : {}),
        })),
      },
    ],
  };
}
