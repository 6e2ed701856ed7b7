import type { ChangeReview, ReviewedChange } from '../review/acceptance.ts';
import { githubAnnotation, type SarifFinding, type SarifRule, sarifLog } from './issue-formats.ts';

/**
 * How `council diff` writes its review: `human` (a line per change), `json` (one
 * document on stdout), `github` (annotations on the pull request), `sarif` (SARIF 2.1.0
 * for code scanning).
 */
export const DIFF_FORMATS = ['human', 'json', 'github', 'sarif'] as const;
export type DiffFormat = (typeof DIFF_FORMATS)[number];

/**
 * Writes `review` in `format`, then the summary: on stdout after the lines of `human`
 * and `github`, on stderr after the documents of `json` and `sarif` (stdout stays one
 * document). Acceptances that match no change are warnings, never a failure.
 */
export function writeReview(review: ChangeReview, base: string, format: DiffFormat): void {
  const breaking = review.changes.filter((c) => c.kind === 'breaking');
  const counts = {
    breaking: review.blocking,
    accepted: breaking.length - review.blocking,
    additive: review.changes.length - breaking.length,
  };
  const summary = `${counts.breaking} breaking${counts.accepted ? `, ${counts.accepted} accepted breaking` : ''} and ${counts.additive} additive change(s) against ${base}`;
  switch (format) {
    case 'human':
      for (const change of review.changes) console.log(`${label(change)}: ${change.file}: ${text(change)}`);
      for (const stale of review.stale) console.error(`${stale.file}:${stale.line}:${stale.col}: warning: ${stale.message}`);
      console.log(summary);
      return;
    case 'github':
      for (const change of review.changes) console.log(githubAnnotation(githubLevel(change), change, title(change), text(change)));
      for (const stale of review.stale) console.log(githubAnnotation('warning', stale, 'stale acceptance', stale.message));
      console.log(summary);
      return;
    case 'json':
      console.log(JSON.stringify({ base, ...counts, changes: review.changes, staleAcceptances: review.stale }, null, 2));
      console.error(summary);
      return;
    case 'sarif':
      console.log(JSON.stringify(sarifReview(review), null, 2));
      console.error(summary);
      return;
  }
}

/** `breaking`, `breaking (accepted)` or `additive`. */
function label(change: ReviewedChange): string {
  return change.kind === 'breaking' && change.accepted ? 'breaking (accepted)' : change.kind;
}

/** `breaking change`, `accepted breaking change` or `additive change`. */
function title(change: ReviewedChange): string {
  return `${change.accepted ? 'accepted ' : ''}${change.kind} change`;
}

/** `WHERE: MESSAGE`, with what happens to stored records and why it is accepted, when it is. */
function text(change: ReviewedChange): string {
  const storage = change.storage ? ` (stored records: ${change.storage})` : '';
  const accepted = change.accepted ? `; accepted: ${change.accepted.reason}` : '';
  return `${change.where}: ${change.message}${storage}${accepted}`;
}

function githubLevel(change: ReviewedChange): 'error' | 'warning' | 'notice' {
  if (change.kind === 'additive') return 'notice';
  return change.accepted ? 'warning' : 'error';
}

const RULES: readonly SarifRule[] = [
  {
    id: 'breaking-change',
    description: 'A change to the API that may refuse a request that worked, or take from an answer what a client read',
    help: 'Undo it, raise the manifest\'s version, or accept it under acceptedChanges with a reason (documents/cli.md of the council engine, "council diff").',
  },
  {
    id: 'additive-change',
    description: 'A change to the API that no caller notices unless it uses what is new',
    help: 'Nothing to do: listed so reviewers see what the API gains.',
  },
  {
    id: 'stale-acceptance',
    description: 'An acceptedChanges entry that matches no breaking change',
    help: 'Remove the entry once the change it accepted is in the base, or correct its where to the one council diff prints.',
  },
];

/** Breaking changes as errors (accepted ones as warnings), additive ones as notes, stale acceptances as warnings. */
function sarifReview(review: ChangeReview) {
  const findings: SarifFinding[] = review.changes.map((change) => ({
    ruleId: `${change.kind}-change`,
    level: change.kind === 'additive' ? 'note' : change.accepted ? 'warning' : 'error',
    file: change.file,
    line: change.line,
    col: change.col,
    message: text(change),
    properties: {
      automation: change.automation,
      where: change.where,
      ...(change.storage ? { storage: change.storage } : {}),
      ...(change.accepted ? { accepted: change.accepted } : {}),
    },
  }));
  for (const stale of review.stale) {
    findings.push({
      ruleId: 'stale-acceptance',
      level: 'warning',
      ...stale,
      properties: { automation: stale.automation, where: stale.where },
    });
  }
  const met = new Set(findings.map((f) => f.ruleId));
  return sarifLog(
    RULES.filter((rule) => met.has(rule.id)),
    findings,
  );
}
