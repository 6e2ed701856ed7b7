import type { AutomationPlan } from './plan.ts';

/** The operations a batch can carry, when the automation declares their own endpoints. */
export const BATCH_OPERATIONS = ['create', 'update', 'replace', 'delete'] as const;
export type BatchOperation = (typeof BATCH_OPERATIONS)[number];

/** The operations of `plan` a batch may carry: those it declares an endpoint for (each with that endpoint's scopes). */
export function batchOperations(plan: AutomationPlan): BatchOperation[] {
  return BATCH_OPERATIONS.filter((op) => plan.endpoints.some((e) => e.operation === op));
}
