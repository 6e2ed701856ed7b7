/**
 * Which breaking changes a manifest lets through. A change that breaks callers passes
 * review when its automation's `version` was raised (callers were told: a new version)
 * or when the manifest's `acceptedChanges` names it by its `where`, with a reason. Pure:
 * it reads the changes and what each manifest declares.
 */

import { didYouMean } from '../errors/did-you-mean.ts';
import type { ApiChange } from './api-changes.ts';

/** What an automation's manifest declares about its changes, at one revision. */
export interface ChangePolicy {
  readonly name: string;
  /** Its manifest, as reports name it. */
  readonly file: string;
  /** `version:`, 1 when absent. */
  readonly version: number;
  /** Where `version:` is written; line 1 when it is not. */
  readonly versionAt: Position;
  readonly acceptedChanges: readonly (Position & { readonly where: string; readonly reason: string })[];
}

export interface Position {
  readonly line: number;
  readonly col: number;
}

/** A change as review reports it: placed in its manifest, and let through or not. */
export interface ReviewedChange extends ApiChange, Position {
  /** A breaking change let through, and why: `version raised 1 -> 2`, or the entry's reason. */
  readonly accepted?: { readonly by: 'version' | 'acceptedChanges'; readonly reason: string };
}

/** An `acceptedChanges` entry that names no breaking change: nothing for it to let through. */
export interface StaleAcceptance extends Position {
  readonly automation: string;
  readonly file: string;
  readonly where: string;
  readonly message: string;
}

export interface ChangeReview {
  readonly changes: readonly ReviewedChange[];
  readonly stale: readonly StaleAcceptance[];
  /** Breaking changes nothing lets through: the review fails when there is one. */
  readonly blocking: number;
}

const TOP: Position = { line: 1, col: 1 };

/**
 * Marks each breaking change of `changes` that its automation's policy at `head` lets
 * through (a version above the one at `base`, or an `acceptedChanges` entry with the
 * same `where`), and lists the entries that match none. A change is placed at what
 * accepts it (the entry, or `version:`); otherwise at the manifest's first line.
 */
export function reviewChanges(changes: readonly ApiChange[], base: readonly ChangePolicy[], head: readonly ChangePolicy[]): ChangeReview {
  const before = new Map(base.map((p) => [p.name, p]));
  const after = new Map(head.map((p) => [p.name, p]));
  const used = new Set<string>();
  const reviewed = changes.map((change): ReviewedChange => {
    const policy = after.get(change.automation);
    if (change.kind !== 'breaking' || !policy) return { ...change, ...TOP };
    const entry = policy.acceptedChanges.find((e) => e.where === change.where);
    if (entry) {
      used.add(`${policy.name}\0${entry.where}`);
      return { ...change, line: entry.line, col: entry.col, accepted: { by: 'acceptedChanges', reason: entry.reason } };
    }
    const was = before.get(change.automation)?.version;
    if (was !== undefined && policy.version > was) {
      const { line, col } = policy.versionAt;
      return { ...change, line, col, accepted: { by: 'version', reason: `version raised ${was} -> ${policy.version}` } };
    }
    return { ...change, ...TOP };
  });
  const stale: StaleAcceptance[] = [];
  for (const policy of head) {
    const breaking = changes.filter((c) => c.automation === policy.name && c.kind === 'breaking').map((c) => c.where);
    for (const entry of policy.acceptedChanges) {
      if (used.has(`${policy.name}\0${entry.where}`)) continue;
      stale.push({
        automation: policy.name,
        file: policy.file,
        where: entry.where,
        line: entry.line,
        col: entry.col,
        message: `acceptedChanges: "${entry.where}" matches no breaking change${didYouMean(entry.where, breaking)}; remove the entry once the change it accepted is in the base, or copy the where council diff prints`,
      });
    }
  }
  return { changes: reviewed, stale, blocking: reviewed.filter((c) => c.kind === 'breaking' && !c.accepted).length };
}
