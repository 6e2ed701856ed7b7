import type { Operation } from './json-schema.ts';

/** The scope an operation needs by default: read, write or delete on its automation. */
export function defaultScope(automation: string, operation: Operation): string {
  switch (operation) {
    case 'list':
    case 'get':
    case 'search':
      return `${automation}:read`;
    case 'delete':
      return `${automation}:delete`;
    default:
      return `${automation}:write`;
  }
}

/**
 * Whether a key's scopes grant `needed`: the scope itself, `<automation>:*` for every
 * operation on that automation, or `*` for everything.
 */
export function grants(scopes: readonly string[], needed: string): boolean {
  if (scopes.includes('*') || scopes.includes(needed)) return true;
  const colon = needed.indexOf(':');
  return colon > 0 && scopes.includes(`${needed.slice(0, colon)}:*`);
}

/** Whether `scopes` grant every scope in `needed` (what an operation requires). */
export function grantsAll(scopes: readonly string[], needed: readonly string[]): boolean {
  return needed.every((scope) => grants(scopes, scope));
}

/** What a scope may look like: `*`, `name:*`, `name:read`, or any `name:word` a manifest names. */
export const SCOPE_PATTERN = /^(\*|[a-z][a-z0-9-]*:(\*|[a-z][a-z0-9_-]*))$/;
