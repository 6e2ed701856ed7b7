import type { ReferenceObject } from 'openapi3-ts/oas31';
import type { AutomationPlan } from '../compile/plan.ts';

/** Component schema names of one automation: `Account`, `AccountInput`, `AccountPatch`, `AccountPartial`. */
export interface SchemaNames {
  /** A record as returned, with `id`, `createdAt` and `updatedAt`. */
  readonly record: string;
  /** Body of create and replace: the resource schema as written. */
  readonly input: string;
  /** Body of update: a JSON merge patch. */
  readonly patch: string;
  /** Part of a record: what `?fields=` returns, or a record whose long values were cut (`meta.cut`). */
  readonly partial: string;
}

export function schemaNames(plan: AutomationPlan): SchemaNames {
  const { singular } = plan.names;
  return { record: singular, input: `${singular}Input`, patch: `${singular}Patch`, partial: `${singular}Partial` };
}

/** Lower-case nouns for prose: `{ one: 'support ticket', many: 'support tickets' }`. */
export function recordNouns(plan: AutomationPlan): { readonly one: string; readonly many: string } {
  return { one: words(plan.names.singular), many: words(plan.names.plural) };
}

/** `SupportTicket` -> `support ticket` */
function words(pascal: string): string {
  return pascal.replace(/([a-z0-9])([A-Z])/g, '$1 $2').toLowerCase();
}

export function schemaRef(name: string): ReferenceObject {
  return { $ref: `#/components/schemas/${name}` };
}

export function responseRef(name: string): ReferenceObject {
  return { $ref: `#/components/responses/${name}` };
}
