import { didYouMean } from '../errors/did-you-mean.ts';
import { type Reference, referencesOf } from '../schema/references.ts';
import type { ManifestIssue } from '../source/issues.ts';
import { issueAt } from '../source/source.ts';
import type { LoadedManifest } from './manifest.ts';

/** Manifests serving outside the ones being checked, by name and by the reverse list they publish. */
export interface ServingReferences {
  name(name: string): LoadedManifest | undefined;
  /** The manifest whose reference publishes `/<target>/{id}/<inverse>`. */
  inverse?(target: string, inverse: string): LoadedManifest | undefined;
  /** Every serving name, for "did you mean". */
  names?(): Iterable<string>;
}

/**
 * Checks that references fit together across manifests: the referred automation exists,
 * no two references publish the same reverse list, and cascading deletes never come back
 * to where they started (a cycle would delete on and on). `manifests` passed every other
 * check; the ones with problems are left out of `accepted`.
 */
export function checkReferencesAcross(
  manifests: readonly LoadedManifest[],
  serving: ServingReferences,
): { accepted: LoadedManifest[]; issues: ManifestIssue[] } {
  const byName = new Map(manifests.map((m) => [m.manifest.name, m]));
  const find = (name: string) => byName.get(name) ?? serving.name(name);
  const inverses = new Map<string, LoadedManifest>();
  const issues: ManifestIssue[] = [];
  const accepted: LoadedManifest[] = [];
  for (const loaded of manifests) {
    const own: ManifestIssue[] = [];
    for (const reference of referencesOf(loaded.manifest)) {
      const at = ['references', reference.name];
      const target = find(reference.automation);
      if (!target) {
        const known = [...byName.keys(), ...(serving.names?.() ?? [])];
        const message = `no automation named "${reference.automation}"${didYouMean(reference.automation, known)}; a reference names the automation whose records it refers to`;
        own.push(issueAt(loaded.source, [...at, 'automation'], 'reference-unknown', message));
        continue;
      }
      const key = `${reference.automation}/${reference.inverse}`;
      const holder = inverses.get(key) ?? serving.inverse?.(reference.automation, reference.inverse);
      if (holder && holder.manifest.name !== loaded.manifest.name) {
        const message = `/${reference.automation}/{id}/${reference.inverse} already lists the ${holder.manifest.name} of one ${reference.automation} record (${holder.file}); set \`inverse:\` to another name`;
        own.push(
          issueAt(
            loaded.source,
            reference.inverse === loaded.manifest.name ? at : [...at, 'inverse'],
            'reference-inverse-duplicate',
            message,
            { key: true },
          ),
        );
      } else if (holder) {
        const message = `another reference of ${loaded.manifest.name} to ${reference.automation} already uses the reverse list /${reference.automation}/{id}/${reference.inverse}; give each its own \`inverse:\``;
        own.push(issueAt(loaded.source, at, 'reference-inverse-duplicate', message, { key: true }));
      }
      inverses.set(key, loaded);
      if (reference.onDelete === 'cascade') {
        const loop = cascadeLoop(loaded.manifest.name, reference, find);
        if (loop) {
          const message = `deleting cascades in a loop (${loop.join(' -> ')}): deletes would run on and on; make one of them restrict or setNull`;
          own.push(issueAt(loaded.source, [...at, 'onDelete'], 'reference-cycle', message));
        }
      }
    }
    issues.push(...own);
    if (own.length === 0) accepted.push(loaded);
  }
  return { accepted, issues };
}

/**
 * The automations a delete cascades through from `reference`'s target back to `start`, if
 * it does: deleting a target record deletes the records of each automation that refers to
 * it with cascade, so following cascading references forward walks that chain in reverse.
 */
function cascadeLoop(start: string, first: Reference, find: (name: string) => LoadedManifest | undefined): string[] | undefined {
  const seen = new Set<string>();
  const walk = (name: string, path: string[]): string[] | undefined => {
    if (name === start) return path;
    if (seen.has(name)) return undefined;
    seen.add(name);
    const manifest = find(name);
    if (!manifest) return undefined;
    for (const next of referencesOf(manifest.manifest)) {
      if (next.onDelete !== 'cascade') continue;
      const found = walk(next.automation, [...path, next.automation]);
      if (found) return found;
    }
    return undefined;
  };
  return walk(first.automation, [start, first.automation]);
}
