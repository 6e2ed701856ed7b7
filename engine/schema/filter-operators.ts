import { capabilities } from '../../adapters/capabilities.ts';
import { FILTER_OPERATORS, type FieldKind, type FilterOperator } from '../../adapters/types.ts';
import type { FilterDeclaration } from './manifest-shape.ts';

/** The operators that mean something for each kind of property. */
export const OPERATORS_BY_KIND: Readonly<Record<Exclude<FieldKind, 'json'>, readonly FilterOperator[]>> = {
  string: FILTER_OPERATORS,
  integer: FILTER_OPERATORS.filter((op) => op !== 'contains'),
  number: FILTER_OPERATORS.filter((op) => op !== 'contains'),
  boolean: ['eq', 'ne', 'exists'],
};

/** A `filters` entry as `{ field, operators? }`, whichever way the manifest wrote it. */
export function filterDeclaration(entry: string | FilterDeclaration): FilterDeclaration {
  return typeof entry === 'string' ? { field: entry } : entry;
}

/**
 * The operators a list offers on a field: the declared ones, or else every operator
 * that applies to the field's kind and that the backend implements.
 */
export function offeredOperators(
  declaration: FilterDeclaration,
  kind: Exclude<FieldKind, 'json'>,
  backend: string,
): readonly FilterOperator[] {
  if (declaration.operators) return declaration.operators;
  const backendHas = capabilities[backend]?.filterOperators ?? ['eq'];
  return OPERATORS_BY_KIND[kind].filter((op) => backendHas.includes(op));
}
