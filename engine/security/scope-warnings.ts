import type { AutomationPlan } from '../compile/plan.ts';
import { closestMatch } from '../errors/did-you-mean.ts';
import { grants } from '../schema/scopes.ts';

/**
 * What is wrong with the scopes of a key about to be made, against the automations it is
 * for: a scope naming no automation (`tickts:read`, with the closest one that exists), or
 * one that no endpoint needs. Warnings only: the key is still made (the automation may
 * come later), but a typo no longer passes unseen.
 */
export function scopeWarnings(plans: readonly AutomationPlan[], scopes: readonly string[]): string[] {
  const needed = new Map(plans.map((p) => [p.name, [...new Set(p.endpoints.flatMap((e) => e.access.scopes))]]));
  const known = [...new Set([...[...needed.values()].flat(), ...plans.map((p) => `${p.name}:*`)])].sort();
  const warnings: string[] = [];
  for (const scope of scopes) {
    if (scope === '*' || [...needed.values()].flat().some((n) => grants([scope], n))) continue;
    const prefix = scope.slice(0, scope.indexOf(':'));
    const own = needed.get(prefix);
    const close = closestMatch(scope, known);
    warnings.push(
      own
        ? `scope "${scope}" grants nothing: no endpoint of ${prefix} needs it (they need ${own.join(', ') || 'no key'})`
        : `scope "${scope}" names no automation${close ? ` (did you mean "${close}"?)` : `; automations: ${[...needed.keys()].join(', ')}`}`,
    );
  }
  return warnings;
}
