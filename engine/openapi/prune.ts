import type { OpenAPIObject } from 'openapi3-ts/oas31';

/** Components that may be left out when nothing refers to them, by section. */
export interface PruneCandidates {
  readonly schemas: readonly string[];
  readonly responses: readonly string[];
}

/**
 * Removes each candidate component that nothing else in the document refers to: an
 * automation without update needs no `AccountPatch`, one that never needs `If-Match` no
 * `PreconditionRequired` response. An unused component is noise to a reader (spectral's
 * `oas3-unused-component`). Repeated until nothing changes, since a removed component
 * may have held the only reference to another. Edits `doc` in place.
 */
export function pruneUnused(doc: OpenAPIObject, candidates: PruneCandidates): void {
  const sections = { schemas: doc.components?.schemas ?? {}, responses: doc.components?.responses ?? {} };
  let removed = true;
  while (removed) {
    removed = false;
    for (const section of ['schemas', 'responses'] as const) {
      const components = sections[section] as Record<string, unknown>;
      for (const name of candidates[section]) {
        if (!(name in components)) continue;
        const own = components[name];
        const target = `#/components/${section}/${name}`;
        if (!refersTo(doc, target, own)) {
          delete components[name];
          removed = true;
        }
      }
    }
  }
}

/** Whether some `$ref` outside `skip` is `target` or points inside it. */
function refersTo(node: unknown, target: string, skip: unknown): boolean {
  if (typeof node !== 'object' || node === null || node === skip) return false;
  for (const [key, value] of Object.entries(node)) {
    if (key === '$ref' && typeof value === 'string' && (value === target || value.startsWith(`${target}/`))) return true;
    if (typeof value === 'object' && refersTo(value, target, skip)) return true;
  }
  return false;
}
