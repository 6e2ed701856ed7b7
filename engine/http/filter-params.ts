import type { FilterOperator, ListFilter, ScalarValue } from '../../adapters/types.ts';
import type { EndpointPlan, FilterPlan } from '../compile/plan.ts';
import { choices, type FieldError } from '../errors/problem.ts';
import { SAFE_INTEGER, toFieldErrors } from './field-errors.ts';

/** Most values one `[in]` filter takes: a list longer than this belongs in several requests. */
export const MAX_IN_VALUES = 100;

/** The query parameter of one filter operator: `status` for eq, `status[gt]` otherwise. */
export function filterParameter(field: string, op: FilterOperator): string {
  return op === 'eq' ? field : `${field}[${op}]`;
}

/** Every filter parameter a list accepts, in manifest order. */
export function filterParameters(endpoint: EndpointPlan): string[] {
  return endpoint.filters.flatMap((f) => f.operators.map((op) => filterParameter(f.field, op)));
}

/** Reads the filter parameters present in the query into typed filters; problems go to `errors`. */
export function parseFilterParams(endpoint: EndpointPlan, params: URLSearchParams, errors: FieldError[]): ListFilter[] {
  const filters: ListFilter[] = [];
  for (const plan of endpoint.filters) {
    for (const op of plan.operators) {
      const name = filterParameter(plan.field, op);
      const raw = params.get(name);
      if (raw === null) continue;
      const parsed = parseFilterValue(plan, op, raw);
      if (typeof parsed === 'string') {
        const values = plan.schema.enum;
        errors.push({ pointer: `/query/${name}`, message: parsed, ...(Array.isArray(values) ? choices(raw, values) : {}) });
      } else filters.push(parsed);
    }
  }
  return filters;
}

/**
 * Checks a filter carried by a cursor as strictly as one from the query string, so a
 * forged cursor cannot filter on something the list does not offer. True if it is valid.
 */
export function isOfferedFilter(endpoint: EndpointPlan, filter: ListFilter): boolean {
  const plan = endpoint.filters.find((f) => f.field === filter.field);
  if (!plan?.operators.includes(filter.op)) return false;
  const values = filter.op === 'in' ? filter.value : [filter.value];
  if (!Array.isArray(values) || values.length === 0 || values.length > MAX_IN_VALUES) return false;
  if (filter.op === 'exists') return typeof filter.value === 'boolean';
  if (filter.op === 'contains') return typeof filter.value === 'string' && filter.value !== '';
  const mustMatch = filter.op === 'eq' || filter.op === 'in';
  return values.every((v) => isOfKind(plan, v) && !(mustMatch && valueProblem(plan, v)));
}

function parseFilterValue(plan: FilterPlan, op: FilterOperator, raw: string): ListFilter | string {
  const { field } = plan;
  switch (op) {
    case 'exists':
      return raw === 'true' || raw === 'false' ? { field, op, value: raw === 'true' } : 'must be true or false';
    case 'contains':
      return raw === '' ? 'must not be empty: give the text the value should contain' : { field, op, value: raw };
    case 'in': {
      const parts = raw.split(',');
      if (parts.length > MAX_IN_VALUES)
        return `takes at most ${MAX_IN_VALUES} comma-separated values; split the list over several requests`;
      const values: ScalarValue[] = [];
      for (const [i, part] of parts.entries()) {
        const value = typed(plan, part);
        const problem = value === undefined ? kindProblem(plan, part) : valueProblem(plan, value);
        if (problem) return `value ${i + 1} of the comma-separated list ("${part}") ${problem}`;
        values.push(value as ScalarValue);
      }
      return { field, op, value: values };
    }
    default: {
      const value = typed(plan, raw);
      if (value === undefined) return kindProblem(plan, raw);
      // A value outside the enum or range can never equal a stored one; for ranges it can bound them.
      const problem = op === 'eq' ? valueProblem(plan, value) : undefined;
      return problem ?? { field, op, value };
    }
  }
}

function typed(plan: FilterPlan, raw: string): ScalarValue | undefined {
  switch (plan.kind) {
    case 'string':
      return raw;
    case 'boolean':
      return raw === 'true' ? true : raw === 'false' ? false : undefined;
    case 'integer':
      return /^-?\d+$/.test(raw) && Number.isSafeInteger(Number(raw)) ? Number(raw) : undefined;
    case 'number':
      return raw.trim() !== '' && Number.isFinite(Number(raw)) ? Number(raw) : undefined;
  }
}

function isOfKind(plan: FilterPlan, value: unknown): boolean {
  if (plan.kind === 'integer') return Number.isSafeInteger(value);
  if (plan.kind === 'number') return typeof value === 'number' && Number.isFinite(value);
  return typeof value === plan.kind;
}

/** Why a typed value can never match (outside the enum, range or format), or undefined. */
function valueProblem(plan: FilterPlan, value: ScalarValue): string | undefined {
  if (plan.check(value)) return undefined;
  return toFieldErrors(plan.check.errors)[0]?.message ?? 'is not a value this field can have';
}

function kindProblem(plan: FilterPlan, raw: string): string {
  if (plan.kind === 'integer' && /^-?\d+$/.test(raw)) return SAFE_INTEGER;
  return `must be ${plan.kind === 'boolean' ? 'true or false' : plan.kind === 'integer' ? 'an integer' : 'a number'}`;
}
