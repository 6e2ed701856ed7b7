import type { AutomationPlan, Reference } from '../compile/plan.ts';

/** A plan whose references refer to another automation, and the reference. */
export interface PlanReferrer {
  readonly plan: AutomationPlan;
  readonly reference: Reference;
}

/**
 * What a view of some automations needs to know of the others their references reach:
 * the referred automation's plan (its nouns, its get's scopes, its own relations) and the
 * automations that refer to one (what its delete also deletes or changes). A view of one
 * automation stays self-contained; these only make its words precise.
 */
export interface RelatedPlans {
  /** The plan of automation `name`, when it is known. */
  plan(name: string): AutomationPlan | undefined;
  /** The plans whose references refer to automation `name`, in name order. */
  referrers(name: string): readonly PlanReferrer[];
}

/** Nothing known beside the plans themselves. */
export const NO_RELATED: RelatedPlans = { plan: () => undefined, referrers: () => [] };

/** The plans as {@link RelatedPlans}, indexed once. */
export function relatedPlans(plans: readonly AutomationPlan[]): RelatedPlans {
  const byName = new Map(plans.map((plan) => [plan.name, plan]));
  const referrers = new Map<string, PlanReferrer[]>();
  for (const plan of [...byName.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    for (const reference of plan.references) {
      const list = referrers.get(reference.automation) ?? [];
      list.push({ plan, reference });
      referrers.set(reference.automation, list);
    }
  }
  return { plan: (name) => byName.get(name), referrers: (name) => referrers.get(name) ?? [] };
}
