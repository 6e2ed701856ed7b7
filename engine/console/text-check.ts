import { parse } from 'yaml';
import type { StorageStep } from '../../adapters/types.ts';
import type { AutomationPlan } from '../compile/plan.ts';
import type { ConnectionPool } from '../registry/connections.ts';
import type { CheckedText } from '../reload/reloader.ts';
import { settleWithin } from '../request/deadline.ts';
import { AUTOMATION_NAME_PATTERN } from '../schema/naming.ts';
import { hasErrors, type ManifestIssue } from '../source/issues.ts';
import { CONSOLE_STORE_MS } from './stores.ts';

/** What the engine would do with a text: its issues, and what saving it would change in the store. */
export interface TextCheck {
  readonly issues: ManifestIssue[];
  /** The steps the store would run, or why it could not be asked; absent when there are none. */
  readonly storage?: { readonly target: string; readonly steps: readonly StorageStep[] } | { readonly error: string };
}

/**
 * The console's one check of a manifest text, for the editor's Check and Save and its live
 * checks as one types: the engine's own (a reload's, without binding anything), the
 * console's (the name is one the user may edit; a new file's name is free), then, once the
 * text is clean, the automation's connection asked what loading it would change (what it
 * would refuse is an error at its field), within the console's store deadline.
 */
export function textChecker(
  edits: { check(file: string, text: string): CheckedText },
  connections: ConnectionPool,
): (args: {
  file: string;
  /** The file as the project names it, for messages. */
  shown: string;
  text: string;
  /** A new automation whose file exists already. */
  taken: boolean;
  mayName: (name: string) => boolean;
  notYours: (name: string) => string;
}) => Promise<TextCheck> {
  const storagePlan = (plan: AutomationPlan) =>
    settleWithin(
      connections.get(plan.storage.connection).then((connection) => connection.plan(plan.storage.spec)),
      CONSOLE_STORE_MS,
      () => new Error(`connection "${plan.storage.connection}" did not answer within ${CONSOLE_STORE_MS / 1000} s`),
    );
  return async ({ file, shown, text, taken, mayName, notYours }) => {
    const checked = edits.check(file, text);
    const issues = [...checked.issues];
    const name = nameIn(text);
    if (name && !mayName(name)) issues.unshift(nameIssue(file, text, `you may not edit an automation named "${name}"; ${notYours(name)}`));
    if (taken) issues.unshift(nameIssue(file, text, `${shown} already exists: choose another name, or edit that automation`));
    const refusal = checked.refusal;
    if (hasErrors(issues) || !checked.plan) return { issues };
    try {
      const plan = await storagePlan(checked.plan);
      if (refusal) issues.push(...plan.refused.map((r) => refusal(r.field, r.message)));
      return plan.steps.length > 0 ? { issues, storage: { target: plan.target, steps: plan.steps } } : { issues };
    } catch (error) {
      return { issues, storage: { error: `The store could not be asked what this does to stored data: ${(error as Error).message}` } };
    }
  };
}

/** The `name:` a manifest text declares, when it is a valid one. */
export function nameIn(text: string): string | undefined {
  try {
    const name = (parse(text) as { name?: unknown } | null)?.name;
    return typeof name === 'string' && AUTOMATION_NAME_PATTERN.test(name) ? name : undefined;
  } catch {
    return undefined;
  }
}

/** An error about the text's `name:`, at its line. */
function nameIssue(file: string, text: string, message: string): ManifestIssue {
  const line = text.split('\n').findIndex((l) => /^name\s*:/.test(l)) + 1 || 1;
  return { code: 'name-duplicate', severity: 'error', file, line, col: 1, pointer: '/name', message };
}
