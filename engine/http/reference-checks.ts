import type { AutomationPlan } from '../compile/plan.ts';
import { type FieldError, HttpProblem } from '../errors/problem.ts';
import type { RelatedAutomations } from '../registry/registry.ts';
import { idsIn, readMany } from './related-read.ts';

/** A body whose references are checked, and where its fields are in the request (`''`: the body itself). */
export interface ReferringBody {
  readonly body: Readonly<Record<string, unknown>>;
  readonly at: string;
}

/**
 * Checks that every reference field `body` sets names a record that exists, on whatever
 * store its automation uses: a 422 naming each field and missing id, so one retry can fix
 * them all. Fields the body leaves out (or clears) are not checked.
 * A referred automation not serving is a 503: nothing can be checked there now.
 */
export function checkReferencesExist(
  plan: AutomationPlan,
  body: Readonly<Record<string, unknown>>,
  related: RelatedAutomations,
): Promise<void> {
  return checkReferencesOf(plan, [{ body, at: '' }], related);
}

/** {@link checkReferencesExist} for many bodies (a batch): one read of many ids per relation, not one per body. */
export async function checkReferencesOf(
  plan: AutomationPlan,
  bodies: readonly ReferringBody[],
  related: RelatedAutomations,
): Promise<void> {
  const wanted = plan.references.filter((r) => bodies.some(({ body }) => typeof body[r.field] === 'string'));
  if (wanted.length === 0) return;
  const errors: FieldError[] = [];
  await Promise.all(
    wanted.map(async (reference) => {
      const target = related.match(reference.automation);
      if (!target) {
        throw new HttpProblem(
          'reference-unavailable',
          `${reference.field} refers to ${reference.automation}, which is not serving right now, so the reference cannot be checked; retry later`,
        );
      }
      const found = await readMany(
        target.store,
        idsIn(
          bodies.map(({ body }) => body),
          reference.field,
        ),
      );
      for (const { body, at } of bodies) {
        const id = body[reference.field];
        if (typeof id !== 'string' || found.has(id)) continue;
        errors.push({
          pointer: `${at}/${reference.field}`,
          message: `no ${reference.automation} record has id "${id}"; list ${target.plan.basePath} to find one, or leave ${reference.field} out`,
        });
      }
    }),
  );
  if (errors.length === 0) return;
  errors.sort((a, b) => (a.pointer < b.pointer ? -1 : 1));
  const detail = errors.map((e) => `${e.pointer} ${e.message}`).join('; ');
  throw new HttpProblem('reference-missing', `a referenced record does not exist: ${detail}`, { errors });
}
